"""User text is shown as text: markdown, HTML, links and Streamlit's own markup planted in every
user-writable field stay inert on every page (issue #10).

The check is generic: every string a markdown-rendering element would render (markdown, captions,
alerts, headings, widget labels and help, expander and tab labels) is run through `markdown_hazards`,
which emulates what Streamlit's renderer (react-markdown + remark-gfm + remark-directive + its own
text-node plugins) would turn into markup. So a sink nobody listed is caught as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from sqlmodel import select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as et

from studio.db.models import Org, User
from studio.domain.clock import today_cn
from studio.domain.enums import Decision, PartnerKind, Role
from studio.services import calendar, contacts, partners, reviews, rules, variants
from studio.services.occasion_calendar import add_hot_topic
from studio.services.orgs import create_user
from studio.services.templates import TemplateDraft, create_template
from studio.ui.components import md
from tests.conftest import PASSWORD, decide_now
from tests.ui.conftest import by_label, login

# One fragment per way markdown text can stop being text in Streamlit.
FRAGMENTS = (
    "**粗体**",
    "![x](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    "https://evil.example/a",
    "www.evil.example",
    "a@evil.example",
    ":red[红]",
    ":material/skull:",
    ":material_skull:",
    ":smile:",
    "$x^2$",
    "`代码`",
    "~~删~~",
    "_斜体_",
    "# 标题",
    "&lt;b&gt;",
)
PAYLOAD = " ".join(FRAGMENTS)


def plant(limit: int, head: str = "") -> str:
    """As much of the payload as a field of `limit` characters takes, behind a readable head."""
    return (head + PAYLOAD)[:limit]


# --- the generic check -------------------------------------------------------------------------------

# Markup the app itself writes around user text (severity icons, day marks, bold headings).
_APP_MARKUP = re.compile(r":(?:orange|red|blue)\[:material/(?:warning|block|info):\]|(?<!\\)\*\*")
_ACTIVE = set("[]<>`*_~$|&!")  # unescaped, each of these can start markup in (GFM + Streamlit) markdown
_ASCII_PUNCT = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""
_UNESCAPE = re.compile(r"\\([" + _ASCII_PUNCT + r"])")
# Streamlit runs these on text nodes, i.e. after backslash escapes are resolved (see its
# StreamlitMarkdown bundle and mdast-util-gfm-autolink-literal): escaping alone does not stop them.
_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE)
_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
_SHORTCODE = re.compile(r":(?:material_\w+|[\w+-][\w+-]*):")
_DIRECTIVE = re.compile(r"(?<!\\):[A-Za-z][\w-]*\[")


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


def _intraword_underscore(text: str, index: int) -> bool:
    """`snake_case` is no emphasis: `_` only opens or closes one next to a non-word character."""
    return (
        text[index] == "_"
        and 0 < index < len(text) - 1
        and text[index - 1].isalnum()
        and text[index + 1].isalnum()
    )


def _boundary(text: str, index: int) -> bool:
    """GFM literal autolinks start only at the text's start, after whitespace or punctuation."""
    if index == 0:
        return True
    before = text[index - 1]
    return before.isspace() or (not before.isalnum() and before not in "_\u2060\u200b\u200c\u200d")


def markdown_hazards(source: str) -> list[str]:
    """What in `source` Streamlit would render as something other than its literal text.

    The app's own bold (`**`) cannot be told from a user's by looking, so a planted fragment found
    verbatim counts too: `md` changes every one of them.
    """
    found = [
        f"raw {f!r}"
        for f in FRAGMENTS
        for m in re.finditer(re.escape(f), source)
        if not _escaped(source, m.start())
    ]
    found += [
        f"directive {m.group()!r}"
        for m in _DIRECTIVE.finditer(source)
        if not _APP_MARKUP.match(source, m.start())
    ]
    bare = _APP_MARKUP.sub(" ", source)
    found += [
        f"unescaped {c!r} in …{bare[max(0, i - 12) : i + 12]}…"
        for i, c in enumerate(bare)
        if c in _ACTIVE and not _escaped(bare, i) and not _intraword_underscore(bare, i)
    ]
    text = _UNESCAPE.sub(r"\1", bare).replace(":material/", ":material_")
    found += [f"autolink {m.group()!r}" for m in _URL.finditer(text) if _boundary(text, m.start())]
    found += [f"email link {m.group()!r}" for m in _EMAIL.finditer(text) if _boundary(text, m.start())]
    found += [f"shortcode {m.group()!r}" for m in _SHORTCODE.finditer(text)]
    return found


def test_the_check_catches_raw_text_and_passes_md():
    for fragment in FRAGMENTS:
        assert markdown_hazards(f"**标题** {fragment}"), fragment
        assert markdown_hazards(md(fragment)) == [], (fragment, md(fragment))
    assert markdown_hazards(":orange[:material/warning:] **5日** · 春节") == []
    assert markdown_hazards(md("https://evil.example/a www.x.example 1.5 10:30")) == []


def _rendered_markdown(node: object) -> Iterator[tuple[str, str]]:
    """(where, markdown source) for every string this node and its children render as markdown."""
    if isinstance(node, et.Block):
        label = getattr(node, "label", None)
        if isinstance(label, str):
            yield f"{node.type} label", label
        for child in node.children.values():
            yield from _rendered_markdown(child)
        return
    if isinstance(node, (et.Markdown, et.AlertBase, et.HeadingBase, et.Toast)):
        yield node.type, str(node.value)
    if isinstance(node, (et.Widget, et.Metric)):
        for attr in ("label", "help"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                yield f"{node.type} {attr}", value
    if isinstance(node, (et.Radio, et.ButtonGroup)):  # their options render markdown (selectbox's do not)
        yield from ((f"{node.type} option", str(o)) for o in node.options)


def hazards_on(at: AppTest, page: str) -> tuple[list[str], int]:
    """Hazards in every markdown string on the page, and how many of those strings carried planted text."""
    assert not at.exception, at.exception
    problems, planted = [], 0
    for where, source in _rendered_markdown(at._tree):
        planted += "evil" in source
        problems += [f"{page} · {where}: {hazard}" for hazard in markdown_hazards(source)]
    return problems, planted


# --- the planted world ---------------------------------------------------------------------------------


def _plant_world(w) -> dict[str, int]:  # type: ignore[no-untyped-def]
    s = w.session
    for org in s.exec(select(Org)):
        org.name = plant(100, f"{org.name}")
        s.add(org)
    for user in s.exec(select(User)):
        user.display_name = plant(60, user.username)
        s.add(user)
    s.commit()
    editor, reviewer, loc_a = w.actor("editor"), w.actor("reviewer"), w.actor("loc_a")
    today = today_cn()
    topic = plant(60, "热点")
    add_hot_topic(s, editor, name=topic, start=today, end=today + timedelta(days=7))
    slots = [
        {"name": "greeting", "label": plant(100, "问候语"), "help": plant(200, "说明"), "max_length": 200}
    ]
    body = "{{ city }}的朋友们，{{ greeting }}——{{ branch_name }}"
    live = create_template(
        s, editor, TemplateDraft(title=plant(100, "甲"), body=body, occasion=topic, slots=slots)
    )
    decide_now(s, reviewer, "template_version", live.version_id, Decision.APPROVE)
    # An e-mail address in posted text is blocked as personal data, so the slot value goes without it.
    greeting = "您好 " + plant(160).replace(" a@evil.example", "")
    values = {"city": "赣州", "branch_name": "章贡支行", "greeting": greeting}
    placed = variants.localise(s, loc_a, live.version_id, values)
    decide_now(s, reviewer, "variant", placed.id, Decision.REQUEST_CHANGES, plant(400, "请修改"))
    variants.update_variant(s, loc_a, placed.id, values, expected_lock_version=placed.lock_version + 1)
    reviews.add_comment(s, reviewer, "variant", placed.id, plant(400, "评论"))
    decide_now(s, reviewer, "variant", placed.id, Decision.APPROVE, plant(400, "通过意见"))
    calendar.place(
        s,
        loc_a,
        org_id=loc_a.org_id,
        day=today,
        variant_id=placed.id,
        time_of_day="08:30",
        note=plant(200, "备注"),
    )
    # A bank-level variant its branches inherit from (the localise page names the bank).
    create_user(
        s,
        username="loc_jx",
        display_name=plant(60, "分行"),
        password=PASSWORD,
        role=Role.BRANCH_LOCALISER,
        org_code="JX",
    )
    s.commit()
    bank = variants.localise(s, w.actor("loc_jx"), live.version_id, values)
    decide_now(s, reviewer, "variant", bank.id, Decision.APPROVE)
    reviews.set_policy(s, w.actor("admin"), live.id, True)
    # Waiting for review: a clean variant (batch list), a template, a dual-approval item half approved.
    waiting = variants.localise(s, w.actor("loc_b"), live.version_id, values)
    reviews.add_comment(s, reviewer, "variant", waiting.id, plant(400, "待审评论"))
    create_template(s, editor, TemplateDraft(title=plant(100, "乙"), body="{{ city }}您好"))
    wealth = create_template(
        s,
        editor,
        TemplateDraft(
            title=plant(100, "丙"),
            body="{{ city }}理财知识分享。理财非存款，产品有风险，投资须谨慎。",
            product_type="wealth",
        ),
    )
    decide_now(s, w.actor("reviewer2"), "template_version", wealth.version_id, Decision.APPROVE)
    code = next(d.code for d in rules.rule_docs(s) if d.terms)
    terms = [f[:30] for f in FRAGMENTS]
    rules.update_rule(s, w.actor("admin"), code, terms=rules.rule_terms(s, code) + terms)
    staff_a = w.actor("staff_a")  # a partner (关键人) named with the payload, on 关键人
    contacts.set_contact(s, staff_a, staff_a.user_id, "https://work.weixin.qq.com/ca/cawcde1", "客户经理")
    partners.create_partner(s, staff_a, staff_a.user_id, plant(60, "商会"), PartnerKind.CHAMBER)
    return {"variant": placed.id, "waiting": waiting.id}


PAGES = {
    "editor": ("templates", "occasions", "localise", "content_calendar", "rules", "dashboard"),
    "reviewer": ("review", "templates", "rules", "occasions", "content_calendar", "dashboard", "audit_log"),
    "loc_a": ("localise", "content_calendar", "occasions", "today", "partners"),
    "staff_a": ("today", "partners", "password"),
    "admin": ("rules", "audit_log", "dashboard", "templates", "partners"),
}


def test_planted_markup_is_inert_on_every_page(app_world):
    _plant_world(app_world)
    problems, planted = [], 0
    for user, pages in PAGES.items():
        at = login(user)
        for page in pages:
            at.switch_page(f"studio/pages/{page}.py").run()
            found, seen = hazards_on(at, f"{user}/{page}")
            problems += found
            planted += seen
    assert not problems, "\n".join(dict.fromkeys(problems))
    assert planted >= 20  # the planted text did reach the pages: the check looked at something


def test_flash_and_confirmation_messages_are_inert(app_world):
    _plant_world(app_world)
    today = today_cn()
    problems: list[str] = []

    def check(at: AppTest, step: str) -> None:
        problems.extend(hazards_on(at, step)[0])

    at = login("editor")  # a hot topic added on 节日日历
    at.switch_page("studio/pages/occasions.py").run()
    by_label(at.text_input, "热点名称").input(plant(60, "新热点"))
    by_label(at.date_input, "结束").set_value(today + timedelta(days=3))
    by_label(at.button, "添加热点").click().run()
    assert "已添加热点" in " ".join(e.value for e in at.success)
    check(at, "occasions/add")

    at = login("loc_a")  # placed on 内容日历
    at.switch_page("studio/pages/content_calendar.py").run()
    by_label(at.date_input, "日期").set_value(today + timedelta(days=1))
    by_label(at.button, "排入").click().run()
    assert "已排入" in " ".join(e.value for e in at.success)
    check(at, "calendar/place")

    at = login("reviewer")  # a decision on 审核, then its flash
    by_label(at.button, "通过").click().run()
    assert "已通过" in " ".join(e.value for e in at.success)
    check(at, "review/approve")
    for checkbox in at.checkbox:  # batch approval
        checkbox.check()
    by_label(at.button, "批量通过所选").click().run()
    check(at, "review/batch")
    by_label(at.text_input, "撤回原因").input("到期")
    by_label(at.button, "撤回").click().run()
    assert "已撤回" in " ".join(e.value for e in at.success)
    check(at, "review/withdraw")

    at = login("admin")  # an auto-approval policy switched off on 合规规则
    pick = by_label(at.selectbox, "模板")
    pick.select_index(next(i for i, o in enumerate(pick.options) if o.startswith("甲"))).run()
    by_label(at.toggle, "自动通过").set_value(False).run()
    by_label(at.button, "保存策略").click().run()
    assert "关闭自动通过" in " ".join(e.value for e in at.success)
    check(at, "rules/policy")

    at = login("admin")  # an error message that quotes the user's input
    by_label(at.text_area, "词条").input("![x](https://evil.example/" + "a" * 30 + ")")
    by_label(at.button, "保存为新版本").click().run()
    assert "超过 30 字" in " ".join(e.value for e in at.error)
    check(at, "rules/error")
    assert not problems, "\n".join(dict.fromkeys(problems))
