"""`studio library check|import|export|stats`: the HQ material library as reviewable files.

Exit codes (README, Command line): 0 clean, 1 the library has problems, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("library", help="HQ material library: check, import, export, stats")
    actions = parser.add_subparsers(dest="library_command", required=True)

    check = actions.add_parser("check", help="validate the library files; exit 1 on any problem")
    _library_arg(check)
    check.add_argument("--no-compliance", action="store_true", help="skip the compliance verdict check")
    check.set_defaults(handler=_check)

    imp = actions.add_parser("import", help="create or update templates from the library files")
    _library_arg(imp)
    imp.add_argument("--url", help="database URL (default: STUDIO_DATABASE_URL or the SQLite file)")
    imp.set_defaults(handler=_import)

    exp = actions.add_parser("export", help="write the latest template versions to OUT/templates/*.yaml")
    exp.add_argument("--out", required=True, type=Path, help="output directory (a library directory)")
    exp.add_argument("--url", help="database URL (default: STUDIO_DATABASE_URL or the SQLite file)")
    exp.set_defaults(handler=_export)

    stats = actions.add_parser("stats", help="coverage of occasion kinds, content types, channels, products")
    _library_arg(stats)
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.set_defaults(handler=_stats)


def _library_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--library", type=Path, help="library directory (default: STUDIO_LIBRARY_DIR)")


def _library_dir(args: argparse.Namespace) -> Path:
    if args.library is not None:
        return Path(args.library)
    from studio.settings import get_settings

    return get_settings().library_dir


def _engine(url: str | None):
    from studio.db.engine import default_engine, make_engine

    return make_engine(url) if url else default_engine()


def _print_problems(problems) -> None:
    from studio.materials.loader import display_path

    for problem in problems:
        print(problem.render(display_path(problem.path)))


def _check(args: argparse.Namespace) -> int:
    from studio.materials.validate import check_library

    report = check_library(_library_dir(args), compliance=not args.no_compliance)
    _print_problems(report.problems)
    sys.stderr.write(
        f"{len(report.entries)} templates in {report.files} files: {len(report.problems)} problem(s)\n"
    )
    return 0 if report.ok else 1


def _import(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.materials.validate import LibraryProblems
    from studio.services.library_import import import_library

    try:  # the importer runs the whole of `library check` itself, on the entries it then writes
        with session_scope(_engine(args.url)) as session:
            report = import_library(session, _library_dir(args))
    except LibraryProblems as error:
        _print_problems(error.problems)
        sys.stderr.write(f"library has {len(error.problems)} problem(s); nothing imported\n")
        return 1
    print(f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.materials.exporter import export_library
    from studio.services.library_import import ensure_library_actor

    with session_scope(_engine(args.url)) as session:
        report = export_library(session, ensure_library_actor(session), args.out)
    for path, count in report.files.items():
        print(f"{path}: {count} templates")
    sys.stderr.write(f"exported {report.templates} templates to {len(report.files)} files\n")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from studio.materials.loader import load_library
    from studio.materials.stats import coverage, render_text

    library_dir = _library_dir(args)
    if not (library_dir / "templates").is_dir():
        from studio.errors import ValidationError

        raise ValidationError(f"no templates directory in {library_dir}")
    entries, _problems = load_library(library_dir)
    cov = coverage(entries)
    if args.format == "json":
        print(json.dumps(cov.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(cov))
    return 0
