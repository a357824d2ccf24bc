"""Progress bars for training loops, on top of tqdm (imported only when used).

``progress(loader, desc="epoch 1")`` wraps any iterable (typically a ``DataLoader``) in a
tqdm bar chosen as ``tqdm.auto`` chooses: a widget in Jupyter when ipywidgets is installed,
text on stderr otherwise. It uses ``tqdm.autonotebook`` rather than ``tqdm.auto`` itself,
whose asyncio-capable class calls ``iter()`` on the iterable when the bar is created and
again when it is iterated: for a shuffling ``DataLoader`` that draws an extra permutation
(so the batches differ from a run without the bar) and, with ``num_workers > 0``, starts
the worker processes twice per epoch.

``disable=True`` returns a silent stand-in with the same methods (``set_postfix``,
``set_description``, ``write``, ``close``) without importing tqdm, so one loop serves both
verbose and quiet runs::

    from eagertorch.utils.progress import progress

    for epoch in range(epochs):
        bar = progress(loader, desc=f"epoch {epoch + 1}", disable=not verbose)
        for x, y in bar:
            loss = train_step(x, y)
            bar.set_postfix(loss=f"{loss:.3f}")

tqdm is not a dependency of eagertorch: without it, an enabled bar raises an ImportError
that says how to install it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

__all__ = ["progress"]


def _tqdm_class():
    try:
        with warnings.catch_warnings():
            # In a notebook, tqdm.autonotebook warns that it picked the notebook bar, or,
            # without ipywidgets, that it fell back to the text bar: both are what we want.
            warnings.filterwarnings("ignore", message=".*(IProgress|notebook mode)")
            from tqdm.autonotebook import tqdm
    except ImportError as e:
        raise ImportError(
            "progress bars need tqdm, which is not installed: run `pip install tqdm` "
            "(or pass disable=True)"
        ) from e
    return tqdm


class _NoProgress:
    """What ``progress(..., disable=True)`` returns: the iterable, plus tqdm's no-op methods."""

    def __init__(self, iterable: Iterable) -> None:
        self.iterable = iterable

    def __iter__(self) -> Iterator:
        return iter(self.iterable)

    def __len__(self) -> int:
        return len(self.iterable)

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def set_postfix(self, *args, **kwargs) -> None:
        return None

    def set_postfix_str(self, *args, **kwargs) -> None:
        return None

    def set_description(self, *args, **kwargs) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def refresh(self) -> None:
        return None

    def close(self) -> None:
        return None

    @staticmethod
    def write(s: str, **kwargs) -> None:
        print(s)


def progress(iterable: Iterable, desc: str | None = None, *, disable: bool = False, **kwargs):
    """``iterable`` wrapped in a tqdm bar labelled ``desc`` (a widget in Jupyter).

    Extra keyword arguments go to tqdm (``total``, ``leave``, ``unit``, ``file``, ...).
    With ``disable=True`` tqdm is not imported and the iterable is returned wrapped in an
    object whose tqdm methods do nothing.
    """
    if disable:
        return _NoProgress(iterable)
    return _tqdm_class()(iterable, desc=desc, **kwargs)
