"""The HQ library has one home, library/, and the package reaches it through importlib.resources.

`studio/library` is a symlink to `../library`: a wheel copies the files through it (test_wheel.py checks
the copy), so a second, drifting copy of the lexicons or dates can never exist in the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.compliance.lexicon import LIBRARY_ENV, lexicon_dir
from studio.occasions.catalog import DATA_DIR
from studio.resources import package_library, package_text
from studio.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_package_library_is_a_link_to_the_one_library() -> None:
    link = REPO_ROOT / "studio" / "library"
    assert link.is_symlink(), "studio/library must stay a symlink to ../library (git: core.symlinks=true)"
    assert os.readlink(link) == "../library"
    assert package_library() == (REPO_ROOT / "library").resolve()


def test_loaders_default_to_the_package_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIBRARY_ENV, raising=False)
    assert lexicon_dir() == package_library() / "lexicons"
    assert Settings().library_dir == package_library()
    assert DATA_DIR == package_library() / "occasions"
    shipped = sorted(p.name for p in lexicon_dir().glob("*.yaml"))
    assert shipped == sorted(p.name for p in (REPO_ROOT / "library" / "lexicons").glob("*.yaml"))


def test_library_override_still_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(LIBRARY_ENV, str(tmp_path))
    assert lexicon_dir() == tmp_path.resolve() / "lexicons"
    assert Settings().library_dir == tmp_path


def test_package_text_reads_module_data() -> None:
    assert "product" in package_text("studio.materials", "scale_fragments.yaml")
    with pytest.raises(FileNotFoundError):
        package_text("studio.materials", "missing.yaml")


def test_ui_serves_a_script_inside_the_package() -> None:
    from studio.commands.ui import streamlit_command

    command = streamlit_command(8501, "127.0.0.1")
    script = Path(command[command.index("run") + 1])
    assert script.is_file() and script.is_relative_to(REPO_ROOT / "studio"), script


def test_packaged_ui_script_shows_the_login_page() -> None:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(REPO_ROOT / "studio" / "ui" / "main.py"), default_timeout=60).run()
    assert not app.exception
    assert [field.label for field in app.text_input] == ["用户名", "密码"]
