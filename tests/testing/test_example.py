"""``examples/property_test_custom_function.py`` works under pytest and as a script."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "property_test_custom_function.py"


def _load():
    spec = importlib.util.spec_from_file_location("property_test_custom_function", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE_MODULE = _load()


@pytest.mark.parametrize(
    "name", sorted(n for n in dir(EXAMPLE_MODULE) if n.startswith("test_")), ids=str
)
def test_the_examples_tests_pass(name):
    getattr(EXAMPLE_MODULE, name)()


def test_the_script_shows_the_shrunk_counterexample_of_the_planted_bug():
    env = dict(os.environ, PYTHONPATH=str(EXAMPLE.parents[1]))
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--buggy", "--examples", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "test_softplus_passes_every_check: passed" in proc.stdout
    assert "check_op on BuggySoftplus failed, as it should" in proc.stdout
    assert "args = (eagertorch.tensor(-" in proc.stdout
    assert "Falsifying example" in proc.stdout
