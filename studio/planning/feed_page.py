"""The static staff feed of one branch: a mobile-first today/tomorrow page and its JSON (docs/staff-feed.md).

Pure: values in, text and files out. Every text is HTML-escaped by an autoescaping sandbox; the only markup
that is not escaped is the fixed script below, which the page's Content-Security-Policy pins by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, field_validator

from studio.domain.clock import BEIJING, in_beijing
from studio.domain.enums import Channel, ContentType
from studio.planning.images import EntryImage, prune_images, write_images

FEED_SCHEMA = 1
PAGE = "index.html"
DATA = "feed.json"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# A poster is a file beside the page (CSP allows images from the same origin only).
_POSTER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")


class FeedEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    time_of_day: str
    channel: Channel
    content_type: ContentType
    title: str
    text: str
    occasion: str | None  # why today; None for everyday content
    variant_id: int
    # Extra image paths relative to the page (files someone else put there).
    posters: tuple[str, ...] = ()
    # The post's images (the branch's poster, then its 九宫格 images): copied to images/ beside the page.
    images: tuple[EntryImage, ...] = ()

    @field_validator("posters")
    @classmethod
    def _relative_files(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not _POSTER.fullmatch(path) or ".." in path:
                raise ValueError(f"poster must be a relative file path, not {path!r}")
        return value


class FeedDocument(BaseModel):
    """What one branch's staff see from `first` for `days` days: published, approved, valid content only."""

    model_config = ConfigDict(frozen=True)

    org_code: str
    org_name: str
    generated_at: datetime
    first: date
    days: int
    versions: dict[str, int]  # published month -> version shown
    entries: tuple[FeedEntry, ...]

    @property
    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def valid_token(token: str) -> bool:
    """Tokens become directory names: only the URL-safe alphabet secrets.token_urlsafe produces."""
    return bool(_TOKEN.fullmatch(token))


def _entry_json(e: FeedEntry) -> dict[str, Any]:
    return {
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
        "posters": [*e.posters, *(image.url for image in e.images)],
        "images": [image.as_json() for image in e.images],
    }


def to_json(doc: FeedDocument) -> str:
    """The feed as JSON; <, > and & are \\u-escaped so no server that sniffs it as HTML can run a tag."""
    data = {
        "schema": FEED_SCHEMA,
        "org": {"code": doc.org_code, "name": doc.org_name},
        "generated_at": doc.generated_at.isoformat(timespec="seconds"),
        "timezone": BEIJING.key,
        "from": doc.first.isoformat(),
        "to": doc.dates[-1].isoformat(),
        "versions": doc.versions,
        "entries": [_entry_json(e) for e in doc.entries],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# Shows the sections of today and tomorrow (Beijing time, whatever the phone's zone), and copies a post.
_SCRIPT = """(function(){
var day=function(n){return new Date(Date.now()+288e5+n*864e5).toISOString().slice(0,10);};
var today=day(0),tomorrow=day(1),shown=0;
document.querySelectorAll("section[data-day]").forEach(function(s){
var k=s.getAttribute("data-day"),on=k===today||k===tomorrow;s.hidden=!on;
if(on){shown++;s.querySelector(".when").textContent=k===today?"今天":"明天";}});
if(!shown){document.getElementById("stale").hidden=false;}
function fallback(text){var a=document.createElement("textarea");a.value=text;a.setAttribute("readonly","");
a.style.position="fixed";a.style.opacity="0";document.body.appendChild(a);a.select();
try{document.execCommand("copy");}finally{document.body.removeChild(a);}}
document.addEventListener("click",function(ev){var b=ev.target.closest("button[data-copy]");if(!b){return;}
var text=document.getElementById(b.getAttribute("data-copy")).textContent;
var done=function(){b.textContent="已复制";setTimeout(function(){b.textContent="复制文案";},1500);};
if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(text).then(done,
function(){fallback(text);done();});}else{fallback(text);done();}});
})();"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
img-src 'self'; script-src '{{ script_hash }}'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex,nofollow">
<title>{{ doc.org_name }} · 今日内容</title>
<style>body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
background:#f4f5f7;color:#222}header{background:#b3261e;color:#fff;padding:12px 16px}
header h1{margin:0;font-size:1.15em}header p{margin:2px 0 0;font-size:.8em;opacity:.85}
main{max-width:640px;margin:0 auto;padding:8px 12px 24px}h2{font-size:1em;margin:16px 4px 8px}
.post{background:#fff;border-radius:10px;padding:12px 14px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.post h3{margin:4px 0;font-size:1.05em}.meta,.why{font-size:.82em;color:#666;margin:0}.why{color:#8a5a00}
.text{white-space:pre-wrap;word-break:break-word;font:inherit;background:#fafafa;border:1px solid #eee;
border-radius:6px;padding:8px;margin:8px 0}.post img{max-width:100%;height:auto;border-radius:6px;margin:6px 0}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:4px}.grid img{width:100%;margin:0}
button{width:100%;padding:10px;font-size:1em;border:0;border-radius:8px;background:#b3261e;color:#fff}
.empty,.notice{color:#666;font-size:.9em;margin:0 4px 12px}.notice{color:#b3261e}footer{font-size:.78em;
color:#888;margin:16px 4px}</style></head><body>
<header><h1>{{ doc.org_name }} · 今日内容</h1><p>更新于 {{ generated }}（北京时间）</p></header>
<main><p id="stale" class="notice" hidden>本页内容已过期，请联系总行更新链接。</p>
{% for day, posts in days %}<section data-day="{{ day.isoformat() }}">
<h2><span class="when">{{ "周" ~ "一二三四五六日"[day.weekday()] }}</span> {{ day.month }}月{{ day.day }}日</h2>
{% for e in posts %}<article class="post">
<p class="meta">{{ e.time_of_day }} · {{ e.channel.label }} · {{ e.content_type.label }}</p>
<h3>{{ e.title }}</h3>
<p class="why">{% if e.occasion %}为什么今天发：{{ e.occasion }}{% else %}日常内容{% endif %}</p>
{% for poster in e.posters %}<img src="{{ poster }}" alt="海报" loading="lazy">{% endfor %}
{% if e.images %}<div class="{{ 'grid' if e.images|length > 1 else 'one' }}">{% for image in e.images %}\
<img src="{{ image.url }}" alt="{{ e.title }} 图{{ loop.index }}" width="{{ image.width }}" \
height="{{ image.height }}" loading="lazy">{% endfor %}</div>{% endif %}
<pre class="text" id="t{{ day.strftime('%m%d') }}-{{ loop.index }}">{{ e.text }}</pre>
<button type="button" data-copy="t{{ day.strftime('%m%d') }}-{{ loop.index }}">复制文案</button>
</article>{% else %}<p class="empty">暂无已发布的内容。</p>{% endfor %}
</section>{% endfor %}
<footer>内容均已通过合规审核，请原文发布。发布后请在内容合规工作室「今日内容」中标记“已发布”。</footer>
</main><script>{{ script }}</script></body></html>
"""


@lru_cache(maxsize=1)
def _template() -> Template:
    # The template is the constant above, never user input, so no sandbox is needed (it doubled the
    # time per page); autoescape makes every value text.
    return SandboxedEnvironment(autoescape=True).from_string(_PAGE)  # the house rule for every template


def render_html(doc: FeedDocument) -> str:
    from markupsafe import Markup

    by_day: dict[date, list[FeedEntry]] = {d: [] for d in doc.dates}
    for e in doc.entries:
        by_day.setdefault(e.day, []).append(e)
    return str(
        _template().render(
            doc=doc,
            days=sorted(by_day.items()),
            generated=in_beijing(doc.generated_at).strftime("%Y-%m-%d %H:%M"),
            script=Markup(_SCRIPT),  # a constant, pinned by the CSP hash
            script_hash=SCRIPT_HASH,
        )
    )


def write_feed(doc: FeedDocument, feed_dir: Path, token: str, *, create: bool) -> Path:
    """Write the page and JSON to <feed_dir>/<token>/, so that a reader never sees half a file: a new
    folder is filled as a temporary folder and renamed into place; in an existing one each file is written
    to a temporary name beside it and renamed over the old. Without `create` the folder must exist already:
    a regeneration racing a rotation cannot bring an old link back."""
    if not valid_token(token):
        raise ValueError("invalid feed token")
    target = feed_dir / token
    files = {DATA: to_json(doc), PAGE: render_html(doc)}
    images = [image for e in doc.entries for image in e.images]
    if create and not target.exists():
        temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=feed_dir))
        try:
            temp.chmod(0o755)  # mkdtemp makes it private; the web server must read it
            write_images(images, temp)
            for name, text in files.items():
                (temp / name).write_text(text, encoding="utf-8")
            os.rename(temp, target)
            return target
        except OSError:
            if not target.is_dir():  # not another writer winning the race: a real failure
                raise
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    # Images first, so the page never links to a missing one; images no post shows any more go last.
    kept = write_images(images, target)
    temps = {name: target / f".{name}.{uuid.uuid4().hex[:12]}.tmp" for name in files}
    try:
        for name, text in files.items():
            temps[name].write_text(text, encoding="utf-8")
        for name, temp_file in temps.items():
            os.replace(temp_file, target / name)
    finally:
        for temp_file in temps.values():
            temp_file.unlink(missing_ok=True)
    # A writer racing this one may have linked other images meanwhile: whatever the page now on disk
    # links stays too.
    prune_images(target, [*kept, *_linked(target)])
    return target


def _linked(folder: Path) -> list[Path]:
    """The image files the feed.json now in `folder` links (none when it cannot be read)."""
    try:
        data = json.loads((folder / DATA).read_text(encoding="utf-8"))
        urls = [i["url"] for e in data["entries"] for i in e.get("images", ())]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [folder / url for url in urls if isinstance(url, str)]


def remove_feed(feed_dir: Path, token: str) -> None:
    """Take a token's folder away at once: renamed aside (one atomic step, the link is dead), then deleted."""
    if not valid_token(token):
        return
    target = feed_dir / token
    if not target.exists():
        return
    trash = feed_dir / f".trash-{uuid.uuid4().hex}"
    os.rename(target, trash)
    shutil.rmtree(trash, ignore_errors=True)


def prepare_root(feed_dir: Path) -> None:
    """Create the feed folder with an empty index page, so a server that lists folders lists nothing."""
    feed_dir.mkdir(parents=True, exist_ok=True)
    index = feed_dir / PAGE
    if not index.exists():
        index.write_text('<!doctype html><meta charset="utf-8"><title></title>\n', encoding="utf-8")
