"""Writing a file so that a reader sees the old file, the new one, or none: never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(target: Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` to a temp file in `target`'s directory (made if missing), then rename it over `target`.
    The file is world-readable (0644), like one written with `open`. `durable` also flushes the bytes to
    the disk (fsync) before the rename: for files that are the only copy, such as uploads."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
