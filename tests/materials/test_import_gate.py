"""Issue #10: nothing enters the library around the checks.

Every file `studio library check` rejects, `studio library import` refuses too, writing nothing (no
template, version, org, user or audit row), with one `file:line field: message` line per problem that
points at the offending entry or key. Runs on SQLite and, with STUDIO_TEST_POSTGRES_URL, PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from studio.cli import main
from studio.db.models import AuditEvent, Org, Template, TemplateVersion, User
from studio.errors import Conflict, ValidationError
from studio.materials.validate import check_library
from studio.services.library_import import ImportReport, import_library

from .conftest import LIBRARY_DIR

GOOD = """\
templates:
  - code: t-good
    title: 冬至问候
    occasion_kind: solar_term
    occasion: 冬至
    content_type: culture
    persona: expert
    channel: moments
    product_type: general
    body: |
      {{ city }}的朋友们，冬至快乐！{{ branch_name }}祝您阖家团圆。
"""


def _entry(code: str = "t-bad", body: str = "{{ city }}的朋友们，小寒快乐！", **extra: str) -> str:
    """One otherwise valid template entry; `extra` lines are added (or replace keys) verbatim."""
    fields = {
        "code": code,
        "title": "小寒问候",
        "occasion_kind": "solar_term",
        "content_type": "culture",
        "persona": "expert",
        "channel": "moments",
        "product_type": "general",
        **extra,
        "body": f'"{body}"',
    }
    lines = [f"  - {k}: {v}" if i == 0 else f"    {k}: {v}" for i, (k, v) in enumerate(fields.items())]
    return "\n".join(lines) + "\n"


# name -> (bad file text, marker on the line the problem must point at, field named, message fragment)
ATTACKS: dict[str, tuple[str, str, str, str]] = {
    "blocking finding": (
        "templates:\n" + _entry(product_type="wealth", body="保本稳赚，零风险，限时抢购！"),
        'body: "保本稳赚',
        "body",
        "compliance verdict block",
    ),
    "unknown field": ("templates:\n" + _entry(colour="red"), "colour: red", "colour", "unknown field"),
    "path traversal in code": (
        "templates:\n" + _entry(code="../x"),
        "code: ../x",
        "code",
        "a-z, 0-9 and '-'",
    ),
    "slash in code": ("templates:\n" + _entry(code="a/b"), "code: a/b", "code", "a-z, 0-9 and '-'"),
    "unknown region": (
        "templates:\n" + _entry(region="火星"),
        "region: 火星",
        "region",
        "unknown region '火星'",
    ),
    "malformed YAML": (
        "templates:\n" + _entry() + "  - code: [unclosed\n    title: x\n",
        "title: x",
        "",
        "invalid YAML",
    ),
    "wrong type (list title)": (
        "templates:\n" + _entry(title="[a, b]"),
        "title: [a, b]",
        "title",
        "must be text",
    ),
    "wrong type (date)": (
        "templates:\n" + _entry(valid_from="not-a-date"),
        "valid_from: not-a-date",
        "valid_from",
        "date",
    ),
    "wrong type (slot max_length)": (
        "templates:\n"
        + _entry(
            body="{{ product_name }}",
            slots="\n      - {name: product_name, label: 产品, max_length: lots, sample: 示例}",
        ),
        "{name: product_name",
        "slots[0].max_length",
        "integer",
    ),
    "duplicate code across files": (
        "templates:\n" + _entry(code="t-good"),
        "code: t-good",
        "code",
        "duplicate code 't-good'",
    ),
    "duplicate key in one entry": (
        "templates:\n" + _entry(body="小寒快乐").replace("    body:", "    body: 看这里\n    body:"),
        'body: "小寒快乐',
        "body",
        "duplicate key",
    ),
    "missing field": (
        "templates:\n" + _entry().replace("    title: 小寒问候\n", ""),
        "- code: t-bad",
        "title",
        "field required",
    ),
    "entry is not a mapping": (
        "templates:\n" + _entry() + "  - just a string\n",
        "- just a string",
        "templates[1]",
        "mapping",
    ),
    "alias": (
        "templates:\n" + _entry(title="&t 小寒问候") + _entry(code="t-bad2", title="*t"),
        "title: *t",
        "",
        "alias",
    ),
}


def _library(root: Path, files: dict[str, str]) -> Path:
    (root / "templates").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "templates" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _line(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if marker in line)


def _rows(engine) -> dict[str, object]:
    with Session(engine) as session:
        counts = {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (Org, User, Template, TemplateVersion, AuditEvent)
        }
        versions = sorted(
            session.exec(
                select(TemplateVersion.template_id, TemplateVersion.version_no, TemplateVersion.body)
            ).all()
        )
        last_audit = session.exec(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    return {**counts, "versions": versions, "last_audit": last_audit}


def _assert_one_line_problem(out: str, name: str, text: str, marker: str, field: str, fragment: str) -> None:
    lines = out.splitlines()
    assert lines, "no problem printed"
    for line in lines:  # each problem is one `file:line[ field]: message` line, never a pydantic dump
        assert re.match(r"^\S+\.yaml:\d+( \S+)?: \S", line), line
    assert "validation error" not in out and "errors.pydantic.dev" not in out and "Traceback" not in out
    where = f"bad.yaml:{_line(text, marker)}" + (f" {field}:" if field else ":")
    assert any(where in line and fragment in line for line in lines), (name, where, fragment, lines)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_import_refuses_what_check_rejects_and_writes_nothing(
    name, tmp_path, migrated_url, migrated_engine, capsys
):
    text, marker, field, fragment = ATTACKS[name]
    library = _library(tmp_path / "lib", {"a.yaml": GOOD})
    # A database that already holds the good file: a refused import must not update it either.
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 0
    capsys.readouterr()
    (library / "templates" / "a.yaml").write_text(GOOD.replace("冬至快乐", "冬至安康"), encoding="utf-8")
    (library / "templates" / "bad.yaml").write_text(text, encoding="utf-8")
    before = _rows(migrated_engine)

    assert main(["library", "check", "--library", str(library)]) == 1
    _assert_one_line_problem(capsys.readouterr().out, name, text, marker, field, fragment)

    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 1
    captured = capsys.readouterr()
    _assert_one_line_problem(captured.out, name, text, marker, field, fragment)
    assert "nothing imported" in captured.err
    assert _rows(migrated_engine) == before


@pytest.mark.parametrize("name", ["blocking finding", "path traversal in code", "unknown region", "alias"])
def test_import_on_a_fresh_database_writes_no_row(name, tmp_path, migrated_engine):
    text = ATTACKS[name][0]
    library = _library(tmp_path, {"a.yaml": GOOD, "bad.yaml": text})
    before = _rows(migrated_engine)
    with Session(migrated_engine) as session, pytest.raises(ValidationError) as raised:
        import_library(session, library)
    assert "\n" not in raised.value.message_en and "\n" not in raised.value.message_zh
    assert "nothing imported" in raised.value.message_en
    assert (
        _rows(migrated_engine) == before == {**before, "Template": 0, "TemplateVersion": 0, "AuditEvent": 0}
    )


def test_import_and_check_report_the_same_problems(tmp_path, migrated_engine):
    """One function decides: the importer's problems are exactly check's, in the same order."""
    files = {"a.yaml": GOOD}
    files.update({f"bad{i}.yaml": text for i, (text, *_rest) in enumerate(ATTACKS.values())})
    library = _library(tmp_path, files)
    expected = [str(p) for p in check_library(library).problems]
    assert len(expected) >= len(ATTACKS)
    with Session(migrated_engine) as session, pytest.raises(ValidationError) as raised:
        import_library(session, library)
    assert [str(p) for p in raised.value.problems] == expected  # type: ignore[attr-defined]


def test_seed_demo_goes_through_the_same_gate(tmp_path, migrated_engine, monkeypatch):
    """The in-app path that imports the library (the demo seed) refuses a library check rejects."""
    from studio.services.seed import seed_demo
    from studio.settings import get_settings

    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    (library / "templates" / "bad.yaml").write_text(ATTACKS["blocking finding"][0], encoding="utf-8")
    monkeypatch.setenv("STUDIO_LIBRARY_DIR", str(library))
    get_settings.cache_clear()
    try:
        with Session(migrated_engine) as session, pytest.raises(ValidationError, match="bad.yaml"):
            seed_demo(session)
    finally:
        get_settings.cache_clear()
    with Session(migrated_engine) as session:
        assert session.exec(select(func.count()).select_from(Template)).one() == 0
        assert session.exec(select(func.count()).select_from(TemplateVersion)).one() == 0


def test_shipped_library_imports_cleanly_with_every_check(tmp_path, migrated_url, capsys):
    assert main(["library", "check", "--library", str(LIBRARY_DIR)]) == 0
    assert main(["library", "import", "--library", str(LIBRARY_DIR), "--url", migrated_url]) == 0
    assert re.search(r"created \d{3}, updated 0, unchanged 0", capsys.readouterr().out)


def test_concurrent_imports_leave_one_consistent_library(tmp_path, migrated_engine, monkeypatch):
    """Two imports that both passed the gate race to write: one wins, the other writes nothing and says
    so as a Conflict (never a raw IntegrityError, never half a library)."""
    from studio.services import library_import as importer

    library = _library(tmp_path, {"a.yaml": GOOD + _entry(code="t-second")})
    barrier = threading.Barrier(2)
    real_check = importer.check_library

    def check_then_wait(*args, **kwargs):  # both threads are past the gate before either writes
        report = real_check(*args, **kwargs)
        barrier.wait(timeout=60)
        return report

    monkeypatch.setattr(importer, "check_library", check_then_wait)
    outcomes: list[object] = []

    def run() -> None:
        try:
            with Session(migrated_engine) as session:
                outcomes.append(import_library(session, library))
        except Exception as error:  # collected and asserted below
            outcomes.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 2 and all(isinstance(o, ImportReport | Conflict) for o in outcomes), outcomes
    reports = [o for o in outcomes if isinstance(o, ImportReport)]
    assert sum(len(r.created) for r in reports) == 2
    for conflict in (o for o in outcomes if isinstance(o, Conflict)):
        assert "\n" not in conflict.message_en and "nothing imported" in conflict.message_en
    rows = _rows(migrated_engine)
    assert (rows["Org"], rows["User"], rows["Template"], rows["TemplateVersion"]) == (1, 1, 2, 2)
