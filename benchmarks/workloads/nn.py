"""nn workloads: W2 (an MLP training step) and W3 (a small CNN training step).

Each workload has a data function (float32 arrays from a fixed seed, shared by every
implementation, parameters drawn as PyTorch's default init draws them), a hand-written numpy
step (forward, backward and SGD update by hand: the practical limit) and one framework step
written against the PyTorch API, run as eagertorch and as torch. To add a workload, write
its three functions and a ``Workload`` below, and list it in ``WORKLOADS``.
"""

from __future__ import annotations

import numpy as np

from ..timing import Case, Target, Workload, framework_grads

F32 = np.float32
LR = 0.01


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _uniform(rng, shape, fan_in: int) -> np.ndarray:
    """PyTorch's default Linear/Conv init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = fan_in**-0.5
    return rng.uniform(-bound, bound, shape).astype(F32)


def _state_dict(T, data: dict, names: dict) -> dict:
    """A framework state_dict from the shared arrays: ``names`` maps keys to data keys."""
    return {key: T.tensor(data[src]) for key, src in names.items()}


def _sgd(params: dict, grads: dict) -> None:
    for name, p in params.items():
        p -= F32(LR) * grads[name]


def _cross_entropy_numpy(np_, logits, labels) -> tuple:
    """Mean cross-entropy over integer labels and its gradient with respect to the logits."""
    n = logits.shape[0]
    shifted = logits - logits.max(1, keepdims=True)
    e = np_.exp(shifted)
    s = e.sum(1, keepdims=True)
    rows = np_.arange(n)
    loss = (np_.log(s[:, 0]) - shifted[rows, labels]).mean()
    g = e / s
    g[rows, labels] -= 1
    g /= F32(n)
    return loss, g


# --- W2: MLP 784-256-128-10, ReLU, cross-entropy on int labels, batch 64, SGD ----------------

W2_PARAMS = {
    "0.weight": "w1",
    "0.bias": "b1",
    "2.weight": "w2",
    "2.bias": "b2",
    "4.weight": "w3",
    "4.bias": "b3",
}


def _w2_data(quick: bool) -> dict:
    rng = _rng(2)
    batch = 8 if quick else 64
    return {
        "x": rng.standard_normal((batch, 784), dtype=F32),
        "y": rng.integers(0, 10, batch),
        "w1": _uniform(rng, (256, 784), 784),
        "b1": _uniform(rng, (256,), 784),
        "w2": _uniform(rng, (128, 256), 256),
        "b2": _uniform(rng, (128,), 256),
        "w3": _uniform(rng, (10, 128), 128),
        "b3": _uniform(rng, (10,), 128),
    }


def _w2_numpy(np_, data) -> Case:
    x, y = data["x"], data["y"]
    params = {k: data[k].copy() for k in W2_PARAMS.values()}
    out = {}

    def step():
        p = params
        h1 = x @ p["w1"].T + p["b1"]
        a1 = np_.maximum(h1, 0)
        h2 = a1 @ p["w2"].T + p["b2"]
        a2 = np_.maximum(h2, 0)
        logits = a2 @ p["w3"].T + p["b3"]
        loss, g = _cross_entropy_numpy(np_, logits, y)
        out["w3"], out["b3"] = g.T @ a2, g.sum(0)
        g = (g @ p["w3"]) * (h2 > 0)
        out["w2"], out["b2"] = g.T @ a1, g.sum(0)
        g = (g @ p["w2"]) * (h1 > 0)
        out["w1"], out["b1"] = g.T @ x, g.sum(0)
        _sgd(params, out)
        return loss

    return Case(step, lambda: dict(out))


def _w2_framework(T, data) -> Case:
    nn, F = T.nn, T.nn.functional
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    model.load_state_dict(_state_dict(T, data, W2_PARAMS))
    opt = T.optim.SGD(model.parameters(), lr=LR)
    x, y = T.tensor(data["x"]), T.tensor(data["y"])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    named = dict(model.named_parameters())
    return Case(step, framework_grads(**{W2_PARAMS[k]: named[k] for k in W2_PARAMS}))


W2 = Workload(
    id="W2",
    title="MLP 784-256-128-10, ReLU, cross-entropy on int labels, batch 64, SGD step",
    unit="ms",
    make_data=_w2_data,
    impls={"numpy": _w2_numpy, "eagertorch": _w2_framework, "torch": _w2_framework},
    target=Target(1.2, "numpy"),
)


# --- W3: conv(1->8)-ReLU-maxpool2-conv(8->16)-ReLU-maxpool2-flatten-linear(784->10) --------

W3_PARAMS = {
    "0.weight": "w1",
    "0.bias": "b1",
    "3.weight": "w2",
    "3.bias": "b2",
    "7.weight": "w3",
    "7.bias": "b3",
}


def _w3_data(quick: bool) -> dict:
    rng = _rng(3)
    batch = 4 if quick else 32
    return {
        "x": rng.standard_normal((batch, 1, 28, 28), dtype=F32),
        "y": rng.integers(0, 10, batch),
        "w1": _uniform(rng, (8, 1, 3, 3), 9),
        "b1": _uniform(rng, (8,), 9),
        "w2": _uniform(rng, (16, 8, 3, 3), 72),
        "b2": _uniform(rng, (16,), 72),
        "w3": _uniform(rng, (10, 784), 784),
        "b3": _uniform(rng, (10,), 784),
    }


class _Conv3x3:
    """A 3x3, padding-1 convolution by hand, NCHW. im2col copies, per image, channel and
    kernel offset, ONE contiguous run of a row-padded flat buffer (the runs wrap across row
    ends where the padding columns would be; those entries are zeroed), then one batched
    matmul. Backward reuses the im2col buffer for the weight gradient and adds the input
    gradient's windows back as 9 contiguous runs (col2im)."""

    def __init__(self, np_, n: int, c: int, h: int, w: int) -> None:
        self.np, self.shape = np_, (n, c, h, w)
        plane = (h + 2) * w
        # one slack element before and after the images: the runs start at i*w + j - 1
        self.xflat = np_.zeros(n * c * plane + 2, F32)
        self.gflat = np_.empty(n * c * plane + 2, F32)
        self.ximg = self.xflat[1:-1].reshape(n, c, h + 2, w)
        self.gimg = self.gflat[1:-1].reshape(n, c, h + 2, w)
        item = self.xflat.itemsize
        strides = (c * plane * item, plane * item, w * item, item, item)
        stride_tricks = np_.lib.stride_tricks
        self.windows = stride_tricks.as_strided(self.xflat, (n, c, 3, 3, h * w), strides)
        run_strides = (*strides[:2], item)
        self.runs = [
            stride_tricks.as_strided(self.gflat[i * w + j :], (n, c, h * w), run_strides)
            for i in range(3)
            for j in range(3)
        ]
        self.cols = np_.empty((n, c, 3, 3, h, w), F32)

    def _zero_edges(self, cols) -> None:
        cols[:, :, :, 0, :, 0] = 0  # kernel column 0 reads left of column 0
        cols[:, :, :, 2, :, -1] = 0  # kernel column 2 reads right of the last column

    def forward(self, x, weight, bias):
        n, c, h, w = self.shape
        self.ximg[:, :, 1:-1] = x
        self.np.copyto(self.cols.reshape(n, c, 3, 3, h * w), self.windows)
        self._zero_edges(self.cols)
        out = weight.reshape(weight.shape[0], -1) @ self.cols.reshape(n, c * 9, h * w)
        out += bias[:, None]
        return out.reshape(n, -1, h, w)

    def backward(self, g, weight, need_input: bool = True) -> tuple:
        n, c, h, w = self.shape
        g = g.reshape(n, g.shape[1], h * w)
        gb = g.sum((0, 2))
        cols = self.cols.reshape(n, c * 9, h * w)
        gw = (g @ cols.transpose(0, 2, 1)).sum(0).reshape(weight.shape)
        if not need_input:
            return None, gw, gb
        gcols = weight.reshape(weight.shape[0], -1).T @ g
        self._zero_edges(gcols.reshape(n, c, 3, 3, h, w))
        gcols = gcols.reshape(n, c, 9, h * w)
        self.gflat.fill(0)
        for k, dst in enumerate(self.runs):
            dst += gcols[:, :, k]
        return self.gimg[:, :, 1:-1], gw, gb


def _relu_maxpool2(np_, z) -> tuple:
    """ReLU then 2x2 max-pool through strided slices; the mask routes the gradient back."""
    r = np_.maximum(z, 0)
    n, c, h, w = r.shape
    q = r.reshape(n, c, h // 2, 2, w // 2, 2)
    p = np_.maximum(
        np_.maximum(q[:, :, :, 0, :, 0], q[:, :, :, 0, :, 1]),
        np_.maximum(q[:, :, :, 1, :, 0], q[:, :, :, 1, :, 1]),
    )
    # Ties inside a window are ReLU zeros, whose gradient the ReLU mask drops anyway.
    mask = (q == p[:, :, :, None, :, None]) & (q > 0)
    return p, mask


def _unpool_relu(g, mask):
    n, c, h2, _, w2, _ = mask.shape
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, 2 * h2, 2 * w2)


def _w3_numpy(np_, data) -> Case:
    x, y = data["x"], data["y"]
    params = {k: data[k].copy() for k in ("w1", "b1", "w2", "b2", "w3", "b3")}
    n = x.shape[0]
    conv1 = _Conv3x3(np_, n, 1, 28, 28)
    conv2 = _Conv3x3(np_, n, 8, 14, 14)
    out = {}

    def step():
        p = params
        z1 = conv1.forward(x, p["w1"], p["b1"])
        a1, m1 = _relu_maxpool2(np_, z1)
        z2 = conv2.forward(a1, p["w2"], p["b2"])
        a2, m2 = _relu_maxpool2(np_, z2)
        flat = a2.reshape(n, 784)
        logits = flat @ p["w3"].T + p["b3"]
        loss, g = _cross_entropy_numpy(np_, logits, y)
        out["w3"] = g.T @ flat
        out["b3"] = g.sum(0)
        g = _unpool_relu((g @ p["w3"]).reshape(n, 16, 7, 7), m2)
        g, out["w2"], out["b2"] = conv2.backward(g, p["w2"])
        g = _unpool_relu(g, m1)
        _, out["w1"], out["b1"] = conv1.backward(g, p["w1"], need_input=False)
        _sgd(params, out)
        return loss

    return Case(step, lambda: dict(out))


def _w3_framework(T, data) -> Case:
    nn, F = T.nn, T.nn.functional
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(784, 10),
    )
    model.load_state_dict(_state_dict(T, data, W3_PARAMS))
    opt = T.optim.SGD(model.parameters(), lr=LR)
    x, y = T.tensor(data["x"]), T.tensor(data["y"])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    named = dict(model.named_parameters())
    return Case(step, framework_grads(**{W3_PARAMS[k]: named[k] for k in W3_PARAMS}))


W3 = Workload(
    id="W3",
    title="CNN (32,1,28,28): conv 1->8 3x3, ReLU, maxpool 2, conv 8->16 3x3, ReLU, maxpool 2, "
    "linear 784->10, cross-entropy, SGD step",
    unit="ms",
    make_data=_w3_data,
    impls={"numpy": _w3_numpy, "eagertorch": _w3_framework, "torch": _w3_framework},
    target=Target(2.0, "torch"),
)

WORKLOADS = [W2, W3]
