"""In-place ops (``add_``, ``zero_``, ``copy_``, ``t_``, ...): one mechanism for all of them.

An in-place op computes its out-of-place twin, writes the result into the tensor's memory,
bumps the version counter (so saved copies of the old value are detected), and moves the
tensor to the result's place on the tape. On a view, the base is rebased too: its new
node scatters the view's gradient back (PyTorch's CopySlices).
"""

from __future__ import annotations

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module, device_ctx, on_device_of
from .._backend.random import numpy_generator
from .._tensor import Tensor, _make
from ..autograd.diagnostics import note_inplace
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import no_grad, state

__all__ = ["apply_inplace", "apply_inplace_view"]


def _category(npd) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}[npd.kind]


def _check_writable(self: Tensor) -> None:
    if self._grad_fn is None and self._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    view = self._view
    if view is not None and view[1] is not None:
        root = view[0]
        if root._grad_fn is None and root._requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )


def _write(self: Tensor, result: Tensor, name: str) -> None:
    src = result._data
    dst = self._data
    if not getattr(dst.flags, "writeable", True):  # expand()/unfold() results alias memory
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )
    if src.shape != dst.shape:
        try:
            src = array_module(dst).broadcast_to(src, dst.shape)
        except ValueError:
            target = _broadcast_shape(src.shape, dst.shape)
            raise RuntimeError(
                f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(target)}"
            ) from None
    if src.dtype != dst.dtype and _category(src.dtype) > _category(dst.dtype):
        raise RuntimeError(
            f"result type {_dt.from_numpy_dtype(src.dtype)} can't be cast to the desired "
            f"output type {_dt.from_numpy_dtype(dst.dtype)} (in {name})"
        )
    if src is not dst:
        dst[...] = src


def _write_on_device(self: Tensor, result: Tensor, name: str) -> None:
    """``_write`` with the device of ``self`` current: cupy writes on the current device."""
    on_device_of(self._data, _write, self, result, name)


def _broadcast_shape(src, dst) -> tuple:
    """The shape ``src`` and ``dst`` broadcast to, or ``src``'s when they do not broadcast."""
    try:
        return np.broadcast_shapes(src, dst)
    except ValueError:
        return src


def _bump(self: Tensor, name: str, result: Tensor) -> None:
    """Count the write in the version counter and log the op and the user's line."""
    root = self._view[0] if self._view is not None else self
    root._version += 1
    note_inplace(root, self, name, result, known=2)


def _involves_grad(self: Tensor, args, kwargs) -> bool:
    if not state.enabled:
        return False
    if self._requires_grad:
        return True
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in kwargs.values())


def apply_inplace(self: Tensor, fn, name: str, *args, **kwargs) -> Tensor:
    """Run ``fn(self, *args)`` out of place, write it into ``self`` and rebind the tape."""
    if not _involves_grad(self, args, kwargs):
        result = fn(self, *args, **kwargs)
        (_write_on_device if device_ctx[0] else _write)(self, result, name)
        _bump(self, name, result)
        return self
    _check_writable(self)
    # The out-of-place op sees an alias with its own version counter: if it saves the old
    # value, the alias is either replaced by a copy below or caught by the version check.
    alias = _make(self._data, self._requires_grad, self._grad_fn, self._output_nr)
    result = fn(alias, *args, **kwargs)
    _save_copy_of_old_value(result._grad_fn, alias)
    (_write_on_device if device_ctx[0] else _write)(self, result, name)
    alias._version += 1
    _bump(self, name, result)
    _rebind(self, result)
    return self


def _save_copy_of_old_value(node, alias: Tensor) -> None:
    if node is None or not any(s is alias for s in node._saved):
        return
    copy = _make(alias._data.copy(), alias._requires_grad, alias._grad_fn, alias._output_nr)
    node._saved = tuple(copy if s is alias else s for s in node._saved)
    node._saved_versions = tuple(
        0 if s is alias else v for s, v in zip(node._saved, node._saved_versions)
    )


def _rebind(self: Tensor, result: Tensor) -> None:
    old_node, old_nr = self._grad_fn, self._output_nr
    view = self._view
    if view is not None and view[1] is not None:
        _rebase_view(self, result)
    else:
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = result._requires_grad or self._requires_grad
        if self._grad_fn is None and self._requires_grad:
            self._requires_grad = False
    if old_node is not None and old_node._retains(self) and self._grad_fn is not None:
        del old_node._retained[old_nr]
        self._grad_fn._retain(self)


class CopySlices(ArrayFunction):
    """The base of a view after an in-place op on the view: the view's region is replaced."""

    @staticmethod
    def forward(ctx, base, new_view, replay):
        ctx.replay = replay
        mask = array_module(base).ones(base.shape, base.dtype)
        with no_grad():
            replay(_make(mask))._data[...] = 0
        ctx.mask = mask
        return base

    @staticmethod
    def backward(ctx, g):
        need_base, need_view, _ = ctx.needs_input_grad
        g_base = g * _make(ctx.mask) if need_base else None
        g_view = ctx.replay(g) if need_view else None
        return g_base, g_view, None


def _rebase_view(self: Tensor, result: Tensor) -> None:
    root, replay = self._view
    old_root = _make(root._data, root._requires_grad, root._grad_fn, root._output_nr)
    new_root = CopySlices.apply(old_root, result, replay)
    root._grad_fn = new_root._grad_fn
    root._output_nr = 0
    root._requires_grad = new_root._requires_grad
    fresh = replay(root)
    self._grad_fn = fresh._grad_fn
    self._output_nr = fresh._output_nr
    self._requires_grad = fresh._requires_grad


def apply_inplace_view(self: Tensor, fn, *args) -> Tensor:
    """In-place metadata ops (``t_``, ``squeeze_``, ...): ``self`` becomes the view."""
    result = fn(self, *args)
    self._data = result._data
    if result._grad_fn is not None:
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
    return self


# ----- the in-place methods ------------------------------------------------------------------
def inplace_method(fn, name: str):
    """``name_`` for an out-of-place ``fn``: same arguments, writes into and returns self."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return apply_inplace(self, fn, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{fn.__name__}``."
    return method


def _filled(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        return value.to(self.dtype).expand(self._data.shape)
    return _make(array_module(self._data).full(self._data.shape, value, self._data.dtype))


def fill_(self: Tensor, value) -> Tensor:
    return apply_inplace(self, _filled, "fill_", value)


def zero_(self: Tensor) -> Tensor:
    return apply_inplace(self, _filled, "zero_", 0)


def _copied(self: Tensor, src) -> Tensor:
    if not isinstance(src, Tensor):
        src = _make(np.asarray(src))
    src = src.to(self.dtype).to(self.device)
    if src._data.shape != self._data.shape:
        try:
            np.broadcast_shapes(src._data.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({list(self.shape)}) must match the size of tensor b "
                f"({list(src.shape)}) in copy_"
            ) from None
        src = src.expand(self._data.shape)
    return src


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast) into this tensor; the gradient flows to ``src``."""
    return apply_inplace(self, _copied, "copy_", src)


def _sampled(sample):
    def fn(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
        gen = numpy_generator(generator)
        arr = np.asarray(sample(gen, self._data.shape, *args, **kwargs)).astype(self._data.dtype)
        return _make(
            arr if type(self._data) is np.ndarray else array_module(self._data).asarray(arr)
        )

    return fn


_SAMPLERS = {
    "normal_": lambda gen, shape, mean=0.0, std=1.0: gen.normal(mean, std, shape),
    "uniform_": lambda gen, shape, a=0.0, b=1.0: gen.uniform(a, b, shape),
    "exponential_": lambda gen, shape, lambd=1.0: gen.exponential(1.0 / lambd, shape),
    "bernoulli_": lambda gen, shape, p=0.5: (
        gen.random(shape) < (p._data if isinstance(p, Tensor) else p)
    ),
    "cauchy_": lambda gen, shape, median=0.0, sigma=1.0: (
        median + sigma * gen.standard_cauchy(shape)
    ),
    "log_normal_": lambda gen, shape, mean=1.0, std=2.0: gen.lognormal(mean, std, shape),
    "geometric_": lambda gen, shape, p: gen.geometric(p, shape),
}


def _random_(gen, shape, from_=0, to=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    return gen.integers(from_, to, shape)


_SAMPLERS["random_"] = _random_

RANDOM_INPLACE = {name: inplace_method(_sampled(fn), name) for name, fn in _SAMPLERS.items()}
