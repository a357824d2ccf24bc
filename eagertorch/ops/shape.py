"""Shape ops: views (reshape, transpose, expand, narrow, ...) and copies (cat, stack, repeat, ...).

Views return numpy views of their input (``is_view = True``): they share memory and the
version counter with it, as in PyTorch. Forward works on arrays; backward is written with
Tensor ops (so it is differentiable): the gradient of a view is usually the inverse view of
the incoming gradient, and slicing-like views place it into zeros with ``ViewScatter``,
whose own gradient is the view again.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module
from .._backend.size import Size
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.function import ArrayFunction

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "cat",
    "chunk",
    "column_stack",
    "concat",
    "concatenate",
    "diag",
    "diag_embed",
    "diagonal",
    "diff",
    "dsplit",
    "dstack",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "meshgrid",
    "moveaxis",
    "movedim",
    "narrow",
    "permute",
    "ravel",
    "reshape",
    "roll",
    "rot90",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "swapdims",
    "t",
    "tensor_split",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "vsplit",
    "vstack",
]


_ALL = slice(None)


# ----- argument parsing and errors -----------------------------------------------------
def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size)`` all mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _dims_arg(dims: tuple) -> tuple:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return dims


def _keyword(kwargs: dict, name: str, fn: str):
    """The one argument given by keyword instead of positionally (``x.flip(dims=...)``)."""
    if not kwargs:
        return ()
    if set(kwargs) != {name}:
        raise TypeError(f'{fn}() missing 1 required positional argument: "{name}"')
    return (kwargs[name],)


def _wrap_dim_of_tensor(dim: int, ndim: int) -> int:
    """Like ``_wrap_dim`` but a 0-d tensor has no dim to pick (split, narrow, unbind)."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _infer_size(shape: tuple, numel: int) -> tuple:
    """``shape`` with its one -1 resolved, or PyTorch's error for a shape that cannot hold
    ``numel`` elements."""
    shape = tuple(int(s) for s in shape)
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is None:
        if known == numel:
            return shape
    elif known == 0:
        if numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
    elif numel % known == 0:
        return (*shape[:infer], numel // known, *shape[infer + 1 :])
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


# ----- views: reshape and friends --------------------------------------------------------
class View(ArrayFunction):
    """``reshape``/``view``/``flatten``: a numpy view when the strides allow it, else a copy."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return View.apply(g, ctx.shape), None


def _reshape(input: Tensor, shape: tuple) -> Tensor:
    if shape and min(shape) < -1:  # numpy would read any negative size as -1
        _infer_size(shape, input._data.size)
    try:
        return View.apply(input, shape)
    except (ValueError, TypeError):
        _infer_size(shape, input._data.size)
        raise


def reshape(input: Tensor, *shape, **kwargs) -> Tensor:
    """``shape`` (ints or one tuple; one entry may be -1); a view when possible, else a copy."""
    return _reshape(input, _shape_arg(shape or _keyword(kwargs, "shape", "reshape")))


_SCALAR_TYPE_NAMES = {
    "f": "Float",
    "d": "Double",
    "e": "Half",
    "q": "Long",
    "l": "Long",
    "i": "Int",
    "h": "Short",
    "b": "Char",
    "B": "Byte",
    "?": "Bool",
}


def _view_dtype(input: Tensor, dtype) -> Tensor:
    npd = _dt.to_numpy_dtype(dtype)
    x = input._data
    if npd == x.dtype:
        return View.apply(input, x.shape)
    if npd.itemsize != x.itemsize:
        names = f"{_SCALAR_TYPE_NAMES[x.dtype.char]} as {_SCALAR_TYPE_NAMES[npd.char]}"
        last = x.shape[-1] if x.ndim else 0
        if x.ndim and x.strides[-1] != x.itemsize:
            raise RuntimeError(
                f"self.stride(-1) must be 1 to view {names} (different element sizes), but got "
                f"{x.strides[-1] // x.itemsize}"
            )
        ratio = max(npd.itemsize, x.itemsize) // min(npd.itemsize, x.itemsize)
        if npd.itemsize > x.itemsize and (x.ndim == 0 or last % ratio):
            raise RuntimeError(
                f"self.size(-1) must be divisible by {ratio} to view {names} (different element "
                f"sizes), but got {last}"
            )
    out = _make(x.view(npd))
    out._view = (input._version_root, None)
    return out


def view(input: Tensor, *shape, **kwargs) -> Tensor:
    """A view with another shape (never a copy), or ``view(dtype)`` reinterpreting the bits."""
    if not shape:
        shape = _keyword(kwargs, "dtype" if "dtype" in kwargs else "size", "view")
    if len(shape) == 1 and isinstance(shape[0], (_dt.dtype, np.dtype, type, str)):
        return _view_dtype(input, shape[0])
    out = _reshape(input, _shape_arg(shape))
    x = input._data
    if not x.flags.c_contiguous and x.size and not array_module(x).may_share_memory(out._data, x):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
            f"(view: input has shape {list(x.shape)} and stride {list(input.stride())}, "
            f"requested shape {list(out._data.shape)})"
        )
    return out


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return _reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    shape = input._data.shape
    if not shape:
        return View.apply(input, (1,))
    start = _wrap_dim(start_dim, len(shape))
    end = _wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    return View.apply(input, (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :]))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one entry may be -1)."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_size(sizes, shape[d])
    except RuntimeError as e:
        if "invalid for input" not in str(e):
            raise
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{d} ({shape[d]}) in the input tensor"
        ) from None
    return View.apply(input, shape[:d] + sizes + shape[d + 1 :])


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when contiguous, else a copy)."""
    return View.apply(input, (input._data.size,))


class Squeeze(ArrayFunction):
    """``squeeze()``: every size-1 dim."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.shape = x.shape
        return x.squeeze(dims) if dims else x.view()

    @staticmethod
    def backward(ctx, g):
        return View.apply(g, ctx.shape), None


class SqueezeDim(Squeeze):
    """``squeeze(int)``."""

    _node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    """``squeeze(tuple)``."""

    _node_name = "SqueezeBackward2"


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Drop size-1 dims: all of them, or those among ``dim`` (others are left alone)."""
    shape = input._data.shape
    if dim is None:
        return Squeeze.apply(input, tuple(i for i, s in enumerate(shape) if s == 1))
    if isinstance(dim, int):
        d = _wrap_dim(dim, len(shape))
        return SqueezeDim.apply(input, (d,) if shape and shape[d] == 1 else ())
    wrapped = [_wrap_dim(d, len(shape)) for d in dim]
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return SqueezeDims.apply(input, tuple(d for d in wrapped if shape and shape[d] == 1))


class Unsqueeze(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.shape = x.shape
        return x[(_ALL,) * dim + (None,)]

    @staticmethod
    def backward(ctx, g):
        return View.apply(g, ctx.shape), None


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in ``[-ndim-1, ndim]``)."""
    return Unsqueeze.apply(input, _wrap_dim(dim, input._data.ndim + 1))


# ----- views: transposes and permutations ------------------------------------------------
class Transpose(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return Transpose.apply(g, *ctx.dims), None, None


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    n = input._data.ndim
    if n == 0:
        _wrap_dim(dim0, 0)
        _wrap_dim(dim1, 0)
        return View.apply(input, ())
    return Transpose.apply(input, _wrap_dim(dim0, n), _wrap_dim(dim1, n))


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return transpose(input, dim0, dim1)


class TransposeT(ArrayFunction):
    """``t()``: the transpose of a matrix; 0-d and 1-d tensors come back as they are."""

    _node_name = "TBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x.T

    @staticmethod
    def backward(ctx, g):
        return TransposeT.apply(g)


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    return TransposeT.apply(input)


class Permute(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        dims = ctx.dims
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return Permute.apply(g, tuple(inverse)), None


def permute(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reorder the dims: output dim ``i`` is input dim ``dims[i]`` (a view)."""
    dims = _dims_arg(dims or _keyword(kwargs, "dims", "permute"))
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{n} is not equal to len(dims) = {len(dims)}"
        )
    wrapped = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, wrapped)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    n = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src_w = [_wrap_dim(d, n) for d in src]
    dst_w = [_wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if n == 0:
        return View.apply(input, ())
    order = [-1] * n
    for s, d in zip(src_w, dst_w):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src_w)
    order = tuple(o if o >= 0 else next(rest) for o in order)
    return Permute.apply(input, order)


def moveaxis(input: Tensor, source, destination) -> Tensor:
    return movedim(input, source, destination)


def T(input: Tensor) -> Tensor:
    """``x.T``: all dims reversed (PyTorch deprecates it for tensors that are not 2-D)."""
    n = input._data.ndim
    if n == 0:
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
            UserWarning,
            stacklevel=2,
        )
    elif n != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return Permute.apply(input, tuple(range(n - 1, -1, -1)))


def mT(input: Tensor) -> Tensor:
    """``x.mT``: the last two dims swapped (a batch of matrices transposed)."""
    n = input._data.ndim
    if n < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices. Got {n}-D tensor."
        )
    return Transpose.apply(input, n - 2, n - 1)


# ----- views: expand ---------------------------------------------------------------------
class Expand(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums the gradient back to the input's shape


def _expand_error(shape: tuple, sizes: tuple) -> RuntimeError:
    if len(sizes) < len(shape):
        return RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                return RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
        elif shape[i - lead] != s and shape[i - lead] != 1 and s != -1:
            return RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size "
                f"({shape[i - lead]}) at non-singleton dimension {i}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    return RuntimeError(f"expand: invalid target sizes {list(sizes)} for {list(shape)}")


def expand(input: Tensor, *sizes, **kwargs) -> Tensor:
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim's size)."""
    sizes = _shape_arg(sizes or _keyword(kwargs, "size", "expand"))
    shape = input._data.shape
    if -1 in sizes:
        lead = len(sizes) - len(shape)
        if lead < 0 or -1 in sizes[:lead]:
            raise _expand_error(shape, sizes)
        sizes = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        return Expand.apply(input, sizes)
    except ValueError:
        raise _expand_error(shape, sizes) from None


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, with PyTorch's error if they do not."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, size in enumerate(s):
            j = n - len(s) + i
            if size != 1:
                if out[j] != 1 and out[j] != size:
                    raise RuntimeError(
                        f"The size of tensor a ({out[j]}) must match the size of tensor b "
                        f"({size}) at non-singleton dimension {j}"
                    )
                out[j] = size
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    """Views of ``tensors`` expanded to their common broadcast shape."""
    tensors = _dims_arg(tensors)
    shape = tuple(broadcast_shapes(*(t._data.shape for t in tensors)))
    return tuple(expand(t, shape) for t in tensors)


# ----- views: slicing-like (narrow, diagonal, unfold) and their scatter ------------------
class ViewScatter(ArrayFunction):
    """Zeros of ``shape`` with ``g`` written where view ``cls`` (with ``args``) reads.

    The gradient of a slicing-like view; its own gradient is that view again, so double
    backward works. ``cls.view(array, *args)`` must return a writable view.
    """

    @staticmethod
    def forward(ctx, g, shape, cls, *args):
        ctx.cls = cls
        ctx.args = args
        out = array_module(g).zeros(shape, g.dtype)
        cls.view(out, *args)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return (ctx.cls.apply(gg, *ctx.args), None, None) + (None,) * len(ctx.args)


class Narrow(ArrayFunction):
    _node_name = "SliceBackward0"
    is_view = True

    @staticmethod
    def view(x, dim, start, length):
        return x[(_ALL,) * dim + (slice(start, start + length),)]

    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.shape = x.shape
        ctx.args = (dim, start, length)
        return Narrow.view(x, dim, start, length)

    @staticmethod
    def backward(ctx, g):
        return ViewScatter.apply(g, ctx.shape, Narrow, *ctx.args), None, None, None


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """Elements ``start .. start+length-1`` of dim ``dim`` (a view)."""
    shape = input._data.shape
    d = _wrap_dim_of_tensor(dim, len(shape))
    size = shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Narrow.apply(input, d, start, length)


class Diagonal(ArrayFunction):
    is_view = True

    @staticmethod
    def view(x, offset, dim1, dim2):
        xp = array_module(x)
        index = [slice(None)] * x.ndim
        if offset >= 0:
            index[dim2] = slice(offset, None)
        else:
            index[dim1] = slice(-offset, None)
        y = x[tuple(index)]
        keep = [i for i in range(x.ndim) if i != dim1 and i != dim2]
        shape = (*(y.shape[i] for i in keep), min(y.shape[dim1], y.shape[dim2]))
        strides = (*(y.strides[i] for i in keep), y.strides[dim1] + y.strides[dim2])
        # as_strided, not numpy's diagonal: that one is read-only, PyTorch's is writable.
        return xp.lib.stride_tricks.as_strided(y, shape, strides)

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape = x.shape
        ctx.args = (offset, dim1, dim2)
        return Diagonal.view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        return ViewScatter.apply(g, ctx.shape, Diagonal, *ctx.args), None, None, None


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the matrices in dims ``dim1``, ``dim2``, as a new last dim."""
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset, d1, d2)


class Unfold(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.shape = x.shape
        ctx.args = (dim, size, step)
        windows = array_module(x).lib.stride_tricks.sliding_window_view(x, size, axis=dim)
        return windows[(_ALL,) * dim + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx, g):
        return UnfoldBackward.apply(g, ctx.shape, *ctx.args), None, None, None


class UnfoldBackward(ArrayFunction):
    """Sum the windows' gradients back onto the (possibly overlapping) positions they read."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        out = array_module(g).zeros(shape, g.dtype)
        n = g.shape[dim]
        lead = (_ALL,) * dim
        for j in range(size):
            out[(*lead, slice(j, j + step * (n - 1) + 1, step))] += g[..., j]
        return out

    @staticmethod
    def backward(ctx, gg):
        return Unfold.apply(gg, *ctx.args), None, None, None, None


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Windows of ``size`` every ``step`` along ``dimension``, as a new last dim (a view)."""
    shape = input._data.shape
    d = _wrap_dim(dimension, len(shape))
    length = shape[d] if shape else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > length:
        raise RuntimeError(
            f"maximum size for tensor at dimension {d} is {length} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if not shape:
        return narrow(View.apply(input, (1,)), 0, 0, size)
    return Unfold.apply(input, d, size, step)


# ----- multi-output views: split, chunk, unbind -----------------------------------------
class _PickReplay:
    """Re-applies a multi-output view op to a base and picks one output (rebasing in-place
    ops on that output, like ``_ViewReplay`` for single-output views)."""

    __slots__ = ("args", "cls", "index", "parent")

    def __init__(self, cls, args: tuple, parent, index: int) -> None:
        self.cls = cls
        self.args = args
        self.parent = parent
        self.index = index

    def __call__(self, base: Tensor) -> Tensor:
        src = self.parent(base) if self.parent is not None else base
        return self.cls.apply(src, *self.args)[self.index]


def _share_outputs(outs: tuple, cls, input: Tensor, args: tuple) -> tuple:
    """Give each output of a multi-output view op its input's version counter."""
    bv = input._view
    root = bv[0] if bv is not None else input
    parent = bv[1] if bv is not None else None
    replayable = bv is None or parent is not None
    for i, o in enumerate(outs):
        replay = _PickReplay(cls, args, parent, i) if replayable and o._grad_fn else None
        o._view = (root, replay)
    return outs


class SplitWithSizes(ArrayFunction):
    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        lead = (_ALL,) * dim
        outs = []
        start = 0
        for s in sizes:
            outs.append(x[(*lead, slice(start, start + s))])
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None


class Split(SplitWithSizes):
    """``split(int)`` and ``chunk``: equal pieces (the last may be smaller)."""


def _split(input: Tensor, cls, sizes: tuple, dim: int) -> tuple:
    return _share_outputs(cls.apply(input, sizes, dim), cls, input, (sizes, dim))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    shape = tensor._data.shape
    d = _wrap_dim_of_tensor(dim, len(shape))
    n = shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(int(s) for s in split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={list(sizes)}"
            )
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={list(sizes)}"
            )
        return _split(tensor, SplitWithSizes, sizes, d)
    s = int(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )
    count = max(-(-n // s), 1) if s else 1
    sizes = (s,) * (count - 1) + (n - s * (count - 1),)
    return _split(tensor, Split, sizes, d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` equal pieces along ``dim`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shape = input._data.shape
    d = _wrap_dim_of_tensor(dim, len(shape))
    n = shape[d]
    if n == 0:
        return _split(input, Split, (0,) * chunks, d)
    return split(input, -(-n // chunks), d)


class Unbind(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(array_module(x).moveaxis(x, dim, 0)) if dim else tuple(x)

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(ctx.dim, *grads), None


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that dim (views)."""
    d = _wrap_dim_of_tensor(dim, input._data.ndim)
    return _share_outputs(Unbind.apply(input, d), Unbind, input, (d,))


# ----- copies: joining -------------------------------------------------------------------
class Cat(ArrayFunction):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return array_module(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        pieces = SplitWithSizes.apply(g, ctx.sizes, ctx.dim)
        need = ctx.needs_input_grad
        return (None, *(p if need[i + 1] else None for i, p in enumerate(pieces)))


def _common_dtype(tensors) -> list:
    """``tensors`` cast to their PyTorch result dtype (bool < int < float, widest wins)."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return list(tensors)
    r = _dt.result_type(*(t._data for t in tensors))
    return [t if t._data.dtype == r else t.to(r) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join ``tensors`` along existing dim ``dim``; 1-D empty tensors are skipped (legacy)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    tensors = _common_dtype(tensors)
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, x) for i, x in enumerate(tensors) if x._data.shape != (0,)]
    if not kept:
        return Cat.apply(0, tensors[0])
    ref_shape = kept[0][1]._data.shape
    d = _wrap_dim(dim, len(ref_shape))
    for i, x in kept[1:]:
        shape = x._data.shape
        if len(shape) != len(ref_shape):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref_shape)} and "
                f"{len(shape)}"
            )
        for k, (a, b) in enumerate(zip(ref_shape, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list. (cat: dimension {k} "
                    f"differs: tensor {kept[0][0]} has shape {list(ref_shape)}, tensor {i} has "
                    f"shape {list(shape)})"
                )
    return Cat.apply(d, *(x for _, x in kept))


def concat(tensors, dim: int = 0) -> Tensor:
    return cat(tensors, dim)


def concatenate(tensors, axis: int = 0) -> Tensor:
    return cat(tensors, axis)


class Stack(ArrayFunction):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return array_module(xs[0]).stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        pieces = Unbind.apply(g, ctx.dim)
        need = ctx.needs_input_grad
        return (None, *(p if need[i + 1] else None for i, p in enumerate(pieces)))


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shape ``tensors`` along a new dim ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    tensors = _common_dtype(tensors)
    ref = tensors[0]._data.shape
    for i, x in enumerate(tensors[1:], 1):
        if x._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(x._data.shape)} at entry {i}" + _first_difference(ref, x._data.shape)
            )
    return Stack.apply(_wrap_dim(dim, len(ref) + 1), *tensors)


def _first_difference(a: tuple, b: tuple) -> str:
    if len(a) != len(b):
        return f" (they have {len(a)} and {len(b)} dimensions)"
    d = next(k for k, (x, y) in enumerate(zip(a, b)) if x != y)
    return f" (they differ at dimension {d}: {a[d]} vs {b[d]})"


def _atleast(tensors: tuple, n: int):
    """One tensor in, one out; several (or one sequence) in, a tuple out."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    out = []
    for x in _dims_arg(tensors):
        shape = x._data.shape
        if len(shape) >= n:
            out.append(x)
        elif n == 3 and len(shape) == 2:
            out.append(View.apply(x, (*shape, 1)))
        elif n == 3 and len(shape) == 1:
            out.append(View.apply(x, (1, *shape, 1)))
        else:
            out.append(View.apply(x, (1,) * (n - len(shape)) + shape))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d tensor becomes shape (1,))."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (new dims in front)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims (numpy's layout: (n,) -> (1, n, 1))."""
    return _atleast(tensors, 3)


def hstack(tensors) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Join along dim 0 after making each tensor at least 2-D."""
    return cat([atleast_2d(x) for x in tensors], 0)


def dstack(tensors) -> Tensor:
    """Join along dim 2 after making each tensor at least 3-D."""
    return cat([atleast_3d(x) for x in tensors], 2)


def column_stack(tensors) -> Tensor:
    """Join as columns: 0-d and 1-D tensors become (n, 1) columns first."""
    cols = [View.apply(x, (x._data.size, 1)) if x._data.ndim < 2 else x for x in tensors]
    return cat(cols, 1)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids (views) of 0-D/1-D ``tensors``: ``'ij'`` (matrix) or ``'xy'``."""
    tensors = _dims_arg(tensors)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for x in tensors:
        if x._data.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{x._data.ndim}D tensor of shape {list(x._data.shape)}"
            )
    n = len(tensors)
    sizes = [x._data.size for x in tensors]
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    full = [0] * n
    for i, a in enumerate(axes):
        full[a] = sizes[i]
    full = tuple(full)
    out = []
    for x, a in zip(tensors, axes):
        shape = [1] * n
        shape[a] = -1
        out.append(expand(View.apply(x, tuple(shape)), full))
    return tuple(out)


# ----- copies: repeat, flip, roll, triangles, diag, pad ----------------------------------
class Repeat(ArrayFunction):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.shape = x.shape
        ctx.repeats = repeats
        return array_module(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        # Each output index splits as (repeat index, input index) per dim: sum the former.
        reps = ctx.repeats
        if not reps:
            return g, None
        shape = (1,) * (len(reps) - len(ctx.shape)) + ctx.shape
        split = tuple(v for r, s in zip(reps, shape) for v in (r, s))
        summed = g.reshape(split).sum(tuple(range(0, 2 * len(reps), 2)))
        return summed.reshape(ctx.shape), None


def repeat(input: Tensor, *sizes, **kwargs) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dim ``i`` (``len(sizes) >= ndim``)."""
    sizes = tuple(int(s) for s in _shape_arg(sizes or _keyword(kwargs, "repeats", "repeat")))
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, dims) -> Tensor:
    """Like ``repeat``, but ``dims`` shorter than ndim is padded with leading 1s."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        # numpy's flip is a view; PyTorch's is a copy (no shared memory to track).
        return array_module(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy)."""
    dims = _dims_arg(dims or _keyword(kwargs, "dims", "flip"))
    n = input._data.ndim
    wrapped = tuple(_wrap_dim(d, n) for d in dims)
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return Flip.apply(input, wrapped)


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, (0,))


class Roll(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts = shifts
        ctx.dims = dims
        return array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts, None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    n = input._data.ndim
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, n) for d in dims))


class Tril(ArrayFunction):
    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return array_module(x).tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.diagonal), None


class Triu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return array_module(x).triu(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.diagonal), None


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements above the ``diagonal``-th diagonal of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements below the ``diagonal``-th diagonal of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: a square matrix with ``input`` on its ``diagonal``-th diagonal; 2-D: that diagonal
    as a new 1-D tensor (a copy)."""
    n = input._data.ndim
    if n == 1:
        m = input._data.shape[0] + abs(diagonal)
        return ViewScatter.apply(input, (m, m), Diagonal, diagonal, 0, 1)
    if n == 2:
        return Diagonal.apply(input, diagonal, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


class ConstantPadNd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, pad, value):
        ctx.pad = pad
        shape = list(x.shape)
        src = [slice(None)] * x.ndim
        dst = [slice(None)] * x.ndim
        for i in range(len(pad) // 2):
            d = x.ndim - 1 - i
            lo, hi = pad[2 * i], pad[2 * i + 1]
            size = shape[d]
            shape[d] = size + lo + hi
            src[d] = slice(max(-lo, 0), size - max(-hi, 0))
            dst[d] = slice(max(lo, 0), shape[d] - max(hi, 0))
        out = array_module(x).full(shape, value, x.dtype)
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, g):
        # Padding the gradient by the opposite amounts crops the padding and refills the crop.
        return ConstantPadNd.apply(g, tuple(-p for p in ctx.pad), 0), None, None


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or crop, with negative amounts) the last dims: ``pad`` is
    ``(last_lo, last_hi, second_last_lo, second_last_hi, ...)``; only ``mode='constant'``."""
    if mode != "constant":
        raise NotImplementedError(
            f"pad(mode={mode!r}) is not implemented yet; only mode='constant' is supported"
        )
    pad = tuple(int(p) for p in pad)
    shape = input._data.shape
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > len(shape):
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {len(shape)}"
        )
    for i in range(len(pad) // 2):
        d = len(shape) - 1 - i
        if shape[d] + pad[2 * i] + pad[2 * i + 1] < 0:
            raise RuntimeError(
                f"The input size {shape[d]}, plus negative padding {pad[2 * i]} and "
                f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. Check "
                f"dimension {d} of your input."
            )
    return ConstantPadNd.apply(input, pad, 0 if value is None else value)


# ----- tensor_split, hsplit/vsplit/dsplit, rot90, diag_embed, diff ------------------------
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Views along ``dim``: ``n`` near-equal sections (the first ``size % n`` one longer), or
    the pieces between the listed indices (clamped to the size, so pieces may be empty)."""
    shape = input._data.shape
    d = _wrap_dim_of_tensor(dim, len(shape))
    size = shape[d]
    cut = indices_or_sections
    if isinstance(cut, Tensor):
        cut = cut.tolist()
    if isinstance(cut, (list, tuple)):
        bounds = [0, *(int(i) for i in cut), size]
        starts = [min(max(b, 0), size) for b in bounds[:-1]]
        stops = [min(max(b, lo), size) for b, lo in zip(bounds[1:], starts)]
    else:
        n = int(cut)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        stops = list(itertools.accumulate(q + (i < r) for i in range(n)))
        starts = [0, *stops[:-1]]
    return tuple(narrow(input, d, a, b - a) for a, b in zip(starts, stops))


def _directional_split(name: str, input: Tensor, cut, dim: int, min_dims: int) -> tuple:
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
            f"tensor with {ndim} dimensions!"
        )
    if not isinstance(cut, (list, tuple, Tensor)):
        size = input._data.shape[dim]
        if cut == 0 or size % cut:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {cut}!"
            )
    return tensor_split(input, cut, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for 1-d); sections must divide evenly."""
    dim = 1 if input._data.ndim > 1 else 0
    return _directional_split("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 0 of a tensor of at least 2 dims."""
    return _directional_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 2 of a tensor of at least 3 dims."""
    return _directional_split("dsplit", input, indices_or_sections, 2, 3)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first towards the
    second axis (flips and a transpose, as PyTorch composes it)."""
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = (_wrap_dim(d, ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input.clone()


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims ``dim1``, ``dim2`` of a result with one more dim) whose
    ``offset``-th diagonal is the last dim of ``input``; zeros elsewhere."""
    shape = input._data.shape
    ndim = len(shape) + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (shape[-1] if shape else 1) + abs(offset)
    rest = iter(shape[:-1])
    out = tuple(n if i in (d1, d2) else next(rest) for i in range(ndim))
    return ViewScatter.apply(input, out, Diagonal, offset, d1, d2)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after ``prepend``/``append`` are
    concatenated there."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input._data.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    x = cat(parts, d) if len(parts) > 1 else input.clone()
    for _ in range(n):
        size = x._data.shape[d]
        if size == 0:
            break
        x = narrow(x, d, 1, size - 1) - narrow(x, d, 0, size - 1)
    return x


METHOD_NAMES = [
    "diag_embed",
    "diff",
    "dsplit",
    "hsplit",
    "rot90",
    "tensor_split",
    "vsplit",
    "reshape",
    "view",
    "view_as",
    "reshape_as",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "permute",
    "movedim",
    "moveaxis",
    "expand",
    "expand_as",
    "broadcast_to",
    "repeat",
    "tile",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "tril",
    "triu",
    "ravel",
    "diagonal",
    "diag",
    "unfold",
]
INPLACE_VIEW_NAMES = ["t", "transpose", "squeeze", "unsqueeze", "swapaxes", "swapdims"]
INPLACE_NAMES = ["tril", "triu"]
