"""STUB: to be written."""

from __future__ import annotations


def matmul(*args, **kwargs):
    raise NotImplementedError("matmul")


def mm(*args, **kwargs):
    raise NotImplementedError("mm")


def mv(*args, **kwargs):
    raise NotImplementedError("mv")


def dot(*args, **kwargs):
    raise NotImplementedError("dot")


def bmm(*args, **kwargs):
    raise NotImplementedError("bmm")


def outer(*args, **kwargs):
    raise NotImplementedError("outer")


def inner(*args, **kwargs):
    raise NotImplementedError("inner")


def addmm(*args, **kwargs):
    raise NotImplementedError("addmm")


def addmv(*args, **kwargs):
    raise NotImplementedError("addmv")


def baddbmm(*args, **kwargs):
    raise NotImplementedError("baddbmm")


def ger(*args, **kwargs):
    raise NotImplementedError("ger")


def vdot(*args, **kwargs):
    raise NotImplementedError("vdot")


def kron(*args, **kwargs):
    raise NotImplementedError("kron")


def einsum(*args, **kwargs):
    raise NotImplementedError("einsum")


def tensordot(*args, **kwargs):
    raise NotImplementedError("tensordot")


METHOD_NAMES = ['matmul', 'mm', 'mv', 'dot', 'bmm', 'outer', 'inner', 'addmm', 'addmv', 'baddbmm', 'ger', 'vdot', 'kron']
