"""Vocabulary shared by every layer (glossary: docs/architecture.md). Values are stable identifiers; labels are UI text."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value)

    @classmethod
    def parse(cls, value: str) -> _Labelled:
        """Accept a code or its Chinese label; raise ValueError naming the allowed codes."""
        for member in cls:
            if value in (member.value, member.label):
                return member
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown {cls.__name__} {value!r}; expected one of: {allowed}")


class OrgKind(_Labelled):
    HQ = "hq"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"


class Role(_Labelled):
    HQ_EDITOR = "hq_editor"
    BRANCH_LOCALISER = "branch_localiser"
    REVIEWER = "reviewer"
    STAFF = "staff"
    ADMIN = "admin"


class OccasionKind(_Labelled):
    """What a post is about: a dated occasion from the occasions calendar, or (product, everyday) none.

    One vocabulary for both the calendar (`studio.occasions`) and the tag on a template, so the planner,
    the occasion calendar, the month view and the dashboard agree on which occasions want a post.
    """

    FESTIVAL = "festival"  # traditional and public festivals (春节, 国庆节, 母亲节 …)
    SOLAR_TERM = "solar_term"  # the 24 solar terms (立春 … 大寒), 清明 included
    HOT_TOPIC = "hot_topic"  # current events entered by HQ
    PRODUCT = "product"  # a template about a product, on no particular day
    REGIONAL = "regional"  # a province's own festival (壮族三月三, 泼水节 …)
    HOLIDAY = "holiday"  # a statutory day off (one item per day)
    FINANCE_DAY = "finance_day"  # days and months a bank campaigns on (3·15, 金融知识普及月 …)
    MARKETING_DAY = "marketing_day"  # commercial days (520, 双11 …)
    SEASON = "season"  # 四季 by solar terms, 三伏, 数九
    EVERYDAY = "everyday"  # everyday content, on no particular day
    WORKDAY = "workday"  # a make-up working day (调休上班): calendar context only, never a template tag

    @property
    def postable(self) -> bool:
        """Gets content on its own day: a day without any is a gap. Seasons and holidays are context."""
        return self in _POSTABLE_KINDS

    @property
    def dated(self) -> bool:
        """An occasion on the calendar (the occasions package yields it), not a dateless template tag."""
        return self not in (OccasionKind.PRODUCT, OccasionKind.EVERYDAY)

    @property
    def taggable(self) -> bool:
        """A template may be tagged with it."""
        return self is not OccasionKind.WORKDAY


class ContentType(_Labelled):
    NORMS = "norms"
    KNOWLEDGE = "knowledge"
    PRODUCT = "product"
    INTERACTION = "interaction"
    SERVICE = "service"
    CULTURE = "culture"


class Persona(_Labelled):
    SEEDER = "seeder"
    EXPERT = "expert"
    ADVISOR = "advisor"
    PERKS = "perks"


class Channel(_Labelled):
    MOMENTS = "moments"
    GROUP = "group"
    PRIVATE = "private"
    WELCOME = "welcome"
    POSTER = "poster"

    @property
    def max_length(self) -> int:
        """Longest text a post on this channel may carry (characters)."""
        return _CHANNEL_MAX_LENGTH[self]

    @property
    def daily_cap(self) -> int:
        """Most posts an org places on this channel in one day (the planner and hand placement alike)."""
        return _CHANNEL_CAPS[self].daily

    @property
    def monthly_cap(self) -> int:
        """Most posts an org places on this channel in one month."""
        return _CHANNEL_CAPS[self].monthly

    @property
    def daily_target(self) -> int:
        """Posts a day the planner aims for on this channel (0: it only places occasion content here)."""
        return _CHANNEL_CAPS[self].target


class ProductType(_Labelled):
    DEPOSIT = "deposit"
    WEALTH = "wealth"
    FUND = "fund"
    INSURANCE = "insurance"
    LOAN = "loan"
    CREDIT_CARD = "credit_card"
    GENERAL = "general"


class Severity(_Labelled):
    BLOCK = "block"
    REVIEW = "review"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Order of severities: info < review < block (1, 2, 3; 0 is left for "no finding")."""
        return _SEVERITY_RANK[self]


class Verdict(_Labelled):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"


class ReviewState(_Labelled):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    # A submission edited before anyone decided it: the edit is a new submission, this one is history.
    SUPERSEDED = "superseded"


class Decision(_Labelled):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"


# WeCom Moments text is long-form; welcome messages and poster copy are short by nature.
_CHANNEL_MAX_LENGTH: dict[Channel, int] = {
    Channel.MOMENTS: 2000,
    Channel.GROUP: 2000,
    Channel.PRIVATE: 1000,
    Channel.WELCOME: 500,
    Channel.POSTER: 300,
}


class _Caps(NamedTuple):
    daily: int
    monthly: int
    target: int  # a day, for the planner's everyday fillers


# A customer sees at most 3 Moments posts a day and 90 a month from a WeCom company account (WeCom's
# limit, as a SCRM vendor's financial-industry playbook states it). The other channels have no platform
# limit: their caps keep a branch from flooding a group or a chat.
_CHANNEL_CAPS: dict[Channel, _Caps] = {
    Channel.MOMENTS: _Caps(daily=3, monthly=90, target=2),
    Channel.GROUP: _Caps(daily=3, monthly=90, target=1),
    Channel.PRIVATE: _Caps(daily=2, monthly=30, target=0),
    Channel.WELCOME: _Caps(daily=1, monthly=5, target=0),
    Channel.POSTER: _Caps(daily=1, monthly=20, target=0),
}

_SEVERITY_RANK: dict[Severity, int] = {Severity.INFO: 1, Severity.REVIEW: 2, Severity.BLOCK: 3}

_POSTABLE_KINDS = frozenset(
    {
        OccasionKind.FESTIVAL,
        OccasionKind.SOLAR_TERM,
        OccasionKind.FINANCE_DAY,
        OccasionKind.REGIONAL,
        OccasionKind.HOT_TOPIC,
        OccasionKind.MARKETING_DAY,
    }
)


class JobState(_Labelled):
    """Where a long job is (services/jobs.py): waiting for a worker, running, or ended."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        """Not ended yet: it blocks a duplicate submission, and the jobs page keeps refreshing."""
        return self in (JobState.QUEUED, JobState.RUNNING)


class AssetKind(_Labelled):
    """What a library image is for (studio/services/assets.py)."""

    BACKGROUND = "background"  # a poster's background
    THEME_SKIN = "theme_skin"  # a theme skin (主题皮肤) for a festival or campaign
    PHOTO = "photo"  # an image from outside (an agency poster, a photo of a flyer): its text is recognised
    RENDER = "render"  # a poster rendered by the studio (the image an approval binds to)


class PartnerKind(_Labelled):
    """Who a partner (关键人) is: each gets their own tracked QR code (studio/services/partners.py)."""

    CHAMBER = "chamber"
    VILLAGE = "village"
    SERVICE_STATION = "service_station"
    ENTERPRISE = "enterprise"
    OTHER = "other"


_LABELS: dict[StrEnum, str] = {
    OrgKind.HQ: "总行",
    OrgKind.BRANCH: "分行",
    OrgKind.SUB_BRANCH: "支行",
    Role.HQ_EDITOR: "总行内容编辑",
    Role.BRANCH_LOCALISER: "分支行本地化专员",
    Role.REVIEWER: "合规审核员",
    Role.STAFF: "一线员工",
    Role.ADMIN: "系统管理员",
    OccasionKind.FESTIVAL: "节庆",
    OccasionKind.SOLAR_TERM: "节气",
    OccasionKind.HOT_TOPIC: "热点",
    OccasionKind.PRODUCT: "产品",
    OccasionKind.REGIONAL: "区域",
    OccasionKind.HOLIDAY: "法定假日",
    OccasionKind.FINANCE_DAY: "金融宣传日",
    OccasionKind.MARKETING_DAY: "营销节点",
    OccasionKind.SEASON: "季节",
    OccasionKind.EVERYDAY: "日常",
    OccasionKind.WORKDAY: "调休上班",
    ContentType.NORMS: "规范型",
    ContentType.KNOWLEDGE: "干货价值型",
    ContentType.PRODUCT: "产品营销型",
    ContentType.INTERACTION: "用户互动型",
    ContentType.SERVICE: "售后服务型",
    ContentType.CULTURE: "文化价值观型",
    Persona.SEEDER: "种草达人",
    Persona.EXPERT: "知识专家",
    Persona.ADVISOR: "专属顾问",
    Persona.PERKS: "品牌福利官",
    Channel.MOMENTS: "朋友圈",
    Channel.GROUP: "社群",
    Channel.PRIVATE: "私聊",
    Channel.WELCOME: "欢迎语",
    Channel.POSTER: "海报",
    ProductType.DEPOSIT: "存款",
    ProductType.WEALTH: "理财",
    ProductType.FUND: "基金",
    ProductType.INSURANCE: "保险",
    ProductType.LOAN: "贷款",
    ProductType.CREDIT_CARD: "信用卡",
    ProductType.GENERAL: "通用",
    Severity.BLOCK: "阻断",
    Severity.REVIEW: "需复核",
    Severity.INFO: "提示",
    Verdict.PASS: "通过",
    Verdict.REVIEW: "需复核",
    Verdict.BLOCK: "阻断",
    ReviewState.DRAFT: "草稿",
    ReviewState.SUBMITTED: "待审核",
    ReviewState.APPROVED: "已通过",
    ReviewState.CHANGES_REQUESTED: "需修改",
    ReviewState.REJECTED: "已驳回",
    ReviewState.EXPIRED: "已过期",
    ReviewState.WITHDRAWN: "已撤回",
    JobState.QUEUED: "排队中",
    JobState.RUNNING: "运行中",
    JobState.SUCCEEDED: "已完成",
    JobState.FAILED: "失败",
    ReviewState.SUPERSEDED: "已被新提交取代",
    Decision.APPROVE: "通过",
    Decision.REJECT: "驳回",
    Decision.REQUEST_CHANGES: "退回修改",
    AssetKind.BACKGROUND: "海报背景",
    AssetKind.THEME_SKIN: "主题皮肤",
    AssetKind.PHOTO: "外部图片",
    AssetKind.RENDER: "海报成品",
    PartnerKind.CHAMBER: "商会",
    PartnerKind.VILLAGE: "村委会",
    PartnerKind.SERVICE_STATION: "助农服务点",
    PartnerKind.ENTERPRISE: "企业",
    PartnerKind.OTHER: "其他",
}
