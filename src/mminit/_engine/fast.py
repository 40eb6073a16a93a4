"""Fast mode: every parameter filled once, with its final initializer.

``init_weights(mode="fast")`` (or ``with mminit.init_mode("fast")``) records
each fill an ``init_cfg`` asks for and, for each parameter, applies only the
last one, when the parameter's fate is sealed (the end of init, or before code
mminit does not control reads it).  Distributions and init-info strings are
the compat mode's (a random fill is taken to change a parameter's mean, which
compat mode checks; they differ only if a random draw reproduces the previous
mean exactly); the random stream is not (fewer numbers are drawn), so the
values differ from upstream's.  Truncated normals are drawn in fp32 and cast,
so low-precision parameters get the intended distribution.  Parameters a
``Pretrained`` entry will load are not filled first.  A model on the ``meta``
device is materialised on the CPU first, and whatever no initializer wrote is
reported with a :class:`UncoveredWarning`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import torch
from torch import Tensor, nn

from .._errors import FastModeWarning
from .fills import (
    FillSpec,
    apply_fill,
    fill_plain,
    fixed_result,
    is_fixed,
    validate_fill,
)
from .state import InitEngine, LoadsParameters

__all__ = [
    "FastInitEngine",
    "UncoveredWarning",
    "fast_engine_class",
    "materialise_meta",
    "using_fast_engine",
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)
_UNKNOWN = object()  # no mean recorded yet


class UncoveredWarning(UserWarning):
    """Fast mode materialised a meta-device model and some tensors were never written."""


def materialise_meta(root: nn.Module) -> dict[str, int] | None:
    """Move a model with meta tensors to the CPU (uninitialised storage).

    Returns the version counter of each parameter and buffer right after, so
    :meth:`FastInitEngine.report_uncovered` can tell which ones were written.
    """
    tensors = list(root.parameters()) + list(root.buffers())
    if not any(t.is_meta for t in tensors):
        return None
    root.to_empty(device="cpu")
    return {name: t._version for name, t in _named_tensors(root)}


def _named_tensors(root: nn.Module) -> list[tuple[str, Tensor]]:
    return list(root.named_parameters()) + list(root.named_buffers())


def _apply_last(fills: Sequence[tuple[Tensor, FillSpec]]) -> None:
    """Make each parameter's last fill, in order (its warnings were raised when the fill
    was recorded); a plain ``nn.Parameter``'s constant, normal, uniform or truncated
    normal fill by the tensor calls themselves, under one ``no_grad``."""
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        for p, spec in fills:
            if type(p) is nn.Parameter and not (
                spec.kind == "trunc_normal" and p.dtype in _LOW_PRECISION
            ):
                fill_plain(p, spec)
            else:
                _fill_once(p, spec)


def _fill_once(p: Tensor, spec: FillSpec) -> None:
    if spec.kind == "trunc_normal" and p.dtype in _LOW_PRECISION:
        scratch = torch.empty(p.shape, dtype=torch.float32, device=p.device)
        apply_fill(scratch, spec)
        with torch.no_grad():
            p.copy_(scratch)
    else:
        apply_fill(p, spec)


def _mark_uninitialised(root: nn.Module) -> None:
    for m in root.modules():
        if hasattr(m, "_is_init"):
            m._is_init = False  # type: ignore[assignment]


class _Step:
    """One recorded fill and the info of the check that saw it (``None``: not seen yet)."""

    __slots__ = ("info", "spec")

    def __init__(self, spec: FillSpec) -> None:
        self.spec = spec
        self.info: str | None = None


class FastInitEngine(InitEngine):
    """An :class:`InitEngine` that defers every fill and runs only the last per parameter.

    The checks that saw the skipped fills are replayed when the parameter is
    settled: a constant fill's mean is computed exactly (on a scratch tensor),
    a random fill's is taken to differ from every other mean.
    """

    #: its own steps are replayed over the table at settle: a check of a parameter
    #: without steps must be in the table by then
    defers_check_means = False

    def __init__(
        self,
        table: Any,
        meta_versions: dict[str, int] | None = None,
        root: nn.Module | None = None,
        observes: bool = True,
    ) -> None:
        super().__init__(table, root, observes)
        self._steps: dict[int, list[_Step]] = {}
        self._params: dict[int, Tensor] = {}  # the parameters with steps, by id
        self._written: set[int] = set()
        self._meta_versions = meta_versions
        #: the module whose next :meth:`foreign` block is a checkpoint load
        self._loader: nn.Module | None = None
        #: parameters with pending fills while a checkpoint loads, and their versions before
        self._loading: list[tuple[Tensor, int]] = []

    def before_write_only_code(self, module: nn.Module, params: list[Tensor] | None) -> None:
        """Leave pending fills in place across user code that only overwrites parameters.

        :meth:`wrote` then forgets the pending fills of parameters it overwrote (the
        version counter moved), so no fill lands on top of the user's values.
        """
        targets = self._targets(module, params)
        self._outside()  # (the user's code runs next: the tree as it was before it)
        pending = [p for p in targets if self._steps.get(id(p))]
        # the mean before the fills, for constants (what a later check compares with)
        self._ensure_baseline([p for p in pending if is_fixed(self._steps[id(p)][0].spec)])
        self._ensure_baseline([p for p in targets if not self._steps.get(id(p))])
        self._watch_versions(module, targets)

    def wrote(self, params: Sequence[Tensor]) -> None:
        self.drop([p for p in params if self._steps.get(id(p))])
        super().wrote(params)

    def before_initializer(self, module: nn.Module, initializer: object) -> None:
        self._outside()
        if isinstance(initializer, LoadsParameters):
            self._loader = module  # its foreign block watches what the load writes

    @contextlib.contextmanager
    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Iterator[None]:
        """As :meth:`InitEngine.foreign`; a checkpoint load keeps the pending fills.

        The checkpoint is read once, by the load itself: the parameters with pending
        fills are left unfilled while it runs, and those whose version counter it
        moved (it overwrote them) lose their pending fills (:meth:`wrote`) before the
        load's own check, so no fill is made of what the checkpoint holds.
        """
        if eager or self._loader is not module:
            with super().foreign(module, eager, what):
                yield
            return
        self._loader = None
        targets = self._tracked_params(module)
        self._outside()  # (the load runs next: the tree as it was before it)
        pending = [p for p in targets if self._steps.get(id(p))]
        # the mean before the fills, for constants (what a later check compares with)
        self._ensure_baseline([p for p in pending if is_fixed(self._steps[id(p)][0].spec)])
        rest = [p for p in targets if not self._steps.get(id(p))]
        self._ensure_baseline(rest)
        self.mark_all_written(rest)
        self._loading = [(p, p._version) for p in pending]
        try:
            yield
        finally:
            self._absorb_load()
            self._loading = []
            self._outside()
            self.foreign_wrote(module)

    def _absorb_load(self) -> None:
        """Forget the pending fills of what the running checkpoint load overwrote."""
        if not self._loading:
            return
        moved = [p for p, version in self._loading if p._version != version]
        if moved:
            self._loading = [(p, v) for p, v in self._loading if p._version == v]
            self.wrote(moved)

    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        for tensor, spec in items:  # no baselines up front: random fills don't need one
            if self.tracks(tensor):
                self.write(tensor, spec, info)
            else:
                apply_fill(tensor, spec)

    def write(self, p: Tensor, spec: FillSpec, info: str) -> None:
        # Validate now, as the fill would: same errors and warnings at the same point
        # (fan of a 1-D weight, an unknown nonlinearity, std=0, mean far from [a, b]).
        validate_fill(p, spec)
        self.defer(p, spec)

    def defer(self, p: Tensor, spec: FillSpec) -> None:
        """Record the fill ``spec`` of ``p`` (validated) as its latest."""
        self.defer_all(((p, spec),))

    def defer_all(self, fills: Sequence[tuple[Tensor, FillSpec]]) -> None:
        """:meth:`defer` each of ``fills`` (validated), in order, in one frame."""
        pending, dirty, known = self._steps, self._dirty, self._params
        for p, spec in fills:
            k = id(p)
            steps = pending.get(k)
            if steps is None:
                steps = pending[k] = []
                known[k] = p
            elif steps and steps[-1].info is None:
                steps.pop()  # overwritten before any check saw it
            steps.append(_Step(spec))
            dirty[k] = p  # (mark_written)

    def check(self, module: nn.Module, info: str) -> None:
        self._absorb_load()  # a checkpoint load checks right after it wrote
        params, known = self._params_of(module)
        rest = self.saw(params, info)
        self._check_params(module, rest, info, known)  # a parameter with steps is in the table

    def check_known(self, params: Sequence[Tensor], info: str) -> None:
        """:meth:`check` of a module whose parameters are ``params``, all in the table
        (a replayed check)."""
        rest = self.saw(params, info)
        if rest:
            self._check_params(self.root or nn.Module(), rest, info, known=True)

    def saw(self, params: Sequence[Tensor], info: str) -> list[Tensor]:
        """A check with ``info`` saw the latest recorded fill of each of ``params``
        that has one; returned: the others (no fill pending)."""
        rest = []
        pending, dirty = self._steps, self._dirty
        for p in params:
            steps = pending.get(id(p))
            if not steps:
                rest.append(p)
            elif steps[-1].info is None:
                steps[-1].info = info
                dirty.pop(id(p), None)  # (mark_checked)
        return rest

    @staticmethod
    def _fixed_steps(steps: list[_Step], final_mean: Any) -> list[int]:
        """The steps whose mean :meth:`_replay` takes from the fill's exact result."""
        last = len(steps) - 1
        return [
            i
            for i, step in enumerate(steps)
            if step.info is not None
            and not (i == last and final_mean is not None)
            and is_fixed(step.spec)
        ]

    def _replay(
        self,
        p: Tensor,
        steps: list[_Step],
        final_mean: Any,
        fixed_means: dict[int, Any] | None = None,
    ) -> None:
        """Apply the recorded checks to the table, as compat mode's would have gone.

        ``fixed_means``: the means of :meth:`_fixed_steps`, if computed already.
        """
        entry = self.table[p]
        if fixed_means is None:
            fixed = self._fixed_steps(steps, final_mean)
            fixed_means = dict(
                zip(fixed, self._means([fixed_result(p, steps[i].spec) for i in fixed]))
            )
        for i, step in enumerate(steps):
            if step.info is None:
                continue
            if i == len(steps) - 1 and final_mean is not None:
                mean = final_mean
            elif is_fixed(step.spec):  # a constant, or a fill whose draws cannot matter
                mean = fixed_means[i]
            else:
                mean = object()  # a random draw: equal to no other mean
            if mean != entry.get("tmp_mean_value", _UNKNOWN):
                entry["init_info"], entry["tmp_mean_value"] = step.info, mean
        tmp = entry.get("tmp_mean_value", _UNKNOWN)
        if tmp is not _UNKNOWN and not isinstance(tmp, (int, float, Tensor)):
            entry["tmp_mean_value"] = math.nan  # a random value: NaN equals no later mean

    def _seal(self, params: Sequence[Tensor]) -> None:
        self._apply_pending(params)
        self._ensure_baseline(params)

    def _seal_all(self) -> None:
        self._apply_pending(list(self._params.values()))

    def _apply_pending(self, params: Sequence[Tensor]) -> None:
        """Make the last pending fill of each of ``params`` and replay the checks that saw
        its fills over the table."""
        due = [p for p in params if self._steps.get(id(p))]
        self._written.update(id(p) for p in due)
        if not self.observes:  # nobody sees the strings: the last fill, no replay
            _apply_last([(p, self._steps.pop(id(p))[-1].spec) for p in due])
            return
        # A constant may leave the mean where it was (BatchNorm's ones filled with 1):
        # then the mean before matters.  A random first fill changes it anyway.
        self._ensure_baseline([p for p in due if is_fixed(self._steps[id(p)][0].spec)])
        _apply_last([(p, self._steps[id(p)][-1].spec) for p in due])
        # every mean the replays need, in one batch (one host transfer on a GPU); each
        # scratch tensor is freed once its mean is taken
        fixed = [(p, i) for p in due for i in self._fixed_steps(self._steps[id(p)], True)]
        means = self._host_means(
            [p.detach().mean() for p in due]
            + [fixed_result(p, self._steps[id(p)][i].spec).detach().mean() for p, i in fixed]
        )
        fixed_means: dict[int, dict[int, Any]] = {id(p): {} for p in due}
        for (p, i), mean in zip(fixed, means[len(due) :]):
            fixed_means[id(p)][i] = mean
        for p, mean in zip(due, means):
            steps = self._steps.pop(id(p))
            self._replay(p, steps, mean, fixed_means[id(p)])
            # a final fill no check saw yet stays dirty for the next check
            if steps[-1].info is None:
                self.mark_written(p)
            else:
                self.mark_checked(p)

    def drop(self, params: Sequence[Tensor]) -> None:
        """Forget the pending fills of ``params`` (a checkpoint is about to load them)."""
        for p in params:
            steps = self._steps.pop(id(p), None)
            if steps:
                self._written.add(id(p))
                if not self.observes:
                    continue
                self._ensure_baseline([p] if is_fixed(steps[0].spec) else [])
                last = steps[-1]
                final = None
                if not is_fixed(last.spec):
                    final = object()
                self._replay(p, steps, final)

    def finish(self, keep_table: bool = False) -> None:
        root = self.root
        if self._failed and self._meta_versions is not None and root is not None:
            self._revert_meta(root)
            return
        try:
            super().finish(keep_table)
        except BaseException:
            # a deferred fill failed after init_weights had marked modules initialised
            if root is not None:
                if self._meta_versions is not None:
                    self._revert_meta(root)
                else:
                    _mark_uninitialised(root)
            raise
        if root is not None and not self._failed:
            self.report_undriven(root)
            self.report_uncovered(root)

    @staticmethod
    def _revert_meta(root: nn.Module) -> None:
        """A failed init of a meta-device model: hand back no uninitialised memory.

        The model goes back to the meta device, as it was before the call, with
        no module marked initialised and no leftover bookkeeping, so a retry
        starts afresh.
        """
        root.to_empty(device="meta")
        _mark_uninitialised(root)
        for m in root.modules():
            if "_params_init_info" in m.__dict__:
                del m._params_init_info

    def report_undriven(self, root: nn.Module) -> None:
        """Warn once, naming each module fast mode could not drive and what ran instead."""
        if not self.undriven:
            return
        names = {id(m): name for name, m in root.named_modules()}
        listed = "; ".join(
            f"{names.get(id(m), '?') or '(root)'} ({type(m).__name__}: {what})"
            for m, what in self.undriven
        )
        warnings.warn(
            f"mode='fast' could not drive {len(self.undriven)} module(s) of {type(root).__name__}; "
            f"upstream's own init_weights ran for them with its literal sequence of fills "
            f"(mode='eager' values): {listed}. mminit.init_weights(model, mode='fast') or "
            "mminit.route(model) lets mminit drive upstream BaseModules.",
            FastModeWarning,
            stacklevel=5,  # via finish, _InitRun.__exit__, run_init_weights: BaseModule.init_weights
        )

    def report_uncovered(self, root: nn.Module) -> None:
        """Warn about meta-materialised tensors that nothing wrote."""
        if self._meta_versions is None:
            return
        untouched = [
            name
            for name, t in _named_tensors(root)
            if t._version == self._meta_versions.get(name) and id(t) not in self._written
        ]
        if untouched:
            warnings.warn(
                f"fast init materialised {type(root).__name__} from the meta device; "
                f"{len(untouched)} tensor(s) were written by no initializer and hold "
                f"uninitialised memory: {', '.join(untouched)}",
                UncoveredWarning,
                stacklevel=4,  # via finish and _InitRun.__exit__: run_init_weights
            )


_ENGINE_CLASS: ContextVar[type[FastInitEngine]] = ContextVar(
    "mminit_fast_engine_class", default=FastInitEngine
)


def fast_engine_class() -> type[FastInitEngine]:
    """The engine class a fast-mode ``init_weights`` starts (``mminit.explain`` records with a subclass)."""
    return _ENGINE_CLASS.get()


@contextlib.contextmanager
def using_fast_engine(cls: type[FastInitEngine]) -> Iterator[None]:
    """Inside the block, fast-mode inits run ``cls`` (a :class:`FastInitEngine` subclass)."""
    token = _ENGINE_CLASS.set(cls)
    try:
        yield
    finally:
        _ENGINE_CLASS.reset(token)
