"""`studio seed --scale`: the large data set is valid data, visible to the demo reviewers, audited once,
and a second run changes nothing. Runs a small size on SQLite and PostgreSQL after the demo seed."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from studio.cli import main
from studio.db import migrate
from studio.db.engine import make_engine
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
from studio.domain.clock import today_cn
from studio.domain.enums import Decision, OrgKind, ReviewState, Verdict
from studio.services import calendar, reviews
from studio.services.auth import actor_for, authenticate
from studio.services.orgs import ancestors
from studio.services.reviews import digest_of, required_approvals, template_sample_text
from studio.services.rules import check, findings_json
from studio.services.seed import DEMO_PASSWORD, seed_demo
from studio.services.seed_scale import MARKER, TEMPLATE_PREFIX, ScaleSizes, seed_scale
from studio.services.templates import TemplateDraft, validate_draft
from studio.services.variants import render_variant
from studio.settings import get_settings
from studio.workflow import audit
from tests.conftest import BACKENDS, _drop_postgres, _fresh_postgres

SIZES = ScaleSizes(templates=300, waiting=60, banks=3, branches=15, bank_variants=6, branch_variants=4)
SAMPLE = 40


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _new_org_ids(session: Session) -> list[int]:
    return list(session.exec(select(Org.id).where(Org.code.like("B%"))).all())  # type: ignore[attr-defined]


def _table_counts(session: Session) -> dict[str, int]:
    return {
        m.__name__: session.exec(select(func.count()).select_from(m)).one()
        for m in (Org, User, Template, TemplateVersion, Variant, Review, CalendarSlot, PostMark, AuditEvent)
    }


def _actor(session: Session, username: str):  # type: ignore[no-untyped-def]
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One migrated database per backend with the demo and a small scale seed (the demo seed is slow)."""
    path = tmp_path_factory.mktemp("scale")
    patch = pytest.MonkeyPatch()
    patch.setenv("STUDIO_DATA_DIR", str(path))  # the audit key and anchors of this database, module-wide
    get_settings.cache_clear()
    if request.param == "sqlite":
        url, admin_url = f"sqlite:///{path / 'scale.db'}", None
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        url, _ = _fresh_postgres(admin_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            seed_demo(session)
            assert seed_scale(session, SIZES).created
        yield url
    finally:
        engine.dispose()
        if admin_url:
            _drop_postgres(admin_url, url)
        patch.undo()
        get_settings.cache_clear()


@pytest.fixture
def seeded(seeded_url: str) -> Iterator[Session]:
    engine = make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def test_counts_states_and_marker(seeded: Session) -> None:
    session = seeded
    orgs = session.exec(select(Org).where(Org.code.like("B%"))).all()  # type: ignore[attr-defined]
    assert len(orgs) == SIZES.branches
    banks = [o for o in orgs if o.kind == OrgKind.BRANCH.value]
    assert [o.code for o in banks] == ["B001", "B002", "B003"]
    hq = session.exec(select(Org).where(Org.code == "HQ")).one()
    for org in orgs:  # materialised paths under HQ, sub-branches under their bank
        assert org.path.startswith(hq.path) and org.path.endswith(f"/{org.id}/")
        assert org.province and org.city
        if org.kind == OrgKind.SUB_BRANCH.value:
            bank = session.get(Org, org.parent_id)
            assert (
                bank is not None and org.code.startswith(bank.code + "-S") and org.path.startswith(bank.path)
            )
    assert (
        _count(session, select(Template).where(Template.code.startswith(TEMPLATE_PREFIX))) == SIZES.templates
    )
    scale_versions = (
        select(TemplateVersion)
        .join(Template, Template.id == TemplateVersion.template_id)
        .where(Template.code.startswith(TEMPLATE_PREFIX))
    )
    waiting_templates = _count(
        session, scale_versions.where(TemplateVersion.state == ReviewState.SUBMITTED.value)
    )
    waiting_variants = _count(
        session,
        select(Variant).where(
            Variant.org_id.in_(_new_org_ids(session)), Variant.state == ReviewState.SUBMITTED.value
        ),
    )  # type: ignore[attr-defined]
    assert (waiting_templates, waiting_variants) == (SIZES.waiting_templates, SIZES.waiting_variants)
    approved = _count(session, scale_versions.where(TemplateVersion.state == ReviewState.APPROVED.value))
    assert approved > SIZES.templates * 0.7  # most approved; some drafts and rejected as well
    assert _count(session, scale_versions.where(TemplateVersion.state == ReviewState.DRAFT.value)) > 0
    # Nothing approved carries blocking findings.
    assert (
        _count(
            session,
            scale_versions.where(
                TemplateVersion.state == ReviewState.APPROVED.value,
                TemplateVersion.verdict == Verdict.BLOCK.value,
            ),
        )
        == 0
    )
    marker = session.exec(select(AuditEvent).where(AuditEvent.action == MARKER)).one()
    assert marker.details["templates"] == SIZES.templates and marker.details["waiting"] == SIZES.waiting
    # Every new org has approved variants and this month's calendar: a bank its festive posts for everyone
    # below it, a branch a post or two every day.
    today = today_cn()
    for org in orgs:
        assert (
            _count(
                session,
                select(Variant).where(Variant.org_id == org.id, Variant.state == ReviewState.APPROVED.value),
            )
            > 0
        )
        slots = _count(
            session,
            select(CalendarSlot).where(
                CalendarSlot.org_id == org.id, CalendarSlot.day >= today.replace(day=1)
            ),
        )
        assert slots >= (1 if org.kind == OrgKind.BRANCH.value else 28)


def test_digests_verdicts_and_texts_match_the_services(seeded: Session) -> None:
    session = seeded
    rng = random.Random(7)
    versions = session.exec(
        select(TemplateVersion)
        .join(Template, Template.id == TemplateVersion.template_id)
        .where(Template.code.startswith(TEMPLATE_PREFIX))
    ).all()
    for version in rng.sample(versions, SAMPLE):
        assert digest_of(version, version) == version.content_digest
        # What create_template would have stored: normalised slots, the sample the check ran on.
        clean, slots, sample = validate_draft(
            TemplateDraft(
                title=version.title,
                body=version.body,
                occasion_kind=version.occasion_kind,
                occasion=version.occasion,
                content_type=version.content_type,
                persona=version.persona,
                channel=version.channel,
                product_type=version.product_type,
                region=version.region,
            )
        )
        assert [s.model_dump(mode="json") for s in slots] == version.slots
        assert sample == template_sample_text(version)
        result = check(session, sample, version.product_type, version.channel)
        assert (result.verdict.value, findings_json(result), result.ruleset) == (
            version.verdict,
            version.findings,
            version.ruleset,
        )
        decided = session.exec(
            select(Review).where(Review.subject_type == "template_version", Review.subject_id == version.id)
        ).all()
        if version.state == ReviewState.APPROVED.value:
            assert version.lock_version == 2 and version.decided_at is not None
            assert len({r.reviewer_id for r in decided if r.decision == "approve"}) == required_approvals(
                version.product_type
            )
            assert all(r.content_digest == version.content_digest and r.subject_lock == 1 for r in decided)
        elif version.state in (ReviewState.DRAFT.value, ReviewState.SUBMITTED.value):
            assert version.lock_version == 1
    variants = session.exec(select(Variant).where(Variant.org_id.in_(_new_org_ids(session)))).all()  # type: ignore[attr-defined]
    for variant in rng.sample(variants, SAMPLE):
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None and version.state == ReviewState.APPROVED.value
        assert digest_of(variant, version) == variant.content_digest
        values, text = render_variant(version, variant.slot_values)  # the real renderer and slot validation
        assert (values, text) == (variant.slot_values, variant.text)
        result = check(session, variant.text, version.product_type, version.channel)
        assert (result.verdict.value, findings_json(result)) == (variant.verdict, variant.findings)
        org = session.get(Org, variant.org_id)
        assert org is not None and version.region in (None, org.province)
        if variant.parent_variant_id:
            parent = session.get(Variant, variant.parent_variant_id)
            assert parent is not None and parent.template_version_id == variant.template_version_id
            assert parent.org_id == org.parent_id and parent.state == ReviewState.APPROVED.value
            assert parent.slot_values.get("bank_name") == variant.slot_values.get("bank_name")


def test_calendars_show_the_slots_to_branch_staff(seeded: Session) -> None:
    session = seeded
    today = today_cn()
    staff_user = session.exec(select(User).where(User.username == "staff_b002_s001")).one()
    assert authenticate(session, "staff_b002_s001", DEMO_PASSWORD) is not None
    staff = actor_for(session, staff_user)
    placed = calendar.month_slots(session, staff, staff.org_id, today.year, today.month)
    org = session.get(Org, staff.org_id)
    assert org is not None
    chain = {o.id for o in ancestors(session, staff, org)}
    stored = session.exec(select(CalendarSlot).where(CalendarSlot.org_id.in_(chain))).all()  # type: ignore[attr-defined]
    # Every slot of the branch and its bank is live (approved, valid, in the chain): the view shows them all.
    assert len(placed) == len(stored) >= 20
    assert {s.org_id for s in stored} == {org.id, org.parent_id}  # its own everyday posts, its bank's festive
    for slot in stored:
        variant = session.get(Variant, slot.variant_id)
        version = session.get(TemplateVersion, variant.template_version_id) if variant else None
        assert variant is not None and version is not None
        assert variant.org_id in chain and slot.channel == version.channel
    assert all(p.day.month == today.month for p in placed)
    assert len(calendar.todays_content(session, staff, today)) >= 1


def test_second_run_changes_nothing_and_the_chain_verifies(
    seeded: Session, seeded_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    session = seeded
    before = _table_counts(session)
    assert not seed_scale(session, SIZES).created
    assert _table_counts(session) == before
    report = audit.verify(session)
    assert report.ok, report.reason
    # The CLI says so on stdout, in one line, and exits 0.
    monkeypatch.setenv("STUDIO_DATABASE_URL", seeded_url)
    get_settings.cache_clear()
    assert main(["seed", "--scale"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "nothing changed" in out[0]
    session.rollback()
    assert _table_counts(session) == before


def test_cli_refuses_without_the_demo(engine, db_url: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STUDIO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    assert main(["seed", "--scale"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == ["error: demo data missing: run `studio seed --demo` first"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Org)).one() == 0


def test_reviewers_see_and_can_decide_the_waiting_items(seeded: Session) -> None:
    session = seeded
    new_orgs = _new_org_ids(session)
    for username in ("reviewer", "reviewer2"):
        reviewer = _actor(session, username)
        visible = _count(
            session,
            select(Variant)
            .join(Org, Org.id == Variant.org_id)
            .where(
                Variant.state == ReviewState.SUBMITTED.value,
                Variant.org_id.in_(new_orgs),  # type: ignore[attr-defined]
                Org.path.startswith(reviewer.org_path),
            ),
        )  # type: ignore[attr-defined]
        assert visible == SIZES.waiting_variants
    reviewer, reviewer2 = _actor(session, "reviewer"), _actor(session, "reviewer2")
    # Each waiting item opens for a reviewer (scope enforced) at the version stored.
    waiting = session.exec(
        select(Variant).where(Variant.state == ReviewState.SUBMITTED.value, Variant.org_id.in_(new_orgs))
    ).all()  # type: ignore[attr-defined]
    for variant in waiting:
        seen = reviews.current_version(session, reviewer, "variant", variant.id or 0)
        assert (seen.lock_version, seen.digest) == (variant.lock_version, variant.content_digest)
    # And the workflow accepts the seeded rows as they are: digest, re-check and dual approval all hold.
    clean = [v for v in waiting if v.verdict != Verdict.BLOCK.value]
    for subject_type, row in (
        ("variant", clean[0]),
        (
            "template_version",
            session.exec(
                select(TemplateVersion)
                .join(Template, Template.id == TemplateVersion.template_id)
                .where(
                    Template.code.startswith(TEMPLATE_PREFIX),
                    TemplateVersion.state == ReviewState.SUBMITTED.value,
                    TemplateVersion.verdict != Verdict.BLOCK.value,
                )
            ).first(),
        ),
    ):
        assert row is not None
        state = ""
        for checker in (reviewer, reviewer2):
            if state == ReviewState.APPROVED.value:
                break
            already = session.exec(
                select(Review).where(
                    Review.subject_type == subject_type,
                    Review.subject_id == row.id,
                    Review.reviewer_id == checker.user_id,
                )
            ).first()
            if already is not None:
                continue  # seeded as this reviewer's first approval of a dual-approval item
            seen = reviews.current_version(session, checker, subject_type, row.id or 0)
            state = reviews.decide(session, checker, subject_type, row.id or 0, Decision.APPROVE, seen=seen)
        assert state == ReviewState.APPROVED.value
    assert audit.verify(session).ok
