"""Thread-local grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, inference mode."""

from __future__ import annotations

import functools
import threading

from .sites import cut_by

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]


class _GradState(threading.local):
    # Class attributes are every thread's starting values.
    enabled = True
    inference = False
    # Inside a user's no_grad()/inference_mode()/set_grad_enabled(False): the GraphCut that
    # results computed from tensors requiring grad carry (where the block was entered).
    cut = None


state = _GradState()

# How many threads are inside such a block: while zero, ops skip looking at ``state.cut``
# (a thread-local read) on the no-grad path that backward() itself runs on.
cut_regions = [0]


def _set_cut(cut) -> None:
    old = state.cut
    state.cut = cut
    if (old is None) != (cut is None):
        cut_regions[0] += 1 if cut is not None else -1


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded on the tape."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base for grad-mode switches usable as ``with`` blocks and as decorators."""

    _mode = True
    _inference = False
    _name = "no_grad()"

    def __new__(cls, *args, **kwargs):
        # Bare ``@no_grad`` (no parentheses) decorates the function directly, as in PyTorch.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference, state.cut)
        state.enabled = self._mode
        state.inference = self._inference
        _set_cut(None if self._mode else cut_by("no_grad", self._name))

    def __exit__(self, *exc) -> None:
        state.enabled, state.inference, cut = self._prev
        _set_cut(cut)

    def clone(self):
        return type(self)()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable recording: results of operations inside never require grad."""

    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable recording inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; takes effect at once, and ``with`` restores the old mode."""

    _name = "set_grad_enabled(False)"

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = (state.enabled, state.inference, state.cut)
        state.enabled = self._mode
        _set_cut(None if self._mode else cut_by("no_grad", self._name))

    def __enter__(self) -> None:
        pass

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for inference code: nothing inside is recorded."""

    _name = "inference_mode()"

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode
        self._inference = bool(mode)

    def clone(self):
        return inference_mode(self._inference)
