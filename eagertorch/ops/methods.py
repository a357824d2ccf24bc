"""The one table that binds operators and methods onto ``Tensor``.

The core ``Tensor`` class holds no math; importing this module gives it ``__add__``,
``exp``, ``sum`` and the rest, each pointing at the op function that implements it.
"""

from __future__ import annotations

from .._tensor import Tensor
from . import (
    conversion,
    creation,
    device,
    elementwise,
    indexing,
    inplace,
    linalg,
    reduction,
    shape,
    sorting,
)
from .elementwise import UNARY
from .inplace import RANDOM_INPLACE, apply_inplace_view, inplace_method

__all__ = ["METHODS", "bind"]


def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    method.__name__ = f"r{fn.__name__}"
    return method


def _where_method(self, condition, y):
    return elementwise.where(condition, self, y)


def _pos(self):
    return self


def _inplace_view(fn, name):
    def method(self, *args):
        return apply_inplace_view(self, fn, *args)

    method.__name__ = name
    return method


e, r, s, ix, la = elementwise, reduction, shape, indexing, linalg

METHODS = {
    # arithmetic operators
    "__add__": e.add,
    "__radd__": _reflected(e.add),
    "__sub__": e.sub,
    "__rsub__": _reflected(e.sub),
    "__mul__": e.mul,
    "__rmul__": _reflected(e.mul),
    "__truediv__": e.div,
    "__rtruediv__": _reflected(e.div),
    "__floordiv__": e.floor_divide,
    "__rfloordiv__": _reflected(e.floor_divide),
    "__mod__": e.remainder,
    "__rmod__": _reflected(e.remainder),
    "__pow__": e.pow,
    "__rpow__": _reflected(e.pow),
    "__matmul__": la.matmul,
    "__rmatmul__": _reflected(la.matmul),
    "__neg__": UNARY["neg"],
    "__pos__": _pos,
    "__abs__": UNARY["abs"],
    "__eq__": e.eq,
    "__ne__": e.ne,
    "__lt__": e.lt,
    "__le__": e.le,
    "__gt__": e.gt,
    "__ge__": e.ge,
    "__and__": e.bitwise_and,
    "__rand__": _reflected(e.bitwise_and),
    "__or__": e.bitwise_or,
    "__ror__": _reflected(e.bitwise_or),
    "__xor__": e.bitwise_xor,
    "__rxor__": _reflected(e.bitwise_xor),
    "__invert__": e.bitwise_not,
    "__getitem__": ix.getitem,
    "__setitem__": ix.setitem,
    # elementwise
    "add": e.add,
    "sub": e.sub,
    "subtract": e.sub,
    "mul": e.mul,
    "multiply": e.mul,
    "div": e.div,
    "divide": e.div,
    "true_divide": e.true_divide,
    "floor_divide": e.floor_divide,
    "remainder": e.remainder,
    "fmod": e.fmod,
    "pow": e.pow,
    "float_power": e.float_power,
    "atan2": e.atan2,
    "arctan2": e.atan2,
    "maximum": e.maximum,
    "minimum": e.minimum,
    "clamp": e.clamp,
    "clip": e.clamp,
    "clamp_min": e.clamp_min,
    "clamp_max": e.clamp_max,
    "lerp": e.lerp,
    "where": _where_method,
    "round": e.round,
    "negative": UNARY["neg"],
    "absolute": UNARY["abs"],
    "arcsin": UNARY["asin"],
    "arccos": UNARY["acos"],
    "arctan": UNARY["atan"],
    "fix": UNARY["trunc"],
    "arcsinh": UNARY["asinh"],
    "arccosh": UNARY["acosh"],
    "arctanh": UNARY["atanh"],
    "polygamma": e._polygamma_method,
    "logit": e.logit,
    "xlogy": e.xlogy,
    "hypot": e.hypot,
    "logaddexp": e.logaddexp,
    "logaddexp2": e.logaddexp2,
    "copysign": e.copysign,
    "fmax": e.fmax,
    "fmin": e.fmin,
    "nan_to_num": e.nan_to_num,
    "addcmul": e.addcmul,
    "addcdiv": e.addcdiv,
    "eq": e.eq,
    "ne": e.ne,
    "lt": e.lt,
    "le": e.le,
    "gt": e.gt,
    "ge": e.ge,
    "greater": e.gt,
    "greater_equal": e.ge,
    "less": e.lt,
    "less_equal": e.le,
    "not_equal": e.ne,
    "logical_and": e.logical_and,
    "logical_or": e.logical_or,
    "logical_xor": e.logical_xor,
    "logical_not": e.logical_not,
    "bitwise_and": e.bitwise_and,
    "bitwise_or": e.bitwise_or,
    "bitwise_xor": e.bitwise_xor,
    "bitwise_not": e.bitwise_not,
    "isnan": e.isnan,
    "isinf": e.isinf,
    "isfinite": e.isfinite,
    "isposinf": e.isposinf,
    "isneginf": e.isneginf,
    "signbit": e.signbit,
    "isclose": e.isclose,
    "allclose": e.allclose,
    "equal": e.equal,
    **UNARY,
    # reductions, scans, softmax
    **{name: getattr(r, name) for name in r.METHOD_NAMES},
    # linear algebra
    **{name: getattr(la, name) for name in la.METHOD_NAMES},
    # shape
    **{name: getattr(s, name) for name in s.METHOD_NAMES},
    # indexing
    **{name: getattr(ix, name) for name in ix.METHOD_NAMES},
    # sorting and counting
    **{name: getattr(sorting, name) for name in sorting.METHOD_NAMES},
    # conversion and devices
    "to": conversion.to,
    "type": conversion.type_,
    "type_as": conversion.type_as,
    "clone": conversion.clone,
    "contiguous": conversion.contiguous,
    "cpu": device.cpu,
    "cuda": device.cuda,
    **conversion.CASTS,
    # new_* factories
    "new_zeros": creation.new_zeros,
    "new_ones": creation.new_ones,
    "new_empty": creation.new_empty,
    "new_full": creation.new_full,
    "new_tensor": creation.new_tensor,
    # in-place
    "fill_": inplace.fill_,
    "zero_": inplace.zero_,
    "copy_": inplace.copy_,
    **RANDOM_INPLACE,
}

# Every out-of-place method with a PyTorch in-place twin gets ``name_`` from one mechanism.
_INPLACE_OF = [
    "add",
    "sub",
    "subtract",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "pow",
    "float_power",
    "atan2",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "lerp",
    "round",
    "negative",
    "absolute",
    "arcsin",
    "arccos",
    "arctan",
    "fix",
    "arcsinh",
    "arccosh",
    "arctanh",
    "polygamma",
    "logit",
    "xlogy",
    "hypot",
    "copysign",
    "nan_to_num",
    "addcmul",
    "addcdiv",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    *UNARY,
    *r.INPLACE_NAMES,
    *s.INPLACE_NAMES,
    *ix.INPLACE_NAMES,
    *la.INPLACE_NAMES,
]
METHODS.update({f"{n}_": inplace_method(METHODS[n], f"{n}_") for n in _INPLACE_OF})
METHODS.update({f"{n}_": _inplace_view(METHODS[n], f"{n}_") for n in s.INPLACE_VIEW_NAMES})
METHODS.update(
    {
        "__iadd__": METHODS["add_"],
        "__isub__": METHODS["sub_"],
        "__imul__": METHODS["mul_"],
        "__itruediv__": METHODS["div_"],
        "__ifloordiv__": METHODS["floor_divide_"],
        "__imod__": METHODS["remainder_"],
        "__ipow__": METHODS["pow_"],
        "__iand__": METHODS["bitwise_and_"],
        "__ior__": METHODS["bitwise_or_"],
        "__ixor__": METHODS["bitwise_xor_"],
    }
)

PROPERTIES = {
    "T": s.T,
    "mT": s.mT,
}


def bind() -> None:
    """Attach every method and property above to ``Tensor``."""
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(fn))
