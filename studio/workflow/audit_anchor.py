"""What the audit chain leans on outside the database: the HMAC key and the signed checkpoints of its head.

Someone who can write the database cannot recompute keyed hashes without the key, and cannot hide a
truncation or a wipe from checkpoints that live in another place (ideally WORM storage).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from studio.errors import ValidationError

MIN_KEY_BYTES = 16
_CHECKPOINT_DOMAIN = b"studio-audit-checkpoint-v1\n"  # checkpoint MACs can never pass for event hashes
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    kid: str  # public key id: lets verify tell "wrong or rotated key" from "tampered event"

    def mac(self, message: str) -> str:
        return hmac.new(self.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey(kid={self.kid!r})"


def key_id(secret: bytes) -> str:
    return hashlib.sha256(b"studio-audit-key-id\n" + secret).hexdigest()[:12]


def parse_key(value: str, source: str) -> AuditKey:
    text = value.strip()
    try:
        if _HEX.match(text) and len(text) % 2 == 0:
            secret = bytes.fromhex(text)
        else:
            secret = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) < MIN_KEY_BYTES:
        raise ValidationError(
            f"{source} must be a hex or base64 key of at least {MIN_KEY_BYTES} bytes "
            f"(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)",
            "审计密钥格式错误：需为至少 16 字节的十六进制或 base64 密钥。",
        )
    return AuditKey(secret, key_id(secret))


def signing_key() -> AuditKey:
    """The key new events are sealed with; generated into the data directory when none is configured."""
    return _resolve(create=True)


def verifying_key() -> AuditKey:
    """The key to check with; never generated (a fresh key would only make every event look forged)."""
    return _resolve(create=False)


def _resolve(*, create: bool) -> AuditKey:
    from studio.settings import get_settings

    settings = get_settings()
    inline = settings.audit_key.get_secret_value() if settings.audit_key else ""
    if inline.strip() and settings.audit_key_file:
        raise ValidationError(
            "set either STUDIO_AUDIT_KEY or STUDIO_AUDIT_KEY_FILE, not both",
            "STUDIO_AUDIT_KEY 与 STUDIO_AUDIT_KEY_FILE 只能设置一个。",
        )
    if inline.strip():
        return _parsed(inline, "STUDIO_AUDIT_KEY")
    if settings.audit_key_file:
        return _from_file(settings.audit_key_file, "STUDIO_AUDIT_KEY_FILE")
    default = settings.data_dir / "audit.key"
    if not default.exists():
        if not create:
            raise ValidationError(
                f"no audit key: set STUDIO_AUDIT_KEY or STUDIO_AUDIT_KEY_FILE "
                f"(or keep the generated {default})",
                "缺少审计密钥。",
            )
        _generate(default)
    return _from_file(default, "the audit key file")


def _from_file(path: Path, source: str) -> AuditKey:
    try:
        value = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(
            f"{source} {path} cannot be read: {error.__class__.__name__}", "无法读取审计密钥文件。"
        ) from None
    return _parsed(value, f"{source} {path}")


@lru_cache(maxsize=8)
def _parsed(value: str, source: str) -> AuditKey:
    return parse_key(value, source)


def _generate(path: Path) -> None:
    """Write a fresh key with mode 0600; when several processes race, the first link wins for all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and refuses to replace: a racing process's key is never overwritten
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


# --- checkpoints -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    kid: str
    since: int  # first keyed seq: events from here on must carry the key marker
    source: str  # "file:line", for messages


class BadCheckpoint(Exception):
    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"checkpoint {source} {problem}")
        self.source = source


def anchor_dir() -> Path:
    from studio.settings import get_settings

    return get_settings().effective_audit_anchor_dir


def _signed_payload(fields: dict[str, object]) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _mac(key: AuditKey, fields: dict[str, object]) -> str:
    return hmac.new(
        key.secret, _CHECKPOINT_DOMAIN + _signed_payload(fields).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def write_checkpoint(
    key: AuditKey, seq: int, head_hash: str, since: int, directory: Path | None = None
) -> Path:
    """Append one signed line to today's file. O_APPEND with one write() per line: lines from several
    processes never interleave or overwrite, and nothing here ever rewrites an existing line."""
    directory = directory or anchor_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "v": 1,
        "seq": seq,
        "hash": head_hash,
        "at": now.isoformat(timespec="seconds"),
        "kid": key.kid,
        "since": since,
    }
    line = json.dumps({**fields, "mac": _mac(key, fields)}, sort_keys=True) + "\n"
    return _append_line(directory / f"checkpoints-{now.date().isoformat()}.jsonl", line)


def _append_line(path: Path, line: str) -> Path:
    """Append one line in one write (O_APPEND: whole lines from several processes never interleave), fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = line.encode("utf-8")
        if os.write(fd, data) != len(data):
            raise OSError(f"short write to {path}")
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def load_checkpoints(
    key_for: Callable[[], AuditKey], directory: Path | None = None
) -> tuple[list[Checkpoint], str | None]:
    """The checkpoints that pass their MAC, and the first problem with any other line (None: all fine).

    `key_for` is called only when there is a checkpoint to check, so an empty anchor directory needs no key.
    """
    directory = directory or anchor_dir()
    good: list[Checkpoint] = []
    problem: str | None = None
    if not directory.is_dir():
        return good, problem
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    good.append(_checked(key_for(), raw, f"{path.name}:{number}"))
                except BadCheckpoint as error:
                    problem = problem or str(error)
    return good, problem


def file_sizes(directory: Path | None = None) -> dict[str, int]:
    directory = directory or anchor_dir()
    return {p.name: p.stat().st_size for p in sorted(directory.glob("*.jsonl"))} if directory.is_dir() else {}


def load_new_checkpoints(
    key_for: Callable[[], AuditKey], directory: Path | None, read: dict[str, int]
) -> tuple[list[Checkpoint], str | None, dict[str, int] | None]:
    """Checkpoint lines past the byte offsets already `read` per file: (good ones, first problem, new
    offsets), or None for the offsets when a file read before is gone or shorter (start over).

    Only whole lines count: a line still being appended is left for the next call.
    """
    directory = directory or anchor_dir()
    good: list[Checkpoint] = []
    problem: str | None = None
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    offsets = {path.name: path.stat().st_size for path in files}
    if any(offsets.get(name, -1) < size for name, size in read.items()):
        return [], None, None
    for path in files:
        start = read.get(path.name, 0)
        if offsets[path.name] == start:
            continue
        with path.open("rb") as handle:
            handle.seek(start)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]
        offsets[path.name] = start + len(whole)
        for number, raw in enumerate(whole.decode("utf-8", errors="replace").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                where = f"{path.name}:{number}" if start == 0 else f"{path.name}@{start}+{number}"
                good.append(_checked(key_for(), raw, where))
            except BadCheckpoint as error:
                problem = problem or str(error)
    return good, problem, offsets


def _checked(key: AuditKey, raw: str, source: str) -> Checkpoint:
    try:
        record = json.loads(raw)
        mac = record.pop("mac")
        checkpoint = Checkpoint(
            seq=int(record["seq"]),
            hash=str(record["hash"]),
            at=str(record["at"]),
            kid=str(record["kid"]),
            since=int(record["since"]),
            source=source,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadCheckpoint(source, "is unreadable (truncated or edited)") from None
    if checkpoint.kid != key.kid:
        raise BadCheckpoint(
            source,
            f"is signed with key id {checkpoint.kid}, not the configured key "
            f"{key.kid} (wrong or rotated key, or a forged signature)",
        )
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, record)):
        raise BadCheckpoint(source, "has a bad signature (anchor file edited or forged)")
    return checkpoint


# --- pending marks ----------------------------------------------------------------------------------------
# A PostgreSQL writer that finds the chain busy commits its event as pending (audit_pending) and, after the
# commit, appends a signed mark naming the pending ids to `pending-<day>.marks`. Verify requires every
# marked id to be still pending or sealed into the chain: a pending row deleted before it was sealed is seen.

_MARK_DOMAIN = b"studio-audit-pending-mark-v1\n"
MARK_SUFFIX = ".marks"


@dataclass(frozen=True)
class PendingMark:
    id: str
    source: str  # "file:line" or "file@offset+line", for messages


def write_pending_marks(key: AuditKey, ids: list[str], directory: Path | None = None) -> Path:
    """One signed line naming the pending events of one commit (O_APPEND, one write, fsync)."""
    directory = directory or anchor_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC)
    fields: dict[str, object] = {"v": 1, "pending": list(ids), "at": now.isoformat(), "kid": key.kid}
    line = json.dumps({**fields, "mac": _mark_mac(key, fields)}, sort_keys=True) + "\n"
    return _append_line(directory / f"pending-{now.date().isoformat()}{MARK_SUFFIX}", line)


def _mark_mac(key: AuditKey, fields: dict[str, object]) -> str:
    return hmac.new(
        key.secret, _MARK_DOMAIN + _signed_payload(fields).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def mark_sizes(directory: Path | None = None) -> dict[str, int]:
    directory = directory or anchor_dir()
    if not directory.is_dir():
        return {}
    return {p.name: p.stat().st_size for p in sorted(directory.glob(f"*{MARK_SUFFIX}"))}


def load_pending_marks(
    key_for: Callable[[], AuditKey], directory: Path | None, read: dict[str, int]
) -> tuple[list[PendingMark], str | None, dict[str, int] | None]:
    """Marks past the byte offsets already `read` per file (empty: all): (marks, first problem, offsets),
    or None for the offsets when a file read before is gone or shorter (start over). Whole lines only."""
    directory = directory or anchor_dir()
    marks: list[PendingMark] = []
    problem: str | None = None
    sizes = mark_sizes(directory)
    if any(sizes.get(name, -1) < size for name, size in read.items()):
        return [], None, None
    offsets = dict(sizes)
    for name, size in sizes.items():
        start = read.get(name, 0)
        if size == start:
            continue
        with (directory / name).open("rb") as handle:
            handle.seek(start)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]
        offsets[name] = start + len(whole)
        for number, raw in enumerate(whole.decode("utf-8", errors="replace").splitlines(), start=1):
            if not raw.strip():
                continue
            where = f"{name}:{number}" if start == 0 else f"{name}@{start}+{number}"
            try:
                marks.extend(PendingMark(i, where) for i in _checked_mark(key_for(), raw, where))
            except BadCheckpoint as error:
                problem = problem or str(error)
    return marks, problem, offsets


def _checked_mark(key: AuditKey, raw: str, source: str) -> list[str]:
    try:
        record = json.loads(raw)
        mac = record.pop("mac")
        ids = [str(i) for i in record["pending"]]
        kid = str(record["kid"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadCheckpoint(source, "is unreadable (truncated or edited)") from None
    if kid != key.kid:
        raise BadCheckpoint(source, f"is signed with key id {kid}, not the configured key {key.kid}")
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mark_mac(key, record)):
        raise BadCheckpoint(source, "has a bad signature (anchor file edited or forged)")
    return ids
