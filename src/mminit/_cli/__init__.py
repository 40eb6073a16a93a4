"""The ``mminit`` command line.

``commands`` is the entry point and its table of subcommands; each
subcommand's module (``check``, ``explain``, ``mminit.codemods.cli``) is
imported only when it runs, so only ``commands`` is imported here and
``mminit --help`` starts without torch.  ``target`` loads a model factory or a
config for ``check`` and ``explain``.
"""

from __future__ import annotations

from .commands import COMMANDS, EXIT_FINDING, EXIT_OK, EXIT_USAGE, Command, main

__all__ = ["COMMANDS", "Command", "EXIT_FINDING", "EXIT_OK", "EXIT_USAGE", "main"]
