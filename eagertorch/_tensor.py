"""The Tensor: an array plus what autograd needs (requires_grad, grad, grad_fn, version).

The class holds no math: operators and methods such as ``__add__``, ``exp`` and ``sum``
are bound onto it from one table in ``eagertorch.ops``.
"""

from __future__ import annotations

import builtins
import importlib

import numpy as np

from ._backend import dtype as _dt
from ._backend.device import CPU, array_module
from ._backend.device import device as _device
from ._backend.device import device_of as _device_of
from ._backend.size import Size

__all__ = ["Tensor"]

_new = object.__new__
_engine_backward = None  # bound on first backward(): the engine sits above this module
_diagnostics = None  # eagertorch.autograd.diagnostics, bound on first use (same reason)


def _diag():
    global _diagnostics
    if _diagnostics is None:
        _diagnostics = importlib.import_module(".autograd.diagnostics", __package__)
    return _diagnostics


def _make(data, requires_grad: bool = False, grad_fn=None, output_nr: int = 0) -> Tensor:
    """Wrap an array without checks: the hot path for every op result."""
    t = _new(Tensor)
    t._data = data
    t._requires_grad = requires_grad
    t._grad_fn = grad_fn
    t._output_nr = output_nr
    t._grad = None
    t._version = 0
    t._view = None
    t._hooks = None
    t._cut = None
    t._writes = None
    return t


def _python_scalar_kind(x) -> str | None:
    if isinstance(x, builtins.bool):
        return "b"
    if isinstance(x, int):
        return "i"
    if isinstance(x, float):
        return "f"
    return None


def _nested_tensors_to_arrays(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_nested_tensors_to_arrays(x) for x in data]
    return data


def array_from_data(data, dtype=None, *, copy: bool = True) -> np.ndarray:
    """An array from nested Python data, numpy arrays or Tensors, with PyTorch's dtype inference.

    Python floats give the default dtype, ints int64 and bools bool; arrays keep their dtype.
    """
    arr = _array_from_data(data, dtype, copy)
    if _from_graph(data) or (
        _diagnostics is not None and (_diagnostics.rebuilt or _diagnostics.escaped_values)
    ):
        _diag().note_rebuilt(data, arr)  # a copy of values from a graph has no history
    return arr


def _from_graph(data) -> bool:
    if isinstance(data, Tensor):
        return data._requires_grad or data._cut is not None
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], Tensor):
        return any(isinstance(x, Tensor) and (x._requires_grad or x._cut is not None) for x in data)
    return False


def _array_from_data(data, dtype, copy: bool) -> np.ndarray:
    npdt = None if dtype is None else _dt.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.generic):  # numpy scalars: 0-d arrays keeping their dtype
        arr = np.asarray(data)
    elif isinstance(data, np.ndarray) or hasattr(data, "__array_namespace__"):
        arr = data
    else:
        if isinstance(data, (list, tuple)):
            data = _nested_tensors_to_arrays(data)
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"could not build a tensor from {type(data).__name__}: {e}") from None
        if npdt is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(_dt.get_default_dtype().np, copy=False)
            elif arr.dtype.kind in "iu" and not _contains_numpy(data):
                arr = arr.astype(np.int64, copy=False)
            elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
                raise TypeError(f"can't convert data of type {arr.dtype} to a tensor")
    if npdt is not None and arr.dtype != npdt:
        return arr.astype(npdt)
    _dt.from_numpy_dtype(arr.dtype)  # rejects unsupported dtypes with PyTorch's message
    if copy:
        return arr.copy()
    return arr


def _contains_numpy(data) -> bool:
    return isinstance(data, np.generic) or (
        isinstance(data, (list, tuple)) and builtins.any(_contains_numpy(x) for x in data[:1])
    )


class Tensor:
    """A multi-dimensional array on a device that can record the operations applied to it."""

    __slots__ = (
        "__weakref__",
        "_cut",  # why a tensor from a graph has none (autograd.diagnostics.GraphCut) or None
        "_data",
        "_grad",
        "_grad_fn",
        "_hooks",
        "_output_nr",
        "_requires_grad",
        "_version",
        "_view",
        "_writes",  # on a version root: its latest writes (autograd.diagnostics), or None
    )

    # Priority over numpy arrays in mixed arithmetic (ndarray + Tensor -> Tensor.__radd__).
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None) -> None:
        """Legacy constructor: ``Tensor(data)`` copies data; ``Tensor(2, 3)`` is uninitialised."""
        npdt = (dtype and _dt.to_numpy_dtype(dtype)) or _dt.get_default_dtype().np
        if not args:
            data = np.empty((0,), npdt)
        elif builtins.all(isinstance(a, int) and not isinstance(a, builtins.bool) for a in args):
            data = np.empty(args, npdt)
        elif len(args) == 1 and isinstance(args[0], (tuple, Size)) and type(args[0]) is Size:
            data = np.empty(tuple(args[0]), npdt)
        elif len(args) == 1:
            data = array_from_data(args[0], npdt)
        else:
            raise TypeError(f"Tensor(): invalid arguments {args!r}")
        self._data = data
        self._requires_grad = False
        self._grad_fn = None
        self._output_nr = 0
        self._grad = None
        self._version = 0
        self._view = None
        self._hooks = None
        self._cut = None
        self._writes = None

    # ----- metadata -------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device:
        d = self._data
        return CPU if type(d) is np.ndarray else _device_of(d)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else d.index

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return builtins.bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version_root(self) -> Tensor:
        return self._view[0] if self._view is not None else self

    @property
    def _version_counter(self) -> int:
        return (self._view[0] if self._view is not None else self)._version

    # ----- autograd state -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = builtins.bool(value)
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        if value != self._requires_grad:
            self._cut = None if value else _diag().cut_by("requires_grad")
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: grad {tuple(value.shape)}, "
                    f"tensor {tuple(self.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: grad {value.dtype}, "
                    f"tensor {self.dtype}"
                )
            if value.device != self.device:
                raise RuntimeError(
                    f"assigned grad has data located on a different device: grad "
                    f"{value.device}, tensor {self.device}"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's array, detached from the tape (and its version)."""
        t = _make(self._data)
        t._cut = _diag().cut_by("detach", ".data") if self._requires_grad else self._cut
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data (and version counter), cut from the tape."""
        t = _make(self._data)
        t._view = (self._view[0] if self._view is not None else self, None)
        t._cut = _diag().cut_by("detach", ".detach()") if self._requires_grad else self._cut
        return t

    def detach_(self) -> Tensor:
        if self._view is not None and self._grad_fn is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view "
                "is set as True, gradients are views of DDP buckets, and hence detach_() "
                "cannot be called on these gradients. To fix this error, please refer to "
                "the Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                "solution."
            )
        if self._requires_grad:
            self._cut = _diag().cut_by("detach_")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (no-op for leaves)."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self._grad_fn._retain(self)

    @property
    def retains_grad(self) -> bool:
        return self._grad_fn is not None and self._grad_fn._retains(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the graph's leaves."""
        global _engine_backward
        if _engine_backward is None:
            from .autograd.engine import backward as _engine_backward
        _engine_backward(
            (self,),
            None if gradient is None else (gradient,),
            retain_graph=retain_graph,
            create_graph=create_graph,
            inputs=inputs,
        )

    # ----- conversion to Python and numpy ---------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        v = self._data.item() if type(self._data) is np.ndarray else self._data.get().item()
        if self._requires_grad or self._cut is not None:
            _diag().note_escape(self, ".item()", v)
        return v

    def tolist(self):
        values = self._host().tolist()
        if (self._requires_grad or self._cut is not None) and self._data.size <= 64:
            _diag().note_escape(self, ".tolist()", self._host().ravel().tolist())
        return values

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use "
                    "Tensor.cpu() to copy the tensor to host memory first."
                )
            return self._host()
        if self._cut is not None or self._requires_grad:
            _diag().note_escape(self, ".numpy()", self._data)
        return self._data

    def _host(self) -> np.ndarray:
        d = self._data
        return d if type(d) is np.ndarray else d.get()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return builtins.bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        # copy/deepcopy/multiprocessing support; loading checkpoints never uses pickle.
        return (_rebuild, (self._host(), self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor.__init__(new)
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    def _repr_html_(self) -> str:
        from ._printing import tensor_html

        return tensor_html(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    @property
    def xp(self):
        """The array module (numpy or cupy) holding this tensor's data."""
        return array_module(self._data)


class _RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook) -> None:
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _rebuild(data, requires_grad, cls):
    t = cls.__new__(cls)
    Tensor.__init__(t)
    t._data = data
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative index, with PyTorch's error otherwise."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim
