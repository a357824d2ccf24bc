"""Real GPU tests: ops and a training step on cuda (cupy) against the CPU results.

Skipped, with the reason, when cupy or a GPU is absent.
"""

import numpy as np
import pytest

import eagertorch as et
import eagertorch.cuda
from eagertorch import nn
from eagertorch.testing import check_op

if not eagertorch.cuda.is_available():
    pytest.skip(
        "needs cupy and an NVIDIA GPU (pip install 'eagertorch[cuda]')", allow_module_level=True
    )

cupy = pytest.importorskip("cupy")


def _on_cuda(fn):
    """``fn`` run on cuda copies of its tensor arguments, the result brought back to cpu."""

    def wrapped(*args, **kwargs):
        moved = [a.cuda() if isinstance(a, et.Tensor) else a for a in args]
        out = fn(*moved, **kwargs)
        assert out.is_cuda, f"{fn.__name__} left cuda: {out.device}"
        return out.cpu()

    wrapped.__name__ = fn.__name__
    return wrapped


@pytest.mark.parametrize(
    "fn, ref",
    [
        (et.add, np.add),
        (et.mul, np.multiply),
        (et.tanh, np.tanh),
        (et.exp, np.exp),
        (lambda x: x.sum(), np.sum),
    ],
)
def test_op_properties_hold_on_cuda(fn, ref):
    check_op(_on_cuda(fn), ref)


def test_matmul_on_cuda_matches_cpu():
    a, b = et.randn(5, 7, dtype=et.float64), et.randn(7, 3, dtype=et.float64)
    np.testing.assert_allclose((a.cuda() @ b.cuda()).cpu().numpy(), (a @ b).numpy(), rtol=1e-12)


def test_training_step_on_cuda_matches_cpu():
    def make():
        et.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))

    x, y = et.randn(32, 8), et.randint(0, 3, (32,))
    results = []
    for dev in ("cpu", "cuda"):
        model = make().to(dev)
        opt = et.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x.to(dev)), y.to(dev))
            loss.backward()
            opt.step()
        assert all(p.device.type == dev for p in model.parameters())
        results.append([p.detach().cpu().numpy() for p in model.parameters()])
    for c, g in zip(*results, strict=True):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


def test_cuda_module_functions_on_a_real_gpu():
    cu = eagertorch.cuda
    assert cu.device_count() >= 1 and cu.current_device() == 0
    assert isinstance(cu.get_device_name(), str) and cu.get_device_name()
    x = et.ones(1024, 1024, device="cuda")
    cu.synchronize()
    assert cu.memory_allocated() >= x.nbytes
    assert cu.max_memory_allocated() >= cu.memory_allocated()
    del x
    cu.empty_cache()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        et.ones(2, device="cuda").numpy()


def test_dlpack_exchange_with_cupy_shares_memory():
    t = et.zeros(4, device="cuda")
    c = cupy.from_dlpack(t)
    c[0] = 5.0
    assert t.cpu().tolist()[0] == 5.0
    back = et.from_dlpack(c)
    assert back.is_cuda and back.data_ptr() == t.data_ptr()


# ----- DLPack on the GPU: no copies -----------------------------------------------------------
def test_cupy_and_eagertorch_share_gpu_memory_through_dlpack():
    c = cupy.arange(6, dtype=cupy.float32)
    t = et.from_dlpack(c)
    assert t.is_cuda and t._data.data.ptr == c.data.ptr
    back = cupy.from_dlpack(t)
    assert back.data.ptr == c.data.ptr


def test_torch_cuda_and_eagertorch_share_gpu_memory_through_dlpack():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    pt = torch.arange(6, dtype=torch.float32, device="cuda")
    t = et.from_dlpack(pt)
    assert t.is_cuda and t._data.data.ptr == pt.data_ptr()
    t[0] = 9.0
    torch.cuda.synchronize()
    assert pt[0].item() == 9.0
    assert torch.from_dlpack(t).data_ptr() == pt.data_ptr()


def test_ops_run_under_their_inputs_device_context():
    if eagertorch.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    x = et.randn(3, 4, device="cuda:1", requires_grad=True)
    (x.exp() * 2).sum().backward()
    assert x.grad.device == et.device("cuda:1")
