"""Random number generators: a seedable ``Generator`` per device, and the default CPU one."""

from __future__ import annotations

__all__ = ["Generator", "default_generator", "initial_seed", "manual_seed", "seed"]


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

    def get_state(self) -> dict:
        return self._np.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._np.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default CPU generator so that random factories and ops are reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def numpy_generator(generator: Generator | None):
    """The numpy generator behind ``generator``, or the default one."""
    return (generator or default_generator)._np
