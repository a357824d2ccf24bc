"""Module-system semantics: registration, traversal order, modes, conversion, hooks, state_dict."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import eagertorch as et
from eagertorch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Identity()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(et.ones(1))
        self.register_buffer("steps", et.zeros((), dtype=et.int64))
        self.register_buffer("cache", et.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_attribute_assignment_registers_parameters_buffers_and_submodules_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale",
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
        "fc2.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert net.fc1.weight is net._modules["fc1"]._parameters["weight"]


def test_state_dict_holds_parameters_and_persistent_buffers_detached():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"].data_ptr() == net.fc1.weight.data_ptr()
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_shared_parameter_is_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.Linear(2, 2), a)
    assert len(list(seq.parameters())) == 4
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 6
    assert list(seq.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "2.weight",
        "2.bias",
    ]


def test_assigning_a_plain_tensor_to_a_parameter_name_raises():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign .* as parameter 'weight'"):
        lin.weight = et.zeros(2, 2)
    lin.weight = None
    assert lin.weight is None and "weight" in lin._parameters


def test_reassigning_a_name_moves_it_between_kinds():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(et.zeros(1))
    assert "x" not in m._modules and "x" in m._parameters
    del m.x
    assert not hasattr(m, "x")


def test_buffer_names_are_validated():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", et.zeros(1))
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.register_buffer("b", np.zeros(1))
    m.p = nn.Parameter(et.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("p", et.zeros(1))


def test_missing_attribute_error_names_the_class():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = nn.Linear(1, 1).nope


def test_registered_names_read_back_per_instance_and_follow_every_change():
    # Registered names are read through a class-level reader (faster than __getattr__):
    # it must return each instance's own entry and see every later change.
    a, b = Net(), Net()
    assert a.fc1.weight is a.fc1._parameters["weight"]
    assert a.fc1.weight is not b.fc1.weight and a.steps is a._buffers["steps"]
    new = nn.Parameter(et.zeros(4, 3))
    a.fc1.weight = new
    assert a.fc1.weight is new and b.fc1.weight is not new
    a.fc1.bias = None
    assert a.fc1.bias is None and b.fc1.bias is not None
    del a.fc1.weight
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weight'"):
        _ = a.fc1.weight
    assert not hasattr(a.fc1, "weight") and hasattr(b.fc1, "weight")
    plain = et.ones(4, 3)  # functional-style: a plain tensor where the parameter was
    a.fc1.weight = plain
    assert a.fc1.weight is plain and "weight" not in a.fc1._parameters
    a.fc2 = nn.Identity()
    assert isinstance(a.fc2, nn.Identity) and isinstance(b.fc2, nn.Linear)
    del a.steps
    assert not hasattr(a, "steps") and b.steps is b._buffers["steps"]


def test_assignment_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(et.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Bad()


def test_train_and_eval_set_the_flag_recursively():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_requires_grad_and_zero_grad():
    net = Net()
    net(et.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_keeps_parameter_identity_and_skips_integer_buffers():
    net = Net()
    w = net.fc1.weight
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == et.float64
    assert isinstance(net.fc1.weight, nn.Parameter)
    assert net.steps.dtype == et.int64
    net.to(et.float32)
    assert w.dtype == et.float32 and net.cache.dtype == et.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(et.int32)


def test_to_casts_existing_gradients_too():
    lin = nn.Linear(2, 1)
    lin(et.ones(1, 2)).sum().backward()
    lin.half()
    assert lin.weight.grad.dtype == et.float16


def test_apply_visits_children_before_parent():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Identity", "Linear", "Net"]


def test_load_state_dict_round_trip_copies_values_in_place():
    src, dst = Net(), Net()
    w = dst.fc1.weight
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.fc1.weight is w
    assert et.equal(w, src.fc1.weight) and w.data_ptr() != src.fc1.weight.data_ptr()


def test_strict_load_names_missing_and_unexpected_keys_and_changes_nothing():
    net = Net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    sd = Net().state_dict()
    del sd["fc2.bias"]
    sd["fc3.weight"] = et.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in msg
    assert all(et.equal(before[k], v) for k, v in net.state_dict().items())


def test_non_strict_load_returns_keys_and_loads_the_rest():
    net = Net()
    sd = Net().state_dict()
    del sd["fc2.bias"]
    sd["extra"] = et.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"]
    assert result.unexpected_keys == ["extra"]
    assert et.equal(net.fc1.weight, sd["fc1.weight"])


def test_size_mismatch_is_reported_before_anything_is_copied():
    net = Net()
    sd = Net().state_dict()
    old_fc1 = net.fc1.weight.clone()
    sd["fc2.weight"] = et.zeros(3, 3)
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for fc2.weight: copying a param with "
        r"shape .*\[3, 3\].* the shape in current model is .*\[2, 4\]",
    ):
        net.load_state_dict(sd, strict=False)
    assert et.equal(net.fc1.weight, old_fc1)


def test_load_with_assign_replaces_parameters():
    net = Net()
    sd = Net().state_dict()
    net.load_state_dict(sd, assign=True)
    assert net.fc1.weight.data_ptr() == sd["fc1.weight"].data_ptr()
    assert isinstance(net.fc1.weight, nn.Parameter) and net.fc1.weight.requires_grad


def test_forward_pre_hook_and_forward_hook_can_replace_values_and_be_removed():
    lin = nn.Linear(2, 2)
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: out + 1)
    out = lin(et.ones(1, 2))
    assert et.allclose(out, lin.bias.detach() + 1)
    pre.remove()
    post.remove()
    assert et.allclose(lin(et.zeros(1, 2)), lin.bias.detach())


def test_full_backward_hook_sees_grad_input_and_grad_output_and_may_replace_grad_input():
    lin = nn.Linear(3, 2)
    seen = []

    def hook(module, grad_input, grad_output):
        seen.append((module, grad_input, grad_output))
        return (grad_input[0] * 2,)

    lin.register_full_backward_hook(hook)
    x = et.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    ((module, grad_input, grad_output),) = seen
    assert module is lin
    assert et.allclose(grad_output[0], et.ones(4, 2))
    expected = et.ones(4, 2) @ lin.weight.detach()
    assert et.allclose(grad_input[0], expected)
    assert et.allclose(x.grad, 2 * expected)
    assert lin.weight.grad is not None


def test_full_backward_hook_gets_none_grad_input_when_input_needs_no_grad():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    lin(et.randn(4, 3)).sum().backward()
    assert len(seen) == 1 and seen[0][0] == (None,)
    assert seen[0][1][0].shape == (4, 2)


def test_forward_missing_raises_not_implemented():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_nested_repr_matches_pytorch_layout():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Identity(), nn.Flatten()))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Identity()\n"
        "    (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  )\n"
        ")"
    )


def test_parameter_repr_and_defaults():
    p = nn.Parameter(et.tensor([1.0, 2.0]))
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert p.requires_grad and p.is_leaf
    assert not nn.Parameter(et.zeros(1), requires_grad=False).requires_grad
    assert type(p * 2) is et.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(et.zeros(2, dtype=et.int64))


def test_deepcopy_copies_parameters_and_keeps_their_type():
    net = Net()
    twin = copy.deepcopy(net)
    assert twin.fc1.weight is not net.fc1.weight
    assert isinstance(twin.fc1.weight, nn.Parameter)
    assert et.equal(twin.fc1.weight, net.fc1.weight)
    assert twin.state_dict().keys() == net.state_dict().keys()


def test_get_submodule_and_get_parameter():
    net = nn.Sequential(OrderedDict(enc=Net()))
    assert net.get_submodule("enc.fc1") is net.enc.fc1
    assert net.get_parameter("enc.fc1.bias") is net.enc.fc1.bias
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("enc.nope")
