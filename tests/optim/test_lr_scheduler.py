"""Learning-rate schedulers: sequences against closed forms, state dicts, warnings, errors."""

from __future__ import annotations

import math
import warnings

import pytest

import eagertorch as et
import eagertorch.optim as optim
from eagertorch.optim import lr_scheduler as sched


def _sgd(lr=0.1, groups=1, momentum=0.0):
    params = [{"params": [et.zeros(2, requires_grad=True)]} for _ in range(groups)]
    return optim.SGD(params, lr=lr, momentum=momentum)


def _lrs(scheduler, steps, group=0):
    """The lr in use at epochs 0..steps-1: optimizer.step() then scheduler.step()."""
    out = []
    for _ in range(steps):
        out.append(scheduler.optimizer.param_groups[group]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def test_step_lr_follows_its_closed_form():
    s = sched.StepLR(_sgd(), step_size=3, gamma=0.5)
    assert _lrs(s, 10) == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(10)], rel=1e-12)


def test_multi_step_lr_follows_its_closed_form_with_repeated_milestones():
    s = sched.MultiStepLR(_sgd(), milestones=[2, 5, 5], gamma=0.1)
    expected = [0.1 * 0.1 ** ((e >= 2) + 2 * (e >= 5)) for e in range(8)]
    assert _lrs(s, 8) == pytest.approx(expected, rel=1e-12)


def test_exponential_lr_follows_its_closed_form():
    s = sched.ExponentialLR(_sgd(), gamma=0.9)
    assert _lrs(s, 12) == pytest.approx([0.1 * 0.9**e for e in range(12)], rel=1e-12)


def test_cosine_annealing_lr_follows_the_cosine_over_two_periods():
    s = sched.CosineAnnealingLR(_sgd(), T_max=5, eta_min=0.01)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(20)]
    assert _lrs(s, 20) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_lambda_lr_scales_each_group_by_its_own_function():
    s = sched.LambdaLR(_sgd(groups=2), lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5**e])
    for e in range(6):
        assert s.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / (e + 1))
        assert s.optimizer.param_groups[1]["lr"] == pytest.approx(0.1 * 0.5**e)
        s.optimizer.step()
        s.step()


def test_multiplicative_lr_compounds_its_factor_from_the_first_step():
    s = sched.MultiplicativeLR(_sgd(), lr_lambda=lambda e: 0.9)
    assert _lrs(s, 6) == pytest.approx([0.1 * 0.9**e for e in range(6)], rel=1e-12)


def test_linear_lr_ramps_from_start_to_end_factor_then_holds():
    s = sched.LinearLR(_sgd(), start_factor=0.25, end_factor=1.0, total_iters=4)
    expected = [0.1 * (0.25 + 0.75 * min(e, 4) / 4) for e in range(8)]
    assert _lrs(s, 8) == pytest.approx(expected, rel=1e-12)


def test_constant_lr_scales_until_total_iters():
    s = sched.ConstantLR(_sgd(), factor=0.5, total_iters=3)
    assert _lrs(s, 6) == pytest.approx([0.05, 0.05, 0.05, 0.1, 0.1, 0.1], rel=1e-12)


def test_polynomial_lr_follows_its_closed_form():
    s = sched.PolynomialLR(_sgd(), total_iters=4, power=2.0)
    expected = [0.1 * (1 - min(e, 4) / 4) ** 2 for e in range(7)]
    assert _lrs(s, 7) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_cosine_annealing_warm_restarts_restarts_with_growing_periods():
    s = sched.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=2, eta_min=0.0)
    # periods of 2, 4 and 8 epochs
    t_cur = [0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7]
    t_i = [2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8]
    expected = [0.1 * (1 + math.cos(math.pi * c / t)) / 2 for c, t in zip(t_cur, t_i)]
    assert _lrs(s, 14) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_cosine_annealing_warm_restarts_accepts_fractional_epochs():
    s = sched.CosineAnnealingWarmRestarts(_sgd(), T_0=4)
    s.step(5.5)
    assert s.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi * 1.5 / 4)) / 2)
    assert s.last_epoch == 5


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_lr_warms_up_then_anneals_and_cycles_momentum(strategy):
    opt = _sgd(momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3, anneal_strategy=strategy)

    def anneal(start, end, pct):
        if strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    initial, min_lr = 1.0 / 25, 1.0 / 25 / 1e4
    for e in range(10):
        if e <= 2:
            lr, mom = anneal(initial, 1.0, e / 2), anneal(0.95, 0.85, e / 2)
        else:
            lr, mom = anneal(1.0, min_lr, (e - 2) / 7), anneal(0.85, 0.95, (e - 2) / 7)
        assert opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(mom, rel=1e-12)
        opt.step()
        if e < 9:
            s.step()
    s.step()
    with pytest.raises(
        ValueError,
        match=r"Tried to step 11 times\. The specified number of "
        r"total steps is 10",
    ):
        s.step()


def test_one_cycle_lr_cycles_adams_beta1():
    opt = optim.Adam([et.zeros(2, requires_grad=True)], betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    opt.step()
    s.step()
    assert 0.85 < opt.param_groups[0]["betas"][0] < 0.95
    assert opt.param_groups[0]["betas"][1] == 0.99


def test_cyclic_lr_triangular_goes_up_and_down_linearly():
    opt = _sgd(momentum=0.9)
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=2)
    expected = [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3]
    assert _lrs(s, 8) == pytest.approx(expected, rel=1e-12)


def test_cyclic_lr_triangular2_halves_the_amplitude_each_cycle():
    s = sched.CyclicLR(
        _sgd(), base_lr=0.0, max_lr=1.0, step_size_up=1, mode="triangular2", cycle_momentum=False
    )
    assert _lrs(s, 6) == pytest.approx([0.0, 1.0, 0.0, 0.5, 0.0, 0.25], abs=1e-12)


def test_sequential_lr_switches_scheduler_at_the_milestone():
    opt = _sgd()
    warmup = sched.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = sched.ExponentialLR(opt, gamma=0.5)
    s = sched.SequentialLR(opt, schedulers=[warmup, decay], milestones=[3])
    expected = [0.05, 0.075, 0.1, 0.1, 0.05, 0.025]
    assert _lrs(s, 6) == pytest.approx(expected, rel=1e-12)


def test_chained_scheduler_compounds_its_schedulers():
    opt = _sgd()
    s = sched.ChainedScheduler(
        [sched.ExponentialLR(opt, gamma=0.9), sched.StepLR(opt, step_size=2, gamma=0.1)]
    )
    expected = [0.1 * 0.9**e * 0.1 ** (e // 2) for e in range(6)]
    assert _lrs(s, 6) == pytest.approx(expected, rel=1e-12)


def test_get_last_lr_reports_every_groups_current_lr():
    opt = optim.SGD(
        [
            {"params": [et.zeros(1, requires_grad=True)]},
            {"params": [et.zeros(1, requires_grad=True)], "lr": 1.0},
        ],
        lr=0.1,
    )
    s = sched.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.step()
        s.step()
        assert s.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert s.get_last_lr() == pytest.approx([0.0125, 0.125])


def test_scheduler_records_initial_lr_and_counts_epochs():
    opt = _sgd(lr=0.3)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.3 and s.base_lrs == [0.3]
    assert s.last_epoch == 0
    _lrs(s, 4)
    assert s.last_epoch == 4 and opt.param_groups[0]["initial_lr"] == 0.3


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: sched.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
        lambda opt: sched.StepLR(opt, step_size=2, gamma=0.3),
        lambda opt: sched.OneCycleLR(opt, max_lr=1.0, total_steps=20),
        lambda opt: sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3),
        lambda opt: sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2),
        lambda opt: sched.SequentialLR(
            opt,
            [sched.ConstantLR(opt, factor=0.5, total_iters=2), sched.ExponentialLR(opt, 0.8)],
            milestones=[3],
        ),
    ],
    ids=["cosine", "step", "one_cycle", "cyclic", "warm_restarts", "sequential"],
)
def test_state_dict_round_trip_resumes_the_same_sequence(make):
    straight = _lrs(make(_sgd(momentum=0.9)), 15)

    first_opt = _sgd(momentum=0.9)
    first = make(first_opt)
    head = _lrs(first, 6)
    saved_opt, saved = first_opt.state_dict(), first.state_dict()
    opt = _sgd(momentum=0.9)
    resumed = make(opt)
    opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert head + _lrs(resumed, 9) == straight


def test_lambda_lr_state_dict_skips_plain_functions_and_keeps_callable_objects():
    class Factor:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _sgd(groups=2)
    s = sched.LambdaLR(opt, [lambda e: 1.0, Factor()])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    other = sched.LambdaLR(opt, [lambda e: 1.0, Factor()])
    other.lr_lambdas[1].rate = 0.1
    other.load_state_dict(sd)
    assert other.lr_lambdas[1].rate == 0.5


def test_scheduler_step_before_optimizer_step_warns():
    s = sched.StepLR(_sgd(), step_size=1)
    with pytest.warns(
        UserWarning,
        match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`",
    ):
        s.step()


def test_normal_usage_order_emits_no_warning():
    opt = _sgd()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schedulers = [sched.StepLR(opt, 2), sched.CosineAnnealingLR(opt, 5)]
        for _ in range(4):
            opt.step()
            for s in schedulers:
                s.step()
                s.get_last_lr()


def test_calling_get_lr_directly_warns_to_use_get_last_lr():
    s = sched.StepLR(_sgd(), step_size=1)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()


def test_passing_an_epoch_to_step_warns_and_uses_the_closed_form():
    s = sched.ExponentialLR(_sgd(), gamma=0.5)
    s.optimizer.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        s.step(3)
    assert s.get_last_lr() == [pytest.approx(0.1 * 0.5**3)]


def test_a_tensor_lr_is_updated_in_place():
    lr = et.tensor(0.1)
    opt = optim.SGD([et.zeros(1, requires_grad=True)], lr=lr)
    s = sched.ExponentialLR(opt, gamma=0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    assert s.get_last_lr()[0] is not lr


def test_lr_scheduler_keeps_its_pre_2_0_alias():
    assert issubclass(sched._LRScheduler, sched.LRScheduler)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="object is not an Optimizer"):
        sched.StepLR(object(), step_size=1)


def test_resuming_without_initial_lr_is_a_key_error():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        sched.StepLR(_sgd(), step_size=1, last_epoch=3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: sched.ConstantLR(o, factor=2.0), "Constant multiplicative factor expected"),
        (lambda o: sched.LinearLR(o, start_factor=0.0), "Starting multiplicative factor"),
        (lambda o: sched.LinearLR(o, end_factor=1.5), "Ending multiplicative factor"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), "Expected positive integer T_0"),
        (
            lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
            "Expected integer T_mult >= 1",
        ),
        (lambda o: sched.OneCycleLR(o, max_lr=1.0), "You must define either total_steps"),
        (
            lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="x"),
            "anneal_strategy must be one of 'cos' or 'linear'",
        ),
        (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0."),
        (lambda o: sched.ReduceLROnPlateau(o, mode="middle"), "mode middle is unknown!"),
        (lambda o: sched.LambdaLR(o, [lambda e: 1.0] * 2), "Expected 1 lr_lambdas, but got 2"),
        (
            lambda o: sched.SequentialLR(o, [sched.StepLR(o, 1)], milestones=[1]),
            "expects number of schedulers provided to be one more",
        ),
    ],
)
def test_invalid_scheduler_arguments_raise_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make(_sgd())


def test_schedulers_of_another_optimizer_cannot_be_chained():
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        sched.ChainedScheduler([sched.StepLR(_sgd(), 1), sched.StepLR(_sgd(), 1)])


# ----- ReduceLROnPlateau ----------------------------------------------------------------
def test_reduce_lr_on_plateau_reduces_after_patience_bad_epochs():
    opt = _sgd(lr=1.0)
    s = sched.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    lrs = []
    for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]:
        s.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_reduce_lr_on_plateau_waits_out_its_cooldown_and_respects_min_lr():
    opt = _sgd(lr=1.0)
    s = sched.ReduceLROnPlateau(opt, patience=0, factor=0.1, cooldown=2, min_lr=0.05)
    lrs = []
    for _ in range(7):
        s.step(1.0)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05])
    assert s.get_last_lr() == [0.05]


def test_reduce_lr_on_plateau_in_max_mode_with_an_absolute_threshold():
    opt = _sgd(lr=1.0)
    s = sched.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    s.step(1.0)
    s.step(1.05)  # not better by more than 0.1
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    s.step(1.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1) and s.best == 1.5


def test_reduce_lr_on_plateau_state_dict_round_trip():
    opt = _sgd(lr=1.0)
    s = sched.ReduceLROnPlateau(opt, patience=1)
    for m in [1.0, 2.0]:
        s.step(m)
    other = sched.ReduceLROnPlateau(_sgd(lr=1.0), patience=1)
    other.load_state_dict(s.state_dict())
    assert other.best == 1.0 and other.num_bad_epochs == 1
    other.step(3.0)
    assert other.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
