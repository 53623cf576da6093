#!/usr/bin/env python3
"""Run the studio as several instances on one PostgreSQL database behind nginx, on this machine.

    STUDIO_DATABASE_URL=postgresql+psycopg://user@127.0.0.1:5432/studio python deploy/cluster.py

Migrates and seeds the database once (`studio db upgrade`, `studio seed --demo`), starts N app
instances (`studio ui`, default 2, on ports 8601, 8602, ...) that share the database, the data directory
(audit key, audit anchors, staff feed) and one Streamlit cookie secret, M `studio worker` processes
for long jobs (--workers, default 1, with STUDIO_JOB_QUEUE=procrastinate for all), then nginx on --port (default
8080) with deploy/nginx/studio.conf rendered into a scratch directory (pid, logs and temporary files
there, so no root is needed). Prints "cluster ready: URL" when everything answers; Ctrl-C (or SIGTERM)
stops everything. Exit 2 with one line on stderr when it cannot start.

This file imports nothing from `studio`: it drives the installed `studio` command like an operator would.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = HERE / "nginx" / "studio.conf"
MAIN_TEMPLATE = HERE / "nginx" / "nginx-local.conf"
STUDIO = [sys.executable, "-m", "studio.cli"]


class StartError(Exception):
    """Something the operator must fix; printed as one line."""


def render(template: Path, values: dict[str, str]) -> str:
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    if re.search(r"@@[A-Z_]+@@", text):
        raise StartError(f"{template.name}: a placeholder was left unfilled")
    return text


def write_nginx_config(runtime: Path, listen: str, app_ports: list[int], feed_dir: Path) -> Path:
    """The main config and studio.conf under `runtime`, with the scratch paths nginx needs as non-root."""
    for sub in ("logs", "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (runtime / sub).mkdir(parents=True, exist_ok=True)
    upstreams = "\n".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in app_ports)
    studio_conf = render(
        TEMPLATE,
        {
            "LISTEN": listen,
            "UPSTREAMS": upstreams,
            "FEED_DIR": str(feed_dir),
            "LOG_DIR": str(runtime / "logs"),
        },
    )
    (runtime / "studio.conf").write_text(studio_conf, encoding="utf-8")
    main = runtime / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # non-root: workers run as this user anyway
    main.write_text(render(MAIN_TEMPLATE, {"RUNTIME_DIR": str(runtime), "USER_LINE": user}), encoding="utf-8")
    return main


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until `url` answers 200; fail early when the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError(f"{proc.args!r} exited ({proc.returncode}) before {url} answered")
        with suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.3)
    raise StartError(f"{url} did not answer within {timeout:.0f} s")


def instance_env(
    base: dict[str, str], database_url: str, data_dir: Path, cookie_secret: str
) -> dict[str, str]:
    return {
        **base,
        "STUDIO_DATABASE_URL": database_url,
        "STUDIO_DATA_DIR": str(data_dir),
        "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
        "PYTHONUNBUFFERED": "1",
    }


def prepare_database(env: dict[str, str], seed: bool, scale: bool) -> None:
    steps = (
        [["db", "upgrade"]]
        + ([["seed", "--demo"]] if seed else [])
        + ([["seed", "--scale"]] if scale else [])
    )
    for step in steps:
        print(f"cluster: studio {' '.join(step)}", flush=True)
        done = subprocess.run([*STUDIO, *step], env=env, cwd=ROOT)
        if done.returncode != 0:
            raise StartError(f"studio {' '.join(step)} failed (exit {done.returncode})")


@contextmanager
def running(args: argparse.Namespace) -> Iterator[str]:
    """Start instances and nginx; yield the proxy's URL; stop them all on the way out."""
    nginx = shutil.which(args.nginx) or (args.nginx if Path(args.nginx).exists() else None)
    if nginx is None:
        raise StartError("nginx not found: install it (make nginx-deps, or apt-get install nginx-light)")
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_urlsafe(32)
    env = instance_env(dict(os.environ), args.database_url, data_dir, secret)
    if args.workers:
        env["STUDIO_JOB_QUEUE"] = "procrastinate"  # instances queue long jobs; the workers run them
    prepare_database(env, seed=not args.no_seed, scale=args.scale)
    runtime = (
        Path(args.runtime_dir).resolve()
        if args.runtime_dir
        else Path(tempfile.mkdtemp(prefix="studio-cluster-"))
    )
    feed_dir = Path(env.get("STUDIO_FEED_DIR") or data_dir / "feed").resolve()
    feed_dir.mkdir(parents=True, exist_ok=True)
    ports = [args.first_app_port + i for i in range(args.instances)]
    (runtime / "logs").mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            with open(runtime / "logs" / f"app-{port}.log", "wb") as log:  # the child keeps its own handle
                command = [*STUDIO, "ui", "--port", str(port)]
                procs.append(
                    subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                )
        for port, proc in zip(ports, procs, strict=True):
            wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, args.timeout)
        procs += start_workers(args.workers, env, runtime / "logs")
        config = write_nginx_config(runtime, f"{args.address}:{args.port}", ports, feed_dir)
        procs.append(
            subprocess.Popen([nginx, "-c", str(config), "-p", str(runtime), "-g", "daemon off;"], cwd=runtime)
        )
        url = f"http://{args.address}:{args.port}"
        wait_http(f"{url}/_stcore/health", procs[-1], args.timeout)
        workers = f"{args.workers} worker(s)" if args.workers else "no worker (jobs run in the instances)"
        print(
            f"cluster: instances on {', '.join(map(str, ports))}, {workers}; logs in {runtime / 'logs'}",
            flush=True,
        )
        print(f"cluster ready: {url}", flush=True)
        yield url
    finally:
        stop(procs)
        if not args.runtime_dir and not args.keep_logs:
            shutil.rmtree(runtime, ignore_errors=True)


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    """`studio worker` processes on the same settings as the instances; each logs to worker-N.log."""
    workers = []
    for number in range(1, count + 1):
        with open(logs / f"worker-{number}.log", "wb") as log:
            command = [*STUDIO, "worker", "--name", f"cluster-worker-{number}"]
            workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    time.sleep(0.5)
    for worker in workers:
        if worker.poll() is not None:
            raise StartError(f"studio worker exited ({worker.returncode}); see {logs}")
    return workers


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()  # nginx: fast shutdown; streamlit: clean exit
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`studio worker` processes for long jobs (default 1; 0 = jobs run inside the instances)",
    )
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument("--address", default="127.0.0.1", help="nginx's address (default 127.0.0.1)")
    parser.add_argument(
        "--first-app-port", type=int, default=8601, help="first instance's port (default 8601)"
    )
    parser.add_argument("--database-url", default=os.environ.get("STUDIO_DATABASE_URL", ""))
    parser.add_argument("--data-dir", default=os.environ.get("STUDIO_DATA_DIR", str(ROOT / "data")))
    parser.add_argument("--runtime-dir", help="nginx config, pid, logs and temp files (default: a temp dir)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temp runtime dir on exit")
    parser.add_argument("--no-seed", action="store_true", help="migrate only; no `studio seed --demo`")
    parser.add_argument("--scale", action="store_true", help="also `studio seed --scale` (minutes)")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for each process")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("several instances need PostgreSQL: set STUDIO_DATABASE_URL or --database-url")
    if args.instances < 1:
        parser.error("--instances must be at least 1")
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def on_signal(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        with running(args):
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("cluster: stopped", flush=True)
        return 0
    except StartError as error:
        sys.stderr.write(f"cluster: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
