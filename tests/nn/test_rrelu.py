"""RReLU: random slopes in [lower, upper] when training, reproducible under manual_seed,
a gradient equal to the slope drawn; the mean slope in eval; in-place variants; errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


@settings(max_examples=10)
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
    bounds=st.tuples(st.floats(0.0, 0.9), st.floats(0.0, 0.9)).map(sorted),
    seed=st.integers(0, 1000),
)
def test_training_slopes_lie_in_bounds_and_are_the_gradient(shape, bounds, seed):
    lower, upper = bounds
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from 0, where out / x is not the slope
    xt = et.tensor(x, requires_grad=True)
    et.manual_seed(seed)
    y = F.rrelu(xt, lower, upper, training=True)
    y.sum().backward()
    slope = y.detach().numpy() / x
    neg = x < 0
    assert np.all((slope[neg] >= lower) & (slope[neg] <= upper))
    np.testing.assert_array_equal(slope[~neg], 1.0)
    np.testing.assert_allclose(xt.grad.numpy(), slope, rtol=1e-12)

    def seeded(x):  # the same draw at every call, so finite differences see one function
        et.manual_seed(seed)
        return F.rrelu(x, lower, upper, training=True)

    assert gradcheck(seeded, (xt,))
    assert gradgradcheck(seeded, (xt,))
    evaluated = lambda x: F.rrelu(x, lower, upper, training=False)  # noqa: E731
    np.testing.assert_allclose(
        evaluated(xt).detach().numpy(), np.where(x > 0, x, x * (lower + upper) / 2)
    )
    assert gradcheck(evaluated, (xt,))
    assert gradgradcheck(evaluated, (xt,))


def test_seeding_reproduces_the_slopes_and_fresh_draws_differ():
    x = -et.rand(1000) - 0.1
    et.manual_seed(7)
    a = F.rrelu(x, training=True)
    b = F.rrelu(x, training=True)
    et.manual_seed(7)
    c = F.rrelu(x, training=True)
    np.testing.assert_array_equal(a.numpy(), c.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())
    slopes = (a / x).numpy()
    # Uniform on [1/8, 1/3]: the mean is near 0.229 and the draws spread over the interval.
    assert abs(slopes.mean() - (1 / 8 + 1 / 3) / 2) < 0.01
    assert slopes.min() < 0.14 and slopes.max() > 0.32
    assert a.dtype == et.float32


def test_module_switches_with_train_and_eval():
    m = nn.RReLU(0.1, 0.3)
    x = et.tensor([-2.0, -1.0, 3.0])
    np.testing.assert_allclose(m.eval()(x).numpy(), [-0.4, -0.2, 3.0], rtol=1e-6)
    y = m.train()(x).numpy()
    assert np.all((y[:2] <= -0.1 * np.array([2, 1]) + 1e-6) & (y[:2] >= [-0.6, -0.3 - 1e-6]))
    assert repr(m) == "RReLU(lower=0.1, upper=0.3)"
    assert (
        repr(nn.RReLU(inplace=True)) == "RReLU(lower=0.125, upper=0.3333333333333333, inplace=True)"
    )


def test_inplace_variants_write_into_the_input():
    x = et.tensor([-2.0, 1.0])
    assert F.rrelu_(x, 0.5, 0.5) is x
    np.testing.assert_allclose(x.numpy(), [-1.0, 1.0])
    x = et.tensor([-2.0, 1.0])
    out = nn.RReLU(0.25, 0.25, inplace=True).train()(x)
    assert out is x
    np.testing.assert_allclose(x.numpy(), [-0.5, 1.0])
    leaf = et.tensor([-1.0, 2.0], requires_grad=True)
    y = leaf * 1.0
    F.rrelu(y, 0.2, 0.2, training=True, inplace=True).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), [0.2, 1.0], rtol=1e-6)


def test_errors():
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(et.randn(3), 0.5, 0.2, training=True)
    with pytest.raises(NotImplementedError, match="\"leaky_relu_cpu\" not implemented for 'Long'"):
        F.rrelu(et.tensor([1, -1]))
