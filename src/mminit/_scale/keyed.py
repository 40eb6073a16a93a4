"""Name-keyed random streams (opt-in): a parameter's values depend only on its name.

Inside ``with mminit.name_keyed(model, seed):`` every in-place random fill of
one of ``model``'s parameters or buffers (``uniform_``, ``normal_`` and the
other ``Tensor.*_`` samplers, which every ``torch.nn.init`` function and every
mminit initializer ends in) that is not given a generator draws from a private
generator seeded with

    blake2b(f"{seed}|{qualified name}|{shape}|{dtype}|{sampler}|{arguments}")[:8]

(the first 8 bytes of the digest, little-endian, as a non-negative int64).  The
sampler and its arguments (``uniform_(-0.1, 0.1)``) stand for the initializer,
which computes them from the parameter's shape and its cfg.  A parameter's
values therefore depend only on (seed, qualified name, shape, dtype,
initializer): adding a module, removing one or changing construction order
leaves every other parameter's initial values unchanged, on one process or on
many (:func:`mminit.sharded_init` draws each sharded parameter's full value
from the same stream).  The global generator is not advanced by these fills.

This is not upstream's stream (opt-in, the default stays upstream-identical);
the init-info strings are upstream's.  Use it with ``mminit.materialize(model)``
so the default initialisation of torch layers (``reset_parameters``) is drawn
from the keyed streams too, then ``init_weights`` in ``"compat"`` or
``"eager"`` mode.  Draws into tensors that are not the model's (an
initializer's scratch tensor, ``nn.init.orthogonal_``'s) use the global
generator and are counted in :attr:`NameKeyed.unkeyed_draws`.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

__all__ = [
    "RANDOM_INPLACE",
    "NameKeyed",
    "RandomCall",
    "active_name_keyed",
    "name_keyed",
    "random_call",
]

RANDOM_INPLACE: frozenset[Callable[..., Any]] = frozenset(
    {
        Tensor.uniform_,
        Tensor.normal_,
        Tensor.bernoulli_,
        Tensor.random_,
        Tensor.exponential_,
        Tensor.cauchy_,
        Tensor.log_normal_,
        Tensor.geometric_,
    }
)


# torch.nn.init's random fills.  torch >= 2.2 gives each a ``generator`` argument;
# torch 2.1's have none, and some of them (``uniform_``, ``normal_``,
# ``kaiming_uniform_``) reach a torch-function mode as themselves.
_RANDOM_INIT_NAMES = frozenset(
    {
        "uniform_",
        "normal_",
        "trunc_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "orthogonal_",
        "sparse_",
    }
)


def _init_functions() -> dict[Callable[..., Any], inspect.Signature]:
    """``torch.nn.init``'s random fills (those taking a ``generator``, or on a torch
    whose fills take none, those of :data:`_RANDOM_INIT_NAMES`) and their signatures.

    A torch-function mode sees ``nn.init.kaiming_uniform_(w)`` but not the
    ``uniform_`` it makes inside (the mode is off while it runs the call), so the
    generator is handed to the ``nn.init`` function itself (or, where it takes
    none, stands in for the global generator during the call: :meth:`RandomCall.run`).
    """
    found: dict[Callable[..., Any], inspect.Signature] = {}
    for name in dir(nn.init):
        func = getattr(nn.init, name)
        if name.startswith("_") or not name.endswith("_") or not callable(func):
            continue
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            continue
        random = "generator" in sig.parameters or name in _RANDOM_INIT_NAMES
        if random and "tensor" in sig.parameters:
            found[func] = sig
    return found


INIT_FUNCTIONS = _init_functions()


def _default_generator(device: torch.device) -> torch.Generator:
    if device.type == "cuda":
        return torch.cuda.default_generators[
            device.index if device.index is not None else torch.cuda.current_device()
        ]
    if device.type != "cpu":
        raise NotImplementedError(
            f"name_keyed on torch {torch.__version__}: torch.nn.init's fills take no generator "
            f"before torch 2.2, and mminit can stand a private generator in for the global one on "
            f"cpu and cuda tensors only, not on {device.type}; use torch >= 2.2"
        )
    return torch.default_generator


@contextlib.contextmanager
def _as_global_generator(generator: torch.Generator, device: torch.device) -> Iterator[None]:
    """Draws of the global generator of ``device`` come from ``generator`` inside the
    block (its state is swapped in and, advanced, back out); the global stream is restored."""
    default = _default_generator(device)
    saved = default.get_state()
    default.set_state(generator.get_state())
    try:
        yield
    finally:
        generator.set_state(default.get_state())
        default.set_state(saved)


class RandomCall:
    """One random fill seen by a torch-function mode: its target and how to call it again."""

    def __init__(
        self,
        func: Callable[..., Any],
        target: Tensor,
        given: dict[str, Any],
        positional: bool,
        takes_generator: bool = True,
    ) -> None:
        self.func = func
        self.target = target
        self._given = given  # every argument but the target, by name (or "0", "1"... for methods)
        self._positional = positional
        self._takes_generator = takes_generator

    @property
    def generator(self) -> torch.Generator | None:
        gen = self._given.get("generator")
        return gen if isinstance(gen, torch.Generator) else None

    def key_text(self) -> str:
        """The fill's arguments (the initializer) as stable text, the generator left out."""
        return ", ".join(f"{k}={v!r}" for k, v in self._given.items() if k != "generator")

    def run(self, target: Tensor, generator: torch.Generator | None) -> Any:
        """Call the fill on ``target`` (with ``generator`` when given).

        A torch 2.1 ``nn.init`` fill takes no generator: ``generator`` then stands in
        for the global generator of ``target``'s device during the call, so the
        values are those the generator gives and the global stream does not move.
        """
        given = dict(self._given)
        if generator is not None and not self._takes_generator:
            with _as_global_generator(generator, target.device):
                return self._call(target, given)
        if generator is not None:
            given["generator"] = generator
        return self._call(target, given)

    def _call(self, target: Tensor, given: dict[str, Any]) -> Any:
        if self._positional:
            pos = [given.pop(str(i)) for i in range(len([k for k in given if k.isdigit()]))]
            return self.func(target, *pos, **given)
        return self.func(tensor=target, **given)


def random_call(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> RandomCall | None:
    """``func(*args, **kwargs)`` as a :class:`RandomCall` if it is a random fill of a tensor."""
    if func in RANDOM_INPLACE:
        if not args or not isinstance(args[0], Tensor):
            return None
        given = {str(i): a for i, a in enumerate(args[1:])}
        given.update(kwargs)
        return RandomCall(func, args[0], given, positional=True)
    sig = INIT_FUNCTIONS.get(func)
    if sig is None:
        return None
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    target = bound.arguments.pop("tensor")
    if not isinstance(target, Tensor):
        return None
    return RandomCall(
        func,
        target,
        dict(bound.arguments),
        positional=False,
        takes_generator="generator" in sig.parameters,
    )


_ACTIVE: ContextVar[NameKeyed | None] = ContextVar("mminit_name_keyed", default=None)


def _is_dtensor(t: Tensor) -> bool:
    return type(t).__name__ == "DTensor" and hasattr(t, "to_local")


def _storage_key(t: Tensor) -> tuple[int, int, tuple[int, ...]] | None:
    if _is_dtensor(t):
        t = t.to_local()  # type: ignore[attr-defined]
    if t.is_meta:
        return None
    try:
        ptr = t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        return None
    return (ptr, int(t.storage_offset()), tuple(t.shape))


class NameKeyed:
    """The state of one ``name_keyed`` block: the seed, the model and its tensors' names."""

    def __init__(self, model: nn.Module, seed: int) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"name_keyed() expects an nn.Module, got {type(model).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"name_keyed() seed must be an int, got {type(seed).__name__} {seed!r}")
        self.model = model
        self.seed = seed
        self.unkeyed_draws = 0
        self._names: dict[tuple[int, int, tuple[int, ...]], str] = {}
        self._rebuild()

    def _rebuild(self) -> None:
        names: dict[tuple[int, int, tuple[int, ...]], str] = {}
        tensors: list[tuple[str, Tensor]] = list(self.model.named_parameters(remove_duplicate=True))
        tensors += list(self.model.named_buffers(remove_duplicate=True))
        for name, t in tensors:
            key = _storage_key(t)
            if key is not None:
                names.setdefault(key, name)
        self._names = names

    def name_of(self, t: Tensor) -> str | None:
        """The qualified name of the model tensor ``t`` is (or views whole), else ``None``."""
        key = _storage_key(t)
        if key is None:
            return None
        name = self._names.get(key)
        if name is None:  # tensors replaced since (to_empty, load_state_dict with assign)
            self._rebuild()
            name = self._names.get(key)
        return name

    def generator(self, name: str, call: RandomCall) -> torch.Generator:
        """The private generator of one fill of ``name`` (see the module docstring)."""
        t = call.target
        text = (
            f"{self.seed}|{name}|{tuple(t.shape)}|{t.dtype}|{call.func.__name__}|{call.key_text()}"
        )
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        device = t.to_local().device if _is_dtensor(t) else t.device  # type: ignore[attr-defined]
        gen = torch.Generator(device=device)
        gen.manual_seed(int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF)
        return gen

    def keyed_generator(self, call: RandomCall) -> torch.Generator | None:
        """The generator for ``call`` if it is a keyed draw (a model tensor, no generator given)."""
        if call.generator is not None:
            return None
        name = self.name_of(call.target)
        if name is None:
            self.unkeyed_draws += 1
            return None
        return self.generator(name, call)


class _KeyedMode(TorchFunctionMode):
    def __init__(self, state: NameKeyed) -> None:
        super().__init__()
        self.state = state

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = dict(kwargs or {})
        call = random_call(func, args, kwargs)
        if call is not None and not _is_dtensor(call.target):  # sharded_init keys DTensors
            gen = self.state.keyed_generator(call)
            if gen is not None:
                return call.run(call.target, gen)
        return func(*args, **kwargs)


def active_name_keyed() -> NameKeyed | None:
    """The innermost active ``name_keyed`` block's state, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def name_keyed(model: nn.Module, seed: int = 0) -> Iterator[NameKeyed]:
    """Key every random fill of ``model``'s tensors by (seed, name, shape, initializer).

    Example::

        with torch.device("meta"):
            model = build()
        with mminit.name_keyed(model, seed=0):
            mminit.materialize(model)      # torch layers' default init, keyed
            model.init_weights()           # init_cfg fills, keyed

    Args:
        model: the model whose parameters and buffers are keyed by their
            qualified names in it.
        seed: an int; the same seed gives the same values for the same name.

    Yields:
        The block's :class:`NameKeyed` state (``unkeyed_draws`` counts random
        draws into tensors that are not the model's).
    """
    state = NameKeyed(model, seed)
    token = _ACTIVE.set(state)
    try:
        with _KeyedMode(state):
            yield state
    finally:
        _ACTIVE.reset(token)
