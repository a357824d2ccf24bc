"""nn.functional activations: ``relu``, ``gelu``, ``softmax``, ... with PyTorch's signatures.

The differentiable primitives live in ``ops.activation`` (and ``ops.elementwise`` /
``ops.reduction`` for relu, sigmoid, tanh and softmax); this module checks arguments and
implements ``inplace=True`` through the core's one in-place mechanism.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..._backend.dtype import scalar_name
from ..._tensor import Tensor, _wrap_dim
from ...ops import activation as _act
from ...ops import elementwise as _ew
from ...ops import reduction as _red
from ...ops.inplace import apply_inplace

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _floating(input: Tensor, kernel: str) -> None:
    """Float-only kernels raise PyTorch's NotImplementedError for integer and bool inputs."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{scalar_name(input._data.dtype)}'"
        )


def _maybe_inplace(fn, input: Tensor, inplace: bool, name: str, *args) -> Tensor:
    if inplace:
        return apply_inplace(input, fn, name, *args)
    return fn(input, *args)


# ----- rectifiers ------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; ``inplace=True`` overwrites ``input``."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, else ``negative_slope * x``."""
    _floating(input, "leaky_relu_cpu")
    return _maybe_inplace(_act.leaky_relu, input, inplace, "leaky_relu_", negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: each ``x <= 0`` gets its own slope from U(lower, upper) when
    training (drawn from eagertorch's generator), the mean slope otherwise."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _floating(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    return _maybe_inplace(_act.rrelu, input, inplace, "rrelu_", lower, upper, training)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def _check_hardtanh(min_val, max_val) -> None:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamp to ``[min_val, max_val]``; zero gradient at and beyond the bounds (as PyTorch)."""
    _check_hardtanh(min_val, max_val)
    return _maybe_inplace(_act.hardtanh, input, inplace, "hardtanh_", min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``, i.e. ``hardtanh(x, 0, 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _maybe_inplace(_act.threshold, input, inplace, "threshold_", threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _maybe_inplace(_act.threshold, input, True, "threshold_", threshold, value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU whose slope ``weight`` is learned: one value, or one per channel (dim 1)."""
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            "prelu: Type promoting not supported. Got "
            f"{scalar_name(input._data.dtype)} and {scalar_name(weight._data.dtype)}"
        )
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels}."
        )
    # One slope broadcasts as a scalar; per-channel slopes line up with dim 1.
    shape = () if n == 1 else (n,) + (1,) * (input.ndim - 2)
    return _act.prelu(input, weight.reshape(shape))


# ----- exponential family ----------------------------------------------------------------------
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    _floating(input, "elu_cpu")
    return _maybe_inplace(_act.elu, input, inplace, "elu_", alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants of Klambauer et al."""
    _floating(input, "elu_cpu")
    return _maybe_inplace(_act.elu, input, inplace, "selu_", _SELU_ALPHA, _SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _floating(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(_act.celu, input, inplace, "celu_", alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` for the tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _floating(input, "GeluKernelImpl")
    return _act.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    _floating(input, "silu_cpu")
    return _maybe_inplace(_act.silu, input, inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    _floating(input, "mish_cpu")
    return _maybe_inplace(_act.mish, input, inplace, "mish_")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``."""
    _floating(input, "softplus_cpu")
    return _act.softplus(input, beta, threshold)


# ----- sigmoids and friends ---------------------------------------------------------------------
def sigmoid(input: Tensor) -> Tensor:
    return _ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _ew.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, finite for any ``x``."""
    _floating(input, "log_sigmoid_cpu")
    return _act.logsigmoid(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    _floating(input, "hardsigmoid_cpu")
    return _maybe_inplace(_act.hardsigmoid, input, inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    _floating(input, "hardswish_cpu")
    return _maybe_inplace(_act.hardswish, input, inplace, "hardswish_")


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    _floating(input, "hardshrink_cpu")
    return _act.hardshrink(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    _floating(input, "softshrink_check")
    if lambd < 0:
        dtype = input._data.dtype
        raise RuntimeError(
            f"lambda must be in range [0, {float(np.finfo(dtype).max):g}] for input dtype "
            f"{scalar_name(dtype)}, but found {lambd:g}"
        )
    return _act.softshrink(input, lambd)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``input`` on ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


# ----- softmax family ---------------------------------------------------------------------------
def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``; ``dtype`` casts the input first."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.ndim, _stacklevel)
    return _red.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _red.softmax(-input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, stable for large logits."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _red.log_softmax(input, dim, dtype=dtype)
