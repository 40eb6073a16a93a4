"""The contenders, built once per model and run on demand.

* ``mmengine``: ``init_weights()`` of the model built on mmengine's classes.
* ``mminit``: ``init_weights()`` (default, bit-identical mode) of the model
  built on mminit's classes.
* ``mminit-seen``: as ``mminit`` with the init-info dump's loggers enabled for
  INFO (the records are made and dropped by the handlers' WARNING level), so
  the engine takes the means the strings need; ``mminit`` runs with the
  benchmark's quiet loggers, where nobody can see the dump and it takes none.
* ``mminit-cold`` / ``mminit-seen-cold``: as ``mminit`` / ``mminit-seen`` with the
  plan cache emptied first (``mminit.clear_plan_cache``): the first init of an
  architecture, planning included; ``mminit`` and ``mminit-seen`` are the later
  ones (the benchmark makes one untimed init first, so every timed one is cached).
* ``mminit-fast``: ``init_weights(mode="fast")`` on the same model, where
  mminit's ``BaseModule.init_weights`` accepts ``mode`` (a later fast init: it replays
  the fast plan); ``mminit-fast-cold``: the same with the plan cache emptied first.
* ``floor`` / ``replay`` / ``ceiling``: the references of ``plan.py`` on the
  mminit-built model (the mmengine-built one when mminit is unusable).

The ``upstream`` model is only ever written by mmengine, so the ``work``
model can be compared with it after each contender.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import torch
from torch import nn

from .measure import available_libs, dump_seen, fast_mode_supported, reset_init_flags
from .models import build_model, load_lib
from .plan import ceiling, final_fills, floor, init_plan, replay

__all__ = ["VARIANTS", "ModelBench", "state_mismatches"]

VARIANTS: tuple[str, ...] = (
    "mmengine",
    "mminit",
    "mminit-seen",
    "mminit-cold",
    "mminit-seen-cold",
    "mminit-fast",
    "mminit-fast-cold",
    "floor",
    "replay",
    "ceiling",
)


def state_mismatches(a: nn.Module, b: nn.Module) -> list[str]:
    """Names of the state entries (parameters and buffers) that differ bit-wise."""
    sa, sb = a.state_dict(), b.state_dict()
    if list(sa) != list(sb):
        return ["<state_dict keys differ>"]
    return [k for k in sa if not torch.equal(sa[k], sb[k])]


class ModelBench:
    """One model family at one size, built for the requested contenders."""

    def __init__(
        self, family: str, size: str, device: torch.device, wanted: tuple[str, ...]
    ) -> None:
        unknown = set(wanted) - set(VARIANTS)
        if unknown:
            raise ValueError(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
        libs = available_libs()
        self.notes: list[str] = []
        variants = list(wanted)
        if libs["mmengine"] and "mmengine" in variants:
            self.notes.append(f"skipping mmengine: {libs['mmengine']}")
            variants.remove("mmengine")
        if libs["mminit"]:
            for v in [v for v in variants if v.startswith("mminit")]:
                self.notes.append(f"skipping {v}: {libs['mminit']}")
                variants.remove(v)
        elif not fast_mode_supported(load_lib("mminit").BaseModule):
            for v in ("mminit-fast", "mminit-fast-cold"):
                if v in variants:
                    self.notes.append(
                        f"skipping {v}: mminit.BaseModule.init_weights takes no `mode` keyword"
                    )
                    variants.remove(v)
        self.variants = tuple(variants)

        self.upstream: nn.Module | None = None
        if "mmengine" in self.variants:
            self.upstream = build_model(family, load_lib("mmengine"), size).to(device)
        self.work: nn.Module | None = None
        if set(self.variants) - {"mmengine"}:
            work_lib = "mminit" if libs["mminit"] is None else "mmengine"
            self.work = build_model(family, load_lib(work_lib), size).to(device)
        self._plan = init_plan(self.work) if self.work is not None else []
        self._finals = final_fills(self._plan)
        self._runners: dict[str, Callable[[], None]] = {
            "mmengine": self._init_weights(self.upstream),
            "mminit": self._init_weights(self.work),
            "mminit-seen": self._seen(self._init_weights(self.work)),
            "mminit-cold": self._cold(self._init_weights(self.work)),
            "mminit-seen-cold": self._cold(self._seen(self._init_weights(self.work))),
            "mminit-fast": self._init_weights(self.work, mode="fast"),
            "mminit-fast-cold": self._cold(self._init_weights(self.work, mode="fast")),
            "floor": lambda: floor(self._finals),
            "replay": lambda: replay(self._plan),
            "ceiling": lambda: ceiling(self._plan, self._finals),
        }

    @property
    def plan(self) -> list:  # type: ignore[type-arg]
        return self._plan

    @staticmethod
    def _init_weights(model: nn.Module | None, **kwargs: str) -> Callable[[], None]:
        def run() -> None:
            assert model is not None
            reset_init_flags(model)
            model.init_weights(**kwargs)  # type: ignore[operator]

        return run

    def warm(self) -> None:
        """One untimed init of each cached contender, so that its plan is in the cache."""
        for v in ("mminit", "mminit-seen", "mminit-fast"):
            if v in self.variants:
                self._runners[v]()

    @staticmethod
    def _cold(run: Callable[[], None]) -> Callable[[], None]:
        """``run`` as the first init of its architecture: with an empty plan cache, and
        the cache as it was afterwards (the cached contenders keep their plans)."""
        engine = importlib.import_module("mminit._engine")
        isolated = getattr(getattr(engine, "plan_cache", None), "isolated", None)

        def cold() -> None:
            if isolated is None:  # an engine without plans: every init is a first one
                run()
                return
            with isolated():
                run()

        return cold

    @staticmethod
    def _seen(run: Callable[[], None]) -> Callable[[], None]:
        def seen() -> None:
            with dump_seen():
                run()

        return seen

    def runner(self, variant: str) -> Callable[[], None]:
        """The zero-argument callable that performs ``variant`` once."""
        if variant not in self.variants:
            raise ValueError(
                f"variant {variant!r} is not available here; have {list(self.variants)}"
            )
        return self._runners[variant]

    def work_matches_upstream(self) -> list[str]:
        """State entries where the work model differs from the mmengine-built one."""
        if self.upstream is None or self.work is None:
            return []
        return state_mismatches(self.upstream, self.work)

    def release(self) -> None:
        self.upstream = self.work = None
        self._plan, self._finals = [], []
        self._runners.clear()
