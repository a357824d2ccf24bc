"""``eagertorch.random``: the random number generator state as a uint8 Tensor, as in PyTorch.

``get_rng_state()`` returns the default CPU generator's full state (seed and bit generator
position) as a 1-D uint8 Tensor; ``set_rng_state(state)`` puts it back, so that the random
numbers drawn afterwards repeat exactly. The Tensor can be stored in a checkpoint with
``eagertorch.save``. ``Generator.get_state``/``set_state`` do the same for one generator.

The generators themselves live in the backend (``eagertorch._backend.random``), which knows
nothing about Tensors; this module binds the Tensor-facing methods onto ``Generator``, the
way ``eagertorch.ops.methods`` binds math onto ``Tensor``.

CUDA tensors draw their random numbers from the same CPU generators (the values are made on
the host and moved), so the CPU state is the whole random state.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._backend.random import Generator, default_generator, initial_seed, manual_seed, seed
from ._tensor import Tensor, _make

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


def _state_from_tensor(new_state, what: str) -> np.ndarray:
    if not isinstance(new_state, Tensor):
        raise TypeError(f"{what} expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state._data.dtype != np.uint8:
        raise TypeError(f"{what} expected a torch.ByteTensor, but got a {new_state.dtype} tensor")
    return new_state._host()


def _generator_get_state(self: Generator) -> Tensor:
    """This generator's state as a 1-D uint8 Tensor (a copy: later draws don't change it)."""
    return _make(self._state_array())


def _generator_set_state(self: Generator, new_state: Tensor) -> Generator:
    """Restore a state returned by :meth:`get_state`; an invalid state changes nothing."""
    self._load_state_array(_state_from_tensor(new_state, "set_state"))
    return self


Generator.get_state = _generator_get_state
Generator.set_state = _generator_set_state


def get_rng_state() -> Tensor:
    """The default CPU generator's state as a 1-D uint8 Tensor (``torch.get_rng_state``)."""
    return _make(default_generator._state_array())


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default CPU generator from a state returned by :func:`get_rng_state`."""
    default_generator._load_state_array(_state_from_tensor(new_state, "set_rng_state"))


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, **kwargs):
    """Run a block and then put the CPU generator's state back to what it was before."""
    if not enabled:
        yield
        return
    state = default_generator._state_array()
    try:
        yield
    finally:
        default_generator._load_state_array(state)
