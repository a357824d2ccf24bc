"""Image transforms, as ``torchvision.transforms``: ``Compose``, ``ToTensor``, ``Normalize``,
``Lambda``, ``RandomHorizontalFlip`` and ``RandomCrop``.

Random transforms draw from eagertorch's default generator, so ``eagertorch.manual_seed``
makes a pipeline reproducible. Tensor images are ``(..., C, H, W)``; PIL images work where
torchvision accepts them (Pillow is imported only when a PIL image is actually handled).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .._backend.device import array_module
from .._backend.dtype import get_default_dtype
from .._backend.random import numpy_generator
from .._tensor import Tensor, _make
from ..ops.shape import pad as _pad_tensor
from ._image import is_pil_image, pil_image

__all__ = [
    "CenterCrop",
    "Compose",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "RandomCrop",
    "RandomHorizontalFlip",
    "ToTensor",
]

_NP_PAD_MODES = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


class ToTensor:
    """PIL image or ``H x W x C`` ndarray -> ``C x H x W`` tensor; uint8 data (and PIL modes
    ``1``, ``L``, ``RGB``, ...) are scaled to the default float dtype (float32) in ``[0, 1]``;
    a 2-D array becomes ``1 x H x W``. Other dtypes (PIL modes ``I``, ``F``) keep their values,
    as in torchvision."""

    def __call__(self, pic) -> Tensor:
        if is_pil_image(pic):
            arr = np.array(pic, copy=True)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * 255
            elif pic.mode == "I;16":
                arr = arr.astype(np.int16)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            arr = pic
        else:
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if arr.dtype == np.uint8:
            npd = get_default_dtype().np
            return _make(arr.astype(npd) / npd.type(255))
        return _make(arr if arr.base is None else arr.copy())

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image -> ``C x H x W`` tensor of the image's own dtype (no scaling)."""

    def __call__(self, pic) -> Tensor:
        if not is_pil_image(pic):
            raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
        arr = np.array(pic, copy=True)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return _make(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """``output[c] = (input[c] - mean[c]) / std[c]`` on a float tensor image ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(
                "Expected tensor to be a tensor image of size (..., C, H, W). Got "
                f"tensor.size() = {tensor.size()}"
            )
        data = tensor._data
        xp = array_module(data)
        mean = xp.asarray(self.mean, dtype=data.dtype).reshape(-1, 1, 1)
        std = xp.asarray(self.std, dtype=data.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(
                f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                "division by zero."
            )
        if self.inplace:
            return tensor.sub_(_make(mean)).div_(_make(std))
        return (tensor - _make(mean)) / _make(std)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomHorizontalFlip:
    """Flip the image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        if numpy_generator(None).random() < self.p:
            return hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


def hflip(img):
    """Flip a tensor image ``(..., H, W)`` or a PIL image left-right."""
    if isinstance(img, Tensor):
        return img.flip(-1)
    if is_pil_image(img):
        return img.transpose(pil_image().Transpose.FLIP_LEFT_RIGHT)
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _setup_size(size, error_msg: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return int(size[0]), int(size[1])


def _image_size(img) -> tuple[int, int]:
    """``(height, width)`` of a tensor or PIL image."""
    if isinstance(img, Tensor):
        if img.dim() < 2:
            raise TypeError(f"Tensor is not a torch image (got {img.dim()} dims).")
        return img.shape[-2], img.shape[-1]
    if is_pil_image(img):
        w, h = img.size
        return h, w
    raise TypeError(f"Unexpected type {type(img)}")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders of a tensor or PIL image: ``padding`` is an int (all sides), a pair
    ``(left/right, top/bottom)`` or a 4-tuple ``(left, top, right, bottom)``."""
    if isinstance(padding, numbers.Number):
        left = top = right = bottom = int(padding)
    elif isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        if len(p) == 1:
            left = top = right = bottom = p[0]
        elif len(p) == 2:
            left = right = p[0]
            top = bottom = p[1]
        else:
            left, top, right, bottom = p
    else:
        raise ValueError(
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding) if isinstance(padding, Sequence) else type(padding).__name__} "
            "element tuple"
        )
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(img, Tensor):
        if padding_mode == "constant":
            return _pad_tensor(img, (left, right, top, bottom), value=fill)
        arr = img._data
        widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
        return _make(np.pad(arr, widths, mode=_NP_PAD_MODES[padding_mode]))
    if is_pil_image(img):
        Image = pil_image()
        if padding_mode == "constant":
            w, h = img.size
            out = Image.new(img.mode, (w + left + right, h + top + bottom), fill)
            out.paste(img, (left, top))
        else:
            arr = np.asarray(img)
            widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
            out = Image.fromarray(np.pad(arr, widths, mode=_NP_PAD_MODES[padding_mode]))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` region of a tensor or PIL image starting at ``(top, left)``."""
    if isinstance(img, Tensor):
        return img[..., top : top + height, left : left + width]
    if is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


class RandomCrop:
    """Crop a random ``size`` region, after optionally padding the borders by ``padding``."""

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed: bool = False,
        fill=0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        h, w = _image_size(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            )
        if w == tw and h == th:
            return 0, 0, h, w
        gen = numpy_generator(None)
        i = int(gen.integers(0, h - th + 1))
        j = int(gen.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        height, width = _image_size(img)
        if self.pad_if_needed and width < self.size[1]:
            img = pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        height, width = _image_size(img)
        if self.pad_if_needed and height < self.size[0]:
            img = pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` region; an image smaller than ``size`` is zero-padded first."""

    def __init__(self, size) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        th, tw = self.size
        h, w = _image_size(img)
        if th > h or tw > w:
            img = pad(
                img,
                [
                    (tw - w) // 2 if tw > w else 0,
                    (th - h) // 2 if th > h else 0,
                    (tw - w + 1) // 2 if tw > w else 0,
                    (th - h + 1) // 2 if th > h else 0,
                ],
            )
            h, w = _image_size(img)
            if h == th and w == tw:
                return img
        return crop(img, round((h - th) / 2.0), round((w - tw) / 2.0), th, tw)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"
