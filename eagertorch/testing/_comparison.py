"""``assert_close`` with PyTorch's dtype-dependent tolerances and a readable mismatch report."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["assert_close"]

# PyTorch's defaults: (rtol, atol) by dtype.
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


def _array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach()._host()
    return np.asarray(x)


def assert_close(
    actual,
    expected,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_dtype: bool = True,
    msg: str | None = None,
) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|``.

    Tolerances default by dtype as in PyTorch (exact for integers and bools). The error
    names the number of mismatches, the worst element, its index and both values.
    """
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted")
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(
            msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}."
        )
    if (
        check_dtype
        and isinstance(actual, Tensor)
        and isinstance(expected, Tensor)
        and (a.dtype != e.dtype)
    ):
        raise AssertionError(
            msg
            or f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}."
        )
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    a64 = a.astype(np.float64)
    e64 = e.astype(np.float64)
    close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    diff = np.abs(a64 - e64)
    diff_for_max = np.where(close, -np.inf, np.where(np.isnan(diff), np.inf, diff))
    worst = np.unravel_index(np.argmax(diff_for_max), a.shape) if a.ndim else ()
    bad = int((~close).sum())
    rel = diff[worst] / abs(e64[worst]) if e64[worst] != 0 else np.inf
    report = (
        f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} "
        f"({100.0 * bad / a.size:.1f}%)\n"
        f"Greatest absolute difference: {diff[worst]} at index {tuple(int(i) for i in worst)} "
        f"(up to {atol} allowed)\n"
        f"Greatest relative difference: {rel} at index {tuple(int(i) for i in worst)} "
        f"(up to {rtol} allowed)\n"
        f"Actual: {a[worst]!r}, expected: {e[worst]!r}"
    )
    raise AssertionError(f"{msg}\n\n{report}" if msg else report)
