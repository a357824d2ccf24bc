"""Transforms: values, layouts, randomness from eagertorch's default generator, reprs."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from eagertorch.datasets import transforms as T


def _hwc():
    return np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 7


def test_to_tensor_scales_uint8_and_moves_channels_first():
    arr = _hwc()
    out = T.ToTensor()(arr)
    assert out.dtype == et.float32 and tuple(out.shape) == (3, 2, 3)
    np.testing.assert_allclose(out.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert out.numpy().max() <= 1.0


def test_to_tensor_2d_becomes_1xhxw_and_float_keeps_values():
    out = T.ToTensor()(np.array([[0, 255], [51, 102]], dtype=np.uint8))
    assert tuple(out.shape) == (1, 2, 2)
    np.testing.assert_allclose(out.numpy()[0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    f = np.full((2, 2, 1), 3.5, dtype=np.float32)
    assert T.ToTensor()(f).numpy().max() == 3.5  # not divided by 255


def test_to_tensor_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"pic should be 2/3 dimensional\. Got 1 dimensions\."):
        T.ToTensor()(np.zeros(3, dtype=np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])


def test_to_tensor_pil_rgb_and_l():
    Image = pytest.importorskip("PIL.Image")
    arr = _hwc()
    out = T.ToTensor()(Image.fromarray(arr))
    assert tuple(out.shape) == (3, 2, 3)
    np.testing.assert_allclose(out.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = T.ToTensor()(Image.fromarray(arr[..., 0]))
    assert tuple(gray.shape) == (1, 2, 3)


def test_normalize_per_channel():
    x = et.rand(3, 4, 5)
    out = T.Normalize((0.5, 0.25, 0.0), (0.5, 2.0, 1.0))(x)
    mean = np.array([0.5, 0.25, 0.0], dtype=np.float32).reshape(3, 1, 1)
    std = np.array([0.5, 2.0, 1.0], dtype=np.float32).reshape(3, 1, 1)
    assert out.dtype == et.float32
    np.testing.assert_allclose(out.numpy(), (x.numpy() - mean) / std, rtol=1e-6)
    assert not np.shares_memory(out.numpy(), x.numpy())


def test_normalize_inplace_batched_and_errors():
    x = et.ones(2, 2, 3, 3)
    out = T.Normalize([1.0, 0.0], [1.0, 0.5], inplace=True)(x)
    assert out is x
    np.testing.assert_array_equal(x.numpy()[:, 0], 0.0)
    np.testing.assert_array_equal(x.numpy()[:, 1], 2.0)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize([0], [1])(et.zeros(1, 2, 2, dtype=et.uint8))
    with pytest.raises(ValueError, match=r"size \(\.\.\., C, H, W\)"):
        T.Normalize([0], [1])(et.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0], [0])(et.zeros(1, 2, 2))


def test_normalize_is_differentiable():
    x = et.rand(1, 2, 2, requires_grad=True)
    T.Normalize([0.5], [0.25])(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0)


def test_horizontal_flip_p1_flips_p0_keeps():
    x = et.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(
        T.RandomHorizontalFlip(p=1.0)(x).numpy()[0], [[2, 1, 0], [5, 4, 3]]
    )
    assert T.RandomHorizontalFlip(p=0.0)(x) is x


def test_horizontal_flip_pil():
    Image = pytest.importorskip("PIL.Image")
    arr = _hwc()
    out = T.RandomHorizontalFlip(p=1.0)(Image.fromarray(arr))
    np.testing.assert_array_equal(np.asarray(out), arr[:, ::-1])


def test_horizontal_flip_is_seeded_by_manual_seed():
    x = et.arange(4.0).reshape(1, 1, 4)
    flip = T.RandomHorizontalFlip()

    def run():
        et.manual_seed(123)
        return [bool(flip(x)[0, 0, 0] == 3) for _ in range(40)]

    a, b = run(), run()
    assert a == b
    assert 5 < sum(a) < 35  # both outcomes happen


def test_random_crop_size_and_content_is_a_window():
    x = et.arange(5.0 * 6).reshape(1, 5, 6)
    et.manual_seed(0)
    out = T.RandomCrop((3, 4))(x)
    assert tuple(out.shape) == (1, 3, 4)
    top, left = divmod(int(out[0, 0, 0].item()), 6)
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, top : top + 3, left : left + 4])
    assert T.RandomCrop(5)(et.ones(2, 5, 5)).shape == (2, 5, 5)


def test_random_crop_padding_adds_zero_border():
    x = et.ones(1, 2, 2)
    out = T.RandomCrop(4, padding=1)(x)  # padded to 4x4: the crop is all of it
    assert tuple(out.shape) == (1, 4, 4)
    assert out.sum().item() == 4.0
    np.testing.assert_array_equal(out.numpy()[0, 1:3, 1:3], 1.0)
    np.testing.assert_array_equal(out.numpy()[0, 0], 0.0)
    four = T.RandomCrop((2 + 1 + 3, 2 + 2 + 4), padding=(2, 1, 4, 3), fill=7.0)(x)
    np.testing.assert_array_equal(four.numpy()[0, 1:3, 2:4], 1.0)
    assert four.numpy()[0, 0, 0] == 7.0


def test_random_crop_edge_padding_and_pad_if_needed():
    x = et.arange(4.0).reshape(1, 2, 2)
    out = T.RandomCrop(4, padding=1, padding_mode="edge")(x)
    np.testing.assert_array_equal(out.numpy()[0, 0], [0, 0, 1, 1])
    grown = T.RandomCrop((3, 5), pad_if_needed=True)(x)
    assert tuple(grown.shape) == (1, 3, 5)


def test_random_crop_too_large_is_an_error():
    with pytest.raises(
        ValueError, match=r"Required crop size \(4, 4\) is larger than input image size \(2, 3\)"
    ):
        T.RandomCrop(4)(et.zeros(1, 2, 3))


def test_random_crop_is_seeded_by_manual_seed():
    x = et.rand(1, 16, 16)
    crop = T.RandomCrop(8, padding=2)
    et.manual_seed(7)
    a = [crop(x).numpy() for _ in range(5)]
    et.manual_seed(7)
    b = [crop(x).numpy() for _ in range(5)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert any(not np.array_equal(a[0], u) for u in a[1:])


def test_random_crop_pil_matches_tensor_crop():
    Image = pytest.importorskip("PIL.Image")
    arr = np.arange(6 * 7, dtype=np.uint8).reshape(6, 7)
    et.manual_seed(3)
    pil = T.RandomCrop((3, 4), padding=1)(Image.fromarray(arr))
    et.manual_seed(3)
    ten = T.RandomCrop((3, 4), padding=1)(et.from_numpy(arr.astype(np.float32))[None])
    assert pil.size == (4, 3)
    np.testing.assert_array_equal(np.asarray(pil), ten.numpy()[0])


def test_compose_and_lambda():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize([1.0], [1.0])])
    out = pipeline(np.full((2, 2), 255, dtype=np.uint8))
    np.testing.assert_allclose(out.numpy(), 1.0)
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def test_reprs_follow_torchvision():
    assert repr(T.ToTensor()) == "ToTensor()"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.Normalize((0.5,), (0.2,))) == "Normalize(mean=(0.5,), std=(0.2,))"
    assert repr(T.Compose([T.ToTensor(), T.Lambda(abs)])) == (
        "Compose(\n    ToTensor()\n    Lambda()\n)"
    )


def test_center_crop_takes_middle_and_pads_small_images():
    x = et.arange(25.0).reshape(1, 5, 5)
    np.testing.assert_array_equal(T.CenterCrop(3)(x).numpy(), x.numpy()[:, 1:4, 1:4])
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(x).numpy(), x.numpy()[:, 2:4, 0:4])
    big = T.CenterCrop(7)(x)
    assert tuple(big.shape) == (1, 7, 7) and big.sum().item() == x.sum().item()
    np.testing.assert_array_equal(big.numpy()[:, 1:6, 1:6], x.numpy())
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"


def test_pil_to_tensor_keeps_uint8_values():
    Image = pytest.importorskip("PIL.Image")
    arr = _hwc()
    out = T.PILToTensor()(Image.fromarray(arr))
    assert out.dtype == et.uint8
    np.testing.assert_array_equal(out.numpy(), arr.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        T.PILToTensor()(arr)


def test_to_tensor_scales_to_the_default_dtype_and_keeps_bool_arrays():
    prev = et.get_default_dtype()
    et.set_default_dtype(et.float64)
    try:
        out = T.ToTensor()(np.full((1, 1), 255, dtype=np.uint8))
    finally:
        et.set_default_dtype(prev)
    assert out.dtype == et.float64 and out.item() == 1.0
    mask = T.ToTensor()(np.array([[True, False]]))
    assert mask.dtype == et.bool and mask.tolist() == [[[True, False]]]
