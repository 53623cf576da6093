"""Compile lexicon data into a `Ruleset`: one Aho-Corasick automaton holding every term, allow-context,
cue, trigger and required phrase, plus single-character "gate" keys that tell the scanner when the text
needs normalising (traditional/full-width characters, separators inside words) or PII recognition
(digit runs, `@`). One pass of the automaton therefore replaces a dozen regex passes on clean text.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from studio.compliance import matcher as _matcher
from studio.compliance import normalise as norm
from studio.compliance.errors import LexiconError
from studio.compliance.lexicon import LIBRARY_ENV
from studio.compliance.matcher import Matcher, build_matcher
from studio.compliance.schema import ALL, Cue, LexiconData, Rule
from studio.compliance.types import CheckResult
from studio.domain.enums import Channel, ProductType, Severity, Verdict

log = logging.getLogger(__name__)

# Bump when matching logic changes, so a stored `ruleset` version says which engine produced it.
ENGINE_REVISION = "2"


@dataclass(frozen=True, slots=True)
class TermRef:
    rule: int
    term: str  # normalised key
    label: str  # as written in the lexicon
    products: frozenset[ProductType] | None
    severity: Severity | None
    near_any: tuple[str, ...] = ()
    near_none: tuple[str, ...] = ()
    near_window: int = 0
    # Precomputed for the scanner's hot path (derived from the fields above and the rule):
    key: tuple[int, str] = (0, "")  # (rule, term): what allow-phrases protect
    hit_severity: Severity = Severity.INFO  # `severity` or the rule's
    why: str = ""  # 命中词条“label”
    cues: tuple[CueMatcher, ...] = ()  # the rule's cue lists
    cue_any: CuePrefilter | None = None  # the rule's cue prefilter


# What a key stands for: (terms, allows, triggers). A tuple, not an object: the scanner reads it once
# per hit on the hot path.
Entry = tuple[tuple[TermRef, ...], frozenset[tuple[int, str]], tuple[int, ...]]


@dataclass(frozen=True)
class CueMatcher:
    """One cue list, compiled: its words as one regex, searched only in the window next to a hit."""

    name: str
    regex: re.Pattern[str]
    window: int
    longest: int
    side: str
    scope: str
    words: tuple[str, ...] = ()
    before: bool = True  # side == "before"
    boundary: re.Pattern[str] | None = None  # any clause (or sentence) boundary character, per `scope`

    @classmethod
    def build(cls, name: str, cue: Cue) -> CueMatcher:
        words = sorted({norm.normalise_key(w) for w in cue.words if w.strip()}, key=len, reverse=True)
        regex = re.compile("|".join(re.escape(w) for w in words))
        boundaries = norm.CLAUSE_BOUNDARIES if cue.scope == "clause" else norm.SENTENCE_BOUNDARIES
        return cls(
            name,
            regex,
            cue.window,
            max(map(len, words)),
            cue.side,
            cue.scope,
            tuple(words),
            cue.side == "before",
            re.compile(f"[{re.escape(boundaries)}]"),
        )


# (search, back, forward): every cue word of a rule in one regex, and how far before a hit's start / after
# its end any of the rule's cue windows reaches. One search over that span finding nothing shows that no
# cue applies, for the price of one regex call instead of one per cue list.
CuePrefilter = tuple[Callable[[str, int, int], "re.Match[str] | None"], int, int]


def cue_prefilter(cues: tuple[CueMatcher, ...]) -> CuePrefilter | None:
    if not cues:
        return None
    words = sorted({w for cue in cues for w in cue.words}, key=len, reverse=True)
    back = max(cue.window + cue.longest if cue.before else cue.longest for cue in cues)
    forward = max(0 if cue.before else cue.window + cue.longest for cue in cues)
    return re.compile("|".join(re.escape(w) for w in words)).search, back, forward


@dataclass(frozen=True)
class CompiledRule:
    index: int
    spec: Rule
    products: frozenset[ProductType]
    channels: frozenset[Channel]
    cues: tuple[CueMatcher, ...]
    patterns: tuple[re.Pattern[str], ...]
    unless_sentence: tuple[str, ...]
    unless_sentence_re: re.Pattern[str] | None
    unless_before: tuple[str, ...]
    when_any: tuple[str, ...]
    when_re: re.Pattern[str] | None
    require: tuple[tuple[str, ...], ...]
    context: tuple[str, ...]
    cue_any: CuePrefilter | None = None  # cue_prefilter(cues)

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def severity(self) -> Severity:
        return self.spec.severity

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass
class _KeyRoles:
    terms: list[TermRef] = field(default_factory=list)
    allows: set[tuple[int, str]] = field(default_factory=set)
    triggers: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Scope:
    """The rules that apply to one product type and channel, and the automaton holding only their keys.

    Fewer keys mean fewer hits to filter (and, with the pyahocorasick fallback, fewer first characters
    at the automaton's root, which it searches linearly for every character scanned).
    """

    active: frozenset[int]
    matcher: Matcher  # key index → entries[key index]; upper-case spellings share their key's entry
    entries: tuple[Entry, ...]
    required: tuple[int, ...]  # indices of active rules of each kind, in catalog order
    pii: tuple[int, ...]
    length: tuple[int, ...]
    # With the Rust matcher the automaton also holds marker keys after the lexical ones: from index
    # `len(entries)` every character `normalise.gate_re` matches, from `pairs_from` every pair of Chinese
    # digits. Their reports replace the gate_re and CHINESE_DIGIT_RUN passes over clean text (the
    # automaton scans hardly slower for holding them). `markers` False: no marker keys, scan uses the regexes.
    markers: bool = False
    pairs_from: int = 0


class Ruleset:
    """Compiled, immutable rules. Build with `build_ruleset`; check with `check_text(..., ruleset=)`."""

    def __init__(self, data: LexiconData, version: str) -> None:
        self.data = data
        self.version = version
        self.cues: dict[str, CueMatcher] = {n: CueMatcher.build(n, c) for n, c in data.cues.items()}
        self.rules: tuple[CompiledRule, ...] = tuple(
            _compile_rule(i, r, self.cues) for i, r in enumerate(data.rules)
        )
        self.by_code: dict[str, CompiledRule] = {r.code: r for r in self.rules}
        # Per rule, the Finding fields that come from the rule: (code, slug, message, source, suggestion)
        self.finding_parts: tuple[tuple[str, str, str, str, str], ...] = tuple(
            (r.spec.code, r.spec.slug, r.spec.message, r.spec.source, r.spec.suggestion) for r in self.rules
        )
        self._roles = self._collect_roles()  # validates every term and allow phrase
        self._scopes: dict[tuple[ProductType, Channel], Scope] = {}
        self._scopes_by_signature: dict[object, Scope] = {}
        self._lock = threading.Lock()
        self.pass_result = CheckResult.model_construct(verdict=Verdict.PASS, ruleset=version, findings=())

    def __repr__(self) -> str:
        return f"Ruleset(version={self.version!r}, rules={len(self.rules)})"

    def active(self, product: ProductType, channel: Channel) -> frozenset[int]:
        """Indices of the rules that apply to this product type and channel."""
        return self.scope(product, channel).active

    def scope(self, product: ProductType, channel: Channel) -> Scope:
        """The scope of a product type and channel, its automaton built on first use and cached."""
        found = self._scopes.get((product, channel))
        if found is None:
            with self._lock:
                found = self._build_scope(product, channel)
                self._scopes[(product, channel)] = found
        return found

    @cached_property
    def lexicon_terms(self) -> tuple[str, ...]:
        """Every term (normalised) of every rule: what a plain keyword scan would look for."""
        return tuple(sorted({ref.term for roles in self._roles.values() for ref in roles.terms}))

    def _collect_roles(self) -> dict[str, _KeyRoles]:
        roles: dict[str, _KeyRoles] = {}

        def role(key: str) -> _KeyRoles:
            return roles.setdefault(key, _KeyRoles())

        for rule in self.rules:
            refs = _term_refs(rule)
            for ref in refs:
                role(ref.term).terms.append(ref)
            _add_allows(rule, refs, role)
            for key in rule.spec.triggers:
                role(_key(key, rule.code)).triggers.add(rule.index)
        return roles

    def _build_scope(self, product: ProductType, channel: Channel) -> Scope:
        active = frozenset(r.index for r in self.rules if product in r.products and channel in r.channels)
        entries: dict[str, Entry] = {}
        for key, roles in self._roles.items():
            terms = tuple(
                t for t in roles.terms if t.rule in active and (t.products is None or product in t.products)
            )
            allows = frozenset(a for a in roles.allows if a[0] in active)
            triggers = tuple(sorted(i for i in roles.triggers if i in active))
            if terms or allows or triggers:
                entries[key] = (terms, allows, triggers)
        signature = (active, frozenset(entries.items()))
        shared = self._scopes_by_signature.get(signature)
        if shared is not None:
            return shared
        # Lexical keys, then (Rust matcher only) the marker keys; digits, ASCII separators and '@' are
        # detected outside the automaton (normalise.separator_gate / digits_gate).
        spellings: dict[str, Entry] = {}
        for key, entry in entries.items():
            for variant in sorted(_case_variants(key)):
                spellings[variant] = entry
        keys = list(spellings)
        accelerated = _matcher.accelerated()
        markers = accelerated and not spellings.keys() & {*norm.gate_chars(), *norm.CHINESE_DIGIT_PAIRS}
        pairs_from = len(keys) + len(norm.gate_chars())
        if markers:
            keys += norm.gate_chars()
            keys += norm.CHINESE_DIGIT_PAIRS

        def of_kind(kind: str) -> tuple[int, ...]:
            return tuple(r.index for r in self.rules if r.index in active and r.kind == kind)

        scope = Scope(
            active,
            build_matcher(keys, accelerated=accelerated),
            tuple(spellings.values()),
            of_kind("required"),
            of_kind("pii"),
            of_kind("length"),
            markers,
            pairs_from,
        )
        self._scopes_by_signature[signature] = scope
        log.debug("ruleset %s: scope %s/%s with %d keys", self.version, product, channel, len(entries))
        return scope


def _key(text: str, where: str) -> str:
    key = norm.normalise_key(text)
    if not key:
        raise LexiconError(f"{where}: empty term")
    return key


def _term_refs(rule: CompiledRule) -> list[TermRef]:
    refs = []
    for term in rule.spec.terms:
        products = None if term.products is None else frozenset(ProductType(p) for p in term.products)
        near = term.near or rule.spec.near
        refs.append(
            TermRef(
                rule.index,
                _key(term.term, rule.code),
                term.term,
                products,
                term.severity,
                near_any=tuple(norm.normalise_key(w) for w in near.any) if near else (),
                near_none=tuple(norm.normalise_key(w) for w in near.none) if near else (),
                near_window=near.window if near else 0,
                key=(rule.index, _key(term.term, rule.code)),
                hit_severity=term.severity or rule.severity,
                why=f"命中词条“{term.term}”",
                cues=rule.cues,
                cue_any=rule.cue_any,
            )
        )
    return refs


def _add_allows(rule: CompiledRule, refs: list[TermRef], role: Any) -> None:
    if rule.kind != "match":  # a pii rule's `allow` lists permitted values, not automaton phrases
        return
    by_label = {t.term: r for t, r in zip(rule.spec.terms, refs, strict=True)}
    for term in rule.spec.terms:
        ref = by_label[term.term]
        for phrase in term.allow:
            key = _key(phrase, rule.code)
            if ref.term not in key:
                raise LexiconError(
                    f"{rule.code}: allow phrase {phrase!r} does not contain its term {term.term!r}"
                )
            role(key).allows.add((rule.index, ref.term))
    for phrase in rule.spec.allow:  # rule-level: protects every term of the rule it contains
        key = _key(phrase, rule.code)
        contained = [r for r in refs if r.term in key]
        if not contained:
            raise LexiconError(f"{rule.code}: allow phrase {phrase!r} contains none of the rule's terms")
        for ref in contained:
            role(key).allows.add((rule.index, ref.term))


def _case_variants(key: str) -> set[str]:
    """Keys are lower case; the fast path scans un-normalised text, so add upper-case spellings."""
    letters = [i for i, ch in enumerate(key) if ch.isascii() and ch.isalpha()]
    if not letters:
        return {key}
    variants = {key, key.upper(), key.title(), key.capitalize()}
    if len(letters) <= 4:
        for mask in itertools.product((False, True), repeat=len(letters)):
            chars = list(key)
            for upper, i in zip(mask, letters, strict=True):
                if upper:
                    chars[i] = chars[i].upper()
            variants.add("".join(chars))
    return variants


def _compile_rule(index: int, spec: Rule, cues: Mapping[str, CueMatcher]) -> CompiledRule:
    products = set(ProductType) if ALL in spec.products else {ProductType(p) for p in spec.products}
    products -= {ProductType(p) for p in spec.exclude_products}
    channels = set(Channel) if ALL in spec.channels else {Channel(c) for c in spec.channels}
    cues_of_rule = tuple(cues[name] for name in spec.cues)
    return CompiledRule(
        index=index,
        spec=spec,
        products=frozenset(products),
        channels=frozenset(channels),
        cues=cues_of_rule,
        patterns=tuple(re.compile(p, re.IGNORECASE) for p in spec.patterns),
        unless_sentence=tuple(norm.normalise_key(w) for w in spec.unless_sentence),
        unless_sentence_re=re.compile(spec.unless_sentence_pattern) if spec.unless_sentence_pattern else None,
        unless_before=tuple(norm.normalise_key(w) for w in spec.unless_before),
        when_any=tuple(_key(w, spec.code) for w in spec.when_any),
        when_re=re.compile(spec.when_pattern) if spec.when_pattern else None,
        require=tuple(tuple(_key(w, spec.code) for w in group) for group in spec.require),
        context=tuple(norm.normalise_key(w) for w in spec.context),
        cue_any=cue_prefilter(cues_of_rule),
    )


def version_of(data: LexiconData) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{ENGINE_REVISION}\n{canonical}".encode()).hexdigest()[:12]


_BUILT: dict[str, Ruleset] = {}
_BUILT_LOCK = threading.Lock()
_MAX_BUILT = 8


def build_ruleset(data: Mapping[str, Any] | LexiconData) -> Ruleset:
    """Validate lexicon data (as `load_lexicons` returns it) and compile it; `.version` is a content hash.

    Raises `LexiconError` (a `StudioError`) with a message naming the first problem.
    """
    try:
        parsed = data if isinstance(data, LexiconData) else LexiconData.model_validate(dict(data))
    except PydanticValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LexiconError(
            f"invalid lexicon data at {where}: {first['msg']}", f"词库数据有误（{where}）：{first['msg']}"
        ) from error
    version = version_of(parsed)
    with _BUILT_LOCK:
        cached = _BUILT.get(version)
    if cached is not None:
        return cached
    ruleset = Ruleset(parsed, version)
    with _BUILT_LOCK:
        if len(_BUILT) >= _MAX_BUILT:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[version] = ruleset
    return ruleset


_DEFAULT: dict[str, Ruleset] = {}
_DEFAULT_FAST: tuple[str | None, Ruleset] | None = None  # (STUDIO_LIBRARY_DIR, ruleset) of the last call


def default_ruleset(path: Path | str | None = None) -> Ruleset:
    """The ruleset of the lexicon files under the library directory (built once per process)."""
    global _DEFAULT_FAST
    if path is None:
        env = os.environ.get(LIBRARY_ENV)
        fast = _DEFAULT_FAST
        if fast is not None and fast[0] == env:  # hot path: no filesystem calls
            return fast[1]
    from studio.compliance.lexicon import lexicon_dir, load_lexicons

    directory = str(Path(path) if path is not None else lexicon_dir())
    found = _DEFAULT.get(directory)
    if found is None:
        found = build_ruleset(load_lexicons(directory))
        _DEFAULT[directory] = found
    if path is None:
        _DEFAULT_FAST = (env, found)
    return found


def reset_default_ruleset() -> None:
    """Forget the cached default ruleset (after the lexicon files changed on disk)."""
    global _DEFAULT_FAST
    _DEFAULT.clear()
    _DEFAULT_FAST = None


def ruleset_version() -> str:
    return default_ruleset().version
