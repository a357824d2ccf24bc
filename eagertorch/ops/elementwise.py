"""Elementwise ops with broadcasting: arithmetic, unary math, comparisons, logic, where/clamp.

Forward works on arrays; backward is written with Tensor ops (so it is differentiable).
The engine sums broadcast gradients back to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module, device_ctx, on_device_of
from .._tensor import Tensor, _make, array_from_data
from ..autograd.diagnostics import integer_result, op_name
from ..autograd.function import ArrayFunction, run_in_device
from . import special as _sp

__all__ = [
    "add",
    "allclose",
    "atan2",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "div",
    "eq",
    "equal",
    "float_power",
    "floor_divide",
    "fmod",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "lerp",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "maximum",
    "minimum",
    "mul",
    "ne",
    "not_equal",
    "pow",
    "remainder",
    "round",
    "rsub",
    "signbit",
    "sub",
    "true_divide",
    "where",
]

_PY_SCALARS = (int, float)


# ----- operands and type promotion ------------------------------------------------------
def _operand(x):
    """Python and numpy scalars stay scalars; arrays and sequences become Tensors."""
    if isinstance(x, (Tensor, int, float)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array_namespace__"):
        return _make(array_from_data(x, copy=False))
    raise TypeError(f"unsupported operand type for a tensor operation: '{type(x).__name__}'")


def _promoted(a, b, floating: bool = False):
    """Cast tensor operands to PyTorch's result dtype (numpy's rules differ for mixed kinds)."""
    # Fast paths: same-dtype tensors, or a float tensor with a Python scalar.
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da = a._data.dtype
            if da is b._data.dtype and (not floating or da.kind == "f"):
                return a, b
        elif (type(b) is float or type(b) is int) and a._data.dtype.kind == "f":
            return a, b
    elif (
        (type(a) is float or type(a) is int)
        and isinstance(b, Tensor)
        and (b._data.dtype.kind == "f")
    ):
        return a, b
    return _promoted_slow(a, b, floating)


def _promoted_slow(a, b, floating: bool):
    if not isinstance(a, Tensor):
        a = _operand(a)
    if not isinstance(b, Tensor):
        b = _operand(b)
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db and (not floating or da.kind == "f"):
            return a, b
    elif ta or tb:
        t = a if ta else b
        if t._data.dtype.kind == "f":
            return a, b
    else:
        return a, b
    r = _dt.result_type(a._data if ta else a, b._data if tb else b)
    if floating and r.kind != "f":
        r = _dt.get_default_dtype().np
    # numpy promotes a bool array with another array like PyTorch does, but a bool array
    # with a Python float to float64: cast bools too when the other side is a scalar.
    keep_bool = not floating and ta and tb
    if ta and a._data.dtype != r and not (keep_bool and a._data.dtype.kind == "b"):
        a = a.to(r)
    if tb and b._data.dtype != r and not (keep_bool and b._data.dtype.kind == "b"):
        b = b.to(r)
    return a, b


def _shape_of(x) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else ()


def _broadcast_error(a, b, cause: Exception | None = None, op: str = "") -> Exception:
    """PyTorch's message for operands that do not broadcast, naming the op and both shapes
    (other errors pass through)."""
    if cause is not None and "broadcast" not in str(cause):
        return cause
    sa, sb = _shape_of(a), _shape_of(b)
    shapes = f"tensor a has shape {list(sa)}, tensor b has shape {list(sb)}"
    where = f" ({op}: {shapes})" if op else f" ({shapes})"
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {n - i}{where}"
            )
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} are not broadcastable{where}")


def _apply_binary(cls, a, b):
    try:
        return cls.apply(a, b)
    except ValueError as e:
        raise _broadcast_error(a, b, e, op_name(cls)) from None


# ----- binary arithmetic ----------------------------------------------------------------
class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        # Save only what backward reads, so in-place changes elsewhere don't trip the check.
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(a if need[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * a / (b * b) if need_b else None
        return ga, gb


class Pow(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a if not isinstance(a, _PY_SCALARS) else b)
        if isinstance(a, _PY_SCALARS):
            y = xp.power(xp.asarray(a, dtype=b.dtype), b)
        else:
            if a.dtype.kind in "iu" and isinstance(b, int) and b < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            y = xp.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            if isinstance(b, _PY_SCALARS):
                ga = g * b * a ** (b - 1) if b != 0 else g * 0
            else:
                ga = where((b == 0) & (a == 0), 0.0, g * b * a ** (b - 1))
        if need_b:
            if isinstance(a, _PY_SCALARS):
                gb = g * y * math.log(a) if a > 0 else where(b >= 0, 0.0, g * y * math.log(a))
            else:
                gb = where((a == 0) & (b >= 0), 0.0, g * y * a.log())
        return ga, gb


class Atan2(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        return g * b / denom, -g * a / denom


class Remainder(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a if isinstance(b, _PY_SCALARS) else b).remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * floor_divide(a, b) if ctx.needs_input_grad[1] else None
        return g, gb


class FloorDivide(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        return array_module(a if isinstance(b, _PY_SCALARS) else b).floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class _Extremum(ArrayFunction):
    """Elementwise max/min; at ties each input gets half the gradient, as in PyTorch."""

    @staticmethod
    def backward(ctx, g):
        pick_a, tie = ctx.masks
        half = g * 0.5
        ga = where(tie, half, g * pick_a) if ctx.needs_input_grad[0] else None
        gb = where(tie, half, g * ~pick_a) if ctx.needs_input_grad[1] else None
        return ga, gb


class Maximum(_Extremum):
    @staticmethod
    def forward(ctx, a, b):
        ctx.masks = (_make(a > b), _make(a == b))
        return array_module(a).maximum(a, b)


class Minimum(_Extremum):
    @staticmethod
    def forward(ctx, a, b):
        ctx.masks = (_make(a < b), _make(a == b))
        return array_module(a).minimum(a, b)


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = _promoted(input, other)
    try:
        return Add.apply(a, b)
    except ValueError as e:
        raise _broadcast_error(a, b, e, "add") from None


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    if alpha != 1:
        other = mul(other, alpha)
    a, b = _promoted(input, other)
    if (isinstance(a, Tensor) and a._data.dtype.kind == "b") or (
        isinstance(b, Tensor) and b._data.dtype.kind == "b"
    ):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _apply_binary(Sub, a, b)


def mul(input, other, *, out=None) -> Tensor:
    a, b = _promoted(input, other)
    try:
        return Mul.apply(a, b)
    except ValueError as e:
        raise _broadcast_error(a, b, e, "mul") from None


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """True division (ints give the default float dtype); ``rounding_mode`` 'trunc'/'floor'."""
    if rounding_mode is None:
        a, b = _promoted(input, other, floating=True)
        return _apply_binary(Div, a, b)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = _promoted(input, other)
        if (isinstance(a, Tensor) and a._data.dtype.kind == "f") or isinstance(a, float):
            return _apply_binary(Div, a, b).trunc()
        q = floor_divide(a, b)
        r = remainder(a, b)
        # Floor and trunc differ when the division is inexact and the signs differ.
        return where((r != 0) & ((_as_tensor(a) < 0) != (_as_tensor(b) < 0)), q + 1, q)
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else _make(np.asarray(x))


def true_divide(input, other) -> Tensor:
    return div(input, other)


def floor_divide(input, other) -> Tensor:
    a, b = _promoted(input, other)
    return _apply_binary(FloorDivide, a, b)


def remainder(input, other) -> Tensor:
    """Python-style modulus: the result has the sign of the divisor."""
    a, b = _promoted(input, other)
    return _apply_binary(Remainder, a, b)


def fmod(input, other) -> Tensor:
    """C-style modulus: the result has the sign of the dividend."""
    return sub(input, mul(div(input, other, rounding_mode="trunc"), other))


def pow(input, exponent) -> Tensor:
    a, b = _promoted(input, exponent)
    return _apply_binary(Pow, a, b)


def float_power(input, exponent) -> Tensor:
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


def atan2(input, other) -> Tensor:
    a, b = _promoted(input, other, floating=True)
    return _apply_binary(Atan2, a, b)


def maximum(input, other) -> Tensor:
    a, b = _promoted(input, other)
    return _apply_binary(Maximum, a, b)


def minimum(input, other) -> Tensor:
    a, b = _promoted(input, other)
    return _apply_binary(Minimum, a, b)


def rsub(input, other, *, alpha=1) -> Tensor:
    return sub(other, input, alpha=alpha)


# ----- unary math: one line each -----------------------------------------------------------
_UNARY = {
    # name: (forward(xp, x), backward(x, y, g), saves ("x" / "y" / ""), float-only)
    "neg": (lambda xp, x: -x, lambda x, y, g: -g, "", False),
    "abs": (lambda xp, x: xp.abs(x), lambda x, y, g: g * x.sign(), "x", False),
    "sign": (lambda xp, x: xp.sign(x), lambda x, y, g: g * 0, "", False),
    "exp": (lambda xp, x: xp.exp(x), lambda x, y, g: g * y, "y", True),
    "exp2": (lambda xp, x: xp.exp2(x), lambda x, y, g: g * y * math.log(2.0), "y", True),
    "expm1": (lambda xp, x: xp.expm1(x), lambda x, y, g: g * (y + 1), "y", True),
    "log": (lambda xp, x: xp.log(x), lambda x, y, g: g / x, "x", True),
    "log2": (lambda xp, x: xp.log2(x), lambda x, y, g: g / (x * math.log(2.0)), "x", True),
    "log10": (lambda xp, x: xp.log10(x), lambda x, y, g: g / (x * math.log(10.0)), "x", True),
    "log1p": (lambda xp, x: xp.log1p(x), lambda x, y, g: g / (x + 1), "x", True),
    "sqrt": (lambda xp, x: xp.sqrt(x), lambda x, y, g: g / (2 * y), "y", True),
    "rsqrt": (lambda xp, x: 1 / xp.sqrt(x), lambda x, y, g: g * -0.5 * y * y * y, "y", True),
    "square": (lambda xp, x: x * x, lambda x, y, g: g * 2 * x, "x", False),
    "reciprocal": (lambda xp, x: 1 / x, lambda x, y, g: -g * y * y, "y", True),
    "sin": (lambda xp, x: xp.sin(x), lambda x, y, g: g * x.cos(), "x", True),
    "cos": (lambda xp, x: xp.cos(x), lambda x, y, g: -g * x.sin(), "x", True),
    "tan": (lambda xp, x: xp.tan(x), lambda x, y, g: g * (1 + y * y), "y", True),
    "asin": (lambda xp, x: xp.arcsin(x), lambda x, y, g: g * (1 - x * x).rsqrt(), "x", True),
    "acos": (lambda xp, x: xp.arccos(x), lambda x, y, g: -g * (1 - x * x).rsqrt(), "x", True),
    "atan": (lambda xp, x: xp.arctan(x), lambda x, y, g: g / (1 + x * x), "x", True),
    "sinh": (lambda xp, x: xp.sinh(x), lambda x, y, g: g * x.cosh(), "x", True),
    "cosh": (lambda xp, x: xp.cosh(x), lambda x, y, g: g * x.sinh(), "x", True),
    "tanh": (lambda xp, x: xp.tanh(x), lambda x, y, g: TanhBackward.apply(g, y), "y", True),
    "sigmoid": (
        lambda xp, x: _sigmoid(xp, x),
        lambda x, y, g: SigmoidBackward.apply(g, y),
        "y",
        True,
    ),
    "relu": (
        lambda xp, x: _relu(xp, x),
        lambda x, y, g: ThresholdBackward.apply(g, y),
        "y",
        False,
    ),
    "floor": (lambda xp, x: xp.floor(x), lambda x, y, g: g * 0, "", False),
    "ceil": (lambda xp, x: xp.ceil(x), lambda x, y, g: g * 0, "", False),
    "trunc": (lambda xp, x: xp.trunc(x), lambda x, y, g: g * 0, "", False),
    "frac": (lambda xp, x: x - xp.trunc(x), lambda x, y, g: g, "", False),
    "asinh": (lambda xp, x: xp.arcsinh(x), lambda x, y, g: g * (x * x + 1).rsqrt(), "x", True),
    "acosh": (lambda xp, x: xp.arccosh(x), lambda x, y, g: g * (x * x - 1).rsqrt(), "x", True),
    "atanh": (lambda xp, x: xp.arctanh(x), lambda x, y, g: g / (1 - x * x), "x", True),
    "sinc": (lambda xp, x: xp.sinc(x), lambda x, y, g: g * _sinc_derivative(x), "x", True),
    "deg2rad": (lambda xp, x: x * _DEG, lambda x, y, g: g * _DEG, "", True),
    "rad2deg": (lambda xp, x: x * (1 / _DEG), lambda x, y, g: g * (1 / _DEG), "", True),
    "erf": (_sp.erf, lambda x, y, g: g * _erf_derivative(x), "x", True),
    "erfc": (_sp.erfc, lambda x, y, g: -g * _erf_derivative(x), "x", True),
    "erfinv": (_sp.erfinv, lambda x, y, g: g * _SQRT_PI_2 * (y * y).exp(), "y", True),
    "lgamma": (_sp.lgamma, lambda x, y, g: g * UNARY["digamma"](x), "x", True),
    "digamma": (_sp.digamma, lambda x, y, g: g * polygamma(1, x), "x", True),
}
_DEG = math.pi / 180
_SQRT_PI_2 = math.sqrt(math.pi) / 2


def _erf_derivative(x: Tensor) -> Tensor:
    return (x * x).neg().exp() * (2 / math.sqrt(math.pi))


def _sinc_derivative(x: Tensor) -> Tensor:
    """``(cos(pi x) - sinc(x)) / x``; near 0, where that cancels, its Taylor series (so the
    second derivative is right at 0 too). Near 0 the division gets 1, keeping nan out of the
    discarded branch's gradient."""
    near = x.abs() < 1e-3
    safe = where(near, 1.0, x)
    series = x * (x * x * (math.pi**4 / 30) - math.pi**2 / 3)
    return where(near, series, ((safe * math.pi).cos() - safe.sinc()) / safe)


class TanhBackward(ArrayFunction):
    """``g * (1 - y**2)`` as one op (hot in RNNs), itself differentiable for double backward."""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g * (1 - y * y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (gg * (1 - y * y) if need_g else None), (gg * g * y * -2 if need_y else None)


class ThresholdBackward(ArrayFunction):
    """ReLU's backward ``g * (y > 0)`` as one op (hot in every MLP); linear in ``g``, so its
    own backward masks ``gg`` the same way (and gives ``y`` no gradient, as PyTorch)."""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return g * (y > 0)

    @staticmethod
    def backward(ctx, gg):
        (y,) = ctx.saved_tensors
        return (ThresholdBackward.apply(gg, y) if ctx.needs_input_grad[0] else None), None


class SigmoidBackward(ArrayFunction):
    """``g * y * (1 - y)`` as one op, itself differentiable for double backward."""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g * y * (1 - y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (gg * y * (1 - y) if need_g else None), (gg * g * (1 - 2 * y) if need_y else None)


def _sigmoid(xp, x):
    # exp of -|x| never overflows; both branches are exact rearrangements.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _relu(xp, x):
    """``max(x, 0)`` against an array of zeros, which then takes the result: numpy's maximum
    of an array and a broadcast scalar is not vectorized and takes twice as long."""
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    zeros = xp.zeros(x.shape, x.dtype)
    return xp.maximum(x, zeros, out=zeros)


def _make_unary(name: str, fwd, bwd, saves: str, floating: bool):
    def forward(ctx, x):
        y = fwd(np if type(x) is np.ndarray else array_module(x), x)  # array_module, inlined
        if saves == "x":
            ctx.save_for_backward(x)
        elif saves == "y":
            ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        if saves == "x":
            (x,) = ctx.saved_tensors
            return bwd(x, None, g)
        if saves == "y":
            (y,) = ctx.saved_tensors
            return bwd(None, y, g)
        return bwd(None, None, g)

    cls = type(
        name.capitalize(),
        (ArrayFunction,),
        {
            "forward": staticmethod(forward),
            "backward": staticmethod(backward),
            "__module__": __name__,
        },
    )
    default = _dt.get_default_dtype

    if floating:

        def op(input: Tensor, *, out=None) -> Tensor:
            if input._data.dtype.kind != "f":
                input = input.to(default())
            return cls.apply(input)
    else:

        def op(input: Tensor, *, out=None) -> Tensor:
            return cls.apply(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (differentiable)."
    return op


UNARY = {name: _make_unary(name, *spec) for name, spec in _UNARY.items()}
globals().update(UNARY)
__all__ += list(UNARY)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch does); zero gradient."""
    return Round.apply(input, decimals)


class Round(ArrayFunction):
    @staticmethod
    def forward(ctx, x, decimals):
        return array_module(x).round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


# ----- where / clamp / lerp -------------------------------------------------------------------
class Where(ArrayFunction):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        xp = array_module(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = _make(ctx.cond)
        _, need_a, need_b = ctx.needs_input_grad
        return None, (g * cond if need_a else None), (g * ~cond if need_b else None)


def where(condition, input=None, other=None) -> Tensor:
    """Pick ``input`` where ``condition`` holds, else ``other``; one argument gives nonzero()."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = condition if isinstance(condition, Tensor) else _make(np.asarray(condition))
    if cond._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{cond.dtype}"
        )
    a, b = _promoted(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        dt = _dt.result_type(a, b)
        a = _make(np.asarray(a, dtype=dt))
    try:
        return Where.apply(cond, a, b)
    except ValueError:
        raise RuntimeError(
            f"where: shapes of condition {list(cond.shape)}, input {list(_shape_of(a))} and "
            f"other {list(_shape_of(b))} are not broadcastable"
            + _clash(cond._data.shape, _shape_of(a), _shape_of(b))
        ) from None


def _clash(*shapes) -> str:
    """Where broadcasting ``shapes`` fails: the first (right-aligned) dim with two sizes."""
    n = max(len(s) for s in shapes)
    for d in range(n):
        sizes = {s[d - n + len(s)] for s in shapes if d - n + len(s) >= 0} - {1}
        if len(sizes) > 1:
            return f" (sizes {sorted(sizes)} at non-singleton dimension {d})"
    return ""


class Clamp(ArrayFunction):
    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = array_module(x)
        y = x if lo is None else xp.maximum(x, lo)
        hi_sel = None if hi is None else y > hi
        if hi is not None:
            y = xp.minimum(y, hi)
        lo_sel = None if lo is None else x < lo
        if lo_sel is not None and hi_sel is not None:
            lo_sel = lo_sel & ~hi_sel
        keep = xp.ones(x.shape, bool)
        for sel in (lo_sel, hi_sel):
            if sel is not None:
                keep = keep & ~sel
        ctx.sel = (keep, lo_sel, hi_sel)
        return y

    @staticmethod
    def backward(ctx, g):
        keep, lo_sel, hi_sel = ctx.sel
        need_x, need_lo, need_hi = ctx.needs_input_grad
        return (
            g * _make(keep) if need_x else None,
            g * _make(lo_sel) if need_lo else None,
            g * _make(hi_sel) if need_hi else None,
        )


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:
    """Limit values to ``[min, max]`` (scalars or tensors); gradient flows where not clipped."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    x = input
    lo = _operand(min) if min is not None else None
    hi = _operand(max) if max is not None else None
    for bound in (lo, hi):
        if bound is not None:
            x, _ = _promoted(x, bound)
    if isinstance(lo, Tensor) and lo._data.dtype != x._data.dtype:
        lo = lo.to(x.dtype)
    if isinstance(hi, Tensor) and hi._data.dtype != x._data.dtype:
        hi = hi.to(x.dtype)
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError as e:
        bound = hi if isinstance(hi, Tensor) and _broadcasts(x, lo) else lo
        raise _broadcast_error(x, bound, e, "clamp") from None


def _broadcasts(a, b) -> bool:
    try:
        np.broadcast_shapes(_shape_of(a), _shape_of(b))
    except ValueError:
        return False
    return True


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:
    return clamp(input, max=max)


class Lerp(ArrayFunction):
    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        return start + weight * (end - start)

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        need_s, need_e, need_w = ctx.needs_input_grad
        return (
            g * (1 - weight) if need_s else None,
            g * weight if need_e else None,
            g * (end - start) if need_w else None,
        )


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)``."""
    s, e = _promoted(input, end)
    if isinstance(weight, Tensor) and weight._data.dtype != s._data.dtype:
        weight = weight.to(s.dtype)
    try:
        return Lerp.apply(s, e, weight)
    except ValueError:
        raise _broadcast_error(s, e, op="lerp") from None


# ----- comparisons and logic: never differentiable --------------------------------------------
def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _compare(ufunc_name: str, symbol: str):
    ufunc = getattr(np, ufunc_name)

    def compare(input, other, *, out=None) -> Tensor:
        a, b = _raw(input), _raw(_operand(other))
        try:
            if type(a) is np.ndarray:
                result = _make(np.asarray(ufunc(a, b)))
            else:
                # outside any op: cupy computes on the current device
                result = _make(on_device_of(a, getattr(array_module(a), ufunc_name), a, b))
        except ValueError:
            raise _broadcast_error(input, _operand(other), op=compare.__name__) from None
        return integer_result(result, compare.__name__, 0, input, other)

    compare.__name__ = ufunc_name
    compare.__doc__ = f"Elementwise ``{symbol}`` (bool result)."
    return compare


eq = _compare("equal", "==")
ne = _compare("not_equal", "!=")
lt = _compare("less", "<")
le = _compare("less_equal", "<=")
gt = _compare("greater", ">")
ge = _compare("greater_equal", ">=")
logical_and = _compare("logical_and", "and")
logical_or = _compare("logical_or", "or")
logical_xor = _compare("logical_xor", "xor")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _bitwise(ufunc_name: str):
    def op(input, other) -> Tensor:
        if device_ctx[0]:  # computed outside any op: under the inputs' device
            return run_in_device(op, input, other)
        a, b = _promoted(input, other)
        a, b = _raw(a), _raw(b)
        if (getattr(a, "dtype", None) is not None and a.dtype.kind == "f") or (
            getattr(b, "dtype", None) is not None and b.dtype.kind == "f"
        ):
            raise RuntimeError(f"\"{ufunc_name}_cpu\" not implemented for 'Float'")
        xp = array_module(a)
        return _make(xp.asarray(getattr(xp, ufunc_name)(a, b)))

    op.__name__ = ufunc_name
    return op


bitwise_and = _bitwise("bitwise_and")
bitwise_or = _bitwise("bitwise_or")
bitwise_xor = _bitwise("bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(bitwise_not, input)
    if input._data.dtype.kind == "f":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return _make(~input._data)


def _test(ufunc_name: str):
    """An elementwise test with a boolean result (``isnan``, ...)."""

    def op(input: Tensor) -> Tensor:
        if device_ctx[0]:  # computed outside any op: under the input's device
            return run_in_device(op, input)
        x = input._data
        return _make(getattr(array_module(x), ufunc_name)(x))

    op.__name__ = ufunc_name
    return op


logical_not = _test("logical_not")
isnan = _test("isnan")
isinf = _test("isinf")
isfinite = _test("isfinite")
isposinf = _test("isposinf")
isneginf = _test("isneginf")
signbit = _test("signbit")


def _close(a: Tensor, b, rtol, atol, equal_nan):
    a, b = _promoted(a, b)
    xp = array_module(_raw(a))
    return xp.isclose(_raw(a), _raw(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


def isclose(input: Tensor, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    if device_ctx[0]:  # computed outside any op: under the inputs' device
        return run_in_device(isclose, input, other, rtol, atol, equal_nan)
    try:
        out = _close(input, other, rtol, atol, equal_nan)
    except ValueError as e:
        raise _broadcast_error(input, _operand(other), e, "isclose") from None
    # 0-d numpy inputs give a scalar; np.asarray would also move a device result to the host
    return _make(np.asarray(out) if isinstance(out, np.generic) else out)


def allclose(input: Tensor, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    if device_ctx[0]:  # computed outside any op: under the inputs' device
        return run_in_device(allclose, input, other, rtol, atol, equal_nan)
    try:
        return bool(_close(input, other, rtol, atol, equal_nan).all())
    except ValueError as e:
        raise _broadcast_error(input, _operand(other), e, "allclose") from None


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and elements."""
    if device_ctx[0]:  # computed outside any op: under the inputs' device
        return run_in_device(equal, input, other)
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


# ----- special functions and binary math ---------------------------------------------------
class Polygamma(ArrayFunction):
    """The n-th derivative of digamma; its backward is the next one."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _sp.polygamma(array_module(x), n, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, ctx.n + 1), None


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma (``n = 0`` is digamma itself)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if input._data.dtype.kind != "f":
        input = input.to(_dt.get_default_dtype())
    return UNARY["digamma"](input) if n == 0 else Polygamma.apply(input, n)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``."""
    if input._data.dtype.kind != "f":
        input = input.to(_dt.get_default_dtype())
    p = input
    if eps is not None:  # PyTorch's order (not clamp's), which matters when eps > 0.5
        p = where(p < eps, eps, where(p > 1 - eps, 1 - eps, p))
    return p.log() - p.neg().log1p()


class Hypot(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        y = array_module(a).hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        r = g / y
        return r * a, r * b


class Logaddexp(ArrayFunction):
    """``log(e^a + e^b)``; each input's share of the sum is a sigmoid of the difference."""

    scale = 1.0

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        xp = array_module(a)
        return xp.logaddexp(a, b) if cls.scale == 1.0 else xp.logaddexp2(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        d = (a - b) * cls.scale
        return g * d.sigmoid(), g * d.neg().sigmoid()


class Logaddexp2(Logaddexp):
    scale = math.log(2.0)


class Copysign(ArrayFunction):
    """``|a|`` with the sign of ``b``: ``a``'s gradient flips where the signs differ (0 at
    a = 0, as PyTorch); ``b`` gets none."""

    @staticmethod
    def forward(ctx, a, b):
        y = array_module(a).copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        return g * (a.sign() * y.sign()), g * 0


class _NanExtremum(ArrayFunction):
    """fmax/fmin: NaN loses to a number; the picked input (``a`` at ties) gets the gradient."""

    @staticmethod
    def backward(ctx, g):
        (pick_a,) = ctx.masks
        return where(pick_a, g, 0.0), where(pick_a, 0.0, g)


class Fmax(_NanExtremum):
    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a)
        ctx.masks = (_make((a >= b) | xp.isnan(b)),)
        return xp.fmax(a, b)


class Fmin(_NanExtremum):
    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a)
        ctx.masks = (_make((a <= b) | xp.isnan(b)),)
        return xp.fmin(a, b)


def _binary(cls, doc: str, floating: bool = True):
    """The public function of a broadcasting binary op (float result when ``floating``)."""

    def op(input, other) -> Tensor:
        a, b = _promoted(input, other, floating=floating)
        return _apply_binary(cls, a, b)

    op.__name__ = op.__qualname__ = op_name(cls)
    op.__doc__ = doc
    return op


hypot = _binary(Hypot, "``sqrt(input**2 + other**2)`` without overflow.")
logaddexp = _binary(Logaddexp, "``log(exp(input) + exp(other))`` without overflow.")
logaddexp2 = _binary(Logaddexp2, "``log2(2**input + 2**other)`` without overflow.")
copysign = _binary(Copysign, "``|input|`` with the sign (bit) of ``other``.")
fmax = _binary(Fmax, "Elementwise maximum that ignores NaN (NaN only where both are).", False)
fmin = _binary(Fmin, "Elementwise minimum that ignores NaN (NaN only where both are).", False)


class Xlogy(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a if isinstance(b, _PY_SCALARS) else b)
        ctx.save_for_backward(a, b)
        return xp.where((a == 0) & ~xp.isnan(b), 0.0, a * xp.log(b)).astype(
            xp.result_type(a, b), copy=False
        )

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # d/da is log(b) masked like the forward, so a = 0 gives 0 even where log(b) is nan.
        ga = g * xlogy(a != 0, b) if need_a else None
        return ga, (g * a / b if need_b else None)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    a, b = _promoted(input, other, floating=True)
    return _apply_binary(Xlogy, a, b)


class NanToNum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return array_module(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return where(x.isfinite(), g, 0.0), None, None, None


def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the
    dtype's largest and lowest finite values); they get no gradient."""
    if input._data.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


def addcmul(input: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2`` (an optimizer staple)."""
    return add(input, mul(tensor1, tensor2), alpha=value)


def addcdiv(input: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``; integer operands are refused, as in PyTorch."""
    t1, t2 = _operand(tensor1), _operand(tensor2)
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "biu" for t in (t1, t2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    return add(input, div(t1, t2), alpha=value)


__all__ += [
    "addcdiv",
    "addcmul",
    "copysign",
    "fmax",
    "fmin",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "logit",
    "nan_to_num",
    "polygamma",
    "xlogy",
]
