"""节日日历 service: approved content per occasion, gaps, hot topics and their expiry."""

from __future__ import annotations

from datetime import date

import pytest

from studio.domain.enums import Decision
from studio.errors import PermissionDenied, ValidationError
from studio.services import reviews
from studio.services.occasion_calendar import add_hot_topic, overview
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now


def _approved(world, **fields):
    draft = TemplateDraft(
        title=fields.pop("title", "问候"), body=fields.pop("body", "{{ city }}的朋友们，节日快乐！"), **fields
    )
    t = create_template(world.session, world.actor("editor"), draft)
    decide_now(world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    return t


def test_counts_and_gaps_by_province(world):
    _approved(world, occasion_kind="solar_term", occasion="冬至", channel="group")
    _approved(world, occasion_kind="solar_term", occasion="大雪", channel="moments")
    _approved(world, occasion_kind="regional", occasion="壮族三月三", region="广西")
    data = overview(world.session, world.actor("editor"), date(2026, 12, 1), date(2026, 12, 31), "江西")
    rows = {r.name: r for r in data.rows}
    assert rows["大雪"].approved == 1 and rows["大雪"].gap is None
    assert rows["冬至"].approved == 1 and rows["冬至"].gap == "冬至：江西暂无已审核通过的朋友圈内容"
    assert rows["圣诞节"].gap == "圣诞节：江西暂无已审核通过的内容"
    spring = overview(world.session, world.actor("editor"), date(2026, 1, 1), date(2026, 12, 31), "江西")
    assert all(r.name != "壮族三月三" for r in spring.rows)
    guangxi = overview(world.session, world.actor("editor"), date(2026, 1, 1), date(2026, 12, 31), "广西")
    assert next(r for r in guangxi.rows if r.name == "壮族三月三").approved == 1


def test_hot_topics_appear_in_window_and_expire_their_content(world):
    editor = world.actor("editor")
    with pytest.raises(PermissionDenied):
        add_hot_topic(
            world.session, world.actor("loc_a"), name="寒潮", start=date(2026, 12, 1), end=date(2026, 12, 3)
        )
    with pytest.raises(ValidationError):
        add_hot_topic(world.session, editor, name="寒潮", start=date(2026, 12, 3), end=date(2026, 12, 1))
    with pytest.raises(ValidationError):
        add_hot_topic(
            world.session, editor, name="寒潮", start=date(2026, 12, 1), end=date(2026, 12, 3), region="火星"
        )
    add_hot_topic(world.session, editor, name="寒潮", start=date(2026, 12, 1), end=date(2026, 12, 3))
    _approved(world, title="寒潮防寒提示", occasion_kind="hot_topic", occasion="寒潮")
    data = overview(world.session, editor, date(2026, 12, 1), date(2026, 12, 31), "江西")
    assert any(r.name == "寒潮" and r.kind == "hot_topic" and r.approved == 1 for r in data.rows)
    assert reviews.expire_due(world.session, world.actor("admin"), date(2026, 12, 3)) == 0
    assert reviews.expire_due(world.session, world.actor("admin"), date(2026, 12, 4)) == 1
