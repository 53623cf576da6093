"""Shape of the lexicon data (library/lexicons/*.yaml or the admin's edited copy), validated by pydantic.

Severity, terms, contexts and examples are data; only the mechanisms (`kind`) are code.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from studio.domain.enums import Channel, ProductType, Severity

ALL = "all"
_PRODUCTS = {p.value for p in ProductType}
_CHANNELS = {c.value for c in Channel}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Near(_Strict):
    """Words that must (`any`) or must not (`none`) occur within `window` characters of a hit."""

    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    window: int = Field(20, ge=1, le=200)


class Term(_Strict):
    term: str = Field(min_length=1)
    # Longer phrases containing the term in which it is NOT a violation (非保本, 最低气温).
    allow: tuple[str, ...] = ()
    products: tuple[str, ...] | None = None  # narrows the rule's products for this term only
    severity: Severity | None = None
    near: Near | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"term": value} if isinstance(value, str) else value

    @field_validator("products")
    @classmethod
    def _known_products(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _check_names(value, _PRODUCTS, "product")


class Cue(_Strict):
    """Words that, near a hit, show the copy warns against the term rather than claims it."""

    words: tuple[str, ...]
    window: int = Field(0, ge=0, le=60)
    side: Literal["before", "after"] = "before"
    scope: Literal["clause", "sentence"] = "clause"


class Example(_Strict):
    text: str
    product: str | None = None
    channel: str | None = None
    repeat: int = Field(1, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    @property
    def full_text(self) -> str:
        return self.text * self.repeat


class Examples(_Strict):
    bad: tuple[Example, ...] = ()
    good: tuple[Example, ...] = ()


class Rule(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3}\d{3}$")
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    severity: Severity
    kind: Literal["match", "required", "pii", "length"]
    products: tuple[str, ...] = (ALL,)
    exclude_products: tuple[str, ...] = ()
    channels: tuple[str, ...] = (ALL,)
    source: str
    message: str
    suggestion: str
    why: str = ""
    # kind: match — terms found by the automaton, and/or regexes gated by trigger terms
    terms: tuple[Term, ...] = ()
    allow: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    near: Near | None = None
    triggers: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless_sentence: tuple[str, ...] = ()
    unless_sentence_pattern: str | None = None
    unless_before: tuple[str, ...] = ()
    # kind: required — fire (without a span) when the condition holds and an element is missing
    when_any: tuple[str, ...] = ()
    when_pattern: str | None = None
    require: tuple[tuple[str, ...], ...] = ()
    # kind: pii
    recogniser: Literal["resident_id", "mobile", "bank_card", "uscc", "email"] | None = None
    context: tuple[str, ...] = ()
    examples: Examples = Examples()

    @field_validator("products", "exclude_products")
    @classmethod
    def _known_products(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(value, _PRODUCTS | {ALL}, "product")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(value, _CHANNELS | {ALL}, "channel")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _compile(pattern)
        return value

    @field_validator("when_pattern", "unless_sentence_pattern")
    @classmethod
    def _compiles_one(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Rule:
        if self.kind == "match" and not (self.terms or self.patterns):
            raise ValueError(f"{self.code}: a match rule needs terms or patterns")
        if self.patterns and not self.triggers:
            raise ValueError(f"{self.code}: patterns need triggers (terms that gate them)")
        if self.kind == "required" and not self.require:
            raise ValueError(f"{self.code}: a required rule needs `require`")
        if self.kind == "pii" and self.recogniser is None:
            raise ValueError(f"{self.code}: a pii rule needs `recogniser`")
        return self


class LexiconData(_Strict):
    version: int = 1
    cues: dict[str, Cue] = {}
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_and_known(self) -> LexiconData:
        seen: set[str] = set()
        for rule in self.rules:
            for key in (rule.code, rule.slug):
                if key in seen:
                    raise ValueError(f"duplicate rule code or slug {key!r}")
                seen.add(key)
            for cue in rule.cues:
                if cue not in self.cues:
                    raise ValueError(f"{rule.code}: unknown cue list {cue!r}")
        return self


def _check_names(value: tuple[str, ...], allowed: set[str], what: str) -> tuple[str, ...]:
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}")
    return value


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"invalid regex {pattern!r}: {error}") from error
