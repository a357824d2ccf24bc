"""Op specs for the linear algebra family (see op_db.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing.strategies import broadcastable_shapes
from eagertorch.testing.strategies import shapes as any_shapes
from tests.ops.op_db import OpSpec

SIDE = st.integers(0, 3)


def _matmul_shapes():
    """Every rank combination of matmul (1-D operands, broadcast batch dims, size 0 and 1)."""

    def draw(min_side):
        return broadcastable_shapes(
            signature=np.matmul.signature, max_dims=2, min_side=min_side, max_side=3
        )

    return st.one_of(draw(1), draw(0))


def _sizes(n):
    return st.tuples(*[SIDE] * n)


def _mm_shapes():
    return _sizes(3).map(lambda s: ((s[0], s[1]), (s[1], s[2])))


def _addmm_shapes():
    def build(s):
        m, k, n = s[:3]
        return st.sampled_from([(m, n), (n,), (1, n), (m, 1), ()]).map(
            lambda inp: (inp, (m, k), (k, n))
        )

    return _sizes(3).flatmap(build)


def _addmv_shapes():
    return _sizes(2).flatmap(
        lambda s: st.sampled_from([(s[0],), (1,), ()]).map(lambda i: (i, (s[0], s[1]), (s[1],)))
    )


def _baddbmm_shapes():
    def build(s):
        b, m, k, n = s
        return st.sampled_from([(b, m, n), (m, n), (n,), ()]).map(
            lambda i: (i, (b, m, k), (b, k, n))
        )

    return _sizes(4).flatmap(build)


def _inner_shapes():
    return st.tuples(any_shapes(0, 2, 0, 3), any_shapes(0, 2, 0, 3), SIDE).map(
        lambda t: (t[0] + (t[2],), t[1] + (t[2],))
    )


def _tensordot_shapes():
    """``a = free_a + common``, ``b = common + free_b``: dims=len(common) contracts them."""
    return st.tuples(any_shapes(0, 2, 0, 3), any_shapes(0, 2, 0, 3), any_shapes(0, 2, 0, 3)).map(
        lambda t: (t[0] + t[1], t[1] + t[2])
    )


def _tensordot_dims(shapes):
    sa, sb = shapes
    valid = [n for n in range(min(len(sa), len(sb)) + 1) if sa[len(sa) - n :] == sb[:n]]
    return st.sampled_from(valid).map(lambda n: {"dims": n})


def _scales(shapes):
    return st.sampled_from(
        [{}, {"beta": 0.5, "alpha": 2.0}, {"beta": 0.0}, {"alpha": -1.5}, {"beta": 2}]
    )


def _ref_add_matmul(i, a, b, beta=1, alpha=1):
    prod = alpha * np.matmul(a, b)
    return prod if beta == 0 else beta * i + prod


# ----- einsum: each equation with a shape strategy drawing compatible operands -------------
def _einsum_spec(name, equation, shapes_of, nargs, sides=None):
    """``shapes_of(sizes)`` maps drawn letter sizes to the operand shapes."""
    sizes = st.tuples(*[SIDE] * (sides or 4))
    return OpSpec(
        f"einsum_{name}",
        lambda *xs: torch.einsum(equation, *xs),
        lambda *xs: np.einsum(equation, *xs),
        nargs,
        shapes=lambda: sizes.map(shapes_of),
    )


EINSUM_SPECS = [
    _einsum_spec("matmul", "ij,jk->ik", lambda s: ((s[0], s[1]), (s[1], s[2])), 2),
    _einsum_spec("implicit", "ij,jk", lambda s: ((s[0], s[1]), (s[1], s[2])), 2),
    _einsum_spec("batch", "bij,bjk->bik", lambda s: ((s[3], s[0], s[1]), (s[3], s[1], s[2])), 2),
    _einsum_spec("trace", "ii", lambda s: ((s[0], s[0]),), 1),
    _einsum_spec("diagonal", "ii->i", lambda s: ((s[0], s[0]),), 1),
    _einsum_spec("batch_diagonal", "bii->bi", lambda s: ((s[1], s[0], s[0]),), 1),
    _einsum_spec("outer", "i,j->ij", lambda s: ((s[0],), (s[1],)), 2),
    _einsum_spec("sum", "ij->", lambda s: ((s[0], s[1]),), 1),
    _einsum_spec("transpose", "ij->ji", lambda s: ((s[0], s[1]),), 1),
    _einsum_spec("row_sum_times", "ij,j->i", lambda s: ((s[0], s[1]), (s[1],)), 2),
    _einsum_spec("unshared_index", "ij,k->ik", lambda s: ((s[0], s[1]), (s[2],)), 2),
    _einsum_spec("bilinear", "i,ij,j->", lambda s: ((s[0],), (s[0], s[1]), (s[1],)), 3),
    _einsum_spec("chain", "ij,jk,kl->il", lambda s: ((s[0], s[1]), (s[1], s[2]), (s[2], s[3])), 3),
    _einsum_spec(
        "ellipsis_broadcast",
        "...ij,...jk->...ik",
        lambda s: ((s[3], s[0], s[1]), (s[1], s[2])),
        2,
    ),
    _einsum_spec("ellipsis_middle", "i...j->j...i", lambda s: ((s[0], s[1], s[2]),), 1),
    _einsum_spec("diagonal_times", "ii,i->i", lambda s: ((s[0], s[0]), (s[0],)), 2),
    # A named subscript of size 1 broadcasts against the other operand, as in PyTorch.
    _einsum_spec("size_one_broadcast", "ij,ij->i", lambda s: ((s[0], 1), (s[0], s[1])), 2),
]


SPECS = [
    OpSpec("matmul", lambda a, b: a @ b, np.matmul, 2, shapes=_matmul_shapes),
    OpSpec("matmul_fn", torch.matmul, np.matmul, 2, shapes=_matmul_shapes),
    OpSpec("mm", torch.mm, np.matmul, 2, shapes=_mm_shapes),
    OpSpec(
        "mv",
        torch.mv,
        np.matmul,
        2,
        shapes=lambda: _sizes(2).map(lambda s: ((s[0], s[1]), (s[1],))),
    ),
    OpSpec("dot", torch.dot, np.dot, 2, shapes=lambda: SIDE.map(lambda k: ((k,), (k,)))),
    OpSpec("vdot", torch.vdot, np.vdot, 2, shapes=lambda: SIDE.map(lambda k: ((k,), (k,)))),
    OpSpec(
        "bmm",
        torch.bmm,
        np.matmul,
        2,
        shapes=lambda: _sizes(4).map(lambda s: ((s[0], s[1], s[2]), (s[0], s[2], s[3]))),
    ),
    OpSpec(
        "outer",
        torch.outer,
        np.outer,
        2,
        shapes=lambda: _sizes(2).map(lambda s: ((s[0],), (s[1],))),
    ),
    OpSpec("inner", torch.inner, np.inner, 2, shapes=_inner_shapes),
    OpSpec(
        "inner_scalar",
        torch.inner,
        np.inner,
        2,
        shapes=lambda: any_shapes(0, 2, 0, 3).map(lambda s: ((), s)),
    ),
    OpSpec(
        "addmm",
        lambda i, a, b, **kw: torch.addmm(i, a, b, **kw),
        _ref_add_matmul,
        3,
        shapes=_addmm_shapes,
        kwargs=_scales,
    ),
    OpSpec(
        "addmv",
        lambda i, a, b, **kw: torch.addmv(i, a, b, **kw),
        _ref_add_matmul,
        3,
        shapes=_addmv_shapes,
        kwargs=_scales,
    ),
    OpSpec(
        "baddbmm",
        lambda i, a, b, **kw: torch.baddbmm(i, a, b, **kw),
        _ref_add_matmul,
        3,
        shapes=_baddbmm_shapes,
        kwargs=_scales,
    ),
    OpSpec(
        "kron",
        torch.kron,
        np.kron,
        2,
        shapes=lambda: st.tuples(any_shapes(0, 3, 0, 3), any_shapes(0, 3, 0, 3)),
    ),
    OpSpec(
        "tensordot",
        lambda a, b, dims: torch.tensordot(a, b, dims=dims),
        lambda a, b, dims: np.tensordot(a, b, axes=dims),
        2,
        shapes=_tensordot_shapes,
        kwargs=_tensordot_dims,
    ),
    OpSpec(
        "tensordot_dim_lists",
        lambda a, b: torch.tensordot(a, b, dims=([2, 0], [0, -1])),
        lambda a, b: np.tensordot(a, b, axes=([2, 0], [0, 2])),
        2,
        shapes=lambda: _sizes(4).map(lambda s: ((s[0], s[1], s[2]), (s[2], s[3], s[0]))),
    ),
    *EINSUM_SPECS,
]
