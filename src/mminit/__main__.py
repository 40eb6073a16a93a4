"""``mminit`` command line (``python -m mminit``, the ``mminit`` script): see :mod:`mminit._cli.commands`.

Start-up stays light: ``mminit --help``, ``mminit --version`` and everything
``mminit migrate`` does run without importing torch (``import mminit`` is lazy);
only ``check`` and ``explain`` need it, in their own modules.
"""

from __future__ import annotations

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
