"""`studio rules list|docs`: the compliance rule catalog on the command line and in docs/rules.md."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from studio.errors import ValidationError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rules", help="list and document the compliance rules")
    actions = parser.add_subparsers(dest="rules_command", required=True)

    listing = actions.add_parser("list", help="list the rules (code, severity, products, title)")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--product", help="only rules that apply to this product type")
    listing.set_defaults(handler=_list)

    docs = actions.add_parser(
        "docs",
        help="write docs/rules.md from the lexicon files",
        description="Write docs/rules.md. With --check, write nothing and exit 1 if the file is stale.",
    )
    docs.add_argument(
        "--output",
        type=Path,
        default=None,
        help="target file (default: docs/rules.md in the checkout, or in the working directory)",
    )
    docs.add_argument("--check", action="store_true", help="exit 1 if the file differs from the rules")
    docs.set_defaults(handler=_docs)


def _list(args: argparse.Namespace) -> int:
    from studio.compliance import default_ruleset
    from studio.compliance.catalog import all_rules
    from studio.domain.enums import ProductType

    rules = all_rules()
    if args.product:
        try:
            product = ProductType.parse(args.product)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        rules = [r for r in rules if product in r.products]
    if args.format == "json":
        payload = {"ruleset": default_ruleset().version, "rules": [r.model_dump(mode="json") for r in rules]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return 0
    for rule in rules:
        products = (
            "all" if len(rule.products) == len(ProductType) else ",".join(p.value for p in rule.products)
        )
        sys.stdout.write(
            f"{rule.code}  {rule.severity.value:<6}  {rule.slug:<34}  {products:<40}  {rule.title}\n"
        )
    sys.stdout.write(f"{len(rules)} rules, ruleset {default_ruleset().version}\n")
    return 0


def _docs(args: argparse.Namespace) -> int:
    # Imported here, not at start-up: the rules engine and pydantic-settings are slow to load.
    from studio.compliance.docs import render_rules_markdown
    from studio.settings import BASE_DIR

    rendered = render_rules_markdown()
    target: Path = args.output or BASE_DIR / "docs" / "rules.md"
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != rendered:
            sys.stderr.write(f"{target} is out of date; run `studio rules docs`\n")
            return 1
        sys.stderr.write(f"{target} is up to date\n")
        return 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rendered, encoding="utf-8")
    except OSError as error:
        raise ValidationError(f"cannot write {target}: {error.strerror or error}") from None
    sys.stderr.write(f"wrote {target}\n")
    return 0
