"""A guard for "every list is paged": count the rows each SELECT would return while a block runs.

`rows_per_query(engine)` records, for every SELECT executed inside it, how many rows that statement
returns (by running `SELECT count(*) FROM (<statement>)` with the same parameters on the same
connection). A page function that loads a whole table shows up as one statement with thousands of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class RowLog:
    queries: list[tuple[int, str]] = field(default_factory=list)

    @property
    def largest(self) -> int:
        return max((n for n, _ in self.queries), default=0)

    def over(self, limit: int) -> list[tuple[int, str]]:
        return [(n, sql) for n, sql in self.queries if n > limit]


@contextmanager
def rows_per_query(engine: Engine) -> Iterator[RowLog]:
    log = RowLog()
    busy = False

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        nonlocal busy
        text = statement.lstrip().upper()
        if busy or executemany or not text.startswith(("SELECT", "WITH")) or "FOR UPDATE" in text:
            return
        busy = True
        try:
            count = conn.exec_driver_sql(
                f"SELECT count(*) FROM ({statement}) AS bounded_q", parameters
            ).scalar()
            log.queries.append((int(count or 0), " ".join(statement.split())[:300]))
        finally:
            busy = False

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(engine, "after_cursor_execute", after)
