"""How pages word the raw values services return: Chinese labels, Beijing times, placeholders.

Services hand pages typed values (enums, aware datetimes, ids, names or None); the wording lives here so
that every page says the same thing. Functions returning markdown escape user text with `md()`; the others
return plain text for sinks that render none (dataframes, select-box options) or that the caller escapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from studio.domain.clock import in_beijing
from studio.domain.views import BatchSkip, ThreadEntry
from studio.ui.components import md

HQ_LIBRARY_ZH = "总行素材库"  # where HQ's template versions "come from" in lists of orgs
NOBODY_ZH = "—"  # a person or org that is unknown or gone
COMMENT_ZH = "评论"


def person(name: str | None) -> str:
    return name or NOBODY_ZH


def subject_org(subject_type: str, org_name: str | None) -> str:
    """The org a review item belongs to: its org's name, or HQ's library for a template version."""
    if org_name:
        return org_name
    return HQ_LIBRARY_ZH if subject_type == "template_version" else NOBODY_ZH


def beijing(value: datetime, pattern: str = "%m-%d %H:%M") -> str:
    """An aware (or naive UTC) timestamp as Beijing wall-clock time."""
    return in_beijing(value).strftime(pattern)


def thread_author(entry: ThreadEntry) -> str:
    return f"自动通过策略 #{entry.policy_id}" if entry.policy_id is not None else person(entry.author_name)


def thread_caption(entry: ThreadEntry) -> str:
    """One thread line as markdown: time, who, what, and the comment, user text made inert."""
    what = entry.decision.label if entry.decision is not None else COMMENT_ZH
    return f"{beijing(entry.at)} {md(thread_author(entry))} {what}：{md(entry.text)}"


def batch_problem(skip: BatchSkip) -> str:
    """Why batch approval left an item in the queue (plain text: callers escape it for markdown)."""
    if skip.has_findings:
        return f"“{skip.title}”有合规提示，需逐条审核"
    return f"“{skip.title}”：{skip.message_zh or ''}"


def labelled(counts: Mapping[Any, int]) -> dict[str, int]:
    """Counts keyed by a vocabulary member, re-keyed by its Chinese label (for charts)."""
    return {getattr(key, "label", str(key)): n for key, n in counts.items()}


def age_bucket(min_hours: int, max_hours: int | None) -> str:
    """A waiting-time bucket: "24小时内", "1-3天", "超过3天"."""
    if max_hours is None:
        return f"超过{min_hours // 24}天"
    if min_hours == 0:
        return f"{max_hours}小时内"
    return f"{min_hours // 24}-{max_hours // 24}天"


def slot_outline(body: str, slots: list[dict[str, Any]]) -> str:
    """A template body with every slot shown as 【its label】, for the localiser to see what to fill."""
    from studio.localisation import render as jinja

    return jinja.render(body, {s["name"]: f"【{s['label']}】" for s in slots})
