"""Every collective against numpy references on every rank of a 2-process MPI job.

The job (tests/distributed/mpi_collectives.py) is started once, through the launcher
``python -m eagertorch.distributed.run``; each check becomes one test here.
"""

from __future__ import annotations

import sys

import pytest

from . import mpi_collectives
from ._harness import HERE, assert_check_passed, launch, requires_mpi, results

pytestmark = requires_mpi


@pytest.fixture(scope="module")
def outcomes():
    cmd = [sys.executable, "-m", "eagertorch.distributed.run", "-n", "2"]
    done = launch([*cmd, str(HERE / "mpi_collectives.py")])
    assert done.returncode == 0, done.describe()
    return results(done)


@pytest.mark.parametrize("name", sorted(mpi_collectives.CHECKS))
def test_collective_matches_numpy_on_every_rank(outcomes, name):
    assert_check_passed(outcomes, name)
