"""Optimizer trajectories and state dicts against PyTorch (skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
import eagertorch.optim as optim

from .reference_rules import INIT, X, Y, loss_fn
from .test_optimizers import CASES, NAMES, _case_id

torch = pytest.importorskip("torch")

STEPS = 30


def _train(lib, opt_cls, options, steps, opt_hook=None):
    """Train the model in float32 with ``lib`` (eagertorch or torch) from the same weights."""
    params = [lib.tensor(p.astype(np.float32), requires_grad=True) for p in INIT]
    x, y = lib.tensor(X.astype(np.float32)), lib.tensor(Y.astype(np.float32))
    opt = opt_cls(params, **options)
    if opt_hook is not None:
        opt_hook(opt, params)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(*params, x, y).backward()
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, opt, params


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_float32_trajectory_matches_pytorch(case):
    name, options, _ = case
    ours, _, _ = _train(et, getattr(optim, name), options, STEPS)
    theirs, _, _ = _train(torch, getattr(torch.optim, name), options, STEPS)
    for step, (got, want) in enumerate(zip(ours, theirs)):
        for g, w in zip(got, want):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"step {step}")


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_keys_and_group_options_match_pytorch(name):
    _, ours, _ = _train(et, getattr(optim, name), {}, 2)
    _, theirs, _ = _train(torch, getattr(torch.optim, name), {}, 2)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sd["state"].keys() == tsd["state"].keys()
    for index, state in tsd["state"].items():
        assert sd["state"][index].keys() == state.keys()
        for key, value in state.items():
            mine = sd["state"][index][key]
            assert tuple(mine.shape) == tuple(value.shape)
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-5, atol=1e-7)


def _to_eagertorch(value):
    if isinstance(value, torch.Tensor):
        return et.tensor(value.numpy())
    if isinstance(value, dict):
        return {k: _to_eagertorch(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_pytorch_state_dict_resumes_the_pytorch_trajectory(case):
    name, options, _ = case
    _, opt, params = _train(torch, getattr(torch.optim, name), options, 10)
    saved = _to_eagertorch(opt.state_dict())
    start = [p.detach().numpy().copy() for p in params]
    more_theirs = []
    for _ in range(10):
        opt.zero_grad()
        loss_fn(
            *params, torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
        ).backward()
        opt.step()
        more_theirs.append([p.detach().numpy().copy() for p in params])

    ours = [et.tensor(p, requires_grad=True) for p in start]
    resumed = getattr(optim, name)(ours, **options)
    resumed.load_state_dict(saved)
    x, y = et.tensor(X.astype(np.float32)), et.tensor(Y.astype(np.float32))
    for want in more_theirs:
        resumed.zero_grad()
        loss_fn(*ours, x, y).backward()
        resumed.step()
        for p, w in zip(ours, want):
            np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-5, atol=1e-6)


def test_zero_grad_leaves_the_same_grads_as_pytorch():
    for set_to_none in (True, False):
        results = []
        for lib, opt_cls in ((et, optim.SGD), (torch, torch.optim.SGD)):
            w = lib.tensor([1.0, 2.0], requires_grad=True)
            (w * w).sum().backward()
            opt_cls([w], lr=0.1).zero_grad(set_to_none=set_to_none)
            results.append(None if w.grad is None else w.grad.numpy().tolist())
        assert results[0] == results[1]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float64_trajectory_and_evaluation_counts_match_pytorch(line_search_fn):
    results = []
    for lib, opt_module in ((et, optim), (torch, torch.optim)):
        params = [lib.tensor(p.copy(), requires_grad=True) for p in INIT]
        x, y = lib.tensor(X), lib.tensor(Y)
        opt = opt_module.LBFGS(
            params,
            lr=0.5 if line_search_fn is None else 1,
            max_iter=10,
            history_size=5,
            line_search_fn=line_search_fn,
        )

        def closure(opt=opt, params=params, x=x, y=y):
            opt.zero_grad()
            loss = loss_fn(*params, x, y)
            loss.backward()
            return loss

        trajectory = []
        for _ in range(4):
            opt.step(closure)
            trajectory.append([p.detach().numpy().copy() for p in params])
        state = opt.state[params[0]]
        results.append((trajectory, state["func_evals"], state["n_iter"]))
    (ours, our_evals, our_iters), (theirs, their_evals, their_iters) = results
    assert (our_evals, our_iters) == (their_evals, their_iters)
    for got, want in zip(ours, theirs):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-8)
