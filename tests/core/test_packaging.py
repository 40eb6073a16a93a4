"""Packaging (issue 13, item 9): the wheel carries LICENSE, NOTICE, every
package and data file; the metadata claims what CI tests; building it prints
no warning about the project's own configuration."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport (the dev extra installs it)
    import tomli as tomllib

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _package_dirs() -> dict[str, Path]:
    """Every directory shipped as a package, by dotted name, per package-dir."""
    mapping = SETUPTOOLS["package-dir"]
    found: dict[str, Path] = {}
    for top in ("mminit",):
        base = ROOT / mapping.get(top, Path(mapping[""]) / top)
        for directory in [base, *sorted(p for p in base.rglob("*") if p.is_dir())]:
            if directory.name == "__pycache__" or directory.name.endswith(".egg-info"):
                continue
            if not any(f.is_file() and f.suffix != ".pyc" for f in directory.iterdir()):
                continue
            relative = directory.relative_to(base).parts
            found[".".join((top, *relative))] = directory
    return found


def test_every_directory_with_files_is_a_declared_package() -> None:
    # An undeclared data directory (mminit/zoo) made setuptools warn "Package
    # 'mminit.zoo' is absent from the packages configuration"; an undeclared code
    # package would be missing from the wheel.
    assert sorted(_package_dirs()) == sorted(SETUPTOOLS["packages"])


def test_license_is_an_spdx_expression_with_its_files() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE", "NOTICE"]
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in license_text
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    for upstream in ("MMEngine 0.10.7", "MMCV 1.7.2", "mminit/zoo/"):
        assert upstream in notice
    for table in (ROOT / "src" / "mminit" / "zoo").glob("*.json"):
        assert f"mminit/zoo/{table.name}" in notice, table.name
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])


def test_metadata_claims_what_ci_tests() -> None:
    # CI's environments: Python 3.10 + torch 2.1 (.venv-py310), 3.11 + torch 2.13 (.venv)
    # and 2.14 (.venv-mmcv), 3.13 + torch 2.14 (.venv-py313)
    assert PROJECT["requires-python"] == ">=3.10"
    versions = [
        c.rpartition(" :: ")[2]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in versions
    # torch is not a dependency (the pre-commit hook's environment stays small); the
    # `torch` extra declares the tested range.
    assert not [d for d in PROJECT["dependencies"] if re.match(r"torch\b", d)]
    torch_req = [d for d in PROJECT["optional-dependencies"]["torch"] if re.match(r"torch\b", d)]
    assert torch_req == ["torch>=2.1,<2.15"]
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py310"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == "3.10"
    import torch

    minor = int(torch.__version__.split("+")[0].split(".")[1])
    assert torch.__version__.startswith("2.") and 1 <= minor <= 14


def test_long_description_stands_alone_on_an_index() -> None:
    readme = (ROOT / PROJECT["readme"]).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert all(link.startswith("https://") for link in links), links
    assert "tools/" not in readme and ".sh" not in readme
    assert "download.pytorch.org/whl/cpu" in readme


def test_wheel_builds_quietly_and_carries_everything(tmp_path: Path) -> None:
    import setuptools

    assert int(setuptools.__version__.split(".")[0]) >= 77, (
        "an SPDX license string needs setuptools>=77 (build-system.requires)"
    )
    source = tmp_path / "src_tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    source.mkdir()
    for name in ("pyproject.toml", "LICENSE", "NOTICE", PROJECT["readme"]):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-v",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    noise = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if re.search(r"Warning\b|is deprecated|is absent from|ERROR:", line)
    ]
    assert noise == []
    (wheel,) = (tmp_path / "dist").glob("mminit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
    assert {f"{dist_info}/licenses/LICENSE", f"{dist_info}/licenses/NOTICE"} <= names
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.10"
    import mminit

    assert metadata["Version"] == mminit.__version__
    expected = set()
    for package, directory in _package_dirs().items():
        prefix = package.replace(".", "/")
        expected |= {
            f"{prefix}/{f.name}"
            for f in directory.iterdir()
            if f.is_file() and f.suffix in (".py", ".json", ".typed")
        }
    missing = expected - names
    assert not missing, sorted(missing)
    # One top-level package: the codemods are mminit.codemods, not a second package.
    assert {n.split("/")[0] for n in names} == {"mminit", dist_info}


def test_codemods_import_from_a_checkout_without_installing() -> None:
    # Before: codemods/ became `mminit_codemods` only once installed, so a checkout (and
    # mypy, and any tool following imports) could not resolve it.
    code = (
        "import mminit.codemods.cli, mminit.codemods._table as t, mminit.codemods as c; "
        "assert c.MOVES is t.MOVES; print(c.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == ROOT / "src" / "mminit" / "codemods" / "__init__.py"


@pytest.mark.parametrize("name", ["LICENSE", "NOTICE"])
def test_license_files_are_tracked_at_the_root(name: str) -> None:
    assert (ROOT / name).is_file()
