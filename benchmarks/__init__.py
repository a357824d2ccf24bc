"""Side-by-side benchmarks: eagertorch vs hand-written numpy vs PyTorch (see README.md)."""
