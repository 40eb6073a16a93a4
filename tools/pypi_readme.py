"""Write README.pypi.md, the package index's long description, from README.md.

The index shows the description without the repository around it, so it takes from
README.md only what stands alone: the title and introduction, the part between the
``<!-- pypi: begin -->`` and ``<!-- pypi: end -->`` markers, and the license section.
``tests/docs/test_pypi_readme.py`` fails when README.pypi.md is not what this writes.

Usage: python tools/pypi_readme.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- pypi: begin -->\n", "<!-- pypi: end -->\n"
HEADER = "<!-- Generated from README.md by pypi_readme.py; edit README.md, not this file. -->\n"


def render(readme: str) -> str:
    """README.pypi.md's text for the README.md text ``readme``."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise ValueError(f"README.md must hold one {BEGIN.strip()} and one {END.strip()} marker")
    intro, rest = readme.split(BEGIN)
    body, after = rest.split(END)
    license_at = after.find("## License\n")
    if license_at < 0:
        raise ValueError("README.md has no '## License' section after the pypi part")
    return HEADER + intro + body + "\n" + after[license_at:]


def main(argv: list[str]) -> int:
    text = render((ROOT / "README.md").read_text(encoding="utf-8"))
    target = ROOT / "README.pypi.md"
    if argv == ["--check"]:
        if target.read_text(encoding="utf-8") != text:
            print("README.pypi.md is out of date: run python tools/pypi_readme.py", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
