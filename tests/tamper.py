"""Tamper tests: lift the append-only triggers, as an attacker with DDL rights could."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from studio.db.models import AuditEvent
from studio.workflow.audit import canonical


def drop_append_only_guard(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))


def rows(conn: Connection) -> list[dict[str, Any]]:
    """Every audit row as a dict, in seq order (details decoded)."""
    result = conn.execute(
        text(
            "SELECT id, seq, at, actor_id, actor, action, subject, details, prev_hash, hash "
            "FROM audit_event ORDER BY seq"
        )
    )
    out = []
    for row in result.mappings():
        item = dict(row)
        if isinstance(item["details"], str):
            item["details"] = json.loads(item["details"])
        out.append(item)
    return out


def _as_event(row: dict[str, Any]) -> AuditEvent:
    at = row["at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return AuditEvent(**{**row, "at": at})


def plain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The pre-keyed scheme: sha256(prev_hash + canonical JSON), computable by anyone."""
    return hashlib.sha256((prev_hash + canonical(_as_event(row))).encode("utf-8")).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, row: dict[str, Any]) -> str:
    return hmac.new(key, (prev_hash + canonical(_as_event(row))).encode("utf-8"), hashlib.sha256).hexdigest()


def rewrite(
    conn: Connection,
    changed: list[dict[str, Any]],
    *,
    start_seq: int,
    hasher: Callable[[str, dict[str, Any]], str],
) -> None:
    """Write `changed` rows back (matched by id) and re-link the chain from `start_seq` with `hasher`."""
    ordered = sorted(changed, key=lambda r: r["seq"])
    prev = None
    for row in ordered:
        if row["seq"] < start_seq:
            prev = row["hash"]
            continue
        row["prev_hash"] = prev if prev is not None else "0" * 64
        row["hash"] = hasher(row["prev_hash"], row)
        prev = row["hash"]
        conn.execute(
            text(
                "UPDATE audit_event SET seq = :seq, actor = :actor, subject = :subject, "
                "details = :details, prev_hash = :prev_hash, hash = :hash WHERE id = :id"
            ),
            {**row, "details": json.dumps(row["details"], ensure_ascii=False)},
        )


def insert(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_event (seq, at, actor_id, actor, action, subject, details, prev_hash, hash) "
            "VALUES (:seq, :at, :actor_id, :actor, :action, :subject, :details, :prev_hash, :hash)"
        ),
        {**row, "details": json.dumps(row["details"], ensure_ascii=False)},
    )
