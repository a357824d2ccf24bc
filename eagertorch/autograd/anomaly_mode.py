"""Anomaly detection: remember where each node was created and stop at NaN gradients."""

from __future__ import annotations

__all__ = ["detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly"]


class _AnomalyState:
    enabled = False
    check_nan = True


state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    return state.enabled


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once, and restored on ``with`` exit)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (state.enabled, state.check_nan)
        state.enabled = bool(mode)
        state.check_nan = bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        state.enabled, state.check_nan = self._prev


class detect_anomaly:
    """Record creation tracebacks of nodes and raise when backward produces NaN."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.check_nan)
        state.enabled = True
        state.check_nan = self.check_nan

    def __exit__(self, *exc) -> None:
        state.enabled, state.check_nan = self._prev
