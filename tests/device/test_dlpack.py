"""DLPack exchange on the cpu: eagertorch <-> torch and numpy share memory, no copies."""

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")


def test_torch_from_dlpack_of_eagertorch_tensor_shares_memory():
    t = et.arange(6, dtype=et.float32).reshape(2, 3)
    pt = torch.from_dlpack(t)
    assert pt.shape == (2, 3) and pt.dtype == torch.float32
    pt[0, 0] = 42.0
    assert t[0, 0].item() == 42.0


def test_eagertorch_from_dlpack_of_torch_tensor_shares_memory():
    pt = torch.arange(6, dtype=torch.float64).reshape(3, 2)
    t = et.from_dlpack(pt)
    assert t.shape == (3, 2) and t.dtype == et.float64 and t.device == et.device("cpu")
    t[1, 1] = -7.0
    assert pt[1, 1].item() == -7.0


def test_round_trip_through_torch_keeps_the_same_buffer():
    t = et.ones(4)
    back = et.from_dlpack(torch.from_dlpack(t))
    assert back._data.__array_interface__["data"][0] == t._data.__array_interface__["data"][0]


def test_numpy_from_dlpack_of_eagertorch_tensor_shares_memory():
    t = et.zeros(3)
    a = np.from_dlpack(t)
    a[2] = 5.0
    assert t[2].item() == 5.0


def test_dlpack_of_tensor_requiring_grad_raises_like_torch():
    t = et.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        torch.from_dlpack(t)
    assert torch.from_dlpack(t.detach()).shape == (2,)
