"""`studio library check|import|export|stats` on fixture libraries and fresh databases."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from studio.cli import main
from studio.db.models import AuditEvent, Org, Template, TemplateVersion, User
from studio.domain.enums import ReviewState
from studio.errors import ValidationError
from studio.materials.exporter import export_library
from studio.materials.loader import load_library
from studio.materials.validate import check_library
from studio.services.library_import import ensure_library_actor, import_library
from studio.services.templates import validate_draft

from .conftest import LIBRARY_DIR

GOOD = """\
templates:
  - code: t-dongzhi
    title: 冬至问候
    occasion_kind: solar_term
    occasion: 冬至
    content_type: culture
    persona: expert
    channel: moments
    product_type: general
    body: |
      {{ city }}的朋友们，冬至快乐！{{ branch_name }}祝您阖家团圆。
  - code: t-deposit
    title: 定期存款
    occasion_kind: product
    content_type: product
    persona: advisor
    channel: group
    product_type: deposit
    slots:
      - {name: product_name, label: 产品名称, type: text, max_length: 30, sample: 整存整取定期存款}
    body: |
      {{ bank_name }}{{ product_name }}，利率以网点挂牌公告为准。
"""


def _library(root: Path, files: dict[str, str]) -> Path:
    (root / "templates").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "templates" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Org, User, Template, TemplateVersion, AuditEvent)
    }


def _versions(session: Session) -> list[tuple[str, int, str | None]]:
    rows = session.exec(
        select(Template.code, TemplateVersion.version_no, TemplateVersion.source_digest).join(
            TemplateVersion, TemplateVersion.template_id == Template.id
        )
    )
    return sorted(rows.all())


# --- check -----------------------------------------------------------------------------------------------


def test_check_accepts_a_clean_fixture(tmp_path):
    report = check_library(_library(tmp_path, {"a.yaml": GOOD}))
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.entries) == 2


BROKEN = """\
templates:
  - code: t-ok
    title: 冬至问候
    occasion_kind: solar_term
    content_type: culture
    persona: expert
    channel: moments
    product_type: general
    body: "{{ city }}冬至快乐"
  - code: t-ok
    title: 重复编号
    occasion_kind: solar_term
    content_type: culture
    persona: expert
    channel: moments
    product_type: general
    body: "{{ city }}冬至快乐"
  - code: t-tag
    title: 未知标签
    occasion_kind: birthday
    content_type: culture
    persona: expert
    channel: moments
    product_type: general
    colour: red
    body: "你好"
  - code: t-slot
    title: 未声明插槽
    occasion_kind: everyday
    content_type: knowledge
    persona: expert
    channel: moments
    product_type: general
    body: "{{ rate }} 你好"
  - code: t-unused
    title: 声明未用
    occasion_kind: everyday
    content_type: knowledge
    persona: expert
    channel: moments
    product_type: general
    slots:
      - {name: product_name, label: 产品, type: text, max_length: 20, sample: 示例}
    body: "你好"
  - code: t-long
    title: 海报太长
    occasion_kind: everyday
    content_type: knowledge
    persona: expert
    channel: poster
    product_type: general
    body: "{{ '长' * 400 }}"
  - code: t-risky
    title: 违规文案
    occasion_kind: product
    content_type: product
    persona: seeder
    channel: moments
    product_type: wealth
    body: "保本稳赚，零风险，限时抢购！"
"""


def test_check_reports_file_and_line_for_each_problem(tmp_path):
    library = _library(
        tmp_path, {"broken.yaml": BROKEN, "bad-yaml.yaml": "templates:\n  - code: [unclosed\n"}
    )
    report = check_library(library)
    assert not report.ok
    lines = [str(p) for p in report.problems]
    path = library / "templates" / "broken.yaml"

    def at(line: int, field: str, fragment: str) -> None:
        assert any(s.startswith(f"{path}:{line} {field}: ") and fragment in s for s in lines), (
            line,
            fragment,
            lines,
        )

    at(10, "code", "duplicate code 't-ok'")
    at(25, "colour", "unknown field")
    at(20, "occasion_kind", "unknown occasion_kind 'birthday'")
    at(34, "body", "undeclared slots: rate")
    at(43, "slots[0]", "declared slot 'product_name' not used in body")
    at(52, "body", "longer than 300")
    at(60, "body", "compliance verdict block")
    assert any(
        s.startswith(f"{library / 'templates' / 'bad-yaml.yaml'}:") and "invalid YAML" in s for s in lines
    )
    risky = next(s for s in lines if "compliance verdict" in s)
    assert "INV" in risky or "ADV" in risky  # the findings' rule codes are named


def test_check_command_exit_codes(tmp_path, capsys):
    clean = _library(tmp_path / "clean", {"a.yaml": GOOD})
    assert main(["library", "check", "--library", str(clean)]) == 0
    broken = _library(tmp_path / "broken", {"b.yaml": BROKEN})
    assert main(["library", "check", "--library", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "b.yaml:10 code: duplicate code" in out
    assert main(["library", "check", "--library", str(tmp_path / "missing")]) == 2


def test_unknown_region_and_regional_without_region(tmp_path):
    text = GOOD.replace("    product_type: general\n", "    product_type: general\n    region: 火星\n", 1)
    text += (
        "  - code: t-regional\n"
        "    title: 三月三\n"
        "    occasion_kind: regional\n"
        "    occasion: 壮族三月三\n"
        "    content_type: culture\n"
        "    persona: seeder\n"
        "    channel: moments\n"
        "    product_type: general\n"
        "    body: 三月三快乐\n"
    )
    lines = [str(p) for p in check_library(_library(tmp_path, {"r.yaml": text})).problems]
    assert any("unknown region '火星'" in s for s in lines), lines
    assert any("regional template needs a region" in s for s in lines), lines


# --- import ----------------------------------------------------------------------------------------------


def test_import_on_fresh_database_twice_changes_nothing(migrated_engine):
    with Session(migrated_engine) as session:
        first = import_library(session, LIBRARY_DIR)
    assert len(first.created) >= 150 and not first.updated and not first.unchanged
    with Session(migrated_engine) as session:
        counts, versions = _counts(session), _versions(session)
    with Session(migrated_engine) as session:
        second = import_library(session, LIBRARY_DIR)
    assert not second.changed and len(second.unchanged) == len(first.created)
    with Session(migrated_engine) as session:
        assert _counts(session) == counts
        assert _versions(session) == versions


def test_changed_file_makes_a_new_submitted_version(tmp_path, migrated_engine):
    library = _library(tmp_path, {"a.yaml": GOOD})
    with Session(migrated_engine) as session:
        import_library(session, library)
    (library / "templates" / "a.yaml").write_text(GOOD.replace("冬至快乐", "冬至安康"), encoding="utf-8")
    with Session(migrated_engine) as session:
        report = import_library(session, library)
        assert report.updated == ["t-dongzhi"] and report.unchanged == ["t-deposit"]
        template = session.exec(select(Template).where(Template.code == "t-dongzhi")).one()
        versions = session.exec(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template.id)
            .order_by(TemplateVersion.version_no)
        ).all()
        assert [v.version_no for v in versions] == [1, 2]
        assert "冬至安康" in versions[1].body
        assert versions[1].state == ReviewState.SUBMITTED.value


def test_import_refuses_a_broken_library_and_writes_nothing(tmp_path, migrated_engine):
    library = _library(tmp_path, {"a.yaml": GOOD, "b.yaml": BROKEN})
    with Session(migrated_engine) as session, pytest.raises(ValidationError):
        import_library(session, library)
    with Session(migrated_engine) as session:
        assert _counts(session)["Template"] == 0


def test_import_command_prints_counts(tmp_path, migrated_url, capsys):
    library = _library(tmp_path / "lib", {"a.yaml": GOOD})
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 0
    assert "created 2, updated 0, unchanged 0" in capsys.readouterr().out
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 0
    assert "created 0, updated 0, unchanged 2" in capsys.readouterr().out


def test_import_command_refuses_a_broken_library(tmp_path, migrated_url, capsys):
    library = _library(tmp_path / "lib", {"a.yaml": GOOD, "b.yaml": BROKEN})
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 1
    assert "b.yaml:10 code: duplicate code" in capsys.readouterr().out
    assert main(["library", "import", "--library", str(tmp_path / "nowhere"), "--url", migrated_url]) == 2


def test_import_command_uses_settings_database(tmp_path, migrated_url, monkeypatch, capsys):
    from studio.db.engine import engine_for
    from studio.settings import get_settings

    # The library directory comes from --library here: STUDIO_LIBRARY_DIR also locates the compliance
    # lexicons, which a fixture library does not carry.
    monkeypatch.setenv("STUDIO_DATABASE_URL", migrated_url)
    library = _library(tmp_path / "lib", {"a.yaml": GOOD})
    get_settings.cache_clear()
    try:
        assert main(["library", "import", "--library", str(library)]) == 0
        assert "created 2" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
        engine_for.cache_clear()


# --- export ----------------------------------------------------------------------------------------------


def _normalised(entries) -> dict[str, tuple]:
    out = {}
    for entry in entries:
        draft, slots, sample = validate_draft(entry.draft())
        out[draft.code] = (draft.model_dump(exclude={"slots"}), [s.model_dump() for s in slots], sample)
    return out


def test_export_round_trip(tmp_path, migrated_engine):
    with Session(migrated_engine) as session:
        import_library(session, LIBRARY_DIR)
    with Session(migrated_engine) as session:
        report = export_library(session, ensure_library_actor(session), tmp_path / "out")
    original, _ = load_library(LIBRARY_DIR)
    exported, problems = load_library(tmp_path / "out")
    assert not problems
    assert report.templates == len(original) == len(exported)
    assert {p.name for p in report.files} <= {
        f"{k.replace('_', '-')}.yaml" for k in {e.data["occasion_kind"] for e in original}
    }
    assert _normalised(exported) == _normalised(original)
    assert check_library(tmp_path / "out").ok
    # Importing what was exported changes nothing: the digest covers meaning, not spelling.
    with Session(migrated_engine) as session:
        again = import_library(session, tmp_path / "out")
    assert not again.changed and len(again.unchanged) == len(original)


def test_export_command_writes_the_latest_version(tmp_path, migrated_url, capsys):
    library = _library(tmp_path / "lib", {"a.yaml": GOOD})
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 0
    (library / "templates" / "a.yaml").write_text(GOOD.replace("冬至快乐", "冬至安康"), encoding="utf-8")
    assert main(["library", "import", "--library", str(library), "--url", migrated_url]) == 0
    out = tmp_path / "out"
    assert main(["library", "export", "--out", str(out), "--url", migrated_url]) == 0
    assert sorted(p.name for p in (out / "templates").iterdir()) == ["product.yaml", "solar-term.yaml"]
    entries, _ = load_library(out)
    assert "冬至安康" in next(e for e in entries if e.data["code"] == "t-dongzhi").data["body"]


# --- stats -----------------------------------------------------------------------------------------------


def test_stats_json_and_text(tmp_path, capsys):
    library = _library(tmp_path, {"a.yaml": GOOD})
    assert main(["library", "stats", "--library", str(library), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 2
    assert data["occasion_kind_x_content_type"]["solar_term"]["culture"] == 1
    assert data["channel"] == {"moments": 1, "group": 1, "private": 0, "welcome": 0, "poster": 0}
    assert data["product_type"]["deposit"] == 1
    assert ["festival", "norms"] in data["empty_cells"]
    assert main(["library", "stats", "--library", str(library)]) == 0
    text = capsys.readouterr().out
    assert "occasion_kind x content_type" in text and "solar_term" in text


def test_stats_on_real_library_has_no_empty_cells(capsys):
    assert main(["library", "stats", "--library", str(LIBRARY_DIR), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] >= 150 and data["empty_cells"] == []


def test_fixture_library_can_be_copied_and_checked(tmp_path):
    shutil.copytree(LIBRARY_DIR / "templates", tmp_path / "templates")
    assert check_library(tmp_path).ok
