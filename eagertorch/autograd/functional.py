"""Higher-order autograd helpers: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp``, ``hvp``.

Everything is built on ``autograd.grad`` and Tensor methods. Forward-mode products (``jvp``,
``hvp``, forward-mode Jacobians) use the double-vjp trick: a vjp ``u -> J^T u`` is linear in
its cotangent ``u``, so differentiating it with respect to ``u`` along ``v`` gives ``J v``.

Inputs and outputs follow PyTorch's structure rules: a function of one Tensor gets one Tensor
back where PyTorch returns one, and a tuple where the inputs (or outputs) were a tuple.
"""

from __future__ import annotations

from .._tensor import Tensor, _make
from ..ops.shape import stack
from .engine import grad as _grad
from .grad_mode import enable_grad, set_grad_enabled, state

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


# ----- argument structure --------------------------------------------------------------
def _as_tuple(x, arg_name: str, fn_name: str) -> tuple:
    """``(was_tuple, tuple_of_tensors)``, with PyTorch's TypeError for anything else."""
    was_tuple = isinstance(x, tuple)
    items = x if was_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if was_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return was_tuple, items


def _unpack(res, was_tuple):
    """Undo ``_as_tuple``; ``was_tuple`` is a pair for nested (jacobian-like) results."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(el[0] for el in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _prepare_inputs(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh leaves to differentiate with respect to, or views that keep the outer graph."""
    return tuple(
        x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph)
        for x in inputs
    )


def _finish(res, create_graph: bool):
    """Detach results unless the caller wants to differentiate through them."""
    if create_graph:
        return res
    return tuple(_finish(r, create_graph) if isinstance(r, tuple) else r.detach() for r in res)


def _validate_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {b.shape} but got {a.shape}."
            )


def _ones_like_single(tensors: tuple, message: str) -> tuple:
    """The implicit ``v`` (ones) allowed only for one single-element Tensor."""
    if len(tensors) != 1 or tensors[0].numel() != 1:
        raise RuntimeError(message)
    t = tensors[0]
    return (_make(t.xp.ones_like(t._data)),)


def _zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return _make(t.xp.zeros_like(t._data), requires_grad)


# ----- strict-mode checks ---------------------------------------------------------------
def _check_requires_grad(tensors: tuple, kind: str, strict: bool) -> None:
    """In strict mode, refuse results that do not depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs "
            "must be computed in a differentiable manner from the input when running in strict "
            "mode."
        )


_NONE_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def _fill_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str):
    """Zeros for inputs a result does not depend on (an error in strict mode)."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_NONE_MESSAGES[stage].format(i=i))
            g = _zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _grads(
    outputs: tuple, inputs: tuple, grad_outputs=None, create_graph=False, retain_graph=None
) -> tuple:
    """``autograd.grad`` over the outputs that require grad; None for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


def _stack_rows(rows: list, shape: tuple, like: Tensor) -> Tensor:
    """The rows of a Jacobian block, shaped ``shape`` (differentiable when they are)."""
    if not rows:
        return _make(like.xp.zeros(shape, dtype=like._data.dtype))
    if len(rows) == 1:
        return rows[0].reshape(shape)
    return stack(rows).reshape(shape)


def _basis(t: Tensor):
    """One-hot tensors shaped like ``t``, one per element, in row-major order."""
    xp = t.xp
    for k in range(t._data.size):
        e = xp.zeros(t._data.size, dtype=t._data.dtype)
        e[k] = 1
        yield _make(e.reshape(t._data.shape))


# ----- public API -----------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` has the structure of the outputs; it may be omitted when ``func`` returns a single
    one-element Tensor. The vjp has the structure of ``inputs``.
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare_inputs(inputs, create_graph, True)
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is None:
            v = _ones_like_single(
                outputs,
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element.",
            )
        else:
            v = _prepare_inputs(_as_tuple(v, "v", "vjp")[1], create_graph, False)
            _validate_v(v, outputs, outputs_tuple)
        res = _grads(outputs, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "back")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(res, create_graph), inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``v`` has the structure of ``inputs`` (optional for one one-element input); the jvp has
    the structure of the outputs.
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare_inputs(inputs, create_graph, True)
        if v is None:
            v = _ones_like_single(
                inputs,
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element.",
            )
        else:
            v = _prepare_inputs(_as_tuple(v, "v", "jvp")[1], create_graph, False)
            _validate_v(v, inputs, inputs_tuple)
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        res = _jvp_trick(outputs, inputs, v, create_graph, strict)
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(res, create_graph), outputs_tuple),
    )


def _jvp_trick(outputs: tuple, inputs: tuple, v: tuple, create_graph: bool, strict: bool):
    """``J v`` per output: differentiate ``u -> J^T u`` with respect to ``u`` along ``v``."""
    dummies = tuple(_zeros_like(o, True) for o in outputs)
    vjps = _grads(outputs, inputs, dummies, create_graph=True)
    _check_requires_grad(vjps, "grad_inputs", strict)
    with set_grad_enabled(create_graph):
        res = _grads(vjps, dummies, v, create_graph=create_graph)
        return _fill_zeros(res, outputs, strict, create_graph, "back_trick")


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``.

    Block ``[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``. A single Tensor comes
    back when both the inputs and the outputs are single Tensors; otherwise tuples (of tuples
    when both are tuples). ``vectorize`` changes nothing here but is required, as in PyTorch,
    by ``strategy="forward-mode"`` (one jvp per input element instead of one vjp per output
    element).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
                "implemented for `vectorize=True`."
            )
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare_inputs(inputs, create_graph, True)
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict)
        if strategy == "forward-mode":
            blocks = _jacobian_forward(outputs, inputs)
        else:
            blocks = _jacobian_reverse(outputs, inputs, create_graph, strict)
    return _unpack(_finish(blocks, create_graph), (outputs_tuple, inputs_tuple))


def _jacobian_reverse(outputs: tuple, inputs: tuple, create_graph: bool, strict: bool):
    """One vjp per output element: the rows of every block."""
    blocks = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        if out.requires_grad:
            for e in _basis(out):
                with set_grad_enabled(create_graph):
                    gs = _grads((out,), inputs, (e,), create_graph=create_graph, retain_graph=True)
                for j, (g, x) in enumerate(zip(gs, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = _zeros_like(x)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is independent of "
                            f"input {j}. This is not allowed in strict mode when "
                            "create_graph=True."
                        )
                    rows[j].append(g)
        shape = tuple(out.shape)
        blocks.append(
            tuple(_stack_rows(r, shape + tuple(x.shape), x) for r, x in zip(rows, inputs))
        )
    return tuple(blocks)


def _jacobian_forward(outputs: tuple, inputs: tuple):
    """One jvp per input element (double-vjp trick): the columns of every block."""
    dummies = tuple(_zeros_like(o, True) for o in outputs)
    vjps = _grads(outputs, inputs, dummies, create_graph=True)
    cols = [[[] for _ in inputs] for _ in outputs]
    zeros = tuple(_zeros_like(x) for x in inputs)
    for j, x in enumerate(inputs):
        for e in _basis(x):
            tangent = (*zeros[:j], e, *zeros[j + 1 :])
            with set_grad_enabled(False):
                res = _grads(vjps, dummies, tangent, retain_graph=True)
            for i, (r, out) in enumerate(zip(res, outputs)):
                cols[i][j].append((r if r is not None else _zeros_like(out))._data)
    blocks = []
    for i, out in enumerate(outputs):
        block = []
        for j, x in enumerate(inputs):
            shape = tuple(out.shape) + tuple(x.shape)
            if cols[i][j]:
                arr = out.xp.stack(cols[i][j], axis=-1).reshape(shape)
            else:
                arr = out.xp.zeros(shape, dtype=out._data.dtype)
            block.append(_make(arr))
        blocks.append(tuple(block))
    return tuple(blocks)


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of a scalar function: the Jacobian of its gradient.

    Block ``[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``; a single Tensor for a
    single input, a tuple of tuples for a tuple of inputs.
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*xs):
        out = func(*xs)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def gradient(*xs):
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) for x in xs)
        jac = jacobian(scalar_func, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(res, (inputs_tuple, inputs_tuple))


def _scalar_output(func, inputs: tuple, name: str, strict: bool):
    outputs = func(*inputs)
    outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )
    return outputs


def _hessian_args(inputs, v, name: str, create_graph: bool) -> tuple:
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare_inputs(inputs, create_graph, True)
    if v is None:
        v = _ones_like_single(
            inputs,
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element.",
        )
    else:
        v = _prepare_inputs(_as_tuple(v, "v", name)[1], create_graph, False)
        _validate_v(v, inputs, inputs_tuple)
    return inputs_tuple, inputs, v


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), v^T H)`` for a scalar function: a vjp of its gradient."""
    with enable_grad():
        inputs_tuple, inputs, v = _hessian_args(inputs, v, "vhp", create_graph)
        outputs = _scalar_output(func, inputs, "vhp", strict)
        jac = _grads(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or state.enabled):
        res = _grads(jac, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), inputs_tuple)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), H v)`` for a scalar function, by the double-vjp trick on its gradient."""
    with enable_grad():
        inputs_tuple, inputs, v = _hessian_args(inputs, v, "hvp", create_graph)
        outputs = _scalar_output(func, inputs, "hvp", strict)
        jac = _grads(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        dummies = tuple(_zeros_like(x, True) for x in inputs)
        double_back = _grads(jac, inputs, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or state.enabled):
        res = _grads(double_back, dummies, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), inputs_tuple)
