"""PyTorch-style text repr of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from ._backend import dtype as _dt

__all__ = ["set_printoptions", "tensor_repr"]


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Control how tensors print, as ``torch.set_printoptions``."""
    if profile == "full":
        _Options.threshold = float("inf")
    elif profile == "short":
        _Options.precision, _Options.threshold, _Options.edgeitems = 2, 1000, 2
    elif profile == "default":
        _Options.precision, _Options.threshold, _Options.edgeitems = 4, 1000, 3
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(_Options, name, value)
    _Options.sci_mode = sci_mode


def _padded(fmt, candidates):
    """Right-justify every element to the widest one, as PyTorch aligns its columns."""
    width = max(len(fmt(x)) for x in candidates)
    return lambda x: fmt(x).rjust(width)


def _float_formatter(a: np.ndarray):
    a = _shown(a)
    fmt = _float_format(a)
    finite = a[np.isfinite(a)]  # PyTorch sizes columns by the finite values only
    return _padded(fmt, [finite.max(), finite.min()] if finite.size else [np.nan])


def _shown(a: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: ``edgeitems`` from each end of every dim."""
    if a.size <= _Options.threshold:
        return a
    e = _Options.edgeitems
    for axis in range(a.ndim):
        if a.shape[axis] > 2 * e:
            a = np.concatenate([a.take(range(e), axis), a.take(range(-e, 0), axis)], axis)
    return a


def _float_format(a: np.ndarray):
    finite = a[np.isfinite(a)]
    p = _Options.precision
    if finite.size == 0:
        return lambda x: _special(x)
    absmax = float(np.abs(finite).max())
    absmin = float(np.abs(finite[finite != 0]).min()) if (finite != 0).any() else 0.0
    integral = bool(np.all(finite == np.round(finite)))
    sci = _Options.sci_mode
    if sci is None:
        ratio = absmax / absmin if absmin else 0.0
        sci = absmax > 1e8 or (not integral and (0 < absmin < 1e-4 or ratio > 1e3))
    if sci:
        return lambda x: _special(x) or f"{x:.{p}e}"
    if integral:
        return lambda x: _special(x) or f"{x:.0f}."
    return lambda x: _special(x) or f"{x:.{p}f}"


def _special(x) -> str:
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return ""


def _body(a: np.ndarray, indent: int) -> str:
    kwargs = {
        "separator": ", ",
        "prefix": " " * indent,
        "threshold": _Options.threshold,
        "edgeitems": _Options.edgeitems,
        "max_line_width": _Options.linewidth,
    }
    if a.dtype.kind == "f":
        kwargs["formatter"] = {"float_kind": _float_formatter(a.astype(np.float64))}
    elif a.dtype.kind == "b":
        widest = [False] if not a.all() else [True]
        kwargs["formatter"] = {"bool": _padded(lambda x: "True" if x else "False", widest)}
    # PyTorch writes an elided run of elements as " ..." (one column wider than numpy's).
    return np.array2string(a, **kwargs).replace(", ...,", ",  ...,")


def tensor_repr(t, prefix: str = "tensor(") -> str:
    a = t._host()
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_dtypes = (_dt.get_default_dtype(), _dt.int64, _dt.bool)
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        body = _body(a, len(prefix))
    if t.dtype not in default_dtypes or (a.size == 0 and t.dtype is not _dt.get_default_dtype()):
        suffixes.append(f"dtype={t.dtype}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"


def tensor_html(t) -> str:
    """Jupyter's rich view: a summary table and an inline SVG histogram of the values."""
    import html

    a = t._host()
    rows = [
        ("shape", str(tuple(a.shape))),
        ("dtype", str(t.dtype)),
        ("device", str(t.device)),
    ]
    if t._grad_fn is not None:
        rows.append(("grad_fn", t._grad_fn.name()))
    elif t._requires_grad:
        rows.append(("requires_grad", "True"))
    hist = ""
    if a.size and a.dtype.kind in "fiub":
        values = a.astype(np.float64).ravel()
        finite = values[np.isfinite(values)]
        if finite.size:
            rows += [
                ("min", f"{finite.min():.4g}"),
                ("max", f"{finite.max():.4g}"),
                ("mean", f"{finite.mean():.4g}"),
            ]
            hist = _histogram_svg(finite)
        if a.dtype.kind == "f":
            rows.append(
                ("NaN / Inf", f"{int(np.isnan(values).sum())} / {int(np.isinf(values).sum())}")
            )
    cells = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f"<div><table>{cells}</table>{hist}</div>"


def _histogram_svg(values: np.ndarray, bins: int = 24, width: int = 192, height: int = 40) -> str:
    counts, _ = np.histogram(values, bins=bins)
    bar = width / bins
    top = counts.max() or 1
    rects = "".join(
        f'<rect x="{i * bar:.1f}" y="{height - height * c / top:.1f}" width="{bar - 1:.1f}" '
        f'height="{height * c / top:.1f}" fill="#4a7ab5"/>'
        for i, c in enumerate(counts)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{rects}</svg>'
    )
