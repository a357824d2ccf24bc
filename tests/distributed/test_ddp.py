"""DistributedDataParallel on a 2-process MPI job: equivalence with one process on the full
batch (SGD, Adam, float64 and float32), bucketing, no_sync, find_unused_parameters, buffers,
state_dict keys. The job (tests/distributed/mpi_ddp.py) runs once; each check is one test.
"""

from __future__ import annotations

import pytest

import eagertorch as et
from eagertorch.nn.parallel import DistributedDataParallel

from . import mpi_ddp
from ._harness import HERE, assert_check_passed, mpiexec, requires_mpi, results


@pytest.fixture(scope="module")
def outcomes():
    done = mpiexec(str(HERE / "mpi_ddp.py"))
    assert done.returncode == 0, done.describe()
    return results(done)


@requires_mpi
@pytest.mark.parametrize("name", sorted(mpi_ddp.CHECKS))
def test_ddp_on_two_processes(outcomes, name):
    assert_check_passed(outcomes, name)


def test_ddp_without_process_group_raises_pytorch_error():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(et.nn.Linear(2, 2))
