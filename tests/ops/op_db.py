"""The op table: one ``OpSpec`` per differentiable op, run by ``test_op_db.py``.

Adding an op = adding a spec in the family's ``specs_<family>.py``. Each spec says how to
call the op on Tensors, a numpy reference, the input shapes and value domain, extra
arguments, and whether it supports double backward. ``test_op_db.py`` hands each spec to
``eagertorch.testing.check_op`` (``OpSpec.check_op_options``), the tool users get too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

from eagertorch import float32, float64
from eagertorch.testing.strategies import broadcastable_shapes


def _broadcast(n: int):
    return lambda: broadcastable_shapes(n)


def _no_kwargs(shapes):
    return st.just({})


@dataclass(frozen=True)
class OpSpec:
    name: str
    op: Callable  # op(*tensors, **kwargs) -> Tensor (or tuple; see ``output``)
    ref: Callable  # ref(*float64 arrays, **kwargs) -> array
    nargs: int = 1
    shapes: Callable = None  # () -> strategy of a tuple of nargs shapes
    kwargs: Callable = _no_kwargs  # shapes -> strategy of a kwargs dict
    low: float = -3.0
    high: float = 3.0
    # Drop inputs where the op is not differentiable (ties, kinks, poles): arrays -> bool.
    valid: Callable | None = None
    gradgrad: bool = True
    grad: bool = True
    # Which inputs are differentiable (default: all).
    diff_args: tuple | None = None
    # Pick the differentiable output when the op returns a tuple.
    output: Callable = field(default=lambda out: out)
    rtol: float = 1e-5
    atol: float = 1e-6
    # float32 forward tolerance against the float64 reference.
    f32_rtol: float = 1e-4
    f32_atol: float = 1e-5
    # Inputs may be non-contiguous views ("any"), or must be contiguous ("contiguous").
    layout: str = "any"
    # Backward linearity and adjoint consistency (no finite differences).
    algebraic: bool = True

    def shape_strategy(self):
        return (self.shapes or _broadcast(self.nargs))()

    def check_op_options(self) -> dict:
        """This spec as keyword arguments of ``eagertorch.testing.check_op``."""
        return dict(
            reference=self.ref,
            order=0 if not self.grad else 1 if not self.gradgrad else 2,
            shapes=self.shape_strategy(),
            kwargs=self.kwargs,
            low=self.low,
            high=self.high,
            valid=self.valid,
            diff_args=self.diff_args,
            output=self.output,
            rtol={float64: self.rtol, float32: self.f32_rtol},
            atol={float64: self.atol, float32: self.f32_atol},
            layout=self.layout,
            algebraic=self.algebraic,
            name=self.name,
        )

    def __repr__(self) -> str:
        return self.name


def _collect() -> list:
    """Every ``SPECS`` list of the ``specs_<family>.py`` modules beside this file."""
    import importlib
    import pathlib

    specs = []
    for path in sorted(pathlib.Path(__file__).parent.glob("specs_*.py")):
        specs += importlib.import_module(f"tests.ops.{path.stem}").SPECS
    names = [s.name for s in specs]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"op specs named twice: {sorted(duplicates)}"
    return specs


OPS = _collect()
