"""Pixel and channel shuffles against PyTorch: values, gradients, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
from tests.nn.torch_parity import check_values_and_grads, raised  # noqa: E402

TF = torch.nn.functional


@pytest.mark.parametrize(
    ("name", "shape", "arg"),
    [
        ("pixel_shuffle", (2, 3, 8, 2, 3), 2),
        ("pixel_shuffle", (9, 2, 1), 3),
        ("pixel_unshuffle", (2, 3, 4, 6), 2),
        ("pixel_unshuffle", (1, 3, 3), 3),
        ("channel_shuffle", (2, 6, 3), 3),
        ("channel_shuffle", (2, 6, 2, 3), 2),
        ("channel_shuffle", (0, 4, 2), 2),
    ],
)
def test_values_and_gradients_match(name, shape, arg):
    a = np.random.default_rng(0).standard_normal(shape)
    check_values_and_grads(
        lambda x: getattr(F, name)(x, arg), lambda t: getattr(TF, name)(t, arg), a, atol=0
    )


@pytest.mark.parametrize(
    ("name", "shape", "arg"),
    [
        ("pixel_shuffle", (3, 2, 2), 2),
        ("pixel_shuffle", (2, 2), 2),
        ("pixel_shuffle", (4, 2, 2), -1),
        ("pixel_shuffle", (4, 2, 2), 2.0),
        ("pixel_unshuffle", (1, 3, 2), 2),
        ("pixel_unshuffle", (1, 2, 3), 2),
        ("pixel_unshuffle", (2, 2), 2),
        ("pixel_unshuffle", (2, 2, 2), 0),
        ("channel_shuffle", (1, 4, 2), 3),
        ("channel_shuffle", (4,), 2),
        ("channel_shuffle", (1, 4, 2), -2),
        ("channel_shuffle", (1, 4, 2), 2.0),
        ("pixel_unshuffle", (1, 4, 2), 2.0),
        ("pixel_shuffle", (4, 2, 2), True),
    ],
)
def test_errors_match(name, shape, arg):
    expected = raised(getattr(TF, name), torch.zeros(shape), arg)
    assert expected is not None
    assert raised(getattr(F, name), et.zeros(shape), arg) == expected


@pytest.mark.parametrize(
    ("name", "attribute", "arg"),
    [("PixelShuffle", "upscale_factor", 2), ("PixelUnshuffle", "downscale_factor", 3),
     ("ChannelShuffle", "groups", 4)],
)  # fmt: skip
def test_module_reprs_and_attributes_match(name, attribute, arg):
    ours, theirs = getattr(nn, name)(arg), getattr(torch.nn, name)(arg)
    assert repr(ours) == repr(theirs)
    assert getattr(ours, attribute) == getattr(theirs, attribute) == arg
