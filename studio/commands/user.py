"""`studio user passwd USERNAME`: set a user's password (the operator's reset; audited; ends the user's
sessions). `studio user logout USERNAME`: end every login session of a user.
`studio user email USERNAME EMAIL|--clear`: the email single sign-on by email maps to the user (audited).
`studio user link USERNAME URL|--clear [--title TITLE]`: the user's contact link and job title (e-card; audited)."""

from __future__ import annotations

import argparse
import getpass
import sys

from studio.errors import ValidationError

# A password line longer than this is not a password: read no further.
_MAX_STDIN = 4096


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("user", help="user accounts")
    actions = parser.add_subparsers(dest="user_command", required=True)
    passwd = actions.add_parser(
        "passwd",
        help="set a user's password",
        description="Set a user's password: at least 10 characters from at least 3 of lower case, upper case, "
        "digits and symbols. Prompts twice without echo, or reads one line from stdin with --stdin.",
    )
    passwd.add_argument("username")
    passwd.add_argument(
        "--stdin", action="store_true", help="read the new password from the first line of stdin"
    )
    passwd.set_defaults(handler=_passwd)
    logout = actions.add_parser(
        "logout",
        help="end every login session of a user",
        description="End every login session of a user (e.g. a lost laptop): each browser shows the login "
        "form at its next click. Audited as session.revoked.",
    )
    logout.add_argument("username")
    logout.set_defaults(handler=_logout)
    email = actions.add_parser(
        "email",
        help="set the email single sign-on maps to a user",
        description="Set the email that single sign-on with STUDIO_SSO_CLAIM=email maps to this user (stored in "
        "lower case, one user per email), or remove it with --clear.",
    )
    email.add_argument("username")
    target = email.add_mutually_exclusive_group(required=True)
    target.add_argument("email", nargs="?", help="the user's email as the identity provider sends it")
    target.add_argument("--clear", action="store_true", help="remove the user's email")
    email.set_defaults(handler=_email)
    link = actions.add_parser(
        "link",
        help="set a user's contact link and job title",
        description="Set the contact link (an https link on a host in STUDIO_CONTACT_LINK_HOSTS, e.g. a WeCom "
        "link https://work.weixin.qq.com/ca/...) that a user's QR codes carry, or remove it with --clear; "
        "--title sets the job title (at most 12 characters, must pass the compliance check; '' removes it). "
        "A refused link or title exits 2 with the reason.",
    )
    link.add_argument("username")
    where = link.add_mutually_exclusive_group(required=True)
    where.add_argument("url", nargs="?", help="the contact link")
    where.add_argument("--clear", action="store_true", help="remove the user's contact link")
    link.add_argument("--title", help="the job title (职务); left unchanged when not given")
    link.set_defaults(handler=_link)


def _passwd(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.users import set_password

    password = _from_stdin() if args.stdin else _prompt()
    with session_scope() as session:
        set_password(session, args.username, password)
    sys.stderr.write(f"password changed for user '{args.username}'\n")
    return 0


def _logout(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.users import end_sessions

    with session_scope() as session:
        ended = end_sessions(session, args.username)
    sys.stderr.write(f"ended {ended} session(s) of user '{args.username}'\n")
    return 0


def _email(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.users import set_email

    with session_scope() as session:
        set_email(session, args.username, None if args.clear else args.email)
    sys.stderr.write(f"email {'cleared' if args.clear else 'set'} for user '{args.username}'\n")
    return 0


def _link(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.contacts import set_contact_as_operator

    with session_scope() as session:
        card = set_contact_as_operator(
            session,
            args.username,
            None if args.clear else args.url,
            args.title,
            keep_title=args.title is None,
        )
    sys.stderr.write(f"contact link {'cleared' if args.clear else 'set'} for user '{args.username}'\n")
    sys.stdout.write(f"{card.contact_link or ''}\n")
    return 0


def _from_stdin() -> str:
    raw = sys.stdin.buffer.readline(_MAX_STDIN + 1)
    if len(raw) > _MAX_STDIN:
        raise ValidationError("the password line on stdin is too long")
    try:
        password = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValidationError("the password on stdin is not valid UTF-8") from None
    if not password:
        raise ValidationError("no password on stdin")
    return password


def _prompt() -> str:
    if not sys.stdin.isatty():
        raise ValidationError("no terminal to prompt for the password; pipe it with --stdin")
    try:
        first = getpass.getpass("New password: ")
        again = getpass.getpass("Repeat new password: ")
    except EOFError:
        raise ValidationError("no password given") from None
    if again != first:
        raise ValidationError("the two passwords differ")
    return first
