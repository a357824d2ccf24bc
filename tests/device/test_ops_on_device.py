"""Every op of the op table, every nn layer type and every optimizer on the fake ``cuda``.

Each case runs on the cpu and on fake GPU 1 from the same inputs and must give the same
forward values and gradients, with results and gradients on the input's device. The fake
GPU (fake_cuda.py) raises TypeError when a host array meets a device array, so any code
path that builds plain numpy arrays instead of using the input's array module fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn, optim
from tests.ops.test_op_db import OPS

from .fake_cuda import FakeArray

DEV = "cuda:1"  # not the current device: catches arrays created on the default device

_SETTINGS = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _on(x, dev):
    if isinstance(x, et.Tensor):
        return x.detach().to(dev)
    if isinstance(x, (list, tuple)):
        return type(x)(_on(v, dev) for v in x)
    if isinstance(x, dict):
        return {k: _on(v, dev) for k, v in x.items()}
    return x


def _tensors(out):
    if isinstance(out, et.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _tensors(o)]
    return []


def _assert_on_device(t, dev="cuda:1"):
    assert t.device == et.device(dev), f"{t.device} != {dev}"
    assert isinstance(t._data, FakeArray) if dev != "cpu" else type(t._data) is np.ndarray


def _close(gpu, cpu, what, rtol=1e-9, atol=1e-12, dev=DEV):
    _assert_on_device(gpu, dev)
    np.testing.assert_allclose(
        gpu.detach().cpu().numpy(),
        cpu.detach().numpy(),
        rtol=rtol,
        atol=atol,
        err_msg=what,
        equal_nan=True,
    )


def _run(spec, arrays, kwargs, dev):
    diff = range(len(arrays)) if spec.diff_args is None else spec.diff_args
    xs = [et.tensor(a).to(dev) for a in arrays]
    for i in diff:
        if spec.grad:
            xs[i].requires_grad_()
    # Specs build index/helper tensors inside ``op``: create those on ``dev`` too, as
    # torch.set_default_device does.
    et.set_default_device(dev)
    try:
        out = spec.op(*xs, **_on(kwargs, dev))
    finally:
        et.set_default_device(None)
    grads = []
    target = spec.output(out)
    if spec.grad and isinstance(target, et.Tensor) and target.requires_grad:
        w = np.random.default_rng(1).uniform(0.5, 1.5, target.shape)
        (target * et.tensor(w).to(dev)).sum().backward()
        grads = [xs[i].grad for i in diff]
    return out, grads


@pytest.mark.parametrize("spec", OPS, ids=repr)
@_SETTINGS
@given(data=st.data())
def test_op_on_fake_cuda_matches_cpu(spec, data, fake_cuda):
    shapes = data.draw(spec.shape_strategy(), label="shapes")
    kwargs = data.draw(spec.kwargs(shapes), label="kwargs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    arrays = [rng.uniform(spec.low, spec.high, s) for s in shapes]
    assume(spec.valid is None or bool(spec.valid(*arrays, **kwargs)))
    cpu_out, cpu_grads = _run(spec, arrays, kwargs, "cpu")
    gpu_out, gpu_grads = _run(spec, arrays, kwargs, DEV)
    cpu_t, gpu_t = _tensors(cpu_out), _tensors(gpu_out)
    assert len(cpu_t) == len(gpu_t)
    for i, (g, c) in enumerate(zip(gpu_t, cpu_t)):
        assert g.dtype == c.dtype
        _close(g, c, f"{spec.name} output {i}")
    assert len(gpu_grads) == len(cpu_grads)
    for i, (g, c) in enumerate(zip(gpu_grads, cpu_grads)):
        if c is None:
            assert g is None
        else:
            _close(g, c, f"{spec.name} grad of input {i}")


# ----- nn layers ------------------------------------------------------------------------------
def _seeded(make):
    et.manual_seed(0)
    return make()


LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (2, 4)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1, stride=2), (2, 2, 5, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (2, 2, 3, 3)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, padding=1), (2, 2, 4, 4)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 4)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
    "BatchNorm2d-eval": (lambda: nn.BatchNorm2d(3).eval(), (4, 3, 2, 2)),
    "LayerNorm": (lambda: nn.LayerNorm(4), (3, 4)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3)),
    "Dropout-eval": (lambda: nn.Dropout(0.5).eval(), (3, 4)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 2)),
    **{
        name: (getattr(nn, name), (3, 4))
        for name in [
            "ReLU",
            "ReLU6",
            "LeakyReLU",
            "ELU",
            "SELU",
            "CELU",
            "GELU",
            "SiLU",
            "Mish",
            "Sigmoid",
            "Tanh",
            "Softplus",
            "Softsign",
            "Hardtanh",
            "Hardsigmoid",
            "Hardswish",
            "LogSigmoid",
            "Tanhshrink",
            "Softshrink",
            "Hardshrink",
            "PReLU",
        ]
    },
    "Softmax": (lambda: nn.Softmax(dim=1), (3, 4)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (3, 4)),
    "GLU": (lambda: nn.GLU(), (3, 4)),
}


def _layer_run(make, x, dev):
    m = _seeded(make).double().to(dev)
    xt = et.tensor(x).to(dev).requires_grad_()
    out = m(xt)
    w = np.random.default_rng(2).uniform(0.5, 1.5, out.shape)
    (out * et.tensor(w).to(dev)).sum().backward()
    params = {n: p.grad for n, p in m.named_parameters()}
    buffers = dict(m.named_buffers())
    return out, xt.grad, params, buffers


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_forward_backward_on_fake_cuda_matches_cpu(name, fake_cuda):
    make, shape = LAYERS[name]
    x = np.random.default_rng(0).uniform(-2, 2, shape)
    c_out, c_gx, c_params, c_buf = _layer_run(make, x, "cpu")
    g_out, g_gx, g_params, g_buf = _layer_run(make, x, DEV)
    _close(g_out, c_out, "output")
    _close(g_gx, c_gx, "input grad")
    assert g_params.keys() == c_params.keys()
    for n in c_params:
        _close(g_params[n], c_params[n], f"grad of {n}")
    for n in c_buf:
        if c_buf[n] is not None:
            _close(g_buf[n], c_buf[n], f"buffer {n}")


def test_embedding_on_fake_cuda_matches_cpu(fake_cuda):
    idx = np.array([[0, 2, 4], [4, 3, 0]])
    results = []
    for dev in ("cpu", DEV):
        m = _seeded(lambda: nn.Embedding(5, 3, padding_idx=0)).double().to(dev)
        out = m(et.tensor(idx).to(dev))
        (out * et.arange(3, dtype=et.float64, device=dev)).sum().backward()
        results.append((out, m.weight.grad))
    _close(results[1][0], results[0][0], "embedding output")
    _close(results[1][1], results[0][1], "embedding weight grad")


LOSSES = {
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), (4, 5), np.array([0, 4, 2, 1])),
    "CrossEntropyLoss-smoothing": (
        lambda: nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=2),
        (4, 5),
        np.array([0, 4, 2, 1]),
    ),
    "CrossEntropyLoss-weight": (
        lambda: nn.CrossEntropyLoss(weight=et.linspace(0.5, 1.5, 5, dtype=et.float64)),
        (4, 5),
        np.array([0, 4, 2, 1]),
    ),
    "CrossEntropyLoss-probs": (
        lambda: nn.CrossEntropyLoss(),
        (4, 5),
        np.full((4, 5), 0.2),
    ),
    "MSELoss": (lambda: nn.MSELoss(), (3, 4), np.linspace(-1, 1, 12).reshape(3, 4)),
    "BCEWithLogitsLoss": (
        lambda: nn.BCEWithLogitsLoss(pos_weight=et.tensor([1.0, 2.0, 0.5, 1.0])),
        (3, 4),
        np.linspace(0, 1, 12).reshape(3, 4),
    ),
    "NLLLoss": (lambda: nn.NLLLoss(), (4, 5), np.array([0, 4, 2, 1])),
    "L1Loss": (lambda: nn.L1Loss(), (3, 4), np.linspace(-1, 1, 12).reshape(3, 4)),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(), (3, 4), np.linspace(-1, 1, 12).reshape(3, 4)),
    "HuberLoss": (lambda: nn.HuberLoss(), (3, 4), np.linspace(-1, 1, 12).reshape(3, 4)),
    "KLDivLoss": (
        lambda: nn.KLDivLoss(reduction="batchmean"),
        (3, 4),
        np.full((3, 4), 0.25),
    ),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_on_fake_cuda_matches_cpu(name, fake_cuda):
    make, shape, target = LOSSES[name]
    x = np.random.default_rng(0).uniform(-2, 2, shape)
    results = []
    for dev in ("cpu", DEV):
        loss_fn = make().to(dev)
        xt = et.tensor(x).to(dev).requires_grad_()
        loss = loss_fn(xt, et.tensor(target).to(dev))
        loss.backward()
        results.append((loss, xt.grad))
    _close(results[1][0], results[0][0], "loss")
    _close(results[1][1], results[0][1], "input grad")


# ----- optimizers -----------------------------------------------------------------------------
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
    "Adamax": lambda p: optim.Adamax(p, lr=0.01),
    "NAdam": lambda p: optim.NAdam(p, lr=0.01),
    "RAdam": lambda p: optim.RAdam(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "Adadelta": lambda p: optim.Adadelta(p),
    "LBFGS": lambda p: optim.LBFGS(p, lr=0.5, max_iter=3),
}


def _train(make_opt, dev, steps=3):
    model = _seeded(lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)))
    model = model.double().to(dev)
    opt = make_opt(model.parameters())
    x = et.tensor(np.linspace(-1, 1, 15).reshape(5, 3)).to(dev)
    y = et.tensor(np.linspace(0, 1, 10).reshape(5, 2)).to(dev)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return model, opt


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_step_on_fake_cuda_matches_cpu(name, fake_cuda):
    cpu_model, _ = _train(OPTIMIZERS[name], "cpu")
    gpu_model, gpu_opt = _train(OPTIMIZERS[name], DEV)
    for (n, c), g in zip(cpu_model.named_parameters(), gpu_model.parameters()):
        _close(g.detach(), c.detach(), f"{name}: parameter {n}")
    for state in gpu_opt.state.values():
        for v in state.values():
            if isinstance(v, et.Tensor) and v.dim() > 0:
                _assert_on_device(v)


def _train_split(make_opt, first, second, steps=3):
    """A model whose two layers live on devices ``first`` and ``second``."""
    a, b = _seeded(lambda: (nn.Linear(3, 4), nn.Linear(4, 2)))
    a, b = a.double().to(first), b.double().to(second)
    opt = make_opt([*a.parameters(), *b.parameters()])
    x = et.tensor(np.linspace(-1, 1, 15).reshape(5, 3)).to(first)
    y = et.tensor(np.linspace(0, 1, 10).reshape(5, 2)).to(second)
    for _ in range(steps):
        opt.zero_grad()
        ((b(a(x).tanh().to(second)) - y) ** 2).mean().backward()
        opt.step()
    return [*a.parameters(), *b.parameters()], opt


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "LBFGS"])
def test_optimizer_step_over_two_gpus_matches_cpu(name, fake_cuda):
    cpu_params, _ = _train_split(OPTIMIZERS[name], "cpu", "cpu")
    gpu_params, gpu_opt = _train_split(OPTIMIZERS[name], "cuda:0", DEV)
    for i, (g, c) in enumerate(zip(gpu_params, cpu_params)):
        _close(g.detach(), c.detach(), f"{name}: parameter {i}", dev=g.device)
    assert gpu_opt.param_groups[0]["params"] == gpu_params  # restored after the step
    assert fake_cuda.current_device() == 0


# Ops that compute outside ArrayFunction.apply (no graph): they too must run on GPU 1.
UNRECORDED = {
    "isnan": lambda x, i: et.isnan(x),
    "isinf": lambda x, i: et.isinf(x),
    "isfinite": lambda x, i: et.isfinite(x),
    "signbit": lambda x, i: et.signbit(x),
    "logical_not": lambda x, i: et.logical_not(x),
    "isclose": lambda x, i: et.isclose(x, x * 1.5),
    "bitwise_and": lambda x, i: et.bitwise_and(i, i + 1),
    "bitwise_not": lambda x, i: et.bitwise_not(i),
    "nonzero": lambda x, i: et.nonzero(x),
    "nonzero-tuple": lambda x, i: et.nonzero(x, as_tuple=True),
}


@pytest.mark.parametrize("name", list(UNRECORDED))
def test_unrecorded_op_on_a_non_current_gpu_matches_cpu(name, fake_cuda):
    x = et.tensor([1.0, float("nan"), -2.0, 0.0, float("inf")])
    i = et.tensor([1, 0, 3])
    cpu = _tensors(UNRECORDED[name](x, i))
    gpu = _tensors(UNRECORDED[name](x.to(DEV), i.to(DEV)))
    for g, c in zip(gpu, cpu, strict=True):
        _assert_on_device(g)
        np.testing.assert_array_equal(g.cpu().numpy(), c.numpy(), err_msg=name)


def test_allclose_and_equal_on_a_non_current_gpu(fake_cuda):
    x = et.tensor([1.0, 2.0]).to(DEV)
    assert et.allclose(x, x + 1e-9) and not et.allclose(x, x + 1)
    assert et.equal(x, x.clone()) and not et.equal(x, x + 1)


# ----- core -----------------------------------------------------------------------------------
def test_manual_seed_seeds_every_initialised_gpu(fake_cuda):
    et.manual_seed(123)
    assert fake_cuda.seeds == {0: 123, 1: 123}


def test_default_device_places_creation_functions(fake_cuda):
    et.set_default_device("cuda:1")
    try:
        assert et.zeros(2).device == et.device("cuda:1")
        assert et.tensor([1, 2]).device == et.device("cuda:1")
        assert et.get_default_device() == et.device("cuda:1")
    finally:
        et.set_default_device(None)
    assert et.zeros(2).device == et.device("cpu")


def test_backward_creates_gradients_on_the_inputs_device_not_the_current_one(fake_cuda):
    x = et.ones(3, device="cuda:1", requires_grad=True)
    x.exp().sum().backward()
    _assert_on_device(x.grad)


@pytest.mark.parametrize("mode", ["linear", "bilinear"])
def test_interpolate_on_two_gpus_gives_each_its_own_device(mode, fake_cuda):
    # The resampling maps are cached per size and reused: GPU 1 must not get GPU 0's copies.
    shape = (2, 3, 4) if mode == "linear" else (2, 3, 4, 5)
    x = np.random.default_rng(0).uniform(-2, 2, shape)
    w = np.random.default_rng(1).uniform(0.5, 1.5, (*shape[:2], *(2 * n for n in shape[2:])))
    results = {}
    for dev in ("cpu", "cuda:0", "cuda:1"):
        xt = et.tensor(x).to(dev).requires_grad_()
        out = nn.functional.interpolate(xt, scale_factor=2, mode=mode, align_corners=False)
        (out * et.tensor(w).to(dev)).sum().backward()
        results[dev] = (out, xt.grad)
    for dev in ("cuda:0", "cuda:1"):
        for g, c, what in zip(results[dev], results["cpu"], ("output", "input grad")):
            _close(g, c, f"{mode} {what} on {dev}", dev=dev)


# ----- index keys built from host data ----------------------------------------------------------
# Lists, numpy arrays, Python bools and cpu index tensors in a key become device arrays
# outside any op: they must land on the input's GPU (1), not the current one (0).
def _set(key, value=lambda v: v):
    def op(x, v):
        y = x * 1.0
        y[key] = value(v) if callable(value) else value
        return y

    return op


def _set_no_grad(key):
    def op(x, v):
        y = x.detach().clone()
        y[key] = 7.0  # nothing requires grad: written straight into the array
        return y * x

    return op


KEY_CASES = {
    "getitem-list": lambda x, v: x[[0, 0, 2]],
    "getitem-numpy-int": lambda x, v: x[np.array([[3, 0], [3, 1]])],
    "getitem-numpy-int32": lambda x, v: x[np.array([2, 2, 0], np.int32)],
    "getitem-numpy-bool": lambda x, v: x[np.array([True, False, True, True])],
    "getitem-numpy-bool-2d": lambda x, v: x[np.arange(12).reshape(4, 3) % 5 < 2],
    "getitem-slice-list": lambda x, v: x[1:, [0, 2, 0]],
    "getitem-list-slice-list": lambda x, v: x[[0, 3], ::2, None][[1, 1, 0]],
    "getitem-int-list": lambda x, v: x[0, [2, 2, 1]],
    "getitem-list-list": lambda x, v: x[[0, 3, 3], [2, 0, 2]],
    "getitem-bool-scalar": lambda x, v: x[True],
    "getitem-list-of-lists-tuple": lambda x, v: x[[[0, 1], [1, 2]]],
    "getitem-cpu-tensor": lambda x, v: x[et.tensor([3, 1, 3])],
    "getitem-cpu-tensor-and-list": lambda x, v: x[et.tensor([3, 1]), [0, 2]],
    "setitem-list": _set([0, 2]),
    "setitem-list-scalar": _set([0, 2, 0], 5.0),
    "setitem-numpy-int": _set(np.array([3, 1])),
    "setitem-numpy-bool": _set(np.array([True, False, False, True])),
    "setitem-slice-list": _set((slice(1, None), [0, 2]), lambda v: v.T),
    "setitem-int-list": _set((0, [0, 2]), lambda v: v[1, :2]),
    "setitem-cpu-tensor": _set(et.tensor([1, 3])),
    "setitem-list-no-grad": _set_no_grad([0, 2, 0]),
    "setitem-numpy-bool-no-grad": _set_no_grad(np.array([True, False, False, True])),
    "index_put-cpu-tensors": lambda x, v: et.index_put(x, [et.tensor([0, 2])], v),
    "index_put-cpu-tensors-accumulate": lambda x, v: x.index_put(
        (et.tensor([0, 2, 0]),), et.cat([v, v[:1]]), accumulate=True
    ),
    "index_put-cpu-bool-mask": lambda x, v: x.index_put(
        (et.tensor([True, False, True, False]),), v
    ),
}


def _key_run(op, dev):
    rng = np.random.default_rng(3)
    x = et.tensor(rng.uniform(-2, 2, (4, 3))).to(dev).requires_grad_()
    v = et.tensor(rng.uniform(-2, 2, (2, 3))).to(dev).requires_grad_()
    out = op(x, v)
    w = np.random.default_rng(4).uniform(0.5, 1.5, out.shape)
    (out * et.tensor(w).to(dev)).sum().backward()
    return out, x.grad, v.grad


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("name", list(KEY_CASES))
def test_host_index_keys_on_a_non_current_gpu_match_cpu(name, fake_cuda):
    cpu = _key_run(KEY_CASES[name], "cpu")
    gpu = _key_run(KEY_CASES[name], DEV)
    for g, c, what in zip(gpu, cpu, ("output", "grad of input", "grad of values")):
        if c is None:
            assert g is None, what
        else:
            _close(g, c, f"{name}: {what}")


def test_index_key_warnings_on_a_gpu_name_the_callers_line(fake_cuda):
    x = et.zeros(4, 3, device=DEV)
    with pytest.warns(UserWarning, match="non-tuple sequence") as got:
        x[[0, slice(None)]]
    assert got[0].filename == __file__
    with pytest.warns(UserWarning, match="non-tuple sequence") as got:
        x[[0, slice(None)]] = 1.0
    assert got[0].filename == __file__


# take, put and take_along_dim(dim=None) turn flat positions into a key outside any op: on
# GPU 1 that must run with GPU 1 current (else cupy computes on GPU 0, or raises without
# peer access, as under the fake_cuda fixture).
FLAT_CASES = {
    "take": lambda x, v, i: et.take(x, i),
    "take_along_dim-flat": lambda x, v, i: et.take_along_dim(x, i),
    "put": lambda x, v, i: x.put(i[:3], v.reshape(-1)[:3]),
    "put-accumulate": lambda x, v, i: x.put(i, v.reshape(-1)[:4], accumulate=True),
}


@pytest.mark.parametrize("name", list(FLAT_CASES))
def test_flat_index_keys_on_a_non_current_gpu_without_peer_access(name, fake_cuda):
    def op(x, v):
        return FLAT_CASES[name](x, v, et.tensor([-1, 0, 5, 11]).to(x.device))

    cpu = _key_run(op, "cpu")
    gpu = _key_run(op, DEV)
    for g, c, what in zip(gpu, cpu, ("output", "grad of input", "grad of values")):
        if c is None:
            assert g is None, what
        else:
            _close(g, c, f"{name}: {what}")
