"""ImageFolder over a tiny tree of PNGs written by the tests."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import eagertorch as et
from eagertorch.datasets import DatasetFolder, ImageFolder, transforms

Image = pytest.importorskip("PIL.Image")


def _png(path, value, size=(4, 3)):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.full((size[1], size[0], 3), value, dtype=np.uint8)
    Image.fromarray(arr).save(path)


@pytest.fixture
def tree(tmp_path):
    _png(tmp_path / "dog" / "b.png", 10)
    _png(tmp_path / "dog" / "a.png", 20)
    _png(tmp_path / "cat" / "z.png", 30)
    _png(tmp_path / "cat" / "sub" / "y.PNG", 40)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "loose.png").write_bytes(b"")  # files in root are not classes
    return tmp_path


def test_classes_are_sorted_folder_names(tree):
    ds = ImageFolder(tree)
    assert ds.classes == ["cat", "dog"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1}


def test_samples_are_sorted_within_class_and_skip_non_images(tree):
    ds = ImageFolder(tree)
    rel = [(os.path.relpath(p, tree), t) for p, t in ds.samples]
    assert rel == [
        (os.path.join("cat", "z.png"), 0),
        (os.path.join("cat", "sub", "y.PNG"), 0),
        (os.path.join("dog", "a.png"), 1),
        (os.path.join("dog", "b.png"), 1),
    ]
    assert ds.targets == [0, 0, 1, 1]
    assert ds.imgs is ds.samples
    assert len(ds) == 4


def test_items_are_rgb_pil_images_and_targets(tree):
    ds = ImageFolder(tree)
    img, target = ds[2]
    assert target == 1
    assert img.mode == "RGB" and img.size == (4, 3)
    assert np.asarray(img)[0, 0, 0] == 20


def test_transform_and_target_transform_are_applied(tree):
    ds = ImageFolder(tree, transform=transforms.ToTensor(), target_transform=lambda t: -t)
    img, target = ds[3]
    assert target == -1
    assert img.dtype == et.float32 and tuple(img.shape) == (3, 3, 4)
    np.testing.assert_allclose(img.numpy(), 10 / 255, rtol=1e-6)


def test_is_valid_file_filters_samples(tree):
    ds = ImageFolder(tree, is_valid_file=lambda p: p.endswith(("a.png", "z.png")))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["z.png", "a.png"]


def test_class_without_valid_files_is_an_error(tree):
    (tree / "empty").mkdir()
    (tree / "empty" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"Found no valid file for the classes empty\."):
        ImageFolder(tree)
    ds = ImageFolder(tree, allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"] and len(ds) == 4


def test_root_without_class_folders_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path)


def test_custom_loader_and_dataset_folder_extensions(tree):
    ds = ImageFolder(tree, loader=lambda p: os.path.basename(p))
    assert ds[0] == ("z.png", 0)
    txt = DatasetFolder(
        tree, loader=lambda p: pathlib.Path(p).read_text(), extensions=(".txt",), allow_empty=True
    )
    assert txt.samples and txt[0] == ("not an image", 0)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(tree, loader=str, extensions=".png", is_valid_file=bool)


def test_repr_lists_size_root_and_transforms(tree):
    ds = ImageFolder(tree, transform=transforms.Compose([transforms.ToTensor()]))
    assert repr(ds) == (
        f"Dataset ImageFolder\n    Number of datapoints: 4\n    Root location: {tree}\n"
        "    Transform: Compose(\n        ToTensor()\n    )"
    )
