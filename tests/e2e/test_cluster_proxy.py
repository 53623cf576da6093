"""`deploy/cluster.py` as an operator runs it (`make cluster`): two instances on one PostgreSQL behind nginx.
The proxy spreads new users over both instances, keeps each user (cookie) on one, carries the websocket
(a browser logs in through it), and serves the staff feed from disk, where a rotated link is gone at once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, _drop_postgres, _fresh_postgres
from tests.e2e.conftest import ROOT, _free_port, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
_LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) .*upstream=(?P<up>\S+) route=(?P<route>\S+)'
)


@dataclass(frozen=True)
class Proxy:
    url: str
    runtime: Path
    env: dict[str, str]

    def log(self) -> list[dict[str, str]]:
        text = (self.runtime / "logs" / "access.log").read_text(encoding="utf-8")
        return [m.groupdict() for m in map(_LOG_LINE.search, text.splitlines()) if m]


def _started(proc: subprocess.Popen[str], timeout: float) -> str:
    """The URL from the launcher's "cluster ready: URL" line (a thread keeps reading its output)."""
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("cluster ready: "):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout) or not (
        found := [ln.split(": ", 1)[1] for ln in lines if ln.startswith("cluster ready: ")]
    ):
        tail = "\n".join(lines[-20:])
        raise RuntimeError(f"deploy/cluster.py did not start (exit code {proc.poll()}):\n{tail}")
    return found[0]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if NGINX is None:
        pytest.skip("nginx not installed (make nginx-deps installs it when run as root)")
    if not POSTGRES_URL:
        pytest.skip("STUDIO_TEST_POSTGRES_URL not set: the cluster needs PostgreSQL")
    url, _ = _fresh_postgres(POSTGRES_URL)
    runtime, data = tmp_path_factory.mktemp("cluster-runtime"), tmp_path_factory.mktemp("cluster-data")
    env = {**os.environ, "STUDIO_DATABASE_URL": url, "STUDIO_DATA_DIR": str(data)}
    first = _free_port()
    while _free_port() == first + 1:  # the second instance takes first + 1; good enough on loopback
        first = _free_port()
    command = [
        sys.executable,
        str(ROOT / "deploy" / "cluster.py"),
        "--nginx",
        NGINX,
        "--runtime-dir",
        str(runtime),
    ]
    command += ["--port", str(_free_port()), "--first-app-port", str(first)]
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield Proxy(_started(proc, 400), runtime, env)
    finally:
        proc.terminate()  # SIGTERM: the launcher stops nginx and both instances
        proc.wait(timeout=60)
        _drop_postgres(POSTGRES_URL, url)


def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (Set-Cookie: only the proxy's route cookie, if set) and body."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            headers = dict(response.headers)
            routes = [
                c for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("studio_route=")
            ]
            headers.pop("Set-Cookie", None)
            headers.update({"Set-Cookie": routes[0]} if routes else {})
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def test_new_users_spread_and_each_stays_on_one_instance(proxy):  # type: ignore[no-untyped-def]
    cookies = []
    for _ in range(16):
        status, headers, _ = _get(f"{proxy.url}/_stcore/health")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        assert cookie.startswith("studio_route=") and "HttpOnly" in headers["Set-Cookie"]
        cookies.append(cookie)
    for cookie in cookies[:4]:
        for _ in range(5):
            status, headers, _ = _get(f"{proxy.url}/_stcore/health", cookie)
            assert status == 200 and "Set-Cookie" not in headers  # a known user gets no new route
    by_route: dict[str, set[str]] = {}
    for line in proxy.log():
        if line["path"] == "/_stcore/health":
            by_route.setdefault(line["route"], set()).add(line["up"])
    first_hits = [by_route[c.split("=", 1)[1]] for c in cookies]
    assert len(set().union(*first_hits)) == 2, "16 new users all landed on one instance"
    assert all(len(by_route[c.split("=", 1)[1]]) == 1 for c in cookies[:4]), by_route


def test_security_headers_on_the_app(proxy):  # type: ignore[no-untyped-def]
    status, headers, _ = _get(proxy.url + "/")
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Server"] == "nginx"  # no version


def test_browser_session_through_the_proxy_keeps_one_instance(proxy, page):  # type: ignore[no-untyped-def]
    page.goto(proxy.url)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("Demo@2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="今日内容").wait_for(timeout=30_000)  # the websocket went through
    wait_idle(page)
    route = next(c["value"] for c in page.context.cookies() if c["name"] == "studio_route")
    page.close()  # nginx logs the websocket when it closes
    deadline = time.monotonic() + 20
    while not any(line["path"].startswith("/_stcore/stream") for line in _lines(proxy, route)):
        assert time.monotonic() < deadline, "the websocket never went through the proxy"
        time.sleep(0.2)
    upstreams = Counter(line["up"] for line in _lines(proxy, route))
    assert len(upstreams) == 1, upstreams


def _lines(proxy: Proxy, route: str) -> list[dict[str, str]]:
    return [line for line in proxy.log() if line["route"] == route]


def _rotate(proxy: Proxy) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "feed", "rotate", "--org", "JX01-01"],
        env=proxy.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()  # "<token>/" without STUDIO_FEED_BASE_URL


def test_feed_served_from_disk_and_rotation_is_immediate(proxy):  # type: ignore[no-untyped-def]
    old = _rotate(proxy)
    status, headers, body = _get(f"{proxy.url}/feed/{old}")
    assert status == 200 and "章贡支行".encode() in body
    assert headers["Cache-Control"] == "no-cache" and headers["Referrer-Policy"] == "no-referrer"
    assert "ETag" in headers and "charset=utf-8" in headers["Content-Type"]
    status, headers, body = _get(f"{proxy.url}/feed/{old}feed.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert not [line for line in proxy.log() if line["path"].startswith("/feed/") and line["up"] != "-"]
    assert _get(f"{proxy.url}/feed/")[0] in (200, 403, 404)  # the empty index page or nothing: no listing
    assert old.encode() not in _get(f"{proxy.url}/feed/")[2]
    new = _rotate(proxy)
    assert _get(f"{proxy.url}/feed/{old}")[0] == 404
    assert _get(f"{proxy.url}/feed/{old}feed.json")[0] == 404
    assert _get(f"{proxy.url}/feed/{new}")[0] == 200
