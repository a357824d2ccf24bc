"""Where in the user's code, and why a graph was cut there.

``user_site`` finds the nearest caller outside eagertorch with a short ``sys._getframe``
walk (file, line, function and code object: no traceback objects, no source reading);
``GraphCut`` records what cut a tensor from its graph and at which line. Used by grad
mode, anomaly detection and ``autograd.diagnostics``.
"""

from __future__ import annotations

import linecache
import os
import sys

__all__ = ["GraphCut", "cut_by", "format_site", "user_site"]

_PKG = os.path.dirname(os.path.dirname(__file__)) + os.sep
_getframe = sys._getframe


# ----- where: the user's line -------------------------------------------------------------
def user_site(known: int = 0):
    """``(filename, line, function, code)`` of the nearest caller outside eagertorch.

    ``known``: how many frames above the caller are certainly inside eagertorch; they are
    skipped unseen, which spares building their frame objects.
    """
    try:
        f = _getframe(2 + known)
    except ValueError:
        return None
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PKG):
            return (code.co_filename, f.f_lineno, code.co_name, code)
        f = f.f_back
    return None


def format_site(site) -> str:
    """``path:line (in function)``, then the source line when it can be read."""
    if site is None:
        return "an unknown line"
    text = f"{site[0]}:{site[1]} (in {site[2]})"
    source = linecache.getline(site[0], site[1]).strip()
    return f"{text}: {source}" if source else text


# ----- why: a tensor cut from its graph ---------------------------------------------------
class GraphCut:
    """Why a tensor computed from a graph has none: what cut it (``kind``) and where."""

    __slots__ = ("detail", "kind", "origin", "site")

    def __init__(self, kind: str, site, detail: str = "", origin: GraphCut | None = None):
        self.kind = kind
        self.site = site
        self.detail = detail
        self.origin = origin

    def describe(self) -> str:
        where = format_site(self.site)
        kind, detail = self.kind, self.detail
        if kind == "detach":
            return (
                f"it was computed from the result of {detail} at {where}, which returns a "
                "tensor outside the graph. Use the tensor itself where gradients must flow."
            )
        if kind == "detach_":
            return f"detach_() at {where} removed it from the graph."
        if kind == "requires_grad":
            return f"requires_grad was switched off at {where}."
        if kind == "no_grad":
            return (
                f"it was computed inside a {detail} block entered at {where}, where nothing "
                "is recorded. Compute it outside the block if it needs gradients."
            )
        if kind == "integer":
            return (
                f"it was computed from the {detail} at {where}; integer and boolean results "
                "(argmax, comparisons, indices) have no gradient. Use a differentiable "
                "quantity (e.g. probabilities instead of argmax)."
            )
        if kind == "copy":
            return (
                f"{detail} at {where} copied a tensor that requires grad into a new tensor "
                "without history (use .clone() to keep the graph)."
            )
        origin = self.origin
        where = (
            f"at {where}"
            if self.site is not None
            else "around the array that .numpy() returned (torch.from_numpy() shares it)"
        )
        return (
            f"it was built {where} from values taken out of the graph by "
            f"{origin.detail} at {format_site(origin.site)}; a tensor made from Python "
            "numbers or numpy arrays has no history. Keep the values as tensors and use "
            "tensor operations instead."
        )


def cut_by(kind: str, detail: str = "", known: int = 0) -> GraphCut:
    """A cut of ``kind`` at the caller's caller's line (``known`` as in ``user_site``)."""
    return GraphCut(kind, user_site(known + 1), detail)
