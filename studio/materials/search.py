"""Library search in the database: jieba-segmented tokens, matched by each database's full-text index.

Why tokens from jieba rather than trigrams:
- Chinese has no spaces, so neither SQLite's unicode61 tokenizer nor PostgreSQL's parsers find words.
  jieba's `cut_for_search` (the words and the shorter words inside them: 阖家团圆 → 阖家, 团圆, 阖家团圆)
  is computed once in Python when a version is written, stored space-separated in
  `template_version.search_tokens`, and both databases only split on spaces: SQLite FTS5 (unicode61
  tokenizer, bm25 rank) and PostgreSQL full-text search with the 'simple' configuration (no stemming;
  a stored generated tsvector column `search_vector` with a GIN index, ts_rank). The query is segmented the same way,
  so both databases answer the same question and tests can hold them to the same results.
- pg_trgm would need `CREATE EXTENSION` (often refused on a bank's managed PostgreSQL) and SQLite's
  trigram tokenizer cannot match the one- and two-character words most Chinese queries consist of.

Semantics (kept from the in-Python search it replaces): every word of the query must occur in the
title, body, occasion, region, code or a tag label; words match whole jieba words, a one-character
query matches words starting with it. Versions are immutable, so a version's tokens are written once,
in the transaction that creates it (`studio.services.templates`); SQLite's FTS5 table is an
external-content index over that column, kept in step by triggers that only copy the column.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlalchemy import DDL, bindparam, event, text
from sqlalchemy.engine import Connection

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType

_SEASON_TERMS = {
    "春": ("立春", "雨水", "惊蛰", "春分", "清明", "谷雨", "春季"),
    "夏": ("立夏", "小满", "芒种", "夏至", "小暑", "大暑", "夏季", "初伏", "中伏", "末伏"),
    "秋": ("立秋", "处暑", "白露", "秋分", "寒露", "霜降", "秋季"),
    "冬": ("立冬", "小雪", "大雪", "冬至", "小寒", "大寒", "冬季", "一九", "数九"),
}
SEASONS = tuple(_SEASON_TERMS)

FTS_TABLE = "template_version_fts"
# Tokens keep letters, digits and CJK characters only: what both FTS tokenizers treat as word characters.
_NON_WORD = re.compile(r"[\W_]+")


def season_of(occasion: str | None) -> str | None:
    for season, names in _SEASON_TERMS.items():
        if occasion and any(occasion.startswith(n) for n in names):
            return season
    return None


def season_prefixes(season: str) -> tuple[str, ...]:
    """Occasion-name prefixes of a season (an occasion is in the season when it starts with one)."""
    return _SEASON_TERMS.get(season, ())


@lru_cache(maxsize=1)
def _tokenizer():
    import logging

    import jieba

    from studio.settings import get_settings

    jieba.setLogLevel(logging.WARNING)

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(get_settings().data_dir)  # its dictionary cache lives with the app's data
    return tokenizer


def _words(value: str) -> list[str]:
    out = []
    for word in _tokenizer().cut_for_search(value):
        out += [part for part in _NON_WORD.sub(" ", word.lower()).split() if part]
    return out


def query_terms(query: str) -> list[str]:
    """Words of the query that must all match; single characters only when the query has no longer word.

    A word inside a longer query word is dropped (冬至节 needs 冬至节, not also 冬至), as before.
    """
    words = _words(query.strip())
    longer = [w for w in words if len(w) > 1]
    terms = sorted(set(longer or words), key=len, reverse=True)
    return [t for t in terms if not any(t in other and t != other for other in terms)]


def search_tokens(
    *,
    code: str,
    title: str,
    body: str,
    occasion: str | None,
    region: str | None,
    occasion_kind: str,
    content_type: str,
    persona: str,
    channel: str,
    product_type: str,
) -> str:
    """The space-separated words a version is found by (title, body, occasion, region, code, tag labels)."""
    labels = [
        OccasionKind(occasion_kind).label,
        ContentType(content_type).label,
        Persona(persona).label,
        Channel(channel).label,
        ProductType(product_type).label,
    ]
    return " ".join(_words(" ".join([code, title, body, occasion or "", region or "", *labels])))


def sqlite_match(terms: list[str]) -> str:
    """An FTS5 query: every term as a quoted string (AND); a lone one-character term as a prefix."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    if len(terms) == 1 and len(terms[0]) == 1:
        quoted[0] += " *"
    return " AND ".join(quoted)


def postgres_tsquery(terms: list[str]) -> str:
    """A to_tsquery('simple', ...) text; terms hold only word characters, quoted as lexemes."""
    lexemes = ["'" + t.replace("'", "''") + "'" for t in terms]
    if len(terms) == 1 and len(terms[0]) == 1:
        lexemes[0] += ":*"
    return " & ".join(lexemes)


# --- the index: DDL for both databases, run by create_all (tests) and by the migration -----------------

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_tokens, content='template_version', "
    "content_rowid='id', tokenize='unicode61')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON template_version BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON template_version BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_tokens ON template_version BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
)
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
# PostgreSQL keeps the parsed words in a stored generated column: matching and ts_rank then read it instead
# of re-parsing every candidate's text (2 s → tens of ms for a common word at 20,000 templates).
POSTGRES_VECTOR = "search_vector"
POSTGRES_INDEX = "ix_template_version_search"
POSTGRES_DDL = (
    f"ALTER TABLE template_version ADD COLUMN IF NOT EXISTS {POSTGRES_VECTOR} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_tokens)) STORED",
    f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON template_version USING gin ({POSTGRES_VECTOR})",
)
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
    f"ALTER TABLE template_version DROP COLUMN IF EXISTS {POSTGRES_VECTOR}",
)


def create_index(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    for statement in SQLITE_DDL if sqlite else POSTGRES_DDL:
        connection.exec_driver_sql(statement)
    if sqlite:
        # Index the rows already there: the update trigger removes a row's old words from the index before
        # adding the new ones, and removing words that were never indexed corrupts an FTS5 index.
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_index(connection: Connection) -> None:
    for statement in SQLITE_DROP if connection.dialect.name == "sqlite" else POSTGRES_DROP:
        connection.exec_driver_sql(statement)


def attach_index_ddl(table: Any) -> None:
    """Make `metadata.create_all` build the search index with the table (tests; the migration does it too)."""
    for statement in SQLITE_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRES_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def is_index_object(name: str | None) -> bool:
    """Objects of the search index that the models do not describe (alembic's autogenerate skips them)."""
    return bool(name) and (name in (POSTGRES_INDEX, POSTGRES_VECTOR) or str(name).startswith(FTS_TABLE))


def backfill_search_tokens(connection: Connection, batch: int = 2000) -> int:
    """Fill `search_tokens` of versions written without it (the migration, bulk loaders); returns how many.

    Rows are read a batch at a time by id, so memory stays bounded on a large library.
    """
    select_batch = text(
        "SELECT v.id, t.code, v.title, v.body, v.occasion, v.region, v.occasion_kind, v.content_type, v.persona, "
        "v.channel, v.product_type FROM template_version v JOIN template t ON t.id = v.template_id "
        "WHERE (v.search_tokens IS NULL OR v.search_tokens = '') AND v.id > :after ORDER BY v.id LIMIT :n"
    )
    write = text("UPDATE template_version SET search_tokens = :tokens WHERE id = :id")
    done, after = 0, 0
    while True:
        rows = connection.execute(
            select_batch.bindparams(bindparam("after"), bindparam("n")), {"after": after, "n": batch}
        ).all()
        if not rows:
            return done
        connection.execute(
            write,
            [
                {
                    "id": r.id,
                    "tokens": search_tokens(
                        code=r.code,
                        title=r.title,
                        body=r.body,
                        occasion=r.occasion,
                        region=r.region,
                        occasion_kind=r.occasion_kind,
                        content_type=r.content_type,
                        persona=r.persona,
                        channel=r.channel,
                        product_type=r.product_type,
                    ),
                }
                for r in rows
            ],
        )
        done += len(rows)
        after = rows[-1].id
