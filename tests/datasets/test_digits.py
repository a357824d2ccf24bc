"""The bundled scikit-learn 8x8 digits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import eagertorch as et
from eagertorch.datasets import Digits

pytest.importorskip("sklearn")


def test_items_are_1x8x8_float32_in_unit_range_and_int64_labels():
    ds = Digits()
    img, label = ds[0]
    assert tuple(img.shape) == (1, 8, 8) and img.dtype == et.float32
    assert label.dtype == et.int64 and label.dim() == 0
    assert tuple(ds.data.shape) == (len(ds), 1, 8, 8)
    assert ds.data.min().item() == 0.0 and ds.data.max().item() == 1.0
    assert set(ds.targets.tolist()) == set(range(10))


def test_split_is_a_partition_of_the_whole_dataset():
    from sklearn.datasets import load_digits

    train, test = Digits(train=True), Digits(train=False)
    assert len(train) + len(test) == 1797
    assert len(test) == round(1797 * 0.2)
    ref = load_digits()
    ref_rows = np.column_stack([(ref.images / 16).reshape(-1, 64), ref.target])
    ours = np.concatenate(
        [
            np.column_stack([d.data.numpy().reshape(-1, 64), d.targets.numpy()])
            for d in (train, test)
        ]
    )
    # Same multiset of (image, label) rows: every sample lands in exactly one split.
    np.testing.assert_allclose(
        ours[np.lexsort(ours.T)], ref_rows[np.lexsort(ref_rows.T)].astype(np.float32), atol=1e-7
    )


def test_split_is_deterministic_and_seed_dependent():
    a, b = Digits(seed=0), Digits(seed=0)
    np.testing.assert_array_equal(a.targets.numpy(), b.targets.numpy())
    np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())
    c = Digits(seed=1)
    assert not np.array_equal(a.targets.numpy(), c.targets.numpy())


def test_whole_dataset_equals_sklearns_load_digits_without_importing_sklearn(tmp_path):
    from sklearn.datasets import load_digits

    path = tmp_path / "digits.npy"
    code = (
        "import sys, numpy as np; from eagertorch.datasets import Digits;"
        "ds = Digits(test_fraction=0.0);"
        "np.save(sys.argv[1], np.concatenate("
        "[ds.data.numpy().reshape(-1, 64), ds.targets.numpy()[:, None]], 1));"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
    ours = np.load(path)
    ref = load_digits()
    order = np.random.default_rng(0).permutation(len(ref.target))  # Digits' split order
    np.testing.assert_array_equal(ours[:, :64], (ref.data[order] / 16).astype(np.float32))
    np.testing.assert_array_equal(ours[:, 64], ref.target[order])


def test_labels_match_images_from_sklearn():
    from sklearn.datasets import load_digits

    ref = load_digits()
    ds = Digits(train=False, test_fraction=0.5, seed=3)
    img, label = ds[7]
    matches = [
        i for i, r in enumerate(ref.images) if np.allclose(r / 16, img.numpy()[0], atol=1e-7)
    ]
    assert int(label) in {int(ref.target[i]) for i in matches}


def test_transform_applied_and_bad_fraction_rejected():
    ds = Digits(transform=lambda x: x * 2, target_transform=lambda t: t + 100)
    img, label = ds[0]
    assert img.max().item() <= 2.0 and int(label) >= 100
    with pytest.raises(ValueError, match="test_fraction"):
        Digits(test_fraction=1.5)


def test_inplace_transform_leaves_the_dataset_unchanged():
    ds = Digits(transform=lambda x: x.mul_(0))
    before = ds.data.numpy().copy()
    assert ds[3][0].sum().item() == 0
    np.testing.assert_array_equal(ds.data.numpy(), before)
