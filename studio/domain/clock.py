"""Dates as the bank's staff see them: Beijing time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def today_cn() -> date:
    return datetime.now(BEIJING).date()
