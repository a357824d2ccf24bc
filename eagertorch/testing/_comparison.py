"""``assert_close`` with PyTorch's dtype-dependent tolerances and a readable mismatch report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .._tensor import Tensor

__all__ = ["assert_close"]

# PyTorch's defaults: (rtol, atol) by dtype; integers and bools compare exactly.
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


def _array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach()._host()
    return np.asarray(x)


def _index(idx) -> tuple:
    return tuple(int(i) for i in idx)


def _message(msg, report: str) -> str:
    if callable(msg):
        return msg(report)
    return f"{msg}\n\n{report}" if msg else report


def _is_sequence(x) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, str) and not _is_scalar_list(x)


def _is_scalar_list(x) -> bool:
    return all(not isinstance(v, (Tensor, Sequence, Mapping, np.ndarray)) for v in x)


def assert_close(
    actual,
    expected,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    msg=None,
) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|``.

    Tolerances default by dtype as in PyTorch (float16 1e-3/1e-5, float32 1.3e-6/1e-5,
    float64 1e-7/1e-7; exact for integers and bools). Tensors, numpy arrays and scalars
    compare by value; sequences and mappings of them compare item by item. The error
    names the number of mismatches, the greatest absolute and relative differences with
    their indices, and the actual and expected values of the worst element. ``msg`` is a
    string put before the report, or a callable turning the report into the message.
    """
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted")
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(
                _message(msg, f"The keys do not match: {sorted(actual)} != {sorted(expected)}.")
            )
        for key in actual:
            _compare(
                actual[key],
                expected[key],
                rtol,
                atol,
                equal_nan,
                check_device,
                check_dtype,
                msg,
                f"item [{key!r}]: ",
            )
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise AssertionError(
                _message(
                    msg,
                    f"The length of the sequences do not match: {len(actual)} != {len(expected)}.",
                )
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_device, check_dtype, msg, f"item [{i}]: ")
        return
    _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, "")


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, where):
    a, e = _array(actual), _array(expected)
    both = isinstance(actual, Tensor) and isinstance(expected, Tensor)
    if a.shape != e.shape:
        raise AssertionError(
            _message(
                msg,
                f"{where}The values for attribute 'shape' do not match: "
                f"{tuple(a.shape)} != {tuple(e.shape)}.",
            )
        )
    if check_device and both and actual.device != expected.device:
        raise AssertionError(
            _message(
                msg,
                f"{where}The values for attribute 'device' do not match: "
                f"{actual.device} != {expected.device}.",
            )
        )
    if check_dtype and both and a.dtype != e.dtype:
        raise AssertionError(
            _message(
                msg,
                f"{where}The values for attribute 'dtype' do not match: "
                f"{actual.dtype} != {expected.dtype}.",
            )
        )
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    a64 = a.astype(np.float64)
    e64 = e.astype(np.float64)
    close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(a64 - e64)
        rel = diff / np.abs(e64)
    # Mismatched elements only; a NaN difference (NaN against a number) is the worst.
    abs_key = np.where(close, -np.inf, np.where(np.isnan(diff), np.inf, diff))
    rel_key = np.where(close, -np.inf, np.where(np.isnan(rel), np.inf, rel))
    worst_abs = np.unravel_index(np.argmax(abs_key), a.shape) if a.ndim else ()
    worst_rel = np.unravel_index(np.argmax(rel_key), a.shape) if a.ndim else ()
    bad = int((~close).sum())
    kind = "Scalars" if a.ndim == 0 else "Tensor-likes"
    report = (
        f"{where}{kind} are not close!\n\n"
        f"Mismatched elements: {bad} / {a.size} ({100.0 * bad / a.size:.1f}%)\n"
        f"Greatest absolute difference: {diff[worst_abs]} at index {_index(worst_abs)} "
        f"(up to {atol} allowed)\n"
        f"Greatest relative difference: {rel[worst_rel]} at index {_index(worst_rel)} "
        f"(up to {rtol} allowed)\n"
        f"Worst element {_index(worst_abs)}: actual {a[worst_abs].item()!r}, "
        f"expected {e[worst_abs].item()!r}"
    )
    raise AssertionError(_message(msg, report))
