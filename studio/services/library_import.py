"""`studio library import`: upsert library files into the database in one transaction, idempotently,
and only what passes every check of `studio library check` (see `studio.materials.validate`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from studio.db.models import Asset, Org, Template, User
from studio.domain.enums import OrgKind, Role
from studio.domain.views import Actor
from studio.errors import Conflict, ValidationError
from studio.localisation.draft import TemplateDraft, validate_draft
from studio.materials import asset_store
from studio.materials.loader import LibraryEntry
from studio.materials.poster_check import resolve_file
from studio.materials.validate import LibraryProblems, check_library
from studio.services import jobs, orgs
from studio.services.assets import AssetTags, record_asset, stored_form
from studio.services.auth import actor_for
from studio.services.templates import create_template, latest_version, update_template
from studio.settings import get_settings
from studio.workflow.permissions import require, require_network_scope

LIBRARY_USER = "library"
HQ_CODE = "HQ"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def ensure_library_actor(session: Session) -> Actor:
    """The system editor that owns imported templates; created (with the HQ org) on a fresh database."""
    user = session.exec(select(User).where(User.username == LIBRARY_USER)).first()
    if user is None:
        hq = session.exec(select(Org).where(Org.parent_id.is_(None))).first()  # type: ignore[union-attr]
        if hq is None:
            hq = orgs.create_org(session, code=HQ_CODE, name="总行", kind=OrgKind.HQ)
        # No usable password: argon2 never verifies against "!" so nobody can log in as the library.
        user = User(
            username=LIBRARY_USER,
            display_name="素材库导入",
            password_hash="!",
            role=Role.HQ_EDITOR.value,
            org_id=hq.id or 0,
            active=False,
        )
        session.add(user)
        session.flush()
    return actor_for(session, user)


def content_digest(draft: TemplateDraft) -> str:
    """Hash of what the entry means, not how the file spells it: export → import is then a no-op. Image
    files are named by the sha256 of the bytes they are stored as (see `_with_assets`), so a changed
    background changes the digest, a renamed one does not."""
    clean, slots, _ = validate_draft(draft)
    payload = {
        **clean.model_dump(mode="json", exclude={"slots"}),
        "slots": [s.model_dump(mode="json") for s in slots],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def import_library(session: Session, library_dir: Path) -> ImportReport:
    """Write the library into the database in one transaction, or nothing at all.

    The entries written are exactly those `check_library` checked (one read of the files, every check
    `studio library check` runs, compliance included); any problem raises `LibraryProblems` before the
    first write, and a refusal by the template service mid-way rolls the whole import back.
    """
    checked = check_library(library_dir, compliance=True)
    if not checked.ok:
        raise LibraryProblems(checked.problems)
    report = ImportReport()
    try:
        actor = ensure_library_actor(session)
        cache: dict[str, bytes] = {}
        for entry in checked.entries:
            _import_entry(session, actor, entry, report, library_dir, cache)
        session.commit()
    except IntegrityError:  # another import (or editor) wrote the same codes first: ours is rolled back whole
        session.rollback()
        raise Conflict(
            "the library was imported concurrently by someone else; nothing imported, run it again",
            "素材库正被他人同时导入，本次未导入任何内容，请重试。",
        ) from None
    except BaseException:
        session.rollback()
        raise
    return report


@dataclass(frozen=True)
class _File:
    name: str
    data: bytes
    clean: bytes  # what the asset store keeps (sanitised, or already a stored asset's bytes)

    @property
    def sha256(self) -> str:
        return asset_store.address(self.clean)


def _files(session: Session, library_dir: Path, draft: TemplateDraft, cache: dict[str, bytes]) -> list[_File]:
    """The image files an entry names (its background first, then its images), read and sanitised once
    per import (`cache`: raw sha256 -> stored form; backgrounds are shared by many posters)."""
    names = ([str(draft.poster["background"])] if draft.poster else []) + list(draft.images)
    files = []
    for name in dict.fromkeys(names):
        path, _ = resolve_file(library_dir, name)
        assert path is not None  # the gate checked every file before the import began
        data = path.read_bytes()
        raw = asset_store.address(data)
        if raw not in cache:
            known = session.exec(select(Asset).where(Asset.sha256 == raw)).first()
            cache[raw] = stored_form(data, known=known)
        files.append(_File(name, data, cache[raw]))
    return files


def _with_assets(draft: TemplateDraft, files: list[_File]) -> TemplateDraft:
    """The draft as the database holds it: file names replaced by asset sha256s."""
    sha = {f.name: f.sha256 for f in files}
    poster = {**draft.poster, "background": sha[str(draft.poster["background"])]} if draft.poster else None
    return draft.model_copy(update={"poster": poster, "images": [sha[name] for name in draft.images]})


def _store_files(session: Session, actor: Actor, entry: LibraryEntry, files: list[_File]) -> None:
    data = entry.data
    tags = AssetTags(
        occasion_kind=data["occasion_kind"],
        occasion=data.get("occasion"),
        content_type=data["content_type"],
        product_type=data["product_type"],
        region=data.get("region"),
    )
    for file in files:
        title = Path(file.name).stem[:100] or file.sha256[:12]
        record_asset(session, actor, file.data, title=title, kind="background", tags=tags, clean=file.clean)


def _import_entry(
    session: Session,
    actor: Actor,
    entry: LibraryEntry,
    report: ImportReport,
    library_dir: Path,
    cache: dict[str, bytes],
) -> None:
    files = _files(session, library_dir, entry.draft(), cache)
    draft = _with_assets(entry.draft(), files)
    digest = content_digest(draft)
    template = session.exec(select(Template).where(Template.code == draft.code)).first()
    if template is not None and latest_version(session, actor, template.id or 0).source_digest == digest:
        report.unchanged.append(draft.code or "")
        return
    try:
        _store_files(session, actor, entry, files)
        if template is None:
            create_template(session, actor, draft, digest=digest, commit=False)
            report.created.append(draft.code or "")
        else:
            update_template(
                session,
                actor,
                template.id or 0,
                draft,
                expected_lock_version=template.lock_version,
                digest=digest,
                commit=False,
            )
            report.updated.append(draft.code or "")
    except ValidationError as error:  # the service's own checks: reported where the entry is, like the gate's
        raise LibraryProblems([entry.problem(None, error.message_en)]) from None


# -- as a job (services/jobs.py) ---------------------------------------------------------------------------


def _check_import(actor: Actor) -> None:
    require(actor, "template.edit")
    require_network_scope(actor)


def _run_import(
    session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress
) -> dict[str, Any]:
    """The library folder of the settings, written as the library user (as `studio library import`); an
    unchanged entry is skipped by its digest, so a second run writes nothing."""
    report = import_library(session, get_settings().library_dir)
    progress(1, 1)
    return {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
    }


jobs.register(
    jobs.JobKind(
        name="library.import",
        label="导入素材库文件",
        check=_check_import,
        clean=lambda args: {},
        run=_run_import,
    )
)
