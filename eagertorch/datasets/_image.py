"""Lazy Pillow access: ``import eagertorch`` never imports PIL; the first image load does."""

from __future__ import annotations

import sys

__all__ = ["is_pil_image", "pil_image"]


def pil_image():
    """The ``PIL.Image`` module, or a clear ImportError saying how to install it."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "Loading images needs Pillow, which is not installed: run `pip install pillow`"
        ) from e
    return Image


def is_pil_image(obj) -> bool:
    """True for a ``PIL.Image.Image``; never imports Pillow (an image implies it is loaded)."""
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(obj, mod.Image)
