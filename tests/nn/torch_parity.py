"""Shared checks of the nn parity tests against PyTorch (imported only by ``*_torch_parity``
files, which skip without torch)."""

from __future__ import annotations

import numpy as np
import torch

import eagertorch as et


def raised(fn, *args, **kwargs):
    """``(type, message)`` of the exception that ``fn(*args, **kwargs)`` raises, or None."""
    try:
        fn(*args, **kwargs)
    except Exception as e:  # whatever PyTorch raises is the expectation
        return type(e), str(e)
    return None


def check_values_and_grads(ours_fn, theirs_fn, *arrays, rtol=1e-12, atol=1e-12, seed=1):
    """Same output, and the same gradient of every input for one random upstream gradient."""
    ours_in = [et.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, u = ours_fn(*ours_in), theirs_fn(*theirs_in)
    assert tuple(y.shape) == tuple(u.shape)
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(tuple(u.shape))
    y.backward(et.tensor(g))
    u.backward(torch.tensor(g))
    for x, t in zip(ours_in, theirs_in):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
