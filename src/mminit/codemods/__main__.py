"""``python -m mminit.codemods PATH...`` runs ``mminit migrate PATH...``."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
