"""Recall and false-positive rate over the labelled corpus (tests/compliance/corpus.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from studio.compliance import check_text
from studio.domain.enums import Severity

CORPUS = yaml.safe_load((Path(__file__).with_name("corpus.yaml")).read_text(encoding="utf-8"))
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.03


def _flagged(entry: dict[str, Any]) -> set[str]:
    result = check_text(
        entry["text"], product=entry.get("product", "general"), channel=entry.get("channel", "moments")
    )
    for finding in result.findings:  # spans always point at the original text
        if finding.start is not None:
            assert entry["text"][finding.start : finding.end] == finding.text
    return {f.code for f in result.findings if f.severity is not Severity.INFO}


def test_corpus_size_and_labels() -> None:
    total = sum(len(CORPUS[k]) for k in ("violating", "evasion", "compliant"))
    assert total >= 150
    assert all(entry["expect"] for k in ("violating", "evasion") for entry in CORPUS[k])
    assert len(CORPUS["evasion"]) >= 25 and len(CORPUS["compliant"]) >= 60


def test_recall_and_false_positive_rate(record_property: pytest.RecordProperty) -> None:
    positives = CORPUS["violating"] + CORPUS["evasion"]
    missed = []
    for entry in positives:
        flagged = _flagged(entry)
        if not set(entry["expect"]) <= flagged:
            missed.append((entry["text"][:40], sorted(set(entry["expect"]) - flagged)))
    false_positives = []
    for entry in CORPUS["compliant"]:
        flagged = _flagged(entry)
        if flagged:
            false_positives.append((entry["text"][:40], sorted(flagged)))
    recall = 1 - len(missed) / len(positives)
    fp_rate = len(false_positives) / len(CORPUS["compliant"])
    evasion_missed = sum(1 for e in CORPUS["evasion"] if not set(e["expect"]) <= _flagged(e))
    report = (
        f"corpus: {len(positives)} violating ({len(CORPUS['evasion'])} evasion, {evasion_missed} missed), "
        f"{len(CORPUS['compliant'])} compliant; recall {recall:.1%}, false-positive rate {fp_rate:.1%}"
    )
    print(report)
    record_property("recall", round(recall, 4))
    record_property("false_positive_rate", round(fp_rate, 4))
    assert recall >= MIN_RECALL, f"{report}; missed: {missed}"
    assert fp_rate <= MAX_FALSE_POSITIVE_RATE, f"{report}; false positives: {false_positives}"
