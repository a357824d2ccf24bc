"""examples/ddp_digits.py trains on 2 processes and learns (a short run)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from ._harness import REPO, mpiexec, requires_mpi


@requires_mpi
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_ddp_digits_example_learns_on_two_processes():
    done = mpiexec(str(REPO / "examples" / "ddp_digits.py"), "--epochs", "2", timeout=120)
    assert done.returncode == 0, done.describe()
    assert "2 process(es), 1438 training images (719 per process)" in done.stdout
    found = re.search(r"final test accuracy: ([0-9.]+)", done.stdout)
    assert found, done.describe()
    assert float(found.group(1)) > 0.5, done.describe()  # chance is 0.1
