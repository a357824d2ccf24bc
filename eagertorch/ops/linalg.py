"""Linear algebra: matrix products (``matmul`` and its fixed-rank variants), einsum, tensordot.

Forward works on arrays: numpy's ``matmul`` goes to BLAS, also for transposed views, which it
reads with a transpose flag instead of copying. Backward is written with Tensor ops (so it is
differentiable): the gradients of ``a @ b`` are ``g @ b.mT`` and ``a.mT @ g``, where ``.mT`` is
a view. The engine sums gradients over broadcast batch dims back to each input's shape.
"""

from __future__ import annotations

import functools
import math
import string

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module, device_ctx
from .._backend.dtype import cpp_name, scalar_name
from .._tensor import Tensor, _make, _wrap_dim, array_from_data
from ..autograd.function import ArrayFunction, run_in_device
from .elementwise import mul
from .indexing import index_select

__all__ = [
    "addmm",
    "addmv",
    "baddbmm",
    "bmm",
    "cross",
    "dot",
    "einsum",
    "ger",
    "inner",
    "kron",
    "matmul",
    "mm",
    "mv",
    "outer",
    "tensordot",
    "trace",
    "vdot",
]


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else _make(array_from_data(x, copy=False))


def _check_same_dtype(a, b) -> None:
    """matmul/mm/bmm do not promote: PyTorch requires one dtype (and no bool)."""
    if a.dtype != b.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{cpp_name(a.dtype)} != "
            f"{cpp_name(b.dtype)}"
        )
    if a.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _mm_error(sa: tuple, sb: tuple) -> RuntimeError:
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]}): "
        f"mat1 dimension 1 (size {sa[1]}) must match mat2 dimension 0 (size {sb[0]})"
    )


def _mv_error(n: int, sm: tuple, k: int) -> RuntimeError:
    return RuntimeError(f"size mismatch, got input ({n}), mat ({sm[0]}x{sm[1]}), vec ({k})")


def _dot_error(n: int, k: int) -> RuntimeError:
    return RuntimeError(
        f"inconsistent tensor size, expected tensor [{n}] and src [{k}] to have the same "
        f"number of elements, but got {n} and {k} elements respectively"
    )


def _bmm_error(batch: int, k: int, batch2: int, k2: int) -> RuntimeError:
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but "
        f"got: [{batch2}, {k2}]."
    )


def _broadcast_batch(sa: tuple, sb: tuple) -> tuple:
    """The broadcast of two batch shapes, or PyTorch's error naming the clashing sizes."""
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + sa
    sb = (1,) * (n - len(sb)) + sb
    out = []
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def _matmul_error(sa: tuple, sb: tuple) -> RuntimeError:
    """Why ``matmul`` rejected these shapes, in PyTorch's words, then both full shapes."""
    try:
        error = _matmul_reason(sa, sb)
    except RuntimeError as e:  # batch dims that do not broadcast
        error = e
    return RuntimeError(
        f"{error} (matmul: tensor a has shape {list(sa)}, tensor b has shape {list(sb)})"
    )


def _matmul_reason(sa: tuple, sb: tuple) -> RuntimeError:
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    if na == 1 and nb == 1:
        return _dot_error(sa[0], sb[0])
    if nb == 1:  # PyTorch folds the batch dims of a into rows and runs mv
        rows = math.prod(sa[:-1])
        return _mv_error(rows, (rows, sa[-1]), sb[0])
    if na == 1 and nb == 2:
        return _mm_error((1, sa[0]), sb)
    if nb == 2:
        return _mm_error((math.prod(sa[:-1]), sa[-1]), sb)
    batch = math.prod(_broadcast_batch(sa[:-2], sb[:-2]))
    return _bmm_error(batch, sa[-1], batch, sb[-2])


def _expand_error(shape: tuple, target: tuple, a) -> RuntimeError:
    """Why ``shape`` (the added term of addmm and friends) does not expand to ``target``."""
    if len(shape) > len(target):
        return RuntimeError(
            f"expand(torch.{scalar_name(a.dtype)}Tensor{{{list(shape)}}}, size={list(target)}): "
            "the "
            f"number of sizes provided ({len(target)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({len(shape)})"
        )
    lead = len(target) - len(shape)
    for i, (s, t) in enumerate(zip(shape, target[lead:])):
        if s != t and s != 1:
            return RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor "
                f"sizes: {list(shape)}"
            )
    return None


# ----- matrix products --------------------------------------------------------------------
def _matmul_grads(
    a, b, g: Tensor, need_a: bool, need_b: bool, ranks: tuple, flags=(False, False)
) -> tuple:
    """Gradients of ``a @ b`` for every rank combination (1-D operands are promoted/squeezed).

    ``a`` is only needed (may be None otherwise) for b's gradient, and ``b`` for a's.
    ``flags`` (matrices only): the product was ``op(a) @ op(b)`` with op a transpose.
    """
    na, nb = ranks
    ga = gb = None
    if na >= 2 and nb >= 2:
        # With A' = op(a), B' = op(b): dA' = g @ B'^T and dB' = A'^T @ g. The transposes are
        # flags of the same op (strided views inside BLAS), never separate nodes.
        ta, tb = flags
        if need_a:
            ga = Matmul.apply(b, g, tb, True) if ta else Matmul.apply(g, b, False, not tb)
        if need_b:
            if tb:
                gb = Matmul.apply(g, a, True, ta)
            elif nb == 2 and na > 2 and not ta:
                # Fold a's batch dims into rows: one GEMM instead of a batch of them and a sum.
                k, n = a._data.shape[-1], g._data.shape[-1]
                rows = math.prod(a._data.shape[:-1])
                gb = Matmul.apply(a.reshape(rows, k), g.reshape(rows, n), True, False)
            else:
                gb = Matmul.apply(a, g, not ta, False)
        return ga, gb
    if na == 1 and nb == 1:  # dot: g is 0-d
        return (g * b if need_a else None), (g * a if need_b else None)
    if na == 1:  # (k) @ (..., k, n) -> (..., n)
        if need_a:
            ga = matmul(b, g) if nb == 2 else matmul(b, g.unsqueeze(-1)).squeeze(-1)
        if need_b:
            gb = a.unsqueeze(-1) * g.unsqueeze(-2)
        return ga, gb
    # (..., m, k) @ (k) -> (..., m)
    if need_a:
        ga = g.unsqueeze(-1) * b
    if need_b:
        if na > 2:
            rows = math.prod(a._data.shape[:-1])
            gb = matmul(g.reshape(rows), a.reshape(rows, a._data.shape[-1]))
        else:
            gb = matmul(g, a)
    return ga, gb


class Matmul(ArrayFunction):
    """``a @ b`` for any ranks; the subclasses below only carry PyTorch's node names."""

    @staticmethod
    def forward(ctx, a, b, transpose_a=False, transpose_b=False):
        need = ctx.needs_input_grad
        if need:  # a's gradient reads b and b's reads a; the shapes are kept either way
            ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
            ctx.ranks = (a.ndim, b.ndim)
            ctx.flags = (transpose_a, transpose_b)
        if transpose_a:
            a = a.swapaxes(-1, -2)
        if transpose_b:
            b = b.swapaxes(-1, -2)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        grads = _matmul_grads(a, b, g, need[0], need[1], ctx.ranks, ctx.flags)
        return grads if len(need) == 2 else (*grads, None, None)


class Mm(Matmul):
    pass


class Mv(Matmul):
    pass


class Dot(Matmul):
    pass


class Vdot(Matmul):
    pass


class Bmm(Matmul):
    pass


_MATMUL_BY_RANK = {(1, 1): Dot, (2, 1): Mv, (2, 2): Mm}


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rank rules.

    1-D·1-D is a dot product; a 1-D operand is treated as a row (left) or column (right)
    vector and that dim is removed from the result; batch dims broadcast. Both operands must
    have the same dtype.
    """
    try:
        a, b = input._data, other._data
    except AttributeError:
        input, other = _as_tensor(input), _as_tensor(other)
        a, b = input._data, other._data
    if a.dtype is not b.dtype or a.dtype.kind == "b":
        _check_same_dtype(a, b)
    try:
        return _MATMUL_BY_RANK.get((a.ndim, b.ndim), Matmul).apply(input, other)
    except ValueError:
        raise _matmul_error(a.shape, b.shape) from None


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices (2-D only; see ``matmul`` for broadcasting)."""
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_same_dtype(a, b)
    if a.shape[1] != b.shape[0]:
        raise _mm_error(a.shape, b.shape)
    return Mm.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: ``(n, m) @ (m,) -> (n,)``."""
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    _check_same_dtype(a, v)
    if a.shape[1] != v.shape[0]:
        raise _mv_error(a.shape[0], a.shape, v.shape[0])
    return Mv.apply(input, vec)


def _check_vectors(a, b) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise _dot_error(a.shape[0], b.shape[0])
    if a.dtype != b.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{scalar_name(a.dtype)} and {scalar_name(b.dtype)}"
        )


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Dot product of two 1-D tensors of the same size and dtype (a 0-d result)."""
    _check_vectors(input._data, tensor._data)
    return Dot.apply(input, tensor)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """``dot`` with the first argument conjugated (the same for real tensors)."""
    _check_vectors(input._data, other._data)
    return Vdot.apply(input, other)


def _check_batches(b1, b2) -> None:
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        error = _bmm_error(b1.shape[0], b1.shape[2], b2.shape[0], b2.shape[1])
        raise RuntimeError(
            f"{error} (batch1 has shape {list(b1.shape)}, batch2 has shape {list(b2.shape)})"
        )
    if b1.dtype != b2.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_name(b1.dtype)} but found {scalar_name(b2.dtype)}"
        )


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: ``(b, n, m) @ (b, m, p) -> (b, n, p)``, no broadcasting."""
    _check_batches(input._data, mat2._data)
    return Bmm.apply(input, mat2)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: ``(n,), (m,) -> (n, m)``."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return mul(input.unsqueeze(-1), vec2)


ger = outer


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims of both: result shape ``input.shape[:-1] + other.shape[:-1]``."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return mul(input, other)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a.shape)} and {list(b.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


# ----- matrix products plus a term ------------------------------------------------------
class _AddMatmul(ArrayFunction):
    """``beta * input + alpha * (m1 @ m2)``; ``beta == 0`` ignores input (even its nans)."""

    @staticmethod
    def forward(ctx, input, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.scales = (beta, alpha)
        out = m1 @ m2
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += input if beta == 1 else input * beta
        return out

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        beta, alpha = ctx.scales
        need_input, need_1, need_2 = ctx.needs_input_grad[:3]
        gi = (g if beta == 1 else g * beta) if need_input else None
        g1, g2 = _matmul_grads(
            m1, m2, g if alpha == 1 else g * alpha, need_1, need_2, (m1.ndim, m2.ndim)
        )
        return gi, g1, g2, None, None


class Addmm(_AddMatmul):
    pass


class Addmv(_AddMatmul):
    pass


class Baddbmm(_AddMatmul):
    pass


def _add_matmul(cls, input: Tensor, m1: Tensor, m2: Tensor, beta, alpha, target: tuple):
    x = input._data
    if (beta != 1 or alpha != 1) and x.dtype.kind != "f":
        for name, s in (("beta", beta), ("alpha", alpha)):
            if isinstance(s, float):
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point "
                    "number."
                )
    # numpy's in-place add rejects a term that does not expand; beta == 0 skips the add.
    if beta == 0 and x.shape != target:
        err = _expand_error(x.shape, target, x)
        if err is not None:
            raise err
    try:
        return cls.apply(input, m1, m2, beta, alpha)
    except ValueError:
        raise _expand_error(x.shape, target, x) from None


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        name, m = ("mat1", a) if a.ndim != 2 else ("mat2", b)
        raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    dt = a.dtype
    if b.dtype is not dt or input._data.dtype is not dt or dt.kind == "b":
        _check_same_dtype(a, b)
        if input._data.dtype != dt:
            raise RuntimeError(
                "self and mat2 must have the same dtype, but got "
                f"{scalar_name(input._data.dtype)} and {scalar_name(b.dtype)}"
            )
    if a.shape[1] != b.shape[0]:
        raise _mm_error(a.shape, b.shape)
    return _add_matmul(Addmm, input, mat1, mat2, beta, alpha, (a.shape[0], b.shape[1]))


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to the product's shape."""
    x, a, v = input._data, mat._data, vec._data
    if x.ndim > 1 or a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {x.ndim}, {a.ndim}, {v.ndim}")
    if not x.dtype == a.dtype == v.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{scalar_name(x.dtype)}, {scalar_name(a.dtype)}, and {scalar_name(v.dtype)}"
        )
    n = x.shape[0] if x.ndim == 1 and x.shape[0] != 1 else a.shape[0]
    if a.shape[1] != v.shape[0] or n != a.shape[0]:
        raise _mv_error(n, a.shape, v.shape[0])
    return _add_matmul(Addmv, input, mat, vec, beta, alpha, (a.shape[0],))


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to the result."""
    b1, b2 = batch1._data, batch2._data
    _check_batches(b1, b2)
    if input._data.dtype != b1.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {cpp_name(input._data.dtype)}, "
            f"batch1: {cpp_name(b1.dtype)}, batch2: {cpp_name(b2.dtype)}"
        )
    return _add_matmul(
        Baddbmm, input, batch1, batch2, beta, alpha, (b1.shape[0], b1.shape[1], b2.shape[2])
    )


# ----- tensordot, kron --------------------------------------------------------------------
def _dims_list(d) -> list:
    if isinstance(d, Tensor):
        return [int(x) for x in d._data.reshape(-1).tolist()]
    if isinstance(d, int):
        return [d]
    return [int(x) for x in d]


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``a`` and ``b`` over several dims.

    ``dims`` is an int n (the last n dims of ``a`` with the first n of ``b``) or a pair of
    dim lists ``(dims_a, dims_b)`` contracted pairwise. Computed as one matrix product.
    """
    sa, sb = a._data.shape, b._data.shape
    if isinstance(dims, Tensor) and dims._data.ndim == 0:
        dims = int(dims._data)
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > len(sa) or dims > len(sb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        given_a = list(range(-dims, 0))
        given_b = list(range(dims))
    else:
        given_a, given_b = (_dims_list(d) for d in dims)
        if len(given_a) != len(given_b):
            raise RuntimeError("both dimension lists should have same length")
    da = [_wrap_dim(d, len(sa)) for d in given_a]
    db = [_wrap_dim(d, len(sb)) for d in given_b]
    for dl in (da, db):
        for d in dl:
            if dl.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    for x, y, gx, gy in zip(da, db, given_a, given_b):
        if sa[x] != sb[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa[x]} in dim {gx} "
                f"and second has size {sb[y]} in dim {gy}"
            )
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    free_a = [d for d in range(len(sa)) if d not in da]
    free_b = [d for d in range(len(sb)) if d not in db]
    k = math.prod(sa[d] for d in da)
    out_a = tuple(sa[d] for d in free_a)
    out_b = tuple(sb[d] for d in free_b)
    order_a = free_a + da
    order_b = db + free_b
    pa = a if order_a == list(range(len(sa))) else a.permute(order_a)
    pb = b if order_b == list(range(len(sb))) else b.permute(order_b)
    prod = mm(pa.reshape(math.prod(out_a), k), pb.reshape(k, math.prod(out_b)))
    return prod.reshape(out_a + out_b)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product; the operand with fewer dims gets leading size-1 dims."""
    sa, sb = input._data.shape, other._data.shape
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + sa
    sb = (1,) * (n - len(sb)) + sb
    # Interleave: a[i0, _, i1, _, ...] * b[_, j0, _, j1, ...], then merge each (i, j) pair.
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    return mul(a, b).reshape(tuple(x * y for x, y in zip(sa, sb)))


# ----- einsum -----------------------------------------------------------------------------
_SUBSCRIPTS = frozenset(string.ascii_letters)
# Letters in ASCII order: implicit outputs are sorted, and sublist ints keep their order.
_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_ELLIPSIS = None  # marks where "..." stood in a parsed term


def _scan_term(text: str, offset: int, who: str) -> list:
    """The subscripts of one term, with ``_ELLIPSIS`` where ``...`` stands."""
    items = []
    dots = 0
    seen_ellipsis = False
    for j, c in enumerate(text):
        if c == " ":
            continue
        if c == ".":
            if seen_ellipsis:
                raise RuntimeError(
                    f"einsum(): found '.' for {who} for which an ellipsis was already found"
                )
            dots += 1
            if dots == 3:
                items.append(_ELLIPSIS)
                seen_ellipsis = True
                dots = 0
            continue
        if dots:
            raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any ellipsis")
        if c not in _SUBSCRIPTS:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {offset + j} in the equation "
                "string, subscripts must be in [a-zA-Z]"
            )
        items.append(c)
    if dots:
        raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any ellipsis")
    return items


@functools.lru_cache(maxsize=512)
def _einsum_spec(equation: str, shapes: tuple) -> tuple:
    """``(terms, output, explicit equation)``: every ``...`` spelled out with spare letters."""
    lhs, arrow, rhs = equation.partition("->")
    terms = []
    offset = 0
    for i, text in enumerate(lhs.split(",")):
        terms.append(_scan_term(text, offset, f"operand {i}"))
        offset += len(text) + 1
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    out_items = _scan_term(rhs, len(lhs) + 2, "output") if arrow else None

    ell_dims = []
    for i, (items, shape) in enumerate(zip(terms, shapes)):
        n = len(items) - (_ELLIPSIS in items)
        if _ELLIPSIS in items:
            if n > len(shape):
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({n}) is more than the "
                    f"number of dimensions ({len(shape)}) for operand {i}"
                )
        elif n != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) does not match the "
                f"number of dimensions ({len(shape)}) for operand {i} and no ellipsis was given"
            )
        ell_dims.append(len(shape) - n)
    used = {c for items in terms for c in items if c is not _ELLIPSIS}
    spare = [c for c in _LETTERS if c not in used and c not in (out_items or ())]
    n_ell = max(ell_dims, default=0)
    if n_ell > len(spare):
        raise RuntimeError("einsum(): too many dimensions for the available subscripts")
    ell = "".join(spare[:n_ell])

    expanded = []
    for items, e in zip(terms, ell_dims):
        expanded.append("".join(ell[n_ell - e :] if c is _ELLIPSIS else c for c in items))
    if out_items is None:
        counts = {}
        for items in terms:
            for c in items:
                if c is not _ELLIPSIS:
                    counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    else:
        for c in out_items:
            if c is _ELLIPSIS:
                continue
            if c not in used:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
            if out_items.count(c) > 1:
                raise RuntimeError(
                    f"einsum(): output subscript {c} appears more than once in the output"
                )
        output = "".join(ell if c is _ELLIPSIS else c for c in out_items)

    sizes = {}
    for i, (term, shape) in enumerate(zip(expanded, shapes)):
        local = {}
        for c, n in zip(term, shape):
            if c in local and local[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                    f"match, {n} != {local[c]}"
                )
            local[c] = n
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n != 1 and n != prev:
                name = "in the ellipsis dims" if c in ell else c
                raise RuntimeError(
                    f"einsum(): subscript {name} has size {n} for operand {i} which does not "
                    f"broadcast with previously seen size {prev}"
                )
    return tuple(expanded), output, ",".join(expanded) + "->" + output


class Einsum(ArrayFunction):
    @staticmethod
    def forward(ctx, spec, *arrays):
        ctx.save_for_backward(*arrays)
        ctx.spec = spec
        # numpy's path optimiser (pairwise BLAS contractions) pays off beyond tiny operands.
        optimize = sum(a.size for a in arrays) >= 512
        return array_module(arrays[0]).einsum(spec[2], *arrays, optimize=optimize)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        terms, output, _ = ctx.spec
        grads = [None]
        for i, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(terms, output, operands, i, g) if need else None)
        return tuple(grads)


def _einsum_grad(terms: tuple, output: str, operands: tuple, i: int, g: Tensor) -> Tensor:
    """The gradient of operand ``i``: an einsum of ``g`` with the other operands.

    Subscripts of operand ``i`` that the others do not supply at full size get a ones vector
    (the gradient is constant along them); a repeated subscript (a diagonal) gets an identity
    matrix pairing it with a spare letter, which puts the gradient back on the diagonal.
    """
    term = terms[i]
    x = operands[i]._data
    xp = array_module(x)
    dtype = g._data.dtype
    subs = [output]
    args = [g]
    for j, (t, op) in enumerate(zip(terms, operands)):
        if j != i:
            subs.append(t)
            args.append(op)
    supplied = {}  # subscript -> its (broadcast) size among g and the other operands
    for sub, arg in zip(subs, args):
        for c, n in zip(sub, arg._data.shape):
            if n != 1 or c not in supplied:
                supplied[c] = n
    spare = iter(c for c in _LETTERS if c not in supplied and c not in term)
    result = []
    for c, n in zip(term, x.shape):
        if c in result:
            fresh = next(spare)
            subs.append(c + fresh)
            args.append(_make(xp.eye(n, dtype=dtype)))
            result.append(fresh)
            continue
        if c not in supplied or (supplied[c] == 1 and n != 1):
            subs.append(c)
            args.append(_make(xp.ones(n, dtype=dtype)))
        result.append(c)
    return einsum(",".join(subs) + "->" + "".join(result), *args)


def _from_sublists(args: tuple) -> tuple:
    """``einsum(op1, sub1, op2, sub2, ..., [out])`` to an equation and operands."""

    def letters(sub) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(_LETTERS[s])
            else:
                raise RuntimeError(
                    f"einsum(): expected subscripts to be in the range [0, 52) but got {s}"
                )
        return "".join(out)

    operands = args[0::2][: len(args) // 2]
    lhs = ",".join(letters(s) for s in args[1::2][: len(args) // 2])
    eq = lhs + ("->" + letters(args[-1]) if len(args) % 2 else "")
    return eq, operands


def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` (operands may also come as a list).

    Supports ``...`` (broadcast batch dims), repeated subscripts (diagonals, traces), the
    implicit output (subscripts seen once, sorted) and the sublist format. Operands of
    different dtypes are promoted to a common one.
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _from_sublists(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    operands = [_as_tensor(o) for o in operands]
    dtype = operands[0]._data.dtype
    if any(o._data.dtype != dtype for o in operands):
        common = _dt.result_type(*(o._data for o in operands))
        operands = [o if o._data.dtype == common else o.to(common) for o in operands]
    spec = _einsum_spec(equation, tuple(o._data.shape for o in operands))
    return Einsum.apply(spec, *operands)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integers sum in int64, as in PyTorch)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    d = input.diagonal()
    return d.sum()


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The 3-vector cross product along ``dim`` (broadcasting); ``dim=None`` takes the first
    dim of size 3, as PyTorch (which warns that this default is deprecated)."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(cross, input, other, dim)
    a, b = input, other
    if a._data.dtype != b._data.dtype:
        common = _dt.result_type(a._data, b._data)
        a, b = a.to(common), b.to(common)
    try:
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(
            f"linalg.cross: shapes {list(a._data.shape)} and {list(b._data.shape)} are not "
            "broadcastable"
        ) from None
    a, b = a.expand(shape), b.expand(shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = _wrap_dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got "
            f"{input._data.shape[d]} and {other._data.shape[d]}"
        )
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}: two cyclic shifts of each operand.
    xp = array_module(a._data)
    nxt, prv = _make(xp.asarray([1, 2, 0])), _make(xp.asarray([2, 0, 1]))
    a1, a2 = index_select(a, d, nxt), index_select(a, d, prv)
    return a1 * index_select(b, d, prv) - a2 * index_select(b, d, nxt)


METHOD_NAMES = [
    "trace",
    "cross",
    "matmul",
    "mm",
    "mv",
    "dot",
    "bmm",
    "outer",
    "inner",
    "addmm",
    "addmv",
    "baddbmm",
    "ger",
    "vdot",
    "kron",
]
# Methods that PyTorch also has in place (``addmm_``); bound where methods.py reads this list.
INPLACE_NAMES = ["addmm", "addmv", "baddbmm"]
