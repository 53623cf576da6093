"""The staff feed page and JSON as files: every text escaped, only our pinned script runs, posters are a safe
hook, and files are replaced whole."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from studio.domain.enums import Channel, ContentType
from studio.planning import feed_page
from studio.planning.feed_page import FeedDocument, FeedEntry, remove_feed, render_html, to_json, write_feed

TOKEN = "A" * 32
HOSTILE = (
    '<script>alert(1)</script><img src=x onerror=alert(2)> " onmouseover="alert(3)" '
    "[点我](javascript:alert(4)) **粗体** https://evil.example/x www.evil.example ![](https://evil.example/p.png)"
)


def _doc(
    text: str = HOSTILE, posters: tuple[str, ...] = (), first: date = date(2026, 12, 21)
) -> FeedDocument:
    return FeedDocument(
        org_code="JX-A",
        org_name="章贡支行</title><script>alert(5)</script>",
        generated_at=datetime(2026, 12, 21, 0, 5, tzinfo=UTC),
        first=first,
        days=3,
        versions={"2026-12": 2},
        entries=(
            FeedEntry(
                day=date(2026, 12, 22),
                time_of_day="08:30",
                channel=Channel.MOMENTS,
                content_type=ContentType.CULTURE,
                title=text,
                text=text + "\n第二行",
                occasion=text,
                variant_id=7,
                posters=posters,
            ),
        ),
    )


def test_every_text_is_escaped_and_nothing_becomes_markup():
    page = render_html(_doc())
    assert page.count("<script") == 1  # ours, at the end
    assert "<img" not in page and "onerror=" not in page.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onmouseover="alert' not in page and "&#34; onmouseover=&#34;alert(3)&#34;" in page
    assert "<a " not in page and "href" not in page and "<strong" not in page and "<em" not in page
    assert "**粗体**" in page and "[点我](javascript:alert(4))" in page  # shown as typed, never rendered


def test_only_the_pinned_script_may_run():
    page = render_html(_doc())
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode("utf-8")).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert f"script-src 'sha256-{digest}'" in policy.group(1) and "default-src 'none'" in policy.group(1)
    assert "unsafe-inline'; img" in policy.group(1) and "script-src 'unsafe-inline'" not in policy.group(1)
    assert '<meta name="referrer" content="no-referrer">' in page  # the token never leaks as a referrer


def test_json_round_trips_and_holds_no_angle_bracket():
    text = to_json(_doc())
    assert "<" not in text and ">" not in text and "&" not in text
    data = json.loads(text)
    (entry,) = data["entries"]
    assert entry["title"] == HOSTILE and entry["text"] == HOSTILE + "\n第二行" and entry["posters"] == []
    assert data["from"] == "2026-12-21" and data["to"] == "2026-12-23" and data["versions"] == {"2026-12": 2}


def test_every_day_of_the_window_has_a_section_for_the_browser_to_pick():
    page = render_html(_doc())
    assert re.findall(r'data-day="([0-9-]+)"', page) == ["2026-12-21", "2026-12-22", "2026-12-23"]
    assert page.count("暂无已发布的内容") == 2 and "为什么今天发：" in page and 'data-copy="t1222-1"' in page


def test_posters_are_relative_images_only():
    page = render_html(_doc("冬至问候", posters=("posters/dongzhi-1.png",)))
    assert '<img src="posters/dongzhi-1.png" alt="海报" loading="lazy">' in page
    for bad in (
        "javascript:alert(1)",
        "https://evil.example/p.png",
        "../../etc/passwd",
        "/abs.png",
        'a" x="',
    ):
        with pytest.raises(ValidationError):
            _doc("冬至问候", posters=(bad,))


def test_files_are_replaced_whole_and_a_failure_keeps_the_old_ones(tmp_path, monkeypatch):
    folder = write_feed(_doc("第一版"), tmp_path, TOKEN, create=True)
    assert "第一版" in (folder / "index.html").read_text(encoding="utf-8")
    write_feed(_doc("第二版"), tmp_path, TOKEN, create=False)
    assert "第二版" in (folder / "feed.json").read_text(encoding="utf-8")

    def disk_full(source, target):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(feed_page.os, "replace", disk_full)
    with pytest.raises(OSError):
        write_feed(_doc("第三版"), tmp_path, TOKEN, create=False)
    assert "第二版" in (folder / "feed.json").read_text(encoding="utf-8")
    assert "第二版" in (folder / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [TOKEN]  # no temporary folder left
    assert sorted(p.name for p in folder.iterdir()) == ["feed.json", "index.html"]  # nor temporary file
    assert oct(folder.stat().st_mode & 0o777) == "0o755"


def test_a_regeneration_never_recreates_a_removed_folder(tmp_path):
    write_feed(_doc(), tmp_path, TOKEN, create=True)
    remove_feed(tmp_path, TOKEN)
    assert not (tmp_path / TOKEN).exists()
    with pytest.raises(FileNotFoundError):
        write_feed(_doc(), tmp_path, TOKEN, create=False)
    assert list(tmp_path.iterdir()) == []


def test_tokens_with_path_characters_are_refused(tmp_path):
    for token in ("../" + "a" * 32, "a" * 31, "a/" + "b" * 32):
        with pytest.raises(ValueError):
            write_feed(_doc(), tmp_path, token, create=True)
    remove_feed(tmp_path, "..")  # ignored, not followed
    assert tmp_path.exists()
