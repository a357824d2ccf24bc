"""DistributedDataParallel checks, run on every rank of an MPI job by tests/distributed/test_ddp.py.

The single-process reference (one model on the whole global batch) is computed on every
rank too: it needs no communication, so it is the same as a separate 1-process run.
"""

from __future__ import annotations

import numpy as np

import eagertorch as et
import eagertorch.distributed as dist
from eagertorch import nn
from eagertorch.nn.parallel import DistributedDataParallel as DDP

STEPS = 10
BATCH = 16  # global batch: each of the 2 ranks takes half


def rank() -> int:
    return dist.get_rank()


def world() -> int:
    return dist.get_world_size()


class Net(nn.Module):
    def __init__(self, din: int = 6, hidden: int = 10, dout: int = 3) -> None:
        super().__init__()
        self.fc1 = nn.Linear(din, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, dout)
        self.register_buffer("seen", et.zeros(()))

    def forward(self, x):
        return self.fc3(self.fc2(self.fc1(x).tanh()).tanh())


def make(seed: int, dtype=et.float64, cls=Net, **kwargs):
    et.manual_seed(seed)
    return cls(**kwargs).to(dtype)


def pair(dtype=et.float64, cls=Net, **kwargs):
    """(reference model, this rank's model): rank 0 starts from the reference's weights and
    the other ranks from different ones, which DDP must replace by rank 0's."""
    ref = make(0, dtype, cls, **kwargs)
    local = make(0 if rank() == 0 else 1000 + rank(), dtype, cls, **kwargs)
    return ref, local


def batch(step: int, dtype=np.float64, n: int = BATCH, din: int = 6, dout: int = 3):
    rng = np.random.default_rng(step)
    x = rng.standard_normal((n, din)).astype(dtype)
    y = rng.standard_normal((n, dout)).astype(dtype)
    return x, y


def my_share(a: np.ndarray) -> np.ndarray:
    per = len(a) // world()
    return a[rank() * per : (rank() + 1) * per]


def mse(out, y):
    return ((out - y) ** 2).mean()


def arrays(module) -> dict:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def assert_same_weights(a, b, rtol: float) -> None:
    wa, wb = arrays(a), arrays(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_allclose(wa[k], wb[k], rtol=rtol, atol=rtol, err_msg=k)


def train_both(make_opt, dtype, rtol, steps: int = STEPS, **ddp_kwargs) -> None:
    ref, local = pair(dtype)
    model = DDP(local, **ddp_kwargs)
    opt_ref, opt = make_opt(ref.parameters()), make_opt(model.parameters())
    npdt = np.float64 if dtype == et.float64 else np.float32
    for step in range(steps):
        x, y = batch(step, npdt)
        opt_ref.zero_grad()
        mse(ref(et.tensor(x)), et.tensor(y)).backward()
        opt_ref.step()
        opt.zero_grad()
        mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
        opt.step()
    assert_same_weights(ref, local, rtol)


def check_construction_broadcasts_rank0_parameters_and_buffers():
    ref, local = pair()
    local.seen.fill_(float(rank() + 3))
    DDP(local)
    for (name, p), q in zip(ref.named_parameters(), local.parameters()):
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy(), err_msg=name)
    assert local.seen.item() == 3.0  # rank 0's buffer


def check_sgd_10_steps_equal_one_process_on_full_batch():
    train_both(lambda p: et.optim.SGD(p, lr=0.1, momentum=0.9), et.float64, 1e-12)


def check_adam_10_steps_equal_one_process_on_full_batch():
    train_both(lambda p: et.optim.Adam(p, lr=0.01), et.float64, 1e-12)


def check_float32_sgd_and_adam_equal_one_process_to_rounding():
    train_both(lambda p: et.optim.SGD(p, lr=0.1), et.float32, 1e-5)
    train_both(lambda p: et.optim.Adam(p, lr=0.01), et.float32, 1e-5)


def check_many_small_buckets_give_the_same_result():
    train_both(lambda p: et.optim.SGD(p, lr=0.1), et.float64, 1e-12, bucket_cap_mb=0.0002)
    ddp = DDP(make(0), bucket_cap_mb=0.0002)
    assert len(ddp._reducer.buckets) >= 3


def check_gradient_as_bucket_view_gives_the_same_result_and_shares_memory():
    train_both(lambda p: et.optim.SGD(p, lr=0.1), et.float64, 1e-12, gradient_as_bucket_view=True)
    ddp = DDP(make(0), gradient_as_bucket_view=True)
    x, y = batch(0)
    mse(ddp(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    flats = [b.flat for b in ddp._reducer.buckets]
    for p in ddp.parameters():
        assert any(np.shares_memory(p.grad.numpy(), f) for f in flats)


def check_grads_after_backward_are_the_full_batch_gradient():
    ref, local = pair()
    model = DDP(local, bucket_cap_mb=0.0002)
    x, y = batch(3)
    mse(ref(et.tensor(x)), et.tensor(y)).backward()
    mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    for (name, p), q in zip(ref.named_parameters(), local.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-12, err_msg=name)


def check_existing_grad_tensors_are_updated_in_place():
    model = DDP(make(0))
    opt = et.optim.SGD(model.parameters(), lr=0.1)
    x, y = batch(0)
    mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    grads = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=False)
    mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))


def check_communication_starts_before_backward_reaches_the_first_layer():
    seen = []

    class Probe(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            h = self.net.fc1(x)
            h.register_hook(lambda g: seen.append((reducer.next_bucket, len(reducer.requests))))
            return self.net.fc3(self.net.fc2(h.tanh()).tanh())

    probe = DDP(Probe(make(0)), bucket_cap_mb=0.0002)
    reducer = probe._reducer
    x, y = batch(0)
    # The first iteration records the order gradients arrive in; the second uses buckets
    # rebuilt in that order.
    for _ in range(2):
        mse(probe(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    started, requests = seen[1]
    assert started >= 1 and requests >= 1, seen  # fc3's bucket was already reducing
    assert not reducer.armed and reducer.requests == []


def check_no_sync_accumulation_equals_one_big_step():
    ref, local = pair()
    model = DDP(local, bucket_cap_mb=0.0002)
    micro, rows = 3, 4
    x, y = batch(7, n=world() * micro * rows)
    mine_x = my_share(x).reshape(micro, rows, -1)
    mine_y = my_share(y).reshape(micro, rows, -1)
    for m in range(micro - 1):
        with model.no_sync():
            mse(model(et.tensor(mine_x[m])), et.tensor(mine_y[m])).backward()
    # Inside no_sync nothing is averaged: each rank holds its own local sum.
    local_sum = make(0)
    for m in range(micro - 1):
        mse(local_sum(et.tensor(mine_x[m])), et.tensor(mine_y[m])).backward()
    for p, q in zip(local.parameters(), local_sum.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    mse(model(et.tensor(mine_x[-1])), et.tensor(mine_y[-1])).backward()
    # One big step: the sum over every micro-batch of every rank, divided by the world size.
    all_x = x.reshape(world(), micro, rows, -1)
    all_y = y.reshape(world(), micro, rows, -1)
    total = sum(
        mse(ref(et.tensor(all_x[r, m])), et.tensor(all_y[r, m]))
        for r in range(world())
        for m in range(micro)
    )
    (total / world()).backward()
    for (name, p), q in zip(ref.named_parameters(), local.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-12, err_msg=name)
    et.optim.SGD(ref.parameters(), lr=0.1).step()
    et.optim.SGD(model.parameters(), lr=0.1).step()
    assert_same_weights(ref, local, 1e-12)


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(4, 2)
        self.never = nn.Linear(4, 2)

    def forward(self, x, use_b: bool):
        h = self.a(x)
        return h + self.b(x) if use_b else h


def check_find_unused_parameters_averages_with_zeros_and_skips_unused_everywhere():
    local = make(0, cls=Branchy)
    model = DDP(local, find_unused_parameters=True, bucket_cap_mb=0.00005)
    plain = make(0, cls=Branchy)
    for step in range(2):  # twice: the reducer must re-arm cleanly
        model.zero_grad()
        plain.zero_grad()
        x = et.tensor(np.random.default_rng(10 * step + rank()).standard_normal((5, 4)))
        use_b = rank() == 0
        mse(model(x, use_b), 0).backward()
        mse(plain(x, use_b), 0).backward()
        mine = {n: p.grad.numpy() for n, p in plain.named_parameters() if p.grad is not None}
        every = [None] * world()
        dist.all_gather_object(every, mine)
        for name, p in local.named_parameters():
            if name.startswith("never"):
                assert p.grad is None, name  # no rank used it: left alone
                continue
            want = sum(g.get(name, 0) for g in every) / world()
            np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-12, err_msg=name)


def check_unused_parameter_without_find_unused_raises_at_next_forward():
    model = DDP(make(0, cls=Branchy))
    x = et.tensor(np.ones((2, 4)))
    mse(model(x, True), 0).backward()  # `never` gets no gradient: reduction cannot finish
    try:
        model(x, True)
    except RuntimeError as e:
        assert "Expected to have finished reduction in the prior iteration" in str(e), str(e)
        assert "find_unused_parameters=True" in str(e)
    else:
        raise AssertionError("no error")


def check_forward_without_backward_and_eval_under_no_grad_are_fine():
    ref, local = pair()
    model = DDP(local)
    x, y = batch(0)
    model(et.tensor(x))  # forward, no backward
    with et.no_grad():
        model(et.tensor(x))
    mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
    mse(ref(et.tensor(x)), et.tensor(y)).backward()
    for p, q in zip(ref.parameters(), local.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-12)


def check_buffers_follow_rank0_before_each_forward_when_broadcast_buffers():
    for broadcast in (True, False):
        local = make(0)
        model = DDP(local, broadcast_buffers=broadcast)
        local.seen.fill_(float(10 + rank()))
        model(et.tensor(batch(0)[0]))
        want = 10.0 if broadcast else float(10 + rank())
        assert local.seen.item() == want, (broadcast, local.seen.item())


def check_state_dict_keys():
    local = make(0)
    model = DDP(local)
    plain_keys = list(make(0).state_dict())
    assert list(model.module.state_dict()) == plain_keys
    assert list(model.state_dict()) == ["module." + k for k in plain_keys]
    assert model.module is local
    assert [id(p) for p in model.parameters()] == [id(p) for p in local.parameters()]


class SharedAndFrozen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(3, 3)
        self.frozen = nn.Linear(3, 3)
        self.frozen.requires_grad_(False)

    def forward(self, x):
        return self.shared(self.frozen(self.shared(x)).tanh())


def check_shared_and_frozen_parameters():
    ref, local = pair(cls=SharedAndFrozen)
    model = DDP(local)
    assert_same_weights(ref, local, 0)  # frozen weights are broadcast too
    opt_ref = et.optim.SGD(ref.parameters(), lr=0.1)
    opt = et.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for step in range(3):
        x, y = batch(step, din=3, dout=3)
        opt_ref.zero_grad()
        mse(ref(et.tensor(x)), et.tensor(y)).backward()
        opt_ref.step()
        opt.zero_grad()
        mse(model(et.tensor(my_share(x))), et.tensor(my_share(y))).backward()
        opt.step()
    assert local.frozen.weight.grad is None
    assert_same_weights(ref, local, 1e-12)


def check_different_models_on_different_ranks_raise_everywhere():
    try:
        DDP(nn.Linear(3, 2 + rank()))
    except RuntimeError as e:
        assert "DDP expects same model across all ranks" in str(e), str(e)
    else:
        raise AssertionError("no error")


CHECKS = {name[6:]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}

if __name__ == "__main__":
    from tests.distributed._harness import run_checks

    run_checks(CHECKS)
