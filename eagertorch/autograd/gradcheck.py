"""Finite-difference checks of gradients (``gradcheck``) and of gradients of gradients."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make
from .engine import grad as _grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return x if isinstance(x, tuple) else (x,) if isinstance(x, Tensor) else tuple(x)


def _differentiable_outputs(func, inputs) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobians(func, inputs, wrt, eps: float) -> list:
    """``J[i][o]``: d output o / d input i, shape (input numel, output numel), central diffs."""
    outs = _differentiable_outputs(func, inputs)
    jac = [[np.zeros((inputs[i]._data.size, o._data.size)) for o in outs] for i in wrt]
    for k, i in enumerate(wrt):
        flat = inputs[i]._data.reshape(-1)  # a view: perturbations write into the input
        for j in range(flat.size):
            orig = flat[j].item()
            # Writes go to the raw array (no version bump); func runs with grad mode as is,
            # since gradgradcheck's func itself calls autograd.grad.
            flat[j] = orig + eps
            plus = [
                o._host().astype(np.float64).ravel() for o in _differentiable_outputs(func, inputs)
            ]
            flat[j] = orig - eps
            minus = [
                o._host().astype(np.float64).ravel() for o in _differentiable_outputs(func, inputs)
            ]
            flat[j] = orig
            for m in range(len(outs)):
                jac[k][m][j] = (plus[m] - minus[m]) / (2 * eps)
    return jac


def _analytical_jacobians(func, inputs, wrt) -> list:
    outs = _differentiable_outputs(func, inputs)
    diff_inputs = tuple(inputs[i] for i in wrt)
    jac = [[np.zeros((inputs[i]._data.size, o._data.size)) for o in outs] for i in wrt]
    for m, o in enumerate(outs):
        if not o._requires_grad:
            continue
        for j in range(o._data.size):
            onehot = np.zeros(o._data.size, o._data.dtype)
            onehot[j] = 1
            gout = _make(onehot.reshape(o._data.shape))
            grads = _grad(o, diff_inputs, gout, retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    jac[k][m][:, j] = g._host().astype(np.float64).ravel()
    return jac


def _report(numerical, analytical, i: int, m: int, atol: float, rtol: float) -> str:
    err = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    worst = np.unravel_index(np.argmax(err), err.shape)
    bad = int((err > 0).sum())
    return (
        f"Jacobian mismatch for output {m} with respect to input {i}: {bad} of {err.size} "
        f"entries differ. Worst at (input element {worst[0]}, output element {worst[1]}): "
        f"numerical {numerical[worst]:.6g}, analytical {analytical[worst]:.6g} "
        f"(atol={atol}, rtol={rtol}).\nnumerical:\n{numerical}\nanalytical:\n{analytical}"
    )


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

    Use float64 inputs: float32 differences are too coarse for the default tolerances.
    Returns True, or raises ``GradcheckError`` naming the worst element on mismatch.
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in wrt:
        if inputs[i]._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                stacklevel=2,
            )
    numerical = _numerical_jacobians(func, inputs, wrt, eps)
    analytical = _analytical_jacobians(func, inputs, wrt)
    for k, i in enumerate(wrt):
        for m in range(len(numerical[k])):
            n, a = numerical[k][m], analytical[k][m]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                if raise_exception:
                    raise GradcheckError(_report(n, a, i, m, atol, rtol))
                return False
    return True


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
    """``gradcheck`` of the gradient itself (backward built with ``create_graph=True``)."""
    inputs = _as_tuple(inputs)
    outs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
            for o in outs
            if o._requires_grad
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]

    def first_order(*args):
        xs, gos = args[:n_in], args[n_in:]
        ys = [o for o in _differentiable_outputs(func, xs) if o._requires_grad]
        grads = _grad(ys, [xs[i] for i in wrt], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_order,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
