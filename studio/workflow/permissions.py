"""Who may do what, where. Every service calls these before touching data; the UI only mirrors them."""

from __future__ import annotations

from studio.domain.enums import Role
from studio.domain.views import Actor
from studio.errors import PermissionDenied

# Capabilities per role. Scope (which orgs) is checked separately with `require_scope`.
_CAPABILITIES: dict[str, frozenset[Role]] = {
    "template.edit": frozenset({Role.HQ_EDITOR}),
    "template.read": frozenset({Role.HQ_EDITOR, Role.BRANCH_LOCALISER, Role.REVIEWER, Role.ADMIN}),
    "variant.edit": frozenset({Role.BRANCH_LOCALISER, Role.HQ_EDITOR}),
    "variant.read": frozenset({Role.BRANCH_LOCALISER, Role.HQ_EDITOR, Role.REVIEWER, Role.ADMIN}),
    "review.decide": frozenset({Role.REVIEWER}),
    "calendar.edit": frozenset({Role.HQ_EDITOR, Role.BRANCH_LOCALISER}),
    "calendar.read": frozenset(
        {Role.HQ_EDITOR, Role.BRANCH_LOCALISER, Role.REVIEWER, Role.ADMIN, Role.STAFF}
    ),
    "today.read": frozenset({Role.STAFF, Role.BRANCH_LOCALISER}),
    "audit.read": frozenset({Role.ADMIN, Role.REVIEWER}),
    "rules.edit": frozenset({Role.ADMIN}),
    "hot_topic.edit": frozenset({Role.HQ_EDITOR}),
    "dashboard.read": frozenset({Role.HQ_EDITOR, Role.REVIEWER, Role.ADMIN}),
    "org.read": frozenset(Role),
    "variant.withdraw": frozenset({Role.REVIEWER, Role.BRANCH_LOCALISER, Role.HQ_EDITOR}),
    "calendar.export": frozenset({Role.HQ_EDITOR, Role.BRANCH_LOCALISER}),
    "review.expire": frozenset({Role.HQ_EDITOR, Role.REVIEWER, Role.ADMIN}),
    "audit.export": frozenset({Role.ADMIN, Role.REVIEWER}),
    # The static staff feed: HQ sees and rotates the branches' links (with require_network_scope); whoever
    # may publish, withdraw or expire content has the feeds it changes rewritten.
    "feed.manage": frozenset({Role.HQ_EDITOR, Role.ADMIN}),
    "feed.refresh": frozenset({Role.HQ_EDITOR, Role.BRANCH_LOCALISER, Role.REVIEWER, Role.ADMIN}),
    # Long jobs (services/jobs.py): each kind checks its own capability on top; staff start none.
    "job.use": frozenset({Role.HQ_EDITOR, Role.BRANCH_LOCALISER, Role.REVIEWER, Role.ADMIN}),
    # Library images (services/assets.py): HQ material every role sees; uploading is template.edit at HQ.
    "asset.read": frozenset(Role),
    # E-cards (services/contacts.py): everyone keeps their own contact link and title; an admin anyone's in
    # scope. Partners (关键人, services/partners.py): staff their own, localisers and admins their branches'.
    "contact.edit": frozenset(Role),
    "contact.manage": frozenset({Role.ADMIN}),
    "partner.edit": frozenset({Role.STAFF, Role.BRANCH_LOCALISER, Role.ADMIN}),
}

_CAPABILITY_ZH: dict[str, str] = {
    "template.edit": "编辑素材模板",
    "template.read": "查看素材库",
    "asset.read": "查看图片素材",
    "variant.edit": "本地化内容",
    "variant.read": "查看本地化内容",
    "review.decide": "审核内容",
    "calendar.edit": "编排内容日历",
    "calendar.read": "查看内容日历",
    "today.read": "查看今日内容",
    "audit.read": "查看审计日志",
    "rules.edit": "维护合规规则",
    "hot_topic.edit": "维护热点",
    "dashboard.read": "查看看板",
    "org.read": "查看机构",
    "variant.withdraw": "撤回内容",
    "calendar.export": "导出内容日历",
    "review.expire": "执行到期下线",
    "audit.export": "导出审计日志",
    "feed.manage": "管理员工内容页链接",
    "feed.refresh": "更新员工内容页",
    "job.use": "使用后台任务",
    "contact.edit": "设置名片",
    "contact.manage": "设置他人的名片",
    "partner.edit": "管理关键人",
}


def can(actor: Actor, capability: str) -> bool:
    return actor.role in _CAPABILITIES[capability]


def require(actor: Actor, capability: str) -> None:
    if not can(actor, capability):
        raise PermissionDenied(
            f"role {actor.role.value} may not {capability}",
            f"您的角色（{actor.role.label}）无权{_CAPABILITY_ZH[capability]}。",
        )


def in_scope(actor: Actor, org_path: str) -> bool:
    """An actor sees its own org and everything below it in the tree."""
    return org_path.startswith(actor.org_path)


def require_scope(actor: Actor, org_path: str) -> None:
    if not in_scope(actor, org_path):
        raise PermissionDenied(
            "record belongs to an org outside your scope", "该内容不属于您所在机构，无权访问。"
        )


def at_head_office(actor: Actor) -> bool:
    """The actor's org is the root of the tree (pages use it to offer what `require_network_scope` allows)."""
    return actor.org_path.strip("/").count("/") == 0


def require_network_scope(actor: Actor) -> None:
    """For data that spans every org (the audit log, expiry of HQ templates): only an actor at the root."""
    if not at_head_office(actor):
        raise PermissionDenied(
            "only an actor at the head office may act on the whole network",
            "该操作涉及全行数据，仅限总行人员。",
        )
