"""Data shipped inside the package, found with importlib.resources so an installed wheel finds it too.

The HQ library (lexicons, occasion dates, templates) has one home, the top-level `library/` directory that
HQ editors work in. `studio/library` is a symlink to it: in a checkout both names are the same files, and
building a wheel copies the files through the link into the package (`tests/packaging` checks both).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_library() -> Path:
    """The library this package ships: `<repo>/library` in a checkout, `studio/library` when installed."""
    root = resources.files("studio") / "library"
    if not isinstance(root, Path):  # a zip import: the loaders need real files (glob, line numbers)
        raise RuntimeError("the studio package must be installed as files, not imported from a zip archive")
    return root.resolve()


def package_text(package: str, name: str) -> str:
    """A UTF-8 data file that sits beside a package's modules."""
    return (resources.files(package) / name).read_text(encoding="utf-8")
