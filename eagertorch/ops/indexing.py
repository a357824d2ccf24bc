"""STUB: to be written."""

from __future__ import annotations


def gather(*args, **kwargs):
    raise NotImplementedError("gather")


def scatter(*args, **kwargs):
    raise NotImplementedError("scatter")


def scatter_add(*args, **kwargs):
    raise NotImplementedError("scatter_add")


def index_select(*args, **kwargs):
    raise NotImplementedError("index_select")


def masked_fill(*args, **kwargs):
    raise NotImplementedError("masked_fill")


def masked_select(*args, **kwargs):
    raise NotImplementedError("masked_select")


def nonzero(*args, **kwargs):
    raise NotImplementedError("nonzero")


def take(*args, **kwargs):
    raise NotImplementedError("take")


def index_add(*args, **kwargs):
    raise NotImplementedError("index_add")


def index_fill(*args, **kwargs):
    raise NotImplementedError("index_fill")


def index_copy(*args, **kwargs):
    raise NotImplementedError("index_copy")


def index_put(*args, **kwargs):
    raise NotImplementedError("index_put")


def take_along_dim(*args, **kwargs):
    raise NotImplementedError("take_along_dim")


def argwhere(*args, **kwargs):
    raise NotImplementedError("argwhere")


def put(*args, **kwargs):
    raise NotImplementedError("put")


def getitem(*args, **kwargs):
    raise NotImplementedError("getitem")


def setitem(*args, **kwargs):
    raise NotImplementedError("setitem")


METHOD_NAMES = ['gather', 'scatter', 'scatter_add', 'index_select', 'masked_fill', 'masked_select', 'nonzero', 'take', 'index_add', 'index_fill', 'index_copy', 'index_put', 'take_along_dim', 'argwhere', 'put']
INPLACE_NAMES = ["masked_fill", "scatter", "scatter_add", "index_add", "index_fill", "index_copy", "index_put"]
