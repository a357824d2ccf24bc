"""Anomaly detection: remember where each node was made, and stop at the first NaN/Inf.

Under ``detect_anomaly()`` every recorded op keeps the user's line that called it (and the
stack), and the values that ``raise_on`` names (``"nan"``, ``"inf"``) are looked for in
every recorded op's forward output and every node's backward output, double backward
included: the error names the op and the user's line that created it.
"""

from __future__ import annotations

import functools
import sys
import traceback

from .._backend.device import array_module
from .sites import _PKG, format_site, user_site

__all__ = ["detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly"]

_KINDS = frozenset({"nan", "inf"})


class _AnomalyState:
    enabled = False
    check_nan = True
    raise_on = frozenset({"nan"})
    current = None  # the node whose backward is running (nodes made meanwhile point to it)


state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    return state.enabled


def _raise_on(check_nan: bool, raise_on) -> frozenset:
    if raise_on is None:
        return frozenset({"nan"}) if check_nan else frozenset()
    kinds = frozenset({raise_on} if isinstance(raise_on, str) else raise_on)
    if not kinds <= _KINDS:
        raise ValueError(f"raise_on accepts 'nan' and 'inf', got {sorted(kinds - _KINDS)}")
    return kinds


def _set(enabled: bool, check_nan: bool, raise_on: frozenset) -> None:
    state.enabled = enabled
    state.check_nan = check_nan
    state.raise_on = raise_on


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once, and restored on ``with`` exit).

    ``raise_on``: which non-finite values stop the program, a subset of ``{"nan", "inf"}``
    (like ``numpy.seterr``); by default ``{"nan"}`` when ``check_nan`` is true.
    """

    def __init__(self, mode: bool = True, check_nan: bool = True, *, raise_on=None) -> None:
        kinds = _raise_on(check_nan, raise_on)
        self._prev = (state.enabled, state.check_nan, state.raise_on)
        _set(bool(mode), bool(kinds), kinds)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _set(*self._prev)


class detect_anomaly:
    """Record where each node was made and raise at the first NaN (``raise_on``: also Inf)."""

    def __init__(self, check_nan: bool = True, *, raise_on=None) -> None:
        self._kinds = _raise_on(check_nan, raise_on)

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.check_nan, state.raise_on)
        _set(True, bool(self._kinds), self._kinds)

    def __exit__(self, *exc) -> None:
        _set(*self._prev)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(raise_on=self._kinds):
                return func(*args, **kwargs)

        return wrapper


def _nonfinite(arr, kinds: frozenset):
    """``"nan"`` or ``"inf"`` if ``arr`` holds such values (of those in ``kinds``), else None."""
    if getattr(arr, "dtype", None) is None or arr.dtype.kind != "f":
        return None
    xp = array_module(arr)
    if "nan" in kinds and bool(xp.isnan(arr).any()):
        return "nan"
    if "inf" in kinds and bool(xp.isinf(arr).any()):
        return "inf"
    return None


def record_forward(node, outputs, inputs, known: int) -> None:
    """Remember where ``node`` was made; raise if its forward produced NaN/Inf."""
    node._site = user_site(known + 1)
    node._trace = _user_stack()
    node._parent = state.current
    kinds = state.raise_on
    if not kinds:
        return
    for i, out in enumerate(outputs):
        bad = _nonfinite(out, kinds)
        if bad is not None:
            upstream = [
                j
                for j, a in enumerate(inputs)
                if _nonfinite(getattr(a, "_data", a), frozenset({bad})) is not None
            ]
            note = (
                f"\nIts input {upstream[0]} already held {bad} values, made by a computation "
                "that was not recorded (no input required grad)."
                if upstream
                else ""
            )
            raise RuntimeError(
                f"Function '{node.name()}' produced {bad} values in its output {i} during "
                f"the forward pass.\n{where_made(node)}{note}"
            )


def _user_stack() -> list:
    """``(filename, line, function)`` of the caller's frames outside eagertorch, innermost
    first: plain tuples (formatted only if an error needs them), no frame references."""
    stack = []
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PKG):
            stack.append((code.co_filename, f.f_lineno, code.co_name))
        f = f.f_back
    return stack


def check_backward(node, grads) -> None:
    """Raise if ``node``'s backward returned NaN/Inf gradients (of the kinds in raise_on)."""
    kinds = state.raise_on
    if not kinds:
        return
    for i, g in enumerate(grads):
        bad = None if g is None else _nonfinite(g._data, kinds)
        if bad is not None:
            raise RuntimeError(
                f"Function '{node.name()}' returned {bad} values in its {i}th output.\n"
                f"{where_made(node)}"
            )


def where_made(node) -> str:
    """Where ``node`` was made: the user's line, the graph it belongs to, the stack."""
    if node._site is None:
        return "The op was recorded before anomaly detection was enabled, so its line is unknown."
    lines = [f"The op was called at {format_site(node._site)}"]
    parent = node._parent
    while parent is not None:
        lines.append(
            f"while computing the gradient of {parent.name()} (a backward() with "
            "create_graph=True)"
            + (f", whose forward was at {format_site(parent._site)}" if parent._site else "")
        )
        parent = parent._parent
    if node._trace:
        frames = traceback.StackSummary.from_list(
            [(file, line, name, None) for file, line, name in reversed(node._trace)]
        )
        lines.append("Traceback of the call (most recent call last):")
        lines.append("".join(frames.format()).rstrip())
    return "\n".join(lines)
