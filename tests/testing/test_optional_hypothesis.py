"""hypothesis stays optional: only the strategies and the check_* tools import it."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import sys
import eagertorch, eagertorch.testing
from eagertorch.testing import assert_close
print("hypothesis" in sys.modules)
from eagertorch.testing import check_module
print("hypothesis" in sys.modules)
"""


def test_hypothesis_is_imported_by_the_property_tools_only():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]


def test_unknown_attributes_still_raise():
    import eagertorch.testing

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        eagertorch.testing.nope
