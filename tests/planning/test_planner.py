"""The planner: caps, mix, occasion placement, no repeats, gaps, locality."""

from __future__ import annotations

from collections import Counter
from datetime import date

from studio.domain.enums import Channel, ContentType
from studio.occasions import Occasion
from studio.planning.model import Candidate, PlanConfig
from studio.planning.planner import propose


def cand(i, ctype=ContentType.KNOWLEDGE, channel=Channel.MOMENTS, occasion=None, kind="everyday", **kw):
    return Candidate(
        variant_id=i,
        title=f"内容{i}",
        text=f"正文{i}",
        channel=channel,
        content_type=ctype,
        product_type="general" if ctype is not ContentType.PRODUCT else "wealth",
        occasion_kind=kind,
        occasion=occasion,
        **kw,
    )


def rich_pool():
    pool = []
    i = 0
    for ctype, n in (
        (ContentType.KNOWLEDGE, 20),
        (ContentType.SERVICE, 15),
        (ContentType.INTERACTION, 15),
        (ContentType.CULTURE, 15),
        (ContentType.PRODUCT, 30),
    ):
        for _ in range(n):
            i += 1
            pool.append(cand(i, ctype))
    for _ in range(20):
        i += 1
        pool.append(cand(i, ContentType.INTERACTION, Channel.GROUP))
    return pool


WINTER = [
    Occasion(date=date(2026, 12, 22), name="冬至", kind="solar_term"),
    Occasion(date=date(2026, 12, 7), name="大雪", kind="solar_term"),
    Occasion(date=date(2026, 12, 25), name="圣诞节", kind="festival"),
]


def test_caps_are_never_exceeded_even_with_tight_config():
    config = PlanConfig(
        daily_cap={Channel.MOMENTS: 1, Channel.GROUP: 1},
        monthly_cap={Channel.MOMENTS: 20, Channel.GROUP: 5},
        daily_target={Channel.MOMENTS: 3, Channel.GROUP: 2},
        no_repeat_days=0,
    )
    plan = propose("X", "2026-12", rich_pool(), WINTER, config=config)
    per_day = Counter((e.day, e.channel) for e in plan.entries)
    assert max(per_day.values()) == 1
    per_month = Counter(e.channel for e in plan.entries)
    assert per_month[Channel.MOMENTS] == 20 and per_month[Channel.GROUP] == 5


def test_default_caps_are_wecoms():
    plan = propose(
        "X",
        "2026-12",
        rich_pool() + [cand(900 + n, occasion="冬至", kind="solar_term") for n in range(5)],
        WINTER,
    )
    per_day = Counter((e.day, e.channel) for e in plan.entries if e.channel is Channel.MOMENTS)
    assert max(per_day.values()) <= 3
    assert sum(per_day.values()) <= 90


def test_mix_within_target_when_content_allows():
    plan = propose("X", "2026-12", rich_pool(), WINTER)
    assert plan.mix_ok and plan.mix["product"] <= 0.30
    assert plan.mix["product"] > 0  # product content is used, within its share


def test_mix_reported_when_content_cannot_meet_it():
    only_product = [cand(i, ContentType.PRODUCT) for i in range(1, 40)]
    festive = only_product + [cand(100, ContentType.PRODUCT, occasion="冬至", kind="product")]
    plan = propose("X", "2026-12", festive, WINTER)
    # Fillers refuse to push product over 30%, so the month has gaps instead of a product flood.
    assert plan.gaps
    forced = propose("X", "2026-12", festive, WINTER, config=PlanConfig(mix_max={ContentType.PRODUCT: 0.0}))
    assert not forced.mix_ok and forced.warnings and "产品营销型" in forced.warnings[0]


def test_occasion_content_goes_on_its_day_or_just_before():
    pool = rich_pool() + [
        cand(500, ContentType.CULTURE, occasion="冬至", kind="solar_term"),
        cand(501, ContentType.CULTURE, occasion="大雪", kind="solar_term"),
    ]
    plan = propose("X", "2026-12", pool, WINTER)
    on = {e.occasion: e.day for e in plan.entries if e.occasion}
    assert on["冬至"] == date(2026, 12, 22) and on["大雪"] == date(2026, 12, 7)
    # A full day pushes it to the day before, never after.
    full = PlanConfig(daily_cap={Channel.MOMENTS: 1, Channel.GROUP: 1})
    crowded = [cand(600 + n, ContentType.CULTURE, occasion="冬至", kind="solar_term") for n in range(3)]
    plan = propose(
        "X",
        "2026-12",
        crowded + [cand(700, ContentType.CULTURE, occasion="圣诞节", kind="festival")],
        WINTER + [Occasion(date=date(2026, 12, 22), name="圣诞节", kind="festival")],
        config=full,
    )
    placed = sorted((e.day, e.occasion) for e in plan.entries if e.occasion)
    # 冬至 takes the 22nd's one Moments slot; the other occasion of that day moves to the 21st, not after.
    assert placed == [
        (date(2026, 12, 21), "圣诞节"),
        (date(2026, 12, 22), "冬至"),
        (date(2026, 12, 25), "圣诞节"),
    ]


def test_gap_listed_for_occasion_without_content():
    plan = propose("X", "2026-12", rich_pool(), WINTER)
    assert {g.occasion for g in plan.gaps if g.occasion} == {"冬至", "大雪", "圣诞节"}


def test_no_repeat_within_n_days():
    plan = propose("X", "2026-12", rich_pool(), [], config=PlanConfig(no_repeat_days=10))
    last: dict[int, date] = {}
    repeats = []
    for e in sorted(plan.entries, key=lambda e: e.day):
        if e.variant_id in last:
            repeats.append((e.day - last[e.variant_id]).days)
        last[e.variant_id] = e.day
    # The month does reuse content (the rule was exercised), never sooner than 10 days apart.
    assert repeats and min(repeats) >= 10


def test_hot_topic_only_within_its_window():
    topic = Occasion(date=date(2026, 12, 10), end=date(2026, 12, 12), name="寒潮", kind="hot_topic")
    c = cand(
        800,
        ContentType.KNOWLEDGE,
        occasion="寒潮",
        kind="hot_topic",
        valid_from=date(2026, 12, 10),
        valid_to=date(2026, 12, 12),
    )
    plan = propose("X", "2026-12", rich_pool() + [c], [topic])
    days = [e.day for e in plan.entries if e.variant_id == 800]
    assert days and all(date(2026, 12, 10) <= d <= date(2026, 12, 12) for d in days)


def test_regional_variant_preferred_over_national():
    national = cand(1, ContentType.CULTURE, occasion="冬至", kind="solar_term", locality=0)
    local = cand(2, ContentType.CULTURE, occasion="冬至", kind="solar_term", locality=2)
    plan = propose("X", "2026-12", [national, local], WINTER)
    assert [e.variant_id for e in plan.entries if e.occasion == "冬至"] == [2]
