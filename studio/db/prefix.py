"""Prefix filters on materialised paths that an index on the column can serve, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, true
from sqlalchemy.sql.elements import ColumnElement


def starts_with(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """`column` starts with `prefix` (e.g. an org subtree "/1/3/").

    SQLite only uses an index for LIKE under case_sensitive_like, so there the prefix becomes the
    half-open range [prefix, prefix with its last character incremented), exact under SQLite's binary
    collation. PostgreSQL gets a LIKE with a constant prefix pattern, which a btree index serves under the
    C collation (or a *_pattern_ops index) and which stays correct under any collation.
    """
    if not prefix:
        return true()
    if dialect == "sqlite":
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(column >= prefix, column < upper)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")
