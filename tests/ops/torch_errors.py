"""Parity of error behaviour with PyTorch, for the ``*_torch_parity`` tests."""

from __future__ import annotations

import pytest


def assert_raises_like_torch(ours, theirs) -> None:
    """``ours()`` raises the exception type and message that ``theirs()`` (PyTorch) raises."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert str(got.value) == str(expected.value)
