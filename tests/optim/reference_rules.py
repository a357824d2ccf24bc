"""Published optimizer update rules written plainly in numpy, and a tiny model to train.

These references follow the algorithm descriptions (the papers and PyTorch's documented
pseudo-code), not eagertorch's operation order, so they check the mathematics of each
update. The model is ``loss = mean((tanh(x @ W1 + b1) @ W2 - y) ** 2)`` with fixed data.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(1234)
X = _rng.standard_normal((8, 4))
Y = _rng.standard_normal((8, 2))
INIT = (
    0.5 * _rng.standard_normal((4, 3)),
    0.1 * _rng.standard_normal(3),
    0.5 * _rng.standard_normal((3, 2)),
)


def loss_fn(W1, b1, W2, x, y):
    """The model's loss on any library's tensors (eagertorch or PyTorch)."""
    return ((x @ W1 + b1).tanh() @ W2 - y).pow(2).mean()


def numpy_grads(params):
    """Gradients of the model's loss at ``params`` (W1, b1, W2), by hand in float64."""
    W1, b1, W2 = params
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 - Y
    g_out = 2.0 * out / out.size
    g_z = (g_out @ W2.T) * (1.0 - h**2)
    return [X.T @ g_z, g_z.sum(0), h.T @ g_out]


def _decayed(g, theta, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * theta if weight_decay else g


class RefSGD:
    def __init__(
        self, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False
    ):
        self.__dict__.update(locals())
        self.b = {}

    def update(self, i, theta, g, t):
        g = _decayed(g, theta, self.weight_decay, self.maximize)
        if self.momentum:
            if t == 1:
                self.b[i] = g.copy()
            else:
                self.b[i] = self.momentum * self.b[i] + (1 - self.dampening) * g
            g = g + self.momentum * self.b[i] if self.nesterov else self.b[i]
        return theta - self.lr * g


class RefAdam:
    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        maximize=False,
        decoupled=False,
    ):
        self.__dict__.update(locals())
        self.m, self.v, self.vmax = {}, {}, {}

    def update(self, i, theta, g, t):
        b1, b2 = self.betas
        if self.decoupled:
            theta = theta * (1 - self.lr * self.weight_decay)
            g = _decayed(g, theta, 0, self.maximize)
        else:
            g = _decayed(g, theta, self.weight_decay, self.maximize)
        self.m[i] = b1 * self.m.get(i, 0.0) + (1 - b1) * g
        self.v[i] = b2 * self.v.get(i, 0.0) + (1 - b2) * g * g
        v = self.v[i]
        if self.amsgrad:
            self.vmax[i] = v = np.maximum(self.vmax.get(i, 0.0), v)
        m_hat = self.m[i] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RefRMSprop:
    def __init__(
        self,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        maximize=False,
    ):
        self.__dict__.update(locals())
        self.v, self.gavg, self.b = {}, {}, {}

    def update(self, i, theta, g, t):
        a = self.alpha
        g = _decayed(g, theta, self.weight_decay, self.maximize)
        self.v[i] = a * self.v.get(i, 0.0) + (1 - a) * g * g
        v = self.v[i]
        if self.centered:
            self.gavg[i] = a * self.gavg.get(i, 0.0) + (1 - a) * g
            v = v - self.gavg[i] ** 2
        step = g / (np.sqrt(v) + self.eps)
        if self.momentum > 0:
            self.b[i] = self.momentum * self.b.get(i, 0.0) + step
            step = self.b[i]
        return theta - self.lr * step


class RefAdagrad:
    def __init__(
        self,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        maximize=False,
    ):
        self.__dict__.update(locals())
        self.s = {}

    def update(self, i, theta, g, t):
        g = _decayed(g, theta, self.weight_decay, self.maximize)
        lr = self.lr / (1 + (t - 1) * self.lr_decay)
        self.s[i] = self.s.get(i, self.initial_accumulator_value) + g * g
        return theta - lr * g / (np.sqrt(self.s[i]) + self.eps)


class RefAdadelta:
    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
        self.__dict__.update(locals())
        self.v, self.u = {}, {}

    def update(self, i, theta, g, t):
        rho = self.rho
        g = _decayed(g, theta, self.weight_decay, self.maximize)
        self.v[i] = rho * self.v.get(i, 0.0) + (1 - rho) * g * g
        delta = np.sqrt(self.u.get(i, 0.0) + self.eps) / np.sqrt(self.v[i] + self.eps) * g
        self.u[i] = rho * self.u.get(i, 0.0) + (1 - rho) * delta * delta
        return theta - self.lr * delta


class RefAdamax:
    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
        self.__dict__.update(locals())
        self.m, self.u = {}, {}

    def update(self, i, theta, g, t):
        b1, b2 = self.betas
        g = _decayed(g, theta, self.weight_decay, self.maximize)
        self.m[i] = b1 * self.m.get(i, 0.0) + (1 - b1) * g
        self.u[i] = np.maximum(b2 * self.u.get(i, 0.0), np.abs(g) + self.eps)
        return theta - self.lr / (1 - b1**t) * self.m[i] / self.u[i]


class RefNAdam:
    def __init__(
        self,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        self.__dict__.update(locals())
        self.m, self.v = {}, {}

    def _mu(self, t):
        return self.betas[0] * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def update(self, i, theta, g, t):
        b1, b2 = self.betas
        if self.decoupled_weight_decay:
            theta = theta * (1 - self.lr * self.weight_decay)
            g = _decayed(g, theta, 0, self.maximize)
        else:
            g = _decayed(g, theta, self.weight_decay, self.maximize)
        prod_t = np.prod([self._mu(k) for k in range(1, t + 1)])
        prod_next = prod_t * self._mu(t + 1)
        self.m[i] = b1 * self.m.get(i, 0.0) + (1 - b1) * g
        self.v[i] = b2 * self.v.get(i, 0.0) + (1 - b2) * g * g
        m_hat = self._mu(t + 1) * self.m[i] / (1 - prod_next) + (1 - self._mu(t)) * g / (1 - prod_t)
        v_hat = self.v[i] / (1 - b2**t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RefRAdam:
    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        self.__dict__.update(locals())
        self.m, self.v = {}, {}

    def update(self, i, theta, g, t):
        b1, b2 = self.betas
        if self.decoupled_weight_decay:
            theta = theta * (1 - self.lr * self.weight_decay)
            g = _decayed(g, theta, 0, self.maximize)
        else:
            g = _decayed(g, theta, self.weight_decay, self.maximize)
        self.m[i] = b1 * self.m.get(i, 0.0) + (1 - b1) * g
        self.v[i] = b2 * self.v.get(i, 0.0) + (1 - b2) * g * g
        m_hat = self.m[i] / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t <= 5:
            return theta - self.lr * m_hat
        adaptive = np.sqrt(1 - b2**t) / (np.sqrt(self.v[i]) + self.eps)
        rect = np.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        return theta - self.lr * m_hat * rect * adaptive


def reference_trajectory(rule, steps):
    """Parameters after each step of ``rule`` on the model, from ``INIT`` (float64)."""
    params = [p.copy() for p in INIT]
    out = []
    for t in range(1, steps + 1):
        grads = numpy_grads(params)
        params = [rule.update(i, p, g, t) for i, (p, g) in enumerate(zip(params, grads))]
        out.append([p.copy() for p in params])
    return out
