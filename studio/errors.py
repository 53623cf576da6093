"""Errors a user can act on. Pages show `message_zh`; the CLI prints `message_en` and exits 2."""

from __future__ import annotations


class StudioError(Exception):
    """Base error. `message_zh` is shown in the UI, `str(error)` (English) on the CLI."""

    def __init__(self, message_en: str, message_zh: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en


class ValidationError(StudioError):
    """Input that cannot be accepted as given (empty title, too long, unknown tag, bad template)."""


class PermissionDenied(StudioError):
    """The acting user's role or org scope does not allow this action."""

    def __init__(self, message_en: str, message_zh: str = "您没有权限执行此操作。") -> None:
        super().__init__(message_en, message_zh)


class NotFound(StudioError):
    """The record does not exist, or the user may not know it exists."""

    def __init__(self, message_en: str, message_zh: str = "记录不存在或您无权查看。") -> None:
        super().__init__(message_en, message_zh)


class Conflict(StudioError):
    """Someone else changed the record since it was loaded (optimistic locking)."""


class AuthenticationFailed(StudioError):
    def __init__(self) -> None:
        super().__init__("unknown user or wrong password", "用户名或密码错误。")


class LoginThrottled(StudioError):
    """Too many failed logins for this account or from this client: refused before the password is checked."""

    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"too many failed logins; try again in {minutes} minutes",
            f"登录失败次数过多，请 {minutes} 分钟后再试。",
        )
        self.minutes = minutes


class SsoRefused(StudioError):
    """An identity the provider vouched for that maps to no active studio user: never an account made for it."""

    def __init__(self, identity: str) -> None:
        shown = f"（{identity}）" if identity else ""
        super().__init__(
            f"the single sign-on identity {identity!r} is not an active studio user",
            f"您的单位统一身份{shown}未开通内容合规工作室账号或已停用，请联系管理员开通。",
        )


class SsoExpired(StudioError):
    """The provider's identity is older than the studio accepts: the user signs in at the provider again."""

    def __init__(self) -> None:
        super().__init__("the single sign-on identity has expired", "统一身份登录已过期，请重新登录。")


class PasswordLoginDisabled(StudioError):
    def __init__(self) -> None:
        super().__init__("password login is turned off", "密码登录已关闭，请使用单位统一身份登录。")


class ImageRefused(ValidationError):
    """An uploaded file that is not a PNG, JPEG or WebP image the studio accepts (type, size, pixels, damage)."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(f"image refused: {message_en}", f"图片未接受：{message_zh}")
