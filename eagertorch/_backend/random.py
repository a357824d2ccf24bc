"""Random number generators: a seedable ``Generator`` per device, and the default CPU one.

A generator's state is its numpy bit generator's state plus the seed it started from, kept
as bytes (JSON) so that it can be stored in a checkpoint like any uint8 tensor. This layer
works on uint8 numpy arrays; ``eagertorch.random`` wraps them as Tensors for the public
``get_rng_state``/``set_rng_state`` and ``Generator.get_state``/``set_state``.
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["Generator", "default_generator", "initial_seed", "manual_seed", "seed"]

# Written into every state so that bytes from something else are recognised as such.
_STATE_FORMAT = "eagertorch.Generator"
_STATE_VERSION = 1


class Generator:
    """A seedable source of random numbers (numpy's PCG64), like ``torch.Generator``."""

    __slots__ = ("_initial_seed", "_np_gen", "device")

    def __init__(self, device="cpu") -> None:
        self.device = device
        self._initial_seed = 67280421310721
        self._np_gen = None  # numpy.random loads on first use: keeps `import eagertorch` quick

    @property
    def _np(self):
        if self._np_gen is None:
            import numpy.random

            self._np_gen = numpy.random.Generator(
                numpy.random.PCG64(self._initial_seed & ((1 << 64) - 1))
            )
        return self._np_gen

    def manual_seed(self, seed: int) -> Generator:
        self._initial_seed = int(seed)
        self._np_gen = None
        return self

    def seed(self) -> int:
        import numpy.random

        s = int(numpy.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial_seed

    def _state_array(self) -> np.ndarray:
        """The full state as a 1-D uint8 array: JSON of the seed and the bit generator state."""
        payload = {
            "format": _STATE_FORMAT,
            "version": _STATE_VERSION,
            "initial_seed": self._initial_seed,
            "bit_generator": self._np.bit_generator.state,
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return np.frombuffer(raw, dtype=np.uint8).copy()

    def _load_state_array(self, state: np.ndarray) -> Generator:
        """Restore a state made by :meth:`_state_array`; a bad state changes nothing."""
        if state.dtype != np.uint8 or state.ndim != 1:
            raise RuntimeError(
                f"Expected a 1-D uint8 RNG state made by get_rng_state(), got shape "
                f"{tuple(state.shape)} and dtype {state.dtype}"
            )
        try:
            payload = json.loads(bytes(state))
            ok = (
                isinstance(payload, dict)
                and payload.get("format") == _STATE_FORMAT
                and isinstance(payload.get("initial_seed"), int)
                and isinstance(payload.get("bit_generator"), dict)
            )
        except (UnicodeDecodeError, ValueError):
            ok = False
        if not ok:
            raise RuntimeError(
                f"Invalid RNG state of {state.shape[0]} bytes: expected the bytes returned by "
                "eagertorch.get_rng_state() or Generator.get_state()"
            )
        if payload.get("version") != _STATE_VERSION:
            raise RuntimeError(
                f"RNG state has version {payload.get('version')!r}; this eagertorch reads "
                f"version {_STATE_VERSION}"
            )
        import numpy.random

        bg_state = payload["bit_generator"]
        name = bg_state.get("bit_generator")
        bg_cls = getattr(numpy.random, name, None) if isinstance(name, str) else None
        if not (isinstance(bg_cls, type) and issubclass(bg_cls, numpy.random.BitGenerator)):
            raise RuntimeError(f"RNG state names an unknown bit generator: {name!r}")
        bit_generator = bg_cls()
        try:
            bit_generator.state = bg_state
        except (TypeError, ValueError, KeyError) as e:
            raise RuntimeError(f"Invalid RNG state for {name}: {e}") from None
        self._np_gen = numpy.random.Generator(bit_generator)
        self._initial_seed = payload["initial_seed"]
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default CPU generator so that random factories and ops are reproducible;
    also every GPU's generator once cuda is in use (never importing cupy for it)."""
    from . import device as _bdev

    cuda = _bdev._BACKENDS.get("cuda")
    if cuda is not None:
        for i in range(cuda.device_count()):
            cuda.manual_seed(int(seed), i)
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def numpy_generator(generator: Generator | None):
    """The numpy generator behind ``generator``, or the default one."""
    return (generator or default_generator)._np
