"""The reverse-mode engine: walk the tape from the outputs and apply the chain rule.

Iterative (no recursion, so 100,000-node chains work): one pass counts each vertex's
consumers, a second pops ready vertices, calls their backward, sums fan-out gradients and
fills leaves' ``.grad``. Vertices are nodes and leaf Tensors.
"""

from __future__ import annotations

import numpy as np

from .._backend.device import device_ctx, on_device_of
from .._tensor import Tensor, _make
from . import anomaly_mode, diagnostics
from .diagnostics import _BACKWARD, check_accumulation, no_graph_message, record_grad_write
from .function import _FREED, Node
from .grad_mode import state
from .sites import user_site

__all__ = ["backward", "grad"]


def _root_grads(tensors, grad_tensors, create_graph: bool) -> list:
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs; got {len(grad_tensors)} "
            f"gradients for {len(tensors)} outputs"
        )
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(no_graph_message(i, t, state.enabled))
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {t.dtype}"
                )
            d = t._data
            # ones_like and ones (Python over empty + copyto) are slower; so is the xp property
            if type(d) is np.ndarray:
                if d.ndim == 0:  # the usual scalar loss: one call
                    one = np.array(1, d.dtype)
                else:
                    one = np.empty(d.shape, d.dtype)
                    one.fill(1)
                g = _make(one)
            else:
                g = _make(on_device_of(d, t.xp.ones, d.shape, d.dtype))
        else:
            if not isinstance(g, Tensor):
                g = _make(on_device_of(t._data, t.xp.asarray, g, dtype=t._data.dtype))
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}."
                )
            if g._data.dtype != t._data.dtype:
                g = g.to(t.dtype)
            if not create_graph:
                g = g.detach()
        roots.append((t, g))
    return roots


def _vertex(t: Tensor):
    return (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t, 0)


def _count_dependencies(starts) -> dict:
    """Number of incoming gradient contributions of each reachable vertex."""
    deps = {}
    stack = []
    for v in starts:  # a loop, not a comprehension: that is a function call in Python 3.11
        if not isinstance(v, Tensor):
            stack.append(v)
    start_set = set(stack)
    pop, push = stack.pop, stack.append
    while stack:
        for e in pop()._edges:
            if e is not None:
                v = e[0]
                n = deps.get(v)
                if n is None:
                    deps[v] = 1
                    if v not in start_set and not isinstance(v, Tensor):
                        push(v)
                else:
                    deps[v] = n + 1
    return deps


def _needed_vertices(starts, targets: set) -> set:
    """Vertices from which some target is reachable (only those need to run)."""
    order = []
    stack = [(v, False) for v in starts]
    seen = set()
    while stack:
        v, expanded = stack.pop()
        if expanded:
            order.append(v)
            continue
        if v in seen:
            continue
        seen.add(v)
        stack.append((v, True))
        if not isinstance(v, Tensor):
            for e in v._edges:
                if e is not None and e[0] not in seen:
                    stack.append((e[0], False))
    needed = set()
    for v in order:  # post-order: a vertex's inputs come before it
        if v in targets or (
            not isinstance(v, Tensor) and any(e is not None and e[0] in needed for e in v._edges)
        ):
            needed.add(v)
    return needed


def _fit_gradient(g: Tensor, edge: tuple, node: Node, i: int) -> Tensor:
    """Reduce a broadcast gradient to the input's shape and cast it to the input's dtype."""
    shape = edge[2]
    gshape = g._data.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(gshape)} but expected shape compatible with {list(shape)}"
            )
        inner = tuple(lead + k for k, s in enumerate(shape) if s == 1 and gshape[lead + k] != 1)
        if not inner:
            g = g.sum(tuple(range(lead)))  # only leading dims were broadcast: no reshape
        else:
            g = g.sum(tuple(range(lead)) + inner, keepdim=True)
            if lead:
                g = g.reshape(shape)
    if g._data.dtype != edge[3]:
        g = g.to(edge[3])
    return g


def _call_tensor_hooks(hooks: dict, g: Tensor) -> Tensor:
    for hook in list(hooks.values()):
        r = hook(g)
        if r is not None:
            g = r
    return g


def run(
    roots,
    *,
    retain_graph: bool,
    create_graph: bool,
    targets=None,
    accumulate: bool = True,
    site=None,
) -> dict:
    """Backpropagate ``roots`` [(tensor, grad)]. Returns grads captured at ``targets``.

    ``targets`` (vertex -> key): when given with ``accumulate=False`` only their gradients
    are computed and returned (``autograd.grad``); with ``accumulate=True`` only those
    leaves/tensors get ``.grad`` (``backward(inputs=...)``). ``site``: the user's line that
    called backward(), logged with each ``.grad`` written (notebook-pitfall warnings).
    """
    buffers: dict = {}
    starts = []
    for t, g in roots:
        v = t._grad_fn
        if v is None:
            v, nr = t, 0
        else:
            nr = t._output_nr
        if isinstance(v, Tensor):
            buffers[v] = buffers[v] + g if v in buffers else g
        else:
            slot = buffers.get(v)
            if slot is None:
                slot = buffers[v] = [None] * (len(v._out_meta) if v._out_meta else 1)
            slot[nr] = g if slot[nr] is None else slot[nr] + g
        for s in starts:  # by identity: Tensor == is elementwise
            if s is v:
                break
        else:
            starts.append(v)
    deps = _count_dependencies(starts)
    # Who writes the .grad tensors: the backward() line (None outside interactive sessions)
    # and the graph's shape (size, root op), kept with each .grad for stale-grad warnings.
    origin = (site, len(deps), type(starts[0]))
    needed = None
    if targets is not None:
        needed = _needed_vertices(starts, {v for v, _ in targets})
    captured: dict = {}
    # Arrays already stored as some .grad in this pass (and the user's root gradients):
    # a leaf receiving one of them copies it, so no two .grad tensors share memory.
    taken = set()
    for _, g in roots:
        taken.add(id(g._data))
    ready = []
    for v in starts:
        if v not in deps:
            ready.append(v)
    anomaly = anomaly_mode.state.enabled
    # Per-node extras (hooks, retained grads, several outputs, captures, anomaly checks)
    # take the slow path; a plain node just calls its backward.
    # Device graphs run each node under its device context (_run_node_on_device).
    plain = targets is None and not anomaly and not device_ctx[0]
    # Gradient sums and .grad writes add arrays outside any op: on a device, under its context.
    add, to_leaf = (
        (_sum_on_device, _accumulate_leaf_on_device) if device_ctx[0] else (_sum, _accumulate_leaf)
    )
    # Sums the engine made itself (seen by nobody else yet) take further terms in place.
    owned = {} if not create_graph else None
    fast_leaf = plain and accumulate and not create_graph
    prev_mode = state.enabled
    state.enabled = create_graph
    pop, get, push = buffers.pop, buffers.get, ready.append
    try:
        while ready:
            v = ready.pop()
            if isinstance(v, Tensor):  # a leaf among the roots
                to_leaf(v, pop(v, None), targets, captured, accumulate, create_graph, taken, origin)
                continue
            grads = pop(v, None)
            if needed is not None and v not in needed:
                grads = None
            if grads is not None:
                if plain and not v._extras:
                    grads = v._forward_cls.backward(v, *grads)
                    if type(grads) is not tuple:
                        grads = (grads,)
                    if len(grads) != len(v._edges):
                        grads = _check_count(v, grads)
                    if not retain_graph:
                        v._saved = _FREED
                else:
                    grads = (_run_node_on_device if device_ctx[0] else _run_node)(
                        v, grads, targets, captured, accumulate, retain_graph, anomaly
                    )
            i = -1
            for e in v._edges:
                i += 1
                if e is None:
                    continue
                u = e[0]
                g = None if grads is None else grads[i]
                if g is not None:
                    d = g._data
                    if d.shape != e[2] or (d.dtype is not e[3] and d.dtype != e[3]):
                        g = _fit_gradient(g, e, v, i)
                left = deps[u] - 1
                deps[u] = left
                if isinstance(u, Tensor):
                    # A leaf takes its gradient as soon as the last contribution arrives, as
                    # PyTorch's AccumulateGrad runs first: .grad fills in backward order.
                    if left:
                        if g is not None:
                            slot = get(u)
                            buffers[u] = g if slot is None else add(slot, g, owned)
                        continue
                    slot = pop(u, None)
                    if slot is not None:
                        g = slot if g is None else add(slot, g, owned)
                    if g is None:
                        continue
                    if fast_leaf and u._hooks is None and u._grad is None:
                        _set_grad(u, g, taken, origin)  # _accumulate_leaf's first case, inline
                        continue
                    to_leaf(u, g, targets, captured, accumulate, create_graph, taken, origin)
                    continue
                if g is not None:
                    slot = get(u)
                    if slot is None:
                        if u._out_meta is None:
                            buffers[u] = [g]
                        else:
                            slot = buffers[u] = [None] * len(u._out_meta)
                            slot[e[1]] = g
                    else:
                        nr = e[1]
                        slot[nr] = g if slot[nr] is None else add(slot[nr], g, owned)
                if left == 0:
                    push(u)
    finally:
        state.enabled = prev_mode
    return captured


def _sum(acc: Tensor, g: Tensor, owned) -> Tensor:
    """``acc + g``, in place when ``acc`` is a sum this backward pass made and still owns."""
    if owned is None:  # building a graph: the sum must be recorded
        return acc + g
    if id(acc) in owned and acc._data.shape == g._data.shape:
        acc._data += g._data
        return acc
    d = acc._data + g._data  # no graph is being built: add the arrays
    total = _make(np.asarray(d) if isinstance(d, np.generic) else d)  # 0-d sums give scalars
    owned[id(total)] = total  # kept alive so its id cannot be reused during the pass
    return total


def _sum_on_device(acc: Tensor, g: Tensor, owned) -> Tensor:
    return on_device_of(acc._data, _sum, acc, g, owned)


def _accumulate_leaf_on_device(t: Tensor, *args) -> None:
    on_device_of(t._data, _accumulate_leaf, t, *args)


def _check_count(node: Node, result: tuple) -> tuple:
    n_in = len(node._edges)
    if len(result) > n_in and all(r is None for r in result[n_in:]):
        return result[:n_in]
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {n_in}, got {len(result)})"
    )


def _run_node_on_device(node: Node, grads: list, *args):
    """``_run_node`` with the device of the node's gradients current (cupy creates arrays
    on the current device)."""
    for g in grads:
        if g is not None and type(g._data) is not np.ndarray:
            return on_device_of(g._data, _run_node, node, grads, *args)
    return _run_node(node, grads, *args)


def _run_node(node: Node, grads: list, targets, captured, accumulate, retain_graph, anomaly):
    if node._tensor_hooks is not None:
        for nr, hooks in node._tensor_hooks.items():
            if grads[nr] is not None and hooks:
                grads[nr] = _call_tensor_hooks(hooks, grads[nr])
    if node._retained is not None:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if state.enabled else grads[nr].detach()
                t._grad = g if t._grad is None else t._grad + g
    if targets is not None:
        for nr in range(len(grads)):
            key = targets.get((node, nr))
            if key is not None and grads[nr] is not None:
                captured[key] = grads[nr]
    if node._pre_hooks is not None:
        for hook in list(node._pre_hooks.values()):
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
    if node._out_meta is not None and node.materialize_grads:
        for nr, g in enumerate(grads):
            if g is None and node._out_meta[nr] is not None:
                shape, dtype, xp = node._out_meta[nr]
                grads[nr] = _make(xp.zeros(shape, dtype))
    if anomaly:
        parent = anomaly_mode.state.current
        anomaly_mode.state.current = node
        try:
            result = node.apply(*grads)
        finally:
            anomaly_mode.state.current = parent
    else:
        result = node.apply(*grads)
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node._edges):
        result = _check_count(node, result)
    if node._hooks is not None:
        for hook in list(node._hooks.values()):
            r = hook(result, tuple(grads))
            if r is not None:
                result = tuple(r)
    if anomaly:
        anomaly_mode.check_backward(node, result)
    if not retain_graph:
        node._free()
    return result


def _accumulate_leaf(
    t: Tensor, g, targets, captured, accumulate, create_graph, taken, origin
) -> None:
    if g is None:
        return
    if t._hooks:
        g = _call_tensor_hooks(t._hooks, g)
    if targets is not None:
        key = targets.get((t, 0))
        if key is None:
            return
        if not accumulate:
            captured[key] = g
            return
    elif not accumulate:
        return
    old = t._grad
    if old is not None:
        check_accumulation(t, old, origin)
    if create_graph:
        t._grad = g if old is None else old + g
        record_grad_write(t, t._grad, origin)
        return
    if old is None:
        _set_grad(t, g, taken, origin)
        return
    if old._requires_grad:
        t._grad = old + g
    else:
        old._data += g._data
    record_grad_write(t, t._grad, origin)


def _set_grad(t: Tensor, g: Tensor, taken: set, origin) -> None:
    """The first gradient of ``t`` in this pass, where no graph is built: store it as ``.grad``.

    The gradient's own array is kept when nothing else can see it; views (e.g. a read-only
    broadcast) and arrays already given to another leaf or by the user are copied.
    """
    d = g._data
    if d.base is not None or id(d) in taken:
        g = _make(d.copy())
    elif g._view is not None or g._grad_fn is not None or g._hooks is not None:
        g = _make(d)
    taken.add(id(g._data))
    t._grad = g
    # record_grad_write(t, g, origin), inlined: it runs for every leaf of every backward
    v = t._view
    g._writes = ((g._version, _BACKWARD, origin, (v[0] if v is not None else t)._version),)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_variables is not None:
        grad_tensors = grad_variables
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tuple(tensors), grad_tensors, create_graph)
    # The user's backward() line, kept with the .grad it writes: only in interactive sessions,
    # where a re-run cell can repeat it (elsewhere the frame walk is not worth its cost).
    site = user_site() if diagnostics.interactive else None
    targets = None
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = (inputs,)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        targets = {}
        for i, x in enumerate(inputs):
            if not x._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            targets[_vertex(x)] = i
        captured = run(
            roots,
            retain_graph=retain_graph,
            create_graph=create_graph,
            targets=targets,
            accumulate=True,
            site=site,
        )
        for i, x in enumerate(inputs):
            if x._grad_fn is not None and i in captured:
                g = captured[i] if create_graph else captured[i].detach()
                x._grad = g if x._grad is None else x._grad + g
        return
    run(roots, retain_graph=retain_graph, create_graph=create_graph, site=site)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused=None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported")
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    single_input = isinstance(inputs, Tensor)
    if single_input:
        inputs = (inputs,)
    inputs = tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(x).__name__}")
        if not x._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _root_grads(tuple(outputs), grad_outputs, create_graph)
    targets = {}
    for i, x in enumerate(inputs):
        targets.setdefault(_vertex(x), i)
    captured = run(
        roots,
        retain_graph=retain_graph,
        create_graph=create_graph,
        targets=targets,
        accumulate=False,
    )
    result = []
    for x in inputs:
        g = captured.get(targets[_vertex(x)])
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = _make(x.xp.zeros_like(x._data))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
