"""Time OCR (studio.materials.ocr.recognise) per image on this machine: engine start, then each size.

Usage: python benchmarks/bench_ocr.py [--runs 5]

Images are drawn with the bundled font: a Moments square (1080×1080, six lines), a poster (1080×1920,
eight lines), a phone photo of a flyer (3000×4000, eight lines; the engine scales it to 2000 px on the long
side first), a small card (600×400, two lines) and a blank background (1080×1920, no text). Each is
recognised `--runs` times after one warm-up; the median and the slowest wall-clock time, and the median CPU
time of all the process's threads (which other jobs on the machine inflate less), in milliseconds.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FONT = ROOT / "studio" / "posters" / "fonts" / "NotoSansSC-Subset.otf"
LINES = [
    "春风十里，锦程银行陪您出发",
    "理财非存款、产品有风险、投资须谨慎",
    "网点地址：章贡区文清路88号",
    "营业时间：周一至周日 9:00-17:00",
    "扫码添加客户经理企业微信",
    "防范电信网络诈骗，守护您的钱袋子",
    "本活动最终解释权归本行所有",
    "详询95588或到店咨询",
]
SHAPES = {
    "card 600x400, 2 lines": ((600, 400), 2),
    "moments 1080x1080, 6 lines": ((1080, 1080), 6),
    "poster 1080x1920, 8 lines": ((1080, 1920), 8),
    "photo 3000x4000, 8 lines": ((3000, 4000), 8),
    "blank 1080x1920": ((1080, 1920), 0),
}


def _image(size: tuple[int, int], lines: int) -> bytes:
    image = Image.new("RGB", size, (250, 240, 225))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), max(24, size[0] // 22))
    step = size[1] // (lines + 1) if lines else 0
    for index in range(lines):
        draw.text((size[0] // 12, step * (index + 1)), LINES[index], font=font, fill=(60, 30, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from studio.materials import ocr

    start = time.perf_counter()
    ocr.engine()
    print(f"engine start (load 3 ONNX models): {(time.perf_counter() - start) * 1000:.0f} ms")
    for name, (size, lines) in SHAPES.items():
        data = _image(size, lines)
        found = ocr.recognise(data)  # warm-up
        times, cpu = [], []
        for _ in range(args.runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            ocr.recognise(data)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        print(
            f"{name}: wall median {statistics.median(times):.0f} ms, max {max(times):.0f} ms; "
            f"CPU (all threads) median {statistics.median(cpu):.0f} ms ({len(found.lines)} lines found)"
        )


if __name__ == "__main__":
    main()
