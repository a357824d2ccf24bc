"""Hypothesis profiles (dev, ci, thorough), chosen by EAGERTORCH_HYPOTHESIS_PROFILE."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_common = dict(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.register_profile("dev", max_examples=15, **_common)
settings.register_profile("ci", max_examples=25, derandomize=True, print_blob=True, **_common)
settings.register_profile("thorough", max_examples=300, **_common)
settings.load_profile(os.environ.get("EAGERTORCH_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with grad mode on, default dtype float32 and a seeded generator."""
    import eagertorch

    eagertorch.set_default_dtype(eagertorch.float32)
    eagertorch.manual_seed(0)
    np.random.seed(0)
    yield
    eagertorch.set_default_dtype(eagertorch.float32)
    assert eagertorch.is_grad_enabled(), "a test leaked a no_grad state"
