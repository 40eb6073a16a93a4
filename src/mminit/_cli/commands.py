"""The ``mminit`` command line: every subcommand is one row of :data:`COMMANDS`.

A row names the module that implements the command; that module provides
``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args) -> int``.  The module is
imported only when its command runs (or prints its ``--help``), so ``mminit --help``,
``mminit --version`` and everything ``mminit migrate`` does start without torch.

Exit status, the same for every subcommand:

====  ===================================================================
0     done; nothing found (``check``: bit-identical; ``explain --strict``:
      no lint; ``migrate --check``: nothing to migrate)
1     a finding (``check``: a difference; ``explain --strict``: a lint or an
      ``init_weights`` that would raise; ``migrate --check``: a file would change)
2     a usage or input error (bad arguments, a target that cannot be imported
      or built, a file that cannot be processed)
====  ===================================================================

As shell tools do, ``migrate`` and ``check`` exit 130 when interrupted (Ctrl-C),
``check`` 143 when terminated (SIGTERM), and ``migrate`` 141 when its reader went
away (``--diff | head``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["COMMANDS", "Command", "EXIT_FINDING", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line for ``mminit --help``
    module: str  # provides DESCRIPTION, add_arguments(parser) and run(args)


COMMANDS: tuple[Command, ...] = (
    Command(
        "migrate",
        "rewrite a repository's mmcv/mmengine init imports to mminit",
        "mminit.codemods.cli",
    ),
    Command(
        "check",
        "build a model (factory or config) with upstream's init system and with "
        "mminit's, or two checkouts before/after migrating, and report any difference",
        "mminit._cli.check",
    ),
    Command(
        "explain",
        "print what init_weights will do to every parameter, and why (with "
        "lints; --strict exits 1 when one fires)",
        "mminit._cli.explain",
    ),
)
_BY_NAME = {command.name: command for command in COMMANDS}


def _usage() -> str:
    names = ",".join(_BY_NAME)
    width = max(len(name) for name in _BY_NAME) + 2
    rows = "\n".join(
        textwrap.fill(
            c.summary,
            79,
            initial_indent=f"  {c.name:<{width}}",
            subsequent_indent=" " * (width + 2),
        )
        for c in COMMANDS
    )
    return (
        f"usage: mminit [-h] [--version] {{{names}}} ...\n\ncommands:\n{rows}\n\n"
        "Run `mminit COMMAND --help` for a command's options. Exit status: 0 ok, "
        "1 a finding, 2 a usage or input error."
    )


def _version_line() -> str:
    from .. import __version__

    return f"mminit {__version__}"


def parser_for(command: Command) -> tuple[argparse.ArgumentParser, object]:
    """The command's parser (``prog`` ``mminit NAME``) and its module."""
    module = importlib.import_module(command.module)
    parser = argparse.ArgumentParser(
        prog=f"mminit {command.name}", description=getattr(module, "DESCRIPTION", command.summary)
    )
    module.add_arguments(parser)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(_usage(), file=sys.stderr)
        return EXIT_USAGE
    if args[0] in ("-h", "--help"):
        print(_usage())
        return EXIT_OK
    if args[0] in ("-V", "--version"):
        print(_version_line())
        return EXIT_OK
    command = _BY_NAME.get(args[0])
    if command is None:
        print(
            f"mminit: unknown command {args[0]!r}; choose from "
            f"{', '.join(repr(n) for n in _BY_NAME)}\n\n{_usage()}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    parser, module = parser_for(command)
    try:
        parsed = parser.parse_args(args[1:])
    except SystemExit as exc:  # --help (0) or a usage error (2, printed by argparse)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    status: int = module.run(parsed)  # type: ignore[attr-defined]
    return status
