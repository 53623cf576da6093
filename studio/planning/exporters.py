"""Write a month's calendar as JSON, ICS, XLSX, CSV and printable HTML.

The JSON is the staff feed: static files any web server or CDN can serve (schema in docs/calendar-json.md).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from studio.domain.clock import BEIJING, at_beijing
from studio.errors import ValidationError
from studio.exports.spreadsheet import to_csv, xlsx_cell
from studio.planning.images import EntryImage, write_images
from studio.planning.model import PlanEntry

SCHEMA_VERSION = 1
FORMATS = ("json", "ics", "xlsx", "csv", "html")


class CalendarDocument(BaseModel):
    """One org's month, as exported: published (with its version) or a draft proposal."""

    model_config = ConfigDict(frozen=True)

    org_code: str
    org_name: str
    month: str
    status: str  # published | draft
    version: int | None
    generated_at: datetime
    entries: list[PlanEntry]
    # Each post's images (poster first, then its 九宫格 images) by variant id; text-only posts have none.
    # Written beside the export under images/ when the JSON or HTML is (their URLs are relative).
    images: dict[int, tuple[EntryImage, ...]] = {}

    @property
    def draft(self) -> bool:
        return self.status != "published"

    def images_of(self, entry: PlanEntry) -> tuple[EntryImage, ...]:
        return self.images.get(entry.variant_id, ())


def to_json_dict(doc: CalendarDocument) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "org": {"code": doc.org_code, "name": doc.org_name},
        "month": doc.month,
        "status": doc.status,
        "version": doc.version,
        "generated_at": doc.generated_at.isoformat(timespec="seconds"),
        "timezone": BEIJING.key,
        "entries": [
            {
                "date": e.day.isoformat(),
                "time": e.time_of_day,
                "channel": e.channel.value,
                "channel_label": e.channel.label,
                "content_type": e.content_type.value,
                "content_type_label": e.content_type.label,
                "title": e.title,
                "text": e.text,
                "occasion": e.occasion,
                "variant_id": e.variant_id,
                "images": [image.as_json() for image in doc.images_of(e)],
            }
            for e in doc.entries
        ],
    }


def write_json(doc: CalendarDocument, path: Path) -> None:
    path.write_text(json.dumps(to_json_dict(doc), ensure_ascii=False, indent=1), encoding="utf-8")


def _start(e: PlanEntry) -> datetime:
    hour, minute = (int(p) for p in e.time_of_day.split(":"))
    return at_beijing(e.day, time(hour, minute))


def write_ics(doc: CalendarDocument, path: Path) -> None:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//studio//content calendar//CN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{doc.org_name} {doc.month} 内容日历" + ("（草稿）" if doc.draft else ""))
    cal.add("x-wr-timezone", BEIJING.key)
    for e in doc.entries:
        event = Event()
        event.add(
            "uid",
            f"{doc.org_code}-{e.day.isoformat()}-{e.time_of_day}-{e.channel.value}-{e.variant_id}@studio",
        )
        event.add("dtstamp", doc.generated_at)
        event.add("dtstart", _start(e))
        event.add("dtend", _start(e) + timedelta(minutes=15))
        event.add("summary", f"[{e.channel.label}] {e.title}")
        event.add("description", e.text)
        if e.occasion:
            event.add("categories", [e.occasion])
        cal.add_component(event)
    path.write_bytes(cal.to_ical())


_HEADER = ("日期", "时间", "渠道", "内容类型", "时机", "标题", "文案")


def _rows(doc: CalendarDocument) -> list[tuple[str, ...]]:
    return [
        (
            e.day.isoformat(),
            e.time_of_day,
            e.channel.label,
            e.content_type.label,
            e.occasion or "",
            e.title,
            e.text,
        )
        for e in doc.entries
    ]


def write_csv(doc: CalendarDocument, path: Path) -> None:
    rows = _rows(doc)
    if doc.draft:
        rows.insert(0, ("草稿", "", "", "", "", "未发布的建议排期", ""))
    # Bytes, so the CRLF record ends and LF in-cell breaks reach the file exactly as written.
    path.write_bytes(to_csv(_HEADER, rows).encode("utf-8"))


def write_xlsx(doc: CalendarDocument, path: Path) -> None:
    # write_only streams rows to disk: several times faster than a normal workbook for thousands of files.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(doc.month)
    for col, width in zip("ABCDEFG", (12, 8, 8, 12, 12, 24, 80), strict=True):
        ws.column_dimensions[col].width = width
    title = WriteOnlyCell(
        ws,
        value=xlsx_cell(
            f"{doc.org_name} {doc.month} 内容日历" + ("（草稿）" if doc.draft else f"（第 {doc.version} 版）")
        ),
    )
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append(list(_HEADER))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in _rows(doc):
        cells = [xlsx_cell(v) for v in row]
        text = WriteOnlyCell(ws, value=cells[-1])
        text.alignment = wrap
        ws.append([*cells[:-1], text])
    wb.save(path)


@lru_cache(maxsize=1)
def _html_template():  # type: ignore[no-untyped-def]
    # Autoescaping sandbox: the page is fixed markup, every value in it is escaped.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(autoescape=True)
    return env.from_string(_HTML)


def write_html(doc: CalendarDocument, path: Path) -> None:
    path.write_text(_html_template().render(doc=doc, draft=doc.draft), encoding="utf-8")


_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ doc.org_name }} {{ doc.month }} 内容日历</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px 6px;vertical-align:top}
th{background:#eee}.text{white-space:pre-wrap}.draft{color:#c00;font-weight:bold}
@media print{body{margin:0}}</style></head><body>
<h1>{{ doc.org_name }} · {{ doc.month }} 内容日历</h1>
{% if draft %}<p class="draft">草稿：未发布的建议排期</p>{% else %}<p>第 {{ doc.version }} 版</p>{% endif %}
<table><thead><tr><th>日期</th><th>时间</th><th>渠道</th><th>类型</th><th>时机</th><th>标题</th><th>文案</th></tr></thead>
<tbody>{% for e in doc.entries %}<tr><td>{{ e.day.isoformat() }}</td><td>{{ e.time_of_day }}</td>
<td>{{ e.channel.label }}</td><td>{{ e.content_type.label }}</td><td>{{ e.occasion or "" }}</td>
<td>{{ e.title }}</td><td class="text">{{ e.text }}{% for image in doc.images_of(e) %}{% if loop.first %}\
<div style="white-space:normal">{% endif %}<img src="{{ image.url }}" alt="{{ e.title }} 图{{ loop.index }}" \
width="{{ image.width }}" height="{{ image.height }}" style="max-width:200px;height:auto;margin:4px">\
{% if loop.last %}</div>{% endif %}{% endfor %}</td></tr>{% endfor %}</tbody></table>
</body></html>
"""

WRITERS = {"json": write_json, "ics": write_ics, "xlsx": write_xlsx, "csv": write_csv, "html": write_html}


def export(doc: CalendarDocument, out_dir: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write `out_dir/<org-code>/<yyyy-mm>.<fmt>` for each format; returns the paths."""
    with staged(doc, out_dir, formats) as paths:
        return paths


@contextmanager
def staged(doc: CalendarDocument, out_dir: Path, formats: tuple[str, ...] = FORMATS) -> Iterator[list[Path]]:
    """Write every format to a temporary file beside its target, and move them all into place only when
    the body succeeds (publishing commits there): a failure leaves no partial or half-written file behind.
    An unwritable or invalid `out_dir` is a `ValidationError` (one line on the CLI, Chinese in the app)."""
    folder = out_dir / doc.org_code
    created: list[Path] = []
    temps: list[tuple[Path, Path]] = []
    try:
        try:
            created = _make_dirs(folder)
            if {"json", "html"} & set(formats):  # images first: no file ever links to a missing image
                write_images((i for images in doc.images.values() for i in images), folder)
            for fmt in formats:
                target = folder / f"{doc.month}.{fmt}"
                if target.is_dir():
                    raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
                # A fresh hidden name the writer creates itself, so the file gets the usual umask permissions.
                temp = folder / f".{doc.month}.{fmt}.{uuid.uuid4().hex[:12]}.tmp"
                temps.append((temp, target))
                WRITERS[fmt](doc, temp)
        except OSError as error:
            raise unwritable(out_dir, error) from None
        yield [target for _, target in temps]
        try:
            for temp, target in temps:
                os.replace(temp, target)
        except OSError as error:
            raise unwritable(out_dir, error) from None
    except BaseException:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
        for folder_made in created:  # deepest first; only the ones this call made, and only if empty
            with suppress(OSError):
                folder_made.rmdir()
        raise


def ensure_writable(out_dir: Path) -> None:
    """Refuse an output directory nobody can write (a file, under a file, /proc, read-only) before any work."""
    try:
        created = _make_dirs(out_dir)
    except OSError as error:
        raise unwritable(out_dir, error) from None
    try:
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        for folder in created:
            with suppress(OSError):
                folder.rmdir()
        raise unwritable(out_dir, error) from None


def unwritable(out_dir: Path, error: OSError) -> ValidationError:
    reason = (
        "exists and is not a directory"
        if isinstance(error, FileExistsError)
        else error.strerror or str(error)
    )
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(out_dir) else ""
    return ValidationError(
        f"cannot write calendar files under {out_dir}: {reason}{where}",
        f"无法写入日历文件（{out_dir}）：{reason}。",
    )


def _make_dirs(folder: Path) -> list[Path]:
    """mkdir -p that returns the directories it created, deepest first, so a failure can remove them."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing.append(path)
    folder.mkdir(parents=True, exist_ok=True)
    return missing
