"""Datasets batch through eagertorch's DataLoader like torchvision datasets through torch's."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from eagertorch.datasets import Digits, ImageFolder, transforms
from eagertorch.utils.data import DataLoader


def test_digits_batches_and_a_training_step_lowers_the_loss():
    pytest.importorskip("sklearn")
    et.manual_seed(0)
    loader = DataLoader(
        Digits(transform=transforms.Normalize([0.5], [0.5])), batch_size=64, shuffle=True
    )
    x, y = next(iter(loader))
    assert tuple(x.shape) == (64, 1, 8, 8) and x.dtype == et.float32
    assert tuple(y.shape) == (64,) and y.dtype == et.int64
    w = et.zeros(64, 10, requires_grad=True)
    flat = x.reshape(64, 64)

    def loss():
        logits = flat @ w
        logp = logits - logits.exp().sum(1, keepdim=True).log()
        return -logp[et.arange(64), y].mean()

    before = loss()
    before.backward()
    with et.no_grad():
        w -= 0.5 * w.grad
    assert loss().item() < before.item()


def test_image_folder_batches_with_to_tensor(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    for cls, v in (("a", 0), ("b", 255)):
        (tmp_path / cls).mkdir()
        for k in range(3):
            Image.fromarray(np.full((4, 4, 3), v, dtype=np.uint8)).save(tmp_path / cls / f"{k}.png")
    ds = ImageFolder(tmp_path, transform=transforms.ToTensor())
    x, y = next(iter(DataLoader(ds, batch_size=6)))
    assert tuple(x.shape) == (6, 3, 4, 4)
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(x.numpy()[:3], 0.0)
    np.testing.assert_array_equal(x.numpy()[3:], 1.0)
