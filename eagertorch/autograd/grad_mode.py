"""Thread-local grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, inference mode."""

from __future__ import annotations

import functools
import threading

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


state = _GradState()


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded on the tape."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base for grad-mode switches usable as ``with`` blocks and as decorators."""

    _mode = True
    _inference = False

    def __new__(cls, *args, **kwargs):
        # Bare ``@no_grad`` (no parentheses) decorates the function directly, as in PyTorch.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference)
        state.enabled = self._mode
        state.inference = self._inference

    def __exit__(self, *exc) -> None:
        state.enabled, state.inference = self._prev

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

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = (state.enabled, state.inference)
        state.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for inference code: nothing inside is recorded."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode
        self._inference = bool(mode)

    def clone(self):
        return inference_mode(self._inference)
