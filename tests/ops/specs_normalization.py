"""Op specs for the normalization primitives and the embedding lookup (see op_db.py).

Normalising divides by a standard deviation, so draws whose normalised groups are nearly
constant (hypothesis likes repeated values) are dropped by ``valid``: finite differences
there are dominated by ``1 / sqrt(eps)``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
import eagertorch.nn.functional as F
from tests.ops.op_db import OpSpec


def _spread(groups, min_var: float = 0.1) -> bool:
    return groups.size == 0 or bool(np.all(groups.var(axis=-1) > min_var))


# ----- batch norm -------------------------------------------------------------------------------
def _bn_shapes():
    """(N, C, *spatial) with more than one value per channel, plus (C,) weight and bias."""
    dims = st.tuples(
        st.integers(1, 3), st.integers(1, 3), st.lists(st.integers(1, 3), max_size=2)
    ).filter(lambda t: t[0] * int(np.prod(t[2])) > 1)
    return dims.map(lambda t: ((t[0], t[1], *t[2]), (t[1],), (t[1],)))


def _bn_by_channel(x):
    return np.moveaxis(x, 1, 0).reshape(x.shape[1], -1)


def _bn_ref(x, w, b, eps=1e-5):
    axes = (0, *tuple(range(2, x.ndim)))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def _bn_eval_ref(x, rm, rv, w, b, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    var = rv * rv + 0.5
    return (x - rm.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(
        shape
    ) + b.reshape(shape)


def _bn_eval_shapes():
    return _bn_shapes().map(lambda s: (s[0], s[1], s[1], s[1], s[1]))


# ----- layer norm ---------------------------------------------------------------------------------
@st.composite
def _ln_shapes(draw):
    batch = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    norm = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    if int(np.prod(norm)) < 2:
        norm = (*norm, 2)
    return (batch + norm, norm, norm)


def _ln_ref(x, w, b, eps=1e-5):
    k = w.ndim
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _ln_valid(x, w, b, **kw):
    return _spread(x.reshape(-1, w.size))


# ----- group norm ---------------------------------------------------------------------------------
@st.composite
def _gn_shapes(draw):
    groups = draw(st.integers(1, 3))
    per = draw(st.integers(1, 2))
    n = draw(st.integers(0, 2))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if per * int(np.prod(spatial)) < 2:
        spatial = (*spatial, 2)
    c = groups * per
    return ((n, c, *spatial), (c,), (c,))


def _gn_groups(shapes):
    c = shapes[0][1]
    return st.sampled_from([g for g in range(1, c + 1) if c % g == 0]).flatmap(
        lambda g: (
            st.just({"num_groups": g})
            if c // g * int(np.prod(shapes[0][2:])) > 1
            else st.just({"num_groups": 1})
        )
    )


def _gn_ref(x, w, b, num_groups, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, num_groups, c // num_groups * int(np.prod(x.shape[2:])))
    xhat = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(
        x.shape
    )
    shape = (1, c) + (1,) * (x.ndim - 2)
    return xhat * w.reshape(shape) + b.reshape(shape)


def _gn_valid(x, w, b, num_groups):
    return x.size == 0 or _spread(x.reshape(x.shape[0] * num_groups, -1))


# ----- embedding ----------------------------------------------------------------------------------
def _emb_shapes():
    return st.tuples(st.integers(1, 5), st.integers(0, 3)).map(lambda t: (t,))


def _emb_kwargs(shapes):
    """Indices (possibly repeated, possibly a 2-D batch). padding_idx is not a derivative
    (its row's gradient is zero by design), so it is tested in tests/nn/test_embedding.py."""
    num = shapes[0][0]
    idx = st.lists(st.integers(0, num - 1), max_size=6).map(lambda v: np.array(v, np.int64))
    batch = st.lists(st.integers(0, num - 1), min_size=4, max_size=4).map(
        lambda v: np.array(v, np.int64).reshape(2, 2)
    )
    return st.fixed_dictionaries({"indices": idx | batch})


def _emb_ref(w, indices):
    return w[indices]


SPECS = [
    OpSpec(
        "batch_norm_training",
        lambda x, w, b, eps: F.batch_norm(x, None, None, w, b, True, 0.1, eps),
        _bn_ref,
        3,
        shapes=_bn_shapes,
        kwargs=lambda s: st.fixed_dictionaries({"eps": st.sampled_from([1e-5, 1e-3, 0.1])}),
        valid=lambda x, w, b, eps: _spread(_bn_by_channel(x)),
    ),
    OpSpec(
        "batch_norm_eval",
        lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv * rv + 0.5, w, b, False),
        _bn_eval_ref,
        5,
        shapes=_bn_eval_shapes,
    ),
    OpSpec(
        "layer_norm",
        lambda x, w, b, eps=1e-5: F.layer_norm(x, w.shape, w, b, eps),
        _ln_ref,
        3,
        shapes=_ln_shapes,
        kwargs=lambda s: st.fixed_dictionaries({"eps": st.sampled_from([1e-5, 0.1])}),
        valid=_ln_valid,
    ),
    OpSpec(
        "group_norm",
        lambda x, w, b, num_groups: F.group_norm(x, num_groups, w, b),
        _gn_ref,
        3,
        shapes=_gn_shapes,
        kwargs=_gn_groups,
        valid=_gn_valid,
    ),
    OpSpec(
        "embedding",
        lambda w, indices: F.embedding(torch.tensor(indices), w),
        _emb_ref,
        1,
        shapes=_emb_shapes,
        kwargs=_emb_kwargs,
    ),
]
