"""Shared machinery of every workload: how one is described, the first-step agreement check,
and interleaved timing.

A workload is a table ``{implementation name: make(lib, data) -> Case}``. ``make`` builds
everything once, from the arrays in ``data`` that every implementation shares, and returns a
``Case``: ``step()`` runs one full iteration and returns its loss; ``grads()`` returns the
gradients of the last iteration as numpy arrays, by name. The framework implementations are
one function written against the PyTorch API and run twice, with ``lib`` = eagertorch and
with ``lib`` = torch, so both run literally the same user code.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter, sleep
from typing import Any, NamedTuple

import numpy as np

REFERENCE = "numpy"  # the implementation every other one is checked against
TORCH_THREADS = 2
UNITS = {"us": (1e6, "µs"), "ms": (1e3, "ms"), "s": (1.0, "s")}


def scaled(seconds: float, unit: str) -> float:
    return seconds * UNITS[unit][0]


def unit_label(unit: str) -> str:
    return UNITS[unit][1]


class Case(NamedTuple):
    step: Callable[[], Any]
    grads: Callable[[], dict[str, np.ndarray | None]] | None = None


class MismatchError(AssertionError):
    """Implementations of one workload disagree on the first step's loss or gradients."""


@dataclass(frozen=True)
class Target:
    """The goal for eagertorch: ``time <= limit x baseline``, or ``time < limit`` seconds
    when ``baseline`` is None."""

    limit: float
    baseline: str | None = None

    def describe(self, unit: str) -> str:
        if self.baseline is None:
            return f"eagertorch < {scaled(self.limit, unit):g} {unit_label(unit)}"
        return f"eagertorch <= {self.limit:g}x {self.baseline}"

    def evaluate(self, medians: dict[str, float]) -> tuple[float, bool] | None:
        """(measured time in seconds or ratio, passed); None when a needed run is missing."""
        if "eagertorch" not in medians:
            return None
        mine = medians["eagertorch"]
        if self.baseline is None:
            return mine, mine < self.limit
        if self.baseline not in medians:
            return None
        ratio = mine / medians[self.baseline]
        return ratio, ratio <= self.limit


@dataclass
class Workload:
    id: str
    title: str
    unit: str  # "us", "ms" or "s": how its times are shown
    make_data: Callable[[bool], dict]  # quick -> arrays shared by every implementation
    impls: dict[str, Callable[[Any, dict], Case]]
    target: Target | None = None
    flops: Callable[[dict], float] | None = None  # per iteration: adds a GFLOP/s column
    check: bool = True  # compare first-step losses and gradients before timing
    repeat: int = 15  # default number of timed samples per implementation
    inner: int | None = None  # calls per sample; None: calibrated to the sample time
    loss_rtol: float = 1e-4
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-5  # times the largest magnitude in the reference gradient


@dataclass
class Timing:
    samples: list[float]  # seconds per iteration, one per repeat
    inner: int  # iterations per sample

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)


@dataclass
class WorkloadResult:
    workload: Workload
    data: dict
    timings: dict[str, Timing] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # implementation -> why

    @property
    def medians(self) -> dict[str, float]:
        return {name: t.median for name, t in self.timings.items()}


def load(name: str):
    """The module an implementation runs on, or None when it is not installed."""
    if name == "torch":
        try:
            import torch
        except ImportError:
            return None
        torch.set_num_threads(TORCH_THREADS)
        return torch
    if name == "python":
        return sys
    return importlib.import_module(name)


def framework_grads(**tensors) -> Callable[[], dict[str, np.ndarray | None]]:
    """``grads`` for an eagertorch/torch Case: the ``.grad`` of each named tensor."""

    def grads():
        return {
            name: None if t.grad is None else t.grad.detach().numpy() for name, t in tensors.items()
        }

    return grads


def check_agreement(workload: Workload, first: dict[str, tuple[float, dict]]) -> None:
    """Raise MismatchError unless every implementation's first-step loss is within
    ``loss_rtol`` of the reference's and its gradients are allclose, same shape and dtype."""
    ref_name = REFERENCE if REFERENCE in first else next(iter(first))
    ref_loss, ref_grads = first[ref_name]
    problems = []
    for name, (loss, grads) in first.items():
        if name == ref_name:
            continue
        if not abs(loss - ref_loss) <= workload.loss_rtol * abs(ref_loss):
            rel = abs(loss - ref_loss) / abs(ref_loss) if ref_loss else float("inf")
            problems.append(
                f"{name} loss {loss!r} vs {ref_name} {ref_loss!r}: relative difference "
                f"{rel:.2e} > {workload.loss_rtol:g}"
            )
        if set(grads) != set(ref_grads):
            problems.append(
                f"{name} gives gradients {sorted(grads)}, {ref_name} {sorted(ref_grads)}"
            )
        for key, ref in ref_grads.items():
            got = grads.get(key)
            if got is None:
                problems.append(f"{name} has no gradient for {key}")
                continue
            got = np.asarray(got)
            if got.shape != ref.shape or got.dtype != ref.dtype:
                problems.append(
                    f"{name} grad {key} is {got.dtype}{list(got.shape)}, "
                    f"{ref_name} {ref.dtype}{list(ref.shape)}"
                )
                continue
            atol = workload.grad_atol * float(np.abs(ref).max(initial=0.0))
            if not np.allclose(got, ref, rtol=workload.grad_rtol, atol=atol):
                err = float(np.abs(got.astype(np.float64) - ref).max())
                problems.append(
                    f"{name} grad {key} differs from {ref_name}: max abs difference {err:.3g} "
                    f"(rtol {workload.grad_rtol:g}, atol {atol:.3g})"
                )
    if problems:
        raise MismatchError(
            f"{workload.id}: implementations disagree on the first step:\n  "
            + "\n  ".join(problems)
        )


def _calibrate(step: Callable, warmup_time: float, sample_time: float) -> int:
    """Warm ``step`` up (at least 2 calls and ``warmup_time`` seconds); return how many calls
    make one sample of about ``sample_time`` seconds."""
    times = []
    start = perf_counter()
    while len(times) < 2 or perf_counter() - start < warmup_time:
        t0 = perf_counter()
        step()
        times.append(perf_counter() - t0)
    per_call = statistics.median(times[len(times) // 2 :])
    return max(1, round(sample_time / per_call))


def _sample(step: Callable, n: int) -> float:
    t0 = perf_counter()
    for _ in itertools.repeat(None, n):
        step()
    return (perf_counter() - t0) / n


def measure(
    workload: Workload,
    *,
    quick: bool = False,
    repeat: int | None = None,
    sample_time: float = 0.1,
    warmup_time: float = 0.2,
    settle: float = 0.2,
    impls: set[str] | None = None,
) -> WorkloadResult:
    """Check, warm up, then time every available implementation of ``workload``,
    interleaved: each repeat times every implementation once, in a rotating order, so that
    background load falls on all of them alike.

    Before each warm-up and each sample the process sleeps ``settle`` seconds, so the worker
    threads of the library timed before (OpenBLAS's, PyTorch's OpenMP pool) stop spinning
    and do not steal the cores of the next one: on 2 cores that alone can triple a time."""
    data = workload.make_data(quick)
    result = WorkloadResult(workload, data)
    cases = {}
    for name, make in workload.impls.items():
        if impls is not None and name not in impls:
            continue
        lib = load(name)
        if lib is None:
            result.skipped[name] = "not installed"
            continue
        try:
            cases[name] = make(lib, data)
        except Exception as exc:
            raise RuntimeError(f"{workload.id}: {name} failed to set up: {exc!r}") from exc

    if workload.check:
        first = {}
        for name, case in cases.items():
            try:
                loss = case.step()
                loss = loss.detach() if hasattr(loss, "detach") else loss
                first[name] = (float(loss), case.grads())
            except Exception as exc:
                raise RuntimeError(
                    f"{workload.id}: {name} failed on the first step: {exc!r}"
                ) from exc
        check_agreement(workload, first)

    gc.collect()
    inner = {}
    for name, case in cases.items():
        sleep(settle)
        if workload.inner:  # fixed-size samples still get one warm-up call
            case.step()
            inner[name] = workload.inner
        else:
            inner[name] = _calibrate(case.step, warmup_time, sample_time)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(repeat or workload.repeat):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            sleep(settle)
            samples[name].append(_sample(cases[name].step, inner[name]))
    result.timings = {name: Timing(samples[name], inner[name]) for name in names}
    return result
