"""Every page in headless Chromium against a real `streamlit run`: demo data set vs the network-sized one.

    PYTHONPATH=$PWD python benchmarks/bench_pages.py [--db sqlite|postgres|both] [--runs 5] [--keep]
                                                     [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432]

Two data sets per database: `demo` (db upgrade + seed --demo) and `large` (the same + seed --scale: 20,000
templates, 5,000 waiting reviews, 2,300 branches). Each lives in data/bench_pages/<db>-<set>/ (the SQLite
file and the audit key the seed used; the server gets the same STUDIO_DATA_DIR) and, on PostgreSQL, in the
databases bench_pages_demo / bench_pages_large, dropped and recreated unless --keep finds them seeded.
Seeding takes about 2 minutes; measuring both databases with --runs 5 about 20 minutes on 2 cores.

Both data sets' servers run at once and the rounds alternate between them. In a round, a fresh browser
session logs in (timed: the login click to the role's first page rendered), uses the page it lands on, visits
the role's other pages through the sidebar (timed: click to rendered) and on each page makes its interactions
(filter change, next page, open an item, search), each a rerun of the page or of its fragment. "Rendered"
means the run the input started has finished (a MutationObserver in the page records each change of
Streamlit's `data-test-script-state` with its time) and the page's heading is visible; times run from the
input event (mousedown / keydown, recorded in the page) to the end of that run. Round 0 warms the server
up; the figure is the median of the next --runs rounds. Every login moves the data version (it is audited),
so each round's page reads start with empty caches. A sample whose input started no run within 10 s is
counted as failed and reported. Targets: login < 2 s, first render < 2 s, rerun < 500 ms, large ≤ 1.5× demo.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
PASSWORD = "Demo@2026"
TARGET_LOGIN, TARGET_RENDER, TARGET_RERUN, TARGET_RATIO = 2000.0, 2000.0, 500.0, 1.5
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432"


# --- data sets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    db: str  # sqlite | postgres
    name: str  # demo | large
    pg_url: str

    @property
    def data_dir(self) -> Path:
        return ROOT / "data" / "bench_pages" / f"{self.db}-{self.name}"

    @property
    def url(self) -> str:
        if self.db == "sqlite":
            return f"sqlite:///{self.data_dir / 'studio.db'}"
        return f"{self.pg_url}/bench_pages_{self.name}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STUDIO_DATA_DIR": str(self.data_dir),
            "STUDIO_DATABASE_URL": self.url,
            "PYTHONPATH": str(ROOT),
        }


def _recreate_pg(dataset: DataSet) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{dataset.pg_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "bench_pages_{dataset.name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "bench_pages_{dataset.name}"'))
    admin.dispose()


def prepare(dataset: DataSet, keep: bool) -> None:
    """Seed the data set from scratch (or reuse it with --keep when a previous run finished seeding it)."""
    marker = dataset.data_dir / "seeded"
    if keep and marker.exists():
        _studio(dataset, "db", "upgrade")  # new migrations onto a kept database
        return
    shutil.rmtree(dataset.data_dir, ignore_errors=True)
    dataset.data_dir.mkdir(parents=True)
    if dataset.db == "postgres":
        _recreate_pg(dataset)
    started = time.perf_counter()
    _studio(dataset, "db", "upgrade")
    _studio(dataset, "seed", "--demo")
    if dataset.name == "large":
        _studio(dataset, "seed", "--scale")
    marker.write_text(dataset.url + "\n")
    print(f"  seeded {dataset.db}/{dataset.name} in {time.perf_counter() - started:.0f} s", flush=True)


def _studio(dataset: DataSet, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", *args], env=dataset.env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(
            f"studio {' '.join(args)} failed on {dataset.db}/{dataset.name}: "
            f"{(done.stderr or done.stdout).strip()[-500:]}"
        )


# --- the server ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(dataset: DataSet) -> Iterator[str]:
    port = _free_port()
    log = (dataset.data_dir / "server.log").open("w")
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
            "--server.fileWatcherType",
            "none",
            "--server.runOnSave",
            "false",
        ],
        env=dataset.env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with {proc.returncode}; see its server.log")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("streamlit did not become healthy in 90 s")


# --- timing in the browser ----------------------------------------------------------------------------------

# Records the time of every user input and every change of the app's script state, in the page's clock.
WATCH = """
window.__bench = {input: 0, changes: []};
for (const kind of ['mousedown', 'keydown']) {
  document.addEventListener(kind, () => { window.__bench.input = performance.now(); }, true);
}
new MutationObserver(records => {
  for (const r of records) {
    if (r.target.getAttribute('data-testid') === 'stApp') {
      window.__bench.changes.push([r.target.getAttribute('data-test-script-state'), performance.now()]);
    }
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""
# A run started after `mark`; the app is idle again.
STARTED = "mark => window.__bench.changes.some(x => x[1] > mark && x[0] !== 'notRunning')"
IDLE = (
    "() => { const c = window.__bench.changes; return c.length > 0 && c[c.length - 1][0] === 'notRunning'; }"
)
TIMEOUT_MS = 120_000
START_MS = 10_000  # an input that started no run in this time missed its widget: that sample fails


def timed(page, act: Callable[[], None], ready: Callable[[], object] | None = None) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds from the input event `act` makes to the end of the run it starts (with `ready` visible)."""
    mark = page.evaluate("performance.now()")
    act()
    page.wait_for_function(STARTED, arg=mark, timeout=START_MS, polling=20)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=20)
    if ready is not None:
        ready().wait_for(state="visible", timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=20)  # e.g. a second run after st.rerun()
    start, end = page.evaluate("[window.__bench.input, window.__bench.changes.at(-1)[1]]")
    if start <= mark:
        raise RuntimeError("no input event recorded for the timed action")
    return float(end - start)


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT_MS)


def pick(page, label: str, index: int):  # type: ignore[no-untyped-def]
    """Choose the index-th option of the selectbox labelled `label` (opening it is not a rerun)."""

    def act() -> None:
        box = page.get_by_role("combobox", name=label, exact=True).first
        box.click()
        listbox = page.get_by_role("listbox").filter(visible=True)
        try:
            listbox.wait_for(timeout=2_000)
        except Exception:  # noqa: BLE001 - the click only focused it (e.g. while scrolling into view)
            box.press("ArrowDown")
        listbox.get_by_role("option").nth(index).click()

    return act


def click(page, name: str, role: str = "button"):  # type: ignore[no-untyped-def]
    return lambda: page.get_by_role(role, name=name, exact=True).first.click()


def type_in(page, label: str, value: str, submit: str = "Enter"):  # type: ignore[no-untyped-def]
    def act() -> None:
        box = page.get_by_label(label, exact=True).first
        box.fill(value)
        box.press(submit)

    return act


def step(page, label: str, direction: str):  # type: ignore[no-untyped-def]
    """Click the +/- of a number input (direction: 'increment' or 'decrement')."""
    testid = "stNumberInputStepUp" if direction == "increment" else "stNumberInputStepDown"
    widget = page.locator("[data-testid='stNumberInput']").filter(has_text=label).first
    return lambda: widget.locator(f"[data-testid='{testid}']").click()


def radio(page, option: str):  # type: ignore[no-untyped-def]
    group = page.locator("[data-testid='stRadio'] [role='radiogroup'] label")
    return lambda: group.filter(has_text=option).first.click()


def radio_nth(page, index: int):  # type: ignore[no-untyped-def]
    return lambda: page.locator("[data-testid='stRadio'] [role='radiogroup'] label").nth(index).click()


def heading(page, title: str):  # type: ignore[no-untyped-def]
    return lambda: page.get_by_role("heading", name=title, exact=True).first


# --- what each role does ------------------------------------------------------------------------------------

# Per page: (interaction name, action factory, client-side step before it or None). Each interaction is a
# rerun of the page or of its fragment; the order matters (e.g. next page before a filter leaves one page).
Interaction = tuple[str, Callable[..., Callable[[], None]], Callable[..., None] | None]
INTERACTIONS: dict[str, list[Interaction]] = {
    "审核": [
        ("下一页", lambda p: click(p, "下一页"), None),
        ("打开条目", lambda p: radio_nth(p, 1), None),
        ("筛选 风险级别", lambda p: pick(p, "最低风险级别", 2), None),
    ],
    "素材库": [
        ("翻页", lambda p: step(p, "页码", "increment"), None),
        ("预览另一条", lambda p: pick(p, "预览模板", 1), None),
        ("筛选 渠道", lambda p: pick(p, "渠道", 1), None),
        ("全文搜索", lambda p: type_in(p, "全文搜索（如：冬至 团圆、防诈骗、理财 风险）", "理财"), None),
    ],
    "本地化": [
        ("搜索模板", lambda p: type_in(p, "搜索模板（标题、正文、时机、标签）", "理财"), None),
        ("选择模板", lambda p: pick(p, "选择模板", 1), None),
        ("我的内容 筛选状态", lambda p: pick(p, "状态", 3), lambda p: click(p, "我的内容", "tab")()),
        ("我的内容 打开", lambda p: pick(p, "打开内容", 1), None),
    ],
    "内容日历": [
        ("上个月", lambda p: step(p, "月", "decrement"), None),
        ("搜索机构", lambda p: type_in(p, "搜索机构（名称或代码）", "支行"), None),
    ],
    "今日内容": [],
    "节日日历": [
        ("年视图", lambda p: radio(p, "年"), None),
        ("切换省份", lambda p: pick(p, "省份", 3), None),
    ],
    "合规规则": [
        (
            "试一试",
            lambda p: type_in(p, "输入一段文案，立即检查", "本理财产品保本保息，稳赚不赔", "Control+Enter"),
            None,
        ),
        ("查看规则", lambda p: pick(p, "查看规则", 5), lambda p: click(p, "规则说明", "tab")()),
    ],
    "审计日志": [
        ("下一页", lambda p: click(p, "下一页"), None),
        ("筛选 动作", lambda p: pick(p, "动作", 1), None),
    ],
    "看板": [
        ("采用率低的在前", lambda p: lambda: p.get_by_text("采用率低的在前", exact=True).click(), None),
        ("筛选 分行", lambda p: pick(p, "分行", 1), None),
    ],
}
# (user, the page login lands on, the other pages visited); demo logins from the README.
ROLES = [
    ("reviewer", "审核", []),
    ("editor", "素材库", ["节日日历", "内容日历"]),
    ("localiser", "本地化", ["内容日历"]),
    ("staff", "今日内容", []),
    ("admin", "合规规则", ["审计日志", "看板"]),
]


# --- running it ---------------------------------------------------------------------------------------------

Key = tuple[str, str, str]  # (user, page, measure)
LOGIN, RENDER = "登录 → 首屏", "导航 → 首屏"


@dataclass
class Figures:
    """Every timing of one data set, per (user, page, measure), round 0 (the warm-up) first."""

    times: dict[Key, list[float]] = field(default_factory=dict)
    errors: dict[Key, str] = field(default_factory=dict)
    label: str = ""
    verbose: bool = False

    def add(self, key: Key, measure: Callable[[], float]) -> bool:
        """Take one sample; a failed one (e.g. a widget not found) is counted and reported, the run goes on."""
        try:
            self.times.setdefault(key, []).append(ms := measure())
        except Exception as error:  # noqa: BLE001
            self.errors[key] = f"{self.failed(key) + 1} failed: " + str(error).splitlines()[0][:120]
            ms = None
        if self.verbose:
            print(
                "   ",
                self.label,
                " · ".join(key),
                f"{ms:.0f} ms" if ms is not None else self.errors[key],
                flush=True,
            )
        return ms is not None

    def failed(self, key: Key) -> int:
        return int(self.errors[key].split(" ", 1)[0]) if key in self.errors else 0


def _navigate(page, title: str):  # type: ignore[no-untyped-def]
    return lambda: page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first.click()


def _interact(page, figures: Figures, user: str, title: str) -> None:  # type: ignore[no-untyped-def]
    for name, factory, before in INTERACTIONS[title]:
        if before is not None:
            try:
                before(page)
            except Exception as error:  # noqa: BLE001
                figures.errors[(user, title, name)] = "1 failed: " + str(error).splitlines()[0][:120]
                continue
        if not figures.add((user, title, name), lambda f=factory: timed(page, f(page))):
            page.keyboard.press("Escape")  # e.g. a dropdown left open


def one_round(browser, url: str, figures: Figures, user: str, home: str, others: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A fresh browser session: log in, use the landing page, visit the others, come back to the landing page."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.add_init_script(WATCH)
    page.set_default_timeout(15_000)  # finding a widget; waiting for a run uses TIMEOUT_MS
    try:
        page.goto(url)
        page.get_by_role("button", name="登录").wait_for()
        _idle(page)
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(PASSWORD)
        figures.add((user, home, LOGIN), lambda: timed(page, click(page, "登录"), heading(page, home)))
        _interact(page, figures, user, home)
        for title in others:
            figures.add(
                (user, title, RENDER), lambda t=title: timed(page, _navigate(page, t), heading(page, t))
            )
            _interact(page, figures, user, title)
        if not others:  # leave the landing page to time coming back to it
            figures.add(
                (user, "账户与安全", RENDER),
                lambda: timed(page, _navigate(page, "账户与安全"), heading(page, "账户与安全")),
            )
        figures.add((user, home, RENDER), lambda: timed(page, _navigate(page, home), heading(page, home)))
    finally:
        context.close()


def measure(sets: list[DataSet], runs: int, verbose: bool) -> list[Figures]:
    """Both data sets' servers run side by side and every round alternates between them, so a change in
    the machine's load during the run weighs on demo and large alike."""
    from playwright.sync_api import sync_playwright

    figures = [Figures(label=dataset.name, verbose=verbose) for dataset in sets]
    started = time.perf_counter()
    with ExitStack() as stack:
        urls = [stack.enter_context(server(dataset)) for dataset in sets]
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        for user, home, others in ROLES:
            for _ in range(runs + 1):
                for url, figs in zip(urls, figures, strict=True):
                    one_round(browser, url, figs, user, home, others)
    print(f"  measured {sets[0].db} in {time.perf_counter() - started:.0f} s", flush=True)
    return figures


# --- the report ---------------------------------------------------------------------------------------------


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int, right: bool = False) -> str:
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def _target(measure_name: str) -> float:
    return {LOGIN: TARGET_LOGIN, RENDER: TARGET_RENDER}.get(measure_name, TARGET_RERUN)


def _median(values: list[float]) -> float | None:
    """The median after the warm-up (the warm-up alone when that is all there is)."""
    return statistics.median(values[1:] or values) if values else None


def verdict(key: Key, demo: Figures, large: Figures) -> tuple[list[str], bool]:
    """The report row for one measure and whether it met its targets."""
    small, big = _median(demo.times.get(key, [])), _median(large.times.get(key, []))
    if small is None or big is None:
        why = large.errors.get(key) or demo.errors.get(key) or "not measured"
        return [*key, "-", "-", "-", "-", f"ERROR {why}"], False
    cold, ratio, target = large.times[key][0], big / small, _target(key[2])
    problems = ([f"> {target:.0f} ms"] if big >= target else []) + (
        [f"> {TARGET_RATIO}×"] if ratio > TARGET_RATIO else []
    )
    result = "PASS" if not problems else "FAIL " + ", ".join(problems)
    if failures := demo.failed(key) + large.failed(key):
        result += f" ({failures} samples failed)"
    return [*key, f"{small:.0f}", f"{big:.0f}", f"{ratio:.2f}", f"{cold:.0f}", result], not problems


def report(db: str, runs: int, demo: Figures, large: Figures) -> int:
    """Print the table for one database; returns how many measures missed a target."""
    keys = list(dict.fromkeys([*demo.times, *demo.errors, *large.times, *large.errors]))
    header = ["user", "page", "measure", "demo ms", "large ms", "ratio", "large cold", "result"]
    widths = [10, 10, 20, 9, 9, 6, 11, 0]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{db} · {stamp} · {os.cpu_count()} cores, load average {load} · median of {runs} after one warm-up "
        f"(targets: login/render < 2000 ms, rerun < 500 ms, large ≤ {TARGET_RATIO}× demo)"
    )
    print(
        "  ".join(_cell(h, w, right=3 <= i <= 6) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    )
    failed = 0
    for key in keys:
        row, ok = verdict(key, demo, large)
        failed += not ok
        print(
            "  ".join(
                _cell(c, w, right=3 <= i <= 6) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(f"{len(keys) - failed} of {len(keys)} measures met their targets on {db}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after the warm-up (median)")
    parser.add_argument("--keep", action="store_true", help="reuse data sets a previous run seeded")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="PostgreSQL server URL, without a database")
    parser.add_argument("--users", default="", help="only these demo users (comma separated), e.g. reviewer")
    parser.add_argument("--verbose", action="store_true", help="print every timing as it is taken")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM} (make browser-deps installs it)", file=sys.stderr)
        return 2
    if args.users:
        wanted = set(args.users.split(","))
        ROLES[:] = [role for role in ROLES if role[0] in wanted]
    failed = 0
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        sets = [DataSet(db, name, args.pg_url.rstrip("/")) for name in ("demo", "large")]
        for dataset in sets:
            prepare(dataset, args.keep)
        demo, large = measure(sets, args.runs, args.verbose)
        failed += report(db, args.runs, demo, large)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
