"""``mminit`` command line: ``mminit migrate ...`` and ``mminit check ...``."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["main"]

_USAGE = """usage: mminit {migrate,check} ...

  migrate PATH...   rewrite a repository's mmcv/mmengine init imports to mminit
  check TARGET      build a model with upstream's init system and with mminit's,
                    and report any parameter that differs

Run `mminit migrate --help` or `mminit check --help` for the options."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "migrate":
        try:
            from mminit_codemods.cli import main as migrate_main
        except ImportError as exc:
            print(f"mminit migrate needs the codemods extra: pip install 'mminit[codemods]' ({exc})",
                  file=sys.stderr)
            return 2
        return migrate_main(rest)
    if command == "check":
        from ._check import main as check_main

        return check_main(rest)
    print(f"mminit: unknown command {command!r}; expected 'migrate' or 'check'\n\n{_USAGE}",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
