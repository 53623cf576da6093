"""Occasions defined as data: festivals.yaml, finance_days.yaml and regional.yaml in library/occasions.

Each entry names its date rule (see rules.py) and, where it has one, the authority behind it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from studio.domain.enums import OccasionKind
from studio.occasions.model import Occasion, dated_kind
from studio.occasions.provinces import PROVINCES
from studio.occasions.rules import AnnouncedRule, DateRule
from studio.resources import package_library

DATA_DIR = package_library() / "occasions"
CATALOG_FILES = ("festivals.yaml", "finance_days.yaml", "regional.yaml")


class CatalogEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: OccasionKind
    rule: DateRule
    source: str | None = None
    note: str | None = None
    since: int | None = None  # first year it was observed; earlier years leave it out
    regions: tuple[str, ...] = ()  # provinces where it is observed; empty = nationwide

    _dated_kind = field_validator("kind")(dated_kind)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [region for region in regions if region not in PROVINCES]
        if unknown:
            raise ValueError(f"unknown regions {unknown}; use the short names of PROVINCES")
        return regions

    def applies_to(self, province: str | None) -> bool:
        """Nationwide entries always apply; regional ones apply to their provinces, or to all when
        no province is asked for."""
        return not self.regions or province is None or province in self.regions

    def occasions(self, year: int, province: str | None) -> tuple[list[Occasion], list[str]]:
        """This entry's occasions starting in `year`, one per region it applies to, and a note when
        the date is announced yearly but not recorded for `year`."""
        if self.since is not None and year < self.since:
            return [], []
        regions: list[str | None] = [province] if province in self.regions else list(self.regions)
        if not regions:
            regions = [None]
        spans = self.rule.spans(year)
        if not spans and isinstance(self.rule, AnnouncedRule):
            where = f" ({'、'.join(r for r in regions if r)})" if self.regions else ""
            note = (
                f"{self.name}{where}: no date recorded for {year} (announced yearly or set locally);"
                " HQ can enter it as a hot topic"
            )
            return [], [note]
        items = [
            Occasion(
                date=start,
                end=end,
                name=self.name,
                kind=self.kind,
                region=region,
                source=self.source,
                note=self.note,
            )
            for start, end in spans
            for region in regions
        ]
        return items, []


class _CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occasions: list[CatalogEntry]


@lru_cache(maxsize=8)
def load_catalog(data_dir: Path = DATA_DIR) -> tuple[CatalogEntry, ...]:
    entries: list[CatalogEntry] = []
    for filename in CATALOG_FILES:
        with (data_dir / filename).open(encoding="utf-8") as handle:
            entries.extend(_CatalogFile.model_validate(yaml.safe_load(handle)).occasions)
    return tuple(entries)
