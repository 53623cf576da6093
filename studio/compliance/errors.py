"""Errors of the compliance engine; both are `ValidationError`s so pages and the CLI show them plainly."""

from __future__ import annotations

from studio.errors import ValidationError


class TextTooLong(ValidationError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"text is {length} characters; the maximum is {limit}",
            f"文本共 {length} 个字符，超过上限 {limit}，请拆分后再检查。",
        )


class LexiconError(ValidationError):
    """Lexicon data that cannot be compiled into a ruleset (bad YAML, unknown field, invalid regex)."""
