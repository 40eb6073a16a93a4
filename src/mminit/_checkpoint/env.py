"""Reading mminit's environment variables strictly.

A flag accepts the usual spellings of true and false; anything else is a
``ValueError`` naming the variable, what it holds and what is accepted (a typo
must not silently mean "off").  A number of seconds must be finite and
positive.
"""

from __future__ import annotations

import math
import os

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "env_flag", "env_seconds"]

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "n", "f"})


def env_flag(name: str, default: bool) -> bool:
    """The boolean in ``$name``; ``default`` when unset or empty."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(
        f"environment variable {name}={raw!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE_WORDS))} (true) or {', '.join(sorted(FALSE_WORDS))} (false), "
        "case-insensitive, or leave it unset"
    )


def env_seconds(name: str, default: float) -> float:
    """A finite, positive number of seconds in ``$name``; ``default`` when unset."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"environment variable {name}={raw!r} must be a number of seconds (e.g. {default:g})"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"environment variable {name}={raw!r} must be a finite number of "
            f"seconds greater than 0 (e.g. {default:g})"
        )
    return value
