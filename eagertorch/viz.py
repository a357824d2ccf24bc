"""Draw the autograd tape behind a result: inline SVG in Jupyter (no Graphviz), or DOT text.

``eagertorch.viz.draw(loss)`` returns a :class:`TapeGraph`; Jupyter shows it as SVG, and
``.source`` is the same graph in DOT for those who have Graphviz. Each op box shows the
node's name and the bytes its saved tensors hold; leaves show their shape and name.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ._tensor import Tensor
from .autograd.function import AccumulateGrad

__all__ = ["TapeGraph", "draw"]

_BOX_H, _ROW_GAP, _COL_GAP, _CHAR_W, _PAD = 34, 36, 16, 7.2, 10


@dataclass
class _Box:
    id: int
    label: str
    detail: str
    kind: str  # "op", "leaf" or "root"
    depth: int = 0
    x: float = 0.0
    width: float = 0.0


@dataclass(repr=False)
class TapeGraph:
    """The recorded operations reachable from a tensor, ready to render."""

    boxes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)  # (from id, to id): input -> consumer

    def __repr__(self) -> str:
        ops = sum(box.kind == "op" for box in self.boxes.values())
        leaves = sum(box.kind == "leaf" for box in self.boxes.values())
        return f"<TapeGraph: {ops} ops, {leaves} leaves; .source for DOT, .svg() to draw>"

    @property
    def source(self) -> str:
        """The graph in Graphviz DOT."""
        lines = ["digraph tape {", '  node [shape=box, fontname="monospace", fontsize=10];']
        colours = {"op": "lightgrey", "leaf": "lightblue", "root": "darkolivegreen1"}
        for box in self.boxes.values():
            label = box.label + (f"\\n{box.detail}" if box.detail else "")
            lines.append(
                f'  n{box.id} [label="{label}", style=filled, fillcolor={colours[box.kind]}];'
            )
        lines += [f"  n{a} -> n{b};" for a, b in self.edges]
        lines.append("}")
        return "\n".join(lines)

    def svg(self) -> str:
        """The graph as standalone SVG: a layered layout, the result at the bottom."""
        rows: dict[int, list] = {}
        for box in self.boxes.values():
            rows.setdefault(box.depth, []).append(box)
        depth_max = max(rows, default=0)
        width = 0.0
        for row in rows.values():
            x = _PAD
            for box in row:
                box.width = _CHAR_W * max(len(box.label), len(box.detail)) + 2 * _PAD
                box.x = x
                x += box.width + _COL_GAP
            width = max(width, x)
        height = (depth_max + 1) * (_BOX_H + _ROW_GAP) + _PAD

        def top(box):  # inputs (deep) at the top, the result (depth 0) at the bottom
            return _PAD + (depth_max - box.depth) * (_BOX_H + _ROW_GAP)

        fills = {"op": "#e8e8e8", "leaf": "#cfe8ff", "root": "#caff70"}
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            'font-family="monospace" font-size="11">',
            '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" '
            'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
        ]
        for a, b in self.edges:
            src, dst = self.boxes[a], self.boxes[b]
            parts.append(
                f'<line x1="{src.x + src.width / 2:.1f}" y1="{top(src) + _BOX_H:.1f}" '
                f'x2="{dst.x + dst.width / 2:.1f}" y2="{top(dst):.1f}" stroke="#555" '
                'marker-end="url(#arrow)"/>'
            )
        for box in self.boxes.values():
            y = top(box)
            parts.append(
                f'<rect x="{box.x:.1f}" y="{y:.1f}" width="{box.width:.1f}" height="{_BOX_H}" '
                f'rx="4" fill="{fills[box.kind]}" stroke="#333"/>'
            )
            cx = box.x + box.width / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{y + 14:.1f}" text-anchor="middle">'
                f"{html.escape(box.label)}</text>"
            )
            if box.detail:
                parts.append(
                    f'<text x="{cx:.1f}" y="{y + 27:.1f}" text-anchor="middle" fill="#444">'
                    f"{html.escape(box.detail)}</text>"
                )
        parts.append("</svg>")
        return "".join(parts)

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: str) -> None:
        """Write ``.svg`` or ``.dot`` by the file's extension."""
        text = self.source if str(path).endswith(".dot") else self.svg()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def _nbytes(node) -> int:
    saved = getattr(node, "_saved", None)
    if not isinstance(saved, tuple):
        return 0  # nothing saved, or already freed by backward
    total = 0
    for item in saved:
        data = item._data if isinstance(item, Tensor) else getattr(item, "data", None)
        total += getattr(data, "nbytes", 0)
    return total


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _shape(t: Tensor) -> str:
    return str(tuple(t.shape))


def draw(output: Tensor, params: dict | None = None) -> TapeGraph:
    """The tape that produced ``output``; ``params`` (name -> Tensor) labels the leaves.

    Pass ``dict(model.named_parameters())`` to see parameter names on the leaves.
    """
    names = {id(t): name for name, t in (params or {}).items()}
    graph = TapeGraph()
    ids: dict[int, int] = {}

    def box_for(key, label, detail, kind) -> tuple[_Box, bool]:
        if key in ids:
            return graph.boxes[ids[key]], False
        box = _Box(len(ids), label, detail, kind)
        ids[key] = box.id
        graph.boxes[box.id] = box
        return box, True

    root, _ = box_for(("tensor", id(output)), "result " + _shape(output), str(output.dtype), "root")
    if output.grad_fn is None:
        root.kind = "leaf"
        return graph
    consumers: dict[int, list] = {}  # box id -> ids of the boxes that use it
    stack = [(output.grad_fn, root)]
    while stack:
        node, consumer = stack.pop()
        if isinstance(node, AccumulateGrad):
            var = node.variable
            name = names.get(id(var), "")
            label = (name + " " if name else "") + _shape(var)
            box, new = box_for(id(var), label, str(var.dtype), "leaf")
        else:
            held = _nbytes(node)
            detail = f"saves {_human(held)}" if held else ""
            box, new = box_for(id(node), node.name(), detail, "op")
        if (box.id, consumer.id) not in graph.edges:
            graph.edges.append((box.id, consumer.id))
            consumers.setdefault(box.id, []).append(consumer.id)
        if new:
            stack.extend((child, box) for child, _ in node.next_functions if child is not None)
    _assign_depths(graph, consumers)
    return graph


def _assign_depths(graph: TapeGraph, consumers: dict) -> None:
    """Depth = longest path to the result, so every edge points down the drawing."""
    inputs: dict[int, list] = {}
    for a, b in graph.edges:
        inputs.setdefault(b, []).append(a)
    waiting = {i: len(consumers.get(i, ())) for i in graph.boxes}
    ready = [i for i, n in waiting.items() if n == 0]
    while ready:
        i = ready.pop()
        for a in inputs.get(i, ()):
            graph.boxes[a].depth = max(graph.boxes[a].depth, graph.boxes[i].depth + 1)
            waiting[a] -= 1
            if waiting[a] == 0:
                ready.append(a)
