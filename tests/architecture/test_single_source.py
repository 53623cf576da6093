"""Each fact about the vocabulary has one home: occasion kinds, caps, severities on `studio.domain.enums`,
months on `studio.domain.month`, Beijing time on `studio.domain.clock`. A second copy fails here."""

from __future__ import annotations

import textwrap
from pathlib import Path

from studio.domain import month
from studio.domain.enums import Channel, OccasionKind, Severity
from studio.planning.model import PlanConfig
from tests.architecture.facts import (
    CLOCK_HOME,
    MONTH_HOME,
    beijing_fix,
    copies,
    month_text,
    outside_home,
    tables_in,
    vocabulary_tables,
)


def test_no_table_of_the_vocabulary_is_written_twice() -> None:
    problems = copies(vocabulary_tables())
    assert not problems, "\n".join(problems)


def test_month_text_has_one_home() -> None:
    assert not outside_home(month_text, MONTH_HOME), "parse months with studio.domain.month.Month"


def test_beijing_time_has_one_home() -> None:
    assert not outside_home(beijing_fix, CLOCK_HOME), (
        "use studio.domain.clock (as_utc, in_beijing, at_beijing)"
    )


def test_the_homes_hold_the_facts() -> None:
    """The scan sees the homes it protects (a scan that found nothing would pass vacuously)."""
    homes = {(t.module, t.enum) for t in vocabulary_tables()}
    assert {
        ("studio.domain.enums", "OccasionKind"),
        ("studio.domain.enums", "Channel"),
        ("studio.domain.enums", "Severity"),
    } <= homes
    assert len(month_text(Path(month.__file__).read_text(encoding="utf-8"))) >= 2  # monthrange, the regex


# -- the checks fail on the copies they exist for ------------------------------------------------------


def _tables(modules: dict[str, str]):  # type: ignore[no-untyped-def]
    return [t for name, source in modules.items() for t in tables_in(name, textwrap.dedent(source))]


def test_two_postable_sets_are_caught_even_when_they_differ() -> None:
    found = _tables(
        {
            "studio.planning.planner": '_PLACED = {"festival", "solar_term", "marketing_day"}\n',
            "studio.services.month_view": """
            def gaps(occasions):
                return [o for o in occasions if o.kind in ("festival", "solar_term")]
            """,
        }
    )
    (problem,) = copies(found)
    assert problem.startswith("OccasionKind: tables in 2 modules")


def test_one_copy_of_the_postable_set_is_caught() -> None:
    postable = sorted(k.value for k in OccasionKind if k.postable)
    home = tables_in(
        "studio.domain.enums",
        textwrap.dedent("""
        _POSTABLE = frozenset({OccasionKind.FESTIVAL, OccasionKind.SOLAR_TERM, OccasionKind.FINANCE_DAY,
                               OccasionKind.REGIONAL, OccasionKind.HOT_TOPIC, OccasionKind.MARKETING_DAY})
        """),
    )
    copy = tables_in("studio.services.dashboard", f"GAP_KINDS = {tuple(postable)!r}\n")
    assert copies(home + copy) == [f"copy of a table of studio.domain: {copy[0]}"]


def test_two_cap_tables_and_two_rank_tables_are_caught() -> None:
    found = _tables(
        {
            "studio.services.calendar": "DAILY_CAP = {Channel.MOMENTS: 3, Channel.GROUP: 5}\n",
            "studio.planning.model": "CAP = {Channel.MOMENTS: 3, Channel.GROUP: 3}\n",
            "studio.compliance.engine": "_RANK = {Severity.INFO: 0, Severity.REVIEW: 1, Severity.BLOCK: 2}\n",
            "studio.compliance.highlight": '_RANK = {"info": 0, "review": 1, "block": 2}\n',
        }
    )
    assert [p.split(":")[0] for p in copies(found)] == ["Channel", "Severity"]


def test_month_and_clock_copies_are_caught() -> None:
    assert month_text('year, mon = (int(p) for p in month.split("-"))\n') == [1]
    assert month_text("import calendar\nlast = calendar.monthrange(2026, 2)[1]\n") == [2]
    assert month_text('import re\nMONTH = re.compile(r"^\\d{4}-\\d{2}$")\n') == [2]
    assert month_text('import re\nMONTH = re.compile(r"(\\d{4})-(\\d{2})")\n') == [2]
    assert month_text('label = f"{today:%Y-%m}"\n') == [1]
    assert month_text('day = f"{today:%Y-%m-%d}"\n') == []
    assert beijing_fix("at = value if value.tzinfo else value.replace(tzinfo=UTC)\n") == [1]
    assert beijing_fix("shown = value.astimezone(BEIJING)\n") == [1]
    assert beijing_fix("start = datetime.combine(day, time.min, BEIJING)\n") == [1]
    assert beijing_fix("now = datetime.now(UTC)\n") == []


# -- the facts themselves, from their one home ---------------------------------------------------------


def test_one_cap_table_for_planner_and_hand_placement() -> None:
    config = PlanConfig()
    assert config.daily_cap == {c: c.daily_cap for c in Channel}
    assert config.monthly_cap == {c: c.monthly_cap for c in Channel}
    assert all(0 < config.daily_target[c] <= c.daily_cap for c in config.daily_target)
    # WeCom: a customer sees at most 3 Moments posts a day and 90 a month from a company account.
    assert (Channel.MOMENTS.daily_cap, Channel.MOMENTS.monthly_cap) == (3, 90)


def test_postable_kinds_include_marketing_days_and_exclude_context() -> None:
    assert OccasionKind.MARKETING_DAY.postable and OccasionKind.HOT_TOPIC.postable
    assert not any(
        k.postable
        for k in (
            OccasionKind.HOLIDAY,
            OccasionKind.WORKDAY,
            OccasionKind.SEASON,
            OccasionKind.PRODUCT,
            OccasionKind.EVERYDAY,
        )
    )
    assert [k for k in OccasionKind if not k.taggable] == [OccasionKind.WORKDAY]


def test_severity_rank_orders_info_review_block() -> None:
    assert sorted(Severity, key=lambda s: s.rank) == [Severity.INFO, Severity.REVIEW, Severity.BLOCK]
