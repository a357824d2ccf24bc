"""nn: pooling (being written)."""

__all__: list[str] = []
