"""The data of an init plan (what :func:`mminit.explain` returns): :class:`InitPlan`,
one :class:`TensorPlan` per parameter and buffer, the :class:`Step` s behind each, and
:class:`Lint` findings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["InitPlan", "Lint", "Step", "TensorPlan"]


@dataclass(frozen=True)
class Step:
    """One fill an ``init_cfg`` (or code) asked for.

    Attributes:
        info: the initializer's init-info string.
        owner: path of the module whose ``init_cfg`` holds the entry (``""``: the root).
        owner_class: that module's class name.
        via: ``"layer=Linear"`` (the name that matched), ``"override name=head"``,
            ``"whole module"``, ``"direct call"`` (an initializer called by code) or
            ``"Pretrained"``/``"custom initializer"`` (code mminit does not control).
        fill: the fill kind (``trunc_normal``, ``constant`` ...), ``""`` for code.
    """

    info: str
    owner: str
    owner_class: str
    via: str
    fill: str = ""

    def describe(self) -> str:
        where = f" at {self.owner!r}" if self.owner else ""
        return f"{self.owner_class}.init_cfg{where}, {self.via}" if self.owner_class else self.via


@dataclass
class TensorPlan:
    """The plan for one parameter or buffer.

    Attributes:
        name: its name in ``model.named_parameters()`` / ``named_buffers()``.
        kind: ``"parameter"`` or ``"buffer"``.
        info: the init-info string ``init_weights`` will record (parameters only).
        origin: ``"init_cfg"``, ``"override"``, ``"pretrained"``, ``"user_code"``
            (a module's own ``init_weights``: foreign code, reported not guessed),
            ``"custom"`` (an initializer mminit does not know), ``"unchanged"``
            (written, but to the value it had) or ``"default"`` (nothing writes it:
            PyTorch's default stays).
        source: a person's description of where the final value comes from.
        shadowed: earlier fills that a later one overwrites.
        uncovered: the value after ``init_weights`` is the value before (compared
            on the copy).
    """

    name: str
    kind: str
    info: str | None
    origin: str
    source: str
    shadowed: list[Step] = field(default_factory=list)
    uncovered: bool = False


@dataclass(frozen=True)
class Lint:
    """A finding: ``code`` (``MI001`` ...), ``module`` path, ``key`` and a one-line message."""

    code: str
    module: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.module or '(root)'} [{self.key}]: {self.message}"


@dataclass
class InitPlan:
    """What ``init_weights`` will do to ``model`` (see :func:`explain`)."""

    model: str
    flavours: list[str]
    tensors: list[TensorPlan]
    lints: list[Lint] = field(default_factory=list)
    error: str | None = None  # init_weights would raise this
    #: whether init_weights logs its per-parameter init-info dump (mmcv 1.x's dict
    #: Pretrained early return and a root that never reaches BaseModule's skip it)
    dumps: bool = True
    #: the explanation was read from the plan the plan cache now holds for this
    #: architecture: a compat ``init_weights`` of a model built like this one replays
    #: that plan, without walking the tree (``False``: the tree cannot be cached, see
    #: :mod:`mminit._modules.planned`, or the cache is off)
    cached: bool = False
    #: fills explain evaluated from the plan instead of running them on its copy (those
    #: after the last piece of code mminit does not control; see ``explain(run_fills=)``)
    fills_evaluated: int = 0

    def __getitem__(self, name: str) -> TensorPlan:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(f"no parameter or buffer named {name!r} in the plan of {self.model}")

    @property
    def uncovered(self) -> list[str]:
        return [t.name for t in self.tensors if t.uncovered]

    def infos(self) -> dict[str, str]:
        """Parameter name -> the init-info string ``init_weights`` will record."""
        return {
            t.name: t.info for t in self.tensors if t.kind == "parameter" and t.info is not None
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "flavours": self.flavours,
            "error": self.error,
            "cached": self.cached,
            "fills_evaluated": self.fills_evaluated,
            "tensors": [asdict(t) for t in self.tensors],
            "lints": [asdict(x) for x in self.lints],
        }

    def format(self) -> str:
        """The plan as lines a person reads: runs of identical plans collapsed."""
        from .format import format_plan

        return format_plan(self)
