"""Every script in examples/ runs with tiny settings and prints a sane result.

Each example runs in a subprocess, as a user would run it. The runs are independent, so the
``runs`` fixture starts those of the selected tests all at once and each test waits for its
own: the suite takes about as long as the slowest example, not the sum. BLAS is limited to
one thread: on a loaded 2-core machine OpenBLAS's worker threads oversubscribe the cores and
small matmuls get tens of times slower, and these runs are far too small to gain from threads.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import eagertorch as torch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT_S = 300

MY_EXAMPLES = {
    "cnn_digits.py",
    "custom_function.py",
    "finetune_frozen.py",
    "higher_order_gradients.py",
    "linear_regression.py",
    "mlp_digits.py",
    "two_layer_net.py",
}

# test name -> the command line it checks ({tmp} is a fresh folder for checkpoints)
RUNS = {
    "test_linear_regression_recovers_slope_and_intercept": (
        "linear_regression.py",
        "--epochs",
        "100",
        "--limit",
        "200",
    ),
    "test_two_layer_net_loss_falls_tenfold": ("two_layer_net.py", "--epochs", "30"),
    "test_custom_function_passes_gradchecks_and_fits": (
        "custom_function.py",
        "--epochs",
        "50",
        "--limit",
        "200",
    ),
    "test_higher_order_gradients_hvp_newton_and_penalty": (
        "higher_order_gradients.py",
        "--epochs",
        "20",
        "--limit",
        "64",
    ),
    "test_mlp_digits_learns_and_saves_a_checkpoint": (
        "mlp_digits.py",
        "--epochs",
        "5",
        "--limit",
        "400",
        "--checkpoint",
        "{tmp}/mlp.safetensors",
    ),
    "test_cnn_digits_learns_and_saves_a_checkpoint": (
        "cnn_digits.py",
        "--epochs",
        "2",
        "--limit",
        "300",
        "--checkpoint",
        "{tmp}/cnn.safetensors",
    ),
    "test_finetune_keeps_frozen_body_and_learns_new_head": (
        "finetune_frozen.py",
        "--epochs",
        "2",
        "--limit",
        "300",
    ),
    "test_cuda_device_runs_or_says_cuda_is_missing": (
        "linear_regression.py",
        "--device",
        "cuda",
        "--epochs",
        "5",
    ),
}


@dataclass
class Run:
    name: str
    folder: Path
    process: subprocess.Popen
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None

    def wait(self, check: bool = True) -> Run:
        if self.returncode is None:
            self.stdout, self.stderr = self.process.communicate(timeout=TIMEOUT_S)
            self.returncode = self.process.returncode
        if check:
            assert self.returncode == 0, f"{self.name} failed:\n{self.stdout}\n{self.stderr}"
        return self


def start(args: tuple, folder: Path) -> Run:
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    name, *rest = args
    rest = [a.replace("{tmp}", str(folder)) for a in rest]
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / name), *rest],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=folder,
    )
    return Run(name, folder, process)


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The example runs of the selected tests, all started at once, by test name."""
    selected = {
        item.originalname for item in request.session.items if item.module is request.module
    }
    started = {}
    for test, args in RUNS.items():
        if test in selected:
            started[test] = start(args, tmp_path_factory.mktemp(test[5:35]))
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.communicate()


@pytest.fixture
def run(runs, request):
    """This test's finished example run (it must exit with status 0)."""
    return runs[request.node.originalname].wait()


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"no match for {pattern!r} in:\n{text}"
    return float(match.group(1))


def percent(pattern: str, text: str) -> float:
    return number(pattern + r"\s*([0-9.]+)%", text) / 100


def test_every_example_is_tested_and_takes_device_and_epochs():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts >= MY_EXAMPLES
    # Scripts of other kinds (distributed, property tests) have tests of their own.
    here = Path(__file__).resolve()
    others = " ".join(p.read_text() for p in ROOT.glob("tests/**/*.py") if p != here)
    for name in scripts - MY_EXAMPLES:
        assert name in others, f"examples/{name} is run by no test"
    for name in MY_EXAMPLES:
        source = (EXAMPLES / name).read_text()
        for flag in ('"--device"', '"--epochs"', '"--limit"'):
            assert flag in source, f"{name} has no {flag} option"
        assert 'if __name__ == "__main__":' in source


def test_linear_regression_recovers_slope_and_intercept(run):
    w = number(r"learned w = (-?[0-9.]+)", run.stdout)
    b = number(r"b = (-?[0-9.]+)", run.stdout)
    assert abs(w - 3.0) < 0.05 and abs(b + 2.0) < 0.05
    assert number(r"final loss ([0-9.]+)", run.stdout) < 0.02  # noise variance is 0.01


def test_two_layer_net_loss_falls_tenfold(run):
    match = re.search(r"loss ([0-9.]+) -> ([0-9.]+) after 30 steps", run.stdout)
    assert match, run.stdout
    initial, final = float(match.group(1)), float(match.group(2))
    assert final < initial / 10


def test_custom_function_passes_gradchecks_and_fits(run):
    out = run.stdout
    assert "gradcheck: True, gradgradcheck: True" in out
    losses = [float(x) for x in re.findall(r"step +\d+ +loss ([0-9.]+)", out)]
    assert len(losses) == 5 and losses[-1] < losses[0]
    assert number(r"rmse vs sin\(x\) ([0-9.]+)", out) < 0.5


def test_higher_order_gradients_hvp_newton_and_penalty(run):
    out = run.stdout
    assert number(r"hvp error ([0-9.e+-]+)", out) < 1e-10
    assert number(r"newton \|grad\| ([0-9.e+-]+)", out) < 1e-8
    penalties = [float(x) for x in re.findall(r"penalty ([0-9.]+)", out)]
    assert len(penalties) == 4 and penalties[-1] < penalties[0]
    mean_norm = number(r"mean \|grad\| ([0-9.]+) \(target 1\)", out)
    assert math.isfinite(mean_norm) and 0 < mean_norm < 3


def check_checkpoint(path: Path, out: str, epochs: int, keys: dict) -> None:
    final = percent(r"final test accuracy", out)
    assert percent(r"reloaded model test accuracy", out) == final  # save/load round trip
    checkpoint = torch.load(path)
    assert checkpoint["epoch"] == epochs
    assert abs(checkpoint["test_accuracy"] - final) < 1e-4
    state = checkpoint["model"]
    for key, shape in keys.items():
        assert tuple(state[key].shape) == shape
    assert set(checkpoint["optimizer"]) == {"state", "param_groups"}


def test_mlp_digits_learns_and_saves_a_checkpoint(run):
    assert "400 training / 359 test images" in run.stdout
    assert percent(r"final test accuracy", run.stdout) > 0.6  # chance is 0.1
    assert "epoch 1/5" in run.stderr  # the progress bar
    check_checkpoint(
        run.folder / "mlp.safetensors", run.stdout, 5, {"fc1.weight": (128, 64), "fc3.bias": (10,)}
    )


def test_cnn_digits_learns_and_saves_a_checkpoint(run):
    assert percent(r"final test accuracy", run.stdout) > 0.5  # chance is 0.1
    assert "epoch 2/2" in run.stderr  # the tqdm bar
    keys = {
        "features.0.weight": (32, 1, 3, 3),
        "features.1.running_mean": (32,),
        "features.5.num_batches_tracked": (),
        "classifier.2.weight": (10, 256),
    }
    check_checkpoint(run.folder / "cnn.safetensors", run.stdout, 2, keys)


def test_finetune_keeps_frozen_body_and_learns_new_head(run):
    out = run.stdout
    assert "trainable parameters: 325, frozen: 16960" in out
    assert "(body unchanged: True, frozen grads all None: True)" in out
    untrained = percent(r"untrained head:", out)
    head_only = percent(r"head only: test accuracy", out)
    assert head_only > max(untrained, 0.4)  # chance is 0.2
    assert percent(r"fine-tuned", out) > 0.4


def test_cuda_device_runs_or_says_cuda_is_missing(runs, request):
    result = runs[request.node.originalname].wait(check=False)
    if result.returncode == 0:
        assert "learned w" in result.stdout
    else:
        assert "CUDA is not available" in result.stderr


def test_every_run_belongs_to_a_test():
    tests = {name for name in globals() if name.startswith("test_")}
    assert set(RUNS) <= tests
