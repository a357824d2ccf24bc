"""Op specs for the activation family (see op_db.py): every ``F.`` activation with a
differentiable primitive or composition, against numpy references, over random shapes and
hyper-parameters."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import eagertorch.nn.functional as F
from eagertorch.testing.strategies import shapes
from tests.ops.op_db import OpSpec

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _away_from(*points, margin=0.05):
    """Valid when no element lies within ``margin`` of a kink (points may depend on kwargs)."""

    def valid(x, *rest, **kw):
        return all(np.all(np.abs(x - (p(kw) if callable(p) else p)) > margin) for p in points)

    return valid


def _kw(**strategies):
    return lambda shapes: st.fixed_dictionaries(strategies)


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _softplus(x, beta, threshold):
    return np.where(x * beta > threshold, x, np.logaddexp(0, x * beta) / beta)


@st.composite
def _glu_shapes(draw):
    """One shape with at least one even-sized dim to halve."""
    shape = list(draw(shapes(min_dims=1, max_dims=3, max_side=3)))
    d = draw(st.integers(0, len(shape) - 1))
    shape[d] *= 2
    return (tuple(shape),)


def _even_dim(shapes):
    return st.sampled_from([d for d, n in enumerate(shapes[0]) if n % 2 == 0]).map(
        lambda d: {"dim": d}
    )


def _glu_ref(x, dim):
    a, b = np.split(x, 2, axis=dim)
    return a * _sigmoid(b)


@st.composite
def _prelu_shapes(draw):
    shape = draw(shapes(min_dims=0, max_dims=4, max_side=3))
    per_channel = len(shape) >= 2 and draw(st.booleans())
    return shape, ((shape[1],) if per_channel else (1,))


def _softmin_ref(x, dim):
    e = np.exp(-x - np.max(-x, axis=dim, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=dim, keepdims=True)


def _prelu_ref(x, w):
    wb = w.reshape(()) if w.size == 1 else w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, wb * x)


_SLOPE = st.floats(-2.0, 2.0)
_ALPHA = st.floats(0.2, 3.0)

SPECS = [
    OpSpec(
        "F.leaky_relu",
        F.leaky_relu,
        lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
        kwargs=_kw(negative_slope=_SLOPE),
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.elu",
        F.elu,
        lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x)),
        kwargs=_kw(alpha=_ALPHA),
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.selu",
        F.selu,
        lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.celu",
        F.celu,
        lambda x, alpha: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha)),
        kwargs=_kw(alpha=_ALPHA),
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.gelu",
        F.gelu,
        lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
        low=-6.0,
        high=6.0,
        rtol=1e-12,
        atol=1e-14,
        f32_rtol=2e-6,
        f32_atol=2e-7,
    ),
    OpSpec(
        "F.gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        _gelu_tanh,
        low=-6.0,
        high=6.0,
    ),
    OpSpec(
        "F.softplus",
        F.softplus,
        _softplus,
        kwargs=_kw(beta=st.floats(0.5, 3.0), threshold=st.floats(0.5, 20.0)),
        valid=_away_from(lambda kw: kw["threshold"] / kw["beta"]),
    ),
    OpSpec(
        "F.hardtanh",
        F.hardtanh,
        lambda x, min_val, max_val: np.clip(x, min_val, max_val),
        kwargs=_kw(min_val=st.floats(-2.0, -0.1), max_val=st.floats(0.1, 2.0)),
        valid=_away_from(lambda kw: kw["min_val"], lambda kw: kw["max_val"]),
    ),
    OpSpec(
        "F.relu6",
        F.relu6,
        lambda x: np.clip(x, 0, 6),
        low=-8.0,
        high=8.0,
        valid=_away_from(0.0, 6.0),
    ),
    OpSpec("F.silu", F.silu, lambda x: x * _sigmoid(x), low=-8.0, high=8.0),
    OpSpec("F.mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0, x)), low=-8.0, high=8.0),
    OpSpec(
        "F.hardsigmoid",
        F.hardsigmoid,
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        low=-5.0,
        high=5.0,
        valid=_away_from(-3.0, 3.0),
    ),
    OpSpec(
        "F.hardswish",
        F.hardswish,
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        low=-5.0,
        high=5.0,
        valid=_away_from(-3.0, 3.0),
    ),
    OpSpec("F.logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x), low=-20.0, high=20.0),
    OpSpec("F.softsign", F.softsign, lambda x: x / (1 + np.abs(x)), valid=_away_from(0.0)),
    OpSpec("F.tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x)),
    OpSpec(
        "F.hardshrink",
        F.hardshrink,
        lambda x, lambd: np.where(np.abs(x) > lambd, x, 0),
        kwargs=_kw(lambd=st.floats(0.0, 1.5)),
        valid=_away_from(lambda kw: kw["lambd"], lambda kw: -kw["lambd"]),
    ),
    OpSpec(
        "F.softshrink",
        F.softshrink,
        lambda x, lambd: np.sign(x) * np.maximum(np.abs(x) - lambd, 0),
        kwargs=_kw(lambd=st.floats(0.0, 1.5)),
        valid=_away_from(lambda kw: kw["lambd"], lambda kw: -kw["lambd"]),
    ),
    OpSpec(
        "F.threshold",
        F.threshold,
        lambda x, threshold, value: np.where(x > threshold, x, value),
        kwargs=_kw(threshold=st.floats(-1.0, 1.0), value=st.floats(-5.0, 5.0)),
        valid=_away_from(lambda kw: kw["threshold"]),
    ),
    OpSpec(
        "F.glu",
        lambda x, dim: F.glu(x, dim),
        _glu_ref,
        shapes=_glu_shapes,
        kwargs=_even_dim,
    ),
    OpSpec(
        "F.prelu",
        F.prelu,
        _prelu_ref,
        nargs=2,
        shapes=_prelu_shapes,
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.softmin",
        lambda x, dim: F.softmin(x, dim),
        _softmin_ref,
        shapes=lambda: shapes(min_dims=1).map(lambda s: (s,)),
        kwargs=lambda shapes: st.integers(-len(shapes[0]), len(shapes[0]) - 1).map(
            lambda d: {"dim": d}
        ),
    ),
    OpSpec(
        "F.leaky_relu_inplace_on_a_copy",
        lambda x: F.leaky_relu(x * 1, 0.2, inplace=True),
        lambda x: np.where(x > 0, x, 0.2 * x),
        valid=_away_from(0.0),
    ),
    OpSpec(
        "F.elu_inplace_on_a_copy",
        lambda x: F.elu(x * 1, 1.5, inplace=True),
        lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)),
        valid=_away_from(0.0),
    ),
]
