"""`studio` command line. Each command family lives in studio/commands/<name>.py with `register(sub)`.

Exit codes (README, Command line): 0 success, 1 found problems, 2 usage or input error (one English line).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from studio.errors import StudioError

# Command modules, imported lazily so `studio check` does not pay for SQLAlchemy or Streamlit.
_COMMAND_MODULES = (
    "db",
    "seed",
    "check",
    "check_image",  # `studio check-image`
    "rules",
    "occasions",
    "library",
    "poster",
    "calendar",
    "feed",
    "review",
    "audit",
    "user",
    "ui",
    "worker",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, as the contract says
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="studio", description="Content planning and compliance review studio")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    wanted = _wanted_module(argv)
    for name in _COMMAND_MODULES:
        if wanted is not None and name != wanted:
            command = name.replace("_", "-")
            sub.add_parser(command, help=f"{command} commands")  # listed in --help, loaded when used
            continue
        module = importlib.import_module(f"studio.commands.{name}")
        module.register(sub)
    return parser


def _wanted_module(argv: Sequence[str] | None) -> str | None:
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args if not a.startswith("-")), None)
    module = first.replace("-", "_") if first else None
    return module if module in _COMMAND_MODULES else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        code = args.handler(args)
    except StudioError as error:
        sys.stderr.write(f"error: {error.message_en}\n")
        return 2
    except Exception as error:
        if _is_database_error(error):
            sys.stderr.write(
                "error: the database is unreachable or not migrated (run `studio db upgrade`): "
                f"{str(error).splitlines()[0]}\n"
            )
            return 2
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 2
    return int(code or 0)


def _is_database_error(error: Exception) -> bool:
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy is not None and isinstance(error, sqlalchemy.SQLAlchemyError)


if __name__ == "__main__":
    raise SystemExit(main())
