"""Testing tools for eagertorch users and its own suite.

- ``assert_close``: PyTorch's dtype-dependent tolerances and a mismatch report.
- ``strategies``: hypothesis strategies for tensors, shapes, dtypes, devices, dims, indices.
- ``check_op`` / ``check_op_at``: property-test a differentiable function (forward against
  a reference, first and second order gradients, algebraic identities of the backward).
- ``check_adjoint`` / ``check_backward_linearity``: the algebraic checks on their own.
- ``check_module``: property-test an ``nn.Module``.

hypothesis is an optional dependency: it is imported only when ``strategies`` or one of
the ``check_*`` functions is first used, never by ``import eagertorch.testing``.
"""

from __future__ import annotations

import importlib

from ._comparison import assert_close

__all__ = [
    "assert_close",
    "check_adjoint",
    "check_backward_linearity",
    "check_module",
    "check_op",
    "check_op_at",
    "strategies",
]

# name -> module that defines it; loaded on first access (they import hypothesis).
_LAZY = {
    "check_adjoint": "._check_op",
    "check_backward_linearity": "._check_op",
    "check_op": "._check_op",
    "check_op_at": "._check_op",
    "check_module": "._check_module",
    "strategies": ".strategies",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eagertorch.testing' has no attribute '{name}'")
    loaded = importlib.import_module(module, __name__)
    value = loaded if name == "strategies" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
