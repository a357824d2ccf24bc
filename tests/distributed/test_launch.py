"""Launching: the launcher, a failing rank ending the whole job, the 1-process case, and
``import eagertorch`` not loading MPI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eagertorch.distributed import run

from ._harness import HERE, REPO, launch, mpiexec, requires_mpi

LAUNCHER = [sys.executable, "-m", "eagertorch.distributed.run"]


@requires_mpi
@pytest.mark.parametrize("failing, via", [(0, "mpiexec"), (1, "launcher")])
def test_a_rank_that_raises_fails_the_job_with_its_error_without_hanging(failing, via):
    script = [str(HERE / "mpi_raise.py"), str(failing)]
    if via == "launcher":
        done = launch([*LAUNCHER, "-n", "2", *script], timeout=60)
    else:
        done = mpiexec(*script, timeout=60)
    assert done.returncode != 0, done.describe()
    assert f"ValueError: rank {failing} failed on purpose" in done.stderr, done.describe()
    assert "aborting the job" in done.stderr
    assert "passed the all_reduce" not in done.stdout, done.describe()
    assert done.seconds < 30, done.describe()


@requires_mpi
def test_launcher_runs_n_processes_with_torchrun_variables_and_one_omp_thread():
    env = {"OMP_NUM_THREADS": ""}  # removed below: the launcher must set it
    cmd = [*LAUNCHER, "-n", "2", str(HERE / "mpi_env.py"), "--lr", "0.1"]
    done = launch(["env", "-u", "OMP_NUM_THREADS", *cmd], env_extra=env)
    assert done.returncode == 0, done.describe()
    assert done.stdout.splitlines() == [
        "rank=0 RANK=0 LOCAL_RANK=0 WORLD_SIZE=2 omp=1 args=['--lr', '0.1']",
        "rank=1 RANK=1 LOCAL_RANK=1 WORLD_SIZE=2 omp=1 args=['--lr', '0.1']",
    ], done.describe()


@requires_mpi
def test_a_process_started_without_launcher_is_a_group_of_one():
    code = (
        "import eagertorch as et, eagertorch.distributed as dist\n"
        "dist.init_process_group()\n"
        "t = et.tensor([2.0, 4.0]); dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
        "print(dist.get_world_size(), dist.get_rank(), t.tolist())\n"
        "dist.destroy_process_group(); print(dist.is_initialized())\n"
    )
    done = launch([sys.executable, "-c", code], timeout=60)
    assert done.returncode == 0, done.describe()
    assert done.stdout.split("\n")[:2] == ["1 0 [2.0, 4.0]", "False"]


def test_importing_eagertorch_and_distributed_does_not_load_mpi():
    code = (
        "import sys, eagertorch, eagertorch.distributed, eagertorch.nn.parallel\n"
        "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'\n"
        "assert not eagertorch.distributed.is_initialized()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()


def test_launcher_dry_run_prints_the_mpiexec_command(capsys):
    assert run.main(["-n", "3", "--mpiexec", "/opt/mpi/mpiexec", "--dry-run", "t.py", "-x"]) == 0
    assert capsys.readouterr().out.split() == [
        "/opt/mpi/mpiexec", "-n", "3", sys.executable, "t.py", "-x",
    ]  # fmt: skip
    assert run.mpiexec_command(2, "pkg.train", module=True, mpiexec="mpiexec")[-2:] == [
        "-m",
        "pkg.train",
    ]


def test_launcher_rejects_zero_processes_and_a_missing_mpiexec(capsys, monkeypatch):
    assert run.main(["-n", "0", "--mpiexec", "mpiexec", "t.py"]) == 2
    assert "at least 1" in capsys.readouterr().err
    monkeypatch.setattr(run, "find_mpiexec", lambda: None)
    assert run.main(["-n", "2", "t.py"]) == 2
    assert "mpiexec not found" in capsys.readouterr().err


def test_launcher_variables_become_torchrun_variables_unless_already_set():
    from eagertorch.distributed.process_group import _export_launcher_env

    env = {"PMI_RANK": "3", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1", "LOCAL_WORLD_SIZE": "9"}
    _export_launcher_env(env)
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"]) == ("3", "4", "1")
    assert env["LOCAL_WORLD_SIZE"] == "9"
    env = {"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "0"}
    _export_launcher_env(env)
    assert (env["RANK"], env["LOCAL_RANK"]) == ("2", "0") and "WORLD_SIZE" not in env


def test_init_process_group_rejects_unknown_backends_before_loading_mpi():
    import eagertorch.distributed as dist

    with pytest.raises(ValueError, match="Invalid backend: 'tcp'"):
        dist.init_process_group("tcp")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
