"""Find facts written down twice in `studio/`, with `ast` (nothing is imported but the vocabulary).

- Tables over the vocabulary: a set, tuple, list or dict literal (anywhere, inline comparisons included)
  whose elements, or keys, are two or more members of one enum of `studio.domain.enums`, written as
  members (`Channel.GROUP`) or as their codes ("group").
- Month text: parsing or formatting "YYYY-MM", or a month's length, outside `studio/domain/month.py`.
- Beijing time: making a naive time aware, converting to Beijing, or naming the zone, outside
  `studio/domain/clock.py`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import StrEnum

from studio.domain import enums
from tests.architecture import imports

VOCABULARY_HOME = "studio.domain"
MONTH_HOME = "studio.domain.month"
CLOCK_HOME = "studio.domain.clock"
# Frozen history: a migration keeps the facts of its day, it must not follow today's vocabulary.
FROZEN = "studio.db.migrations"
# Sets of these are workflow rules (who may do what, which states a step accepts): they live with the
# permissions and the state machine, not on the vocabulary, and are not tables of facts about a term.
WORKFLOW_ENUMS = frozenset({"Role", "ReviewState", "Decision"})

ENUMS: dict[str, type[StrEnum]] = {
    name: value
    for name, value in vars(enums).items()
    if isinstance(value, type)
    and issubclass(value, StrEnum)
    and value.__module__ == enums.__name__
    and not name.startswith("_")
    and name not in WORKFLOW_ENUMS
}


@dataclass(frozen=True)
class Table:
    module: str
    line: int
    enum: str
    members: frozenset[str]  # codes
    keyed: bool  # a dict: one fact per member

    def __str__(self) -> str:
        kind = "dict keyed by" if self.keyed else "collection of"
        return f"{self.module}:{self.line} {kind} {self.enum} {sorted(self.members)}"


def _code(node: ast.expr, enum: type[StrEnum]) -> str | None:
    """The member code `node` spells for `enum`, or None."""
    if isinstance(node, ast.Attribute) and node.attr == "value":  # Channel.GROUP.value
        node = node.value
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == enum.__name__
    ):
        member = enum.__members__.get(node.attr)
        return member.value if member is not None else None
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in enum._value2member_map_
    ):
        return node.value
    return None


def _elements(node: ast.AST) -> tuple[list[ast.expr], bool] | None:
    if isinstance(node, ast.Dict):
        keys = [k for k in node.keys if k is not None]
        return (keys, True) if len(keys) == len(node.keys) else None
    if isinstance(node, ast.Set | ast.Tuple | ast.List):
        return list(node.elts), False
    return None


def tables_in(module: str, source: str) -> list[Table]:
    found = []
    for node in ast.walk(ast.parse(source)):
        elements = _elements(node)
        if elements is None or len(elements[0]) < 2:
            continue
        items, keyed = elements
        for name, enum in ENUMS.items():
            codes = [_code(item, enum) for item in items]
            if all(c is not None for c in codes):
                found.append(
                    Table(module, getattr(node, "lineno", 0), name, frozenset(c for c in codes if c), keyed)
                )
    return found


def vocabulary_tables() -> list[Table]:
    return [
        t
        for name, path in imports.modules().items()
        if not name.startswith(FROZEN)
        for t in tables_in(name, path.read_text(encoding="utf-8"))
    ]


def copies(tables: list[Table]) -> list[str]:
    """Problems: an enum with tables in two modules outside its home, or a home's subset table copied."""
    problems = []
    home_subsets = {
        (t.enum, t.members)
        for t in tables
        if t.module.startswith(VOCABULARY_HOME) and not t.keyed and len(t.members) < len(ENUMS[t.enum])
    }
    outside = [t for t in tables if not t.module.startswith(VOCABULARY_HOME)]
    for enum in sorted({t.enum for t in outside}):
        where = sorted({t.module for t in outside if t.enum == enum})
        if len(where) > 1:
            problems.append(
                f"{enum}: tables in {len(where)} modules: "
                + "; ".join(str(t) for t in outside if t.enum == enum)
            )
    problems += [
        f"copy of a table of studio.domain: {t}" for t in outside if (t.enum, t.members) in home_subsets
    ]
    return problems


# -- month text and Beijing time ---------------------------------------------------------------------


def _is_int_of_split(node: ast.AST) -> bool:
    """`int(p) for p in x.split("-")` or `map(int, x.split("-"))`."""

    def split_dash(it: ast.AST) -> bool:
        return (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr == "split"
            and len(it.args) == 1
            and isinstance(it.args[0], ast.Constant)
            and it.args[0].value == "-"
        )

    if isinstance(node, ast.GeneratorExp | ast.ListComp) and isinstance(node.elt, ast.Call):
        func = node.elt.func
        return (
            isinstance(func, ast.Name)
            and func.id == "int"
            and any(split_dash(g.iter) for g in node.generators)
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "map":
        return (
            len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "int"
            and split_dash(node.args[1])
        )
    return False


# A regex for "YYYY-MM", groups or not: \d{4}-\d{2}, (\d{4})-(\d{1,2}); not a year range \d{4}-\d{4}.
_YEAR_DASH = re.compile(r"\\d\{4\}\)?-\(?\\d\{(1,)?2\}")


def month_text(source: str) -> list[int]:
    """Lines that parse or format "YYYY-MM" or work out a month's length."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr == "monthrange") or (
            isinstance(node, ast.Name) and node.id == "monthrange"
        ):
            lines.append(node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value == "%Y-%m" or _YEAR_DASH.search(node.value))
        ):
            lines.append(node.lineno)
        elif _is_int_of_split(node):
            lines.append(node.lineno)  # type: ignore[attr-defined]
    return sorted(set(lines))


def _names(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def beijing_fix(source: str) -> list[int]:
    """Lines that make a time aware, convert it to Beijing or name the zone."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value == "Asia/Shanghai":
            lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        method = node.func.attr if isinstance(node.func, ast.Attribute) else _names(node.func)
        if method == "ZoneInfo" or any(k.arg == "tzinfo" for k in node.keywords):
            lines.append(node.lineno)
        elif method == "astimezone" and any(_names(a) == "BEIJING" for a in node.args):
            lines.append(node.lineno)
        elif method == "combine" and len(node.args) == 3:  # datetime.combine(day, time, tz)
            lines.append(node.lineno)
    return sorted(set(lines))


def outside_home(check, home: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for name, path in imports.modules().items():
        if name == home or name.startswith(FROZEN):
            continue
        found += [f"{name}:{line}" for line in check(path.read_text(encoding="utf-8"))]
    return found
