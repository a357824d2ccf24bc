"""eagertorch.viz: the drawn tape has every op and leaf, edges point down, DOT and SVG agree."""

import xml.etree.ElementTree as ET

import eagertorch as et
from eagertorch import nn, viz

SVG = "{http://www.w3.org/2000/svg}"


def _model_loss():
    m = nn.Linear(3, 2)
    h = m(et.randn(4, 3))
    return m, (h.tanh() * h).sum()


def test_dot_lists_every_op_and_named_leaf_once():
    m, loss = _model_loss()
    src = viz.draw(loss, dict(m.named_parameters())).source
    assert src.startswith("digraph tape {") and src.endswith("}")
    for name in ("SumBackward0", "MulBackward0", "TanhBackward0", "LinearBackward0"):
        assert name in src
    assert src.count('"weight (2, 3)') == 1 and src.count('"bias (2,)') == 1
    # h is used twice, but its Linear node is drawn once and feeds two consumers
    assert src.count("LinearBackward0") == 1
    assert "saves " in src


def test_svg_is_well_formed_with_one_box_per_node_and_downward_edges():
    m, loss = _model_loss()
    graph = viz.draw(loss, dict(m.named_parameters()))
    root = ET.fromstring(graph._repr_svg_())
    rects = root.findall(f"{SVG}rect")
    lines = root.findall(f"{SVG}line")
    assert len(rects) == len(graph.boxes)
    assert len(lines) == len(graph.edges)
    assert all(float(line.get("y1")) < float(line.get("y2")) for line in lines)


def test_saved_bytes_are_reported_and_vanish_once_backward_frees_them():
    x = et.randn(256, requires_grad=True)
    y = x.exp().sum()
    assert "saves 1.0 KiB" in viz.draw(y).source
    y.backward()
    assert "saves" not in viz.draw(y).source


def test_a_leaf_result_draws_as_a_single_box(tmp_path):
    graph = viz.draw(et.zeros(2))
    assert len(graph.boxes) == 1 and graph.edges == []
    graph.save(tmp_path / "g.dot")
    graph.save(tmp_path / "g.svg")
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert (tmp_path / "g.svg").read_text().startswith("<svg")


def test_plain_repr_is_a_one_line_summary():
    m, loss = _model_loss()
    assert repr(viz.draw(loss, dict(m.named_parameters()))) == (
        "<TapeGraph: 4 ops, 2 leaves; .source for DOT, .svg() to draw>"
    )
