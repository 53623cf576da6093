"""Every public function that reads or writes org data takes an Actor, and one named like a read never writes.

The inventory is found, not listed: every module of the `studio` package (pages are scripts, migrations are
history) is imported, and every public function or public method whose parameters include a `Session` is
checked. A new service function without an `actor: Actor` parameter fails here unless it is added to
ALLOWED with the reason it holds no org data.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event
from sqlmodel import Session, col, select

import studio
from studio.db.models import Asset, CalendarSlot, Job, Org, Partner, TemplateVersion, User, Variant, utcnow
from studio.domain.clock import today_cn
from studio.domain.enums import ReviewState
from studio.domain.views import Actor
from studio.errors import PermissionDenied
from studio.localisation.draft import TemplateDraft
from studio.services import rules

SKIPPED_PACKAGES = ("studio.pages", "studio.db.migrations")  # Streamlit scripts run on import; frozen history

# Functions that take a session but no Actor, each genuinely not org data (or the machinery below actors).
ALLOWED: dict[str, str] = {
    # login itself: there is no actor yet
    "studio.services.auth.authenticate": "login",
    "studio.services.auth.actor_for": "builds the actor of a user who just logged in",
    "studio.services.login_throttle.locked_for": "login throttle counters",
    "studio.services.login_throttle.record_failure": "login throttle counters",
    "studio.services.login_throttle.mark_reported": "login throttle counters",
    "studio.services.login_throttle.clear": "login throttle counters",
    "studio.services.login_throttle.prune": "login throttle counters",
    "studio.services.users.admins_with_demo_password": "start-up warning about the public demo password",
    "studio.services.users.set_password": "operator's reset from the shell, who holds the database anyway",
    "studio.services.users.end_sessions": "operator's cut from the shell, like the password reset",
    "studio.services.sessions.resume": "turns a session token into the actor: there is no actor yet",
    "studio.services.sessions.revoke_all_for_user": "the password change and the operator's reset end a user's "
    "sessions",
    "studio.services.users.set_email": "operator's command from the shell, who holds the database anyway",
    "studio.services.contacts.set_contact_as_operator": "operator's `studio user link` from the shell, like the "
    "email",
    "studio.services.sso.authenticate_identity": "single sign-on login: the provider's identity, no actor yet",
    # seeding and bootstrap: run by the operator before any actor exists
    "studio.services.seed.seed_demo": "seeding",
    "studio.services.seed_scale.seed_scale": "seeding",
    "studio.services.seed_scale.is_seeded": "seeding",
    "studio.services.orgs.create_org": "seeding and bootstrap of the org tree",
    "studio.services.orgs.create_user": "seeding",
    "studio.services.library_import.ensure_library_actor": "the system actor the CLI acts as",
    "studio.services.library_import.import_library": "operator load of HQ files, as the library actor through "
    "create_template's checks",
    # bank-wide reference data that belongs to no org
    "studio.services.data_version.data_version": "the audit head as a cache key",
    "studio.services.data_version.audit_head": "the audit head as the audit log page's cache key",
    "studio.services.rules.active_ruleset": "the bank-wide compliance ruleset",
    "studio.services.rules.check": "checks a text against the bank-wide ruleset",
    "studio.services.rules.rule_docs": "the bank-wide compliance ruleset",
    "studio.services.rules.rule_terms": "the bank-wide compliance ruleset",
    "studio.services.rules.history": "the bank-wide compliance ruleset",
    "studio.services.occasion_calendar.hot_topics": "hot topics: national or provincial, like festivals",
    "studio.services.occasion_calendar.hot_topic_ends": "hot topics: national or provincial, like festivals",
    # the audit chain's own machinery
    "studio.workflow.audit.append": "the recorder services call after their own checks",
    "studio.workflow.audit.verify": "chain integrity: reports sequence numbers, no event content",
    "studio.workflow.audit.verify_incremental": "chain integrity: reports sequence numbers, no event content",
    "studio.workflow.audit.checkpoint": "chain integrity: anchors the head hash",
    # persistence primitives below the services, which check before calling them
    "studio.db.locking.claim": "optimistic-lock primitive",
    "studio.db.locking.transition": "state-transition primitive",
    "studio.db.typed.rows": "runs a query its caller built and checked; keeps the column types",
}

# A public name that starts with one of these may write; every other public name is a read and must not.
WRITE_VERBS = (
    "add_",
    "append",
    "authenticate",
    "auto_approve",
    "batch_",
    "build_",
    "change_",
    "checkpoint",
    "claim",
    "clear",
    "create_",
    "decide",
    "end",
    "ensure_",
    "expire_",
    "export_",
    "import_",
    "localise",
    "logout",
    "mark_",
    "place",
    "prune",
    "publish_",
    "queue_",
    "record_",
    "refresh_",
    "remove",
    "resume",
    "retry",
    "revoke_",
    "rotate_",
    "seed_",
    "set_",
    "start_",
    "submit",
    "transition",
    "update_",
    "upload_",
    "withdraw",
)


def _modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(studio.__path__, "studio."):
        if not info.name.startswith(SKIPPED_PACKAGES):
            yield importlib.import_module(info.name)


def _public_functions(module: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Functions defined in the module, and public methods (and constructors) of its public classes."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield f"{module.__name__}.{name}", obj
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and (attr == "__init__" or not attr.startswith("_")):
                    yield f"{module.__name__}.{name}.{attr}", member


def _annotations(fn: Callable[..., Any]) -> dict[str, str]:
    # Modules use `from __future__ import annotations`: annotations are the source strings.
    return {n: str(p.annotation) for n, p in inspect.signature(fn).parameters.items()}


def _takes_session(fn: Callable[..., Any]) -> bool:
    return any("Session" in a for a in _annotations(fn).values())


def _takes_actor(fn: Callable[..., Any]) -> bool:
    return "Actor" in _annotations(fn).values()  # exactly Actor: an optional actor checks nothing


SESSION_FUNCTIONS = {
    name: fn for module in _modules() for name, fn in _public_functions(module) if _takes_session(fn)
}


def _is_read(qualified: str) -> bool:
    return not qualified.rsplit(".", 1)[1].startswith(WRITE_VERBS)


def test_the_inventory_finds_the_services():
    # Guards the walk itself: if it found nothing, the checks below would pass vacuously.
    assert "studio.services.reviews.withdraw" in SESSION_FUNCTIONS
    assert "studio.workflow.audit.export_csv" in SESSION_FUNCTIONS
    assert len(SESSION_FUNCTIONS) > 60


def test_every_function_that_takes_a_session_takes_an_actor():
    missing = sorted(
        name for name, fn in SESSION_FUNCTIONS.items() if not _takes_actor(fn) and name not in ALLOWED
    )
    assert not missing, f"take a Session but no Actor (add `actor: Actor` and check it): {missing}"


def test_the_allow_list_names_only_real_actorless_functions():
    stale = sorted(
        name for name in ALLOWED if name not in SESSION_FUNCTIONS or _takes_actor(SESSION_FUNCTIONS[name])
    )
    assert not stale, f"remove from ALLOWED (gone, or takes an Actor now): {stale}"


# Functions on the actor's own account (its session, its password): no capability, no org data.
OWN_ACCOUNT = {
    "studio.services.auth.logout",
    "studio.services.users.change_own_password",
    "studio.services.users.has_demo_password",
    "studio.services.sessions.start_session",
    "studio.services.sessions.end",
    "studio.services.sessions.list_mine",
    "studio.services.sessions.revoke_mine",
    "studio.services.sessions.revoke_others",
}


def test_a_function_with_an_actor_checks_a_capability():
    """The actor parameter is not decoration: each function calls a check (or a checked lookup) itself."""
    import ast
    import textwrap

    unchecked = []
    for name, fn in SESSION_FUNCTIONS.items():
        if not _takes_actor(fn) or name in OWN_ACCOUNT:
            continue
        calls = {
            node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn))))
            if isinstance(node, ast.Call)
        }
        # Either a check itself, or a checked function of the same layer that it delegates to first.
        if not calls & {"require", "_check_thread_access", "get_org"}:
            unchecked.append(name)
    assert not unchecked, f"take an Actor but never call require(...): {unchecked}"


# -- reads do not write ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """The demo data on a migrated SQLite database: every table has rows for the reads to find. Seeded once
    for the module, in its own data directory (the audit key), which the per-test fixture then keeps."""
    from studio.db.engine import make_engine
    from studio.db.migrate import upgrade
    from studio.services.seed import seed_demo
    from studio.settings import get_settings

    data = tmp_path_factory.mktemp("reads")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STUDIO_DATA_DIR", str(data))
        for name in ("STUDIO_AUDIT_KEY", "STUDIO_AUDIT_KEY_FILE", "STUDIO_AUDIT_ANCHOR_DIR"):
            env.delenv(name, raising=False)
        get_settings.cache_clear()
        url = f"sqlite:///{data / 'reads.db'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            seed_demo(session)
            _publish_then_withdraw(session)
            _an_outside_image(session)
            yield session
        engine.dispose()
    get_settings.cache_clear()


def _an_outside_image(session: Session) -> None:
    """A library image (its text recognised on upload), for the reads that show one."""
    import io

    from PIL import Image

    from studio.services.assets import upload_asset

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, format="PNG")
    upload_asset(session, _actor(session, "editor"), out.getvalue(), title="外部图片", kind="photo")


def _publish_then_withdraw(session: Session) -> None:
    """A published month holding withdrawn content: reading its calendar document would write a cleaned
    version, so a reader named like a read would be caught writing."""
    from studio.services import planning, reviews

    localiser, today = _actor(session, "localiser"), today_cn()
    planning.publish_month(session, localiser, localiser.org_id, f"{today:%Y-%m}")
    slot = session.exec(
        select(CalendarSlot).where(CalendarSlot.org_id == localiser.org_id, CalendarSlot.day >= today)
    ).first()
    assert slot is not None
    reviews.withdraw(session, localiser, slot.variant_id, "活动取消")


class _Writes:
    """Statements that change rows, as the database driver receives them."""

    def __init__(self, session: Session) -> None:
        self.seen: list[str] = []
        self.engine = session.get_bind()
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
            self.seen.append(statement.split("\n", 1)[0][:80])

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _arguments(session: Session, actor: Actor) -> dict[str, Callable[[str], Any]]:
    """A value for each parameter name a read takes, chosen for `actor` (keyed by name; the annotation
    tells `month` the string from `month` the number)."""
    today = today_cn()
    version = session.exec(
        select(TemplateVersion)
        .where(TemplateVersion.state == ReviewState.APPROVED.value)
        .order_by(TemplateVersion.id)
    ).first()
    waiting = session.exec(
        select(TemplateVersion)
        .where(TemplateVersion.state == ReviewState.SUBMITTED.value)
        .order_by(TemplateVersion.id)
    ).first()
    variant = session.exec(
        select(Variant)
        .join(Org, Org.id == Variant.org_id)
        .where(Org.path.startswith(actor.org_path))
        .order_by(Variant.id)
    ).first()  # type: ignore[attr-defined]
    slots = session.exec(select(CalendarSlot.id).where(CalendarSlot.org_id == actor.org_id)).all()
    partner = (
        session.exec(
            select(Partner.id)
            .join(Org, col(Org.id) == col(Partner.org_id))
            .where(col(Org.path).startswith(actor.org_path))
            .order_by(col(Partner.id))
        ).first()
        or session.exec(select(Partner.id)).first()
    )
    assert version is not None and waiting is not None
    return {
        "actor": lambda _: actor,
        "org_id": lambda _: actor.org_id,
        "org": lambda _: session.get(Org, actor.org_id),
        "month": lambda annotation: today.month if annotation == "int" else f"{today:%Y-%m}",
        "year": lambda _: today.year,
        "today": lambda _: today,
        "day": lambda _: today,
        "start": lambda _: today.replace(day=1),
        "end": lambda _: today.replace(day=1) + timedelta(days=40),
        "now": lambda _: utcnow(),
        "province": lambda _: "江西",
        "slot_ids": lambda _: list(slots),
        "subject_type": lambda _: "template_version",
        "subject_id": lambda _: waiting.id,
        "version_id": lambda _: version.id,
        "template_version_id": lambda _: version.id,
        "template_id": lambda _: version.template_id,
        "template_ids": lambda _: [version.template_id],
        "variant_id": lambda _: variant.id if variant else 0,
        "variant_ids": lambda _: [variant.id] if variant else [],
        "text": lambda _: "稳赚不赔，保本保息。",
        "product": lambda _: "wealth",
        "product_type": lambda _: "wealth",
        "channel": lambda _: "moments",
        "scopes": lambda _: ["user:editor"],
        "user": lambda _: session.get(User, actor.user_id),
        "code": lambda _: next(d.code for d in rules.rule_docs(session) if d.terms),
        "statement": lambda _: sqlalchemy.select(sqlalchemy.func.count()).select_from(Org),
        # the publish in the fixture queued its staff feed refresh as a job (an admin sees everyone's)
        "job_id": lambda _: session.exec(select(Job.id)).first(),
        "user_id": lambda _: actor.user_id,
        "partner_id": lambda _: partner,
        "asset_id": lambda _: session.exec(select(Asset.id)).first(),
        "slot_values": lambda _: {},  # a poster preview of a text template: None, nothing rendered
        "draft": lambda _: TemplateDraft(title="预览", body="你好"),
    }


def _call(session: Session, fn: Callable[..., Any], actor: Actor) -> None:
    values = _arguments(session, actor)
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "session":
            kwargs[name] = session
        elif param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        elif param.default is inspect.Parameter.empty:
            assert name in values, f"{fn.__qualname__}: teach _arguments a value for parameter {name!r}"
            kwargs[name] = values[name](str(param.annotation))
    fn(**kwargs)


def test_functions_named_like_reads_do_not_write(demo):
    reads = {name: fn for name, fn in SESSION_FUNCTIONS.items() if _is_read(name)}
    assert (
        "studio.services.templates.get_version" in reads and "studio.services.reviews.withdraw" not in reads
    )
    actors = [_actor(demo, u) for u in ("editor", "reviewer", "localiser", "staff", "admin")]
    writers, refused = {}, []
    for name, fn in sorted(reads.items()):
        allowed_for = 0
        for actor in actors if _takes_actor(fn) else actors[:1]:
            watch = _Writes(demo)
            try:
                _call(demo, fn, actor)
                allowed_for += 1
            except PermissionDenied:
                pass
            finally:
                watch.close()
                demo.rollback()
            if watch.seen:
                writers[name] = watch.seen
        if not allowed_for:
            refused.append(name)
    assert not writers, f"named like reads but write (rename them, e.g. refresh_/ensure_): {writers}"
    assert not refused, f"no demo role could call these, so they were never run: {refused}"


def _actor(session: Session, username: str) -> Actor:
    from studio.services.auth import actor_for

    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def test_the_write_watch_sees_a_write(demo):
    """The listener is what the read test relies on: a real write through a service must register."""
    from studio.services import calendar

    staff = _actor(demo, "staff")
    post = next(p for p in calendar.todays_content(demo, staff, today_cn()) if not p.posted)
    watch = _Writes(demo)
    try:
        calendar.mark_posted(demo, staff, post.slot_id)
    finally:
        watch.close()
    assert any(s.startswith("INSERT") for s in watch.seen)


def test_renamed_writers_are_named_as_writes():
    # The two functions this check caught: a calendar document that may write a new version, and the
    # library actor that is created on a fresh database.
    assert not _is_read("studio.services.planning.refresh_document")
    assert not _is_read("studio.services.library_import.ensure_library_actor")
