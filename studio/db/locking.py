"""Optimistic locking: a conditional UPDATE, so two concurrent editors cannot both win."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from studio.errors import Conflict

CONFLICT_ZH = "该内容已被他人修改，请刷新后再编辑（您填写的内容已保留）。"


def claim(session: Session, model: type, record_id: int, expected: int) -> int:
    """Move `lock_version` from `expected` to the next value, or raise Conflict if someone else did."""
    result = session.execute(
        update(model)
        .where(model.id == record_id, model.lock_version == expected)  # type: ignore[attr-defined]
        .values(lock_version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(f"{model.__name__.lower()} {record_id} was changed by someone else", CONFLICT_ZH)
    return expected + 1


def transition(session: Session, model: type, record_id: int, from_state: str, to_state: str) -> None:
    """Change `state` only if it still is `from_state`: two reviewers cannot both decide one item."""
    result = session.execute(
        update(model)
        .where(model.id == record_id, model.state == from_state)  # type: ignore[attr-defined]
        .values(state=to_state)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            f"{model.__name__.lower()} {record_id} is no longer {from_state}",
            "该内容已不在待审核状态（可能已被他人处理），请刷新队列。",
        )
