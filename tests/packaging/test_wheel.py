"""A built wheel works on its own: installed into a fresh venv, run outside the repository, it checks text.

The fresh venv gets the dependencies through a .pth file naming the running interpreter's site-packages
(fast, no download). A .pth line only adds a directory to sys.path, so the editable install's own .pth
and finder in there are not run: `studio` can only come from the installed wheel, which a test asserts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VIOLATION = "保本保息，稳赚不赔"


def _offline_build_possible() -> bool:
    """setuptools ≥ 70.1 builds wheels by itself; older ones need the `wheel` package too."""
    try:
        major, minor = (int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if (major, minor) >= (70, 1):
        return True
    try:
        metadata.version("wheel")
    except metadata.PackageNotFoundError:
        return False
    return major >= 68


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of the sources, so the build writes nothing into the checkout."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy2(REPO_ROOT / "pyproject.toml", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("studio", "library"):  # studio/library is a symlink to ../library: keep it one
        shutil.copytree(REPO_ROOT / name, source / name, symlinks=True, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    isolation = ["--no-build-isolation"] if _offline_build_possible() else []  # else pip fetches setuptools
    _pip(Path(sys.executable), source, "wheel", "--no-deps", *isolation, "--wheel-dir", str(out), ".")
    (built,) = out.glob("studio-*.whl")
    return built


def _pip(python: Path, cwd: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "--quiet", *args]
    done = subprocess.run(
        command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def _dependency_dirs() -> list[str]:
    """The running interpreter's site-packages directories (make test's lie inside the checkout, in .venv),
    never a directory that holds a `studio` package."""
    found = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if not ({"site-packages", "dist-packages"} & set(path.parts)) or not path.is_dir():
            continue
        if (path / "studio" / "__init__.py").exists():
            continue
        found.append(str(path))
    return list(dict.fromkeys(found))


def _clean_env() -> dict[str, str]:
    """The environment without anything that points at the checkout or configures the studio."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("STUDIO_")}


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin directory."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(root)
    bin_dir = root / "bin"
    purelib = _python(bin_dir, root, "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib) / "_studio_test_dependencies.pth").write_text("\n".join(_dependency_dirs()) + "\n")
    # --ignore-installed: never touch the studio the running environment has (e.g. the editable one).
    _pip(bin_dir / "python", root, "install", "--no-deps", "--no-index", "--ignore-installed", str(wheel))
    return bin_dir


def _python(bin_dir: Path, cwd: Path, code: str) -> str:
    done = subprocess.run(
        [bin_dir / "python", "-c", code],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _run(bin_dir: Path, cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(bin_dir / "studio"), *args]
    return subprocess.run(
        command,
        input=stdin,
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_wheel_ships_the_library_as_it_is_in_the_repository(wheel: Path) -> None:
    library = REPO_ROOT / "library"
    # Data, docs, poster backgrounds and the script that draws them (their provenance) ship as they are.
    expected = {
        f"studio/library/{p.relative_to(library).as_posix()}": p.read_bytes()
        for p in library.rglob("*")
        if p.is_file() and p.suffix in {".yaml", ".md", ".png", ".py"}
    }
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if name.startswith("studio/library/")]
        shipped = {name: archive.read(name) for name in names}
    assert {
        "studio/library/lexicons/investment.yaml",
        "studio/library/occasions/holidays.yaml",
    } <= shipped.keys()
    assert any(name.startswith("studio/library/templates/") for name in shipped)
    assert any(name.startswith("studio/library/posters/backgrounds/") for name in shipped)
    assert shipped == expected


def test_installed_wheel_finds_a_violation_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    where = _python(installed, tmp_path, "import studio; print(studio.__file__)")
    assert Path(where).is_relative_to(installed.parent), where  # not the checkout, not the editable install
    done = _run(installed, tmp_path, "check", "--format", "json", "-", stdin=VIOLATION)
    assert done.returncode == 1, done.stderr  # README contract: 1 = found problems
    result = json.loads(done.stdout)
    assert result["verdict"] == "block"
    assert {"INV001", "INV003"} <= {f["code"] for f in result["findings"]}
    assert "稳赚不赔" in {f["text"] for f in result["findings"]}
    clean = _run(installed, tmp_path, "check", "-", stdin="欢迎到网点咨询。")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_installed_wheel_reads_occasions_library_and_migrations(installed: Path, tmp_path: Path) -> None:
    occasions = _run(installed, tmp_path, "occasions", "--year", "2026", "--format", "json")
    assert occasions.returncode == 0, occasions.stderr
    spring = [o["date"] for o in json.loads(occasions.stdout) if o["name"] == "春节"]
    assert spring == ["2026-02-17"]
    library = _run(installed, tmp_path, "library", "check")
    assert library.returncode == 0, library.stdout + library.stderr
    upgrade = _run(installed, tmp_path, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "data" / "studio.db").is_file()  # installed: data/ in the working directory
    assert not list(installed.parent.glob("lib/python*/site-packages/data"))  # never inside the package
