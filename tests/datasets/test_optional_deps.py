"""Pillow and scikit-learn are optional: imported only when used, with install hints."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from eagertorch.datasets import MNIST, Digits, ImageFolder


def test_importing_datasets_does_not_import_pillow_or_sklearn():
    code = (
        "import sys, eagertorch, eagertorch.datasets, eagertorch.datasets.transforms;"
        "print('PIL' in sys.modules, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_pillow_gives_install_hint(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "PIL", None)
    ds = ImageFolder(tmp_path)
    with pytest.raises(ImportError, match="pip install pillow"):
        ds[0]


def test_mnist_without_pillow_returns_uint8_arrays(tmp_path, monkeypatch):
    import struct

    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 28, 28) + arr.tobytes()
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes([7, 2])
    )
    monkeypatch.setitem(sys.modules, "PIL", None)
    img, target = MNIST(tmp_path)[1]
    assert target == 2 and isinstance(img, np.ndarray) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, arr[1])


def test_missing_sklearn_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        Digits()
