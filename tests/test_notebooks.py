"""Every notebook in notebooks/ is stored without outputs and executes without error.

Each notebook runs in a fresh ``python3`` Jupyter kernel (nbclient), within a time budget
that guards against hangs; the selected notebooks run concurrently. Checks on the executed
outputs make sure the notebooks do what their text says (the classifier learns, the buggy
backwards and module are caught, the tape drawings render).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
NOTEBOOK_BUDGET_S = 180

# Run first, in the kernel: hypothesis' health checks time example generation, which a busy
# test machine can slow past their limits; they say nothing about the code under test.
HYPOTHESIS_SETUP = """\
from hypothesis import HealthCheck, settings
settings.register_profile("notebook-tests", suppress_health_check=list(HealthCheck))
settings.load_profile("notebook-tests")
"""


def read(path: Path):
    return nbformat.read(path, as_version=4)


def text_of(nb) -> str:
    """Everything the executed notebook printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(out.data.get("text/plain", ""))
    return "\n".join(parts)


def mime_types(nb) -> list[str]:
    return [
        mime
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "data" in out
        for mime in out.data
    ]


async def execute(path: Path, workdir: Path):
    nb = read(path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(HYPOTHESIS_SETUP))
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    await asyncio.wait_for(client.async_execute(), NOTEBOOK_BUDGET_S)
    return nb


# test name -> the notebook it checks
EXECUTIONS = {
    "test_tour_of_tensors_and_autograd_runs": "01_tensors_and_autograd.ipynb",
    "test_training_a_classifier_runs_and_learns": "02_training_a_classifier.ipynb",
    "test_property_based_testing_catches_the_bugs": "03_property_based_gradient_testing.ipynb",
    "test_visualising_the_tape_renders_svg": "04_visualising_the_tape.ipynb",
}


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """The notebooks of the selected tests, executed concurrently (one kernel each), by test
    name: an executed notebook, or the exception its execution raised."""
    items = request.session.items
    selected = [i.originalname for i in items if i.module is request.module]
    tests = [t for t in EXECUTIONS if t in selected]

    async def run_all():
        return await asyncio.gather(
            *(
                execute(NOTEBOOK_DIR / EXECUTIONS[t], tmp_path_factory.mktemp(t[5:30]))
                for t in tests
            ),
            return_exceptions=True,
        )

    with pytest.MonkeyPatch.context() as mp:  # the kernels inherit this environment
        # One BLAS thread: the notebooks' small matmuls only lose from threads on a busy machine.
        mp.setenv("OPENBLAS_NUM_THREADS", "1")
        mp.setenv("OMP_NUM_THREADS", "1")
        mp.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws PNGs
        results = asyncio.run(run_all())
    return dict(zip(tests, results))


@pytest.fixture
def nb(executed, request):
    """This test's executed notebook."""
    result = executed[request.node.originalname]
    if isinstance(result, BaseException):
        raise result
    return result


def test_every_notebook_is_executed_by_a_test():
    assert [p.name for p in NOTEBOOKS] == sorted(EXECUTIONS.values())
    tests = {name for name in globals() if name.startswith("test_")}
    assert set(EXECUTIONS) <= tests


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_tour_of_tensors_and_autograd_runs(nb):
    text = text_of(nb)
    assert "12.0 12.0 6.0" in text  # derivatives of x**3 at 2
    assert "modified by an inplace operation" in text
    assert "grad can be implicitly created only for scalar outputs" in text
    assert mime_types(nb).count("text/html") >= 2  # the tensor card and the module tree


def test_training_a_classifier_runs_and_learns(nb):
    text = text_of(nb)
    accuracy = float(re.search(r"test accuracy ([0-9.]+)% after", text).group(1))
    restored = float(re.search(r"restored model accuracy ([0-9.]+)%", text).group(1))
    assert accuracy > 90 and restored == accuracy
    assert "epoch 1/" in text  # the progress bar
    assert mime_types(nb).count("image/png") >= 2  # samples and the live plot


def test_property_based_testing_catches_the_bugs(nb):
    text = text_of(nb)
    for line in ("LogCosh passed", "log_softmax passed", "gated passed", "properties hold"):
        assert line in text
    assert "backward linearity failed for LogCoshForgetsGradOutput.apply" in text
    assert "gradcheck: True" in text
    assert "gradgradcheck (second order) failed for LogCoshNumpyBackward.apply" in text
    assert "Highway passed" in text
    assert "registration failed for HighwayStack()" in text


def test_visualising_the_tape_renders_svg(nb):
    text = text_of(nb)
    assert mime_types(nb).count("image/svg+xml") >= 5
    assert "digraph tape {" in text
    assert "Trying to backward through the graph a second time" in text
    assert "['cnn.dot', 'cnn.svg']" in text
