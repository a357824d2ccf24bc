"""Learning-rate sequences and scheduler state dicts against PyTorch (skipped without it)."""

from __future__ import annotations

import pytest

import eagertorch as et
import eagertorch.optim as optim

torch = pytest.importorskip("torch")

# Each entry builds a scheduler from (lr_scheduler module, optimizer); the same code runs on
# both libraries.
SCHEDULERS = {
    "step": lambda m, o: m.StepLR(o, step_size=3, gamma=0.7),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.003),
    "cosine_no_eta": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1 + 0.3 * e)),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.3, total_iters=4),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=12, power=1.5),
    "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=41),
    "one_cycle_3phase_linear": lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], total_steps=41, three_phase=True, anneal_strategy="linear"
    ),
    "cyclic": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=4),
    "cyclic_exp_range": lambda m, o: m.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.2,
        step_size_up=3,
        step_size_down=5,
        mode="exp_range",
        gamma=0.97,
    ),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "sequential": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[5],
    ),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ExponentialLR(o, gamma=0.95), m.StepLR(o, step_size=4, gamma=0.5)]
    ),
}


def _sequence(lib, opt_module, make, steps=40):
    params = [
        {"params": [lib.zeros(2, requires_grad=True)]},
        {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.05},
    ]
    opt = opt_module.SGD(params, lr=0.1, momentum=0.9)
    scheduler = make(opt_module.lr_scheduler, opt)
    out = []
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append((scheduler.get_last_lr(), [g["momentum"] for g in opt.param_groups]))
    return out, scheduler


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_and_momentum_sequences_equal_pytorch(name):
    ours, _ = _sequence(et, optim, SCHEDULERS[name])
    theirs, _ = _sequence(torch, torch.optim, SCHEDULERS[name])
    assert ours == theirs


@pytest.mark.parametrize("name", ["step", "cosine", "one_cycle", "cyclic", "warm_restarts"])
def test_state_dict_entries_equal_pytorch(name):
    _, ours = _sequence(et, optim, SCHEDULERS[name], steps=5)
    _, theirs = _sequence(torch, torch.optim, SCHEDULERS[name], steps=5)
    assert ours.state_dict() == theirs.state_dict()


def test_reduce_lr_on_plateau_sequence_equals_pytorch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.7, 0.9, 0.9, 0.9]
    results = []
    for lib, opt_module in ((et, optim), (torch, torch.optim)):
        opt = opt_module.Adam([lib.zeros(1, requires_grad=True)], lr=1.0)
        s = opt_module.lr_scheduler.ReduceLROnPlateau(
            opt, patience=1, factor=0.5, cooldown=1, min_lr=0.2
        )
        lrs = []
        for m in metrics:
            s.step(m)
            lrs.append(s.get_last_lr())
        results.append(lrs)
    assert results[0] == results[1]
