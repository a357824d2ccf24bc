"""Core tensor and autograd workloads: W1 (a tiny elementwise graph: Python overhead; W1a:
the same under anomaly detection), W4 (three 1024x1024 matmuls: BLAS), W5 (a 50-step tanh
RNN: many small ops).

Each workload has a data function (float32 arrays from a fixed seed, shared by every
implementation), a hand-written numpy implementation (forward and backward by hand, the
practical limit) and one framework implementation run as eagertorch and as torch.
"""

from __future__ import annotations

import numpy as np

from ..timing import Case, Target, Workload, framework_grads

F32 = np.float32


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- W1: ((x * y + x).exp() * 2).sum() on shape (4,) -------------------------------------


def _w1_data(quick: bool) -> dict:
    rng = _rng(1)
    return {"x": rng.standard_normal(4, dtype=F32), "y": rng.standard_normal(4, dtype=F32)}


def _w1_numpy(np_, data) -> Case:
    x, y = data["x"], data["y"]
    out = {}

    def step():
        s = np_.exp(x * y + x) * 2
        out["x"] = s * (y + 1)
        out["y"] = s * x
        return s.sum()

    return Case(step, lambda: dict(out))


def _w1_framework(T, data) -> Case:
    x = T.tensor(data["x"], requires_grad=True)
    y = T.tensor(data["y"], requires_grad=True)

    def step():
        x.grad = None
        y.grad = None
        z = ((x * y + x).exp() * 2).sum()
        z.backward()
        return z

    return Case(step, framework_grads(x=x, y=y))


W1 = Workload(
    id="W1",
    title="x, y (4,): ((x * y + x).exp() * 2).sum().backward()",
    unit="us",
    make_data=_w1_data,
    impls={"numpy": _w1_numpy, "eagertorch": _w1_framework, "torch": _w1_framework},
    target=Target(0.8, "torch"),
)


# --- W1a: W1 under anomaly detection: the cost of the opt-in per-op diagnostics -------------
# Every recorded op keeps its user line and stack and has its output checked for NaN, every
# node's gradients too (eagertorch.autograd.diagnostics); the always-on diagnostics are in W1.


def _w1a_framework(T, data) -> Case:
    case = _w1_framework(T, data)

    def step():
        with T.autograd.set_detect_anomaly(True):
            return case.step()

    return Case(step, case.grads)


W1a = Workload(
    id="W1a",
    title="W1 under set_detect_anomaly(True) (per-op diagnostics on)",
    unit="us",
    make_data=_w1_data,
    impls={"numpy": _w1_numpy, "eagertorch": _w1a_framework, "torch": _w1a_framework},
    target=Target(0.5, "torch"),
)


# --- W4: ((A @ B).relu() @ C).sum() with 1024x1024 matrices -------------------------------


def _w4_data(quick: bool) -> dict:
    n = 64 if quick else 1024
    rng = _rng(4)
    # C >= 0 keeps the loss a sum of non-negative terms, so float32 losses compare tightly.
    return {
        "A": rng.standard_normal((n, n), dtype=F32),
        "B": rng.standard_normal((n, n), dtype=F32),
        "C": rng.random((n, n), dtype=F32),
    }


def _w4_numpy(np_, data) -> Case:
    A, B, C = data["A"], data["B"], data["C"]
    out = {}

    def step():
        H = A @ B
        R = np_.maximum(H, 0)
        Y = R @ C
        loss = Y.sum()
        gY = np_.ones_like(Y)
        gH = gY @ C.T
        gH *= H > 0
        out["A"] = gH @ B.T
        out["B"] = A.T @ gH
        out["C"] = R.T @ gY
        return loss

    return Case(step, lambda: dict(out))


def _w4_framework(T, data) -> Case:
    A = T.tensor(data["A"], requires_grad=True)
    B = T.tensor(data["B"], requires_grad=True)
    C = T.tensor(data["C"], requires_grad=True)

    def step():
        A.grad = B.grad = C.grad = None
        loss = ((A @ B).relu() @ C).sum()
        loss.backward()
        return loss

    return Case(step, framework_grads(A=A, B=B, C=C))


W4 = Workload(
    id="W4",
    title="A, B, C 1024x1024: ((A @ B).relu() @ C).sum().backward()",
    unit="ms",
    make_data=_w4_data,
    impls={"numpy": _w4_numpy, "eagertorch": _w4_framework, "torch": _w4_framework},
    target=Target(1.05, "numpy"),
    flops=lambda data: 6 * 2.0 * data["A"].shape[0] ** 3,  # 2 matmuls forward, 4 backward
)


# --- W5: 50 steps of h = tanh(h @ W + x_t @ U + b), then h.sum().backward() -----------------


def _w5_data(quick: bool) -> dict:
    steps, batch, n_in, hidden = (5 if quick else 50), 8, 32, 64
    rng = _rng(5)
    return {
        "W": rng.standard_normal((hidden, hidden), dtype=F32) * F32(hidden**-0.5),
        "U": rng.standard_normal((n_in, hidden), dtype=F32) * F32(n_in**-0.5),
        # a positive bias keeps h.sum() away from cancellation, so losses compare tightly
        "b": rng.standard_normal(hidden, dtype=F32) * F32(0.1) + F32(0.5),
        "h0": np.zeros((batch, hidden), dtype=F32),
        "x": rng.standard_normal((steps, batch, n_in), dtype=F32),
    }


def _w5_numpy(np_, data) -> Case:
    W, U, b, h0, X = data["W"], data["U"], data["b"], data["h0"], data["x"]
    steps, batch, n_in = X.shape
    hidden = W.shape[1]
    X2 = X.reshape(steps * batch, n_in)
    out = {}

    def step():
        # All input projections in one matmul; the hidden states kept for the backward pass.
        XU = (X2 @ U).reshape(steps, batch, hidden)
        Hs = np_.empty((steps + 1, batch, hidden), dtype=W.dtype)
        Hs[0] = h = h0
        for t in range(steps):
            h = np_.tanh(h @ W + XU[t] + b, out=Hs[t + 1])
        loss = h.sum()
        G = np_.empty((steps, batch, hidden), dtype=W.dtype)  # grads of the pre-activations
        gh = np_.ones_like(h)
        for t in range(steps - 1, -1, -1):
            h = Hs[t + 1]
            g = np_.multiply(gh, 1 - h * h, out=G[t])
            if t:
                gh = g @ W.T
        G2 = G.reshape(steps * batch, hidden)
        out["W"] = Hs[:-1].reshape(steps * batch, hidden).T @ G2
        out["U"] = X2.T @ G2
        out["b"] = G2.sum(0)
        return loss

    return Case(step, lambda: dict(out))


def _w5_framework(T, data) -> Case:
    W = T.tensor(data["W"], requires_grad=True)
    U = T.tensor(data["U"], requires_grad=True)
    b = T.tensor(data["b"], requires_grad=True)
    h0 = T.tensor(data["h0"])
    xs = [T.tensor(x_t) for x_t in data["x"]]

    def step():
        W.grad = U.grad = b.grad = None
        h = h0
        for x_t in xs:
            h = T.tanh(h @ W + x_t @ U + b)
        loss = h.sum()
        loss.backward()
        return loss

    return Case(step, framework_grads(W=W, U=U, b=b))


W5 = Workload(
    id="W5",
    title="RNN hidden 64, input 32, batch 8: 50 x tanh(h @ W + x_t @ U + b), backward",
    unit="ms",
    make_data=_w5_data,
    impls={"numpy": _w5_numpy, "eagertorch": _w5_framework, "torch": _w5_framework},
    target=Target(1.0, "torch"),
)

WORKLOADS = [W1, W1a, W4, W5]
