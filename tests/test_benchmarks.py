"""Smoke tests of benchmarks/: every workload runs at tiny sizes, its implementations agree on
the first step, and the agreement check rejects a wrong implementation. No timing asserts."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import timing
from benchmarks.run import format_table, to_json
from benchmarks.workloads import WORKLOADS

REPO = pathlib.Path(__file__).resolve().parents[1]
CHECKED = [wid for wid, w in WORKLOADS.items() if w.check]


def _tiny(workload, **kwargs):
    return timing.measure(
        workload, quick=True, repeat=1, sample_time=0.0, warmup_time=0.0, settle=0.0, **kwargs
    )


@pytest.mark.parametrize("wid", CHECKED)
def test_workload_implementations_agree_on_first_step(wid):
    result = _tiny(WORKLOADS[wid])  # raises MismatchError if they disagree
    assert {"numpy", "eagertorch"} <= set(result.timings)
    for t in result.timings.values():
        assert len(t.samples) == 1
        assert t.samples[0] > 0


def _with_eagertorch(workload, make):
    return dataclasses.replace(
        workload, impls={"numpy": workload.impls["numpy"], "eagertorch": make}
    )


def _altered(make, loss_factor=1.0, grad=None):
    """An implementation whose loss is scaled by ``loss_factor`` and whose first gradient is
    replaced by ``grad(g)``."""

    def altered(lib, data):
        case = make(lib, data)

        def grads():
            out = case.grads()
            if grad is not None:
                key = next(iter(out))
                out[key] = grad(out[key])
            return out

        return timing.Case(lambda: float(case.step().detach()) * loss_factor, grads)

    return altered


def test_check_rejects_a_wrong_loss():
    w1 = WORKLOADS["W1"]
    bad = _with_eagertorch(w1, _altered(w1.impls["eagertorch"], loss_factor=1.001))
    with pytest.raises(timing.MismatchError, match="eagertorch loss"):
        _tiny(bad)


def test_check_rejects_a_wrong_gradient():
    w1 = WORKLOADS["W1"]
    bad = _with_eagertorch(w1, _altered(w1.impls["eagertorch"], grad=lambda g: g * 1.01))
    with pytest.raises(timing.MismatchError, match="grad x differs"):
        _tiny(bad)


def test_check_rejects_a_float64_gradient():
    w1 = WORKLOADS["W1"]
    bad = _with_eagertorch(
        w1, _altered(w1.impls["eagertorch"], grad=lambda g: g.astype(np.float64))
    )
    with pytest.raises(timing.MismatchError, match="float64"):
        _tiny(bad)


def test_check_accepts_the_same_implementation_twice():
    w1 = WORKLOADS["W1"]
    same = _with_eagertorch(w1, _altered(w1.impls["eagertorch"]))
    assert set(_tiny(same).timings) == {"numpy", "eagertorch"}


def test_import_time_workload_runs_fresh_processes():
    result = _tiny(WORKLOADS["I1"], impls={"python", "eagertorch"})
    assert set(result.timings) == {"python", "eagertorch"}
    assert all(t.samples[0] > 0 for t in result.timings.values())


def test_table_shows_ratios_and_target_verdict():
    w1 = WORKLOADS["W1"]
    result = _tiny(w1, impls={"numpy", "eagertorch"})
    table = format_table(result)
    assert "x numpy" in table and "eagertorch <= 0.8x torch: n/a" in table
    entry = to_json(result)
    assert entry["implementations"]["numpy"]["x_numpy"] == 1.0
    assert entry["target"]["passed"] is None


def test_command_line_writes_json(tmp_path):
    out = tmp_path / "results.json"
    cmd = [
        sys.executable,
        "benchmarks/run.py",
        "W1",
        "--quick",
        "--impls",
        "numpy,eagertorch",
        "--json",
        str(out),
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "W1" in proc.stdout
    doc = json.loads(out.read_text())
    assert set(doc["workloads"]["W1"]["implementations"]) == {"numpy", "eagertorch"}
