"""nn: activation (being written)."""

__all__: list[str] = []
