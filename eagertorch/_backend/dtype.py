"""PyTorch-style dtype objects over numpy dtypes, and PyTorch's type-promotion rules."""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "bool",
    "dtype",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "int8",
    "int16",
    "int32",
    "int64",
    "set_default_dtype",
    "uint8",
]


class dtype:
    """A tensor element type; compares by identity like ``torch.dtype``."""

    __slots__ = ("_name", "is_complex", "is_floating_point", "is_signed", "itemsize", "np")

    def __init__(self, name: str, np_dtype) -> None:
        self._name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"eagertorch.{self._name}"

    def __reduce__(self):
        return (_by_name, (self._name,))

    def to_real(self) -> dtype:
        return self


bool = dtype("bool", np.bool_)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d._name: d for d in _ALL}
_NAMES.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)


def _by_name(name: str) -> dtype:
    return _NAMES[name]


class _Defaults:
    dtype = float32


def get_default_dtype() -> dtype:
    """The float dtype that Python floats and float factories produce (float32 at start)."""
    return _Defaults.dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default float dtype; only float32 and float64 are accepted, as in PyTorch."""
    if d not in (float32, float64, float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _Defaults.dtype = d


def from_numpy_dtype(npd) -> dtype:
    """The eagertorch dtype of a numpy dtype; unsupported kinds raise TypeError."""
    try:
        return _FROM_NP[npd]
    except KeyError:
        try:
            return _FROM_NP[np.dtype(npd)]
        except (KeyError, TypeError):
            raise TypeError(
                f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types "
                "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
            ) from None


def to_numpy_dtype(d) -> np.dtype:
    """Accept an eagertorch dtype, a numpy dtype, a Python type or a name; return numpy's."""
    if type(d) is dtype:
        return d.np
    if d is float:
        return _Defaults.dtype.np
    if d is int:
        return int64.np
    if d is builtins.bool:
        return bool.np
    if isinstance(d, str):
        return _NAMES[d.removeprefix("torch.").removeprefix("eagertorch.")].np
    return from_numpy_dtype(np.dtype(d)).np


# Category ranks for PyTorch's promotion: bool < integer < floating.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _category(npd: np.dtype) -> int:
    return _CATEGORY[npd.kind]


def result_type(*operands) -> np.dtype:
    """PyTorch's result dtype for an elementwise op over arrays and Python scalars.

    Dimensioned arrays take priority over 0-d arrays, which take priority over Python
    scalars; a lower-priority operand only matters when its category (bool < int < float)
    is higher, and a Python float then contributes the default dtype.
    """
    dims: list = []
    zero: list = []
    scalar_cat = -1
    for x in operands:
        if isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__"):
            (dims if x.ndim else zero).append(x.dtype)
        elif isinstance(x, builtins.bool):
            scalar_cat = max(scalar_cat, 0)
        elif isinstance(x, int):
            scalar_cat = max(scalar_cat, 1)
        elif isinstance(x, float):
            scalar_cat = max(scalar_cat, 2)
        elif isinstance(x, np.generic):
            zero.append(x.dtype)
    result = None
    for group in (dims, zero):
        if not group:
            continue
        top = group[0]
        for d in group[1:]:
            top = _promote_pair(top, d)
        if result is None or _category(top) > _category(result):
            result = top
    if scalar_cat >= 0:
        if result is None:
            result = (bool.np, int64.np, _Defaults.dtype.np)[scalar_cat]
        elif scalar_cat > _category(result):
            result = int64.np if scalar_cat == 1 else _Defaults.dtype.np
    return result


def _promote_pair(a: np.dtype, b: np.dtype) -> np.dtype:
    if a is b or a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


# PyTorch's error messages name dtypes by ScalarType ("Float") or by C++ type ("float").
_SCALAR_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
}
_CPP_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}


def scalar_name(npdtype) -> str:
    """PyTorch's ScalarType name of a dtype, as in "Got: Long"."""
    name = np.dtype(npdtype).name
    return _SCALAR_NAMES.get(name, name)


def cpp_name(npdtype) -> str:
    """PyTorch's C++ type name of a dtype, as in "float != double"."""
    name = np.dtype(npdtype).name
    return _CPP_NAMES.get(name, name)
