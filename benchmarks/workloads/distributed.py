"""Distributed workloads, each implementation running as its own MPI job.

W8: ``all_reduce`` (SUM) of a 16 MiB float32 tensor between 2 local processes:
``eagertorch.distributed.all_reduce`` against mpi4py's raw ``Allreduce(IN_PLACE, array)``
on a numpy buffer (the "numpy" row: the practical limit) and, where installed, PyTorch's
gloo backend. Target: eagertorch <= 1.1x mpi4py.

W2ddp: the W2 step (MLP 784-256-128-10, ReLU, cross-entropy, SGD lr 0.01, global batch 64)
in one process (numpy by hand; eagertorch) and with ``DistributedDataParallel`` on 2
processes of 32 samples each (the "eagertorch.distributed" row). The first-step check
compares the DDP loss (averaged over ranks) and gradients with the 1-process ones. With
``--threads T`` each of P processes gets ``max(1, T // P)`` BLAS threads, so both layouts use
the same cores.

How: ``make`` starts ``mpiexec -n P python -m benchmarks.workloads.distributed --worker ...``
and connects to every rank over a Unix socket. Each timed ``step()`` sends one command to
every rank and waits for rank 0's reply (a round trip of some tens of µs, paid alike by
every row: the 1-process rows run as 1-process jobs). Idle jobs block in ``recv``, so they
use no CPU while the others are timed. W8's timed buffer holds ``x`` on rank 0 and ``-x``
on rank 1, so it sums to zeros and never overflows; the check uses a separate buffer of
per-rank random values. The workloads are listed only where mpi4py and mpiexec exist.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import weakref

import numpy as np

from ..timing import Case, Target, Workload
from .nn import LR, _cross_entropy_numpy, _uniform

F32 = np.float32
REPO = pathlib.Path(__file__).resolve().parents[2]
ALLREDUCE_BYTES, QUICK_ALLREDUCE_BYTES = 16 * 1024 * 1024, 64 * 1024
W2_SIZES = (784, 256, 128, 10)
W2_PARAMS = ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")
STARTUP_TIMEOUT, REPLY_TIMEOUT = 180, 300  # seconds


def _mpi_available() -> bool:
    if importlib.util.find_spec("mpi4py") is None:
        return False
    from eagertorch.distributed.run import find_mpiexec

    return find_mpiexec() is not None


# ----- the parent side: one MPI job per implementation -----------------------------------


class _Job:
    """An MPI job running one implementation, driven one command at a time over sockets."""

    def __init__(self, workload: str, impl: str, nprocs: int, quick: bool, threads: int):
        from eagertorch.distributed.run import find_mpiexec

        self.dir = tempfile.mkdtemp(prefix="eagertorch-bench-")
        path = os.path.join(self.dir, "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(nprocs)
        server.settimeout(STARTUP_TIMEOUT)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        per_proc = str(max(1, threads // nprocs))
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = per_proc
        cmd = [find_mpiexec(), "-n", str(nprocs), sys.executable, "-m", __name__]
        cmd += ["--worker", workload, impl, "--socket", path, "--threads", per_proc]
        cmd += ["--quick"] if quick else []
        self.log = open(os.path.join(self.dir, "log"), "w+")  # noqa: SIM115 (lives with the job)
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.files = [None] * nprocs
        try:
            for _ in range(nprocs):
                conn, _ = server.accept()
                conn.settimeout(REPLY_TIMEOUT)
                f = conn.makefile("rw")
                self.files[int(f.readline())] = f
        except (OSError, ValueError) as exc:
            self.close()
            raise RuntimeError(
                f"{workload} {impl}: the MPI job did not start:\n{self.tail()}"
            ) from exc
        finally:
            server.close()

    def tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-3000:]

    def ask(self, command: str) -> str:
        """Send ``command`` to every rank; return rank 0's one-line reply."""
        try:
            for f in self.files:
                f.write(command + "\n")
                f.flush()
            reply = self.files[0].readline()
        except OSError as exc:
            raise RuntimeError(f"the MPI job failed:\n{self.tail()}") from exc
        if not reply:
            raise RuntimeError(f"the MPI job ended:\n{self.tail()}")
        if reply.startswith("ERROR "):
            raise RuntimeError(json.loads(reply[6:]))
        return reply.rstrip("\n")

    def close(self) -> None:
        for f in self.files:
            if f is not None:
                try:
                    f.write("quit\n")
                    f.flush()
                    f.close()
                except OSError:
                    pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _job_case(workload: str, impl: str, nprocs: int):
    """``make(lib, data)`` for an implementation that runs as an ``nprocs``-process job."""

    def make(lib, data) -> Case:
        from .. import timing

        job = _Job(workload, impl, nprocs, data["quick"], timing.TORCH_THREADS)

        def step():
            return float(job.ask("step"))

        def grads():
            path = job.ask("grads")
            with np.load(path) as saved:
                return {k: saved[k] for k in saved.files}

        weakref.finalize(step, job.close)  # the job ends with the Case that drives it
        return Case(step, grads)

    return make


# ----- W8: all_reduce of 16 MiB ------------------------------------------------------------


def _w8_data(quick: bool) -> dict:
    return {"quick": quick}


def _w8_arrays(quick: bool, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """(timed buffer: x on even ranks, -x on odd ones; check buffer: per-rank values)."""
    n = (QUICK_ALLREDUCE_BYTES if quick else ALLREDUCE_BYTES) // 4
    x = np.random.default_rng(8).standard_normal(n, dtype=F32)
    timed = x if rank % 2 == 0 else -x
    check = np.random.default_rng(80 + rank).standard_normal(n, dtype=F32)
    return timed, check


class _W8:
    """One rank of W8: ``run(buffer)`` all-reduces a numpy buffer with the implementation."""

    def __init__(self, impl: str, quick: bool, rank: int) -> None:
        self.timed, self.check = _w8_arrays(quick, rank)
        if impl == "numpy":
            from mpi4py import MPI

            comm = MPI.COMM_WORLD
            self.run = lambda a: comm.Allreduce(MPI.IN_PLACE, a, op=MPI.SUM)
        elif impl == "eagertorch":
            import eagertorch as T
            import eagertorch.distributed as dist

            dist.init_process_group()
            self.run = lambda a: dist.all_reduce(T.from_numpy(a) if a is self.check else self.t)
            self.t = T.from_numpy(self.timed)
        else:  # torch, gloo backend, rendezvous through a file
            import torch
            import torch.distributed as tdist
            from mpi4py import MPI

            torch.set_num_threads(1)
            store = os.path.join(os.environ["EAGERTORCH_BENCH_DIR"], "gloo-store")
            tdist.init_process_group(
                "gloo",
                init_method=f"file://{store}",
                rank=rank,
                world_size=MPI.COMM_WORLD.Get_size(),
            )
            self.t = torch.from_numpy(self.timed)
            self.run = lambda a: tdist.all_reduce(
                torch.from_numpy(a) if a is self.check else self.t
            )

    def first_step(self) -> float:
        self.run(self.check)
        return float(self.check.sum(dtype=np.float64))

    def step(self) -> float:
        self.run(self.timed)
        return 0.0

    def grads(self) -> dict:
        return {"sample": self.check[:4096].copy()}


W8 = Workload(
    id="W8",
    title="all_reduce (SUM) of a 16 MiB float32 tensor between 2 local processes "
    "(numpy row: mpi4py Allreduce on a numpy buffer)",
    unit="ms",
    make_data=_w8_data,
    impls={name: _job_case("W8", name, 2) for name in ("numpy", "eagertorch", "torch")},
    target=Target(1.1, "numpy"),
    repeat=21,
    inner=4,  # the same number of calls per sample for every row
)


# ----- W2ddp: the W2 step on 1 process vs DistributedDataParallel on 2 -------------------


def _w2_data(quick: bool) -> dict:
    rng = np.random.default_rng(2)
    batch = 8 if quick else 64
    d = {
        "quick": quick,
        "x": rng.standard_normal((batch, W2_SIZES[0]), dtype=F32),
        "y": rng.integers(0, W2_SIZES[-1], batch),
    }
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(W2_SIZES)):
        d[W2_PARAMS[2 * i]] = _uniform(rng, (fan_out, fan_in), fan_in)
        d[W2_PARAMS[2 * i + 1]] = _uniform(rng, (fan_out,), fan_in)
    return d


class _W2Numpy:
    """W2 by hand: forward, cross-entropy, backward and the SGD update in numpy."""

    def __init__(self, data: dict) -> None:
        self.x, self.y = data["x"], data["y"]
        self.p = {k: data[k].copy() for k in W2_PARAMS}
        self.g: dict = {}

    def step(self) -> float:
        p, g, x = self.p, self.g, self.x
        w1, b1, w2, b2, w3, b3 = (p[k] for k in W2_PARAMS)
        h1 = x @ w1.T + b1
        r1 = np.maximum(h1, 0)
        h2 = r1 @ w2.T + b2
        r2 = np.maximum(h2, 0)
        loss, gz = _cross_entropy_numpy(np, r2 @ w3.T + b3, self.y)
        g["4.weight"], g["4.bias"] = gz.T @ r2, gz.sum(0)
        gh = gz @ w3
        gh *= h2 > 0
        g["2.weight"], g["2.bias"] = gh.T @ r1, gh.sum(0)
        gh = gh @ w2
        gh *= h1 > 0
        g["0.weight"], g["0.bias"] = gh.T @ x, gh.sum(0)
        for k in W2_PARAMS:
            p[k] -= F32(LR) * g[k]
        return float(loss)

    first_step = step

    def grads(self) -> dict:
        return dict(self.g)


class _W2Eagertorch:
    """W2 with eagertorch's nn, optionally wrapped in DistributedDataParallel (each rank
    then takes its slice of the batch)."""

    def __init__(self, data: dict, ddp: bool, rank: int) -> None:
        import eagertorch as T

        nn = T.nn
        self.F = T.nn.functional
        model = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
        )
        model.load_state_dict({k: T.tensor(data[k]) for k in W2_PARAMS})
        x, y = data["x"], data["y"]
        self.world = 1
        if ddp:
            import eagertorch.distributed as dist
            from eagertorch.nn.parallel import DistributedDataParallel

            dist.init_process_group()
            self.world = dist.get_world_size()
            share = len(x) // self.world
            x, y = x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share]
            model = DistributedDataParallel(model)
        self.named = dict(model.named_parameters())
        self.params = list(model.parameters())
        self.model = model
        self.opt = T.optim.SGD(self.params, lr=LR)
        self.x, self.y = T.tensor(x), T.tensor(y)

    def step(self) -> float:
        for p in self.params:
            p.grad = None
        loss = self.F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def first_step(self) -> float:
        loss = self.step()
        if self.world > 1:
            from mpi4py import MPI

            loss = MPI.COMM_WORLD.allreduce(loss) / self.world
        return loss

    def grads(self) -> dict:
        return {k.removeprefix("module."): p.grad.numpy() for k, p in self.named.items()}


W2DDP = Workload(
    id="W2ddp",
    title="W2 step (MLP 784-256-128-10, batch 64, SGD) on 1 process; eagertorch.distributed: "
    "DistributedDataParallel on 2 processes of 32",
    unit="ms",
    make_data=_w2_data,
    impls={
        "numpy": _job_case("W2ddp", "numpy", 1),
        "eagertorch": _job_case("W2ddp", "eagertorch", 1),
        "eagertorch.distributed": _job_case("W2ddp", "eagertorch.distributed", 2),
    },
    repeat=15,
    inner=20,
)

WORKLOADS = [W8, W2DDP] if _mpi_available() else []


# ----- the worker side: one rank of a job --------------------------------------------------


def _runner(workload: str, impl: str, quick: bool, rank: int):
    if workload == "W8":
        return _W8(impl, quick, rank)
    data = _w2_data(quick)
    if impl == "numpy":
        return _W2Numpy(data)
    return _W2Eagertorch(data, impl == "eagertorch.distributed", rank)


def _worker(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "IMPL"), required=True)
    p.add_argument("--socket", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    workload, impl = args.worker
    rank = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    os.environ["EAGERTORCH_BENCH_DIR"] = os.path.dirname(args.socket)
    runner = _runner(workload, impl, args.quick, rank)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(args.socket)
    f = conn.makefile("rw")
    f.write(f"{rank}\n")
    f.flush()
    first = True
    for line in f:
        command = line.strip()
        if command == "quit":
            break
        try:
            if command == "step":
                reply = repr(runner.first_step() if first else runner.step())
                first = False
            else:  # grads: saved by rank 0 next to the socket
                reply = os.path.join(os.path.dirname(args.socket), "grads.npz")
                grads = runner.grads()
                if rank == 0:
                    np.savez(reply, **grads)
        except Exception as exc:
            reply = "ERROR " + json.dumps(f"{workload} {impl} rank {rank}: {exc!r}")
        if rank == 0:
            f.write(reply + "\n")
            f.flush()


if __name__ == "__main__":
    _worker()
