"""Printing the benchmark's results: per model, a summary table, the performance goals."""

from __future__ import annotations

from typing import Any

__all__ = ["format_seconds", "print_goals", "print_model", "print_summary"]

COLUMNS = (
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
RATIO_COLUMNS = (
    "mmengine/mminit",
    "mmengine/seen",
    "mmengine/cold",
    "mmengine/seen-cold",
    "mminit/floor",
    "fast/floor",
    "mmengine/fast",
    "mmengine/fast-cold",
    "mmengine/floor",
    "mmengine/replay",
    "mmengine/ceiling",
)


def format_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def _params(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.2f} B"
    if n >= 1e6:
        return f"{n / 1e6:.1f} M"
    return f"{n / 1e3:.1f} k"


def print_model(res: dict[str, Any]) -> None:
    print(f"  params: {_params(res['params'])}")
    plan = res.get("plan")
    if plan:
        print(
            f"  upstream plan: {plan['fills']} fills, {plan['surviving']} survive; overwritten: "
            f"{plan['overwritten_random']} random, {plan['overwritten_constant']} constant; "
            f"{plan['params_covered']}/{plan['params_total']} parameters written"
        )
    mem = res.get("memory", {})
    for v, t in res["times_s"].items():
        times = " ".join(format_seconds(x) for x in t)
        line = (
            f"  {v:<12} median {format_seconds(res['median_s'][v]):>9}"
            f"  min {format_seconds(res['min_s'][v]):>9}   [{times}]"
        )
        m = mem.get(v)
        if m and "extra_mib" in m:
            line += f"   peak +{m['extra_mib']:.1f} MiB"
        elif m:
            line += f"   memory: {m.get('error') or m.get('skipped')}"
        print(line)
    for name, r in res["ratios"].items():
        print(f"  {name:<16} {r:.2f}x")
    checks = res["bit_identical_checks"]
    if checks:
        status = "MISMATCH" if res["mismatches"] else "all bit-identical"
        print(f"  bit-identity vs mmengine: {checks} checks, {status}")


def print_summary(results: dict[str, Any]) -> None:
    models = results["models"]
    if models:
        print("\n## Medians (s) and median per-repetition ratios")
        head = ["model", "params", *COLUMNS, *RATIO_COLUMNS, "peak extra MiB (init / fast / floor)"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for res in models:
            med, rat, mem = res["median_s"], res["ratios"], res.get("memory", {})
            cells = [res["label"], _params(res["params"])]
            cells += [format_seconds(med.get(v)) for v in COLUMNS]
            cells += [f"{rat[r]:.2f}x" if r in rat else "-" for r in RATIO_COLUMNS]
            peaks = [mem.get(v, {}).get("extra_mib") for v in ("mminit", "mminit-fast", "floor")]
            cells.append(" / ".join("-" if p is None else f"{p:.1f}" for p in peaks))
            print("| " + " | ".join(cells) + " |")
    imports = results.get("imports")
    if imports:
        print("\n## Import cost (fresh interpreter, medians)")
        for label, r in imports.items():
            if "error" in r:
                print(f"  {label}: failed: {r['error']}")
                continue
            what = "import torch" if label == "torch" else f"adds to import torch: {label}"
            secs = r["torch_s"] if label == "torch" else r["extra_s"]
            print(
                f"  {what:<40} {secs * 1000:7.0f} ms, +{r['extra_modules']:.0f} modules; "
                f"loaded afterwards: torch.distributed={r['torch.distributed']}, sympy={r['sympy']}"
            )


def _goal(text: str, ok: bool | None, detail: str) -> None:
    mark = "n/a " if ok is None else ("PASS" if ok else "MISS")
    print(f"  [{mark}] {text}: {detail}")


def print_goals(results: dict[str, Any]) -> None:
    """Check the performance goals against what this run measured (full-size models only)."""
    meta = results["meta"]
    by_model = {m["model"]: m for m in results["models"] if m["size"] == "full"}
    print(
        "\n## Performance goals"
        + ("" if meta["size"] == "full" else " (small configs: not meaningful)")
    )
    cuda = meta["device"].startswith("cuda")
    busy = meta["busy_neighbour"]
    need = {"resnet50": 1.3, "vit-l": 1.5, "tx-1b": 1.5}
    if cuda:
        need = {"vit-l": 10.0}
    for fam, x in need.items():
        r = by_model.get(fam, {}).get("ratios", {}).get("mmengine/mminit")
        ok = None if r is None else r >= (1.0 if busy else x)
        want = (
            "no slower than mmengine (busy neighbour)" if busy else f">= {x}x faster than mmengine"
        )
        _goal(f"compat mode on {fam}: {want}", ok, "not measured" if r is None else f"{r:.3f}x")
    if not cuda:
        for ratio, x, what in (
            ("mmengine/mminit", 6.0, "compat mode, plan cached"),
            ("mmengine/cold", 4.0, "compat mode, first init (cold cache)"),
            ("mmengine/fast", 8.0, "fast mode, plan cached"),
        ):
            r = by_model.get("vit-l-overhead", {}).get("ratios", {}).get(ratio)
            _goal(
                f"{what} on vit-l-overhead: >= {x}x faster than mmengine",
                None if r is None else r >= (1.0 if busy else x),
                "not measured" if r is None else f"{r:.3f}x",
            )
    for fam, m in by_model.items():
        r = m["ratios"].get("fast/floor")
        _goal(
            f"fast mode on {fam} within 1.15x of floor",
            None if r is None else r <= 1.15,
            "not measured" if r is None else f"{r:.3f}x",
        )
    imp = (results.get("imports") or {}).get("mminit")
    if imp and "error" not in imp:
        _goal(
            "import mminit adds < 0.1 s to import torch",
            imp["extra_s"] < 0.1,
            f"{imp['extra_s'] * 1000:.0f} ms",
        )
        torch_alone = results["imports"]["torch"]
        for mod in ("torch.distributed", "sympy"):
            if torch_alone[mod]:
                _goal(
                    f"import mminit pulls in no {mod}", None, "import torch alone already loads it"
                )
            else:
                _goal(f"import mminit pulls in no {mod}", not imp[mod], f"loaded={imp[mod]}")
    else:
        _goal("import mminit adds < 0.1 s", None, "not measured")
    mem = by_model.get("tx-1b", {}).get("memory", {})
    init_peak = mem.get("mminit", {}).get("extra_mib")
    floor_peak = mem.get("floor", {}).get("extra_mib")
    if init_peak is not None and floor_peak is not None:
        _goal(
            "peak memory of init_weights within floor + 16 MiB on tx-1b",
            init_peak <= floor_peak + 16,
            f"init +{init_peak:.1f} MiB vs floor +{floor_peak:.1f} MiB",
        )
    else:
        _goal("peak memory of init_weights within floor + 16 MiB on tx-1b", None, "not measured")


def main(argv: list[str] | None = None) -> int:
    """Reprint the summary and goals of saved ``--json`` results, merged in order."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=main.__doc__)
    parser.add_argument("results", nargs="+", help="JSON files written by `benchmarks.run --json`")
    args = parser.parse_args(argv)
    merged: dict[str, Any] = {"meta": None, "models": [], "imports": None}
    for path in args.results:
        with open(path) as f:
            data = json.load(f)
        merged["meta"] = merged["meta"] or data["meta"]
        merged["models"] += data["models"]
        merged["imports"] = merged["imports"] or data.get("imports")
    print_summary(merged)
    print_goals(merged)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
