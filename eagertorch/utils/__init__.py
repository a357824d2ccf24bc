"""Utilities built on the core: ``eagertorch.utils.data`` (datasets, samplers, DataLoader)."""

from . import data

__all__ = ["data"]
