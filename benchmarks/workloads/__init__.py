"""The workload table: one module per family, each exporting ``WORKLOADS``.

To add a workload family (nn: W2/W3, optim: W6, data: W7), write its module like
``core.py`` and add it to ``_FAMILIES``.
"""

from __future__ import annotations

import re

from . import core, data, distributed, nn, optim, startup

_FAMILIES = (core, nn, optim, data, startup, distributed)
_KIND_ORDER = "WIMG"  # workloads, import, memory, GPU: the order of BENCHMARKS.md


def _order(workload_id: str) -> tuple[int, int, str]:
    kind, number, variant = re.fullmatch(r"(\D)(\d+)(\w*)", workload_id).groups()
    return _KIND_ORDER.index(kind), int(number), variant


WORKLOADS = {
    w.id: w
    for w in sorted(
        (w for family in _FAMILIES for w in family.WORKLOADS), key=lambda w: _order(w.id)
    )
}
