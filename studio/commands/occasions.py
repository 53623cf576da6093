"""`studio occasions --year Y [--province P] [--format json|text]`: the year's occasions by date.

JSON (design §7): stdout is one array of {"date", "name", "kind", "region"?, "end"?, "source"?, "note"?},
absent optional keys omitted. Notes about what is not known (e.g. "2027 statutory holidays not yet
announced") go to stderr, one per line, in both formats.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "occasions",
        help="list festivals, solar terms, holidays, finance days and regional festivals of a year",
        description="List a year's occasions sorted by date. Notes about unknown dates go to stderr.",
    )
    parser.add_argument("--year", type=int, required=True, help="Gregorian year, 1901-2099")
    parser.add_argument("--province", help="short province name (e.g. 广西); adds its regional festivals")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from studio.occasions import occasions_for_year  # lazy: keep `studio --help` fast

    year = occasions_for_year(args.year, province=args.province)
    if args.format == "json":
        rows = [item.model_dump(mode="json", exclude_none=True) for item in year.items]
        sys.stdout.write(json.dumps([_ordered(row) for row in rows], ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(_table(year.items))
    for note in year.notes:
        sys.stderr.write(f"note: {note}\n")
    return 0


_KEY_ORDER = ("date", "name", "kind", "region", "end", "source", "note")


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _KEY_ORDER if key in row}


def _table(items: list[Any]) -> str:
    lines = []
    for item in items:
        when = item.date.isoformat() + (f" ~ {item.end.isoformat()}" if item.end else "")
        cells = [f"{when:<23}", f"{item.kind:<13}", item.name]
        if item.region:
            cells.append(f"[{item.region}]")
        if item.note:
            cells.append(f"— {item.note}")
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + ("\n" if lines else "")
