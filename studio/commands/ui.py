"""`studio ui`: start the Streamlit app (what `make run` does after migrating and seeding).

It listens on 127.0.0.1 unless told otherwise: the demo accounts share a public password, so the app is
not put on the network by default. Before starting it warns about admins still using that password.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_ADDRESS = "127.0.0.1"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ui", help="start the web app")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on (default: {DEFAULT_ADDRESS}; 0.0.0.0 for every interface)",
    )
    parser.set_defaults(handler=_ui)


def streamlit_command(port: int, address: str) -> list[str]:
    """The command line that serves the app; flags given here take precedence over .streamlit/config.toml."""
    script = Path(__file__).resolve().parents[1] / "ui" / "main.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def demo_password_warnings() -> list[str]:
    """One line per admin still using the public demo password; none when the database cannot tell."""
    from sqlalchemy.exc import SQLAlchemyError

    from studio.db.engine import session_scope
    from studio.services.users import admins_with_demo_password

    try:
        with session_scope() as session:
            admins = admins_with_demo_password(session)
    except SQLAlchemyError:  # not migrated yet: the app itself says so
        return []
    return [
        f"warning: user '{name}' still has the public demo password; change it with "
        f"`studio user passwd {name}`"
        for name in admins
    ]


def _ui(args: argparse.Namespace) -> int:
    for line in demo_password_warnings():
        sys.stderr.write(line + "\n")
    sys.stderr.flush()
    command = streamlit_command(args.port, args.address)
    os.execv(sys.executable, command)
    return 0
