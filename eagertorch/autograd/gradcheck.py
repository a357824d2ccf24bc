"""Finite-difference checks of gradients (``gradcheck``) and of gradients of gradients.

Full mode compares every entry of each Jacobian with central differences. Fast mode
compares one random directional derivative per input, ``<v, J u>`` against ``<J^T v, u>``
(two evaluations of ``func`` per input and one backward pass, as Chainer's
``check_backward``), and on a mismatch computes that input's full Jacobian to name the
worst element. Floating-point inputs are checked as float64 copies, so float32 tensors
(say, drawn by a hypothesis strategy) can be passed as they are.
"""

from __future__ import annotations

import numpy as np

from .._backend.device import array_module
from .._tensor import Tensor, _make
from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# Jacobians up to this many entries are printed in full in a failure report.
_PRINT_LIMIT = 64


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree (or backward misbehaves).

    ``input_index``/``output_index`` say which Jacobian failed and ``input_element``/
    ``output_element`` the worst entry (multi-indices), where known.
    """

    def __init__(
        self,
        message: str,
        *,
        input_index: int | None = None,
        output_index: int | None = None,
        input_element: tuple | None = None,
        output_element: tuple | None = None,
    ) -> None:
        super().__init__(message)
        self.input_index = input_index
        self.output_index = output_index
        self.input_element = input_element
        self.output_element = output_element


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    return tuple(x) if isinstance(x, list) else (x,)


def _upcast(inputs: tuple) -> tuple:
    """Floating-point tensors as float64 leaves (copies unless already float64 and writable)."""
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            d = x._data
            if d.dtype != np.float64 or not getattr(d.flags, "writeable", True):
                t = _make(d.astype(np.float64))
                t._requires_grad = x._requires_grad
                x = t
        out.append(x)
    return tuple(out)


def _float_outputs(func, inputs) -> tuple:
    outs = _as_tuple(func(*inputs))
    return tuple(o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f")


def _evaluate(func, inputs) -> list:
    return [o._host().astype(np.float64).ravel() for o in _float_outputs(func, inputs)]


def _numerical_jacobian(func, inputs, i: int, eps: float, out_sizes: list) -> list:
    """Per output m, d output m / d input i as (input numel, output numel), central diffs.

    The input's array is perturbed in place (no version bump), element by element through
    multi-indices, so non-contiguous inputs work too.
    """
    data = inputs[i]._data
    jac = [np.zeros((data.size, n)) for n in out_sizes]
    for j, idx in enumerate(np.ndindex(data.shape)):
        orig = data[idx].item()
        try:
            data[idx] = orig + eps
            plus = _evaluate(func, inputs)
            data[idx] = orig - eps
            minus = _evaluate(func, inputs)
        finally:
            data[idx] = orig
        for m in range(len(out_sizes)):
            jac[m][j] = (plus[m] - minus[m]) / (2 * eps)
    return jac


def _unravel(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _at(element: tuple) -> str:
    return str(list(element)) if element else ""


def _worst(numerical, analytical, atol, rtol):
    """(mismatch count, (row, col) of the worst entry), or None when all entries are close."""
    close = np.isclose(analytical, numerical, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    excess = np.where(close, -np.inf, np.where(np.isnan(excess), np.inf, excess))
    return int((~close).sum()), np.unravel_index(np.argmax(excess), excess.shape)


def _jacobian_error(numerical, analytical, k, m, ctx) -> GradcheckError | None:
    found = _worst(numerical, analytical, ctx.atol, ctx.rtol)
    if found is None:
        return None
    bad, (r, c) = found
    i = ctx.wrt[k]
    in_shape = tuple(ctx.inputs[i]._data.shape)
    out_shape = ctx.out_shapes[m]
    in_el, out_el = _unravel(r, in_shape), _unravel(c, out_shape)
    in_name, out_name = ctx.in_names[i], ctx.out_names[m]
    message = (
        f"Jacobian mismatch for {out_name} (shape {out_shape}) with respect to {in_name} "
        f"(shape {in_shape}): {bad} of {numerical.size} entries differ.\n"
        f"Worst at (input element {r}, output element {c}), i.e. "
        f"d {out_name}{_at(out_el)} / d {in_name}{_at(in_el)}: numerical "
        f"{numerical[r, c]:.6g}, analytical {analytical[r, c]:.6g} "
        f"(atol={ctx.atol}, rtol={ctx.rtol}, eps={ctx.eps})."
    )
    if numerical.size <= _PRINT_LIMIT:
        message += f"\nnumerical:\n{numerical}\nanalytical:\n{analytical}"
    return GradcheckError(
        message, input_index=i, output_index=m, input_element=in_el, output_element=out_el
    )


class _Context:
    """What one check needs: inputs, names, tolerances, the outputs' shapes."""

    def __init__(self, func, inputs, in_names, out_names, eps, atol, rtol) -> None:
        self.func, self.inputs, self.eps, self.atol, self.rtol = func, inputs, eps, atol, rtol
        self.wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
        self.in_names = in_names or [f"input {i}" for i in range(len(inputs))]
        self.outs = _float_outputs(func, inputs)
        self.out_shapes = [tuple(o._data.shape) for o in self.outs]
        self.out_names = out_names or [f"output {m}" for m in range(len(self.outs))]
        self.diff_inputs = tuple(inputs[i] for i in self.wrt)


def _vjp(ctx, vs: list) -> list:
    """J^T v for every differentiable input (None where unused), v one array per output."""
    pairs = [(o, v) for o, v in zip(ctx.outs, vs) if o._requires_grad]
    if not pairs:
        return [None] * len(ctx.wrt)
    outs = [o for o, _ in pairs]
    gos = [_make(o.xp.asarray(v.reshape(o._data.shape), dtype=o._data.dtype)) for o, v in pairs]
    return list(_grad(outs, ctx.diff_inputs, gos, retain_graph=True, allow_unused=True))


def _analytical_jacobians(ctx) -> list:
    """``J[k][m]``: d output m / d diff input k as (input numel, output numel), one vjp per
    output element (the other outputs get zero gradients, never undefined ones)."""
    jac = [[np.zeros((x._data.size, o._data.size)) for o in ctx.outs] for x in ctx.diff_inputs]
    vs = [np.zeros(s) for s in ctx.out_shapes]
    for m, o in enumerate(ctx.outs):
        if not o._requires_grad:
            continue
        flat = vs[m].reshape(-1)
        for j in range(flat.size):
            flat[j] = 1.0
            for k, g in enumerate(_vjp(ctx, vs)):
                if g is not None:
                    jac[k][m][:, j] = g._host().astype(np.float64).ravel()
            flat[j] = 0.0
    return jac


def _random_directions(rng, shapes: list) -> list:
    """Standard normal arrays of these shapes, scaled to unit norm all together."""
    vs = [rng.standard_normal(s) for s in shapes]
    norm = np.sqrt(sum(float((v * v).sum()) for v in vs))
    return [v / norm for v in vs] if norm else vs


def _dot(g, u) -> float:
    return 0.0 if g is None else float(np.dot(g._host().astype(np.float64).ravel(), u.ravel()))


def _check_full(ctx) -> GradcheckError | None:
    sizes = [int(np.prod(s)) for s in ctx.out_shapes]
    analytical = _analytical_jacobians(ctx)
    for k, i in enumerate(ctx.wrt):
        numerical = _numerical_jacobian(ctx.func, ctx.inputs, i, ctx.eps, sizes)
        for m in range(len(ctx.outs)):
            err = _jacobian_error(numerical[m], analytical[k][m], k, m, ctx)
            if err is not None:
                return err
    return None


def _check_fast(ctx, rng) -> GradcheckError | None:
    vs = _random_directions(rng, ctx.out_shapes)
    grads = _vjp(ctx, vs)
    for k, i in enumerate(ctx.wrt):
        data = ctx.inputs[i]._data
        if data.size == 0:
            continue
        u = _random_directions(rng, [data.shape])[0]
        orig = data.copy()
        step = ctx.eps * array_module(data).asarray(u)
        try:
            data[...] = orig + step
            plus = _evaluate(ctx.func, ctx.inputs)
            data[...] = orig - step
            minus = _evaluate(ctx.func, ctx.inputs)
        finally:
            data[...] = orig
        numerical = sum(
            float(np.dot(v.ravel(), (p - q) / (2 * ctx.eps))) for v, p, q in zip(vs, plus, minus)
        )
        analytical = _dot(grads[k], u)
        if abs(analytical - numerical) <= ctx.atol + ctx.rtol * abs(numerical):
            continue
        sizes = [int(np.prod(s)) for s in ctx.out_shapes]
        full_numerical = _numerical_jacobian(ctx.func, ctx.inputs, i, ctx.eps, sizes)
        full_analytical = _analytical_jacobians(ctx)[k]
        for m in range(len(ctx.outs)):
            err = _jacobian_error(full_numerical[m], full_analytical[m], k, m, ctx)
            if err is not None:
                err.args = (f"Fast gradcheck failed for {ctx.in_names[i]}. {err.args[0]}",)
                return err
        return GradcheckError(
            f"Fast gradcheck failed for {ctx.in_names[i]}: the directional derivative "
            f"<v, J u> is {numerical:.6g} numerically and {analytical:.6g} analytically "
            f"(atol={ctx.atol}, rtol={ctx.rtol}), although each Jacobian entry is within "
            "tolerance; loosen atol/rtol or use fast_mode=False.",
            input_index=i,
        )
    return None


def _check_reentrant(ctx, rng, nondet_tol: float) -> GradcheckError | None:
    """The same v gives the same J^T v twice (within ``nondet_tol``)."""
    vs = _random_directions(rng, ctx.out_shapes)
    first, second = _vjp(ctx, vs), _vjp(ctx, vs)
    for k, (a, b) in enumerate(zip(first, second)):
        if a is None and b is None:
            continue
        diff = np.abs(_host64(a, b) - _host64(b, a)).max(initial=0.0)
        if not diff <= nondet_tol:
            return GradcheckError(
                f"Backward is not reentrant, i.e., running backward with the same input and "
                f"grad_output twice gives gradients of {ctx.in_names[ctx.wrt[k]]} that differ "
                f"by {diff:.6g}. The tolerance for nondeterminism was {nondet_tol}.",
                input_index=ctx.wrt[k],
            )
    return None


def _host64(g, like) -> np.ndarray:
    if g is None:
        return np.zeros(like._data.shape)
    return g._host().astype(np.float64)


def _check_undefined(ctx, rng) -> GradcheckError | None:
    """Outputs of one multi-output node: backpropagating through some of them (the others'
    gradients undefined) must equal backpropagating zeros for the others."""
    diff_outs = [m for m, o in enumerate(ctx.outs) if o._requires_grad]
    fns = [ctx.outs[m]._grad_fn for m in diff_outs]
    if not any(f is not None and fns.count(f) > 1 for f in fns):
        return None
    vs = _random_directions(rng, ctx.out_shapes)
    for m in diff_outs:
        if fns.count(ctx.outs[m]._grad_fn) < 2:
            continue
        zeroed = [np.zeros_like(v) if n == m else v for n, v in enumerate(vs)]
        expected = _vjp(ctx, zeroed)
        others = [n for n in diff_outs if n != m]
        outs = [ctx.outs[n] for n in others]
        gos = [
            _make(
                ctx.outs[n].xp.asarray(
                    vs[n].reshape(ctx.out_shapes[n]), dtype=ctx.outs[n]._data.dtype
                )
            )
            for n in others
        ]
        try:
            got = _grad(outs, ctx.diff_inputs, gos, retain_graph=True, allow_unused=True)
        except Exception as e:
            return GradcheckError(
                f"Backward fails when the gradient of {ctx.out_names[m]} is undefined "
                f"(None): {type(e).__name__}: {e}",
                output_index=m,
            )
        for k, (a, b) in enumerate(zip(got, expected)):
            if (a is not None or b is not None) and not np.allclose(
                _host64(a, b), _host64(b, a), rtol=ctx.rtol, atol=ctx.atol
            ):
                return GradcheckError(
                    f"Backward does not treat an undefined gradient of {ctx.out_names[m]} as "
                    f"zero: the gradient of {ctx.in_names[ctx.wrt[k]]} differs.",
                    input_index=ctx.wrt[k],
                    output_index=m,
                )
    return None


def _check_grad_dtypes(ctx, rng) -> GradcheckError | None:
    grads = _vjp(ctx, _random_directions(rng, ctx.out_shapes))
    for k, g in enumerate(grads):
        x = ctx.diff_inputs[k]
        if g is not None and (g.dtype is not x.dtype or g._data.shape != x._data.shape):
            return GradcheckError(
                f"Gradient of {ctx.in_names[ctx.wrt[k]]} has dtype {g.dtype} and shape "
                f"{tuple(g.shape)}, but the input has dtype {x.dtype} and shape {tuple(x.shape)}",
                input_index=ctx.wrt[k],
            )
    return None


def _gradcheck(
    func,
    inputs: tuple,
    *,
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
    nondet_tol: float,
    check_undefined_grad: bool,
    check_grad_dtypes: bool,
    fast_mode: bool,
    in_names=None,
    out_names=None,
) -> bool:
    with enable_grad():
        ctx = _Context(func, inputs, in_names, out_names, eps, atol, rtol)
        if not ctx.wrt:
            raise ValueError("gradcheck expects at least one input tensor to require gradient")
        rng = np.random.default_rng(0)
        err = _check_fast(ctx, rng) if fast_mode else _check_full(ctx)
        if err is None:
            err = _check_reentrant(ctx, rng, nondet_tol)
        if err is None and check_undefined_grad:
            err = _check_undefined(ctx, rng)
        if err is None and check_grad_dtypes:
            err = _check_grad_dtypes(ctx, rng)
    if err is None:
        return True
    if raise_exception:
        raise err
    return False


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Compare the autograd Jacobian of ``func`` with central finite differences.

    Floating-point inputs are upcast to float64 copies first. ``fast_mode`` checks one
    random direction per input instead of every Jacobian entry. Also checked: backward is
    deterministic (within ``nondet_tol``), undefined (None) gradients of outputs of a
    multi-output node count as zeros (``check_undefined_grad``), and with
    ``check_grad_dtypes`` each gradient has its input's dtype and shape.
    Returns True, or raises ``GradcheckError`` naming the input and the worst element
    (returns False with ``raise_exception=False``).
    """
    if check_batched_grad:
        raise NotImplementedError("check_batched_grad=True is not supported")
    if not check_backward_ad:
        return True
    return _gradcheck(
        func,
        _upcast(_as_tuple(inputs)),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
    )


def _random_grad_outputs(outs, non_contiguous: bool) -> tuple:
    rng = np.random.default_rng(0)
    result = []
    for o in outs:
        values = rng.standard_normal(o._data.shape)
        if non_contiguous and values.size > 1:
            buffer = np.zeros((*values.shape, 2))
            buffer[..., 0] = values
            values = buffer[..., 0]
        result.append(_make(o.xp.asarray(values)).requires_grad_())
    return tuple(result)


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """``gradcheck`` of the gradient itself (backward built with ``create_graph=True``).

    Checks the Jacobian of ``(inputs, grad_outputs) -> J^T grad_outputs``; random
    ``grad_outputs`` (requiring grad) are drawn when not given.
    """
    if check_batched_grad or check_fwd_over_rev:
        raise NotImplementedError("batched and forward-over-reverse checks are not supported")
    if not check_rev_over_rev:
        return True
    return _gradgradcheck(
        func,
        _upcast(_as_tuple(inputs)),
        grad_outputs,
        gen_non_contig_grad_outputs=gen_non_contig_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
    )


def _gradgradcheck(
    func, inputs: tuple, grad_outputs, *, gen_non_contig_grad_outputs, in_names=None, **options
) -> bool:
    with enable_grad():
        outs = [o for o in _float_outputs(func, inputs) if o._requires_grad]
    if grad_outputs is None:
        grad_outputs = _random_grad_outputs(outs, gen_non_contig_grad_outputs)
    grad_outputs = _upcast(_as_tuple(grad_outputs))
    n_in = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not outs:
        return True

    def first_order(*args):
        xs, gos = args[:n_in], args[n_in:]
        ys = [o for o in _float_outputs(func, xs) if o._requires_grad]
        diff = [xs[i] for i in wrt]
        grads = _grad(ys, diff, gos, create_graph=True, allow_unused=True)
        # An unused input's gradient is zero: keep one output per input so names line up.
        return tuple(
            _make(x.xp.zeros_like(x._data)) if g is None else g for x, g in zip(diff, grads)
        )

    in_names = in_names or [f"input {i}" for i in range(n_in)]
    return _gradcheck(
        first_order,
        inputs + grad_outputs,
        in_names=in_names + [f"grad_output {m}" for m in range(len(grad_outputs))],
        out_names=[f"the gradient of {in_names[i]}" for i in wrt],
        **options,
    )
