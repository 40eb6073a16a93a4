"""``mminit`` command line: ``mminit migrate ...`` and ``mminit check ...``.

Start-up stays light: ``mminit --help``, ``mminit --version`` and everything
``mminit migrate`` does run without importing torch (``import mminit`` is lazy);
only ``mminit check`` needs it, in its own module.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_USAGE = """usage: mminit [--version] {migrate,check,explain} ...

  migrate PATH...   rewrite a repository's mmcv/mmengine init imports to mminit
  check TARGET      build a model with upstream's init system and with mminit's,
                    and report any parameter that differs
  explain TARGET    print what init_weights will do to every parameter, and why
                    (with lints; --strict exits 1 when one fires)

Run `mminit migrate --help` or `mminit check --help` for the options."""


def _version_line() -> str:
    from . import __version__

    return f"mminit {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(_USAGE, file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(_USAGE)
        return 0
    if args[0] in ("-V", "--version"):
        print(_version_line())
        return 0
    command, rest = args[0], args[1:]
    if command == "migrate":
        from .codemods.cli import main as migrate_main

        return migrate_main(rest)
    if command == "check":
        from ._check import main as check_main

        return check_main(rest)
    if command == "explain":
        from ._explain_cli import main as explain_main

        return explain_main(rest)
    print(f"mminit: unknown command {command!r}; expected 'migrate' or 'check'\n\n{_USAGE}",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
