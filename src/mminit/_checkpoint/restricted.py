"""``weights_only`` loading on a torch without ``torch.serialization.safe_globals`` (< 2.5).

Such a torch's own ``weights_only`` unpickler cannot be told about more globals,
and cannot rebuild numpy arrays at all, so mmengine's training checkpoints
(numpy values in ``meta``) would be refused; on torch 2.1 it also emits a
``TypedStorage is deprecated`` warning upstream's plain ``torch.load`` does not.
Here ``torch.load`` runs with ``weights_only=False`` and a ``pickle_module`` whose
``Unpickler.find_class`` returns only the globals of torch's ``weights_only``
allow-list and of mminit's (:mod:`.safe_globals`) and refuses every other one:
Python's documented way of restricting what unpickling may construct
("Restricting Globals" in :mod:`pickle`'s documentation).  Nothing outside the
allow-list is imported or called.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import pickle
from collections.abc import Callable
from types import SimpleNamespace
from typing import IO, Any

import torch

from . import safe_globals

__all__ = ["needs_own_unpickler", "python3_name", "restricted_pickle_module", "torch_allowed_names"]


def python3_name(module: str, name: str) -> str:
    """``module.name`` as Python 3 finds it: protocol-2 pickles (torch.save's default)
    name Python 2's modules (``__builtin__.getattr``), which pickle maps as here."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    else:
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return f"{module}.{name}"


def needs_own_unpickler() -> bool:
    """Whether this torch lacks ``safe_globals`` (torch < 2.5): then this module loads."""
    return getattr(torch.serialization, "safe_globals", None) is None


def _torch_allowed() -> dict[str, Any]:
    from torch._weights_only_unpickler import _get_allowed_globals

    allowed = dict(_get_allowed_globals())
    # Allowed by later torch's own list: protocol-2 pickles of bytes (numpy arrays'
    # data) are ``_codecs.encode(text, "latin1")``, a pure function.
    allowed["_codecs.encode"] = codecs.encode
    return allowed


def torch_allowed_names() -> frozenset[str]:
    """The globals torch's own ``weights_only`` unpickler allows."""
    return frozenset(_torch_allowed())


def restricted_pickle_module(
    names: list[str], refuse: Callable[[list[str]], Exception]
) -> SimpleNamespace:
    """A ``pickle_module`` for ``torch.load`` that constructs only allow-listed globals.

    ``names`` are the globals the file asks for beyond torch's list (each one
    allowed by :func:`.safe_globals.allowed`); ``refuse([name])`` makes the
    exception raised for any other global met while unpickling.
    """
    allowed = _torch_allowed()
    allowed.update({name: obj for obj, name in safe_globals.resolve(names)})

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            dotted = python3_name(module, name)
            found = allowed.get(dotted)
            if found is None:
                raise refuse([dotted])
            return found

    def load(file: IO[bytes], **kwargs: Any) -> Any:
        return Unpickler(file, **kwargs).load()

    return SimpleNamespace(__name__=__name__, Unpickler=Unpickler, load=load)
