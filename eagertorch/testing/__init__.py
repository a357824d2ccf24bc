"""Testing helpers for eagertorch users and its own suite: ``assert_close`` and strategies.

``eagertorch.testing.strategies`` needs hypothesis (imported only there).
"""

from ._comparison import assert_close

__all__ = ["assert_close"]
