"""Typed execution of Core selects of columns.

SQLModel's `Session.exec` types only its own `select` (at most four columns), and its `Session.execute`
override returns untyped rows. `rows` runs any SQLAlchemy select of columns through the session (same
autoflush and transaction as `exec`) and keeps the column types SQLAlchemy inferred.
"""

from __future__ import annotations

from typing import Any, TypeVarTuple, cast

from sqlalchemy import Result, Select
from sqlmodel import Session

_Ts = TypeVarTuple("_Ts")


def rows(session: Session, statement: Select[*_Ts], **execution_options: Any) -> Result[*_Ts]:
    result = session.execute(statement, execution_options=execution_options)
    return cast("Result[*_Ts]", result)
