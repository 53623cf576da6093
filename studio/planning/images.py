"""A post's images in exported files: content-addressed copies beside the export, linked by relative URL.

Pure: values in, files out. An export's folder gets `images/<sha256>.<ext>`; the same image in many posts,
months or runs is one file. Every copy is checked against its sha256 and written atomically (temp file +
rename), so a reader never sees half an image nor one that differs from what was approved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio.domain.files import write_atomic
from studio.errors import ValidationError

IMAGES = "images"  # the folder beside the export file
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class EntryImage(BaseModel):
    """One image of a post as an export carries it; `source` is the file it is copied from."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    media_type: str = Field(pattern=r"^image/(png|jpeg|webp)$")
    source: str = Field(min_length=1)

    @property
    def name(self) -> str:
        return f"{self.sha256}.{_EXT[self.media_type]}"

    @property
    def url(self) -> str:
        """Relative to the export file: it works wherever the folder is served or copied."""
        return f"{IMAGES}/{self.name}"

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "sha256": self.sha256, "width": self.width, "height": self.height}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_images(images: Iterable[EntryImage], folder: Path) -> list[Path]:
    """Copy each image to `folder/images/<sha256>.<ext>` unless a file with that content is there already;
    returns the files of `images` (written or found). A source whose bytes do not hash to its sha256 is
    refused: the export would otherwise show something nobody approved."""
    unique = {image.name: image for image in images}
    if not unique:
        return []
    target_dir = folder / IMAGES
    target_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for image in unique.values():
        target = target_dir / image.name
        paths.append(target)
        if target.is_file() and not target.is_symlink() and _digest(target) == image.sha256:
            continue
        data = Path(image.source).read_bytes()
        if hashlib.sha256(data).hexdigest() != image.sha256:
            raise ValidationError(
                f"image {image.source} does not match its sha256 {image.sha256}",
                "图片文件与审核通过的版本不一致，未导出。",
            )
        write_atomic(target, data)
    return paths


def prune_images(folder: Path, keep: Iterable[Path]) -> None:
    """Remove images under `folder/images/` that are not in `keep` (a feed shows only its window's posts:
    a withdrawn post's image must not stay reachable)."""
    target_dir = folder / IMAGES
    if not target_dir.is_dir():
        return
    kept = {p.name for p in keep}
    for path in target_dir.iterdir():
        if path.name not in kept and (path.is_file() or path.is_symlink()):
            path.unlink(missing_ok=True)
