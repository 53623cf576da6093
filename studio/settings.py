"""Settings from the environment (prefix STUDIO_), read once through `get_settings()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from studio.domain.contact_link import valid_host
from studio.resources import package_library

REPO_ROOT = (
    Path(__file__).resolve().parents[1]
)  # the checkout when run from source (site-packages if installed)
# Where data/ and calendars/ go by default: beside the code in a source checkout; an installed package
# must not write into site-packages, so there it is the working directory.
BASE_DIR = REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else Path.cwd()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_file=".env", extra="ignore")

    data_dir: Path = BASE_DIR / "data"
    database_url: str = ""
    # Library images (studio/materials/images.py): an upload larger than this many bytes is refused before
    # it is decoded; one whose header declares more pixels than this is refused before its pixels are read.
    asset_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    asset_max_pixels: int = Field(default=40_000_000, ge=1)
    library_dir: Path = Field(default_factory=package_library)
    calendars_dir: Path = BASE_DIR / "calendars"
    # Review SLA in hours, shown against item age in the queue.
    review_sla_hours: int = 24
    # Product types whose content needs two approvals by two different reviewers.
    dual_approval_products: frozenset[str] = frozenset({"wealth", "insurance"})
    # Approved product copy must be re-approved after this many days (general content never expires so).
    reapproval_days: dict[str, int] = {
        "deposit": 180,
        "wealth": 180,
        "fund": 180,
        "insurance": 180,
        "loan": 180,
        "credit_card": 180,
    }

    # Failed-login throttle (studio/services/login_throttle.py): this many failures within the window lock
    # the account, or every login from the client, for the lockout; each repeated lockout doubles, up to
    # the maximum. A client limit of 0 turns the per-client throttle off (e.g. behind a proxy that hides
    # the users' addresses, where every user would share one client id).
    login_window_minutes: int = 15
    login_max_failures_per_user: int = 5
    login_max_failures_per_client: int = 20
    login_lockout_minutes: int = 15
    login_lockout_max_minutes: int = 24 * 60

    # Login sessions (services/sessions.py): a session ends `session_absolute_hours` after login, or after
    # the role's idle minutes without a click (fixed at login; a role missing here gets the shortest). The
    # last-seen time is written at most every `session_touch_seconds` (or half the idle timeout, if shorter).
    # The browser keeps the token in the cookie `session_cookie_name`; `session_cookie_secure` sends it over
    # HTTPS only: switch it on whenever the studio is served over HTTPS, as it must be in production.
    session_absolute_hours: float = Field(default=8.0, gt=0)
    session_idle_minutes: dict[str, float] = {
        "reviewer": 30,
        "admin": 30,
        "hq_editor": 60,
        "branch_localiser": 60,
        "staff": 240,
    }
    session_touch_seconds: int = Field(default=60, ge=1)
    session_cookie_name: str = Field(default="studio_session", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    session_cookie_secure: bool = False

    # Audit log key (HMAC-SHA256), hex or base64, at least 16 bytes; or a file holding it. Neither set:
    # <data_dir>/audit.key is generated once (mode 0600) so a demo runs out of the box. Production keeps
    # the key outside the database host's reach (secret store, mounted file), never in the database.
    audit_key: SecretStr | None = None
    audit_key_file: Path | None = None
    # Signed checkpoints of the audit head, append-only files; point this at WORM storage in production.
    audit_anchor_dir: Path | None = None

    # The static staff feed (services/feed.py): one folder per branch, <feed_dir>/<token>/, for any web
    # server or CDN to serve. Default <data_dir>/feed. Base URL only words the link shown to HQ.
    feed_dir: Path | None = None
    feed_base_url: str = ""
    # Days written into each page from the day it is generated: today and tomorrow are picked in the browser,
    # the rest cover days on which the daily `studio feed build` did not run.
    feed_days: int = Field(default=7, ge=2, le=31)

    # Single sign-on through Streamlit's st.login (services/sso.py): configured by [auth] in
    # .streamlit/secrets.toml; without it only the password form is shown. The ID-token claim that names
    # the studio user: preferred_username (matched exactly against the username) or email (matched against
    # the user's email, case-insensitively). An identity older than sso_max_age_seconds (its `iat`) is not
    # accepted on its own: Streamlit keeps it in a cookie for 30 days, the studio wants a fresh login.
    sso_claim: Literal["preferred_username", "email"] = "preferred_username"
    sso_max_age_seconds: int = Field(default=300, ge=30, le=3600)
    # False: the password form is hidden and refused (single sign-on only). Re-enable it to get back in
    # when the identity provider is down.
    password_login: bool = True
    # Long jobs (services/jobs.py): "inline" runs them in the process that asks (a background thread in the
    # app, inline in the CLI); "procrastinate" queues them in PostgreSQL for `studio worker` processes.
    job_queue: Literal["inline", "procrastinate"] = "inline"
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    job_retry_wait_seconds: int = Field(default=5, ge=0)
    # A worker that has not sent a heartbeat for this long is taken as dead: its jobs are run again.
    worker_heartbeat_seconds: float = Field(default=10, gt=0)
    worker_stalled_seconds: float = Field(default=60, gt=0)
    # An in-process job not heard of for this long (its process ended) no longer blocks a new submission.
    job_abandoned_minutes: int = Field(default=30, ge=1)

    # Staff contact links (services/contacts.py): https links on these hosts or their subdomains only, e.g.
    # WeCom's 获客链接 https://work.weixin.qq.com/ca/cawcde…; JSON list in the environment. A partner's
    # tracked link (services/partners.py) adds `<contact_link_channel_param>=p_<code>` to its owner's link:
    # WeCom reports the value of customer_channel as the contact's `state`.
    contact_link_hosts: tuple[str, ...] = ("work.weixin.qq.com",)
    contact_link_channel_param: str = Field(default="customer_channel", pattern=r"^[A-Za-z0-9_]{1,40}$")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("STUDIO_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("session_idle_minutes")
    @classmethod
    def _positive_idle(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(minutes <= 0 for minutes in value.values()):
            raise ValueError("STUDIO_SESSION_IDLE_MINUTES: every role's idle timeout must be above 0 minutes")
        return value

    @field_validator("contact_link_hosts")
    @classmethod
    def _plain_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(host.strip().lower() for host in value)
        if not hosts or not all(valid_host(host) for host in hosts):
            raise ValueError("STUDIO_CONTACT_LINK_HOSTS: a JSON list of plain ASCII host names (no punycode)")
        return hosts

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'studio.db'}"

    @property
    def effective_audit_anchor_dir(self) -> Path:
        return self.audit_anchor_dir or self.data_dir / "audit-anchors"

    @property
    def effective_feed_dir(self) -> Path:
        return self.feed_dir or self.data_dir / "feed"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
