"""Multi-key matching for a scope's automaton: every occurrence of every key, overlapping ones included.

`build_matcher(keys)` returns an object whose `find_matches_as_indexes(text, True)` lists
`(key_index, start, end)` for every occurrence, ordered by `end`, and for one `end` longest key first
(the order pyahocorasick's `iter` reports them in; the rule families and the dedupe rely on it only
through their stable sorts, but keeping it makes the output independent of the backend).

`ahocorasick_rs` (Rust, over UTF-8 bytes) is used when installed: it scans about three times faster
than pyahocorasick, whose per-node child lookup is linear, and it builds the result list in native
code. Its contiguous NFA, not its DFA: alone the DFA scans a little faster, but between the engine's
Python work its much larger tables fall out of the CPU cache, and the engine as a whole ran ~6% slower
with it. Without ahocorasick_rs, pyahocorasick (a required dependency) gives the same matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

try:  # optional accelerator
    import ahocorasick_rs as _rs
except ImportError:  # pragma: no cover - depends on the environment
    _rs = None  # type: ignore[assignment]


class Matcher(Protocol):
    def find_matches_as_indexes(
        self, haystack: str, overlapping: bool = ...
    ) -> list[tuple[int, int, int]]: ...


class _NoKeys:
    """A scope without any key (ahocorasick_rs refuses nothing, pyahocorasick cannot iterate empty)."""

    def find_matches_as_indexes(self, haystack: str, overlapping: bool = True) -> list[tuple[int, int, int]]:
        return []


class _PyAhoCorasick:
    """The pyahocorasick fallback, with ahocorasick_rs's interface (overlapping matches only)."""

    def __init__(self, keys: Sequence[str]) -> None:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for index, key in enumerate(keys):
            automaton.add_word(key, (index, len(key)))
        automaton.make_automaton()
        self._iter = automaton.iter

    def find_matches_as_indexes(self, haystack: str, overlapping: bool = True) -> list[tuple[int, int, int]]:
        return [(index, end + 1 - length, end + 1) for end, (index, length) in self._iter(haystack)]


def build_matcher(keys: Sequence[str], *, accelerated: bool | None = None) -> Matcher:
    """A matcher of `keys` (distinct, non-empty): the Rust one unless `accelerated` is False."""
    if not keys:
        return _NoKeys()
    if accelerated is None:
        accelerated = _rs is not None
    if accelerated:
        if _rs is None:
            raise RuntimeError("ahocorasick_rs is not installed")
        return _rs.AhoCorasick(list(keys), implementation=_rs.Implementation.ContiguousNFA)
    return _PyAhoCorasick(keys)


def accelerated() -> bool:
    """Is the Rust matcher available (and not switched off)?"""
    return _rs is not None and _ENABLED


# Tests switch the accelerator off to compare both matchers on the same input.
_ENABLED = True
