"""``python -m mminit_codemods PATH...`` runs ``mminit migrate PATH...``."""

from __future__ import annotations

from mminit_codemods.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
