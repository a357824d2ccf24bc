"""Op specs for the elementwise family (see op_db.py)."""

from __future__ import annotations

import math

import numpy as np

import eagertorch as torch
from tests.ops.op_db import OpSpec


def _away_from(points, margin=0.05):
    """Valid when no element of any input lies within ``margin`` of a kink/pole."""

    def valid(*xs, **kw):
        return all(np.all(np.abs(x - p) > margin) for x in xs for p in points)

    return valid


def _distinct(*xs, **kw):
    a, b = np.broadcast_arrays(*xs[:2])
    return bool(np.all(np.abs(a - b) > 0.05))


def _unary(name, ref, low=-3.0, high=3.0, valid=None, gradgrad=True, **kw):
    return OpSpec(
        name, getattr(torch, name), ref, 1, low=low, high=high, valid=valid, gradgrad=gradgrad, **kw
    )


def _vectorized(fn):
    return lambda x: np.vectorize(fn, otypes=[float])(x)


def _away_from_integers(x):
    return bool(np.all(np.abs(x - np.round(x)) > 0.05))


def _erfinv_ref(y):
    """Bisection on math.erf: slow but independent of the implementation under test."""
    lo, hi = np.full_like(y, -4.0), np.full_like(y, 4.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        below = _vectorized(math.erf)(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def _digamma_ref(x):
    """Central difference of math.lgamma (good to ~1e-9, enough for the op table)."""
    h = 1e-5
    f = _vectorized(math.lgamma)
    return (f(x + h) - f(x - h)) / (2 * h)


def _trigamma_derivative_ref(x):
    """psi''(x) = -2 sum 1 / (x + k)^3, summed to 2e5 terms plus the integral tail."""
    k = np.arange(200000.0)
    x = np.asarray(x, float)
    s = np.sum(1.0 / (x[..., None] + k) ** 3, axis=-1)
    return -2 * (s + 0.5 / (x + k.size) ** 2)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


SPECS = [
    OpSpec("add", lambda a, b: a + b, np.add, 2),
    OpSpec("add_alpha", lambda a, b: torch.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, 2),
    OpSpec("sub", lambda a, b: a - b, np.subtract, 2),
    OpSpec("mul", lambda a, b: a * b, np.multiply, 2),
    OpSpec("div", lambda a, b: a / b, np.divide, 2, valid=lambda a, b: np.all(np.abs(b) > 0.2)),
    OpSpec("pow", lambda a, b: a**b, np.power, 2, low=0.2, high=2.0),
    OpSpec("pow_scalar_exponent", lambda a: a**3, lambda a: a**3, 1),
    OpSpec("rpow_scalar_base", lambda a: 2.0**a, lambda a: 2.0**a, 1),
    OpSpec(
        "atan2",
        torch.atan2,
        np.arctan2,
        2,
        valid=lambda a, b: np.all(a * a + b * b > 0.1) and not np.any((np.abs(a) < 0.05) & (b < 0)),
    ),  # branch cut on the negative axis
    OpSpec("maximum", torch.maximum, np.maximum, 2, valid=_distinct),
    OpSpec("minimum", torch.minimum, np.minimum, 2, valid=_distinct),
    OpSpec(
        "remainder",
        lambda a, b: torch.remainder(a, b),
        np.remainder,
        2,
        valid=lambda a, b: (
            np.all(np.abs(b) > 0.3)
            and np.all(np.abs(np.remainder(*np.broadcast_arrays(a, b))) > 0.05)
            and np.all(
                np.abs(np.remainder(*np.broadcast_arrays(a, b)) - np.broadcast_arrays(a, b)[1])
                > 0.05
            )
        ),
    ),
    OpSpec(
        "fmod",
        torch.fmod,
        np.fmod,
        2,
        valid=lambda a, b: (
            np.all(np.abs(b) > 0.3)
            and np.all(np.abs(np.fmod(*np.broadcast_arrays(a, b))) > 0.05)
            and np.all(
                np.abs(
                    np.abs(np.fmod(*np.broadcast_arrays(a, b)))
                    - np.abs(np.broadcast_arrays(a, b)[1])
                )
                > 0.05
            )
        ),
    ),
    OpSpec(
        "floor_divide",
        torch.floor_divide,
        np.floor_divide,
        2,
        grad=False,
        valid=lambda a, b: np.all(np.abs(b) > 0.3),
    ),
    OpSpec("lerp", torch.lerp, lambda s, e, w: s + w * (e - s), 3),
    OpSpec(
        "lerp_scalar_weight", lambda s, e: torch.lerp(s, e, 0.3), lambda s, e: s + 0.3 * (e - s), 2
    ),
    OpSpec(
        "where",
        lambda c, a, b: torch.where(c > 0, a, b),
        lambda c, a, b: np.where(c > 0, a, b),
        3,
        diff_args=(1, 2),
    ),
    OpSpec(
        "clamp_scalar",
        lambda x: torch.clamp(x, -1.0, 1.5),
        lambda x: np.clip(x, -1.0, 1.5),
        valid=_away_from([-1.0, 1.5]),
    ),
    OpSpec(
        "clamp_min_only",
        lambda x: x.clamp(min=0.5),
        lambda x: np.maximum(x, 0.5),
        valid=_away_from([0.5]),
    ),
    OpSpec(
        "clamp_tensor",
        lambda x, lo, hi: torch.clamp(x, lo, hi),
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        3,
        valid=lambda x, lo, hi: all(
            np.all(np.abs(p - q) > 0.05)
            for p, q in [
                np.broadcast_arrays(x, lo),
                np.broadcast_arrays(x, hi),
                np.broadcast_arrays(lo, hi),
            ]
        ),
    ),
    _unary("neg", np.negative),
    _unary("abs", np.abs, valid=_away_from([0.0])),
    _unary("sign", np.sign, valid=_away_from([0.0])),
    _unary("exp", np.exp),
    _unary("exp2", np.exp2),
    _unary("expm1", np.expm1),
    _unary("log", np.log, low=0.1, high=10.0),
    _unary("log2", np.log2, low=0.1, high=10.0),
    _unary("log10", np.log10, low=0.1, high=10.0),
    _unary("log1p", np.log1p, low=-0.9, high=10.0),
    _unary("sqrt", np.sqrt, low=0.1, high=10.0),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), low=0.1, high=10.0),
    _unary("square", np.square),
    _unary("reciprocal", np.reciprocal, valid=_away_from([0.0], 0.2)),
    _unary("sin", np.sin),
    _unary("cos", np.cos),
    _unary("tan", np.tan, low=-1.2, high=1.2),
    _unary("asin", np.arcsin, low=-0.9, high=0.9),
    _unary("acos", np.arccos, low=-0.9, high=0.9),
    _unary("atan", np.arctan),
    _unary("sinh", np.sinh),
    _unary("cosh", np.cosh),
    _unary("tanh", np.tanh),
    _unary("sigmoid", _sigmoid, low=-10.0, high=10.0),
    _unary("relu", lambda x: np.maximum(x, 0), valid=_away_from([0.0])),
    _unary("floor", np.floor, valid=lambda x: np.all(np.abs(x - np.round(x)) > 0.05)),
    _unary("ceil", np.ceil, valid=lambda x: np.all(np.abs(x - np.round(x)) > 0.05)),
    _unary("trunc", np.trunc, valid=lambda x: np.all(np.abs(x - np.round(x)) > 0.05)),
    _unary(
        "frac", lambda x: x - np.trunc(x), valid=lambda x: np.all(np.abs(x - np.round(x)) > 0.05)
    ),
    _unary("round", np.round, valid=lambda x: np.all(np.abs(x - np.floor(x) - 0.5) > 0.05)),
    _unary("asinh", np.arcsinh),
    _unary("acosh", np.arccosh, low=1.1, high=5.0),
    _unary("atanh", np.arctanh, low=-0.9, high=0.9),
    _unary("sinc", np.sinc),
    _unary("deg2rad", np.deg2rad),
    _unary("rad2deg", np.rad2deg),
    _unary("erf", _vectorized(math.erf)),
    _unary("erfc", _vectorized(math.erfc)),
    _unary("erfinv", _erfinv_ref, low=-0.9, high=0.9),
    _unary("lgamma", _vectorized(math.lgamma), low=0.1, high=6.0),
    OpSpec("lgamma_negative", torch.lgamma, _vectorized(math.lgamma), valid=_away_from_integers),
    _unary("digamma", _digamma_ref, low=0.2, high=6.0),
    OpSpec("digamma_negative", torch.digamma, _digamma_ref, valid=_away_from_integers),
    OpSpec("polygamma", lambda x: torch.polygamma(2, x), _trigamma_derivative_ref, low=0.3),
    OpSpec("logit", torch.logit, lambda p: np.log(p / (1 - p)), low=0.05, high=0.95),
    OpSpec(
        "logit_eps",
        lambda p: p.logit(eps=0.1),
        lambda p: np.log(np.clip(p, 0.1, 0.9) / (1 - np.clip(p, 0.1, 0.9))),
        low=0.0,
        high=1.0,
        valid=_away_from([0.1, 0.9]),
    ),
    OpSpec("xlogy", torch.xlogy, lambda a, b: a * np.log(b), 2, low=0.1, high=3.0),
    OpSpec("hypot", torch.hypot, np.hypot, 2, valid=lambda a, b: np.all(np.hypot(a, b) > 0.1)),
    OpSpec("logaddexp", torch.logaddexp, np.logaddexp, 2),
    OpSpec("logaddexp2", torch.logaddexp2, np.logaddexp2, 2),
    OpSpec("copysign", torch.copysign, np.copysign, 2, valid=_away_from([0.0])),
    OpSpec("fmax", torch.fmax, np.fmax, 2, valid=_distinct),
    OpSpec("fmin", torch.fmin, np.fmin, 2, valid=_distinct),
    OpSpec("nan_to_num", torch.nan_to_num, np.nan_to_num),
]
