"""``check_op``: the one-line property test of a differentiable function.

Over generated inputs it checks the forward result against an optional numpy reference,
first- and second-order gradients (finite differences, ``gradcheck``/``gradgradcheck``),
the algebraic identities of a backward (linear in the output gradient; adjoint of the
forward derivative obtained by differentiating the backward), that inputs are not mutated,
that dtype and ``requires_grad`` propagate, and that available devices agree.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from hypothesis import assume, given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from .._backend import dtype as _dt
from .._tensor import Tensor, _make
from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import no_grad
from ..autograd.gradcheck import GradcheckError, _upcast, gradcheck, gradgradcheck
from . import strategies as ets
from ._comparison import assert_close
from ._source import value_source

__all__ = ["check_adjoint", "check_backward_linearity", "check_op", "check_op_at"]

# Forward tolerances against a float64 reference, by the dtype the op ran in.
_FORWARD_TOLERANCES = {
    _dt.float64: (1e-7, 1e-7),
    _dt.float32: (1e-4, 1e-5),
    _dt.float16: (1e-2, 1e-3),
}


class _Failure(AssertionError):
    """A check failed; the message names the check, the inputs (as source) and the detail."""


def _fail(what: str, fn, args, kwargs, detail) -> _Failure:
    lines = [f"check_op: {what} for {_name(fn)} at", f"  args = {value_source(tuple(args))}"]
    if kwargs:
        lines.append(f"  kwargs = {value_source(kwargs)}")
    return _Failure("\n".join(lines) + f"\n{detail}")


def _name(fn) -> str:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # a classmethod such as MyFunction.apply
        return f"{owner.__qualname__}.{fn.__name__}"
    return getattr(fn, "__qualname__", None) or repr(fn)


def _flatten(out) -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return []


def _float_outputs(out) -> list:
    return [o for o in _flatten(out) if o._data.dtype.kind == "f"]


def _directions(rng, outs) -> list:
    return [_make(o.xp.asarray(rng.standard_normal(o._data.shape))) for o in outs]


def _vdot(a, b) -> float:
    if a is None or b is None:
        return 0.0
    return float((a.detach()._host().astype(np.float64) * b.detach()._host()).sum())


def _prepare(fn, inputs):
    """Positions and float64 leaves (gradcheck's upcast) of the differentiable inputs, and
    the differentiable outputs."""
    inputs = _upcast(tuple(inputs))
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    outs = [o for o in _float_outputs(fn(*inputs)) if o._requires_grad]
    return positions, [inputs[i] for i in positions], outs


def check_backward_linearity(fn, inputs, *, rtol: float = 1e-6, atol: float = 1e-10) -> None:
    """Assert ``J^T (a v + b w) == a J^T v + b J^T w``: backward is linear in grad_output.

    No finite differences: three backward passes in float64. ``fn(*inputs)`` returns a
    Tensor or a tuple; inputs requiring grad are differentiated.
    """
    positions, diff, outs = _prepare(fn, inputs)
    if not diff or not outs:
        return
    rng = np.random.default_rng(1)
    v, w = _directions(rng, outs), _directions(rng, outs)
    a, b = 0.5, -1.5
    mixed = [a * vi + b * wi for vi, wi in zip(v, w)]
    gv = _grad(outs, diff, v, retain_graph=True, allow_unused=True)
    gw = _grad(outs, diff, w, retain_graph=True, allow_unused=True)
    gm = _grad(outs, diff, mixed, retain_graph=True, allow_unused=True)
    for k, x in enumerate(diff):
        zero = np.zeros(x._data.shape)
        pv, pw, pm = (
            zero if g is None else g._host().astype(np.float64) for g in (gv[k], gw[k], gm[k])
        )
        expected = a * pv + b * pw
        scale = max(np.abs(a * pv).max(initial=0.0), np.abs(b * pw).max(initial=0.0), 1.0)
        if not np.allclose(pm, expected, rtol=rtol, atol=atol * scale):
            worst = np.unravel_index(np.argmax(np.abs(pm - expected)), pm.shape) if pm.ndim else ()
            raise AssertionError(
                f"backward is not linear in grad_output: for input {positions[k]}, "
                f"J^T(a v + b w) = {pm[worst]:.6g} but a J^T v + b J^T w = {expected[worst]:.6g} "
                f"at index {tuple(int(i) for i in worst)} (a={a}, b={b})"
            )


def check_adjoint(fn, inputs, *, rtol: float = 1e-6, atol: float = 1e-10) -> None:
    """Assert ``<v, J u> == <J^T v, u>``, with ``J u`` obtained by differentiating the
    backward ``v -> J^T v`` (double vjp) and ``J^T v`` by one backward pass.

    No finite differences: it checks that the backward's own derivative (what double
    backward uses) agrees with the backward. Needs a backward built from differentiable ops.
    """
    _, diff, outs = _prepare(fn, inputs)
    if not diff or not outs:
        return
    rng = np.random.default_rng(2)
    v = [t.requires_grad_() for t in _directions(rng, outs)]
    u = [_make(x.xp.asarray(rng.standard_normal(x._data.shape))) for x in diff]
    g = _grad(outs, diff, v, create_graph=True, allow_unused=True)
    vjp_u = sum(_vdot(gk, uk) for gk, uk in zip(g, u))
    pairs = [(gk, uk) for gk, uk in zip(g, u) if gk is not None and gk._requires_grad]
    if pairs:
        s = sum(((gk * uk).sum() for gk, uk in pairs[1:]), (pairs[0][0] * pairs[0][1]).sum())
        jvp = _grad(s, v, allow_unused=True)
    else:
        jvp = [None] * len(v)
    v_jvp = sum(_vdot(vi, ji) for vi, ji in zip(v, jvp))
    scale = max(abs(vjp_u), abs(v_jvp), 1.0)
    if not abs(vjp_u - v_jvp) <= atol * scale + rtol * abs(vjp_u):
        raise AssertionError(
            f"backward is not the adjoint of its own derivative: <J^T v, u> = {vjp_u:.10g} "
            f"but <v, J u> = {v_jvp:.10g} with J u from differentiating the backward "
            "(double vjp); the backward's dependence on grad_output is wrong or not "
            "differentiable"
        )


def _tolerances(rtol, atol, dtype) -> tuple:
    default = _FORWARD_TOLERANCES.get(dtype, (0.0, 0.0))
    r = rtol.get(dtype, default[0]) if isinstance(rtol, Mapping) else rtol
    a = atol.get(dtype, default[1]) if isinstance(atol, Mapping) else atol
    return (default[0] if r is None else r), (default[1] if a is None else a)


def _leaves(args, diff_args, requires_grad: bool) -> list:
    """Fresh leaves sharing the arguments' arrays (layout kept), requiring grad as asked."""
    leaves = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            wants = requires_grad and a._data.dtype.kind == "f"
            wants = wants and (diff_args is None or i in diff_args)
            a = _make(a._data, requires_grad=wants)
        leaves.append(a)
    return leaves


def _reference_args(args) -> list:
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a.detach()._host()
            a = d.astype(np.float64) if d.dtype.kind == "f" else d.copy()
        out.append(a)
    return out


def _check_forward(
    fn, args, kwargs, reference, output, requires_grad, diff_args, rtol, atol, check_dtype
) -> list:
    leaves = _leaves(args, diff_args, requires_grad)
    tensors = [x for x in leaves if isinstance(x, Tensor)]
    before = [(i, x, x._data.copy()) for i, x in enumerate(leaves) if isinstance(x, Tensor)]
    outs = _flatten(output(fn(*leaves, **kwargs)))
    for i, x, b in before:
        if not np.array_equal(x._data, b, equal_nan=True):
            raise _fail("an input was modified", fn, args, kwargs, f"argument {i} changed")
    floats = [x.dtype for x in tensors if x.is_floating_point()]
    if check_dtype and floats and all(d is floats[0] for d in floats):
        for m, o in enumerate(outs):
            if o.is_floating_point() and o.dtype is not floats[0]:
                raise _fail(
                    "dtype did not propagate",
                    fn,
                    args,
                    kwargs,
                    f"inputs are {floats[0]} but output {m} is {o.dtype}",
                )
    any_grad = any(x._requires_grad for x in tensors)
    for m, o in enumerate(outs):
        wanted = any_grad and o.is_floating_point()
        if o.requires_grad != wanted:
            raise _fail(
                "requires_grad did not propagate",
                fn,
                args,
                kwargs,
                f"output {m} has requires_grad={o.requires_grad}, expected {wanted}",
            )
        if wanted and o.grad_fn is None and not any(o is x for x in tensors):
            raise _fail("missing grad_fn", fn, args, kwargs, f"output {m} has no grad_fn")
    if any_grad:
        with no_grad():
            quiet = _flatten(output(fn(*_leaves(args, diff_args, True), **kwargs)))
        if any(o.requires_grad for o in quiet):
            raise _fail(
                "requires_grad under no_grad",
                fn,
                args,
                kwargs,
                "an output requires grad although it was computed under no_grad()",
            )
    if reference is not None:
        expected = reference(*_reference_args(args), **kwargs)
        expected = expected if isinstance(expected, (tuple, list)) else [expected]
        expected = [e for e in expected if e is not None]
        if len(expected) != len(outs):
            raise _fail(
                "reference mismatch",
                fn,
                args,
                kwargs,
                f"{len(outs)} tensor outputs but the reference returned {len(expected)}",
            )
        for m, (o, e) in enumerate(zip(outs, expected)):
            r, a = _tolerances(rtol, atol, o.dtype)
            try:
                assert_close(o, np.asarray(e), rtol=r, atol=a, equal_nan=True, check_dtype=False)
            except AssertionError as err:
                raise _fail(
                    f"output {m} differs from the reference", fn, args, kwargs, err
                ) from None
    return outs


def _check_gradients(fn, args, kwargs, output, order, diff_args, options) -> None:
    leaves = _leaves(args, diff_args, True)
    if not any(isinstance(x, Tensor) and x._requires_grad for x in leaves):
        return

    def f(*xs):
        return output(fn(*xs, **kwargs))

    gc = {k: options[k] for k in ("eps", "atol", "rtol", "fast_mode", "nondet_tol")}
    checks = [("gradcheck (first order)", lambda: gradcheck(f, leaves, **gc))]
    if order >= 2:
        checks.append(("gradgradcheck (second order)", lambda: gradgradcheck(f, leaves, **gc)))
    if options["algebraic"]:
        checks.append(("backward linearity", lambda: check_backward_linearity(f, leaves)))
        if order >= 2:
            checks.append(("adjoint consistency", lambda: check_adjoint(f, leaves)))
    for what, run in checks:
        try:
            run()
        except (GradcheckError, AssertionError) as err:
            raise _fail(f"{what} failed", fn, args, kwargs, err) from None


def _check_devices(fn, args, kwargs, output, diff_args) -> None:
    """Every other available device gives the cpu's outputs and gradients."""
    others = [d for d in ets.available_devices() if d != "cpu"]
    if not others:
        return
    cpu_leaves = _leaves(args, diff_args, True)
    cpu_outs = _float_outputs(output(fn(*cpu_leaves, **kwargs)))
    rng = np.random.default_rng(3)
    vs = [rng.standard_normal(o._data.shape) for o in cpu_outs]
    cpu_diff = [x for x in cpu_leaves if isinstance(x, Tensor) and x._requires_grad]
    cpu_grads = _device_grads(cpu_outs, cpu_diff, vs)
    for device in others:
        moved = [
            _make(x.detach().to(device)._data, requires_grad=x._requires_grad)
            if isinstance(x, Tensor)
            else x
            for x in cpu_leaves
        ]
        outs = _float_outputs(output(fn(*moved, **kwargs)))
        diff = [x for x in moved if isinstance(x, Tensor) and x._requires_grad]
        pairs = list(zip(outs, cpu_outs)) + list(zip(_device_grads(outs, diff, vs), cpu_grads))
        for m, (a, b) in enumerate(pairs):
            try:
                assert_close(a.cpu(), b)
            except AssertionError as err:
                raise _fail(
                    f"cpu and {device} disagree", fn, args, kwargs, f"item {m}: {err}"
                ) from None


def _device_grads(outs, diff, vs) -> list:
    pairs = [(o, v) for o, v in zip(outs, vs) if o._requires_grad]
    if not diff or not pairs:
        return []
    gos = [_make(o.xp.asarray(v, dtype=o._data.dtype)) for o, v in pairs]
    grads = _grad([o for o, _ in pairs], diff, gos, allow_unused=True)
    return [
        g.detach() if g is not None else _make(np.zeros(x._data.shape)) for g, x in zip(grads, diff)
    ]


def check_op_at(
    fn: Callable,
    args: Sequence,
    kwargs: Mapping | None = None,
    *,
    reference: Callable | None = None,
    order: int = 2,
    dtypes: Sequence | None = None,
    diff_args: Sequence[int] | None = None,
    output: Callable | None = None,
    rtol=None,
    atol=None,
    grad_rtol: float = 1e-3,
    grad_atol: float = 1e-5,
    eps: float = 1e-6,
    nondet_tol: float = 0.0,
    fast_mode: bool = False,
    algebraic: bool = True,
    check_dtype: bool = True,
) -> None:
    """Every ``check_op`` check at one input: use it inside your own ``@given`` test.

    ``fn(*args, **kwargs)`` returns a Tensor or a tuple of them (``output`` picks part of
    it). The forward checks run on ``args`` as given, or on copies cast to each of
    ``dtypes``. Floating-point Tensor ``args`` (those in ``diff_args``; default all) are
    differentiated up to ``order`` (0: forward checks only), in float64.
    ``reference(*arrays, **kwargs)`` gets float64 numpy copies of floating-point tensors
    (other arguments as they are) and is compared with tolerances ``rtol``/``atol``
    (floats, or dicts by dtype; defaults by dtype). Raises AssertionError naming the
    failed check and the inputs as source.
    """
    kwargs = dict(kwargs or {})
    output = output or _identity
    for dtype in dtypes or (None,):
        typed = args if dtype is None else [_cast(a, dtype) for a in args]
        _check_forward(
            fn, typed, kwargs, reference, output, order > 0, diff_args, rtol, atol, check_dtype
        )
    if order > 0:
        options = dict(
            eps=eps,
            atol=grad_atol,
            rtol=grad_rtol,
            fast_mode=fast_mode,
            nondet_tol=nondet_tol,
            algebraic=algebraic,
        )
        _check_gradients(fn, args, kwargs, output, order, diff_args, options)
        _check_devices(fn, args, kwargs, output, diff_args)


def _cast(a, dtype):
    """A floating-point tensor as ``dtype``, keeping a strided layout; others unchanged."""
    if not isinstance(a, Tensor) or a._data.dtype.kind != "f" or a.dtype is dtype:
        return a
    return _make(_astype_keep_layout(a._data, dtype.np))


def _identity(out):
    return out


def _positional_count(fn) -> int:
    """Number of required positional parameters of ``fn`` (1 when it cannot be told)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in kinds and p.default is inspect.Parameter.empty for p in params) or 1


def _kwargs_strategy(kwargs):
    if kwargs is None:
        return lambda shapes: st.just({})
    if isinstance(kwargs, st.SearchStrategy):
        return lambda shapes: kwargs
    if isinstance(kwargs, Mapping):
        return lambda shapes: st.just(dict(kwargs))
    return kwargs


def _astype_keep_layout(a: np.ndarray, npd) -> np.ndarray:
    """``a`` cast to ``npd``, still non-contiguous (though maybe strided differently) if it was."""
    if a.flags.c_contiguous:
        return a.astype(npd)
    if a.flags.f_contiguous:
        return np.asfortranarray(a.astype(npd))
    d = max(i for i, s in enumerate(a.shape) if s > 1)
    return ets._strided_copy(a.astype(npd), ("step", d))


def check_op(
    fn: Callable,
    reference: Callable | None = None,
    order: int = 2,
    *,
    nargs: int | None = None,
    shapes=None,
    kwargs=None,
    low: float = -3.0,
    high: float = 3.0,
    elements=None,
    valid: Callable | None = None,
    dtypes: Sequence = (_dt.float64, _dt.float32),
    layout: str = "any",
    diff_args: Sequence[int] | None = None,
    output: Callable | None = None,
    rtol=None,
    atol=None,
    grad_rtol: float = 1e-3,
    grad_atol: float = 1e-5,
    eps: float = 1e-6,
    nondet_tol: float = 0.0,
    fast_mode: bool = False,
    algebraic: bool = True,
    check_dtype: bool = True,
    settings: Settings | None = None,
    name: str | None = None,
) -> None:
    """Property-test ``fn`` over generated tensors: forward, gradients, propagation rules.

    Runs a hypothesis test (do not call it inside another ``@given``; use ``check_op_at``
    there). Inputs: ``nargs`` floating-point tensors (default: ``fn``'s required
    positional parameters) with shapes from ``shapes`` (a strategy of a tuple of shapes;
    default ``broadcastable_shapes(nargs)``, so broadcasting, 0-d and size-0 tensors come
    up), values in [low, high] (or from ``elements``), contiguous or strided views
    (``layout``). ``kwargs`` is a dict, a strategy of dicts, or ``shapes -> strategy``.
    ``valid(*float64 arrays, **kwargs) -> bool`` rejects points where ``fn`` is not
    differentiable (kinks, ties, poles) with ``assume``, so they are skipped, not failures.

    Each example runs the forward checks in every dtype of ``dtypes`` and the gradient
    checks (``order`` 1: gradcheck, 2: also gradgradcheck; ``algebraic`` adds backward
    linearity and adjoint consistency) once, in float64. On failure hypothesis shrinks to
    a small counterexample, reported as pasteable ``eagertorch.tensor([...])`` source.
    ``settings`` defaults to the active hypothesis profile with no deadline.
    """
    if nargs is None and shapes is None:
        nargs = _positional_count(fn)
    shape_strategy = (
        ets.broadcastable_shapes(nargs)
        if shapes is None
        else shapes()
        if callable(shapes)
        else shapes
    )
    kwargs_of = _kwargs_strategy(kwargs)
    options = dict(
        reference=reference,
        order=order,
        dtypes=dtypes,
        diff_args=diff_args,
        output=output,
        rtol=rtol,
        atol=atol,
        grad_rtol=grad_rtol,
        grad_atol=grad_atol,
        eps=eps,
        nondet_tol=nondet_tol,
        fast_mode=fast_mode,
        algebraic=algebraic,
        check_dtype=check_dtype,
    )
    first = dtypes[0]
    by_shape = {}

    def tensor_strategy(shape):
        strategy = by_shape.get(shape)
        if strategy is None:
            strategy = by_shape[shape] = ets.tensors(
                shape=shape, dtype=first, elements=elements, layout=layout, low=low, high=high
            )
        return strategy

    def run(data):
        shapes_ = data.draw(shape_strategy, label="shapes")
        kw = data.draw(kwargs_of(shapes_), label="kwargs")
        xs = [data.draw(tensor_strategy(s), label=f"x{i}") for i, s in enumerate(shapes_)]
        if valid is not None:
            assume(valid(*[x._data.astype(np.float64) for x in xs], **kw))
        check_op_at(fn, xs, kw, **options)

    settings = Settings(
        settings if settings is not None else Settings(deadline=None), report_multiple_bugs=False
    )
    run.__name__ = run.__qualname__ = "check_op"  # how hypothesis names the failing test
    test = given(data=st.data())(run)
    # Separate example databases for separate ops (hypothesis keys them by the test's source).
    run._hypothesis_internal_add_digest = (name or _name(fn)).encode()
    settings(test)()
