"""``eagertorch.utils.progress.progress``: tqdm.auto bars, imported only when shown."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import eagertorch as torch
from eagertorch.utils.data import DataLoader, TensorDataset
from eagertorch.utils.progress import progress


def test_enabled_bar_iterates_everything_and_writes_its_description():
    tqdm = pytest.importorskip("tqdm")
    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=3)
    out = io.StringIO()
    bar = progress(loader, desc="epoch 1", file=out, mininterval=0)
    assert isinstance(bar, tqdm.tqdm)
    batches = [b for (b,) in bar]
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert "epoch 1" in out.getvalue() and "4/4" in out.getvalue()


def test_disabled_bar_is_the_iterable_with_tqdms_methods_as_no_ops(capsys):
    items = [1, 2, 3]
    bar = progress(items, desc="quiet", disable=True)
    assert list(bar) == items and len(bar) == 3
    with bar as b:
        b.set_postfix(loss="0.1", refresh=False)
        b.set_postfix_str("x")
        b.set_description("y")
        b.update(2)
        b.refresh()
    bar.close()
    bar.write("a message")
    assert capsys.readouterr().out == "a message\n"


def test_disabled_bar_and_import_never_load_tqdm():
    code = (
        "import sys\n"
        "from eagertorch.utils.progress import progress\n"
        "assert list(progress(range(3), disable=True)) == [0, 1, 2]\n"
        "assert not any(m == 'tqdm' or m.startswith('tqdm.') for m in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_missing_tqdm_raises_import_error_saying_how_to_install(monkeypatch):
    for name in ("tqdm", "tqdm.auto", "tqdm.autonotebook"):
        monkeypatch.setitem(sys.modules, name, None)  # makes importing them fail
    with pytest.raises(ImportError, match=r"pip install tqdm"):
        progress([1, 2])
    assert list(progress([1, 2], disable=True)) == [1, 2]


class CountingIterable:
    def __init__(self, items):
        self.items, self.iterations = items, 0

    def __iter__(self):
        self.iterations += 1
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_bar_iterates_its_iterable_once_so_a_shuffling_loader_draws_one_permutation():
    pytest.importorskip("tqdm")
    items = CountingIterable([1, 2, 3])
    assert list(progress(items, file=io.StringIO())) == [1, 2, 3]
    assert items.iterations == 1  # tqdm.auto's class would call iter() twice


def test_batches_are_the_same_with_and_without_the_bar():
    pytest.importorskip("tqdm")

    def epochs(disable):
        torch.manual_seed(0)
        loader = DataLoader(TensorDataset(torch.arange(12)), batch_size=4, shuffle=True)
        bars = (progress(loader, disable=disable, file=io.StringIO()) for _ in range(2))
        return [[b.tolist() for (b,) in bar] for bar in bars]

    assert epochs(disable=False) == epochs(disable=True)
