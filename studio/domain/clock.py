"""Dates as the bank's staff see them: Beijing time. Stored times are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def today_cn() -> date:
    return datetime.now(BEIJING).date()


def as_utc(value: datetime) -> datetime:
    """An aware UTC time. SQLite hands stored times back naive; they were written as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def in_beijing(value: datetime) -> datetime:
    """A stored time (naive means UTC) as a Beijing wall-clock time, for display."""
    return as_utc(value).astimezone(BEIJING)


def at_beijing(day: date, wall: time) -> datetime:
    """An aware time: `wall` on `day` as a clock in Beijing shows it."""
    return datetime.combine(day, wall, tzinfo=BEIJING)
