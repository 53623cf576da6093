"""A real `streamlit run` on a free port with a seeded SQLite database, and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A template waiting for review whose text holds markup and a blocking phrase: the review page must show
# the markup as literal text and mark the phrase. Planted as the oldest item, so it is on the first page.
PLANTED_TITLE = "浏览器转义检查"
PLANTED_MARKUP = "<script>document.title='pwned'</script><b>加粗</b>"
PLANTED_PHRASE = "稳赚不赔"
_PLANT = f"""
from datetime import UTC, datetime
from sqlmodel import Session, select
from studio.db.engine import default_engine
from studio.db.models import TemplateVersion, User
from studio.services.auth import actor_for
from studio.services.templates import TemplateDraft, create_template

with Session(default_engine()) as s:
    editor = actor_for(s, s.exec(select(User).where(User.username == "editor")).one())
    view = create_template(s, editor, TemplateDraft(title={PLANTED_TITLE!r},
                           body={PLANTED_MARKUP!r} + "本理财{PLANTED_PHRASE}。", product_type="wealth"))
    version = s.get(TemplateVersion, view.version_id)
    assert version.state == "submitted" and version.findings, version
    version.submitted_at = datetime(2000, 1, 1, tzinfo=UTC)
    s.commit()
"""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> None:  # type: ignore[type-arg]
    """Wait until Streamlit prints that it serves (a reader thread keeps the pipe drained), then check health."""
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "You can now view" in line:
                ready.set()
        ready.set()  # the process ended: stop waiting, the check below reports it

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout) or proc.poll() is not None:
        raise RuntimeError(f"streamlit did not start (exit code {proc.poll()})")
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
        assert response.read() == b"ok"


_SEEDED: list[Path] = []  # the first seeded data directory of this run, copied for later servers


def seeded_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a studio on `data`: migrated, demo-seeded, with the planted review item. Seeding
    renders posters (most of a minute), so it runs once per test run and later servers start on a copy."""
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": str(data),
        "STUDIO_DATABASE_URL": f"sqlite:///{data / 'studio.db'}",
        **extra,
    }
    if _SEEDED:
        shutil.copytree(_SEEDED[0], data, dirs_exist_ok=True)
        return env
    studio = [sys.executable, "-m", "studio.cli"]
    subprocess.run([*studio, "db", "upgrade"], env=env, check=True, cwd=ROOT)
    subprocess.run([*studio, "seed", "--demo"], env=env, check=True, cwd=ROOT)
    subprocess.run([sys.executable, "-c", _PLANT], env=env, check=True, cwd=ROOT)
    pristine = Path(tempfile.mkdtemp(prefix="studio-seeded-"))
    shutil.copytree(data, pristine, dirs_exist_ok=True)
    _SEEDED.append(pristine)
    return env


@contextmanager
def streamlit_server(
    env: dict[str, str], *options: str, port: int | None = None, timeout: float = 60
) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on loopback with extra `--section.option value` options; its URL."""
    port = port or _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *options,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, timeout)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def studio_server(data: Path, **extra_env: str) -> Iterator[str]:
    """A migrated, seeded (demo + the planted item) SQLite studio under `streamlit run`; yields its URL.
    `extra_env` adds settings, e.g. STUDIO_SESSION_IDLE_MINUTES for a server with a tiny idle timeout."""
    with streamlit_server(seeded_env(data, **extra_env)) as url:
        yield url


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of the shared `server` (its SQLite database is studio.db there)."""
    return tmp_path_factory.mktemp("e2e-data")


@pytest.fixture(scope="session")
def server(server_data: Path) -> Iterator[str]:
    with studio_server(server_data) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (make test installs it when run as root)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Streamlit marks the app idle with this attribute (its own e2e suite waits on it, never sleeps)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
