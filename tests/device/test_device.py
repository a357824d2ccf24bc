"""Device plumbing, run on a numpy-backed fake ``cuda`` (see fake_cuda.py): no GPU needed."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

import eagertorch as et
import eagertorch.cuda
from eagertorch import nn
from eagertorch._backend.device import CudaUnavailableError
from eagertorch.ops import creation as _creation

from .fake_cuda import FakeArray


# ----- device objects -------------------------------------------------------------------------
def test_device_parses_type_and_index_like_torch():
    assert et.device("cuda:1").type == "cuda" and et.device("cuda:1").index == 1
    assert et.device("cuda", 0) == "cuda:0"
    assert et.device(2) == et.device("cuda", 2)
    assert et.device("cpu").index is None
    assert str(et.device("cuda", 3)) == "cuda:3"
    assert repr(et.device("cuda:1")) == "device(type='cuda', index=1)"
    assert pickle.loads(pickle.dumps(et.device("cuda:1"))) == et.device("cuda:1")


def test_device_rejects_unknown_types_and_bad_indices():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        et.device("tpu")
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        et.device("cuda:x")
    with pytest.raises(RuntimeError, match="CPU device index must be -1 or zero, got 1"):
        et.device("cpu", 1)


# ----- eagertorch.cuda without cupy -----------------------------------------------------------
def test_importing_eagertorch_does_not_import_cupy():
    code = (
        "import sys, eagertorch, eagertorch.cuda\n"
        "t = eagertorch.ones(2).to('cpu') + 1\n"
        "assert 'cupy' not in sys.modules, 'cupy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_cupy_is_available_is_false_and_device_count_zero(no_cuda):
    assert eagertorch.cuda.is_available() is False
    assert eagertorch.cuda.device_count() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: eagertorch.cuda.current_device(),
        lambda: eagertorch.cuda.set_device(0),
        lambda: eagertorch.cuda.get_device_name(),
        lambda: eagertorch.cuda.synchronize(),
        lambda: eagertorch.cuda.memory_allocated(),
        lambda: eagertorch.cuda.max_memory_allocated(),
        lambda: eagertorch.cuda.device(0).__enter__(),
        lambda: et.ones(2).cuda(),
        lambda: et.ones(2).to("cuda"),
        lambda: et.zeros(2, device="cuda"),
    ],
)
def test_without_cupy_device_calls_raise_install_hint(no_cuda, call):
    with pytest.raises(CudaUnavailableError, match=r"CUDA is not available.*install") as e:
        call()
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, AssertionError)


def test_without_cupy_seeding_and_empty_cache_are_silent_noops(no_cuda):
    eagertorch.cuda.manual_seed(0)
    eagertorch.cuda.manual_seed_all(0)
    eagertorch.cuda.empty_cache()


# ----- eagertorch.cuda on the fake backend ---------------------------------------------------
def test_cuda_module_reports_and_switches_devices(fake_cuda):
    cu = eagertorch.cuda
    assert cu.is_available() and cu.device_count() == 2
    assert cu.current_device() == 0
    cu.set_device("cuda:1")
    assert cu.current_device() == 1
    assert cu.get_device_name() == "Fake GPU 1"
    assert cu.get_device_name(0) == "Fake GPU 0"
    cu.set_device(et.device("cuda", 0))
    with cu.device(1):
        assert cu.current_device() == 1
        assert et.zeros(2, device="cuda").device == et.device("cuda:1")
    assert cu.current_device() == 0
    with cu.device(None):
        assert cu.current_device() == 0
    with pytest.raises(RuntimeError, match="invalid device ordinal 5"):
        cu.set_device(5)


def test_cuda_seed_sync_and_memory_reach_the_backend(fake_cuda):
    cu = eagertorch.cuda
    cu.manual_seed(7)
    assert fake_cuda.seeds == {0: 7}
    cu.manual_seed_all(3)
    assert fake_cuda.seeds == {0: 3, 1: 3}
    cu.synchronize(1)
    assert fake_cuda.synchronized == [1]
    fake_cuda.used = 100
    assert cu.memory_allocated() == 100
    fake_cuda.used = 40
    assert cu.memory_allocated() == 40
    assert cu.max_memory_allocated() == 100
    cu.reset_peak_memory_stats()
    assert cu.max_memory_allocated() == 40
    cu.empty_cache()
    assert fake_cuda.emptied == 1


# ----- moving tensors --------------------------------------------------------------------------
def test_to_cuda_and_back_copies_values_and_reports_device(fake_cuda):
    x = et.randn(3, 4)
    y = x.to("cuda")
    assert type(y._data) is FakeArray
    assert y.device == et.device("cuda:0") and y.is_cuda and not y.is_cpu
    assert y.get_device() == 0 and x.get_device() == -1
    assert y.cuda() is y and y.to("cuda:0") is y
    back = y.cpu()
    assert type(back._data) is np.ndarray and back.device == et.device("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert x.cuda(1).device == et.device("cuda:1")
    assert y.cuda(1).device == et.device("cuda:1")


def test_to_with_device_and_dtype_moves_and_casts(fake_cuda):
    x = et.arange(4)
    y = x.to("cuda", et.float32)
    assert y.device == "cuda:0" and y.dtype is et.float32
    y = x.to(device="cuda:1", dtype=et.float64)
    assert y.device == "cuda:1" and y.dtype is et.float64
    assert x.to(y).device == "cuda:1"


def test_gradient_flows_back_across_a_move(fake_cuda):
    x = et.randn(3, 4, requires_grad=True)
    y = (x.cuda() * 3).sum()
    assert y.device == "cuda:0"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 3.0))
    w = et.randn(2, requires_grad=True, device="cuda")
    assert w.is_leaf and w.device == "cuda:0"
    (w.cpu() ** 2).sum().backward()
    assert w.grad.device == "cuda:0"
    np.testing.assert_allclose(w.grad.cpu().numpy(), 2 * w.detach().cpu().numpy())


def test_numpy_of_a_cuda_tensor_tells_to_call_cpu_first(fake_cuda):
    y = et.ones(2).cuda()
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use "):
        y.numpy()
    assert y.cpu().numpy().tolist() == [1.0, 1.0]
    assert y.tolist() == [1.0, 1.0]


def test_op_on_two_devices_names_both(fake_cuda):
    a, b = et.ones(3), et.ones(3).cuda()
    msg = "Expected all tensors to be on the same device, but found at least two devices, cpu "
    with pytest.raises(RuntimeError, match=msg + "and cuda:0!"):
        a + b
    with pytest.raises(RuntimeError, match=msg + "and cuda:0!"):
        et.mul(a, b)
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1"):
        b + et.ones(3).cuda(1)


def test_cuda_ops_stay_on_device(fake_cuda):
    x = et.randn(4, 5).cuda()
    w = et.randn(5, 3, device="cuda")
    for out in (x @ w, x.sum(0), x.exp(), x.t(), x[1:], et.cat([x, x]), x.max(dim=1).values):
        assert out.device == "cuda:0", out


# ----- creation functions honour device= ------------------------------------------------------
CREATORS = {
    "tensor": lambda d: et.tensor([1.0, 2.0], device=d),
    "scalar_tensor": lambda d: et.scalar_tensor(1.0, device=d),
    "as_tensor": lambda d: et.as_tensor([1.0], device=d),
    "as_tensor(Tensor)": lambda d: et.as_tensor(et.ones(2), device=d),
    "asarray": lambda d: _creation.asarray([1.0], device=d),
    "zeros": lambda d: et.zeros(2, 3, device=d),
    "ones": lambda d: et.ones((2,), device=d),
    "empty": lambda d: et.empty(2, device=d),
    "full": lambda d: et.full((2,), 3.0, device=d),
    "eye": lambda d: et.eye(3, device=d),
    "arange": lambda d: et.arange(5, device=d),
    "linspace": lambda d: et.linspace(0, 1, 5, device=d),
    "logspace": lambda d: et.logspace(0, 1, 5, device=d),
    "rand": lambda d: et.rand(2, device=d),
    "randn": lambda d: et.randn(2, device=d),
    "randint": lambda d: et.randint(0, 5, (3,), device=d),
    "randperm": lambda d: et.randperm(4, device=d),
    "normal": lambda d: et.normal(0.0, 1.0, (3,), device=d),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_creation_functions_honour_device(fake_cuda, name):
    t = CREATORS[name]("cuda:1")
    assert t.device == et.device("cuda:1")
    assert type(t._data) is FakeArray
    assert CREATORS[name](None).device == "cpu"
    assert CREATORS[name](et.device("cuda")).device == "cuda:0"


@pytest.mark.parametrize(
    "make",
    [
        lambda x: et.zeros_like(x),
        lambda x: et.ones_like(x),
        lambda x: et.empty_like(x),
        lambda x: et.rand_like(x),
        lambda x: et.randn_like(x),
        lambda x: et.full_like(x, 2.0),
        lambda x: et.randint_like(x, 5),
        lambda x: x.new_zeros(2),
        lambda x: x.new_ones(2),
        lambda x: x.new_empty(2),
        lambda x: x.new_full((2,), 1.0),
        lambda x: x.new_tensor([1.0]),
        lambda x: et.bernoulli(et.full_like(x, 0.5)),
    ],
)
def test_like_and_new_functions_follow_the_input_device(fake_cuda, make):
    x = et.ones(3, device="cuda:1")
    assert make(x).device == "cuda:1"
    assert make(et.ones(3)).device == "cpu"


def test_requires_grad_creation_on_device_is_a_leaf(fake_cuda):
    t = et.zeros(2, device="cuda", requires_grad=True)
    assert t.is_leaf and t.requires_grad and t.grad_fn is None


# ----- modules, optimizers, data --------------------------------------------------------------
def _mlp():
    et.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def test_module_to_moves_parameters_in_place(fake_cuda):
    model = _mlp()
    params = list(model.parameters())
    assert model.to("cuda") is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.device == "cuda:0" and isinstance(p, nn.Parameter) for p in params)
    out = model(et.randn(5, 4, device="cuda"))
    assert out.device == "cuda:0"
    out.sum().backward()
    assert all(p.grad.device == "cuda:0" for p in params)
    model.cpu()
    assert all(p.device == "cpu" and p.grad.device == "cpu" for p in params)
    model.cuda(1)
    assert all(p.device == "cuda:1" for p in params)


def test_module_to_moves_buffers(fake_cuda):
    bn = nn.BatchNorm1d(3).to("cuda")
    assert bn.running_mean.device == "cuda:0" and bn.num_batches_tracked.device == "cuda:0"
    bn(et.randn(4, 3, device="cuda"))
    assert bn.running_mean.device == "cuda:0"
    assert int(bn.num_batches_tracked.cpu().item()) == 1


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_made_before_module_to_trains_on_device(fake_cuda, opt):
    cpu_model = _mlp()
    model = _mlp()
    kwargs = {"lr": 0.01} | ({"momentum": 0.9} if opt == "SGD" else {})
    cpu_opt = getattr(et.optim, opt)(cpu_model.parameters(), **kwargs)
    if opt == "Adagrad":  # state made in __init__: move first, as PyTorch requires too
        model.to("cuda")
    optimizer = getattr(et.optim, opt)(model.parameters(), **kwargs)
    model.to("cuda")
    x, y = et.randn(6, 4), et.randn(6, 2)
    for _ in range(2):
        for m, o, xx, yy in ((cpu_model, cpu_opt, x, y), (model, optimizer, x.cuda(), y.cuda())):
            o.zero_grad()
            nn.functional.mse_loss(m(xx), yy).backward()
            o.step()
    for p in model.parameters():
        assert p.device == "cuda:0"
        for v in optimizer.state[p].values():
            if isinstance(v, et.Tensor) and v.dim() > 0:
                assert v.device == "cuda:0", v
    for p, q in zip(model.parameters(), cpu_model.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-6)


def test_dataloader_batches_move_to_device(fake_cuda):
    from eagertorch.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(et.randn(10, 3), et.arange(10))
    seen = []
    for xb, yb in DataLoader(ds, batch_size=4):
        xb, yb = xb.to("cuda"), yb.to("cuda", non_blocking=True)
        assert xb.device == "cuda:0" and yb.device == "cuda:0" and yb.dtype is et.int64
        seen.extend(yb.cpu().tolist())
    assert seen == list(range(10))


def test_to_moves_between_two_gpus(fake_cuda):
    assert et.ones(2).cuda(0).to("cuda:1").device == "cuda:1"


def test_eagertorch_cuda_is_an_attribute_after_import():
    code = "import eagertorch, sys; print(eagertorch.cuda.is_available(), 'cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]
