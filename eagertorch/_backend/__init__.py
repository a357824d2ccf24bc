"""Backend layer: array modules, dtypes, devices and random generators (no Tensor here)."""
