"""Indexing: ``x[key]``, ``x[key] = v``, gather/scatter, index_* ops, masks, take/put, nonzero.

Forward works on arrays; backward is written with Tensor ops (so it is differentiable).
Reading and writing are each other's backward: indexing scatters its gradient into zeros
(accumulating repeated indices), and every scatter-like op gathers its gradient back.

Keys follow PyTorch, which shares numpy's rules except that integers (and 0-d integer
tensors) select first, as basic indices: ``x[0, :, [0, 1]]`` has shape ``(n1, 2)`` where
numpy gives ``(2, n1)``. A mixed key is therefore applied in two steps, a basic one that
gives a view and an advanced one on that view.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .._backend.device import array_module, device_ctx, on_device_of
from .._backend.dtype import cpp_name, scalar_name
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.diagnostics import note_inplace
from ..autograd.function import ArrayFunction, run_in_device
from ..autograd.grad_mode import state
from .elementwise import _broadcast_error
from .inplace import apply_inplace

__all__ = [
    "argwhere",
    "gather",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_select",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "nonzero",
    "put",
    "repeat_interleave",
    "scatter",
    "scatter_add",
    "select",
    "take",
    "take_along_dim",
]

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_INT64 = np.dtype(np.int64)
_BASIC_TYPES = frozenset((int, slice, type(None), type(Ellipsis)))
_SCALARS = (int, float, bool, np.generic)


def _add_at(a, key, values) -> None:
    """``a[key] += values`` with repeated indices accumulating (numpy's ``add.at``)."""
    if type(a) is np.ndarray:
        np.add.at(a, key, values)
    elif not hasattr(a, "__cuda_array_interface__"):  # a numpy-like device array
        array_module(a).add.at(a, key, values)
    else:
        import cupyx

        cupyx.scatter_add(a, key, values)


def _as1d(a):
    """0-d arrays as 1-element 1-d views, so along-a-dim code covers scalars too."""
    return a.reshape(1) if a.ndim == 0 else a


def _out_of_bounds(
    idx, size: int, dim: int, exc=RuntimeError, prefix: str = "", negative_ok: bool = False
):
    """Raise ``exc`` naming the first index outside ``[0, size)`` (``[-size, size)``)."""
    if idx.size == 0:
        return
    lo, hi = index_bounds(idx)
    low = -size if negative_ok else 0
    if lo < low or hi >= size:
        bad = lo if lo < low else hi
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


def index_bounds(a) -> tuple[int, int]:
    """Min and max of a non-empty index array, reduced on its own device (validation runs
    before any op, so no device is current)."""
    return on_device_of(a, _min_max, a)


def _min_max(a) -> tuple[int, int]:
    return int(a.min()), int(a.max())


# ----- keys --------------------------------------------------------------------------------
def _check_slice(k: slice) -> None:
    step = k.step
    if step is not None and step <= 0:
        if step == 0:
            raise ValueError("slice step cannot be zero")
        raise ValueError("step must be greater than zero")


def _sequence_as_tuple(seq: list) -> bool:
    """PyTorch's (deprecated) rule: a short list holding slices, sequences or tensors is a tuple."""
    return len(seq) < 32 and any(
        isinstance(k, (Tensor, list, tuple, slice)) or k is None or k is Ellipsis for k in seq
    )


def _array_index(arr, xp, depth: int = 0):
    """An index array as an int (0-d integer), a bool mask, or an integer index array."""
    if xp is not np and type(arr) is np.ndarray:
        arr = xp.asarray(arr)
    kind = arr.dtype.kind
    if kind == "b":
        return arr
    if arr.dtype == np.uint8:
        warnings.warn(
            "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
            "instead.",
            UserWarning,
            stacklevel=4 + depth,
        )
        return arr.astype(bool)
    if arr.dtype in _INDEX_DTYPES:
        return int(arr) if arr.ndim == 0 else arr
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _index_items(key, xp, depth: int = 0) -> list:
    """The key as a list of ints, slices, None, Ellipsis, bool masks and integer arrays.

    Lists, numpy arrays, bools and cpu tensors in ``key`` become new arrays of ``xp``, which
    cupy puts on the current device: on a device, call this under ``on_device_of`` the
    indexed array, with ``depth=1`` for that frame (warnings still name the user's line).
    """
    if type(key) is not tuple:
        if type(key) is list and _sequence_as_tuple(key):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                "x[tuple(seq)] instead of x[seq].",
                UserWarning,
                stacklevel=4 + depth,
            )
            key = tuple(key)
        else:
            key = (key,)
    items = []
    for k in key:
        t = type(k)
        if t is int or k is None or k is Ellipsis:
            items.append(k)
        elif t is slice:
            _check_slice(k)
            items.append(k)
        elif isinstance(k, Tensor):
            items.append(_array_index(k._data, xp, depth))
        elif isinstance(k, (bool, np.bool_)):
            items.append(xp.asarray(bool(k)))
        elif isinstance(k, np.integer):
            items.append(int(k))
        elif isinstance(k, (list, tuple, np.ndarray)) or hasattr(k, "__cuda_array_interface__"):
            arr = (
                k
                if not isinstance(k, (list, tuple))
                else np.asarray([x._data if isinstance(x, Tensor) else x for x in k])
            )
            if arr.size == 0 and arr.dtype.kind == "f":
                arr = arr.astype(np.int64)
            items.append(_array_index(arr, xp, depth))
        else:
            try:
                items.append(operator.index(k))
            except TypeError:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    f"Variables are valid indices (got {type(k).__name__})"
                ) from None
    return items


def _split(items: list):
    """``(basic, advanced, accumulate)``: apply ``basic`` (a view), then ``advanced`` on it.

    ``advanced`` is None for basic-only keys and ``basic`` None when no integer needs to
    select first; ``accumulate`` says whether the advanced part may repeat an element.
    """
    has_int = adv = acc = False
    for k in items:
        if type(k) is int:
            has_int = True
        elif k is not None and k is not Ellipsis and type(k) is not slice:
            adv = True
            if k.dtype.kind != "b":
                acc = True
    if not adv:
        return _basic_key(tuple(items)), None, False
    if not has_int:
        return None, tuple(items), acc
    basic = []
    rest = []
    full = slice(None)
    for k in items:
        if type(k) is int:
            basic.append(k)
        elif k is None:
            basic.append(None)
            rest.append(full)
        elif k is Ellipsis:
            basic.append(k)
            rest.append(k)
        elif type(k) is slice:
            basic.append(k)
            rest.append(full)
        else:
            basic.extend([full] * (k.ndim if k.dtype.kind == "b" else 1))
            rest.append(k)
    return _basic_key(tuple(basic)), tuple(rest), acc


def _basic_key(key: tuple) -> tuple:
    # numpy gives a scalar, not a 0-d view, for all-int keys; a trailing ``...`` keeps a view.
    return key if Ellipsis in key else (*key, Ellipsis)


def _parse(key, data):
    """``(basic, advanced, accumulate)`` for any key into array ``data`` (see ``_split``)."""
    if type(key) is not tuple:
        if type(key) in _BASIC_TYPES:
            if type(key) is slice:
                _check_slice(key)
            return _basic_key((key,)), None, False
    else:
        for k in key:
            t = type(k)
            if t not in _BASIC_TYPES:
                break
            if t is slice:
                _check_slice(k)
        else:
            return _basic_key(key), None, False
    # Built outside any op: on a device, make host keys with the array's device current.
    return _split(on_device_of(data, _index_items, key, array_module(data), 1))


def _is_mask(k) -> bool:
    return type(k) is not int and type(k) is not slice and k.dtype.kind == "b"


def _index_error(shape: tuple, items: list):
    """PyTorch's IndexError for a key that failed on an array of ``shape`` (None if fine)."""
    ndim = len(shape)
    consumed = 0
    for k in items:
        if k is not None and k is not Ellipsis:
            consumed += k.ndim if _is_mask(k) else 1
    if consumed > ndim:
        if ndim == 0:
            return IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        return IndexError(f"too many indices for tensor of dimension {ndim}")
    dim = 0
    adv_shapes = []
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            dim += ndim - consumed
        elif type(k) is int:
            n = shape[dim]
            if not -n <= k < n:
                return IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        elif type(k) is slice:
            dim += 1
        elif k.dtype.kind == "b":
            for j in range(k.ndim):
                if k.shape[j] != shape[dim + j]:
                    return IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            adv_shapes.append((int(k.sum()),) if k.ndim else (int(k),))
            dim += k.ndim
        else:
            try:
                _out_of_bounds(k, shape[dim], dim, IndexError, negative_ok=True)
            except IndexError as e:
                return e
            adv_shapes.append(k.shape)
            dim += 1
    try:
        np.broadcast_shapes(*adv_shapes)
    except ValueError:
        return IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(s)) for s in adv_shapes)
        )
    return None


def _region_shape(shape: tuple, basic, adv) -> tuple:
    """The shape of ``a[key]`` for an array of ``shape``, without touching real data."""
    probe = np.broadcast_to(np.empty((), np.int8), shape)
    if basic is not None:
        probe = probe[basic]
    return probe[adv].shape if adv is not None else probe.shape


# ----- x[key] ----------------------------------------------------------------------------------
class Slice(ArrayFunction):
    """A basic key (ints, slices, None, ...): a view of the input."""

    is_view = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return IndexScatter.apply(g, ctx.shape, ctx.key, None, False), None


class Select(Slice):
    """A key of ints only (named like PyTorch's ``SelectBackward0``)."""


class Index(ArrayFunction):
    """An advanced key (index arrays, masks), after an optional basic one: a copy."""

    @staticmethod
    def forward(ctx, x, basic, adv, accumulate):
        ctx.shape = x.shape
        ctx.basic = basic
        ctx.adv = adv
        ctx.accumulate = accumulate
        if basic is not None:
            x = x[basic]
        return x[adv]

    @staticmethod
    def backward(ctx, g):
        return (
            IndexScatter.apply(g, ctx.shape, ctx.basic, ctx.adv, ctx.accumulate),
            None,
            None,
            None,
        )


class Take(Index):
    """``take``: an advanced key on the flattened positions."""


class TakeAlongDim(Index):
    """``take_along_dim``: an advanced key built along one dim."""


class IndexScatter(ArrayFunction):
    """Zeros of ``shape`` with ``g`` written at ``key`` (summed where indices repeat).

    The backward of indexing; its own backward is indexing again.
    """

    @staticmethod
    def forward(ctx, g, shape, basic, adv, accumulate):
        ctx.basic = basic
        ctx.adv = adv
        ctx.accumulate = accumulate
        z = array_module(g).zeros(shape, g.dtype)
        if adv is None:
            z[basic] = g
        else:
            v = z if basic is None else z[basic]
            if accumulate:
                _add_at(v, adv, g)
            else:
                v[adv] = g
        return z

    @staticmethod
    def backward(ctx, gg):
        return _apply_key(gg, ctx.basic, ctx.adv, ctx.accumulate), None, None, None, None


def _apply_key(t: Tensor, basic, adv, accumulate: bool) -> Tensor:
    if adv is None:
        return Slice.apply(t, basic)
    return Index.apply(t, basic, adv, accumulate)


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]`` with PyTorch's rules; basic keys give views sharing memory and version."""
    # Fast path: ints, slices, None and ... give a view without parsing.
    if type(key) is not tuple:
        t = type(key)
        if t is int:
            cls, key = Select, (key, Ellipsis)
        elif t in _BASIC_TYPES:
            if t is slice:
                _check_slice(key)
            cls, key = Slice, (key,)
        else:
            return _getitem_advanced(self, key)
    else:
        cls = Select
        for k in key:
            t = type(k)
            if t is int:
                continue
            if t is slice:
                _check_slice(k)
            elif t not in _BASIC_TYPES:
                return _getitem_advanced(self, key)
            cls = Slice
        if cls is Select:
            key = (*key, Ellipsis)
    try:
        return cls.apply(self, key)
    except IndexError as e:
        raise _index_error(self._data.shape, list(key)) or e from None


def _getitem_advanced(self: Tensor, key) -> Tensor:
    data = self._data
    # Built outside any op: on a device, make host keys with the input's device current.
    items = on_device_of(data, _index_items, key, array_module(data), 1)
    basic, adv, acc = _split(items)
    try:
        if adv is None:
            return Slice.apply(self, basic)
        return Index.apply(self, basic, adv, acc)
    except IndexError as e:
        raise _index_error(data.shape, items) or e from None


# ----- x[key] = v and index_put ----------------------------------------------------------------
def _put(out, basic, adv, values, accumulate: bool) -> None:
    """Write (or add) ``values`` into ``out[basic][adv]`` in place."""
    if adv is None:
        if accumulate:
            out[basic] += values
        else:
            out[basic] = values
        return
    target = out if basic is None else out[basic]
    if accumulate:
        _add_at(target, adv, values)
    else:
        target[adv] = values


def _put_error(shape: tuple, key, basic, adv, values, e: Exception) -> Exception:
    if isinstance(e, IndexError):
        return _index_error(shape, _index_items(key, np)) or e
    vshape = list(getattr(values, "shape", ()))
    return RuntimeError(
        f"shape mismatch: value tensor of shape {vshape} cannot be broadcast to indexing "
        f"result of shape {list(_region_shape(shape, basic, adv))}"
    )


class IndexPut(ArrayFunction):
    """A copy of ``x`` with ``x[key]`` replaced by (or, accumulating, increased by) ``values``."""

    @staticmethod
    def forward(ctx, x, basic, adv, values, accumulate):
        ctx.basic = basic
        ctx.adv = adv
        ctx.accumulate = accumulate
        ctx.vshape = getattr(values, "shape", ())
        out = x.copy()
        _put(out, basic, adv, values, accumulate)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, _, _, need_v, _ = ctx.needs_input_grad
        basic, adv, acc = ctx.basic, ctx.adv, ctx.accumulate
        gx = gv = None
        if need_x:
            gx = g if acc else IndexPut.apply(g, basic, adv, 0, False)
        if need_v:
            gv = _apply_key(g, basic, adv, acc)
            # ``values`` may carry leading 1-sized dims that assignment drops.
            if gv._data.ndim < len(ctx.vshape):
                gv = gv.reshape(ctx.vshape)
        return gx, None, None, gv, None


class Put(IndexPut):
    """``put``: ``index_put`` on the flattened positions."""


def _index_put(x: Tensor, key, basic, adv, values, accumulate: bool, cls=IndexPut) -> Tensor:
    try:
        return cls.apply(x, basic, adv, values, accumulate)
    except (IndexError, ValueError) as e:
        raise _put_error(x._data.shape, key, basic, adv, values, e) from None


def _setitem_result(x: Tensor, key, basic, adv, value) -> Tensor:
    if isinstance(value, Tensor) and value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    return _index_put(x, key, basic, adv, value, False)


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value`` (broadcast and cast to self's dtype), recorded as an in-place op."""
    if not isinstance(value, (Tensor, *_SCALARS)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    data = self._data
    basic, adv, _ = _parse(key, data)
    if state.enabled and (
        self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
    ):
        apply_inplace(self, _setitem_result, "__setitem__", key, basic, adv, value)
        return
    v = value._data if isinstance(value, Tensor) else value
    try:
        if type(data) is np.ndarray:
            _put(data, basic, adv, v, False)
        else:  # a write outside any op: on the data's device
            on_device_of(data, _put, data, basic, adv, v, False)
    except (IndexError, ValueError) as e:
        raise _put_error(data.shape, key, basic, adv, v, e) from None
    root = self._view[0] if self._view is not None else self
    root._version += 1
    note_inplace(root, self, "__setitem__", None, known=0)


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``input[indices] = values`` (``+=`` with ``accumulate``).

    ``indices`` is a tuple of index tensors (integer or bool), one per leading dim.
    """
    if not isinstance(values, Tensor):
        raise TypeError(
            f"index_put(): argument 'values' (position 2) must be Tensor, not "
            f"{type(values).__name__}"
        )
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{scalar_name(input._data.dtype)} for the destination and "
            f"{scalar_name(values._data.dtype)} for the source."
        )
    key = tuple(indices)
    x = input._data
    # Built outside any op: on a device, make cpu indices with the input's device current.
    items = on_device_of(x, _index_items, key, array_module(x), 1)
    basic, adv, _ = _split(items)
    return _index_put(input, key, basic, adv, values, accumulate)


# ----- flat positions: take and put ------------------------------------------------------------
def _check_long(index: Tensor, name: str) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype != _INT64:
        raise RuntimeError(
            f"{name}(): Expected a long tensor for index, but got {scalar_name(index._data.dtype)}"
        )


def _flat_key(x, idx):
    """``(basic, advanced)`` reaching flat positions ``idx`` (negatives wrap) of ``x``.

    Its arrays are computed outside any op: on a device, call it under ``on_device_of(x)``.
    """
    n = x.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements."
            )
        if lo < 0:
            idx = array_module(idx).where(idx < 0, idx + n, idx)
    if x.ndim == 0:
        return (None, Ellipsis), (idx,)
    return None, array_module(idx).unravel_index(idx, x.shape)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of ``input`` as if flattened, at ``index`` (int64); the result has its shape."""
    _check_long(index, "take")
    x = input._data
    basic, adv = on_device_of(x, _flat_key, x, index._data)
    return Take.apply(input, basic, adv, True)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with flat positions ``index`` set to (or increased by) ``source``."""
    _check_long(index, "put_")
    idx = index._data
    if source._data.size != idx.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {idx.size}"
        )
    x = input._data
    basic, adv = on_device_of(x, _flat_key, x, idx)
    if source._data.shape != idx.shape:
        source = source.reshape(idx.shape)
    return _index_put(input, index, basic, adv, source, accumulate, Put)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (other dims broadcast).

    With ``dim=None`` both are flattened first.
    """
    idx = indices._data
    if idx.dtype != _INT64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{scalar_name(idx.dtype)}"
        )
    x = input._data
    xp = array_module(x)
    if dim is None:
        basic, adv = on_device_of(x, _flat_key, x, idx.reshape(-1))
        return TakeAlongDim.apply(input, basic, adv, True)
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = _wrap_dim(dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} dimensions "
            "for indices"
        )
    # Built outside any op: on a device, make the ranges with the input's device current.
    key = on_device_of(x, _along_dim_key, xp, input, indices, dim)
    _out_of_bounds(idx, x.shape[dim], dim)
    return TakeAlongDim.apply(input, None, key, True)


def _along_dim_key(xp, input: Tensor, indices: Tensor, dim: int) -> tuple:
    """Advanced key taking ``indices`` along ``dim`` of ``input``, broadcasting the rest."""
    x, idx = input._data, indices._data
    key = []
    for d in range(x.ndim):
        if d == dim:
            key.append(idx)
            continue
        a, b = x.shape[d], idx.shape[d]
        if a != b and a != 1 and b != 1:
            raise _broadcast_error(input, indices, op="take_along_dim")
        # Broadcasting against ``idx`` repeats size-1 dims of the input (index 0).
        shape = [1] * x.ndim
        shape[d] = a
        key.append(xp.arange(a).reshape(shape) if a != 1 else xp.zeros(shape, np.intp))
    return tuple(key)


# ----- gather and scatter ----------------------------------------------------------------------
def _along(xp, index, dim: int) -> tuple:
    """Advanced key reaching ``a[..., index[i, j, k], ...]`` (along ``dim``) at ``(i, j, k)``."""
    nd = index.ndim
    key = []
    for d in range(nd):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * nd
            shape[d] = index.shape[d]
            key.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(key)


def _check_gather_like(name: str, x: Tensor, dim: int, index: Tensor, src=None) -> int:
    """Validate ``gather``/``scatter`` arguments like PyTorch; returns the wrapped dim."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    xs, ids = x._data.shape, index._data.shape
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    what = "input" if name == "gather" else "self"
    if max(len(ids), 1) != max(len(xs), 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} tensor")
    dim = _wrap_dim(dim, len(xs))
    if isinstance(src, Tensor):
        ss = src._data.shape
        if max(len(ss), 1) != max(len(ids), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        if src._data.dtype != x._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        if any(i > s for i, s in zip(ids, ss)) or any(
            i > s for d, (i, s) in enumerate(zip(ids, xs)) if d != dim
        ):
            raise RuntimeError(
                f"Expected index {list(ids)} to be no larger than self {list(xs)} apart from "
                f"dimension {dim} and to be no larger size than src {list(ss)}"
            )
    else:
        for d, (i, s) in enumerate(zip(ids, xs)):
            if d != dim and i > s:
                raise RuntimeError(
                    (
                        f"Size does not match at dimension {d} expected index "
                        if name == "gather"
                        else "Expected index "
                    )
                    + f"{list(ids)} to be no larger than self {list(xs)} apart from "
                    f"dimension {dim}"
                )
    _out_of_bounds(index._data, xs[dim] if xs else 1, dim)
    return dim


def _gather_array(x, dim: int, index):
    out = _as1d(x)[_along(array_module(x), _as1d(index), dim)]
    return out.reshape(()) if index.ndim == 0 else out


def _scatter_array(x, dim: int, index, src, how: str):
    """A copy of ``x`` with ``src`` scattered along ``dim`` at ``index`` (set/add/multiply)."""
    out = x.copy()
    idx = _as1d(index)
    key = _along(array_module(x), idx, dim)
    if not isinstance(src, _SCALARS):
        src = _as1d(src)[tuple(slice(0, n) for n in idx.shape)]
    target = _as1d(out)
    if how == "set":
        target[key] = src
    elif how == "add":
        _add_at(target, key, src)
    else:
        np.multiply.at(target, key, src)
    return out


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """``g`` in the leading corner of zeros of ``shape`` (src larger than index)."""
    if g._data.shape == shape or not shape:
        return g
    key = (*(slice(0, n) for n in _as1d(g._data).shape), Ellipsis)
    return IndexScatter.apply(g.reshape(-1) if g._data.ndim == 0 else g, shape, key, None, False)


class Gather(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.dim_ = dim
        ctx.save_for_backward(index)
        return _gather_array(x, dim, index)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        zeros = _make(array_module(g._data).zeros(ctx.shape, g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim_, index, g), None, None


class Scatter(ArrayFunction):
    """Write ``src`` (a tensor or a scalar) into a copy of ``x`` along ``dim`` at ``index``."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save_for_backward(index)
        ctx.dim_ = dim
        ctx.src_shape = getattr(src, "shape", None)
        return _scatter_array(x, dim, index, src, "set")

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        need_x, _, _, need_src = ctx.needs_input_grad
        gx = Scatter.apply(g, ctx.dim_, index, 0.0) if need_x else None
        gsrc = _pad_to(Gather.apply(g, ctx.dim_, index), ctx.src_shape) if need_src else None
        return gx, None, None, gsrc


class ScatterAdd(ArrayFunction):
    """Add ``src`` into a copy of ``x`` along ``dim`` at ``index``; repeats accumulate."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save_for_backward(index)
        ctx.dim_ = dim
        ctx.src_shape = getattr(src, "shape", None)
        return _scatter_array(x, dim, index, src, "add")

    @staticmethod
    def backward(ctx, g):
        need_src = ctx.needs_input_grad[3]
        gsrc = None
        if need_src:
            (index,) = ctx.saved_tensors
            gsrc = _pad_to(Gather.apply(g, ctx.dim_, index), ctx.src_shape)
        return g, None, None, gsrc


class ScatterMultiply(ArrayFunction):
    """``scatter(..., reduce='multiply')``; like PyTorch, it has no derivative."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        return _scatter_array(x, dim, index, src, "multiply")

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (for ``dim=0``); ``index`` int64/int32."""
    dim = _check_gather_like("gather", input, dim, index)
    return Gather.apply(input, dim, index)


def scatter(
    input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or the scalar ``value``) written at ``index``.

    ``reduce='add'`` or ``'multiply'`` combines instead of overwriting.
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if isinstance(src, np.generic):
        src = src.item()
    dim = _check_gather_like("scatter", input, dim, index, src)
    if reduce is None:
        return Scatter.apply(input, dim, index, src)
    if reduce == "add":
        return ScatterAdd.apply(input, dim, index, src)
    if reduce == "multiply":
        return ScatterMultiply.apply(input, dim, index, src)
    raise RuntimeError("reduce argument must be either add or multiply.")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``; repeats accumulate."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    dim = _check_gather_like("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, dim, index, src)


# ----- index_select and the index_* family ------------------------------------------------------
def _dim_key(dim: int, index) -> tuple:
    return (slice(None),) * dim + (_as1d(index),)


def _check_vector(index: Tensor, name: str, message: str) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError(message)


def _check_source(name: str, x: Tensor, dim: int, index, source: Tensor) -> None:
    """``source`` must be ``x``'s shape with ``dim`` replaced by the number of indices."""
    xs, ss = x._data.shape, source._data.shape
    n = index.size
    expected = (*xs[:dim], n, *xs[dim + 1 :]) if xs else ()
    if ss == expected:
        return
    if len(ss) == len(xs) and xs and ss[dim] != n:
        raise RuntimeError(
            f"{name}(): Number of indices ({n}) should be equal to source.size(dim): "
            f"({ss[dim]}), for dim: {dim}"
        )
    raise RuntimeError(
        "source tensor shape must match self tensor shape, excluding the specified "
        f"dimension. Got self.shape = {list(xs)} source.shape = {list(ss)}"
    )


class IndexSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.dim_ = dim
        ctx.save_for_backward(index)
        out = array_module(x).take(_as1d(x), _as1d(index), axis=dim)
        return out.reshape(()) if x.ndim == 0 and out.size == 1 else out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        zeros = _make(array_module(g._data).zeros(ctx.shape, g._data.dtype))
        return IndexAdd.apply(zeros, ctx.dim_, index, g, 1), None, None


class IndexAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim_ = dim
        ctx.alpha = alpha
        ctx.save_for_backward(index)
        out = x.copy()
        _add_at(
            _as1d(out), _dim_key(dim, index), _as1d(source) if alpha == 1 else _as1d(source) * alpha
        )
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.needs_input_grad[3]:
            (index,) = ctx.saved_tensors
            gsrc = IndexSelect.apply(g, ctx.dim_, index)
            if ctx.alpha != 1:
                gsrc = gsrc * ctx.alpha
        return g, None, None, gsrc, None


class IndexFill(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim_ = dim
        ctx.save_for_backward(index)
        out = x.copy()
        _as1d(out)[_dim_key(dim, index)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        need_x, _, _, need_value = ctx.needs_input_grad
        gx = IndexFill.apply(g, ctx.dim_, index, 0.0)
        return (gx if need_x else None), None, None, (g - gx if need_value else None)


class IndexCopy(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, source):
        ctx.dim_ = dim
        ctx.save_for_backward(index)
        out = x.copy()
        _as1d(out)[_dim_key(dim, index)] = _as1d(source)
        return out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        need_x, _, _, need_src = ctx.needs_input_grad
        gx = IndexFill.apply(g, ctx.dim_, index, 0.0) if need_x else None
        gsrc = IndexSelect.apply(g, ctx.dim_, index) if need_src else None
        return gx, None, None, gsrc


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at ``index`` (a vector, int64/int32) along ``dim``."""
    _check_vector(index, "index_select", "index_select(): Index is supposed to be a vector")
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    _out_of_bounds(index._data, x.shape[dim] if x.ndim else 1, dim, prefix="index_select(): ")
    return IndexSelect.apply(input, dim, index)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dim removed (a view)."""
    shape = input._data.shape
    d = _wrap_dim(operator.index(dim), len(shape))
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    i = operator.index(index)
    if not -shape[d] <= i < shape[d]:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {list(shape)} at dimension {d}"
        )
    return Select.apply(input, (slice(None),) * d + (i,))


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times (an int, or one count
    per element); ``repeat_interleave(counts)`` alone repeats ``arange(len(counts))``.
    A gather through ``index_select``, so gradients sum over the copies."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(repeat_interleave, input, repeats, dim, output_size=output_size)
    if repeats is None:
        counts = input._data
        xp = array_module(counts)
        return _make(xp.repeat(xp.arange(counts.shape[0] if counts.ndim else 1), counts))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(operator.index(dim), input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    xp = array_module(input._data)
    counts = repeats._data if isinstance(repeats, Tensor) else operator.index(repeats)
    if isinstance(repeats, Tensor) and counts.ndim == 1 and counts.shape[0] != n:
        raise RuntimeError(
            "repeats must have the same size as input along dim, but got "
            f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {n}"
        )
    if (xp.asarray(counts) < 0).any():
        raise RuntimeError("repeats can not be negative")
    index = xp.repeat(xp.arange(n, dtype=np.int64), counts)
    return IndexSelect.apply(input.reshape(1) if not input._data.ndim else input, d, _make(index))


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(
            f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with "
            f"type: {scalar_name(idx.dtype)} and size: {list(idx.shape)}"
        )
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(
            f"index_add_(): Expected dtype int32/int64 for index but got: {scalar_name(idx.dtype)}"
        )
    x = input._data
    if source._data.dtype != x.dtype:
        raise RuntimeError(
            f"index_add_(): self ({scalar_name(x.dtype)}) and source "
            f"({scalar_name(source._data.dtype)}) must have the same scalar type"
        )
    dim = _wrap_dim(dim, x.ndim)
    _check_source("index_add_", input, dim, idx, source)
    _out_of_bounds(idx, x.shape[dim] if x.ndim else 1, dim)
    return IndexAdd.apply(input, dim, index, source, alpha)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``.

    ``value`` is a scalar or a 0-d tensor (which then receives a gradient).
    """
    _check_vector(index, "index_fill_", "index_fill_(): Index has to be a vector")
    idx = index._data
    if idx.dtype != _INT64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    x = input._data
    value = _fill_value(input, value, "index_fill_")
    dim = _wrap_dim(dim, x.ndim)
    _out_of_bounds(idx, x.shape[dim] if x.ndim else 1, dim, IndexError)
    return IndexFill.apply(input, dim, index, value)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` taken from ``source``."""
    _check_vector(
        index,
        "index_copy_",
        f"index_copy_(): Index should have dimension 1 or 0 (got {index._data.ndim})",
    )
    _check_long(index, "index_copy_")
    x, s, idx = input._data, source._data, index._data
    if s.dtype != x.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{scalar_name(x.dtype)} and (source) {scalar_name(s.dtype)}"
        )
    dim = _wrap_dim(dim, x.ndim)
    _check_source("index_copy_", input, dim, idx, source)
    _out_of_bounds(idx, x.shape[dim] if x.ndim else 1, dim, IndexError, prefix="index_copy_(): ")
    return IndexCopy.apply(input, dim, index, source)


# ----- masks -----------------------------------------------------------------------------------
def _check_mask(mask, message: str) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"mask must be a Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(message.format(cpp_name(mask._data.dtype)))


def _fill_value(input: Tensor, value, name: str):
    """A fill value as a scalar, or a 0-d tensor of ``input``'s dtype (kept differentiable)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"{name} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        return value if value._data.dtype == input._data.dtype else value.to(input.dtype)
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (int, float, bool)):
        raise TypeError(
            f"{name}(): value must be a number or a 0-d tensor, not {type(value).__name__}"
        )
    if input._data.dtype.kind != "f":
        # Python scalars keep float32 float32; other dtypes cast like PyTorch (1.7 -> 1).
        return input._data.dtype.type(value)
    return value


class MaskedFill(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        return array_module(x).where(mask, value, x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        need_x, _, need_value = ctx.needs_input_grad
        gx = MaskedFill.apply(g, mask, 0.0) if need_x else None
        gv = MaskedFill.apply(g, ~mask, 0.0) if need_value else None
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) with ``value`` where ``mask`` is True.

    ``value`` is a scalar or a 0-d tensor (which then receives a gradient).
    """
    _check_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {}")
    value = _fill_value(input, value, "masked_fill_")
    try:
        return MaskedFill.apply(input, mask, value)
    except ValueError as e:
        raise _broadcast_error(input, mask, e, "masked_fill") from None


class MaskedSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask):
        xp = array_module(x)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        mask = xp.broadcast_to(mask, shape)
        ctx.shape = shape
        ctx.adv = (mask,)
        return xp.broadcast_to(x, shape)[mask]

    @staticmethod
    def backward(ctx, g):
        return IndexScatter.apply(g, ctx.shape, None, ctx.adv, False), None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` (broadcast with ``mask``) where ``mask`` is True, as 1-d."""
    _check_mask(mask, "masked_select: expected BoolTensor for mask")
    try:
        return MaskedSelect.apply(input, mask)
    except ValueError as e:
        raise _broadcast_error(input, mask, e, "masked_select") from None


class MaskedScatter(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask, source):
        xp = array_module(x)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        mask = xp.broadcast_to(mask, shape)
        out = xp.broadcast_to(x, shape).copy()
        n = int(mask.sum())
        ctx.mask = mask
        ctx.count = n
        ctx.src_shape = source.shape
        out[mask] = source.reshape(-1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, _, need_src = ctx.needs_input_grad
        mask = _make(ctx.mask)
        gx = MaskedFill.apply(g, mask, 0.0) if need_x else None
        gsrc = None
        if need_src:
            picked = Index.apply(g, None, (ctx.mask,), False)
            size = int(np.prod(ctx.src_shape))
            gsrc = IndexScatter.apply(picked, (size,), (slice(0, ctx.count),), None, False)
            gsrc = gsrc.reshape(ctx.src_shape)
        return gx, None, gsrc


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with ``source``'s leading elements, in order, where ``mask`` is True."""
    if device_ctx[0]:  # the count is computed outside any op: under the input's device
        return run_in_device(masked_scatter, input, mask, source)
    _check_mask(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype {}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"masked_scatter_: expected self and source to have same dtypes but got "
            f"{scalar_name(input._data.dtype)} and {scalar_name(source._data.dtype)}"
        )
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError as e:
        raise _broadcast_error(input, mask, e, "masked_scatter") from None
    count = int(array_module(mask._data).broadcast_to(mask._data, shape).sum())
    if count > source._data.size:
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {count} elements (the number of "
            f"True values in mask), but got {source._data.size}"
        )
    return MaskedScatter.apply(input, mask, source)


# ----- nonzero ---------------------------------------------------------------------------------
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of non-zero elements: an int64 ``(n, ndim)`` tensor, or a tuple of 1-d tensors."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(nonzero, input, out=out, as_tuple=as_tuple)
    a = input._data
    xp = array_module(a)
    if as_tuple:
        return tuple(_make(i.astype(np.int64, copy=False)) for i in xp.nonzero(_as1d(a)))
    return _make(xp.argwhere(a).astype(np.int64, copy=False))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: an int64 ``(n, ndim)`` tensor of the non-zero positions."""
    return nonzero(input)


METHOD_NAMES = [
    "gather",
    "select",
    "repeat_interleave",
    "scatter",
    "scatter_add",
    "index_select",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "nonzero",
    "take",
    "index_add",
    "index_fill",
    "index_copy",
    "index_put",
    "take_along_dim",
    "argwhere",
    "put",
]
INPLACE_NAMES = [
    "masked_fill",
    "masked_scatter",
    "scatter",
    "scatter_add",
    "index_add",
    "index_fill",
    "index_copy",
    "index_put",
    "put",
]
