"""Diagnostics that point autograd errors and warnings at the user's own source line.

- Cut graphs: tensors carry a ``GraphCut`` (``autograd.sites``) in ``Tensor._cut`` saying
  why they have no graph though they came from one (``.detach()``, ``.data``, a ``no_grad``
  block, an integer op, values taken out with ``.item()``/``.tolist()``/``.numpy()`` and
  rebuilt); ops that record nothing pass it on, and ``backward()`` reports it.
- The write log (``Tensor._writes`` of a version root): which in-place op modified the
  tensor and at which line; ``backward()`` logs its own writes into ``.grad`` tensors.
- The messages of the in-place and cut-graph errors, the notebook warnings
  (``GradientAccumulationWarning``, ``GraphRetentionWarning``) and ``graph_memory()``.

Costs: no frame is looked at per recorded op (the line of every recorded op is kept only
under anomaly mode, see ``anomaly_mode``). Lines are taken where they are rare: in-place
ops, ``.detach()``/``.data``/``.item()``/``.tolist()``/``.numpy()`` of tensors in a graph,
integer results computed from one, entering ``no_grad()``, and ``backward()`` in
interactive sessions. Per op there remain a slot read per input without grad and a store
per result cut from a graph; per backward() one small tuple per leaf written.
"""

from __future__ import annotations

import gc
import sys
import warnings
import weakref
from typing import NamedTuple

from .._tensor import Tensor
from .grad_mode import state as _grad_state
from .sites import GraphCut, cut_by, format_site, user_site

__all__ = [
    "GradientAccumulationWarning",
    "GraphCut",
    "GraphMemory",
    "GraphRetentionWarning",
    "cut_by",
    "graph_memory",
]


def op_name(cls) -> str:
    """The PyTorch-style name of an op class: ``FloorDivide`` -> ``floor_divide``."""
    name = cls.__name__
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def integer_cut(cls, known: int) -> GraphCut:
    """The cut at an op whose result is integer or boolean (``known`` as in ``user_site``)."""
    return GraphCut("integer", user_site(known + 1), f"integer result of {op_name(cls)}")


def integer_result(t: Tensor, name: str, known: int, *inputs) -> Tensor:
    """Mark ``t``, an integer or boolean result of op ``name``, where it ends a graph.

    For ops that make such results without recording (comparisons, argmax); ``known`` as
    in ``user_site``, for the caller.
    """
    for a in inputs:
        if isinstance(a, Tensor):
            if a._requires_grad:
                if _grad_state.enabled:
                    site = user_site(known + 1)
                    t._cut = GraphCut("integer", site, f"integer result of {name}")
                else:  # the cut of a user's no_grad block, or None (inside backward)
                    t._cut = _grad_state.cut
                return t
            if a._cut is not None:
                t._cut = a._cut
    return t


# Values and arrays taken out of a graph (.item(), .tolist(), .numpy()), so that a tensor
# rebuilt from them can say so. Bounded: only recent escapes are remembered.
_ESCAPE_LIMIT = 64
escaped_values: dict = {}  # Python number -> GraphCut("escape")
rebuilt: dict = {}  # id(array) -> (weakref to the array, GraphCut("rebuilt" or "copy"))


def _remember(table: dict, key, value) -> None:
    table.pop(key, None)
    table[key] = value
    if len(table) > _ESCAPE_LIMIT:
        del table[next(iter(table))]


def note_escape(t: Tensor, how: str, value) -> None:
    """``t``, part of (or cut from) a graph, gave its values to Python or numpy via ``how``."""
    if how == ".numpy()":
        escape = GraphCut("escape", user_site(1), how, t._cut)
        _remember(rebuilt, id(value), (weakref.ref(value), GraphCut("rebuilt", None, "", escape)))
        return
    floats = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, float)]
    if floats:  # integer results (counts, indices) are not worth remembering
        escape = GraphCut("escape", user_site(1), how, t._cut)
        for v in floats:
            _remember(escaped_values, v, escape)


def _escape_in(data):
    if isinstance(data, float):
        return escaped_values.get(data)
    if isinstance(data, (list, tuple)) and len(data) <= _ESCAPE_LIMIT:
        for v in data:
            if isinstance(v, float) and v in escaped_values:
                return escaped_values[v]
    return None


def note_rebuilt(data, arr) -> None:
    """``arr`` was built from ``data``: remember it if the values came out of a graph."""
    if isinstance(data, Tensor) or (
        isinstance(data, (list, tuple)) and data and isinstance(data[0], Tensor)
    ):
        items = data if isinstance(data, (list, tuple)) else (data,)
        cut = None
        for x in items:
            if isinstance(x, Tensor):
                if x._requires_grad:
                    cut = GraphCut("copy", user_site(2), "tensor()")
                    break
                cut = cut or x._cut
        if cut is not None:
            _remember(rebuilt, id(arr), (weakref.ref(arr), cut))
        return
    if rebuilt and hasattr(data, "dtype"):
        entry = rebuilt.get(id(data))
        if entry is not None and entry[0]() is data:
            origin = entry[1].origin or entry[1]
            cut = GraphCut("rebuilt", user_site(2), "", origin)
            _remember(rebuilt, id(arr), (weakref.ref(arr), cut))
        return
    escape = _escape_in(data) if escaped_values else None
    if escape is not None:
        _remember(
            rebuilt, id(arr), (weakref.ref(arr), GraphCut("rebuilt", user_site(2), "", escape))
        )


def rebuilt_cut(arr):
    """The cut recorded for an array rebuilt from values taken out of a graph, or None."""
    entry = rebuilt.get(id(arr))
    if entry is None or entry[0]() is not arr:
        return None
    return entry[1]


def no_graph_message(i: int, t: Tensor, grad_enabled: bool) -> str:
    """PyTorch's error for ``backward()`` on a tensor without graph, and why it has none."""
    head = f"element {i} of tensors does not require grad and does not have a grad_fn"
    cut = t._cut or rebuilt_cut(t._data)
    if cut is not None:
        return f"{head}. The graph was cut: {cut.describe()}"
    if not grad_enabled:
        return (
            f"{head}. Gradient recording is disabled here (inside no_grad(), "
            "inference_mode() or set_grad_enabled(False))."
        )
    return (
        f"{head}. None of the tensors it was computed from requires grad: create the leaves "
        "(parameters, inputs) with requires_grad=True or call .requires_grad_() on them. "
        "If it was rebuilt from values taken out of a tensor (.item(), .tolist(), "
        ".numpy()), the graph was cut there."
    )


# ----- the write log: in-place modifications and backward() writes -----------------------
# Tensor._writes of a version root is None or a tuple of the latest entries
# (version after the write, what wrote, where, extra). For an in-place op: its name, the
# user's line, and for ``add_``/``sub_`` of a graph the running count of graphs added.
# For backward() writing a .grad: ``_BACKWARD``, its origin (line or None, graph size,
# root node type) and the leaf's version then.
_LOG_LIMIT = 4
_BACKWARD = "backward()"


def _version(t: Tensor) -> int:
    return (t._view[0] if t._view is not None else t)._version


def _log(root: Tensor, entry: tuple) -> None:
    log = root._writes
    root._writes = (entry,) if log is None else (*log[1 - _LOG_LIMIT :], entry)


def note_inplace(root: Tensor, self: Tensor, name: str, result, known: int) -> None:
    """``self`` (version root ``root``) was just modified in place by ``name``.

    ``result``: the out-of-place result written into it (None if none was made);
    ``known`` as in ``user_site``, for the caller.
    """
    site = user_site(known + 1)
    extra = None
    if result is not None:
        fn = result._grad_fn
        if fn is not None and name in ("add_", "sub_"):
            extra = _check_graph_accumulation(root, fn, site)
        elif not self._requires_grad and self._cut is None and result._cut is not None:
            self._cut = result._cut
    _log(root, (root._version, name, site, extra))


def inplace_message(node, t: Tensor, expected: int) -> str:
    """PyTorch's modified-by-an-inplace-operation error, with the op and lines involved."""
    root = t._view[0] if t._view is not None else t
    now = root._version
    producer = (
        f"output {t._output_nr} of {t._grad_fn.name()}"
        if t._grad_fn is not None
        else "a leaf tensor"
    )
    lines = [
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{t.dtype} {list(t.shape)}], which is {producer}, is at version "
        f"{now}; expected version {expected} instead."
    ]
    site = node._site
    if site is not None:
        lines.append(f"It was saved for backward by {node.name()}, the op at {format_site(site)}")
    else:
        lines.append(
            f"It was saved for backward by {node.name()} (enable anomaly detection with "
            "eagertorch.autograd.set_detect_anomaly(True) to see the line of that op)."
        )
    writes = [w for w in root._writes or () if expected < w[0] <= now and w[1] != _BACKWARD]
    if writes:
        first = writes[0]
        if first[0] == expected + 1:
            lines.append(f"It was modified in place by {first[1]} at {format_site(first[2])}")
        else:  # the first changes fell out of the log
            lines.append(
                f"It was modified in place {now - expected} times since; among the latest, "
                f"by {first[1]} at {format_site(first[2])}"
            )
        if now > first[0]:
            last = writes[-1]
            lines.append(
                f"({now - first[0]} more in-place change(s) followed, the last by {last[1]} "
                f"at {format_site(last[2])})"
            )
    else:
        hint = (
            " optimizer.step() updates parameters in place: call backward() before step(), "
            "or recompute the forward after it."
            if t._grad_fn is None and t._requires_grad
            else ""
        )
        lines.append(
            "It was modified in place outside eagertorch's in-place ops (optimizer.step(), "
            f"direct writes to its memory), so the line is unknown.{hint}"
        )
    return "\n".join(lines)


# ----- notebook pitfalls --------------------------------------------------------------------
class GradientAccumulationWarning(UserWarning):
    """backward() added to a ``.grad`` that still holds an earlier, probably stale, gradient."""


class GraphRetentionWarning(UserWarning):
    """A loop keeps old graphs alive (``total += loss`` instead of ``loss.item()``)."""


_warned: set = set()


def _warn_once(category, key, message: str, site) -> None:
    if key in _warned:
        return
    _warned.add(key)
    if site is None:
        warnings.warn(message, category, stacklevel=3)
    else:
        warnings.warn_explicit(message, category, site[0], site[1])


def _interactive(filename: str) -> bool:
    return filename.startswith("<") or "ipykernel_" in filename


def _same_place(a, b) -> bool:
    """Same function and line; interactive cells count as one file (IPython renames them)."""
    return (
        a[1] == b[1]
        and a[2] == b[2]
        and (a[0] == b[0] or (_interactive(a[0]) and _interactive(b[0])))
    )


_STALE_HINT = (
    "Gradients accumulate across backward() calls: call optimizer.zero_grad() (or set "
    ".grad = None) before each backward(). If you accumulate on purpose, silence this with "
    'warnings.filterwarnings("ignore", category=eagertorch.autograd.'
    "GradientAccumulationWarning)."
)


# An interactive session (IPython/Jupyter, the REPL), decided at import: only there does
# code run again from new compilations (re-run cells), so only there does backward() keep
# its line for ``check_accumulation``.
interactive = "IPython" in sys.modules or hasattr(sys, "ps1") or bool(sys.flags.interactive)


def record_grad_write(leaf: Tensor, grad: Tensor, origin) -> None:
    """Log that a backward() wrote ``grad`` as (or into) ``leaf.grad``.

    ``origin``: (the backward() line or None, the number of vertices of its graph, the type
    of its root node).
    """
    _log(grad, (_version(grad), _BACKWARD, origin, _version(leaf)))


def check_accumulation(leaf: Tensor, grad: Tensor, origin) -> None:
    """Warn when a backward() (``origin`` as in ``record_grad_write``) adds into a stale
    ``.grad``.

    Only a ``.grad`` that an earlier backward() wrote and nothing touched since is judged
    (a user-assigned or zeroed one never is), and only when that backward() ran a graph of
    the same shape (as many vertices, the same root op) and, where lines are known, from
    the same line: the same training step again. Then the gradient is stale if the leaf
    was modified in place since (an optimizer step or a manual update without zero_grad()),
    or if that backward() ran from another compilation of the same line (a notebook cell
    run again). Accumulation over micro-batches in a loop matches neither (the leaf is
    unchanged, the code object is the same), nor does a GAN-style second loss
    backpropagating into another model's parameters (another graph).
    """
    log = grad._writes
    if log is None:
        return
    last = log[-1]
    if last[1] != _BACKWARD or last[0] != _version(grad):
        return
    prev, site = last[2][0], origin[0]
    if last[2][1:] != origin[1:] or (
        prev is not None and site is not None and not _same_place(prev, site)
    ):
        return
    if last[3] != _version(leaf):
        site = site or user_site()
        earlier = f"the backward() at {format_site(prev)}" if prev else "an earlier backward()"
        _warn_once(
            GradientAccumulationWarning,
            ("modified", site and site[:2]),
            f"backward() at {format_site(site)} adds to the .grad of a tensor of shape "
            f"{list(leaf.shape)} that still holds the gradient of {earlier} through the same "
            "graph, and the tensor was modified in place since (an optimizer step without "
            f"zero_grad()?). {_STALE_HINT}",
            site,
        )
    elif prev is not None and site is not None and prev[3] is not site[3]:
        _warn_once(
            GradientAccumulationWarning,
            ("rerun", site[:2]),
            f"backward() at {format_site(site)} adds to the .grad of a tensor of shape "
            f"{list(leaf.shape)} that still holds the gradient of an earlier run of the same "
            "code (a notebook cell run again without zero_grad()?). " + _STALE_HINT,
            site,
        )


_CHAIN_LIMIT = 32  # in-place additions of graphs into one tensor before looking closer
_WALK_LIMIT = 20000


def _freed(node) -> bool:
    from .function import _FREED

    return getattr(node, "_saved", None) is _FREED


def _graph_nodes(node, limit: int):
    """The nodes reachable from ``node`` (None when more than ``limit``)."""
    seen = {node}
    stack = [node]
    while stack:
        for e in stack.pop()._edges:
            if e is not None and not isinstance(e[0], Tensor) and e[0] not in seen:
                if len(seen) >= limit:
                    return None
                seen.add(e[0])
                stack.append(e[0])
    return seen


def _addend(node):
    edges = node._edges
    e = edges[1] if len(edges) > 1 else None
    return None if e is None or isinstance(e[0], Tensor) else e[0]


def _check_graph_accumulation(root: Tensor, fn, site) -> int:
    """``root += x`` just recorded node ``fn``: warn if a loop is piling up graphs.

    Returns the running count of graphs added into ``root`` in place.
    """
    log = root._writes
    count = (log[-1][3] or 0) + 1 if log is not None and log[-1][1] in ("add_", "sub_") else 1
    added = _addend(fn)
    prev_sum = fn._edges[0][0] if fn._edges[0] is not None else None
    if isinstance(prev_sum, Tensor):
        prev_sum = None
    freed = (added is not None and _freed(added)) or (
        prev_sum is not None and any(_freed(n) for n in (prev_sum, _addend(prev_sum)) if n)
    )
    independent = False
    if not freed and count == _CHAIN_LIMIT and added is not None and prev_sum is not None:
        before = _addend(prev_sum)
        if before is not None:
            a = _graph_nodes(added, _WALK_LIMIT)
            b = _graph_nodes(before, _WALK_LIMIT)
            independent = a is not None and b is not None and not (a & b)
    if freed or independent:
        why = (
            "a tensor whose graph was already backpropagated"
            if freed
            else f"{count} separate graphs so far"
        )
        _warn_once(
            GraphRetentionWarning,
            ("retain", site and site[:2]),
            f"In-place addition at {format_site(site)} accumulates {why} into a tensor that "
            "requires grad: every graph added stays alive (with the tensors it saved) as long "
            "as the sum does. To keep a running total, add loss.item() or loss.detach() "
            "instead of loss.",
            site,
        )
    return count


class GraphMemory(NamedTuple):
    """What live autograd graphs hold: nodes, distinct saved arrays and their bytes."""

    nodes: int
    saved_tensors: int
    bytes: int

    def __str__(self) -> str:
        return (
            f"{self.nodes} graph nodes holding {self.saved_tensors} saved tensors "
            f"({self.bytes / 2**20:.2f} MiB)"
        )


def _arrays_of(value, out: list) -> None:
    if isinstance(value, Tensor):
        out.append(value._data)
    elif hasattr(value, "nbytes") and hasattr(value, "dtype"):
        out.append(value)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _arrays_of(v, out)


def graph_memory() -> GraphMemory:
    """Count the nodes of every autograd graph alive now and the bytes they keep for backward.

    Saved tensors and arrays stored on the nodes count once each (leaves' arrays included:
    a graph keeps its inputs alive). Scans the garbage collector's objects, so it costs
    time proportional to the heap, and nothing when not called.
    """
    from .function import _FREED, Node, _SavedOutput

    with warnings.catch_warnings():  # isinstance on other libraries' lazy deprecated objects
        warnings.simplefilter("ignore")
        nodes = [o for o in gc.get_objects() if isinstance(o, Node)]
    arrays: dict = {}
    for n in nodes:
        found: list = []
        saved = n._saved
        if saved is not _FREED:
            for item in saved:
                if type(item) is _SavedOutput:
                    found.append(item.data)
                else:
                    _arrays_of(item, found)
        for key, value in n.__dict__.items():
            if not key.startswith("_"):
                _arrays_of(value, found)
        for a in found:
            arrays[id(a)] = a
    return GraphMemory(len(nodes), len(arrays), sum(int(a.nbytes) for a in arrays.values()))
