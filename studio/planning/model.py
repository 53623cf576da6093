"""Values the planner takes and gives."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from studio.domain.enums import Channel, ContentType, OccasionKind


class Candidate(BaseModel):
    """One approved, placeable piece of content for an org."""

    model_config = ConfigDict(frozen=True)

    variant_id: int
    title: str
    text: str
    channel: Channel
    content_type: ContentType
    product_type: str
    occasion_kind: OccasionKind
    occasion: str | None = None
    # 0 = national (HQ), 1 = bank, 2 = branch: higher is more local, and preferred.
    locality: int = 0
    region: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )


class PlanConfig(BaseModel):
    """Caps and mix. The caps default to the channel's own (`Channel.daily_cap`, `Channel.monthly_cap`):
    the planner proposes no more than a hand placement allows. Tests may pass tighter ones."""

    model_config = ConfigDict(frozen=True)

    daily_cap: dict[Channel, int] = Field(default_factory=lambda: {c: c.daily_cap for c in Channel})
    monthly_cap: dict[Channel, int] = Field(default_factory=lambda: {c: c.monthly_cap for c in Channel})
    # How many posts a day the planner aims for (at most the cap).
    daily_target: dict[Channel, int] = Field(
        default_factory=lambda: {c: c.daily_target for c in Channel if c.daily_target}
    )
    # Upper bound on each content type's share of the month (product marketing ≤ 30% by default).
    mix_max: dict[ContentType, float] = Field(default_factory=lambda: {ContentType.PRODUCT: 0.30})
    no_repeat_days: int = 14
    # Festival and solar-term content may go up to this many days before its day when that day is full.
    lead_days: int = 2
    times: tuple[str, ...] = ("08:30", "12:00", "19:30")


class PlanEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    time_of_day: str
    channel: Channel
    variant_id: int
    title: str
    text: str
    content_type: ContentType
    occasion: str | None
    reason: str


class Gap(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    channel: Channel | None
    occasion: str | None
    message: str


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    org_code: str
    month: str
    entries: list[PlanEntry]
    gaps: list[Gap]
    mix: dict[str, float]
    mix_ok: bool
    warnings: list[str]
