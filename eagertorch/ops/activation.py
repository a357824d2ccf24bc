"""Pointwise activations (leaky_relu, elu, gelu, softplus, hardtanh, silu, mish, ...) and prelu.

Each activation is two ops: the forward ``y = f(x)`` and its backward ``g * f'(x)``, both
computed on arrays in one pass. The backward op's own backward (double backward) is written
with Tensor ops: ``gg * f'(x)`` is the backward op again, and ``gg * g * f''(x)`` is built
from differentiable Tensor ops, so derivatives of every order exist. ``relu``, ``sigmoid``
and ``tanh`` live in ``elementwise``; softmax in ``reduction``.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend.device import array_module
from .._backend.random import numpy_generator
from .._tensor import Tensor, _make
from ..autograd.function import ArrayFunction
from .elementwise import _sigmoid, where
from .special import _exp_neg_half_square, _normal_cdf

__all__ = [
    "celu",
    "elu",
    "gelu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "leaky_relu",
    "logsigmoid",
    "mish",
    "prelu",
    "rrelu",
    "silu",
    "softplus",
    "softshrink",
    "threshold",
]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715


def _normal_pdf(xp, x):
    return _exp_neg_half_square(xp, xp.abs(x)) * _INV_SQRT_2PI


def _softplus(xp, x):
    """``log(1 + exp(x))`` without overflow for any x."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# ----- the activations: forward, g * f'(x) on arrays, f''(x) on Tensors --------------------------
def _leaky_relu(xp, x, slope):
    return xp.where(x > 0, x, x * slope)


def _leaky_relu_grad(xp, g, x, slope):
    return xp.where(x > 0, g, g * slope)


def _elu(xp, x, alpha, scale, input_scale):
    neg = xp.expm1(xp.minimum(x, 0) * input_scale)
    neg *= alpha * scale
    return xp.where(x > 0, x * scale, neg)


def _elu_grad(xp, g, x, alpha, scale, input_scale):
    neg = xp.exp(xp.minimum(x, 0) * input_scale)
    neg *= alpha * scale * input_scale
    neg *= g
    return xp.where(x > 0, g * scale, neg)


def _elu_grad2(x: Tensor, alpha, scale, input_scale) -> Tensor:
    neg = (x < 0).to(x.dtype)  # masks cast explicitly: bool * float may not keep x's dtype
    return (x.clamp(max=0) * input_scale).exp() * neg * (alpha * scale * input_scale**2)


def _gelu(xp, x, approximate):
    if approximate == "tanh":
        inner = xp.tanh((x + x * x * x * _GELU_TANH_C) * _SQRT_2_OVER_PI)
        inner += 1
        inner *= x * 0.5
        return inner
    return x * _normal_cdf(xp, x)


def _gelu_grad(xp, g, x, approximate):
    if approximate == "tanh":
        x2 = x * x
        t = xp.tanh((x + x2 * x * _GELU_TANH_C) * _SQRT_2_OVER_PI)
        du = (x2 * (3 * _GELU_TANH_C) + 1) * _SQRT_2_OVER_PI
        d = (1 - t * t) * du * x
        d += 1 + t
        d *= 0.5
        return g * d
    d = _normal_pdf(xp, x)
    d *= x
    d += _normal_cdf(xp, x)
    return g * d


def _gelu_grad2(x: Tensor, approximate) -> Tensor:
    if approximate == "tanh":
        x2 = x * x
        t = ((x + x2 * x * _GELU_TANH_C) * _SQRT_2_OVER_PI).tanh()
        du = (x2 * (3 * _GELU_TANH_C) + 1) * _SQRT_2_OVER_PI
        ddu = x * (6 * _GELU_TANH_C * _SQRT_2_OVER_PI)
        return (1 - t * t) * (du + x * 0.5 * (ddu - 2 * t * du * du))
    return (x * x * -0.5).exp() * _INV_SQRT_2PI * (2 - x * x)


def _softplus_fwd(xp, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, x, _softplus(xp, bx) / beta)


def _softplus_grad(xp, g, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, g, g * _sigmoid(xp, bx))


def _softplus_grad2(x: Tensor, beta, threshold) -> Tensor:
    s = (x * beta).sigmoid()
    return s * (1 - s) * (x * beta <= threshold).to(x.dtype) * beta


def _hardtanh(xp, x, lo, hi):
    t = x.dtype.type
    return xp.clip(x, t(lo), t(hi))


def _hardtanh_grad(xp, g, x, lo, hi):
    return xp.where((x <= lo) | (x >= hi), 0, g)


def _silu(xp, x):
    return x * _sigmoid(xp, x)


def _silu_grad(xp, g, x):
    s = _sigmoid(xp, x)
    d = 1 - s
    d *= x
    d += 1
    d *= s
    return g * d


def _silu_grad2(x: Tensor) -> Tensor:
    s = x.sigmoid()
    return s * (1 - s) * (2 + x * (1 - 2 * s))


def _mish(xp, x):
    return x * xp.tanh(_softplus(xp, x))


def _mish_grad(xp, g, x):
    t = xp.tanh(_softplus(xp, x))
    d = 1 - t * t
    d *= _sigmoid(xp, x)
    d *= x
    d += t
    return g * d


def _mish_grad2(x: Tensor) -> Tensor:
    s = x.sigmoid()
    t = Softplus.apply(x, 1.0, math.inf).tanh()
    return s * (1 - t * t) * (2 + x * (1 - s - 2 * s * t))


def _hardsigmoid(xp, x):
    y = xp.clip(x + 3, 0, 6)
    y /= 6
    return y


def _hardsigmoid_grad(xp, g, x):
    return xp.where((x > -3) & (x < 3), g / 6, 0)


def _hardswish(xp, x):
    return x * _hardsigmoid(xp, x)


def _hardswish_grad(xp, g, x):
    return xp.where(x < -3, 0, xp.where(x <= 3, g * (x / 3 + 0.5), g))


def _hardswish_grad2(x: Tensor) -> Tensor:
    return ((x >= -3) & (x <= 3)).to(x.dtype) * (1 / 3)


def _logsigmoid(xp, x):
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def _logsigmoid_grad(xp, g, x):
    return g * _sigmoid(xp, -x)


def _logsigmoid_grad2(x: Tensor) -> Tensor:
    s = x.sigmoid()
    return s * (s - 1)


def _threshold(xp, x, threshold, value):
    return xp.where(x > threshold, x, x.dtype.type(value))


def _threshold_grad(xp, g, x, threshold, value):
    return xp.where(x <= threshold, 0, g)


def _hardshrink(xp, x, lambd):
    return xp.where((x >= -lambd) & (x <= lambd), 0, x)


def _shrink_grad(xp, g, x, lambd):
    return xp.where((x >= -lambd) & (x <= lambd), 0, g)


def _softshrink(xp, x, lambd):
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0))


def _pointwise(name: str, f, f_grad, f_grad2=None):
    """The op pair ``Name`` (``y = f(x, *params)``) and ``NameBackward`` (``g * f'(x)``).

    ``f_grad(xp, g, x, *params)`` is ``g * f'(x)`` on arrays; ``f_grad2(x, *params)`` is
    ``f''`` as Tensor ops (None where ``f'' = 0`` almost everywhere).
    """

    def backward_forward(ctx, g, x, *params):
        ctx.save_for_backward(g, x)
        ctx.params = params
        return f_grad(array_module(x), g, x, *params)

    def backward_backward(ctx, gg):
        g, x = ctx.saved_tensors
        params = ctx.params
        need_g, need_x = ctx.needs_input_grad[:2]
        d_g = backward_cls.apply(gg, x, *params) if need_g else None
        d_x = None
        if need_x:
            # Where f'' = 0 the gradient is an explicit zero, as in PyTorch: x stays "used".
            d_x = gg * 0.0 if f_grad2 is None else gg * g * f_grad2(x, *params)
        return (d_g, d_x) + (None,) * len(params)

    def forward(ctx, x, *params):
        ctx.save_for_backward(x)
        ctx.params = params
        return f(array_module(x), x, *params)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        params = ctx.params
        return (backward_cls.apply(g, x, *params),) + (None,) * len(params)

    def make(cls_name: str, fwd, bwd):
        ns = {"forward": staticmethod(fwd), "backward": staticmethod(bwd), "__module__": __name__}
        return type(cls_name, (ArrayFunction,), ns)

    backward_cls = make(name + "Backward", backward_forward, backward_backward)
    return make(name, forward, backward), backward_cls


LeakyRelu, LeakyReluBackward = _pointwise("LeakyRelu", _leaky_relu, _leaky_relu_grad)
Elu, EluBackward = _pointwise("Elu", _elu, _elu_grad, _elu_grad2)
Celu, CeluBackward = _pointwise("Celu", _elu, _elu_grad, _elu_grad2)
Gelu, GeluBackward = _pointwise("Gelu", _gelu, _gelu_grad, _gelu_grad2)
Softplus, SoftplusBackward = _pointwise("Softplus", _softplus_fwd, _softplus_grad, _softplus_grad2)
Hardtanh, HardtanhBackward = _pointwise("Hardtanh", _hardtanh, _hardtanh_grad)
Silu, SiluBackward = _pointwise("Silu", _silu, _silu_grad, _silu_grad2)
Mish, MishBackward = _pointwise("Mish", _mish, _mish_grad, _mish_grad2)
Hardsigmoid, HardsigmoidBackward = _pointwise("Hardsigmoid", _hardsigmoid, _hardsigmoid_grad)
Hardswish, HardswishBackward = _pointwise(
    "Hardswish", _hardswish, _hardswish_grad, _hardswish_grad2
)
LogSigmoid, LogSigmoidBackward = _pointwise(
    "LogSigmoid", _logsigmoid, _logsigmoid_grad, _logsigmoid_grad2
)
Threshold, ThresholdBackward = _pointwise("Threshold", _threshold, _threshold_grad)
Hardshrink, HardshrinkBackward = _pointwise("Hardshrink", _hardshrink, _shrink_grad)
Softshrink, SoftshrinkBackward = _pointwise("Softshrink", _softshrink, _shrink_grad)


class PreluKernel(ArrayFunction):
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` broadcasts over channels."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return array_module(x).where(x > 0, x, x * weight)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad
        pos = x > 0
        gx = where(pos, g, g * weight) if need_x else None
        gw = where(pos, 0.0, g * x) if need_w else None  # the engine sums over non-channels
        return gx, gw


class RreluWithNoise(ArrayFunction):
    """Training-mode RReLU: ``x * a`` with one slope ``a ~ U(lower, upper)`` per element
    ``x <= 0`` (PyTorch's rule), 1 elsewhere. The slopes are kept, so the gradient is
    ``g * slopes``, linear in ``g`` and therefore differentiable again for free."""

    @staticmethod
    def forward(ctx, x, lower, upper):
        xp = array_module(x)
        drawn = numpy_generator(None).uniform(lower, upper, x.shape).astype(x.dtype)
        noise = xp.where(x <= 0, drawn if xp is np else xp.asarray(drawn), x.dtype.type(1))
        ctx.noise = noise
        return x * noise

    @staticmethod
    def backward(ctx, g):
        return g * _make(ctx.noise), None, None


# ----- functions on Tensors (argument checks live in nn.functional) ------------------------------
def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(input, negative_slope)


def rrelu(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """Random slopes in training; their mean ``(lower + upper) / 2`` (leaky relu) otherwise."""
    if training:
        return RreluWithNoise.apply(input, lower, upper)
    return LeakyRelu.apply(input, (lower + upper) / 2)


def elu(input: Tensor, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Tensor:
    """``scale * x`` for x > 0, else ``scale * alpha * (exp(input_scale * x) - 1)``."""
    return Elu.apply(input, alpha, scale, input_scale)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return Celu.apply(input, alpha, 1.0, 1.0 / alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (exact, through an accurate erfc) or its tanh approximation."""
    return Gelu.apply(input, approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return Softplus.apply(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return Hardtanh.apply(input, min_val, max_val)


def silu(input: Tensor) -> Tensor:
    return Silu.apply(input)


def mish(input: Tensor) -> Tensor:
    return Mish.apply(input)


def hardsigmoid(input: Tensor) -> Tensor:
    return Hardsigmoid.apply(input)


def hardswish(input: Tensor) -> Tensor:
    return Hardswish.apply(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, stable for large ``|x|``."""
    return LogSigmoid.apply(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return Threshold.apply(input, threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return Hardshrink.apply(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return Softshrink.apply(input, lambd)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``weight`` (shape () or (C,)) already shaped to broadcast over ``input``'s channels."""
    return PreluKernel.apply(input, weight)
