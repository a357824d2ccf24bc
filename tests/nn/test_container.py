"""Containers: indexing, slicing, mutation and the state_dict keys they produce."""

from collections import OrderedDict

import pytest

import eagertorch as et
from eagertorch import nn


def _layers(n):
    return [nn.Linear(i + 1, i + 2) for i in range(n)]


def test_sequential_calls_modules_in_order():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Flatten(), nn.Linear(3, 1))
    x = et.randn(4, 2)
    expected = seq[2](seq[0](x))
    assert et.allclose(seq(x), expected)


def test_sequential_indexing_slicing_and_negative_indices():
    a, b, c = _layers(3)
    seq = nn.Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the original keys, as PyTorch
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]


def test_sequential_from_ordered_dict_uses_its_names():
    seq = nn.Sequential(OrderedDict(first=nn.Linear(1, 2), second=nn.Linear(2, 1)))
    assert list(seq.state_dict()) == ["first.weight", "first.bias", "second.weight", "second.bias"]
    assert seq.first is seq[0]


def test_sequential_append_insert_delete_renumber():
    a, b, c = _layers(3)
    seq = nn.Sequential(a)
    seq.append(c)
    seq.insert(1, b)
    assert list(seq) == [a, b, c] and list(seq._modules) == ["0", "1", "2"]
    del seq[0]
    assert list(seq) == [b, c] and list(seq._modules) == ["0", "1"]
    assert seq.pop(0) is b and len(seq) == 1
    seq[0] = a
    assert seq[0] is a
    assert list(nn.Sequential(a) + nn.Sequential(b)) == [a, b]


def test_module_list_registers_but_does_not_call():
    layers = nn.ModuleList(_layers(2))
    layers += [nn.Identity()]
    assert len(layers) == 3
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(NotImplementedError):
        layers(et.zeros(1))


def test_module_dict_keeps_insertion_order():
    d = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Identity()})
    d["c"] = nn.Linear(1, 2)
    assert list(d.keys()) == ["b", "a", "c"] and "a" in d and len(d) == 3
    assert list(d.state_dict()) == ["b.weight", "b.bias", "c.weight", "c.bias"]
    d.pop("b")
    assert list(d) == ["a", "c"]


def test_parameter_list_and_dict_wrap_tensors_as_parameters():
    plist = nn.ParameterList([et.zeros(2), nn.Parameter(et.ones(3))])
    assert all(isinstance(p, nn.Parameter) for p in plist)
    assert [n for n, _ in plist.named_parameters()] == ["0", "1"]
    pdict = nn.ParameterDict({"w": et.zeros(2, 2)})
    assert isinstance(pdict["w"], nn.Parameter) and list(pdict.state_dict()) == ["w"]
    assert "Parameter containing: [torch.FloatTensor of size 2x2]" in repr(pdict)


def test_flatten_and_unflatten_round_trip():
    x = et.randn(2, 3, 4, 5)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    assert et.equal(nn.Unflatten(1, (3, 4, 5))(flat), x)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
