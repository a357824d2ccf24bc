"""Hypothesis strategies for tensors, shapes, dtypes, devices, dims and index keys.

The one set of strategies behind eagertorch's own op tests and users' property tests.
Importing this module (it needs ``hypothesis``) also

- registers a strategy for ``Tensor``, so ``st.from_type(Tensor)`` and ``st.builds`` work;
- registers eagertorch's default random generator with ``hypothesis.register_random``, so
  tests that call ``randn``, ``Dropout`` or ``nn.init`` replay and shrink deterministically;
- prints tensors in falsifying examples as pasteable ``eagertorch.tensor([...])`` source.
"""

from __future__ import annotations

import functools
import math

import hypothesis
import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

import eagertorch

from .._backend import dtype as _dt
from .._backend.random import default_generator
from .._tensor import Tensor, _make
from ._source import tensor_source

__all__ = [
    "advanced_indices",
    "arrays",
    "available_devices",
    "axes",
    "axis",
    "basic_indices",
    "broadcastable_shapes",
    "devices",
    "dtypes",
    "indices",
    "reshape_targets",
    "shapes",
    "tensors",
]

_LAYOUTS = ("contiguous", "strided-view", "any")


# ----- shapes ---------------------------------------------------------------------------------
def shapes(min_dims: int = 0, max_dims: int | None = None, min_side: int = 0, max_side: int = 4):
    """Array shapes (tuples), including 0-d, size-0 and size-1 dims by default.

    ``max_dims`` defaults to ``max(3, min_dims)``.
    """
    return hnp.array_shapes(
        min_dims=min_dims,
        max_dims=max(3, min_dims) if max_dims is None else max_dims,
        min_side=min_side,
        max_side=max_side,
    )


def broadcastable_shapes(
    n: int | None = None,
    *,
    signature: str | None = None,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 0,
    max_side: int = 4,
):
    """A tuple of ``n`` shapes that broadcast together (hypothesis'
    ``mutually_broadcastable_shapes``).

    With a gufunc ``signature`` such as ``np.matmul.signature`` (``"(n?,k),(k,m?)->(n?,m?)"``)
    the shapes also satisfy the core dims, and ``n`` defaults to the signature's inputs;
    ``max_dims`` then counts the broadcast (batch) dims only.
    """
    if signature is not None:
        strategy = hnp.mutually_broadcastable_shapes(
            signature=signature,
            min_dims=min_dims,
            max_dims=max_dims,
            min_side=min_side,
            max_side=max_side,
        )
    else:
        strategy = hnp.mutually_broadcastable_shapes(
            num_shapes=n,
            min_dims=min_dims,
            max_dims=max_dims,
            min_side=min_side,
            max_side=max_side,
        )
    return strategy.map(lambda r: r.input_shapes)


@st.composite
def reshape_targets(draw, shape, infer: bool = True):
    """Another shape with as many elements as ``shape``: its sizes permuted, 1s inserted,
    neighbours merged, and (when ``infer``) maybe one size written as -1."""
    sizes = list(draw(st.permutations(list(shape))))
    for _ in range(draw(st.integers(0, 2))):
        sizes.insert(draw(st.integers(0, len(sizes))), 1)
    merged = []
    for s in sizes:
        if merged and draw(st.booleans()):
            merged[-1] *= s
        else:
            merged.append(s)
    target = tuple(merged)
    if infer and target and math.prod(target) > 0 and draw(st.booleans()):
        i = draw(st.integers(0, len(target) - 1))
        target = (*target[:i], -1, *target[i + 1 :])
    return target


# ----- dims -----------------------------------------------------------------------------------
def axis(ndim: int, extra: int = 0, negative: bool = True):
    """One dim of an ``ndim``-dim tensor, maybe negative; ``extra`` more for ops that insert
    dims (``unsqueeze``). A 0-d tensor accepts dims 0 and -1, as in PyTorch."""
    n = max(ndim + extra, 1)
    return st.integers(-n if negative else 0, n - 1)


def axes(ndim: int, min_size: int = 1, max_size: int | None = None, negative: bool = True):
    """A tuple of distinct dims of an ``ndim``-dim tensor (possibly negative)."""
    if ndim == 0:
        return st.just(())
    return st.lists(
        axis(ndim, negative=negative),
        min_size=min_size,
        max_size=ndim if max_size is None else max_size,
        unique_by=lambda d: d % ndim,
    ).map(tuple)


# ----- dtypes and devices ---------------------------------------------------------------------
def dtypes(floating: bool = True, integer: bool = False, bool_: bool = False, half: bool = False):
    """eagertorch dtypes of the requested kinds (float16 only with ``half``)."""
    choices = []
    if floating:
        choices += [_dt.float32, _dt.float64] + ([_dt.float16] if half else [])
    if integer:
        choices += [_dt.int64, _dt.int32, _dt.int16, _dt.int8, _dt.uint8]
    if bool_:
        choices.append(_dt.bool)
    if not choices:
        raise InvalidArgument("dtypes() needs at least one of floating, integer, bool_")
    return st.sampled_from(choices)


def available_devices() -> list:
    """``["cpu"]``, plus ``"cuda"`` where eagertorch has CUDA support and a device is present."""
    cuda = getattr(eagertorch, "cuda", None)
    is_available = getattr(cuda, "is_available", None)
    return ["cpu", "cuda"] if is_available is not None and is_available() else ["cpu"]


def devices():
    """Devices available on this machine (see ``available_devices``), cpu first."""
    return st.sampled_from(available_devices())


# ----- arrays and tensors ---------------------------------------------------------------------
def _np_dtype(dtype) -> np.dtype:
    return dtype.np if isinstance(dtype, _dt.dtype) else np.dtype(dtype)


def _default_elements(npd: np.dtype, low: float, high: float):
    if npd.kind == "f":
        info = np.finfo(npd)
        return st.floats(
            max(low, float(info.min)),
            min(high, float(info.max)),
            allow_nan=False,
            allow_infinity=False,
            width=min(64, 8 * npd.itemsize),
        )
    if npd.kind == "b":
        return st.booleans()
    info = np.iinfo(npd)
    return st.integers(max(math.ceil(low), info.min), min(math.floor(high), info.max))


def arrays(dtype, shape, low: float = -10.0, high: float = 10.0, elements=None):
    """numpy arrays of ``dtype`` (eagertorch or numpy) with finite values in [low, high]."""
    npd = _np_dtype(dtype)
    return hnp.arrays(
        npd, shape, elements=elements if elements is not None else _default_elements(npd, low, high)
    )


def _filler(npd: np.dtype):
    """What a strided view's gaps hold: NaN for floats, so an op reading them shows it."""
    return np.nan if npd.kind == "f" else 0


def _strided_copy(a: np.ndarray, how: tuple) -> np.ndarray:
    """A non-contiguous view holding ``a``'s values, laid out as ``how`` says.

    ``("step", d)``: every other element of a buffer twice as long along dim ``d``;
    ``("transpose",)``: dims stored in reverse order (Fortran order).
    """
    if how[0] == "transpose":
        return np.asfortranarray(a)
    d = how[1]
    shape = list(a.shape)
    shape[d] *= 2
    buffer = np.full(shape, _filler(a.dtype), a.dtype)
    view = buffer[(slice(None),) * d + (slice(None, None, 2),)]
    view[...] = a
    return view


@functools.cache
def _layouts(ndim: int, layout: str):
    views = []
    if ndim:
        views.append(st.tuples(st.just("step"), st.integers(0, ndim - 1)))
    if ndim >= 2:
        views.append(st.just(("transpose",)))
    if layout == "contiguous" or not views:
        return st.none()
    if layout == "strided-view":
        return st.one_of(views)
    return st.none() | st.one_of(views)


# Strategies are built once per shape and reused: building and validating a fresh
# strategy per draw costs more than the draw itself.
@functools.lru_cache(maxsize=4096)
def _cached_arrays(npd: np.dtype, shape: tuple, elements):
    return hnp.arrays(npd, shape, elements=elements)


@functools.lru_cache(maxsize=256)
def _cached_elements(npd: np.dtype, low: float, high: float):
    return _default_elements(npd, low, high)


def tensors(
    shape=None,
    dtype=None,
    elements=None,
    requires_grad=False,
    device=None,
    layout: str = "contiguous",
    *,
    low: float = -10.0,
    high: float = 10.0,
):
    """Tensors, each argument a value or a strategy.

    - ``shape``: a tuple (default: ``shapes()``); ``dtype``: an eagertorch dtype (default:
      ``dtypes()``, float32 or float64);
    - ``elements``: a strategy of Python scalars (default: finite values in [low, high]);
    - ``requires_grad`` applies to floating-point tensors only;
    - ``device``: default cpu (``devices()`` draws any available one);
    - ``layout``: ``"contiguous"``, ``"strided-view"`` (a non-contiguous view of a larger
      buffer, or transposed storage, wherever the shape allows) or ``"any"``.
    """
    if layout not in _LAYOUTS:
        raise InvalidArgument(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    return _tensors(
        shapes() if shape is None else _as_strategy(shape),
        dtypes() if dtype is None else _as_strategy(dtype),
        elements,
        _as_strategy(requires_grad),
        None if device is None else _as_strategy(device),
        layout,
        low,
        high,
    )


@st.composite
def _tensors(draw, shape, dtype, elements, requires_grad, device, layout, low, high):
    shape = tuple(draw(shape))
    npd = _np_dtype(draw(dtype))
    a = draw(
        _cached_arrays(
            npd, shape, elements if elements is not None else _cached_elements(npd, low, high)
        )
    )
    how = draw(_layouts(len(shape), layout))
    t = _make(a if how is None else _strided_copy(a, how))
    device = "cpu" if device is None else draw(device)
    if str(device) != "cpu":
        t = t.to(device)
    if draw(requires_grad) and npd.kind == "f":
        t.requires_grad_(True)
    return t


def _as_strategy(x):
    return x if isinstance(x, st.SearchStrategy) else st.just(x)


# ----- index keys -----------------------------------------------------------------------------
def _ints(shape, low: int, high: int):
    """int64 arrays in [low, high] (an empty range only for empty shapes)."""
    return hnp.arrays(np.int64, shape, elements=st.integers(low, max(low, high)))


def _index_shape(draw, size: int, max_dims: int = 2):
    """An index array's shape; empty whenever there is nothing to index."""
    shape = draw(shapes(0, max_dims, 0, 3))
    return shape if size > 0 else (0,)


@st.composite
def _slice(draw, size: int):
    bound = st.none() | st.integers(-size - 1, size + 1)
    return slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3])))


def _with_nones(draw, items: list) -> list:
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return items


def _dims_and_ellipsis(draw, ndim: int):
    """Which dims the key names: a prefix, and a suffix after an Ellipsis."""
    k = draw(st.integers(0, ndim))
    p = draw(st.integers(0, k)) if draw(st.booleans()) else k
    return list(range(p)), list(range(ndim - (k - p), ndim)), p < k or draw(st.booleans())


def _pack(draw, items: list):
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


@st.composite
def basic_indices(draw, shape):
    """Keys of basic indexing for ``shape``: ints, slices with steps, None and Ellipsis."""
    head, tail, ellipsis = _dims_and_ellipsis(draw, len(shape))

    def item(d):
        s = shape[d]
        if s > 0 and draw(st.booleans()):
            return draw(st.integers(-s, s - 1))
        return draw(_slice(s))

    items = [item(d) for d in head] + ([Ellipsis] if ellipsis else []) + [item(d) for d in tail]
    return _pack(draw, _with_nones(draw, items))


@st.composite
def advanced_indices(draw, shape, unique: bool = False):
    """Keys of advanced indexing for ``shape``: integer arrays (or lists; with repeats unless
    ``unique``) or a bool mask, among slices, None and Ellipsis. No plain ints, where numpy
    and PyTorch order the result dims differently."""
    ndim = len(shape)
    if ndim == 0:
        return draw(st.sampled_from([True, False, np.array(True)]))
    items = [draw(_slice(s)) if draw(st.booleans()) else slice(None) for s in shape]
    if draw(st.booleans()):
        start = draw(st.integers(0, ndim - 1))
        stop = draw(st.integers(start + 1, min(ndim, start + 2)))
        mask = draw(hnp.arrays(np.bool_, shape[start:stop]))
        items[start:stop] = [mask]
    else:
        dims = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=2, unique=True))
        sizes = [shape[d] for d in dims]
        if unique:
            n = draw(st.integers(0, min(sizes)))
            index_arrays = [np.array(draw(st.permutations(range(s)))[:n], np.int64) for s in sizes]
        else:
            ishape = _index_shape(draw, min(sizes))
            index_arrays = [draw(_ints(ishape, -s, s - 1)) for s in sizes]
        for d, a in zip(dims, index_arrays):
            items[d] = a.tolist() if draw(st.booleans()) and a.ndim == 1 else a
    if draw(st.booleans()):
        # Leave out the trailing full slices, or name them with an Ellipsis.
        while items and isinstance(items[-1], slice) and items[-1] == slice(None):
            items.pop()
        if draw(st.booleans()):
            items.append(Ellipsis)
    return _pack(draw, _with_nones(draw, items))


def indices(shape, kind: str = "any", unique: bool = False):
    """Index keys for a tensor of ``shape``: ``kind`` is ``"basic"``, ``"advanced"`` or
    ``"any"``; ``unique`` keeps advanced integer indices free of repeats (for writes)."""
    if kind == "basic":
        return basic_indices(shape)
    if kind == "advanced":
        return advanced_indices(shape, unique=unique)
    if kind != "any":
        raise InvalidArgument(f"kind must be 'basic', 'advanced' or 'any', got {kind!r}")
    return basic_indices(shape) | advanced_indices(shape, unique=unique)


# ----- registrations --------------------------------------------------------------------------
class _GeneratorAsRandom:
    """``random.Random``'s seed/getstate/setstate over an eagertorch generator.

    The state is the seed plus numpy's bit generator state (None while the generator has
    not made its numpy generator yet, which stays lazy).
    """

    def __init__(self, generator) -> None:
        self._generator = generator

    def seed(self, seed) -> None:
        self._generator.manual_seed(hash(seed) & ((1 << 63) - 1))

    def getstate(self):
        g = self._generator
        np_gen = g._np_gen
        return g.initial_seed(), None if np_gen is None else np_gen.bit_generator.state

    def setstate(self, state) -> None:
        initial_seed, bits = state
        self._generator.manual_seed(initial_seed)
        if bits is not None:
            self._generator._np.bit_generator.state = bits


def _pretty_tensor(t, printer, cycle) -> None:
    printer.text(tensor_source(t))


_DEFAULT_GENERATOR_AS_RANDOM = _GeneratorAsRandom(default_generator)
hypothesis.register_random(_DEFAULT_GENERATOR_AS_RANDOM)
st.register_type_strategy(Tensor, tensors())
try:  # hypothesis' printer registry is not public API: fall back to repr if it moves
    from hypothesis.vendor.pretty import for_type_by_name

    for_type_by_name(Tensor.__module__, Tensor.__name__, _pretty_tensor)
except ImportError:  # pragma: no cover
    pass
