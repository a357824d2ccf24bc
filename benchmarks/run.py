"""Time eagertorch against hand-written numpy and PyTorch, side by side in one process.

    python benchmarks/run.py                      # every workload
    python benchmarks/run.py W1 I1 --repeat 21    # some, with more samples
    python benchmarks/run.py --quick              # tiny sizes, few samples: a smoke run
    python benchmarks/run.py --json results.json  # also dump every sample

See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import platform
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` and `eagertorch` importable
    sys.path.insert(0, str(REPO))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*", metavar="ID", help="workload ids (default: all)")
    p.add_argument(
        "--repeat",
        type=int,
        help="timed samples per implementation (default: per workload, 15; I1: 7)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, 3 short samples: checks that everything runs",
    )
    p.add_argument("--json", metavar="PATH", help="write all results and samples to PATH")
    p.add_argument(
        "--impls",
        help="comma-separated implementations to run "
        "(default: numpy,eagertorch,torch and python for I1)",
    )
    p.add_argument(
        "--sample-time",
        type=float,
        default=0.1,
        metavar="S",
        help="target seconds per timed sample (default 0.1)",
    )
    p.add_argument(
        "--settle",
        type=float,
        default=0.2,
        metavar="S",
        help="seconds to sleep before each sample, so the previous library's BLAS/OpenMP "
        "threads stop spinning (default 0.2)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=2,
        help="BLAS threads for numpy (set before it loads) and torch (default 2)",
    )
    return p.parse_args(argv)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.1f}"
    if value >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


def target_line(result) -> str | None:
    from benchmarks.timing import scaled, unit_label

    w = result.workload
    if w.target is None:
        return None
    outcome = w.target.evaluate(result.medians)
    if outcome is None:
        who = w.target.baseline or "eagertorch"
        why = result.skipped.get(who, "not run")
        return f"target: {w.target.describe(w.unit)}: n/a ({who} {why})"
    value, passed = outcome
    shown = (
        f"{_fmt(scaled(value, w.unit))} {unit_label(w.unit)}"
        if w.target.baseline is None
        else f"{value:.2f}x"
    )
    return f"target: {w.target.describe(w.unit)}: {shown}  {'PASS' if passed else 'FAIL'}"


def format_table(result) -> str:
    """One workload's results as a text table."""
    from benchmarks.timing import scaled, unit_label

    w = result.workload
    medians = result.medians
    header = ["implementation", f"median {unit_label(w.unit)}", f"min {unit_label(w.unit)}"]
    if w.flops:
        header.append("GFLOP/s")
    header += ["x numpy", "x torch"]
    rows = []
    for name, t in result.timings.items():
        row = [name, _fmt(scaled(t.median, w.unit)), _fmt(scaled(t.min, w.unit))]
        if w.flops:
            row.append(f"{w.flops(result.data) / t.median / 1e9:.1f}")
        for base in ("numpy", "torch"):
            row.append(f"{t.median / medians[base]:.2f}" if base in medians else "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  " + "  ".join(
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        )

    inner = sorted({t.inner for t in result.timings.values()})
    n = len(next(iter(result.timings.values())).samples) if result.timings else 0
    each = (
        "one run each"
        if inner == [1]
        else f"each the mean of {'/'.join(map(str, inner))} iterations"
    )
    out = [
        f"{w.id}  {w.title}",
        f"  ({unit_label(w.unit)} per iteration; median and min of {n} interleaved samples, "
        f"{each})",
        line(header),
        *(line(r) for r in rows),
    ]
    out += [f"  {name}: skipped ({why})" for name, why in result.skipped.items()]
    tl = target_line(result)
    if tl:
        out.append("  " + tl)
    return "\n".join(out)


def to_json(result) -> dict:
    w = result.workload
    medians = result.medians
    entry = {"title": w.title, "unit": w.unit, "implementations": {}, "skipped": result.skipped}
    for name, t in result.timings.items():
        item = {"median_s": t.median, "min_s": t.min, "samples_s": t.samples, "inner": t.inner}
        for base in ("numpy", "torch"):
            if base in medians:
                item[f"x_{base}"] = t.median / medians[base]
        if w.flops:
            item["gflops"] = w.flops(result.data) / t.median / 1e9
        entry["implementations"][name] = item
    if w.target:
        outcome = w.target.evaluate(medians)
        entry["target"] = {
            "goal": w.target.describe(w.unit),
            "value": None if outcome is None else outcome[0],
            "passed": None if outcome is None else outcome[1],
        }
    return entry


def environment(threads: int) -> dict:
    import numpy as np

    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "threads": threads,
    }
    with contextlib.suppress(AttributeError, KeyError, TypeError):
        env["blas"] = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    try:
        import torch

        env["torch"] = torch.__version__
    except ImportError:
        env["torch"] = None
    return env


def main(argv=None) -> int:
    args = parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before numpy loads its BLAS

    from benchmarks import timing
    from benchmarks.workloads import WORKLOADS

    timing.TORCH_THREADS = args.threads
    by_upper = {w.upper(): w for w in WORKLOADS}  # "w6a" or "W6A" both name W6a
    wanted = [by_upper.get(w.upper(), w) for w in args.workloads] or list(WORKLOADS)
    unknown = [w for w in wanted if w not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; available: {list(WORKLOADS)}", file=sys.stderr)
        return 2
    impls = set(args.impls.split(",")) if args.impls else None
    repeat = args.repeat or (3 if args.quick else None)
    sample_time = args.sample_time / 20 if args.quick else args.sample_time
    warmup_time = 0.0 if args.quick else 0.2
    settle = 0.0 if args.quick else args.settle

    env = environment(args.threads)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"eagertorch benchmarks: python {env['python']}, numpy {env['numpy']} "
        f"({env.get('blas', '?')}), torch {env['torch'] or 'not installed'}, "
        f"{env['cpus']} CPUs, {args.threads} BLAS/torch threads"
        + (", QUICK (tiny sizes)" if args.quick else "")
    )
    if load_before is not None:
        print(f"load average at start: {load_before:.2f}")
    print(flush=True)

    results = {}
    for wid in wanted:
        w = WORKLOADS[wid]
        print(f"running {wid} ...", file=sys.stderr, flush=True)
        try:
            result = timing.measure(
                w,
                quick=args.quick,
                repeat=repeat,
                sample_time=sample_time,
                warmup_time=warmup_time,
                settle=settle,
                impls=impls,
            )
        except (timing.MismatchError, RuntimeError) as exc:
            print(f"\nABORTED: {exc}", file=sys.stderr)
            if exc.__cause__ is not None:
                print(f"  caused by {exc.__cause__!r}", file=sys.stderr)
            return 1
        results[wid] = result
        print(format_table(result), end="\n\n", flush=True)

    print("targets:")
    for wid, result in results.items():
        tl = target_line(result)
        if tl:
            print(f"  {wid}  {tl.removeprefix('target: ')}")
    if load_before is not None:
        print(f"load average at start {load_before:.2f}, at end {os.getloadavg()[0]:.2f}")

    if args.json:
        doc = {
            "environment": env,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "quick": args.quick,
            "workloads": {wid: to_json(r) for wid, r in results.items()},
        }
        pathlib.Path(args.json).write_text(json.dumps(doc, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
