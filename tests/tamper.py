"""Tamper tests: lift the append-only triggers, as an attacker with DDL rights could."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def drop_append_only_guard(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
