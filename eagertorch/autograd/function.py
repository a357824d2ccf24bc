"""The tape: ``Node`` (one recorded operation, also its ``ctx``) and ``Function``.

Built-in ops and users' custom ops share one mechanism. ``Function.forward`` receives
Tensors, as in PyTorch; the internal ``ArrayFunction`` variant receives the raw arrays to
skip wrapping on the hot path. Both produce the same node type for the same engine, and
both write ``backward`` with differentiable Tensor operations.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from .._backend import device as _bdev
from .._backend.device import array_module
from .._backend.device import device_ctx as _device_ctx
from .._tensor import Tensor, _make, _RemovableHandle
from . import anomaly_mode
from .diagnostics import inplace_message, integer_cut, op_name, rebuilt_cut
from .diagnostics import rebuilt as _rebuilt
from .grad_mode import cut_regions, state

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "Node", "once_differentiable"]

_FREED = object()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class _SavedOutput:
    """An output saved for backward: its array, not its Tensor (no Tensor<->Node cycle)."""

    __slots__ = ("data", "nr", "ref")

    def __init__(self, data, nr: int, ref) -> None:
        self.data = data
        self.nr = nr
        self.ref = ref


class Node:
    """One recorded operation: edges to its inputs, saved tensors and hooks.

    A node is also the ``ctx`` its Function's forward and backward receive, so users may
    store any attribute on it.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_edges",
        "_saved",
        "_saved_versions",
        "_to_save",
        "needs_input_grad",
    )

    # Other state lives in the instance __dict__ only when set; these are the defaults.
    # True once the node has hooks, retained grads or several outputs (engine slow path).
    _extras = False
    _forward_cls = None
    _hooks = None
    _pre_hooks = None
    _tensor_hooks = None
    _retained = None
    _out_meta = None
    _non_differentiable = ()
    _dirty = ()
    # Under anomaly mode: the user's line that made the node, the stack, and the node whose
    # backward was running then (for nodes of a double-backward graph).
    _site = None
    _trace = None
    _parent = None
    materialize_grads = True

    # ----- ctx API used inside forward -------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep these inputs or outputs (or intermediate values) for backward."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs that never require grad (e.g. indices returned beside values)."""
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward modified in place."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """If False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as Tensors; raises if freed or modified in place since."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        versions = self._saved_versions
        outputs = False  # saved outputs are kept as arrays: they need wrapping
        i = -1
        for item in saved:  # indexing, not zip: this runs for every node in backward
            i += 1
            version = versions[i]
            if version < 0:  # a constant or None
                continue
            if type(item) is _SavedOutput:
                outputs = True
                t = item.ref()
                if t is None:
                    continue
            else:
                t = item
            view = t._view  # _current_version, inlined: this runs for every node in backward
            if (t._version if view is None else view[0]._version) != version:
                self._raise_modified(t, version)
        if not outputs:  # inputs and constants only: the saved tuple is the answer
            return saved
        out = []
        for item in saved:
            out.append(
                _make(item.data, True, self, item.nr) if type(item) is _SavedOutput else item
            )
        return tuple(out)

    saved_variables = saved_tensors

    def _raise_modified(self, t: Tensor, version: int) -> None:
        raise RuntimeError(inplace_message(self, t, version))

    # ----- graph inspection and hooks ---------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` per input; leaves appear as ``AccumulateGrad`` nodes."""
        return tuple(
            (None, 0)
            if e is None
            else ((AccumulateGrad(e[0]), 0) if isinstance(e[0], Tensor) else (e[0], e[1]))
            for e in self._edges
        )

    @property
    def metadata(self) -> dict:
        if "_metadata" not in self.__dict__:
            self.__dict__["_metadata"] = {}
        return self.__dict__["_metadata"]

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; may replace grads."""
        self._extras = True
        if self._hooks is None:
            self._hooks = {}
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; may replace grads."""
        self._extras = True
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _RemovableHandle(self._pre_hooks, fn)

    def _register_tensor_hook(self, nr: int, hook):
        self._extras = True
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return _RemovableHandle(self._tensor_hooks.setdefault(nr, {}), hook)

    def _retain(self, t: Tensor) -> None:
        self._extras = True
        if self._retained is None:
            self._retained = {}
        self._retained[t._output_nr] = weakref.ref(t)

    def _retains(self, t: Tensor) -> bool:
        r = self._retained and self._retained.get(t._output_nr)
        return r is not None and r() is t

    def _free(self) -> None:
        self._saved = _FREED


class AccumulateGrad:
    """How a leaf shows up in ``next_functions``: it accumulates into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def _current_version(t: Tensor) -> int:
    return (t._view[0] if t._view is not None else t)._version


def _version_root(t: Tensor) -> Tensor:
    return t._view[0] if t._view is not None else t


def _edge(t: Tensor) -> tuple:
    d = t._data
    fn = t._grad_fn
    return (fn if fn is not None else t, t._output_nr, d.shape, d.dtype)


class _NullCtx:
    """The ctx that forward sees when nothing is recorded: saving is a no-op."""

    __slots__ = ()
    needs_input_grad = ()
    materialize_grads = True

    def save_for_backward(self, *a) -> None:
        pass

    mark_non_differentiable = mark_dirty = save_for_backward

    def set_materialize_grads(self, value) -> None:
        pass

    def __setattr__(self, name, value) -> None:
        pass

    def __getattr__(self, name):
        raise AttributeError(name)


_NULL_CTX = _NullCtx()


class FunctionMeta(type):
    """Gives each Function subclass its own node class, named ``<Name>Backward0``."""

    def __init__(cls, name, bases, ns) -> None:
        super().__init__(name, bases, ns)
        node_name = ns.get("_node_name", name + "Backward0")
        cls._backward_cls = type(node_name, (BackwardCFunction,), {"_forward_cls": cls})
        factory = getattr(cls, "_apply_factory", None)  # ArrayFunction's: a per-class apply
        if factory is not None and "apply" not in ns:
            cls.apply = staticmethod(factory(cls))


class BackwardCFunction(Node):
    """Base of every generated node class: backward dispatches to the Function's."""

    __slots__ = ()

    def apply(self, *grads):
        return self._forward_cls.backward(self, *grads)


FunctionCtx = Node


class Function(metaclass=FunctionMeta):
    """A custom differentiable operation, defined by ``forward`` and ``backward``.

    ``forward(ctx, *args)`` receives Tensors and runs with recording off;
    ``backward(ctx, *grad_outputs)`` returns one gradient (or None) per forward argument,
    written with Tensor operations so that higher-order gradients work.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        record = state.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        node = cls._backward_cls()
        node._to_save = node._saved = node._saved_versions = ()
        node.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        enabled = state.enabled
        state.enabled = False
        try:
            if separate_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, outputs)
            else:
                outputs = cls.forward(node, *args, **kwargs)
        finally:
            state.enabled = enabled
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not record:
            cut = _input_cut(args) if enabled else _no_grad_cut(args)
            if cut is not None:
                for o in outs:
                    if isinstance(o, Tensor) and not o._requires_grad:
                        o._cut = cut
            return outputs
        outs = _connect_outputs(node, args, outs)
        _resolve_saved_tensors(node, args, outs)
        return outs[0] if single else outs

    @staticmethod
    def mark_dirty(ctx, *tensors):
        ctx.mark_dirty(*tensors)


def _connect_outputs(node: Node, args: tuple, outs: tuple) -> tuple:
    """Make Function outputs results of ``node``, handling in-place and pass-through outputs."""
    node._edges = tuple(
        _edge(a) if isinstance(a, Tensor) and a._requires_grad else None for a in args
    )
    dirty = node._dirty
    non_diff = node._non_differentiable
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    new_outs = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            new_outs.append(o)
            meta.append(None)
            continue
        meta.append((o._data.shape, o._data.dtype, o.xp))
        differentiable = o._data.dtype.kind == "f" and not any(o is n for n in non_diff)
        if any(o is d for d in dirty):
            if o._grad_fn is None and o._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
        elif id(o) in inputs:
            # Returning an input unchanged: PyTorch returns a view, so does this.
            alias = _make(o._data)
            alias._view = (_version_root(o), None)
            o = alias
        if differentiable:
            o._grad_fn = node
            o._output_nr = i
            o._requires_grad = True
        new_outs.append(o)
    if len(outs) > 1:
        node._out_meta = tuple(meta)
        node._extras = True
    if anomaly_mode.state.enabled:
        anomaly_mode.record_forward(
            node, [o._data for o in new_outs if isinstance(o, Tensor)], args, known=1
        )
    return tuple(new_outs)


def _resolve_saved_tensors(node: Node, args: tuple, outs: tuple) -> None:
    items = []
    versions = []
    for t in node._to_save:
        out_nr = next((i for i, o in enumerate(outs) if o is t), -1)
        if out_nr >= 0 and t._grad_fn is node:
            items.append(_SavedOutput(t._data, out_nr, weakref.ref(t)))
            versions.append(_current_version(t))
        else:
            items.append(t)
            versions.append(-1 if t is None else _current_version(t))
    node._saved = tuple(items)
    node._saved_versions = tuple(versions)
    node._to_save = ()


def once_differentiable(fn):
    """Decorate a backward that is not itself differentiable: it runs with recording off."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        enabled = state.enabled
        state.enabled = False
        try:
            return fn(ctx, *grads)
        finally:
            state.enabled = enabled

    return wrapper


def _array_apply(cls):
    """``apply`` of one ArrayFunction class: a closure over its forward, node class and
    ``is_view``. Python 3.11 caches no attribute reads on the ~100 op classes (each call site
    sees many), so the hot path reads these from the closure instead."""
    forward = cls.forward
    node_cls = cls._backward_cls
    is_view = cls.is_view

    def apply(*args):
        if _device_ctx[0]:  # False on the cpu path: no cupy loaded
            return run_in_device(apply, *args)
        cut = None  # why the result has no graph though an input came from one
        try:
            if state.enabled:
                raw = []
                edges = None  # made at the first input that requires grad
                i = -1
                for a in args:  # an index loop: enumerate costs an iterator object per call
                    i += 1
                    if isinstance(a, Tensor):
                        d = a._data
                        raw.append(d)
                        if a._requires_grad:
                            if edges is None:
                                edges = [None] * len(args)
                            fn = a._grad_fn
                            edges[i] = (a if fn is None else fn, a._output_nr, d.shape, d.dtype)
                        elif a._cut is not None:
                            cut = a._cut
                        elif _rebuilt:
                            cut = rebuilt_cut(d) or cut
                    else:
                        raw.append(a)
                if edges is not None:
                    return _record(cls, forward, node_cls, is_view, args, raw, edges)
            else:
                raw = []  # a loop: a comprehension is a function call in Python 3.11
                for a in args:
                    raw.append(a._data if isinstance(a, Tensor) else a)
                if cut_regions[0]:
                    cut = _no_grad_cut(args)
            out = forward(_NULL_CTX, *raw)
        except TypeError:  # numpy and cupy arrays do not mix: name both devices
            _check_same_device(cls, args)
            raise
        if type(out) is tuple:
            results = []
            for o in out:
                if o is not None:
                    o = _make(o if type(o) is np.ndarray else _as_array(o))
                    if cut is not None:
                        o._cut = cut
                results.append(o)
            return tuple(results)
        if type(out) is not np.ndarray:
            out = _as_array(out)
        t = _make(out)
        if is_view:
            _share_version(t, args[0], None)
        if cut is not None:
            t._cut = cut
        return t

    return apply


def _record(cls, forward, node_cls, is_view, args, raw, edges):
    """Run ``forward`` with a new node as ctx and make the results its outputs."""
    needs = []
    for e in edges:
        needs.append(e is not None)
    node = node_cls()
    node.needs_input_grad = tuple(needs)
    node._edges = tuple(edges)
    node._to_save = node._saved = node._saved_versions = ()
    out = forward(node, *raw)
    if type(out) is tuple:
        outs = tuple([None if o is None else _as_array(o) for o in out])
        non_diff = node._non_differentiable
        results = tuple(
            None
            if o is None
            else _make(o, True, node, i)
            if o.dtype.kind == "f" and not any(o is n for n in non_diff)
            else _make(o)
            for i, o in enumerate(outs)
        )
        node._out_meta = tuple(
            None if o is None else (o.shape, o.dtype, array_module(o)) for o in outs
        )
        node._extras = True
        if not all(r is None or r._requires_grad for r in results):
            cut = integer_cut(cls, known=1)
            for r in results:
                if r is not None and not r._requires_grad:
                    r._cut = cut
    else:
        original = out
        if type(out) is not np.ndarray:
            out = _as_array(out)
        if out.dtype.kind != "f":
            results = _make(out)
            results._cut = integer_cut(cls, known=1)
            return results
        results = _make(out, True, node, 0)
        if is_view:
            _share_version(results, args[0], _ViewReplay(cls, args))
        if node._to_save:
            # Forward may return a numpy scalar (0-d result) and save that same object.
            _resolve_saved_arrays(node, args, raw, (original,), (out,), results)
        if anomaly_mode.state.enabled:
            anomaly_mode.record_forward(node, (out,), args, known=1)
        return results
    if node._to_save:
        _resolve_saved_arrays(node, args, raw, out, outs, results)
    if anomaly_mode.state.enabled:
        anomaly_mode.record_forward(node, outs, args, known=1)
    return results


class ArrayFunction(Function):
    """Internal variant of ``Function`` whose forward receives and returns raw arrays.

    ``forward(ctx, *arrays_or_constants)`` returns an array (or a tuple of arrays, where None
    stands for an output not computed: it gets no gradient);
    ``ctx.save_for_backward`` takes arrays, which backward gets back as Tensors: inputs as
    the input Tensors themselves, outputs as Tensors whose ``grad_fn`` is this node.
    Class attribute ``is_view``: the output is a view of the first input's data.
    """

    is_view = False

    # FunctionMeta gives each subclass its own ``apply``, made by this factory.
    _apply_factory = staticmethod(_array_apply)


def _first_device_array(args):
    for a in args:
        if isinstance(a, Tensor):
            if type(a._data) is not np.ndarray:
                return a._data
        elif type(a) in (list, tuple):
            found = _first_device_array(a)
            if found is not None:
                return found
    return None


def run_in_device(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with the device of its first device Tensor current, as cupy
    creates arrays and launches kernels on the current device; nested ops run as they are.

    For ``ArrayFunction.apply`` and for ops that compute outside it (comparisons, argmax,
    index validation): they call this first when ``device_ctx[0]``.
    """
    arr = _first_device_array(args)
    context = None if arr is None else _bdev.context_of(arr)
    _device_ctx[0] = False
    try:
        if context is None:
            return fn(*args, **kwargs)
        with context:
            return fn(*args, **kwargs)
    finally:
        _device_ctx[0] = True


def _check_same_device(cls, args) -> None:
    devices = []
    for a in args:
        if isinstance(a, Tensor) and a.device not in devices:
            devices.append(a.device)
    if len(devices) > 1:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{devices[0]} and {devices[1]}! (in {op_name(cls)}: "
            + ", ".join(
                f"argument {i} is on {a.device}"
                for i, a in enumerate(args)
                if isinstance(a, Tensor)
            )
            + ")"
        )


def _input_cut(args):
    """The cut that inputs without graph carry, passed on to a result recorded nowhere."""
    cut = None
    for a in args:
        if isinstance(a, Tensor) and not a._requires_grad:
            cut = a._cut or (rebuilt_cut(a._data) if _rebuilt else None) or cut
    return cut


def _no_grad_cut(args):
    """Inside a user's no_grad block: the block's cut if an input requires grad."""
    cut = state.cut
    if cut is None:
        return None
    found = None
    for a in args:
        if isinstance(a, Tensor):
            if a._requires_grad:
                return cut
            if a._cut is not None:
                found = a._cut
    return found


def _as_array(x):
    return (
        x
        if isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__")
        else (np.asarray(x))
    )


def _resolve_saved_arrays(
    node: Node, args: tuple, raw: list, originals: tuple, outs: tuple, results
) -> None:
    items = []
    versions = []
    n = len(raw)
    for arr in node._to_save:
        i = 0
        # the input Tensor holding ``arr``: an index loop, cheaper than zip on this hot path
        while i < n and (raw[i] is not arr or not isinstance(args[i], Tensor)):
            i += 1
        if i < n:
            a = args[i]
            items.append(a)
            view = a._view  # _current_version, inlined: this runs for every saved input
            versions.append(a._version if view is None else view[0]._version)
        else:
            i = -1
            for o in outs:
                i += 1
                if o is not None and (o is arr or originals[i] is arr):
                    res = results if type(results) is Tensor else results[i]
                    items.append(_SavedOutput(o, i, weakref.ref(res)))
                    versions.append(0)
                    break
            else:
                # Constants: Python scalars stay scalars (so float32 stays float32).
                items.append(_make(arr) if isinstance(arr, np.ndarray) else arr)
                versions.append(-1)
    node._saved = tuple(items)
    node._saved_versions = tuple(versions)
    node._to_save = ()


class _ViewReplay:
    """Re-applies a chain of view ops to a base: how in-place ops on views rebase the graph."""

    __slots__ = ("args", "cls", "parent")

    def __init__(self, cls, args: tuple) -> None:
        self.cls = cls
        self.args = args[1:]
        base_view = args[0]._view
        self.parent = base_view[1] if base_view is not None else None

    def __call__(self, base: Tensor) -> Tensor:
        src = self.parent(base) if self.parent is not None else base
        return self.cls.apply(src, *self.args)


def _share_version(view: Tensor, base: Tensor, replay) -> None:
    if view._data.base is None and view._data is not base._data:
        return  # the "view" op had to copy (e.g. reshape of a non-contiguous array)
    bv = base._view
    root = bv[0] if bv is not None else base
    if replay is not None and bv is not None and bv[1] is None:
        replay = None  # the base is itself a view we cannot replay
    view._view = (root, replay)
