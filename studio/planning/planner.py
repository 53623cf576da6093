"""Propose a month of posts for one org from approved content: occasions first, then a healthy mix.

Greedy and deterministic: for each occasion the most local matching content goes on its day (or up
to `lead_days` before when the day is full); remaining target slots are filled day by day with the
content type furthest below its share, never repeating an item within `no_repeat_days`, and never
exceeding a daily or monthly cap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from studio.domain.enums import Channel, ContentType, OccasionKind
from studio.domain.month import Month
from studio.occasions import Occasion
from studio.planning.model import Candidate, Gap, Plan, PlanConfig, PlanEntry

# Everyday fillers rotate through these, most useful (利他) first.
FILL_ORDER = (
    ContentType.KNOWLEDGE,
    ContentType.SERVICE,
    ContentType.INTERACTION,
    ContentType.CULTURE,
    ContentType.PRODUCT,
    ContentType.NORMS,
)


class _Board:
    """What is placed so far, with the counts the caps and the mix need."""

    def __init__(self, config: PlanConfig) -> None:
        self.config = config
        self.entries: list[PlanEntry] = []
        self.per_day: Counter[tuple[date, Channel]] = Counter()
        self.per_month: Counter[Channel] = Counter()
        self.by_type: Counter[ContentType] = Counter()
        self.last_used: dict[int, date] = {}

    def room(self, day: date, channel: Channel) -> bool:
        return self.per_day[(day, channel)] < self.config.daily_cap.get(channel, 0) and self.per_month[
            channel
        ] < self.config.monthly_cap.get(channel, 0)

    def fresh(self, candidate: Candidate, day: date) -> bool:
        last = self.last_used.get(candidate.variant_id)
        return last is None or abs((day - last).days) >= self.config.no_repeat_days

    def mix_allows(self, content_type: ContentType) -> bool:
        limit = self.config.mix_max.get(content_type)
        if limit is None:
            return True
        total = len(self.entries) + 1
        return (self.by_type[content_type] + 1) / total <= limit + 1e-9

    def place(self, day: date, candidate: Candidate, occasion: str | None, reason: str) -> PlanEntry:
        index = self.per_day[(day, candidate.channel)]
        times = self.config.times
        entry = PlanEntry(
            day=day,
            time_of_day=times[min(index, len(times) - 1)],
            channel=candidate.channel,
            variant_id=candidate.variant_id,
            title=candidate.title,
            text=candidate.text,
            content_type=candidate.content_type,
            occasion=occasion,
            reason=reason,
        )
        self.entries.append(entry)
        self.per_day[(day, candidate.channel)] += 1
        self.per_month[candidate.channel] += 1
        self.by_type[candidate.content_type] += 1
        self.last_used[candidate.variant_id] = day
        return entry


def _rank(candidates: Iterable[Candidate], province: str | None) -> list[Candidate]:
    """Most local first: the org's own and regional variants before national ones."""
    return sorted(
        candidates,
        key=lambda c: (-(c.locality + (1 if c.region and c.region == province else 0)), c.variant_id),
    )


def propose(
    org_code: str,
    month: Month | str,
    candidates: list[Candidate],
    occasions: list[Occasion],
    *,
    province: str | None = None,
    config: PlanConfig | None = None,
) -> Plan:
    config = config or PlanConfig()
    month = month if isinstance(month, Month) else Month.parse(month)
    days = month.days()
    board = _Board(config)
    ranked = _rank(candidates, province)
    gaps = _place_occasions(board, ranked, occasions, days)
    gaps += _place_fillers(board, ranked, days)
    mix, warnings = _mix(board)
    entries = sorted(board.entries, key=lambda e: (e.day, e.channel.value, e.time_of_day))
    return Plan(
        org_code=org_code,
        month=str(month),
        entries=entries,
        gaps=gaps,
        mix=mix,
        mix_ok=not warnings,
        warnings=warnings,
    )


def _place_occasions(
    board: _Board, ranked: list[Candidate], occasions: list[Occasion], days: list[date]
) -> list[Gap]:
    """Occasions first: on the day, or just before it when the day is full. The gaps left."""
    by_occasion: dict[str, list[Candidate]] = defaultdict(list)
    for c in ranked:
        if c.occasion:
            by_occasion[c.occasion].append(c)
    gaps: list[Gap] = []
    for occasion in sorted(occasions, key=lambda o: o.date):
        if not occasion.kind.postable:  # seasons and holidays are context, not posts of their own
            continue
        window = _occasion_window(occasion, days)
        if not window:
            continue
        matches = [c for c in by_occasion.get(occasion.name, []) if any(c.valid_on(d) for d in window)]
        if not matches:
            gaps.append(
                Gap(
                    day=window[0],
                    channel=None,
                    occasion=occasion.name,
                    message=f"{occasion.name}：暂无已审核通过的内容",
                )
            )
            continue
        gaps += _place_occasion(board, occasion, matches, window, days[0])
    return gaps


def _occasion_window(occasion: Occasion, days: list[date]) -> list[date]:
    """The month's days an occasion's post may go on: its day, or a hot topic's whole run."""
    if occasion.kind is OccasionKind.HOT_TOPIC:
        return [d for d in days if occasion.date <= d <= (occasion.end or occasion.date)]
    return [occasion.date] if days[0] <= occasion.date <= days[-1] else []


def _place_occasion(
    board: _Board, occasion: Occasion, matches: list[Candidate], window: list[date], first: date
) -> list[Gap]:
    """The best match per channel; a gap for a channel whose days are full."""
    gaps: list[Gap] = []
    placed_channels: set[Channel] = set()
    for c in matches:
        if c.channel in placed_channels:
            continue
        day = _occasion_day(board, c, window, board.config, first)
        if day is None:
            gaps.append(
                Gap(
                    day=window[0],
                    channel=c.channel,
                    occasion=occasion.name,
                    message=f"{occasion.name}：{c.channel.label}已排满，无法安排",
                )
            )
            continue
        board.place(
            day, c, occasion.name, "节日节气" if occasion.kind is not OccasionKind.HOT_TOPIC else "热点"
        )
        placed_channels.add(c.channel)
    return gaps


def _place_fillers(board: _Board, ranked: list[Candidate], days: list[date]) -> list[Gap]:
    """Everyday fillers up to the daily target, keeping the mix. A gap for a day and channel left empty."""
    config = board.config
    fillers = [c for c in ranked if not c.occasion or not c.occasion_kind.dated]
    gaps: list[Gap] = []
    for day in days:
        for channel, target in config.daily_target.items():
            while board.per_day[(day, channel)] < min(target, config.daily_cap.get(channel, 0)):
                choice = _pick_filler(board, fillers, day, channel)
                if choice is None:
                    if board.per_day[(day, channel)] == 0:
                        gaps.append(
                            Gap(
                                day=day,
                                channel=channel,
                                occasion=None,
                                message=f"{day:%m月%d日}{channel.label}：没有可用的已审核内容",
                            )
                        )
                    break
                board.place(day, choice, None, "日常内容")
    return gaps


def _mix(board: _Board) -> tuple[dict[str, float], list[str]]:
    """The share of each content type, and a warning for each over its maximum."""
    total = len(board.entries) or 1
    mix = {ct.value: round(board.by_type[ct] / total, 3) for ct in ContentType}
    warnings = [
        f"{ct.label}占比 {mix[ct.value]:.0%}，超过目标 {limit:.0%}：其他类型内容不足"
        for ct, limit in board.config.mix_max.items()
        if mix[ct.value] > limit + 1e-9
    ]
    return mix, warnings


def _occasion_day(
    board: _Board, c: Candidate, window: list[date], config: PlanConfig, first: date
) -> date | None:
    for day in window:
        if c.valid_on(day) and board.room(day, c.channel):
            return day
    target = window[0]
    for back in range(1, config.lead_days + 1):
        day = target - timedelta(days=back)
        if day >= first and c.valid_on(day) and board.room(day, c.channel):
            return day
    return None


def _pick_filler(board: _Board, fillers: list[Candidate], day: date, channel: Channel) -> Candidate | None:
    if not board.room(day, channel):
        return None
    usable = [c for c in fillers if c.channel is channel and c.valid_on(day) and board.fresh(c, day)]
    if not usable:
        return None
    # The content type furthest below an even share goes next; product only while the mix allows it.
    counts = board.by_type
    for content_type in sorted(FILL_ORDER, key=lambda ct: (counts[ct], FILL_ORDER.index(ct))):
        if not board.mix_allows(content_type):
            continue
        for c in usable:
            if c.content_type is content_type:
                return c
    return None
