"""The wording pages give the raw values services return: same Chinese text as before issue 15."""

from __future__ import annotations

from datetime import UTC, datetime

from studio.domain.enums import ContentType, Decision
from studio.domain.views import BatchSkip, ThreadEntry
from studio.ui.components import md
from studio.ui.format import (
    age_bucket,
    batch_problem,
    beijing,
    labelled,
    person,
    slot_outline,
    subject_org,
    thread_caption,
)

AT = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)  # 00:05 the next day in Beijing


def _entry(**changes: object) -> ThreadEntry:
    values: dict[str, object] = {
        "at": AT,
        "decision": None,
        "author_name": "王审核",
        "policy_id": None,
        "text": "请改标题",
    }
    return ThreadEntry.model_validate({**values, **changes})


def test_thread_lines_read_as_before():
    assert thread_caption(_entry()) == f"12-04 00:05 王审核 评论：{md('请改标题')}"
    assert thread_caption(_entry(decision=Decision.REQUEST_CHANGES)).startswith(
        "12-04 00:05 王审核 退回修改："
    )
    policy = _entry(decision=Decision.APPROVE, author_name=None, policy_id=7, text="")
    assert thread_caption(policy) == f"12-04 00:05 {md('自动通过策略 #7')} 通过："
    assert thread_caption(_entry(author_name=None)).startswith("12-04 00:05 — 评论")


def test_user_text_in_a_thread_line_is_inert():
    line = thread_caption(_entry(author_name="**x**", text="[a](https://e.example)"))
    assert "**x**" not in line and "[a](" not in line and md("**x**") in line


def test_naive_times_are_utc_and_shown_in_beijing():
    assert beijing(AT.replace(tzinfo=None)) == beijing(AT) == "12-04 00:05"
    assert beijing(AT, "%Y-%m-%d %H:%M") == "2026-12-04 00:05"


def test_placeholders_for_missing_people_and_hq_library():
    assert (person(None), person("李四")) == ("—", "李四")
    assert subject_org("template_version", None) == "总行素材库"
    assert (subject_org("variant", None), subject_org("variant", "章贡支行")) == ("—", "章贡支行")


def test_batch_problems_and_age_buckets_keep_their_wording():
    flagged = BatchSkip(
        subject_type="variant", subject_id=1, title="冬至", has_findings=True, message_zh=None
    )
    refused = BatchSkip(
        subject_type="variant", subject_id=2, title="春节", has_findings=False, message_zh="已处理。"
    )
    assert batch_problem(flagged) == "“冬至”有合规提示，需逐条审核"
    assert batch_problem(refused) == "“春节”：已处理。"
    assert [age_bucket(0, 24), age_bucket(24, 72), age_bucket(72, None)] == ["24小时内", "1-3天", "超过3天"]


def test_counts_are_labelled_for_charts_in_order():
    got = labelled({ContentType.CULTURE: 2, ContentType.PRODUCT: 1})
    assert list(got.items()) == [("文化价值观型", 2), ("产品营销型", 1)]


def test_slot_outline_marks_every_slot():
    slots = [{"name": "city", "label": "城市"}, {"name": "branch_name", "label": "网点名称"}]
    assert (
        slot_outline("{{ city }}的朋友们，{{ branch_name }}祝您愉快", slots)
        == "【城市】的朋友们，【网点名称】祝您愉快"
    )
