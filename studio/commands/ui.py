"""`studio ui`: start the Streamlit app (what `make run` does after migrating and seeding)."""

from __future__ import annotations

import argparse
import os
import sys

from studio.settings import REPO_ROOT


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("ui", help="start the web app")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="0.0.0.0")
    parser.set_defaults(handler=_ui)


def _ui(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "streamlit_app.py"),
               "--server.port", str(args.port), "--server.address", args.address,
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    os.execv(sys.executable, command)
    return 0
