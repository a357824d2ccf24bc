"""Optimizer-step workloads: W6a (Adam) and W6s (SGD with momentum) on 1M parameters.

Only the update is timed: gradients are fixed arrays and the optimizer state exists before
timing. The numpy baseline is the same update by hand with preallocated state, one scratch
buffer and ``out=`` ufuncs. The check compares the parameters after the first step.
"""

from __future__ import annotations

import numpy as np

from ..timing import Case, Target, Workload

F32 = np.float32
SHAPES = [(512, 1024), (1024,), (512, 512), (256, 832)]  # 1,000,448 parameters
QUICK_SHAPES = [(8, 16), (16,), (4, 4), (2, 3)]
LR_ADAM, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
LR_SGD, MOMENTUM = 1e-2, 0.9


def _data(quick: bool) -> dict:
    rng = np.random.default_rng(6)
    shapes = QUICK_SHAPES if quick else SHAPES
    return {
        "params": [rng.standard_normal(s, dtype=F32) for s in shapes],
        "grads": [1e-2 * rng.standard_normal(s, dtype=F32) for s in shapes],
    }


def _scratch(params) -> list:
    buf = np.empty(max(p.size for p in params), F32)
    return [buf[: p.size].reshape(p.shape) for p in params]


def _result(params) -> tuple:
    """(checksum 'loss', the parameters) for the first-step agreement check."""
    return float(sum(float(np.abs(p).sum()) for p in params)), {
        f"p{i}": p for i, p in enumerate(params)
    }


def _adam_numpy(np_, data) -> Case:
    params = [p.copy() for p in data["params"]]
    grads = data["grads"]
    ms = [np_.zeros_like(p) for p in params]
    vs = [np_.zeros_like(p) for p in params]
    tmps = _scratch(params)
    b1, b2 = BETAS
    t = [0]

    def step():
        t[0] += 1
        step_size = LR_ADAM / (1 - b1 ** t[0])
        bc2_sqrt = (1 - b2 ** t[0]) ** 0.5
        for p, g, m, v, tmp in zip(params, grads, ms, vs, tmps):
            np_.subtract(g, m, out=tmp)
            tmp *= 1 - b1
            m += tmp
            v *= b2
            np_.multiply(g, 1 - b2, out=tmp)
            tmp *= g
            v += tmp
            np_.sqrt(v, out=tmp)
            tmp /= bc2_sqrt
            tmp += EPS
            np_.divide(m, tmp, out=tmp)
            tmp *= -step_size
            p += tmp
        return _result(params)[0]

    return Case(step, lambda: _result(params)[1])


def _sgd_numpy(np_, data) -> Case:
    params = [p.copy() for p in data["params"]]
    grads = data["grads"]
    bufs: list = []
    tmps = _scratch(params)

    def step():
        if not bufs:
            bufs.extend(g.copy() for g in grads)  # PyTorch's first step: buf = grad
        else:
            for b, g in zip(bufs, grads):
                b *= MOMENTUM
                b += g
        for p, b, tmp in zip(params, bufs, tmps):
            np_.multiply(b, LR_SGD, out=tmp)
            p -= tmp
        return _result(params)[0]

    return Case(step, lambda: _result(params)[1])


def _framework(make_optimizer):
    def impl(T, data) -> Case:
        params = [T.tensor(p, requires_grad=True) for p in data["params"]]
        for p, g in zip(params, data["grads"]):
            p.grad = T.tensor(g)
        opt = make_optimizer(T, params)

        def arrays():
            return [p.detach().numpy() for p in params]

        def step():
            opt.step()
            return _result(arrays())[0]

        return Case(step, lambda: _result(arrays())[1])

    return impl


def _adam(T, params):
    return T.optim.Adam(params, lr=LR_ADAM, betas=BETAS, eps=EPS)


def _sgd(T, params):
    return T.optim.SGD(params, lr=LR_SGD, momentum=MOMENTUM)


_FRAMEWORK_ADAM = _framework(_adam)
_FRAMEWORK_SGD = _framework(_sgd)

W6a = Workload(
    id="W6a",
    title="Adam step alone, 1M parameters in 4 tensors",
    unit="ms",
    make_data=_data,
    impls={"numpy": _adam_numpy, "eagertorch": _FRAMEWORK_ADAM, "torch": _FRAMEWORK_ADAM},
    target=Target(1.2, "numpy"),
)

W6s = Workload(
    id="W6s",
    title="SGD(momentum=0.9) step alone, 1M parameters in 4 tensors",
    unit="ms",
    make_data=_data,
    impls={"numpy": _sgd_numpy, "eagertorch": _FRAMEWORK_SGD, "torch": _FRAMEWORK_SGD},
    target=Target(1.2, "numpy"),
)

WORKLOADS = (W6a, W6s)
