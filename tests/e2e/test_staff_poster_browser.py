"""A staff member's 今日内容 in a real browser shows a poster post's image (loaded: naturalWidth > 0) and its
download button. The poster is planted on a studio of its own: an approved branch variant of a poster
template, placed today for the demo staff member's branch."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.services.seed import DEMO_PASSWORD
from tests.e2e.conftest import ROOT, seeded_env, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

POSTER_TITLE = "浏览器海报检查"
_PLANT = f"""
import io
from PIL import Image
from sqlmodel import Session, select
from studio.db.engine import default_engine
from studio.db.models import Template, TemplateVersion, User, Variant
from studio.domain.clock import today_cn
from studio.posters.layout import PosterLayout
from studio.services import calendar
from studio.services.assets import upload_asset
from studio.services.auth import actor_for

LAYERS = [
    {{"name": "title", "kind": "text", "text": "新春纳福", "box": {{"x": 90, "y": 260, "w": 900, "h": 240}},
     "font_size": [96, 150], "color": "#FFE08A", "align": "center", "bold": True}},
    {{"name": "greeting", "kind": "text", "text": "{{{{ branch_name }}}}给您拜年啦！",
     "box": {{"x": 90, "y": 600, "w": 900, "h": 300}}, "font_size": [44, 64], "color": "#FFFFFF",
     "align": "center", "max_lines": 3}},
    {{"name": "branch", "kind": "overlay", "field": "branch_name", "box": {{"x": 90, "y": 1500, "w": 600, "h": 60}},
     "font_size": [32, 44], "color": "#FFFFFF"}},
    {{"name": "staff", "kind": "overlay", "field": "staff_name", "box": {{"x": 90, "y": 1600, "w": 600, "h": 60}},
     "font_size": [32, 40], "color": "#FFFFFF"}},
    {{"name": "qr", "kind": "qr", "box": {{"x": 800, "y": 1620, "w": 220, "h": 220}}}},
]


def who(s, name):
    return actor_for(s, s.exec(select(User).where(User.username == name)).one())


# Rows written directly (like tests/posters/conftest.py), so the plant does not depend on how the template
# editor takes poster drafts: an approved poster template version and the branch's approved variant.
with Session(default_engine(), expire_on_commit=False) as s:
    editor, loc = who(s, "editor"), who(s, "localiser")
    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1920), "#B3261E").save(buffer, "PNG")
    background = upload_asset(s, editor, buffer.getvalue(), title="浏览器海报背景", kind="background")
    layout = PosterLayout.model_validate(
        {{"background": background.sha256, "width": 1080, "height": 1920, "layers": LAYERS}}
    )
    template = Template(code="e2e-staff-poster", owner_org_id=editor.org_id, created_by=editor.user_id)
    s.add(template)
    s.flush()
    common = dict(verdict="pass", findings=[], ruleset="e2e", created_by=editor.user_id, state="approved")
    version = TemplateVersion(
        template_id=template.id, version_no=1, title={POSTER_TITLE!r}, body=layout.body(), slots=[],
        occasion_kind="everyday", content_type="culture", persona="perks", channel="poster",
        product_type="general", poster=layout.model_dump(mode="json"), **common,
    )
    s.add(version)
    s.flush()
    variant = Variant(
        org_id=loc.org_id, template_version_id=version.id, title={POSTER_TITLE!r},
        slot_values={{"branch_name": "章贡支行"}}, text="新春纳福 章贡支行给您拜年啦！", **common,
    )
    s.add(variant)
    s.commit()
    calendar.place(s, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant.id, time_of_day="06:30")
"""


@pytest.fixture(scope="module")
def poster_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("e2e-poster")
    env = seeded_env(data)
    subprocess.run([sys.executable, "-c", _PLANT], env=env, check=True, cwd=ROOT)
    with streamlit_server(env) as url:
        yield url


def test_staff_page_shows_the_poster_image_loaded(page, poster_server):  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 420, "height": 900})  # a phone-sized window
    page.goto(poster_server)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="今日内容").wait_for(timeout=30_000)
    wait_idle(page)
    image = page.get_by_alt_text(f"{POSTER_TITLE} 图1")  # st.image's alt: the post's title
    out = Path(__file__).resolve().parents[2] / "data" / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    try:
        image.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(out / "staff-poster.png"), full_page=True)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000
    )
    assert image.evaluate("img => img.naturalWidth") == 1080  # the full poster, not a thumbnail
    assert image.evaluate("img => img.naturalHeight") == 1920
    assert page.get_by_role("button").filter(has_text="下载图片").count() >= 1
    image.scroll_into_view_if_needed()
    page.screenshot(path=str(out / "staff-poster.png"), full_page=True)
