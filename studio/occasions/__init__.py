"""Occasions to post about: festivals, solar terms, seasons, statutory holidays, finance days, regional
festivals and hot topics. Pure Python (lunar-python + YAML data in library/occasions), no database.

    occasions_for_year(2026, province="广西").items   # sorted list[Occasion]
    occasions_for_year(2027).notes                   # ["2027 statutory holidays not yet announced", …]
"""

from studio.occasions.api import MAX_YEAR, MIN_YEAR, occasions_between, occasions_for_year
from studio.occasions.model import HotTopicSpan, Occasion, OccasionYear
from studio.occasions.provinces import PROVINCES, normalize_province

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "PROVINCES",
    "HotTopicSpan",
    "Occasion",
    "OccasionYear",
    "normalize_province",
    "occasions_between",
    "occasions_for_year",
]
