"""README.pypi.md (pyproject's readme=) is written from README.md by tools/pypi_readme.py:
one source for both descriptions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport (the dev extra installs it)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("pypi_readme", ROOT / "tools" / "pypi_readme.py")
assert _spec is not None and _spec.loader is not None
pypi_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pypi_readme)


def test_pyproject_describes_the_package_with_the_generated_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "README.pypi.md"


def test_readme_pypi_is_written_from_readme() -> None:
    expected = pypi_readme.render((ROOT / "README.md").read_text(encoding="utf-8"))
    assert (ROOT / "README.pypi.md").read_text(encoding="utf-8") == expected, (
        "README.pypi.md is out of date: run python tools/pypi_readme.py"
    )


def test_render_takes_intro_marked_part_and_license() -> None:
    text = (
        "# t\nintro\n<!-- pypi: begin -->\nkept\n<!-- pypi: end -->\n## Repo\nno\n"
        "## License\nApache\n"
    )
    assert pypi_readme.render(text) == (
        pypi_readme.HEADER + "# t\nintro\nkept\n\n## License\nApache\n"
    )
    with pytest.raises(ValueError, match="one <!-- pypi: begin -->"):
        pypi_readme.render("# t\n")
