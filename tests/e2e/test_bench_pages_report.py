"""benchmarks/bench_pages.py judges its figures right: median after the warm-up, targets, ratio, failures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_pages.py"
_SPEC = importlib.util.spec_from_file_location("bench_pages", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("bench_pages", bench)  # dataclasses look their module up
_SPEC.loader.exec_module(bench)

RERUN = ("reviewer", "审核", "下一页")
LOGIN = ("reviewer", "审核", bench.LOGIN)


def _figures(times: dict) -> object:
    return bench.Figures(times={key: list(values) for key, values in times.items()})


def test_median_skips_the_warm_up_and_a_fast_large_set_passes():
    demo = _figures({RERUN: [5000, 100, 120, 110]})
    large = _figures({RERUN: [9000, 140, 160, 150]})
    row, ok = bench.verdict(RERUN, demo, large)
    assert ok and row[3:7] == ["110", "150", "1.36", "9000"] and row[7] == "PASS"


@pytest.mark.parametrize(
    ("key", "demo_ms", "large_ms", "expected"),
    [
        (RERUN, 400, 520, "FAIL > 500 ms"),  # over the rerun target, within the ratio
        (RERUN, 110, 180, "FAIL > 1.5×"),  # fast, but more than 1.5× the demo figure
        (RERUN, 110, 600, "FAIL > 500 ms, > 1.5×"),
        (LOGIN, 1500, 1900, "PASS"),  # a login has the 2 s target, not the rerun one
        (LOGIN, 1500, 2100, "FAIL > 2000 ms"),
    ],
)
def test_targets_and_ratio(key, demo_ms, large_ms, expected):
    demo = _figures({key: [0, demo_ms]})
    large = _figures({key: [0, large_ms]})
    row, ok = bench.verdict(key, demo, large)
    assert row[7] == expected and ok == (expected == "PASS")


def test_failed_samples_are_reported_and_a_measure_never_taken_is_an_error():
    demo, large = _figures({RERUN: [0, 100]}), _figures({RERUN: [0, 100]})
    large.add(RERUN, lambda: (_ for _ in ()).throw(TimeoutError("Locator.click: Timeout")))
    row, ok = bench.verdict(RERUN, demo, large)
    assert ok and row[7] == "PASS (1 samples failed)"
    missing = ("admin", "看板", "下一页")
    large.add(missing, lambda: (_ for _ in ()).throw(TimeoutError("no such widget")))
    row, ok = bench.verdict(missing, demo, large)
    assert not ok and row[7].startswith("ERROR 1 failed: no such widget")
