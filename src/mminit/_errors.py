"""Exception types shared by both flavours."""

from __future__ import annotations

from typing import Any

from ._compat import add_note

__all__ = [
    "FastModeWarning",
    "InitInfoError",
    "InvalidInitArg",
    "add_init_note",
    "check_cfg_entry",
    "check_init_cfg_iterable",
    "check_known",
]


class InvalidInitArg(ValueError, AssertionError):
    """An initializer argument outside its allowed values.

    Upstream checks these with ``assert``; this subclass of both
    ``AssertionError`` (upstream's type) and ``ValueError`` is raised
    explicitly, so the check survives ``python -O``.
    """


class InitInfoError(AssertionError):
    """``_params_init_info`` bookkeeping found a state upstream asserts against."""


def check_known(name: str, param: Any, module: Any, table: Any) -> None:
    """Raise if ``param`` appeared after ``init_weights`` built its table (upstream asserts)."""
    if param not in table:
        raise InitInfoError(
            f"Found a new Parameter named `{name}` while running `init_weights` of "
            f"`{module.__class__.__name__}`; parameters must not be added or replaced "
            "during `init_weights`."
        )


class FastModeWarning(UserWarning):
    """``mode="fast"`` could not drive part of a model; the message names what ran instead."""


def check_cfg_entry(cfg: Any, module: Any) -> None:
    """Raise upstream's exception type, with a clear message, for a malformed ``init_cfg`` entry.

    mmengine asserts that each entry is a dict and then reads ``cfg['type']``.
    """
    name = module.__class__.__name__
    exc: Exception
    if not isinstance(cfg, dict):
        exc = InvalidInitArg(
            f"each init_cfg entry of {name} must be a dict with a 'type' key, got {type(cfg).__name__} "
            f"{cfg!r} (init_cfg is {module.init_cfg!r})"
        )
    elif "type" not in cfg:
        exc = KeyError(
            f"'type': the init_cfg entry {cfg!r} of {name} has no 'type' key; give an initializer "
            "name such as 'Constant', 'Normal', 'Xavier', 'Kaiming', 'Pretrained' or a registered one"
        )
    else:
        return
    add_init_note(exc, module, cfg)
    raise exc


def add_init_note(exc: BaseException, module: Any, cfg: Any) -> None:
    """Note on ``exc`` which ``init_cfg`` entry of which module failed (the type stays upstream's)."""
    note = f"while initializing {module.__class__.__name__} with init_cfg {cfg}"
    add_note(exc, note)


def check_init_cfg_iterable(init_cfg: Any, module: Any) -> None:
    """A truthy ``init_cfg`` that cannot be iterated (upstream: a bare ``TypeError``)."""
    try:
        iter(init_cfg)
    except TypeError:
        exc = TypeError(
            f"init_cfg of {module.__class__.__name__} must be a dict, a list of dicts or None, "
            f"got {type(init_cfg).__name__} {init_cfg!r}"
        )
        add_init_note(exc, module, init_cfg)
        raise exc from None
