"""`studio poster list|render` (the command-line contract of issue 12)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.cli import main
from tests.posters.conftest import PosterWorld
from tests.posters.helpers import HEIGHT, LINK, WIDTH, decode_qr


@pytest.fixture
def cli_db(posters_world: PosterWorld, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PosterWorld]:
    from studio.db.engine import engine_for
    from studio.settings import get_settings

    monkeypatch.setenv("STUDIO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    engine_for.cache_clear()
    yield posters_world
    get_settings.cache_clear()
    engine_for.cache_clear()


def _contact(pw: PosterWorld, username: str, link: str | None = LINK) -> None:
    user = pw.user(username)
    user.display_name, user.job_title, user.contact_link = "张小红", "理财经理", link
    pw.session.add(user)
    pw.session.commit()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(cli_db: PosterWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "poster", "list")
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list) and [r["code"] for r in rows] == ["p-antifraud"]
    assert set(rows[0]) == {"code", "title", "layers"}
    assert rows[0]["layers"][0] == {"name": "title", "kind": "text"}
    assert {layer["kind"] for layer in rows[0]["layers"]} == {"text", "overlay", "qr"}


def test_render_for_staff_writes_the_png_and_the_qr_decodes(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(cli_db, "staff_a")
    out = tmp_path / "p.png"
    code, stdout, _ = _run(
        capsys, "poster", "render", "p-antifraud", "--org", "JX-A", "--staff", "staff_a", "--out", str(out)
    )
    assert code == 0, stdout
    result = json.loads(stdout)
    assert set(result) == {"path", "width", "height", "qr", "verdict", "findings"}
    assert (result["path"], result["width"], result["height"]) == (str(out), WIDTH, HEIGHT)
    assert result["qr"] == LINK and decode_qr(out.read_bytes()) == LINK
    assert result["verdict"] == "pass" and result["findings"] == []
    assert Image.open(out).size == (WIDTH, HEIGHT)


def test_render_without_staff_has_no_qr(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.png"
    code, stdout, _ = _run(capsys, "poster", "render", "p-antifraud", "--org", "GX-A", "--out", str(out))
    assert code == 0
    assert json.loads(stdout)["qr"] is None and decode_qr(out.read_bytes()) == ""
    again = tmp_path / "q.png"
    assert _run(capsys, "poster", "render", "p-antifraud", "--org", "GX-A", "--out", str(again))[0] == 0
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_findings_that_block_exit_1_with_the_png_written(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = cli_db
    variant = pw.variant
    variant.slot_values = {**variant.slot_values, "hotline": "稳赚不赔 保本保息"}
    pw.session.add(variant)
    pw.session.commit()
    out = tmp_path / "p.png"
    code, stdout, _ = _run(capsys, "poster", "render", "p-antifraud", "--org", "JX-A", "--out", str(out))
    result = json.loads(stdout)
    assert code == 1 and out.is_file()
    assert result["verdict"] == "block"
    assert any("保本" in f["text"] or "稳赚" in f["text"] for f in result["findings"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["p-nope", "--org", "JX-A"], "poster template p-nope not found"),
        (["p-antifraud", "--org", "NOPE"], "org NOPE not found"),
        (["p-antifraud", "--org", "JX-A", "--staff", "ghost"], "user ghost not found"),
        (["p-antifraud", "--org", "GX-A", "--staff", "staff_a"], "does not belong to GX-A"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "p.png"
    code, stdout, stderr = _run(capsys, "poster", "render", *argv, "--out", str(out))
    assert code == 2 and stdout == "" and not out.exists()
    assert stderr.count("\n") == 1 and message in stderr


def test_unwritable_out_exits_2(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-dir" / "p.png"
    code, stdout, stderr = _run(capsys, "poster", "render", "p-antifraud", "--org", "JX-A", "--out", str(out))
    assert code == 2 and stdout == "" and stderr.startswith("error: cannot write")


def test_a_text_template_is_not_a_poster(
    cli_db: PosterWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = cli_db
    pw.version.poster = None
    pw.session.add(pw.version)
    pw.session.commit()
    code, _, stderr = _run(
        capsys, "poster", "render", "p-antifraud", "--org", "JX-A", "--out", str(tmp_path / "x.png")
    )
    assert code == 2 and "not a poster template" in stderr
