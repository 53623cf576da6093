"""The compliance ruleset in use: the library's lexicon files until an admin edits terms in the app;
every edit stores a new ruleset version, which every later check uses and records."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from studio.compliance import CheckResult, Ruleset, build_ruleset, check_text, default_ruleset
from studio.compliance.catalog import RuleDoc, all_rules
from studio.db.models import RulesetVersion, User
from studio.domain.enums import Channel, ProductType, Severity
from studio.domain.views import Actor
from studio.errors import Conflict, NotFound, ValidationError
from studio.workflow import audit
from studio.workflow.permissions import require

MAX_TERMS = 500
MAX_TERM_LENGTH = 30
_COMPILED: dict[str, Ruleset] = {}  # by ruleset_version.version (the row's name)
_KEEP_COMPILED = 8


class RulesetInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    note: str
    author: str
    at: datetime  # as stored


def active_ruleset(session: Session) -> Ruleset:
    """The newest stored version, compiled once per process; the lexicon files when none is stored."""
    latest = session.exec(
        select(col(RulesetVersion.id), col(RulesetVersion.version))
        .order_by(col(RulesetVersion.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return default_ruleset()
    row_id, name = latest
    ruleset = _COMPILED.get(name)
    if ruleset is None:
        row = session.get(RulesetVersion, row_id)
        assert row is not None
        ruleset = _remember(name, build_ruleset(row.data))
    return ruleset


def _remember(name: str, ruleset: Ruleset) -> Ruleset:
    """Keep a few compiled rulesets by row name; the newest row's name is read on every call, so another
    process's edit is in force at the next check whatever is kept here."""
    _COMPILED[name] = ruleset
    while len(_COMPILED) > _KEEP_COMPILED:
        _COMPILED.pop(next(iter(_COMPILED)))
    return ruleset


def _stored(session: Session, version: str) -> bool:
    return (
        session.exec(select(col(RulesetVersion.id)).where(col(RulesetVersion.version) == version)).first()
        is not None
    )


def _row_name(session: Session, version: str) -> str:
    """The content hash, or "<hash>-r<n>" when that content was in force before and is put back."""
    if not _stored(session, version):
        return version
    earlier = session.exec(
        select(func.count()).where(
            or_(
                col(RulesetVersion.version) == version, col(RulesetVersion.version).startswith(f"{version}-r")
            )
        )
    ).one()
    return f"{version}-r{int(earlier) + 1}"


def check(session: Session, text: str, product: str | ProductType, channel: str | Channel) -> CheckResult:
    """The check every save runs, with the active ruleset; its result and version are stored on the row."""
    return check_text(
        text, product=ProductType(product), channel=Channel(channel), ruleset=active_ruleset(session)
    )


def findings_json(result: CheckResult) -> list[dict[str, Any]]:
    """The findings as stored on a checked row."""
    return list(result.findings_json())


def rule_docs(session: Session) -> list[RuleDoc]:
    return all_rules(active_ruleset(session))


def _data(session: Session) -> dict[str, Any]:
    return copy.deepcopy(active_ruleset(session).data.model_dump(mode="json"))


def rule_terms(session: Session, code: str) -> list[str]:
    rule = _find(_data(session), code)
    return [t if isinstance(t, str) else t["term"] for t in rule.get("terms") or []]


def _find(data: dict[str, Any], code: str) -> dict[str, Any]:
    for rule in data["rules"]:
        if rule["code"] == code:
            return rule
    raise NotFound(f"unknown rule id {code!r}", f"未知的规则编号“{code}”。")


def _cleaned_terms(terms: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip() for t in terms if t.strip()))
    if len(cleaned) > MAX_TERMS:
        raise ValidationError(f"at most {MAX_TERMS} terms", f"每条规则最多 {MAX_TERMS} 个词。")
    too_long = [t for t in cleaned if len(t) > MAX_TERM_LENGTH]
    if too_long:
        raise ValidationError(
            f"term longer than {MAX_TERM_LENGTH}: {too_long[0]}",
            f"词条“{too_long[0][:10]}…”超过 {MAX_TERM_LENGTH} 字。",
        )
    return cleaned


def update_rule(
    session: Session,
    actor: Actor,
    code: str,
    *,
    terms: list[str],
    severity: str | None = None,
    note: str = "",
) -> str:
    """Replace a rule's terms (keeping each kept term's allow-contexts) and optionally its severity."""
    require(actor, "rules.edit")
    cleaned = _cleaned_terms(terms)
    data = _data(session)
    rule = _find(data, code)
    if rule.get("terms") and not cleaned:
        raise ValidationError("a keyword rule needs at least one term", "关键词规则至少需要一个词。")
    existing = {(t if isinstance(t, str) else t["term"]): t for t in rule.get("terms") or []}
    rule["terms"] = [existing.get(t, t) for t in cleaned]
    if severity is not None:
        rule["severity"] = Severity(severity).value
    ruleset = build_ruleset(data)  # validates; raises LexiconError with a Chinese message
    previous = active_ruleset(session).version
    if ruleset.version == previous:
        return previous
    name = _row_name(session, ruleset.version)
    row = RulesetVersion(
        version=name, data=data, note=note.strip()[:200] or f"修改 {code}", created_by=actor.user_id
    )
    details = {
        "from": previous,
        "to": ruleset.version,
        "terms": len(cleaned),
        "severity": rule.get("severity"),
    }
    try:
        session.add(row)
        audit.append(session, actor, "ruleset.update", f"rule:{code}", details)  # flushes the row first
        session.commit()
    except IntegrityError:  # another admin (or instance) stored this version between our read and now
        session.rollback()
        raise Conflict(
            f"ruleset version {name} was stored concurrently; reload and edit again",
            "规则集刚刚被他人修改，请刷新页面后重新编辑。",
        ) from None
    _remember(name, ruleset)
    return ruleset.version


def history(session: Session) -> list[RulesetInfo]:
    rows = session.exec(
        select(RulesetVersion, User)
        .join(User, col(User.id) == col(RulesetVersion.created_by))
        .order_by(col(RulesetVersion.id).desc())
    ).all()
    return [
        RulesetInfo(version=r.version, note=r.note, author=u.display_name, at=r.created_at) for r, u in rows
    ]
