"""Start-up workloads: I1, the wall time of ``python -c "import <module>"`` in a fresh
process (interpreter start included; bare ``python -c pass`` is shown for reference).

The child may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped from its environment),
so after the warm-up run eagertorch imports from cached ``.pyc`` files, as an installed
package does and as numpy and torch from site-packages already do.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from ..timing import Case, Target, Workload

REPO = pathlib.Path(__file__).resolve().parents[2]


def _import_case(statement: str):
    def make(lib, data) -> Case:
        cmd = [sys.executable, "-c", statement]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

        def step():
            subprocess.run(cmd, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)

        return Case(step)

    return make


I1 = Workload(
    id="I1",
    title='python -c "import eagertorch" in a fresh process',
    unit="s",
    make_data=lambda quick: {},
    impls={
        "numpy": _import_case("import numpy"),
        "eagertorch": _import_case("import eagertorch"),
        "torch": _import_case("import torch"),
        "python": _import_case("pass"),
    },
    target=Target(0.25),
    check=False,
    repeat=7,
    inner=1,
)

WORKLOADS = [I1]
