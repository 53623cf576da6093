"""`studio poster list|render`: poster templates and posters drawn for an org or a staff member (README,
Command line). Acts as the library's system editor at the head office, like `studio calendar`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from studio.errors import NotFound, ValidationError

_EPILOG = """\
render output: one JSON object {"path", "width", "height", "qr", "verdict", "findings"}: qr is the exact
text in the QR code (null when none is drawn); verdict and findings as `studio check --format json` for the
poster's layer texts (text layers and overlays, in layer order, one per line).
exit codes: 0 written and passes; 1 written, with review or block findings; 2 bad input (unknown template,
org or user, a user outside the org, an unwritable --out), one line on stderr.
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("poster", help="poster templates and rendered posters")
    actions = parser.add_subparsers(dest="poster_command", required=True)
    listing = actions.add_parser("list", help="poster templates as JSON: code, title, layers")
    listing.set_defaults(handler=_list)
    render = actions.add_parser(
        "render",
        help="draw a poster template for an org (and staff member) into a PNG file",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("code", help="poster template code")
    render.add_argument("--org", required=True, help="org code")
    render.add_argument("--staff", help="username of the staff member: their name, title and QR code")
    render.add_argument("--out", type=Path, required=True, help="PNG file to write")
    render.set_defaults(handler=_render)


def _system_actor(session: Any) -> Any:
    from studio.services.library_import import ensure_library_actor

    return ensure_library_actor(session)


def _list(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.posters import list_poster_templates

    with session_scope() as session:
        rows = list_poster_templates(session, _system_actor(session))
    payload = [
        {"code": r.code, "title": r.title, "layers": [{"name": x.name, "kind": x.kind} for x in r.layers]}
        for r in rows
    ]
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 0


def _ids(session: Any, code: str, org_code: str, username: str | None) -> tuple[int, int, int | None]:
    from sqlmodel import select

    from studio.db.models import Org, Template, User

    template = session.exec(select(Template).where(Template.code == code)).first()
    if template is None:
        raise NotFound(f"poster template {code} not found")
    org = session.exec(select(Org).where(Org.code == org_code)).first()
    if org is None:
        raise NotFound(f"org {org_code} not found")
    user = session.exec(select(User).where(User.username == username)).first() if username else None
    if username and user is None:
        raise NotFound(f"user {username} not found")
    return int(template.id), int(org.id), (int(user.id) if user else None)


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as error:
        raise ValidationError(f"cannot write {out}: {error.strerror or error}") from None


def _render(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.posters import org_poster
    from studio.services.rules import check

    with session_scope() as session:
        actor = _system_actor(session)
        template_id, org_id, staff_id = _ids(session, args.code, args.org, args.staff)
        poster = org_poster(session, actor, template_id, org_id, staff_id=staff_id)
        if poster is None:
            raise ValidationError(f"template {args.code} is not a poster template")
        result = check(session, poster.text, poster.product_type, poster.channel).to_json_dict()
    _write(args.out, Path(poster.image.path).read_bytes())
    image = poster.image
    payload = {
        "path": str(args.out),
        "width": image.width,
        "height": image.height,
        "qr": image.qr,
        "verdict": result["verdict"],
        "findings": result["findings"],
    }
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 0 if result["verdict"] == "pass" else 1
