"""Content-addressed files for library images: <root>/<sha256[:2]>/<sha256>.<ext>, written atomically."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from studio.domain.files import write_atomic

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EXTS = frozenset({"png", "jpg", "webp"})


def address(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_address(value: str) -> bool:
    return bool(_SHA256.match(value))


def path_for(root: Path, sha256: str, ext: str) -> Path:
    """Where an image with this digest lives; refuses anything that is not a digest and a known extension."""
    if not _SHA256.match(sha256) or ext not in _EXTS:
        raise ValueError(f"not an asset address: {sha256!r}.{ext!r}")
    return root / sha256[:2] / f"{sha256}.{ext}"


def store(root: Path, data: bytes, ext: str) -> tuple[str, Path]:
    """Write the bytes under their sha256 (temp file + rename: a reader never sees half a file); the same
    bytes twice are one file, written once."""
    sha256 = address(data)
    target = path_for(root, sha256, ext)
    if target.is_file() and target.stat().st_size == len(data):
        return sha256, target
    write_atomic(target, data, durable=True)
    return sha256, target
