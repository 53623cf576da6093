"""Compliance engine: `check_text(text, product=, channel=, ruleset=) -> CheckResult`. Pure Python.

Importing this package loads neither Streamlit nor SQLAlchemy; the default ruleset is built on first use.
"""

from studio.compliance.engine import MAX_TEXT_CHARS, check_text, ruleset_version
from studio.compliance.errors import LexiconError, TextTooLong
from studio.compliance.lexicon import lexicon_dir, library_dir, load_lexicons
from studio.compliance.ruleset import Ruleset, build_ruleset, default_ruleset, reset_default_ruleset
from studio.compliance.types import CheckResult, Finding

__all__ = [
    "MAX_TEXT_CHARS",
    "CheckResult",
    "Finding",
    "LexiconError",
    "Ruleset",
    "TextTooLong",
    "build_ruleset",
    "check_text",
    "default_ruleset",
    "lexicon_dir",
    "library_dir",
    "load_lexicons",
    "reset_default_ruleset",
    "ruleset_version",
]
