"""Running check scripts on several MPI processes from pytest, and the checks inside them.

A check script (``mpi_*.py``) defines ``CHECKS``, a dict of name -> function, and calls
``run_checks(CHECKS)`` under ``__main__``: every rank runs every check and the per-rank
outcomes (``"ok"`` or a traceback) are exchanged with raw mpi4py on ``COMM_WORLD`` (not the
code under test), then printed by rank 0 as one ``RESULTS {json}`` line. The pytest side
launches the script once per module and turns each check into one test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import traceback

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
N_PROCS = 2
TIMEOUT = 90  # seconds for one launch: a hang fails the test instead of blocking CI


def mpi_skip_reason() -> str | None:
    """Why MPI jobs cannot run here, or None when they can."""
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed: pip install 'eagertorch[distributed]' (mpi4py, mpich)"
    from eagertorch.distributed.run import find_mpiexec

    if find_mpiexec() is None:
        return "no mpiexec found (the mpich wheel provides one): MPI cannot be launched"
    return None


requires_mpi = pytest.mark.skipif(mpi_skip_reason() is not None, reason=str(mpi_skip_reason()))


class Finished:
    def __init__(self, returncode: int, stdout: str, stderr: str, seconds: float) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def describe(self) -> str:
        return (
            f"exit status {self.returncode} after {self.seconds:.1f} s\n--- stdout ---\n"
            f"{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"
        )


def launch(cmd: list[str], timeout: float = TIMEOUT, env_extra=None) -> Finished:
    """Run ``cmd`` (an mpiexec or launcher command) in its own session, killing the whole
    session (mpiexec and every rank) if it outlives ``timeout``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(env_extra or {})
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(
            f"{' '.join(cmd)} did not finish within {timeout} s (a hang)\n{out[-3000:]}\n"
            f"{err[-3000:]}"
        )
    return Finished(proc.returncode, out, err, time.monotonic() - start)


def mpiexec(script: str, *args: str, n: int = N_PROCS, timeout: float = TIMEOUT) -> Finished:
    from eagertorch.distributed.run import find_mpiexec

    return launch([find_mpiexec(), "-n", str(n), sys.executable, script, *args], timeout)


def results(done: Finished) -> dict:
    """The ``RESULTS`` line of a check script, or a test failure showing its output."""
    for line in done.stdout.splitlines():
        if line.startswith("RESULTS "):
            return json.loads(line[len("RESULTS ") :])
    pytest.fail(f"the check script reported no results: {done.describe()}")


def assert_check_passed(all_results: dict, name: str) -> None:
    outcomes = all_results.get(name)
    assert outcomes is not None, f"check {name} did not run"
    failures = [f"rank {r}:\n{o}" for r, o in enumerate(outcomes) if o != "ok"]
    assert not failures, "\n".join(failures)


# ----- inside the MPI job -----------------------------------------------------------------


def run_checks(checks: dict) -> None:
    """Run every check on every rank; rank 0 prints the outcomes as ``RESULTS {json}``."""
    from mpi4py import MPI

    import eagertorch.distributed as dist

    dist.init_process_group()
    world = MPI.COMM_WORLD
    outcomes = {}
    for name, fn in checks.items():
        try:
            fn()
            status = "ok"
        except Exception:
            status = traceback.format_exc()
        outcomes[name] = world.allgather(status)
    if world.Get_rank() == 0:
        print("RESULTS " + json.dumps(outcomes), flush=True)
    dist.destroy_process_group()
