import pytest

import eagertorch.cuda
from eagertorch._backend import device as bdev

from . import fake_cuda as fake_cuda_module
from .fake_cuda import FakeCudaBackend


@pytest.fixture
def fake_cuda():
    """Serve the ``cuda`` device type with two numpy-backed fake GPUs for one test, as GPUs
    without peer access: a ufunc or numpy function on a fake GPU other than the current one
    raises TypeError (as cupy raises), so work done outside its arrays' device is caught."""
    backend = FakeCudaBackend(count=2)
    previous = bdev.register_device_type(backend)
    eagertorch.cuda._peak.clear()
    fake_cuda_module._PEER_ACCESS[0] = False
    try:
        yield backend
    finally:
        fake_cuda_module._PEER_ACCESS[0] = True
        bdev.unregister_device_type("cuda", previous)
        eagertorch.cuda._peak.clear()


@pytest.fixture
def no_cuda(monkeypatch):
    """As on a machine without cupy: the cuda backend cannot load."""
    monkeypatch.setattr(bdev, "_BACKENDS", {})
    monkeypatch.setattr(bdev, "_cupy_tried", [True])
