"""`studio seed --scale`: a provincial network's worth of data on top of the demo, written in bulk.

20,000 templates, 5,000 items waiting for review, 86 banks with 2,214 branches below them, their
localisers and staff, approved variants and a month of calendar slots. Unlike the demo, rows are not
made through the services one by one (that would take hours): texts are assembled from fragments
(materials/scale_fragments.yaml), checked by the compliance engine in one pass, digested like the
services digest them, and inserted with executemany. Ids are reserved up front, so rows can name each
other without a round trip. One summary audit event records the run; it is also the marker that makes a
second run change nothing. Everything happens in one transaction.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import yaml
from sqlalchemy import Engine, Table, func, insert, inspect, text
from sqlmodel import Session, SQLModel, select

from studio.compliance import check_text
from studio.db.models import (
    AuditEvent,
    CalendarSlot,
    Org,
    PostMark,
    Review,
    Template,
    TemplateVersion,
    User,
    Variant,
)
from studio.domain.clock import at_beijing, today_cn
from studio.domain.digest import content_digest
from studio.domain.enums import (
    Channel,
    ContentType,
    Decision,
    OrgKind,
    Persona,
    ProductType,
    ReviewState,
    Role,
    Verdict,
)
from studio.domain.month import Month
from studio.domain.severity import max_severity_of
from studio.errors import ValidationError
from studio.localisation.slots import STANDARD_SLOTS
from studio.materials.search import backfill_search_tokens
from studio.occasions import occasions_for_year
from studio.planning.planner import FILL_ORDER
from studio.resources import package_text
from studio.services.auth import hash_password
from studio.services.reviews import required_approvals
from studio.services.rules import active_ruleset
from studio.services.seed import DEMO_PASSWORD
from studio.workflow import audit

_T = TypeVar("_T")

FRAGMENTS = ("studio.materials", "scale_fragments.yaml")  # package data: (package, file)
MARKER = "seed.scale"  # the audit action of the summary event: present means the data set is there
BANK_NAME = "锦程银行"
TEMPLATE_PREFIX = "scale-"
_CHUNK = 5_000
_VARIABLE = re.compile(r"\{\{ ([a-z_]+) \}\}")
_CALENDAR_CHANNELS = tuple(c.value for c in Channel if c.daily_target)  # what the planner fills every day
_GIVEN = (
    "晓明",
    "丽华",
    "建国",
    "静怡",
    "磊",
    "婷婷",
    "伟",
    "芳",
    "洋",
    "敏",
    "志强",
    "秀英",
    "海燕",
    "俊杰",
)


@dataclass(frozen=True)
class ScaleSizes:
    """How much to add. The CLI uses the defaults; tests pass small numbers."""

    templates: int = 20_000
    waiting: int = 5_000  # submitted items: template versions and variants
    banks: int = 86
    branches: int = 2_300  # orgs added below HQ: the banks and the sub-branches under them
    bank_variants: int = 12  # approved variants each bank localised
    branch_variants: int = 6  # approved variants each sub-branch localised

    @property
    def waiting_templates(self) -> int:
        return self.waiting * 2 // 5

    @property
    def waiting_variants(self) -> int:
        return self.waiting - self.waiting_templates


@dataclass
class ScaleReport:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self, seconds: float) -> str:
        if not self.created:
            return f"scale data already present; nothing changed ({seconds:.1f}s)"
        c = self.counts
        return (
            f"scale seed: {c['orgs']} orgs, {c['users']} users, {c['templates']} templates "
            f"({c['template_versions']} versions, {c['templates_approved']} approved), "
            f"{c['waiting']} waiting for review ({c['waiting_templates']} template versions, "
            f"{c['waiting_variants']} variants), {c['variants']} variants, {c['reviews']} reviews, "
            f"{c['slots']} calendar slots, {c['post_marks']} posted marks in {seconds:.1f}s"
        )


def _table(model: type[SQLModel]) -> Table:
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


@lru_cache(maxsize=1)
def fragments() -> dict[str, Any]:
    return yaml.safe_load(package_text(*FRAGMENTS))


def is_seeded(session: Session) -> bool:
    marker = session.exec(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)).first()
    return marker is not None or session.exec(select(Org.id).where(Org.code == "B001")).first() is not None


def fill(body: str, values: dict[str, str]) -> str:
    """What studio.localisation.render gives for a body made only of text and `{{ name }}` (tests compare)."""
    return _VARIABLE.sub(lambda m: values[m.group(1)], body).strip()


# --- the library -----------------------------------------------------------------------------------------


@dataclass
class _Draft:
    title: str
    body: str
    occasion_kind: str
    occasion: str | None
    content_type: str
    persona: str
    channel: str
    product_type: str
    region: str | None
    slots: list[dict[str, Any]]
    sample: str

    def facets(self) -> dict[str, Any]:
        """The columns every version of this template copies from the draft as they are."""
        return {
            "title": self.title,
            "occasion_kind": self.occasion_kind,
            "occasion": self.occasion,
            "content_type": self.content_type,
            "persona": self.persona,
            "channel": self.channel,
            "product_type": self.product_type,
            "region": self.region,
        }


def _occasion_pool(today: date) -> list[tuple[str, str, str | None, bool]]:
    """(kind, name, region, this month?) for every placeable occasion of the year."""
    pool: dict[tuple[str, str, str | None], bool] = {}
    for occ in occasions_for_year(today.year).items:
        if occ.kind.postable:  # hot topics are the database's, not the calendar's: none come back here
            key = (occ.kind.value, occ.name, occ.region)
            pool[key] = pool.get(key, False) or (occ.date.month == today.month)
    return [(k, n, r, m) for (k, n, r), m in pool.items()]


class _Composer:
    """Assembles realistic template bodies from the fragments, deterministically from a seed."""

    _TYPES: list[ContentType] = [
        t for t in FILL_ORDER if t is not ContentType.PRODUCT
    ]  # everyday, most useful first
    _PRODUCTS: list[ProductType] = [p for p in ProductType if p is not ProductType.GENERAL]

    def __init__(self, today: date, seed: int = 11) -> None:
        self.f = fragments()
        self.rng = random.Random(seed)
        self.occasions = _occasion_pool(today)
        self.current = [o for o in self.occasions if o[3]]
        self.provinces = sorted(self.f["locals"])

    def _pick(self, items: Sequence[_T]) -> _T:
        return items[self.rng.randrange(len(items))]

    def draft(self, index: int) -> _Draft:
        rng = self.rng
        kind, occasion, region, content_type, product = self._facets()
        persona = self._pick(list(Persona))
        channel = rng.choices(list(Channel), weights=(45, 30, 12, 5, 8))[0]
        risk = rng.random()
        body = self._body(kind, occasion, region, content_type, product, persona, channel, risk)
        if len(fill(body, _SAMPLES)) > channel.max_length * 0.8:  # short channels: fall back to Moments
            channel = Channel.MOMENTS
            body = self._body(kind, occasion, region, content_type, product, persona, channel, risk)
        head = occasion or (product.label if product != ProductType.GENERAL else content_type.label)
        title = f"{head} · {content_type.label} · {channel.label} · 第{index + 1:05d}号"
        names = sorted(set(_VARIABLE.findall(body)))
        return _Draft(
            title=title,
            body=body,
            occasion_kind=kind,
            occasion=occasion,
            content_type=str(content_type),
            persona=str(persona),
            channel=channel.value,
            product_type=str(product),
            region=region,
            slots=[_SLOT_JSON[n] for n in names],
            sample=fill(body, _SAMPLES),
        )

    def _facets(self) -> tuple[str, str | None, str | None, ContentType, ProductType]:
        """Kind, occasion, region, content type and product of the next template, drawn in a fixed order."""
        rng = self.rng
        roll = rng.random()
        region: str | None = None
        occasion: str | None = None
        if roll < 0.45:  # an occasion; a quarter of those this month, so calendars have them to place
            kind, occasion, region, _ = self._pick(
                self.current if (self.current and rng.random() < 0.25) else self.occasions
            )
        elif roll < 0.7:
            kind = "product"
        else:
            kind = "everyday"
        if kind == "product":
            content_type, product = ContentType.PRODUCT, self._pick(self._PRODUCTS)
        else:
            content_type = self._pick(self._TYPES)
            product = ProductType.GENERAL
        if region is None and kind == "everyday" and rng.random() < 0.15:
            region = self._pick(self.provinces)
        return kind, occasion, region, content_type, product

    def _body(
        self,
        kind: str,
        occasion: str | None,
        region: str | None,
        content_type: ContentType,
        product: ProductType,
        persona: Persona,
        channel: Channel,
        risk: float,
    ) -> str:
        f, short = self.f, channel.max_length <= Channel.WELCOME.max_length
        lines = [self._pick(f["channels"][channel.value])]
        opener = self._pick(f["occasion_openers"][kind])
        lines.append(opener.replace("{occ}", occasion or "").replace("{wish}", self._pick(f["wishes"])))
        if occasion in f["occasion_notes"] and not short:
            lines.append(self._pick(f["occasion_notes"][occasion]))
        local = ""
        if region in f["locals"]:
            info = f["locals"][region]
            local = f"{region}的朋友都知道{info['specialty']}，也都熟悉“{info['custom']}”的老传统。"
        if content_type is ContentType.PRODUCT:
            lines.append(self._pick(f["products"][product.value]) + ("" if short else local))
        else:
            lines.append(
                self._pick(f["topics"][content_type.value]).replace("{local}", "" if short else local)
            )
        if risk < 0.05:
            lines.append(self._pick(f["risky"]["block"]))
        elif risk < 0.15:
            lines.append(self._pick(f["risky"]["review"]))
        if not short or content_type is not ContentType.PRODUCT:
            lines.append(self._pick(f["personas"][persona.value]))
        return "\n".join(line for line in lines if line) + "\n"


_SLOT_JSON = {name: spec.model_dump(mode="json") for name, spec in STANDARD_SLOTS.items()}
_SAMPLES = {spec.name: spec.default or spec.sample or spec.label for spec in STANDARD_SLOTS.values()}


# --- ids, inserts, time ----------------------------------------------------------------------------------


def _reserve_ids(session: Session, model: type, count: int) -> list[int]:
    """Ids for rows about to be inserted, so other rows can point at them without reading them back."""
    if count == 0:
        return []
    name = _table(model).name
    if session.get_bind().dialect.name == "postgresql":
        rows: list[int] = list(
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": name, "n": count},
            )
            .scalars()
            .all()
        )
        return [int(r) for r in rows]
    start = (
        session.execute(select(func.max(_table(model).c.id))).scalar() or 0
    )  # SQLite: we hold the write lock
    return list(range(start + 1, start + 1 + count))


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> int:
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(_table(model)), rows[start : start + _CHUNK])
    return len(rows)


def _ago(now: datetime, rng: random.Random, min_hours: float, max_hours: float) -> datetime:
    return now - timedelta(hours=rng.uniform(min_hours, max_hours))


# --- the run ---------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    session: Session
    sizes: ScaleSizes
    today: date
    now: datetime
    rng: random.Random
    hq: Org
    editor: int
    reviewers: tuple[int, int]
    ruleset: Any
    counts: dict[str, int] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def check(self, body_text: str, product: str, channel: str) -> tuple[str, list[dict[str, Any]], str]:
        result = check_text(
            body_text, product=ProductType(product), channel=Channel(channel), ruleset=self.ruleset
        )
        return result.verdict.value, list(result.findings_json()), result.ruleset


def seed_scale(
    session: Session, sizes: ScaleSizes | None = None, *, today: date | None = None
) -> ScaleReport:
    """Add the large data set after the demo seed; a second run changes nothing. Commits once."""
    sizes = sizes or ScaleSizes()
    hq, users = _demo_accounts(session)
    _check_sizes(sizes)
    # Take the write lock first (SQLite) so the marker check and the id reservation see the latest data.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE org SET id = id WHERE 0 = 1"))
    if is_seeded(session):
        session.rollback()
        return ScaleReport(created=False)
    ctx = _Ctx(
        session=session,
        sizes=sizes,
        today=today or today_cn(),
        now=datetime.now(UTC),
        rng=random.Random(2026),
        hq=hq,
        editor=users["editor"].id or 0,
        reviewers=(users["reviewer"].id or 0, users["reviewer2"].id or 0),
        ruleset=active_ruleset(session),
    )
    orgs = _orgs(ctx)
    people = _users(ctx, orgs)
    versions = _templates(ctx)
    variants = _variants(ctx, orgs, people, versions)
    _calendars(ctx, orgs, people, variants)
    ctx.counts["reviews"] = _insert(session, Review, ctx.reviews)
    ctx.counts["waiting"] = ctx.counts["waiting_templates"] + ctx.counts["waiting_variants"]
    # Bulk inserts bypass the service that writes a version's search words: fill them in one pass.
    backfill_search_tokens(session.connection())
    audit.append(session, None, MARKER, "seed:scale", dict(ctx.counts))
    session.commit()
    _analyze(session)
    return ScaleReport(created=True, counts=dict(ctx.counts))


def _demo_accounts(session: Session) -> tuple[Org, dict[str, User]]:
    """HQ and the demo's editor and two reviewers, whom the scale data names; refused without the demo."""
    wanted = ("editor", "reviewer", "reviewer2")
    users = {
        u.username: u
        for u in session.exec(select(User).where(User.username.in_(wanted))).all()  # type: ignore[attr-defined]
    }
    hq = session.exec(select(Org).where(Org.code == "HQ")).first()
    if hq is None or len(users) < 3:
        raise ValidationError(
            "demo data missing: run `studio seed --demo` first", "缺少演示数据，请先运行 studio seed --demo。"
        )
    return hq, users


def _check_sizes(sizes: ScaleSizes) -> None:
    if sizes.banks < 1 or sizes.branches < sizes.banks:
        raise ValidationError("need at least one bank and no fewer branches than banks", "规模参数不合法。")
    if sizes.banks > len(fragments()["cities"]):
        raise ValidationError(f"at most {len(fragments()['cities'])} banks", "分行数量超出城市列表。")


def _analyze(session: Session) -> None:
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        # Fresh statistics, or the planner guesses one row per table and nests loops (seconds per page).
        with bind.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


@dataclass
class _OrgRow:
    id: int
    code: str
    name: str
    kind: str
    province: str
    city: str
    bank: int  # index of its bank


def _orgs(ctx: _Ctx) -> list[_OrgRow]:
    f, sizes = fragments(), ctx.sizes
    subs = sizes.branches - sizes.banks
    per_bank, extra = divmod(subs, sizes.banks)
    ids = iter(_reserve_ids(ctx.session, Org, sizes.branches))
    result: list[_OrgRow] = []
    rows: list[dict[str, Any]] = []
    for b in range(sizes.banks):
        province, city = f["cities"][b]
        bank_id, bank_code = next(ids), f"B{b + 1:03d}"
        bank_path = f"{ctx.hq.path}{bank_id}/"
        result.append(_OrgRow(bank_id, bank_code, f"{city}分行", OrgKind.BRANCH.value, province, city, b))
        rows.append(
            {
                "id": bank_id,
                "code": bank_code,
                "name": f"{city}分行",
                "kind": OrgKind.BRANCH.value,
                "parent_id": ctx.hq.id,
                "province": province,
                "city": city,
                "path": bank_path,
            }
        )
        names = f["branch_names"]
        for s in range(per_bank + (1 if b < extra else 0)):
            sub_id = next(ids)
            name = f"{names[s % len(names)]}{'' if s < len(names) else s // len(names) + 1}支行"
            code = f"{bank_code}-S{s + 1:03d}"
            result.append(_OrgRow(sub_id, code, name, OrgKind.SUB_BRANCH.value, province, city, b))
            rows.append(
                {
                    "id": sub_id,
                    "code": code,
                    "name": name,
                    "kind": OrgKind.SUB_BRANCH.value,
                    "parent_id": bank_id,
                    "province": province,
                    "city": city,
                    "path": f"{bank_path}{sub_id}/",
                }
            )
    ctx.counts["orgs"] = _insert(ctx.session, Org, rows)
    return result


@dataclass
class _People:
    localiser: dict[int, int]  # org id -> localiser user id
    staff: dict[int, int]  # sub-branch id -> staff user id
    staff_name: dict[int, str]  # org id -> how the staff member signs ("小王")


def _users(ctx: _Ctx, orgs: list[_OrgRow]) -> _People:
    """A localiser for every bank and sub-branch, a staff member for every sub-branch (password: demo's)."""
    f, rng = fragments(), ctx.rng
    password = hash_password(DEMO_PASSWORD)  # hashed once: the same password for everyone
    wanted = [(o, Role.BRANCH_LOCALISER) for o in orgs] + [
        (o, Role.STAFF) for o in orgs if o.kind == OrgKind.SUB_BRANCH.value
    ]
    ids = iter(_reserve_ids(ctx.session, User, len(wanted)))
    people = _People({}, {}, {})
    rows = []
    for org, role in wanted:
        user_id = next(ids)
        surname = f["surnames"][rng.randrange(len(f["surnames"]))]
        prefix = "loc" if role is Role.BRANCH_LOCALISER else "staff"
        rows.append(
            {
                "id": user_id,
                "username": f"{prefix}_{org.code.lower().replace('-', '_')}",
                "display_name": surname + _GIVEN[rng.randrange(len(_GIVEN))],
                "password_hash": password,
                "role": role.value,
                "org_id": org.id,
                "active": True,
                "created_at": _ago(ctx.now, rng, 24 * 60, 24 * 90),
            }
        )
        if role is Role.BRANCH_LOCALISER:
            people.localiser[org.id] = user_id
            people.staff_name[org.id] = f"小{surname}"
        else:
            people.staff[org.id] = user_id
            people.staff_name[org.id] = f"小{surname}"
    ctx.counts["users"] = _insert(ctx.session, User, rows)
    return people


@dataclass(eq=False)  # identity: each approved version once
class _Version:
    id: int
    title: str
    body: str
    channel: str
    product_type: str
    occasion: str | None
    region: str | None
    names: list[str]


def _decided_rows(
    ctx: _Ctx, subject_type: str, row: dict[str, Any], product_type: str, makers: set[int]
) -> datetime | None:
    """The Review rows behind a row's state (approvals, a rejection, a first approval); returns decided_at."""
    rng, subject_id, state = ctx.rng, row["id"], row["state"]
    checkers = [r for r in (ctx.reviewers if subject_id % 2 else ctx.reviewers[::-1]) if r not in makers]
    at = row["submitted_at"] + timedelta(hours=rng.uniform(1, 30))
    base = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "policy_id": None,
        "findings_snapshot": row["findings"],
        "ruleset": row["ruleset"],
        "subject_lock": 1,
        "content_digest": row["content_digest"],
    }
    if state == ReviewState.APPROVED.value:
        for checker in checkers[: required_approvals(product_type)]:
            ctx.reviews.append(_review(base, checker, Decision.APPROVE, at))
        return at
    if state in (ReviewState.REJECTED.value, ReviewState.CHANGES_REQUESTED.value):
        decision = Decision.REJECT if state == ReviewState.REJECTED.value else Decision.REQUEST_CHANGES
        comments = fragments()["reject_comments"]
        ctx.reviews.append(_review(base, checkers[0], decision, at, comments[rng.randrange(len(comments))]))
        return at
    if state == ReviewState.SUBMITTED.value and required_approvals(product_type) > 1 and subject_id % 3 == 0:
        # Waiting for its second approval: the queue shows 1/2.
        ctx.reviews.append(_review(base, checkers[0], Decision.APPROVE, min(at, ctx.now)))
    return None


def _review(
    base: dict[str, Any], reviewer_id: int, decision: Decision, at: datetime, comment: str = ""
) -> dict[str, Any]:
    """One Review row: the subject's columns in `base`, and who decided what, when."""
    return {
        **base,
        "reviewer_id": reviewer_id,
        "decision": decision.value,
        "comment": comment,
        "created_at": at,
    }


def _templates(ctx: _Ctx) -> list[_Version]:
    """The library: most approved, some drafts, rejected and returned; some waiting (new, or an edit)."""
    composer = _Composer(ctx.today)
    n = ctx.sizes.templates
    new_waiting = min(n, ctx.sizes.waiting_templates // 2)
    edited_waiting = min(n - new_waiting, ctx.sizes.waiting_templates - new_waiting)
    template_ids = _reserve_ids(ctx.session, Template, n)
    version_ids = iter(_reserve_ids(ctx.session, TemplateVersion, n + edited_waiting))
    templates, versions, approved = [], [], []
    for i in range(n):
        draft = composer.draft(i)
        created = _ago(ctx.now, ctx.rng, 24 * 3, 24 * 80)
        states = _template_states(ctx.rng, i < new_waiting, i < new_waiting + edited_waiting)
        for version_no, state in enumerate(states, 1):
            row = _template_version(ctx, composer, draft, next(version_ids), version_no, state, created)
            row["template_id"] = template_ids[i]
            versions.append(row)
            if row["state"] == ReviewState.APPROVED.value:
                approved.append(
                    _Version(
                        row["id"],
                        draft.title,
                        row["body"],
                        draft.channel,
                        draft.product_type,
                        draft.occasion,
                        draft.region,
                        [s["name"] for s in row["slots"]],
                    )
                )
        templates.append(
            {
                "id": template_ids[i],
                "code": f"{TEMPLATE_PREFIX}{i + 1:05d}",
                "owner_org_id": ctx.hq.id,
                "created_by": ctx.editor,
                "created_at": created,
                "latest_version_no": len(states),
                "lock_version": len(states),
            }
        )
    ctx.counts["templates"] = _insert(ctx.session, Template, templates)
    ctx.counts["template_versions"] = _insert(ctx.session, TemplateVersion, versions)
    ctx.counts["templates_approved"] = len(approved)
    ctx.counts["waiting_templates"] = sum(v["state"] == ReviewState.SUBMITTED.value for v in versions)
    return approved


def _template_states(rng: random.Random, new_waiting: bool, edit_waiting: bool) -> list[str]:
    """The states of a template's versions: one waiting, or a decided one (and then an edit waiting)."""
    if new_waiting:
        return [ReviewState.SUBMITTED.value]
    roll = rng.random()
    first = (
        ReviewState.DRAFT.value
        if roll < 0.04
        else ReviewState.REJECTED.value
        if roll < 0.07
        else ReviewState.CHANGES_REQUESTED.value
        if roll < 0.08
        else ReviewState.APPROVED.value
    )
    return [first] + ([ReviewState.SUBMITTED.value] if edit_waiting else [])


def _template_version(
    ctx: _Ctx,
    composer: _Composer,
    draft: _Draft,
    version_id: int,
    version_no: int,
    state: str,
    created: datetime,
) -> dict[str, Any]:
    """One version row (but its template_id), checked; the reviews behind its state go to `ctx.reviews`."""
    body = draft.body
    if version_no == 2:  # the editor's revision: a sharper closing line
        body = body.rstrip("\n") + "\n" + composer._pick(fragments()["personas"][draft.persona]) + "\n"
    verdict, findings, ruleset = ctx.check(fill(body, _SAMPLES), draft.product_type, draft.channel)
    if state == ReviewState.APPROVED.value and verdict == Verdict.BLOCK.value:
        state = ReviewState.REJECTED.value  # a reviewer cannot approve blocking findings
    slots = [_SLOT_JSON[name] for name in sorted(set(_VARIABLE.findall(body)))]
    digest = content_digest(
        title=draft.title, text=body, channel=draft.channel, product_type=draft.product_type, slots=slots
    )
    submitted = _version_submitted(ctx, state, created, version_no)
    row = {
        "id": version_id,
        "version_no": version_no,
        **draft.facets(),
        "body": body,
        "slots": slots,
        "valid_from": None,
        "valid_to": None,
        "state": state,
        "verdict": verdict,
        "findings": findings,
        "ruleset": ruleset,
        "max_severity": max_severity_of(findings),
        "source_digest": None,
        "content_digest": digest,
        "created_by": ctx.editor,
        "created_at": submitted or created,
        "submitted_by": ctx.editor if submitted else None,
        "submitted_at": submitted,
    }
    decided = (
        _decided_rows(ctx, "template_version", row, draft.product_type, {ctx.editor}) if submitted else None
    )
    return {**row, "lock_version": 1 if decided is None else 2, "decided_at": decided}


def _version_submitted(ctx: _Ctx, state: str, created: datetime, version_no: int) -> datetime | None:
    """When a version was submitted: never (a draft), lately (waiting), or soon after its template began."""
    if state == ReviewState.DRAFT.value:
        return None
    if state == ReviewState.SUBMITTED.value:
        return _ago(ctx.now, ctx.rng, 0.2, 96)
    return created + timedelta(hours=version_no)


# --- branches: variants and calendars ----------------------------------------------------------------------


@dataclass
class _Placeable:
    id: int
    channel: str
    occasion: str | None


def _values(org: _OrgRow, bank: _OrgRow, staff_name: str) -> dict[str, str]:
    info = fragments()["locals"].get(org.province, {})
    return {
        "bank_name": f"{BANK_NAME}{bank.city}分行",
        "branch_name": org.name,
        "city": org.city,
        "staff_name": staff_name,
        "local_greeting": info.get("greeting", "街坊们好"),
        "local_specialty": info.get("specialty", ""),
        "local_custom": info.get("custom", ""),
        "local_offer": "网点开放日现场咨询",
        "branch_address": f"{org.city}市{org.name.removesuffix('支行')}88号",
        "service_hours": "周一至周日 9:00-17:00",
        "event_date": "",
    }


_Pools = dict[str, tuple[list[_Version], list[_Version], list[_Version]]]
_Planned = tuple[_OrgRow, _Version, ReviewState, int | None]  # org, version, state, parent's plan index


def _variants(
    ctx: _Ctx, orgs: list[_OrgRow], people: _People, approved: list[_Version]
) -> dict[int, list[_Placeable]]:
    """Approved variants for every bank and branch (branches inherit their bank's), and the waiting ones."""
    banks = [o for o in orgs if o.kind == OrgKind.BRANCH.value]
    plan = _variant_plan(ctx, orgs, banks, _variant_pools(ctx, orgs, approved))
    ids = _reserve_ids(ctx.session, Variant, len(plan))
    rows: list[dict[str, Any]] = []
    placeable: dict[int, list[_Placeable]] = {}
    bank_rows = {b.bank: b for b in banks}
    for (org, version, state, parent), variant_id in zip(plan, ids, strict=True):
        # A branch's bank-level values (bank_name) equal its bank's, as inheritance requires.
        values = _values(org, bank_rows[org.bank], people.staff_name[org.id])
        row = _variant_row(ctx, variant_id, org.id, people.localiser[org.id], version, state, values)
        row["parent_variant_id"] = ids[parent] if parent is not None else None
        rows.append(row)
        if row["state"] == ReviewState.APPROVED.value:
            placeable.setdefault(org.id, []).append(_Placeable(variant_id, version.channel, version.occasion))
    ctx.counts["variants"] = _insert(ctx.session, Variant, rows)
    ctx.counts["waiting_variants"] = sum(r["state"] == ReviewState.SUBMITTED.value for r in rows)
    return placeable


def _variant_pools(ctx: _Ctx, orgs: list[_OrgRow], approved: list[_Version]) -> _Pools:
    """Per province: everyday calendar content, this month's occasions, and anything it may localise."""
    this_month = _month_occasions(ctx.today)
    pools: _Pools = {}
    for province in sorted({o.province for o in orgs}):
        fit = [v for v in approved if v.region in (None, province)]
        ctx.rng.shuffle(fit)
        pools[province] = (
            [v for v in fit if v.occasion is None and v.channel in _CALENDAR_CHANNELS],
            [v for v in fit if v.occasion in this_month and v.channel in _CALENDAR_CHANNELS],
            fit,
        )
    return pools


def _variant_plan(ctx: _Ctx, orgs: list[_OrgRow], banks: list[_OrgRow], pools: _Pools) -> list[_Planned]:
    """Which versions each bank and branch localises, in which state, inheriting from which bank variant."""
    sizes, rng = ctx.sizes, ctx.rng
    subs = [o for o in orgs if o.kind == OrgKind.SUB_BRANCH.value]
    plan: list[_Planned] = []
    bank_of: dict[int, list[int]] = {}  # bank index -> plan indexes of its everyday approved variants
    for bank in banks:
        everyday, festive, _ = pools[bank.province]
        picked = _take(festive, min(3, sizes.bank_variants // 3), rng)  # the bank plans the festive posts
        for version in picked + _take_mix(everyday, sizes.bank_variants - len(picked), rng):
            if version.occasion is None:
                bank_of.setdefault(bank.bank, []).append(len(plan))
            plan.append((bank, version, ReviewState.APPROVED, None))
    for sub, waiting in zip(subs, _share(sizes.waiting_variants, len(subs)), strict=True):
        everyday, _, fit = pools[sub.province]
        inherited = bank_of.get(sub.bank, [])[: sizes.branch_variants // 2]
        chosen = {plan[i][1].id for i in inherited}
        plan += [(sub, plan[i][1], ReviewState.APPROVED, i) for i in inherited]
        own = _take_mix(everyday, sizes.branch_variants - len(inherited), rng, chosen)
        chosen |= {v.id for v in own}
        plan += [(sub, v, ReviewState.APPROVED, None) for v in own]
        plan += [(sub, v, ReviewState.SUBMITTED, None) for v in _take(fit, waiting, rng, chosen)]
    return plan


def _variant_row(
    ctx: _Ctx,
    variant_id: int,
    org_id: int,
    maker: int,
    version: _Version,
    state: ReviewState,
    values: dict[str, str],
) -> dict[str, Any]:
    """One variant row (but its parent), checked; the reviews behind its state go to `ctx.reviews`."""
    slot_values = {name: values[name] for name in version.names}
    body_text = fill(version.body, slot_values)
    verdict, findings, ruleset = ctx.check(body_text, version.product_type, version.channel)
    if state is ReviewState.APPROVED and verdict == Verdict.BLOCK.value:
        state = ReviewState.REJECTED  # a reviewer cannot approve blocking findings
    digest = content_digest(
        title=version.title, text=body_text, channel=version.channel, product_type=version.product_type
    )
    waiting = state is ReviewState.SUBMITTED
    submitted = _ago(ctx.now, ctx.rng, 0.1, 96) if waiting else _ago(ctx.now, ctx.rng, 24 * 5, 24 * 45)
    row = {
        "id": variant_id,
        "org_id": org_id,
        "template_version_id": version.id,
        "parent_variant_id": None,
        "replaces_id": None,
        "resubmits_id": None,
        "title": version.title,
        "slot_values": slot_values,
        "text": body_text,
        "state": state.value,
        "verdict": verdict,
        "findings": findings,
        "ruleset": ruleset,
        "max_severity": max_severity_of(findings),
        "content_digest": digest,
        "created_by": maker,
        "created_at": submitted,
        "updated_at": submitted,
        "submitted_by": maker,
        "submitted_at": submitted,
    }
    decided = _decided_rows(ctx, "variant", row, version.product_type, {maker})
    return {**row, "decided_at": decided, "lock_version": 1 if decided is None else 2}


def _take(
    pool: list[_Version], count: int, rng: random.Random, exclude: set[int] | None = None
) -> list[_Version]:
    """Up to `count` distinct versions from a random point of the (shuffled) pool, skipping `exclude`."""
    if not pool or count <= 0:
        return []
    start, taken = rng.randrange(len(pool)), []
    for k in range(len(pool)):
        version = pool[(start + k) % len(pool)]
        if exclude is None or version.id not in exclude:
            taken.append(version)
            if len(taken) == count:
                break
    return taken


def _take_mix(
    pool: list[_Version], count: int, rng: random.Random, exclude: set[int] | None = None
) -> list[_Version]:
    """Like _take, about 60% Moments and the rest group posts, so every calendar gets both."""
    moments = _take(
        [v for v in pool if v.channel == Channel.MOMENTS.value], (count * 3 + 4) // 5, rng, exclude
    )
    rest = _take([v for v in pool if v.channel != Channel.MOMENTS.value], count - len(moments), rng, exclude)
    return moments + rest


def _month_occasions(today: date) -> dict[str, date]:
    """This month's placeable occasions by name (a regional one may share a name across provinces)."""
    days: dict[str, date] = {}
    for occ in occasions_for_year(today.year).items:
        if occ.date.month == today.month and occ.kind.postable:
            days.setdefault(occ.name, occ.date)
    return days


def _share(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts) if parts else (0, 0)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _festive_picks(
    own: list[_Placeable], occasion_days: dict[str, date]
) -> list[tuple[date, _Placeable, str, str]]:
    """A bank's festive posts on their occasion's day: one per channel a day."""
    picks: list[tuple[date, _Placeable, str, str]] = []
    done: set[tuple[date, str]] = set()
    for c in own:
        day = occasion_days.get(c.occasion or "")
        if day is not None and (day, c.channel) not in done:
            done.add((day, c.channel))
            picks.append((day, c, "12:00" if c.channel == Channel.MOMENTS.value else "20:00", "节日节气"))
    return picks


def _everyday_picks(
    today: date, org_id: int, chain: list[_Placeable]
) -> list[tuple[date, _Placeable, str, str]]:
    """A branch's everyday posts: Moments every morning, the group every other evening."""
    everyday = [c for c in chain if c.occasion is None]
    moments = [c for c in everyday if c.channel == Channel.MOMENTS.value]
    group = [c for c in everyday if c.channel == Channel.GROUP.value]
    picks: list[tuple[date, _Placeable, str, str]] = []
    for n, day in enumerate(Month.of(today).days()):
        if moments:
            picks.append((day, moments[(n + org_id) % len(moments)], "08:30", "日常内容"))
        if group and n % 2 == 0:
            picks.append((day, group[(n // 2 + org_id) % len(group)], "19:30", "日常内容"))
    return picks


def _calendars(
    ctx: _Ctx, orgs: list[_OrgRow], people: _People, placeable: dict[int, list[_Placeable]]
) -> None:
    """This month's slots: each bank places this month's festive posts for everyone below it, each branch
    its everyday posts (Moments every morning, the group every other evening) from its own and its bank's
    everyday variants; branch staff have posted most of what was due before today."""
    by_code = {o.code: o for o in orgs}
    occasion_days = _month_occasions(ctx.today)
    created = at_beijing(ctx.today.replace(day=1), time(9)).astimezone(UTC) - timedelta(days=2)
    slots: list[dict[str, Any]] = []
    marks: list[tuple[int, int, date]] = []  # slot index, staff, day
    for org in orgs:
        if org.kind == OrgKind.BRANCH.value:
            picks = _festive_picks(placeable.get(org.id, []), occasion_days)
        else:
            bank = by_code[org.code.split("-")[0]]
            picks = _everyday_picks(ctx.today, org.id, placeable.get(org.id, []) + placeable.get(bank.id, []))
        staff = people.staff.get(org.id)
        for day, c, at, note in picks:
            if staff is not None and day < ctx.today and (org.id + day.day) % 10 < 7:
                marks.append((len(slots), staff, day))
            slots.append(
                {
                    "org_id": org.id,
                    "day": day,
                    "time_of_day": at,
                    "channel": c.channel,
                    "variant_id": c.id,
                    "note": note,
                    "created_by": people.localiser[org.id],
                    "created_at": created,
                }
            )
    ids = _reserve_ids(ctx.session, CalendarSlot, len(slots))
    for slot_id, row in zip(ids, slots, strict=True):
        row["id"] = slot_id
    ctx.counts["slots"] = _insert(ctx.session, CalendarSlot, slots)
    ctx.counts["post_marks"] = _insert(
        ctx.session,
        PostMark,
        [
            {
                "slot_id": ids[index],
                "user_id": staff,
                "posted_at": at_beijing(day, time(9, 5)).astimezone(UTC),
            }
            for index, staff, day in marks
        ],
    )
