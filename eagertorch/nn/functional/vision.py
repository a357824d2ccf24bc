"""nn: vision (being written)."""

__all__: list[str] = []
