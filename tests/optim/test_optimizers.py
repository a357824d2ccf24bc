"""Optimizers: trajectories against the published update rules, state dicts, groups, errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import eagertorch as et
import eagertorch.optim as optim

from .reference_rules import (
    INIT,
    RefAdadelta,
    RefAdagrad,
    RefAdam,
    RefAdamax,
    RefNAdam,
    RefRAdam,
    RefRMSprop,
    RefSGD,
    X,
    Y,
    loss_fn,
    reference_trajectory,
)

# (optimizer name, options, reference rule built with the same options)
CASES = [
    ("SGD", dict(lr=0.1), RefSGD(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9), RefSGD(lr=0.1, momentum=0.9)),
    (
        "SGD",
        dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1),
        RefSGD(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1),
    ),
    (
        "SGD",
        dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05),
        RefSGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05),
    ),
    (
        "SGD",
        dict(lr=0.01, momentum=0.5, maximize=True),
        RefSGD(lr=0.01, momentum=0.5, maximize=True),
    ),
    ("Adam", dict(lr=0.01), RefAdam(lr=0.01)),
    (
        "Adam",
        dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        RefAdam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    ("Adam", dict(lr=0.02, amsgrad=True), RefAdam(lr=0.02, amsgrad=True)),
    (
        "Adam",
        dict(lr=0.01, betas=(0.3, 0.9), maximize=True),
        RefAdam(lr=0.01, betas=(0.3, 0.9), maximize=True),
    ),
    ("AdamW", dict(lr=0.01), RefAdam(lr=0.01, weight_decay=1e-2, decoupled=True)),
    (
        "AdamW",
        dict(lr=0.01, weight_decay=0.3, amsgrad=True),
        RefAdam(lr=0.01, weight_decay=0.3, amsgrad=True, decoupled=True),
    ),
    ("RMSprop", dict(lr=0.01), RefRMSprop(lr=0.01)),
    (
        "RMSprop",
        dict(lr=0.005, alpha=0.9, eps=1e-6, momentum=0.8),
        RefRMSprop(lr=0.005, alpha=0.9, eps=1e-6, momentum=0.8),
    ),
    (
        "RMSprop",
        dict(lr=0.005, centered=True, weight_decay=0.1, momentum=0.5),
        RefRMSprop(lr=0.005, centered=True, weight_decay=0.1, momentum=0.5),
    ),
    ("Adagrad", dict(lr=0.1), RefAdagrad(lr=0.1)),
    (
        "Adagrad",
        dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1),
        RefAdagrad(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1),
    ),
    ("Adadelta", dict(), RefAdadelta()),
    (
        "Adadelta",
        dict(lr=0.5, rho=0.7, eps=1e-5, weight_decay=0.1, maximize=True),
        RefAdadelta(lr=0.5, rho=0.7, eps=1e-5, weight_decay=0.1, maximize=True),
    ),
    ("Adamax", dict(lr=0.01), RefAdamax(lr=0.01)),
    (
        "Adamax",
        dict(lr=0.01, betas=(0.7, 0.9), weight_decay=0.1),
        RefAdamax(lr=0.01, betas=(0.7, 0.9), weight_decay=0.1),
    ),
    ("NAdam", dict(lr=0.01), RefNAdam(lr=0.01)),
    (
        "NAdam",
        dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1),
        RefNAdam(lr=0.01, momentum_decay=0.01, weight_decay=0.1),
    ),
    (
        "NAdam",
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
        RefNAdam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    ("RAdam", dict(lr=0.01), RefRAdam(lr=0.01)),
    # beta2 = 0.9 makes rho_t pass 5 early, so both branches of the rule run.
    (
        "RAdam",
        dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1),
        RefRAdam(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1),
    ),
    (
        "RAdam",
        dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True),
        RefRAdam(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True),
    ),
]
NAMES = sorted({name for name, _, _ in CASES})
STEPS = 30


def _case_id(case):
    name, options, _ = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in options.items())


def _model(dtype=np.float64):
    params = [et.tensor(p.astype(dtype), requires_grad=True) for p in INIT]
    return params, et.tensor(X.astype(dtype)), et.tensor(Y.astype(dtype))


def _train(opt, params, x, y, steps):
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(*params, x, y).backward()
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out


@pytest.fixture
def float64_scalars():
    """Default dtype float64, so scalar state (step, mu_product) is float64 as in PyTorch."""
    et.set_default_dtype(et.float64)


@pytest.mark.usefixtures("float64_scalars")
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_follows_the_published_update_rule(case):
    name, options, rule = case
    params, x, y = _model()
    ours = _train(getattr(optim, name)(params, **options), params, x, y, STEPS)
    expected = reference_trajectory(copy.deepcopy(rule), STEPS)
    for step, (got, want) in enumerate(zip(ours, expected)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"step {step}")
    assert not np.allclose(ours[-1][0], INIT[0])


def _build(name, params):
    options = {"Adadelta": {}, "SGD": {"lr": 0.1, "momentum": 0.9}}.get(name, {"lr": 0.01})
    return getattr(optim, name)(params, **options)


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_and_state_stay_float32(name):
    params, x, y = _model(np.float32)
    opt = _build(name, params)
    _train(opt, params, x, y, 3)
    assert all(p.dtype is et.float32 for p in params)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, et.Tensor) and value.dim() > 0:
                assert value.dtype is et.float32, key


@pytest.mark.parametrize("name", NAMES)
def test_step_updates_in_place_bumps_version_once_and_records_nothing(name):
    params, x, y = _model()
    opt = _build(name, params)
    loss_fn(*params, x, y).backward()
    arrays = [p._data for p in params]
    versions = [p._version for p in params]
    opt.step()
    assert all(p._data is a for p, a in zip(params, arrays))
    assert [p._version for p in params] == [v + 1 for v in versions]
    assert all(p.grad_fn is None and p.requires_grad for p in params)
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, et.Tensor):
                assert value.grad_fn is None and not value.requires_grad


@pytest.mark.parametrize("name", NAMES)
def test_version_bump_of_a_view_parameter_counts_on_its_base(name):
    base = et.tensor(INIT[0].copy())
    view = base[1:]
    view.requires_grad_()
    view.grad = et.ones_like(view)
    before = base._version
    _build(name, [view]).step()
    assert base._version == before + 1


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_state_dict_round_trip_continues_the_same_trajectory_bit_for_bit(case):
    name, options, _ = case
    params, x, y = _model()
    straight = _train(getattr(optim, name)(params, **options), params, x, y, 12)[-1]

    params, x, y = _model()
    first = getattr(optim, name)(params, **options)
    _train(first, params, x, y, 5)
    saved = copy.deepcopy(first.state_dict())
    resumed_params = [et.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    second = getattr(optim, name)(resumed_params, **options)
    second.load_state_dict(saved)
    resumed = _train(second, resumed_params, x, y, 7)[-1]
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a, b)


def test_state_dict_uses_pytorch_layout_with_indices_across_groups():
    a, b, c = (et.zeros(2, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    for p in (a, c):
        p.grad = et.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert set(sd["state"]) == {0, 2}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    step = sd["state"][0]["step"]
    assert step.dim() == 0 and step.dtype is et.float32 and step.item() == 1.0


def test_loading_does_not_alias_the_saved_state():
    params, x, y = _model()
    opt = optim.Adam(params, lr=0.01)
    _train(opt, params, x, y, 2)
    saved = opt.state_dict()
    snapshot = copy.deepcopy(saved)
    other = optim.Adam(params, lr=0.01)
    other.load_state_dict(saved)
    _train(other, params, x, y, 2)
    for key in ("exp_avg", "exp_avg_sq", "step"):
        np.testing.assert_array_equal(
            saved["state"][0][key].numpy(), snapshot["state"][0][key].numpy()
        )


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax"])
def test_a_plain_number_step_in_a_loaded_state_dict_continues_the_same_trajectory(name):
    params, x, y = _model()
    straight = _train(_build(name, params), params, x, y, 6)[-1]
    params, x, y = _model()
    opt = _build(name, params)
    _train(opt, params, x, y, 3)
    saved = copy.deepcopy(opt.state_dict())
    for state in saved["state"].values():
        state["step"] = int(state["step"].item())
    fresh = _build(name, params)
    fresh.load_state_dict(saved)
    assert isinstance(fresh.state[params[0]]["step"], et.Tensor)
    resumed = _train(fresh, params, x, y, 3)[-1]
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a, b)


def test_load_state_dict_casts_buffers_to_the_parameter_dtype():
    p64 = et.zeros(3, dtype=et.float64, requires_grad=True)
    p64.grad = et.ones(3, dtype=et.float64)
    opt = optim.Adam([p64])
    opt.step()
    p32 = et.zeros(3, requires_grad=True)
    other = optim.Adam([p32])
    other.load_state_dict(opt.state_dict())
    assert other.state[p32]["exp_avg"].dtype is et.float32


def test_load_state_dict_rejects_a_different_group_structure():
    a, b = et.zeros(2, requires_grad=True), et.zeros(2, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_load_state_dict_restores_group_options():
    a = et.zeros(2, requires_grad=True)
    sd = optim.SGD([a], lr=0.3, momentum=0.5).state_dict()
    opt = optim.SGD([a], lr=0.1)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.3 and opt.param_groups[0]["momentum"] == 0.5
    assert opt.param_groups[0]["params"][0] is a


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_use_their_own_learning_rates(name):
    params, x, y = _model()
    lr = 1.0 if name == "Adadelta" else 0.05
    opt = getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], "lr": 0.0}], lr=lr)
    _train(opt, params, x, y, 3)
    assert opt.param_groups[1]["lr"] == 0.0
    np.testing.assert_array_equal(params[2].detach().numpy(), INIT[2])
    assert not np.array_equal(params[0].detach().numpy(), INIT[0])


def test_param_groups_match_separate_optimizers_with_each_lr():
    params, x, y = _model()
    grouped = optim.Adam([{"params": params[:1], "lr": 0.1}, {"params": params[1:]}], lr=0.01)
    loss_fn(*params, x, y).backward()
    grads = [p.grad.numpy().copy() for p in params]
    grouped.step()
    for i, lr in [(0, 0.1), (1, 0.01), (2, 0.01)]:
        single = et.tensor(INIT[i].copy(), requires_grad=True)
        single.grad = et.tensor(grads[i])
        optim.Adam([single], lr=lr).step()
        np.testing.assert_array_equal(single.detach().numpy(), params[i].detach().numpy())


def test_add_param_group_trains_the_new_group_with_its_options():
    a, b = et.ones(2, requires_grad=True), et.ones(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9
    a.grad, b.grad = et.ones(2), et.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9])
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5])


@pytest.mark.parametrize("name", NAMES)
def test_parameters_without_grad_are_skipped(name):
    params, x, y = _model()
    frozen = et.tensor(INIT[0].copy(), requires_grad=True)
    opt = _build(name, [*params, frozen])
    _train(opt, params, x, y, 3)
    np.testing.assert_array_equal(frozen.detach().numpy(), INIT[0])
    if name == "Adagrad":  # PyTorch's Adagrad creates every state in its constructor
        assert opt.state[frozen]["step"].item() == 0
    else:
        assert frozen not in opt.state


def test_sgd_without_momentum_keeps_no_state():
    params, x, y = _model()
    opt = optim.SGD(params, lr=0.1)
    _train(opt, params, x, y, 2)
    assert opt.state_dict()["state"] == {}


def test_zero_grad_sets_grads_to_none_by_default():
    params, x, y = _model()
    opt = optim.SGD(params, lr=0.1)
    loss_fn(*params, x, y).backward()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_without_set_to_none_zeroes_the_same_grad_tensors():
    params, x, y = _model()
    opt = optim.SGD(params, lr=0.1)
    loss_fn(*params, x, y).backward()
    grads = [p.grad for p in params]
    versions = [g._version for g in grads]
    opt.zero_grad(set_to_none=False)
    for p, g, v in zip(params, grads, versions):
        assert p.grad is g and not g.requires_grad and g._version == v + 1
        assert not g.numpy().any()


def test_zero_grad_without_set_to_none_detaches_a_grad_built_with_create_graph():
    w = et.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward(create_graph=True)
    assert w.grad.grad_fn is not None
    optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and not w.grad.numpy().any()


@pytest.mark.parametrize("name", NAMES)
def test_step_with_closure_returns_its_loss_and_evaluates_with_grad_enabled(name):
    params, x, y = _model()
    opt = _build(name, params)

    def closure():
        opt.zero_grad()
        loss = loss_fn(*params, x, y)
        loss.backward()
        return loss

    with et.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(loss_fn(*[et.tensor(p) for p in INIT], x, y).item())
    assert not np.array_equal(params[0].detach().numpy(), INIT[0])


def test_step_without_closure_returns_none():
    params, x, y = _model()
    loss_fn(*params, x, y).backward()
    assert optim.Adam(params).step() is None


def test_tensor_learning_rate_gives_the_same_update_as_a_float():
    a, b = et.ones(3, requires_grad=True), et.ones(3, requires_grad=True)
    a.grad = b.grad = et.tensor([1.0, -2.0, 3.0])
    optim.Adam([a], lr=et.tensor(0.1)).step()
    optim.Adam([b], lr=0.1).step()
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_named_parameters_are_accepted_and_their_names_kept():
    a = et.zeros(2, requires_grad=True)
    opt = optim.SGD([("weight", a)], lr=0.1)
    assert opt.param_groups[0]["params"][0] is a
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight"]


def test_optimizer_repr_lists_group_options():
    text = repr(optim.SGD([et.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


# ----- errors ---------------------------------------------------------------------------
def test_a_parameter_in_two_groups_is_an_error():
    a = et.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_a_parameter_twice_in_one_group_warns():
    a = et.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_a_non_tensor_parameter_is_an_error():
    with pytest.raises(
        TypeError,
        match=r"optimizer can only optimize Tensors, but one of the "
        r"params is numpy\.ndarray$",
    ):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"one of the params is float$"):
        optim.SGD([1.0], lr=0.1)


def test_a_single_tensor_instead_of_an_iterable_is_an_error():
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(et.zeros(2, requires_grad=True), lr=0.1)


def test_an_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])


def test_a_set_of_parameters_is_an_error():
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {et.zeros(2, requires_grad=True)}}], lr=0.1)


def test_a_non_leaf_tensor_is_an_error():
    a = et.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([a * 2], lr=0.1)


def test_differentiable_updates_are_not_supported():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam([et.zeros(2, requires_grad=True)], differentiable=True)


INVALID = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    (
        "SGD",
        dict(lr=0.1, nesterov=True),
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    (
        "SGD",
        dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(betas=(1.5, 0.999)), "Invalid beta parameter at index 0: 1.5"),
    ("Adam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("RMSprop", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("Adagrad", dict(lr_decay=-1.0), "Invalid lr_decay value: -1.0"),
    (
        "Adagrad",
        dict(initial_accumulator_value=-1.0),
        "Invalid initial_accumulator_value value: -1.0",
    ),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(betas=(0.9, 2.0)), "Invalid beta parameter at index 1: 2.0"),
]


@pytest.mark.parametrize(
    ("name", "options", "message"), INVALID, ids=[f"{n}-{m}" for n, _, m in INVALID]
)
def test_invalid_hyper_parameters_raise_pytorch_messages(name, options, message):
    with pytest.raises(ValueError) as info:
        getattr(optim, name)([et.zeros(2, requires_grad=True)], **options)
    assert str(info.value) == message


def test_a_group_missing_a_required_option_is_an_error():
    class NeedsLr(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": optim.optimizer.required})

    with pytest.raises(
        ValueError, match="didn't specify a value of required optimization parameter lr"
    ):
        NeedsLr([et.zeros(1, requires_grad=True)])
    assert NeedsLr([{"params": [et.zeros(1, requires_grad=True)], "lr": 1.0}])


def test_valid_construction_emits_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            _build(name, [et.zeros(2, requires_grad=True)])


def test_deepcopy_gives_an_independent_optimizer_over_copied_parameters():
    params, x, y = _model()
    opt = optim.Adam(params, lr=0.01)
    optim.lr_scheduler.StepLR(opt, step_size=1)
    _train(opt, params, x, y, 2)
    clone = copy.deepcopy(opt)
    copied = clone.param_groups[0]["params"]
    assert all(c is not p for c, p in zip(copied, params))
    assert clone.state[copied[0]]["exp_avg"] is not opt.state[params[0]]["exp_avg"]
    _train(clone, copied, x, y, 1)
    assert opt.state[params[0]]["step"].item() == 2
    assert clone.state[copied[0]]["step"].item() == 3


def test_compatibility_flags_do_not_change_the_update():
    runs = []
    for flags in ({}, {"foreach": True, "fused": False, "capturable": True}):
        params, x, y = _model()
        runs.append(_train(optim.Adam(params, lr=0.01, **flags), params, x, y, 3)[-1])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_tensor_betas_are_accepted_as_their_values():
    a = optim.Adam([et.zeros(1, requires_grad=True)], betas=(et.tensor(0.8), et.tensor(0.9)))
    assert a.param_groups[0]["betas"] == (pytest.approx(0.8), pytest.approx(0.9))
    assert all(isinstance(b, float) for b in a.param_groups[0]["betas"])
