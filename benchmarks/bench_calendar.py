"""Build and export one month of calendars for 2,300 branches; print the time against a same-run baseline.

Usage: python benchmarks/bench_calendar.py [--branches 2300] [--month 2026-12] [--formats json,csv]

Generates an org tree (86 banks, ~27 branches each) and approved content (national and bank-level) in a
throwaway SQLite database, then times `studio calendar export --all` (planner + files) through the same
service the CLI uses. Baseline: writing the same number of JSON files of the same size with no planning
(the I/O floor), measured in this run. Target: < 60 s for 2,300 branches.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVINCES = ["江西", "广西", "湖南", "福建", "云南", "四川", "河南", "山东"]
TYPES = ["knowledge", "service", "interaction", "culture", "product", "knowledge", "service"]
OCCASIONS = [
    ("冬至", "solar_term"),
    ("大雪", "solar_term"),
    ("圣诞节", "festival"),
    ("平安夜", "festival"),
    ("双12", "marketing_day"),
    ("反电信网络诈骗法施行日", "finance_day"),
]


def generate(url: str, branches: int) -> None:
    from sqlmodel import Session, SQLModel, select

    from studio.db.engine import make_engine
    from studio.db.models import Org, Template, TemplateVersion, User, Variant

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    rng = random.Random(7)
    with Session(engine) as s:
        hq = Org(code="HQ", name="总行", kind="hq", path="/1/")
        s.add(hq)
        s.flush()
        user = User(username="bench", display_name="bench", password_hash="!", role="hq_editor", org_id=hq.id)
        s.add(user)
        s.flush()
        banks = []
        for b in range(86):
            bank = Org(
                code=f"B{b:02d}",
                name=f"第{b}分行",
                kind="branch",
                parent_id=hq.id,
                province=PROVINCES[b % len(PROVINCES)],
            )
            s.add(bank)
            banks.append(bank)
        s.flush()
        for bank in banks:
            bank.path = f"/1/{bank.id}/"
        for n in range(branches):
            bank = banks[n % len(banks)]
            s.add(
                Org(
                    code=f"{bank.code}-{n:04d}",
                    name=f"支行{n}",
                    kind="sub_branch",
                    parent_id=bank.id,
                    province=bank.province,
                    path="",
                )
            )
        s.flush()
        for org in s.exec(select(Org).where(Org.kind == "sub_branch")):
            org.path = f"/1/{org.parent_id}/{org.id}/"

        def content(owner: Org, i: int, occasion: tuple[str, str] | None) -> None:
            template = Template(code=f"t-{owner.code}-{i}", owner_org_id=hq.id, created_by=user.id)
            s.add(template)
            s.flush()
            channel = "moments" if i % 3 else "group"
            version = TemplateVersion(
                template_id=template.id,
                version_no=1,
                title=f"内容{i}",
                body="x",
                slots=[],
                occasion_kind=occasion[1] if occasion else "everyday",
                occasion=occasion[0] if occasion else None,
                content_type=TYPES[i % len(TYPES)],
                persona="expert",
                channel=channel,
                product_type="general",
                state="approved",
                verdict="pass",
                findings=[],
                ruleset="bench",
                created_by=user.id,
            )
            s.add(version)
            s.flush()
            text = f"{owner.name}：金融知识小课堂第{i}期。" + "存款、理财与防诈骗的实用知识。" * rng.randint(
                3, 8
            )
            s.add(
                Variant(
                    org_id=owner.id,
                    template_version_id=version.id,
                    title=f"内容{i}",
                    text=text,
                    state="approved",
                    verdict="pass",
                    findings=[],
                    ruleset="bench",
                    created_by=user.id,
                )
            )

        for i in range(150):
            content(hq, i, OCCASIONS[i % len(OCCASIONS)] if i < len(OCCASIONS) * 2 else None)
        for bank in banks:
            for i in range(8):
                content(bank, 1000 + i, OCCASIONS[i] if i < 2 else None)
        s.commit()
    engine.dispose()


def baseline(out: Path, count: int, sample: dict) -> float:
    """Write `count` JSON files like the real ones, without planning: the floor the export cannot beat."""
    start = time.perf_counter()
    for n in range(count):
        folder = out / f"org{n}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "2026-12.json").write_text(
            json.dumps(sample, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=2300)
    parser.add_argument("--month", default="2026-12")
    parser.add_argument("--formats", default="json", help="comma-separated: json,ics,xlsx,csv,html")
    parser.add_argument("--jobs", type=int, default=1, help="processes (as `studio calendar export --jobs`)")
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'bench.db'}"
        os.environ["STUDIO_DATABASE_URL"] = url
        t0 = time.perf_counter()
        generate(url, args.branches)
        gen = time.perf_counter() - t0

        from sqlmodel import Session

        from studio.db.engine import make_engine
        from studio.planning.exporters import to_json_dict
        from studio.services.library_import import ensure_library_actor
        from studio.services.planning import export_all_parallel, export_month

        engine = make_engine(url)
        t0 = time.perf_counter()
        with Session(engine) as session:
            actor = ensure_library_actor(session)
            if args.jobs > 1:
                count, _ = export_all_parallel(
                    session, actor, url, args.month, tmpdir / "out", formats, jobs=args.jobs
                )
            else:
                count = len(list(export_month(session, actor, None, args.month, tmpdir / "out", formats)))
        elapsed = time.perf_counter() - t0
        with Session(engine) as session:
            sample = next(
                iter(
                    export_month(
                        session,
                        ensure_library_actor(session),
                        "B00-0000",
                        args.month,
                        tmpdir / "sample",
                        ("json",),
                    )
                )
            )
        engine.dispose()
        entries = sum(
            len(json.loads(p.read_text(encoding="utf-8"))["entries"])
            for p in (tmpdir / "out").rglob("*.json")
        )
        floor = baseline(tmpdir / "floor", count, to_json_dict(sample))
        size = sum(p.stat().st_size for p in (tmpdir / "out").rglob("*") if p.is_file())

    print(f"generated {args.branches} branches + content in {gen:.1f} s")
    print(
        f"calendar build+export ({','.join(formats)}, {args.jobs} process(es)): {count} branches, "
        f"{entries} JSON entries, {size / 1e6:.1f} MB in {elapsed:.2f} s ({count / elapsed:.0f} branches/s)"
    )
    print(f"baseline (same JSON files written without planning): {floor:.2f} s")
    print(
        f"ratio export / baseline: {elapsed / floor:.1f}x; target < 60 s: {'met' if elapsed < 60 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
