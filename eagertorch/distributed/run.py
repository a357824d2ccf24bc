"""Launch a data-parallel job: ``python -m eagertorch.distributed.run -n 2 train.py [args]``.

A thin wrapper over ``mpiexec -n N python train.py [args]`` (also ``-m module``), using the
``mpiexec`` of this Python environment (the ``mpich`` wheel installs one beside the
interpreter) or else the first on ``PATH``. As torchrun does, ``OMP_NUM_THREADS`` is set to 1
for several processes unless it is already set. The exit status is the job's.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys

__all__ = ["find_mpiexec", "main", "mpiexec_command"]


def find_mpiexec() -> str | None:
    """The ``mpiexec`` next to this interpreter (a venv's or the mpich wheel's), else PATH's."""
    for name in ("mpiexec", "mpirun"):
        beside = pathlib.Path(sys.executable).parent / name
        if beside.is_file() and os.access(beside, os.X_OK):
            return str(beside)
    return shutil.which("mpiexec") or shutil.which("mpirun")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m eagertorch.distributed.run",
        description="Run a training script on N processes with mpiexec.",
    )
    p.add_argument(
        "-n",
        "--nproc-per-node",
        "--nproc_per_node",
        "--np",
        dest="nproc",
        type=int,
        default=1,
        help="number of processes (default 1)",
    )
    p.add_argument(
        "-m",
        "--module",
        action="store_true",
        help="run the script argument as a module (python -m)",
    )
    p.add_argument(
        "--mpiexec",
        default=None,
        help="the mpiexec to use (default: this environment's, then PATH's)",
    )
    p.add_argument(
        "--mpiexec-args",
        default="",
        help="extra arguments for mpiexec, as one string (e.g. '--bind-to core')",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the mpiexec command instead of running it",
    )
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    return p


def mpiexec_command(
    nproc: int,
    script: str,
    script_args=(),
    module: bool = False,
    mpiexec: str | None = None,
    extra=(),
) -> list[str]:
    """The command line that runs ``script`` on ``nproc`` processes."""
    if nproc < 1:
        raise ValueError(f"the number of processes must be at least 1, got {nproc}")
    exe = mpiexec or find_mpiexec()
    if exe is None:
        raise FileNotFoundError(
            "mpiexec not found: pip install 'eagertorch[distributed]' (mpi4py and the mpich "
            "wheel, which provides mpiexec), or put an MPI installation's mpiexec on PATH"
        )
    target = ["-m", script] if module else [script]
    return [exe, *extra, "-n", str(nproc), sys.executable, *target, *script_args]


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        cmd = mpiexec_command(
            args.nproc,
            args.script,
            args.script_args,
            module=args.module,
            mpiexec=args.mpiexec,
            extra=args.mpiexec_args.split(),
        )
    except (ValueError, FileNotFoundError) as e:
        print(f"eagertorch.distributed.run: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    env = os.environ.copy()
    if args.nproc > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"
        print(
            "eagertorch.distributed.run: setting OMP_NUM_THREADS=1 for each process (set it "
            "yourself to tune BLAS threads per process)",
            file=sys.stderr,
        )
    try:
        return subprocess.run(cmd, env=env).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
