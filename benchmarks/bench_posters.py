"""Poster rendering: p95 per poster and posters per second, against a baseline measured in the same run.

Usage: python benchmarks/bench_posters.py [--runs 60] [--size 1080x1920]

A 1080x1920 background drawn here (gradients and shapes, so PNG compression works as on a real poster),
a layout with two text layers, three branch overlays, staff name and title and a QR code, in a throwaway
SQLite database and data directory. Measured, one process:
- baseline: Pillow decoding the background PNG and encoding it again (the least any render does);
- base render: `render_base` (text fitted and drawn, PNG encoded);
- staff render, uncached: `services.posters.variant_poster(..., staff_id=...)` with a new contact link each
  time (so every call draws: decode the base, composite name, title and QR, encode, store, index);
- staff render, cached: the same call again (index lookup, no drawing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def background(width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # vertical gradient, warm red to cream
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(200 + 55 * t), int(40 + 200 * t), int(40 + 180 * t)))
    for i in range(12):  # lanterns and clouds: shapes with edges for the encoder to work on
        x, y, r = (i * 97) % width, (i * 211) % (height // 2), 40 + (i * 13) % 80
        draw.ellipse(
            [x - r, y - r, x + r, y + r], fill=(230, 60 + i * 10, 40), outline=(250, 210, 90), width=6
        )
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def layout_for(sha256: str, width: int, height: int) -> Any:
    from studio.posters.layout import Align, Box, OverlayField, OverlayLayer, PosterLayout, QrLayer, TextLayer

    sx, sy = width / 1080, height / 1920

    def box(x: int, y: int, w: int, h: int) -> Box:
        return Box(x=int(x * sx), y=int(y * sy), w=int(w * sx), h=int(h * sy))

    side = int(min(260 * sx, 260 * sy))
    return PosterLayout(
        background=sha256,
        width=width,
        height=height,
        layers=(
            TextLayer(
                name="title",
                box=box(80, 240, 920, 320),
                text="{{ branch_name }}祝您新春快乐，阖家幸福！",
                font_size=(56, 110),
                max_lines=2,
                bold=True,
                align=Align.CENTER,
                color="#FFF3C4",
            ),
            TextLayer(
                name="body",
                box=box(100, 700, 880, 520),
                text="春节期间{{ branch_name }}正常营业。守好钱袋子：不听、不信、不转账，陌生链接不点击，"
                "验证码不告诉任何人。如有疑问，请拨打客服热线 {{ hotline }} 或到网点咨询。",
                font_size=(30, 52),
                max_lines=8,
                color="#3A1A0A",
            ),
            OverlayLayer(
                name="bank", box=box(80, 1300, 920, 60), field=OverlayField.BANK_NAME, font_size=(24, 40)
            ),
            OverlayLayer(
                name="address",
                box=box(80, 1370, 920, 56),
                field=OverlayField.BRANCH_ADDRESS,
                prefix="地址：",
                font_size=(22, 36),
            ),
            OverlayLayer(
                name="hours",
                box=box(80, 1430, 920, 56),
                field=OverlayField.SERVICE_HOURS,
                prefix="营业时间：",
                font_size=(22, 36),
            ),
            OverlayLayer(
                name="staff", box=box(80, 1560, 560, 80), field=OverlayField.STAFF_NAME, font_size=(28, 56)
            ),
            OverlayLayer(
                name="job", box=box(80, 1650, 560, 60), field=OverlayField.STAFF_TITLE, font_size=(22, 40)
            ),
            QrLayer(name="qr", box=Box(x=int(740 * sx), y=int(1560 * sy), w=side, h=side)),
        ),
    )


VALUES = {
    "branch_name": "章贡支行",
    "bank_name": "赣州农商银行",
    "hotline": "0797-8888888",
    "branch_address": "章贡区文清路88号",
    "service_hours": "周一至周日 9:00-17:00",
}


def timed(runs: int, call: Callable[[int], object]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per call (CPU time tells a busy machine from a slow renderer)."""
    call(-1)  # warm up: fonts loaded, caches filled
    wall, cpu = [], []
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call(i)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def p95(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else max(ms)


def setup(data: Path, png: bytes, width: int, height: int) -> tuple[Any, Any, int, int, Any]:
    """A database with HQ, one sub-branch, an editor and a staff member, the background uploaded and an
    approved variant of a poster template: (session, staff actor, variant id, staff id, layout)."""
    from sqlmodel import Session, SQLModel

    from studio.db.engine import make_engine
    from studio.db.models import Template, TemplateVersion, User, Variant
    from studio.domain.enums import OrgKind
    from studio.services.assets import upload_asset
    from studio.services.auth import actor_for
    from studio.services.orgs import create_org

    engine = make_engine(f"sqlite:///{data / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    s = Session(engine, expire_on_commit=False)
    hq = create_org(s, code="HQ", name="总行", kind=OrgKind.HQ)
    sub = create_org(s, code="JX-A", name="章贡支行", kind=OrgKind.SUB_BRANCH, parent_code="HQ")
    editor = User(
        username="editor", display_name="editor", password_hash="!", role="hq_editor", org_id=hq.id or 0
    )
    staff = User(username="staff", display_name="张小红", password_hash="!", role="staff", org_id=sub.id or 0)
    s.add_all([editor, staff])
    s.commit()
    asset = upload_asset(s, actor_for(s, editor), png, title="底图", kind="background")
    layout = layout_for(asset.sha256, width, height)
    template = Template(code="p-bench", owner_org_id=hq.id or 0, created_by=editor.id or 0)
    s.add(template)
    s.flush()
    common: dict[str, Any] = {
        "title": "春节海报",
        "state": "approved",
        "verdict": "pass",
        "findings": [],
        "ruleset": "b",
    }
    version = TemplateVersion(
        template_id=template.id or 0,
        version_no=1,
        body=layout.body(),
        slots=[],
        occasion_kind="festival",
        content_type="culture",
        persona="expert",
        channel="poster",
        product_type="general",
        created_by=editor.id or 0,
        poster=layout.model_dump(mode="json"),
        **common,
    )
    s.add(version)
    s.flush()
    variant = Variant(
        org_id=sub.id or 0,
        template_version_id=version.id or 0,
        slot_values=VALUES,
        text=layout.body(),
        created_by=editor.id or 0,
        **common,
    )
    s.add(variant)
    s.commit()
    return s, actor_for(s, staff), variant.id or 0, staff.id or 0, layout


def _set_link(session: Any, staff_id: int, link: str) -> None:
    from studio.db.models import User

    user = session.get(User, staff_id)
    user.contact_link, user.job_title = link, "理财经理"
    session.commit()


def measure(runs: int, width: int, height: int) -> dict[str, tuple[list[float], list[float]]]:
    from PIL import Image

    from studio.posters.render import render_base
    from studio.posters.texts import branch_fields, layer_texts
    from studio.services import posters

    png = background(width, height)
    data = Path(os.environ["STUDIO_DATA_DIR"])
    session, staff, variant_id, staff_id, layout = setup(data, png, width, height)

    def baseline(_: int) -> None:
        image = Image.open(BytesIO(png)).convert("RGB")
        image.save(BytesIO(), "PNG", optimize=False, compress_level=6)

    texts, fields = layer_texts(layout, VALUES), branch_fields(VALUES)

    def uncached(i: int) -> None:
        _set_link(session, staff_id, f"https://work.weixin.qq.com/ca/cawcde{i + 2:08d}")
        posters.variant_poster(session, staff, variant_id, staff_id=staff_id)

    def cached(_: int) -> None:
        posters.variant_poster(session, staff, variant_id, staff_id=staff_id)

    return {
        "baseline (decode + encode the background)": timed(runs, baseline),
        "base render (render_base)": timed(runs, lambda _: render_base(layout, png, texts, fields)),
        "staff render, uncached (service)": timed(runs, uncached),
        "staff render, cached hit (service)": timed(runs, cached),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--size", default="1080x1920")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory() as data:
        os.environ["STUDIO_DATA_DIR"] = data
        results = measure(args.runs, width, height)
    base = statistics.median(next(iter(results.values()))[1])
    load = os.getloadavg()[0]
    print(
        f"posters {width}x{height}, {args.runs} runs each, one process, {os.cpu_count()} CPUs, load {load:.1f}"
    )
    for name, (wall, cpu) in results.items():
        median = statistics.median(cpu)
        print(
            f"  {name:44} wall p50 {statistics.median(wall):6.1f} p95 {p95(wall):6.1f} ms, "
            f"{1000 / statistics.mean(wall):6.1f}/s | CPU p50 {median:6.1f} p95 {p95(cpu):6.1f} ms, "
            f"{1000 / statistics.mean(cpu):6.1f}/s per core | {median / base:5.2f}x baseline CPU"
        )


if __name__ == "__main__":
    main()
