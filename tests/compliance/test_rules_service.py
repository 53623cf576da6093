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


def test_an_earlier_ruleset_can_be_put_back_and_is_then_in_force(world):
    """Add a term, take it out, add it again: the third edit stores the content of the first once more (its
    content hash is taken) and it is the active ruleset again; every check uses it."""
    admin = world.actor("admin")
    terms = rules.rule_terms(world.session, "ADV001")
    first = rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"])
    rules.update_rule(world.session, admin, "ADV001", terms=terms)
    again = rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"])
    assert again == first and rules.active_ruleset(world.session).version == first
    assert rules.check(world.session, "本周超值惊喜", "general", "moments").findings
    assert len(rules.history(world.session)) == 3


def test_an_edit_that_lost_a_race_is_a_conflict_not_a_crash(world, monkeypatch):
    """Two admins (on two instances) store the same new content at once: the second insert hits the unique
    version; it is refused with a message, nothing is half-written and the ruleset in force is unchanged."""
    from studio.errors import Conflict

    admin = world.actor("admin")
    terms = rules.rule_terms(world.session, "ADV001")
    won = rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"])
    current = rules.update_rule(world.session, admin, "ADV001", terms=terms)
    monkeypatch.setattr(
        rules, "_stored", lambda session, version: False
    )  # as if read before the winner's commit
    with pytest.raises(Conflict) as error:
        rules.update_rule(world.session, admin, "ADV001", terms=[*terms, "超值惊喜"])
    assert "刷新" in error.value.message_zh
    assert len(rules.history(world.session)) == 2 and rules.active_ruleset(world.session).version == current
    assert current != won
