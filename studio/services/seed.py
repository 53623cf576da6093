"""Demo data for `make run`: an org tree, one user per role, the library, and a history of real actions.

Every step goes through the same services a user would call, so the audit log tells the demo's story.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from studio.db.models import User
from studio.domain.clock import today_cn
from studio.domain.enums import (
    Channel,
    Decision,
    OrgKind,
    PartnerKind,
    ReviewState,
    Role,
    Verdict,
)
from studio.domain.month import Month
from studio.domain.views import Actor, TemplateView
from studio.errors import StudioError
from studio.services import calendar, contacts, partners, planning, reviews, variants
from studio.services.auth import actor_for
from studio.services.library_import import import_library
from studio.services.orgs import create_org, create_user
from studio.services.templates import list_templates
from studio.settings import get_settings

DEMO_PASSWORD = "Demo@2026"

ORGS = (
    # code, name, kind, parent, province, city
    ("HQ", "锦程银行总行", OrgKind.HQ, None, None, None),
    ("JX01", "赣州分行", OrgKind.BRANCH, "HQ", "江西", "赣州"),
    ("GX01", "桂林分行", OrgKind.BRANCH, "HQ", "广西", "桂林"),
    ("JX01-01", "章贡支行", OrgKind.SUB_BRANCH, "JX01", "江西", "赣州"),
    ("JX01-02", "南康支行", OrgKind.SUB_BRANCH, "JX01", "江西", "赣州"),
    ("GX01-01", "秀峰支行", OrgKind.SUB_BRANCH, "GX01", "广西", "桂林"),
    ("GX01-02", "阳朔支行", OrgKind.SUB_BRANCH, "GX01", "广西", "桂林"),
)

USERS = (
    # username, display name, role, org
    ("editor", "王编辑", Role.HQ_EDITOR, "HQ"),
    ("reviewer", "陈审核", Role.REVIEWER, "HQ"),
    ("reviewer2", "刘复核", Role.REVIEWER, "HQ"),
    ("localiser", "李本地化", Role.BRANCH_LOCALISER, "JX01-01"),
    ("localiser_gx", "黄本地化", Role.BRANCH_LOCALISER, "GX01-01"),
    ("staff", "张客户经理", Role.STAFF, "JX01-01"),
    ("staff_gx", "覃客户经理", Role.STAFF, "GX01-01"),
    ("admin", "赵管理员", Role.ADMIN, "HQ"),
)

_LOCAL_VALUES = {
    "JX01-01": {
        "bank_name": "锦程银行赣州分行",
        "branch_name": "章贡支行",
        "city": "赣州",
        "staff_name": "小张",
        "local_greeting": "老表们好",
        "local_specialty": "赣南脐橙",
        "local_custom": "客家人冬至吃酿豆腐",
        "local_offer": "网点开放日现场写春联",
        "branch_address": "章贡区文清路88号",
        "service_hours": "周一至周日 9:00-17:00",
    },
    "GX01-01": {
        "bank_name": "锦程银行桂林分行",
        "branch_name": "秀峰支行",
        "city": "桂林",
        "staff_name": "小覃",
        "local_greeting": "老友们好",
        "local_specialty": "桂林米粉",
        "local_custom": "三月三唱山歌",
        "local_offer": "网点开放日体验五色糯米饭",
        "branch_address": "秀峰区中山中路18号",
        "service_hours": "周一至周五 8:30-17:00",
    },
}


# E-cards: username, contact link (WeCom 获客链接 shape; made up), job title.
_CONTACTS = (
    ("staff", "https://work.weixin.qq.com/ca/cawcde8f1a2b3c4d5e", "客户经理"),
    ("staff_gx", "https://work.weixin.qq.com/ca/cawcde2e7d6c5b4a3f", "理财经理"),
)
# Partners (关键人): who adds them, owner, name, kind.
_PARTNERS = (
    ("localiser", "staff", "章贡区工商业联合会", PartnerKind.CHAMBER),
    ("localiser", "staff", "水东镇七里村村委会", PartnerKind.VILLAGE),
    ("staff", "staff", "沙石镇助农服务点", PartnerKind.SERVICE_STATION),
    ("localiser_gx", "staff_gx", "秀峰区个体劳动者协会", PartnerKind.CHAMBER),
    ("localiser_gx", "staff_gx", "甲山街道助农服务点", PartnerKind.SERVICE_STATION),
)


_MORE_POSTERS = 6  # festival, solar-term and regional posters localised per demo branch


def _actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).one()
    return actor_for(session, user)


def seed_demo(session: Session) -> str:
    if session.exec(select(User).where(User.username == "editor")).first():
        return "demo data already present; nothing changed"
    for code, name, kind, parent, province, city in ORGS:
        create_org(session, code=code, name=name, kind=kind, parent_code=parent, province=province, city=city)
    for username, display, role, org in USERS:
        create_user(
            session, username=username, display_name=display, password=DEMO_PASSWORD, role=role, org_code=org
        )
    session.commit()
    report = import_library(session, get_settings().library_dir)

    reviewers = (_actor(session, "reviewer"), _actor(session, "reviewer2"))
    approved = _approve_most_templates(session, reviewers)
    today = today_cn()
    month = str(Month.of(today))
    entries = 0
    for localiser, org_code in (("localiser", "JX01-01"), ("localiser_gx", "GX01-01")):
        actor = _actor(session, localiser)
        _localise(session, actor, org_code, reviewers)
        entries += len(planning.build_month(session, actor, actor.org_id, month).entries)
    _post_most_due(session, today)
    _cards_and_partners(session)
    return (
        f"seeded {len(ORGS)} orgs, {len(USERS)} users; library: {len(report.created)} templates "
        f"({approved} approved); {entries} calendar slots planned for {month}"
    )


def _cards_and_partners(session: Session) -> None:
    """Staff set their e-cards themselves; localisers (and a staff member) add the branches' partners."""
    for username, link, title in _CONTACTS:
        staff = _actor(session, username)
        contacts.set_contact(session, staff, staff.user_id, link, title)
    for adder, owner, name, kind in _PARTNERS:
        partners.create_partner(session, _actor(session, adder), _actor(session, owner).user_id, name, kind)


def _approve_most_templates(session: Session, reviewers: tuple[Actor, Actor]) -> int:
    """Approve the submitted templates but a few (so the review queue is not empty); how many were."""
    reviewer, reviewer2 = reviewers
    editor = _actor(session, "editor")
    pending = [t for t in list_templates(session, editor) if t.state == ReviewState.SUBMITTED.value]
    approved = 0
    for index, template in enumerate(pending):
        if index % 9 == 8 or template.verdict == Verdict.BLOCK.value:
            continue
        _approve(
            session,
            (reviewer, reviewer2) if index % 2 else (reviewer2, reviewer),
            "template_version",
            template.version_id,
        )
        approved += 1
    return approved


def _post_most_due(session: Session, today: date) -> None:
    """Staff have posted most of what was due so far this month, so the dashboard shows real adoption."""
    for username, share in (("staff", 4), ("staff_gx", 2)):
        staff = _actor(session, username)
        for offset in range(today.day):
            day = today.replace(day=offset + 1)
            for index, post in enumerate(calendar.todays_content(session, staff, day)):
                if (offset + index) % 5 < share:
                    calendar.mark_posted(session, staff, post.slot_id)


def _approve(session: Session, checkers: tuple[Actor, Actor], subject_type: str, subject_id: int) -> None:
    """One approval, or two by different reviewers where the product type requires it."""
    for checker in checkers:
        seen = reviews.current_version(session, checker, subject_type, subject_id)
        if (
            reviews.decide(session, checker, subject_type, subject_id, Decision.APPROVE, seen=seen)
            == ReviewState.APPROVED
        ):
            return


def _fewer_posters(templates: list[TemplateView]) -> list[TemplateView]:
    """All text templates, but of the posters only those for no particular occasion (anti-fraud, products) and
    a few more: each poster variant is a render (~0.15 s), and the demo's calendar places one poster a day."""
    posters = [t for t in templates if t.channel == Channel.POSTER.value]
    keep = [t for t in posters if not t.occasion]
    keep += [t for t in posters if t not in keep][:_MORE_POSTERS]
    return [t for t in templates if t.channel != Channel.POSTER.value or t in keep]


def _localise(session: Session, localiser: Actor, org_code: str, checkers: tuple[Actor, Actor]) -> None:
    org_province = "江西" if org_code.startswith("JX") else "广西"
    candidates = _fewer_posters(
        [
            t
            for t in list_templates(session, localiser, approved_only=True)
            if t.region in (None, org_province)
        ]
    )
    values = _LOCAL_VALUES[org_code]
    for index, template in enumerate(candidates):
        slot_values = {
            s["name"]: values.get(s["name"], s.get("default") or s.get("sample") or s["label"])
            for s in template.slots
        }
        try:
            variant = variants.localise(session, localiser, template.version_id, slot_values)
        except StudioError:
            continue
        if index % 12 == 11 or variant.verdict == Verdict.BLOCK.value:
            continue  # left waiting in the review queue
        _approve(session, checkers, "variant", variant.id)
