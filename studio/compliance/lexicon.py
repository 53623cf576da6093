"""Locate and read the lexicon files (library/lexicons/*.yaml) into one plain dict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from studio.compliance.errors import LexiconError
from studio.resources import package_library

LIBRARY_ENV = "STUDIO_LIBRARY_DIR"


def library_dir() -> Path:
    """The material library: `$STUDIO_LIBRARY_DIR`, else the one shipped in the package."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return package_library()


def lexicon_dir() -> Path:
    return library_dir() / "lexicons"


def lexicon_files(path: Path | str | None = None) -> list[Path]:
    directory = Path(path) if path is not None else lexicon_dir()
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise LexiconError(f"lexicon directory {directory} does not exist", f"词库目录 {directory} 不存在。")
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_lexicons(path: Path | str | None = None) -> dict[str, Any]:
    """Merge every lexicon file into `{"version": 1, "cues": {...}, "rules": [...]}`.

    The result is what `build_ruleset` takes; the admin page edits a copy of it and stores it elsewhere.
    """
    merged: dict[str, Any] = {"version": 1, "cues": {}, "rules": []}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for file in lexicon_files(path):
        try:
            document = yaml.load(file.read_text(encoding="utf-8"), Loader=loader) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise LexiconError(
                f"cannot read lexicon file {file.name}: {error}", f"词库文件 {file.name} 格式错误。"
            ) from error
        if not isinstance(document, dict):
            raise LexiconError(
                f"lexicon file {file.name} must hold a mapping", f"词库文件 {file.name} 格式错误。"
            )
        for name, cue in (document.get("cues") or {}).items():
            if name in merged["cues"]:
                raise LexiconError(
                    f"cue list {name!r} defined twice ({file.name})", f"提示词表 {name} 重复定义。"
                )
            merged["cues"][name] = cue
        merged["rules"].extend(document.get("rules") or [])
    return merged
