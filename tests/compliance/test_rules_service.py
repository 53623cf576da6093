"""Compliance admins edit lexicon terms in the app: a new ruleset version that later checks use and record."""

from __future__ import annotations

from datetime import datetime

import pytest

from studio.compliance import default_ruleset
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.services import rules
from studio.services.templates import TemplateDraft, create_template


def test_edit_terms_makes_a_new_version_used_by_later_saves(world):
    admin = world.actor("admin")
    base = default_ruleset().version
    assert rules.active_ruleset(world.session).version == base
    draft = TemplateDraft(title="活动", body="本周网点有超值惊喜，欢迎到店。")
    before = create_template(world.session, world.actor("editor"), draft)
    assert before.ruleset == base and before.verdict == "pass"

    terms = rules.rule_terms(world.session, "ADV001")
    new = rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"], note="新增夸大用语")
    assert new != base and rules.active_ruleset(world.session).version == new
    after = create_template(world.session, world.actor("editor"), draft.model_copy(update={"title": "活动2"}))
    assert after.ruleset == new
    assert any(f["code"] == "ADV001" and f["text"] == "超值惊喜" for f in after.findings)
    latest = rules.history(world.session)[0]
    assert latest.version == new and latest.note == "新增夸大用语" and isinstance(latest.at, datetime)
    # Saving the same terms again changes nothing.
    assert rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"]) == new


def test_rule_editing_refusals(world):
    with pytest.raises(PermissionDenied):
        rules.update_rule(world.session, world.actor("reviewer"), "ADV001", terms=["最佳"])
    with pytest.raises(NotFound) as error:
        rules.update_rule(world.session, world.actor("admin"), "NOPE999", terms=["x"])
    assert "未知的规则编号" in error.value.message_zh
    with pytest.raises(ValidationError):
        rules.update_rule(world.session, world.actor("admin"), "ADV001", terms=["  ", ""])
    with pytest.raises(ValidationError):
        rules.update_rule(world.session, world.actor("admin"), "ADV001", terms=["长" * 31])
    assert rules.history(world.session) == []
