"""Shape ops: views (reshape, transpose, expand, ...) and copies (cat, stack, repeat, ...)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["expand", "reshape"]


class Reshape(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Expand(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums the gradient back to the input's shape


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input: Tensor, *shape) -> Tensor:
    return Reshape.apply(input, _shape_arg(shape))


def expand(input: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    lead = len(sizes) - input._data.ndim
    shape = tuple(
        input._data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes)
    )
    return Expand.apply(input, shape)


def view(*args, **kwargs):
    raise NotImplementedError("view")


def view_as(*args, **kwargs):
    raise NotImplementedError("view_as")


def reshape_as(*args, **kwargs):
    raise NotImplementedError("reshape_as")


def flatten(*args, **kwargs):
    raise NotImplementedError("flatten")


def unflatten(*args, **kwargs):
    raise NotImplementedError("unflatten")


def squeeze(*args, **kwargs):
    raise NotImplementedError("squeeze")


def unsqueeze(*args, **kwargs):
    raise NotImplementedError("unsqueeze")


def transpose(*args, **kwargs):
    raise NotImplementedError("transpose")


def swapaxes(*args, **kwargs):
    raise NotImplementedError("swapaxes")


def swapdims(*args, **kwargs):
    raise NotImplementedError("swapdims")


def t(*args, **kwargs):
    raise NotImplementedError("t")


def permute(*args, **kwargs):
    raise NotImplementedError("permute")


def movedim(*args, **kwargs):
    raise NotImplementedError("movedim")


def moveaxis(*args, **kwargs):
    raise NotImplementedError("moveaxis")


def expand_as(*args, **kwargs):
    raise NotImplementedError("expand_as")


def broadcast_to(*args, **kwargs):
    raise NotImplementedError("broadcast_to")


def repeat(*args, **kwargs):
    raise NotImplementedError("repeat")


def tile(*args, **kwargs):
    raise NotImplementedError("tile")


def flip(*args, **kwargs):
    raise NotImplementedError("flip")


def fliplr(*args, **kwargs):
    raise NotImplementedError("fliplr")


def flipud(*args, **kwargs):
    raise NotImplementedError("flipud")


def roll(*args, **kwargs):
    raise NotImplementedError("roll")


def split(*args, **kwargs):
    raise NotImplementedError("split")


def chunk(*args, **kwargs):
    raise NotImplementedError("chunk")


def unbind(*args, **kwargs):
    raise NotImplementedError("unbind")


def narrow(*args, **kwargs):
    raise NotImplementedError("narrow")


def tril(*args, **kwargs):
    raise NotImplementedError("tril")


def triu(*args, **kwargs):
    raise NotImplementedError("triu")


def ravel(*args, **kwargs):
    raise NotImplementedError("ravel")


def diagonal(*args, **kwargs):
    raise NotImplementedError("diagonal")


def diag(*args, **kwargs):
    raise NotImplementedError("diag")


def unfold(*args, **kwargs):
    raise NotImplementedError("unfold")


def cat(*args, **kwargs):
    raise NotImplementedError("cat")


def concat(*args, **kwargs):
    raise NotImplementedError("concat")


def concatenate(*args, **kwargs):
    raise NotImplementedError("concatenate")


def stack(*args, **kwargs):
    raise NotImplementedError("stack")


def hstack(*args, **kwargs):
    raise NotImplementedError("hstack")


def vstack(*args, **kwargs):
    raise NotImplementedError("vstack")


def pad(*args, **kwargs):
    raise NotImplementedError("pad")


def T(*args, **kwargs):
    raise NotImplementedError("T")


def mT(*args, **kwargs):
    raise NotImplementedError("mT")


def broadcast_tensors(*args, **kwargs):
    raise NotImplementedError("broadcast_tensors")


def meshgrid(*args, **kwargs):
    raise NotImplementedError("meshgrid")


METHOD_NAMES = ['reshape', 'view', 'view_as', 'reshape_as', 'flatten', 'unflatten', 'squeeze', 'unsqueeze', 'transpose', 'swapaxes', 'swapdims', 't', 'permute', 'movedim', 'moveaxis', 'expand', 'expand_as', 'broadcast_to', 'repeat', 'tile', 'flip', 'fliplr', 'flipud', 'roll', 'split', 'chunk', 'unbind', 'narrow', 'tril', 'triu', 'ravel', 'diagonal', 'diag', 'unfold']
INPLACE_VIEW_NAMES = ["t", "transpose", "squeeze", "unsqueeze", "swapaxes", "swapdims"]
INPLACE_NAMES = ["tril", "triu"]
