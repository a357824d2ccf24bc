"""L-BFGS: first step in closed form, convergence on quadratics and Rosenbrock, state dicts."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import eagertorch as et
import eagertorch.optim as optim

from .reference_rules import INIT, X, Y, loss_fn, numpy_grads


def _closure(opt, params, x, y):
    def closure():
        opt.zero_grad()
        loss = loss_fn(*params, x, y)
        loss.backward()
        return loss

    return closure


def _model():
    params = [et.tensor(p.copy(), requires_grad=True) for p in INIT]
    return params, et.tensor(X), et.tensor(Y)


def test_first_iteration_is_a_gradient_step_scaled_to_at_most_lr_in_l1_norm():
    params, x, y = _model()
    opt = optim.LBFGS(params, lr=0.5, max_iter=1)
    loss = opt.step(_closure(opt, params, x, y))
    grads = numpy_grads(INIT)
    t = min(1.0, 1.0 / sum(np.abs(g).sum() for g in grads)) * 0.5
    for p, p0, g in zip(params, INIT, grads):
        np.testing.assert_allclose(p.detach().numpy(), p0 - t * g, rtol=1e-12, atol=1e-15)
    assert loss.item() == pytest.approx(loss_fn(*[et.tensor(p) for p in INIT], x, y).item())


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_minimizes_a_convex_quadratic_to_its_solution(line_search_fn):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    a = et.tensor(m @ m.T + 6 * np.eye(6))
    b = et.tensor(rng.standard_normal(6))
    w = et.zeros(6, dtype=et.float64, requires_grad=True)
    opt = optim.LBFGS(
        [w],
        lr=1 if line_search_fn else 0.1,
        max_iter=100,
        line_search_fn=line_search_fn,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
    )

    def closure():
        opt.zero_grad()
        loss = 0.5 * (w * (a @ w)).sum() - (b * w).sum()
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    expected = np.linalg.solve(a.numpy(), b.numpy())
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-6, atol=1e-8)


def test_strong_wolfe_finds_the_rosenbrock_minimum():
    xy = et.tensor([-1.5, 2.0], dtype=et.float64, requires_grad=True)
    opt = optim.LBFGS([xy], line_search_fn="strong_wolfe", max_iter=200)

    def closure():
        opt.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(xy.detach().numpy(), [1.0, 1.0], atol=1e-5)
    assert opt.state[xy]["func_evals"] <= 250


def test_stops_at_once_when_the_gradient_is_already_small():
    w = et.tensor([1.0, 2.0], dtype=et.float64, requires_grad=True)
    opt = optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = (w * 0.0).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert opt.state[w]["func_evals"] == 1 and opt.state[w]["n_iter"] == 0
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_bit_for_bit(line_search_fn):
    options = dict(lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    params, x, y = _model()
    opt = optim.LBFGS(params, **options)
    for _ in range(4):
        opt.step(_closure(opt, params, x, y))
    straight = [p.detach().numpy().copy() for p in params]

    params, x, y = _model()
    first = optim.LBFGS(params, **options)
    for _ in range(2):
        first.step(_closure(first, params, x, y))
    saved = copy.deepcopy(first.state_dict())
    resumed_params = [et.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    second = optim.LBFGS(resumed_params, **options)
    second.load_state_dict(saved)
    for _ in range(2):
        second.step(_closure(second, resumed_params, x, y))
    for a, b in zip(resumed_params, straight):
        np.testing.assert_array_equal(a.detach().numpy(), b)


def test_parameter_groups_are_rejected():
    a, b = et.zeros(1, requires_grad=True), et.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])


def test_an_unknown_line_search_is_an_error():
    params, x, y = _model()
    opt = optim.LBFGS(params, line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(_closure(opt, params, x, y))


def test_negative_lr_is_an_error():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([et.zeros(1, requires_grad=True)], lr=-1)
