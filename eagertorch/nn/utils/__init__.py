"""``nn.utils`` (being written)."""
