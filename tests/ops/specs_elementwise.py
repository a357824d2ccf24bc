"""Op specs for the elementwise family (see op_db.py)."""

from __future__ import annotations

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
]
