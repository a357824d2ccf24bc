"""Jupyter rich reprs: Tensor summary with histogram, Module parameter tree."""

import re
import xml.etree.ElementTree as ET

import numpy as np

import eagertorch as et
from eagertorch import nn


def _cells(html: str) -> dict:
    return dict(re.findall(r"<th[^>]*>([^<]*)</th><td>([^<]*)</td>", html))


def test_tensor_html_summarises_values_and_counts_non_finite():
    x = et.tensor([1.0, -3.0, 5.0, float("nan"), float("inf")], requires_grad=True)
    cells = _cells(x._repr_html_())
    assert cells["shape"] == "(5,)" and cells["dtype"] == "eagertorch.float32"
    assert cells["device"] == "cpu" and cells["requires_grad"] == "True"
    assert (cells["min"], cells["max"], cells["mean"]) == ("-3", "5", "1")
    assert cells["NaN / Inf"] == "1 / 1"


def test_tensor_html_names_grad_fn_and_draws_a_histogram_of_the_values():
    x = et.tensor(np.r_[np.zeros(90), np.ones(10)].astype(np.float32), requires_grad=True)
    html = (x * 2)._repr_html_()
    assert _cells(html)["grad_fn"] == "MulBackward0"
    svg = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])
    heights = [float(r.get("height")) for r in svg]
    assert len(heights) == 24
    assert heights[0] == max(heights) and heights[0] > 8 * heights[-1] > 0


def test_module_html_lists_parameters_with_shapes_counts_and_frozen_flags():
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    m[0].requires_grad_(False)
    html = m._repr_html_()
    assert html.count("<td>frozen</td>") == 2
    assert "<td>(4, 3)</td><td style='text-align:right'>12</td>" in html
    assert "<td style='text-align:right'>26</td><td>16 frozen</td>" in html
