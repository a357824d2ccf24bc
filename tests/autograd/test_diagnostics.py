"""Autograd errors and warnings name the user's own line (autograd.diagnostics).

Each test computes the line it expects with ``_next_line()`` just above the statement and
asserts ``test_diagnostics.py:<line>`` appears in the message.
"""

from __future__ import annotations

import gc
import inspect
import warnings

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd import diagnostics
from eagertorch.autograd.diagnostics import GradientAccumulationWarning, GraphRetentionWarning

HERE = "test_diagnostics.py"


def _next_line() -> int:
    """The line number right after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def at(line: int) -> str:
    return f"{HERE}:{line}"


@pytest.fixture(autouse=True)
def _fresh_diagnostics():
    """Warnings show once per line and escaped values are remembered: start each test clean."""
    diagnostics._warned.clear()
    diagnostics.escaped_values.clear()
    diagnostics.rebuilt.clear()
    yield


def leaf(values=(1.0, 2.0, 3.0)):
    return torch.tensor(list(values), requires_grad=True)


def backward_error(t) -> str:
    with pytest.raises(RuntimeError) as info:
        t.sum().backward()
    return str(info.value)


# ----- in-place modification errors ------------------------------------------------------------
def test_inplace_error_names_the_saving_op_and_the_modifying_line():
    x = leaf()
    y = x.exp()  # ExpBackward0 saves its output
    line = _next_line()
    y.add_(1)
    message = backward_error(y * 2)
    assert "modified by an inplace operation" in message
    assert "saved for backward by ExpBackward0" in message
    assert "modified in place by add_ at " in message
    assert at(line) in message and "y.add_(1)" in message


def test_inplace_error_under_anomaly_mode_also_names_the_saving_line():
    x = leaf()
    with torch.autograd.detect_anomaly():
        a = x * 1
        saved = _next_line()
        y = a.sin()  # saves a
        modified = _next_line()
        a.mul_(2)
        message = backward_error(y)
    assert "SinBackward0, the op at " in message and at(saved) in message
    assert at(modified) in message and "mul_" in message


def test_inplace_error_without_anomaly_mode_says_how_to_see_the_saving_line():
    y = leaf().sin()
    z = y.cos()  # saves y
    y.detach().zero_()  # shares y's memory and version counter
    assert "set_detect_anomaly(True)" in backward_error(z)


def test_item_assignment_is_named_as_the_modification():
    w = leaf()
    data = torch.tensor([1.0, 2.0, 3.0])
    y = w * data  # saves data
    line = _next_line()
    data[0] = 5.0
    message = backward_error(y)
    assert at(line) in message and "__setitem__" in message


def test_several_modifications_name_the_first_and_the_last():
    y = leaf() * 1
    s = y.sin()  # saves y
    first = _next_line()
    y.add_(1)
    last = _next_line()
    y.mul_(3)
    message = backward_error(s)
    assert at(first) in message and at(last) in message and "1 more" in message


def test_parameter_updated_by_an_optimizer_before_backward_is_explained():
    w = leaf()
    loss = (w * w).sum()
    opt = torch.optim.SGD([w], lr=0.1)
    w.grad = torch.ones(3)
    opt.step()
    with pytest.raises(RuntimeError, match=r"optimizer\.step\(\)"):
        loss.backward()


# ----- backward() on a tensor cut from its graph ----------------------------------------------
PYTORCH_CUT = "element 0 of tensors does not require grad and does not have a grad_fn"


def test_cut_by_detach_names_the_detach_line():
    x = leaf()
    line = _next_line()
    y = (x * 2).detach()
    message = backward_error(y * 3)
    assert message.startswith(PYTORCH_CUT)
    assert ".detach()" in message and at(line) in message


def test_cut_by_data_names_the_line():
    x = leaf()
    line = _next_line()
    y = x.data
    message = backward_error(y.exp())
    assert ".data" in message and at(line) in message


def test_cut_by_a_no_grad_block_names_the_with_line():
    x = leaf()
    line = _next_line()
    with torch.no_grad():
        h = x * 2
        y = h + 1
    message = backward_error(y * 3)
    assert "no_grad() block" in message and at(line) in message


@pytest.mark.parametrize(
    "switch, args, name",
    [
        (torch.inference_mode, (), "inference_mode()"),
        (torch.set_grad_enabled, (False,), "set_grad_enabled(False)"),
    ],
)
def test_cut_by_other_recording_switches_names_the_switch(switch, args, name):
    x = leaf()
    line = _next_line()
    with switch(*args):
        y = x * 2
    message = backward_error(y)
    assert name in message and at(line) in message


def test_cut_inside_a_no_grad_decorated_function_names_the_call():
    @torch.no_grad()
    def predict(x):
        return x * 2

    x = leaf()
    line = _next_line()
    y = predict(x)
    assert at(line) in backward_error(y)


def test_no_grad_block_on_tensors_without_grad_is_not_blamed():
    data = torch.tensor([1.0, 2.0])
    with torch.no_grad():
        y = data * 2
    message = backward_error(y)
    assert "no_grad" not in message
    assert "requires_grad=True" in message


def test_cut_by_item_round_trip_names_both_lines():
    x = leaf()
    taken = _next_line()
    value = (x * 2).sum().item()
    rebuilt = _next_line()
    t = torch.tensor(value)
    message = backward_error(t * 3)
    assert ".item()" in message and at(taken) in message and at(rebuilt) in message


def test_cut_by_tolist_round_trip_names_both_lines():
    x = leaf()
    taken = _next_line()
    values = (x * 2).tolist()
    rebuilt = _next_line()
    t = torch.tensor(values)
    message = backward_error(t)
    assert ".tolist()" in message and at(taken) in message and at(rebuilt) in message


def test_cut_by_numpy_round_trip_names_both_lines():
    x = leaf()
    taken = _next_line()
    a = (x * 2).detach().numpy()
    rebuilt = _next_line()
    t = torch.tensor(a)
    message = backward_error(t * 3)
    assert ".numpy()" in message and at(taken) in message and at(rebuilt) in message


def test_cut_by_from_numpy_of_an_escaped_array_names_the_numpy_line():
    x = leaf()
    taken = _next_line()
    a = (x * 2).detach().numpy()
    message = backward_error(torch.from_numpy(a) * 3)
    assert ".numpy()" in message and at(taken) in message


def test_cut_by_copying_a_tensor_that_requires_grad_names_the_line():
    x = leaf()
    line = _next_line()
    t = torch.tensor(x * 2)
    message = backward_error(t)
    assert "tensor()" in message and at(line) in message


@pytest.mark.parametrize(
    "make, op",
    [
        (lambda y: y.argmax().float(), "argmax"),
        (lambda y: (y > 2).float(), "greater"),
        (lambda y: y.long().float(), "to_copy"),
        (lambda y: y.max(0)[1].float(), "max"),
    ],
)
def test_cut_by_an_integer_op_names_the_op_and_line(make, op):
    x = leaf()
    r = make(x * 2)
    message = backward_error(r)
    assert "integer result of " + op in message and at(make.__code__.co_firstlineno) in message


def test_cut_by_requires_grad_false_names_the_line():
    x = leaf()
    line = _next_line()
    x.requires_grad_(False)
    assert at(line) in backward_error(x * 2)


def test_cut_by_detach_in_place_names_the_line():
    x = leaf()
    y = x * 2
    line = _next_line()
    y.detach_()
    message = backward_error(y + 1)
    assert "detach_()" in message and at(line) in message


def test_cut_survives_in_place_ops_on_an_accumulator():
    x = leaf()
    total = torch.zeros(())
    line = _next_line()
    total += (x * 2).sum().detach()
    message = backward_error(total)
    assert at(line) in message


def test_graph_without_any_leaf_requiring_grad_says_to_set_requires_grad():
    w = torch.ones(3)
    message = backward_error(w * 2)
    assert message.startswith(PYTORCH_CUT)
    assert "requires_grad=True" in message


def test_autograd_grad_explains_a_cut_too():
    x = leaf()
    line = _next_line()
    y = (x * 2).detach().sum()
    with pytest.raises(RuntimeError, match=PYTORCH_CUT) as info:
        torch.autograd.grad(y, x)
    assert at(line) in str(info.value)


# ----- anomaly detection: NaN / Inf in forward and backward ----------------------------------
def test_anomaly_mode_stops_at_the_op_whose_forward_made_nan():
    x = torch.tensor([-1.0, 1.0], requires_grad=True)
    with (
        torch.autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match="'LogBackward0' produced nan") as info,
    ):
        line = _next_line()
        (x * 1).log()
    assert at(line) in str(info.value)


def test_inf_stops_only_when_raise_on_names_it():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly():
        y = (x * 1).log()  # -inf, not nan: allowed by default
    with (
        torch.autograd.set_detect_anomaly(True, raise_on={"nan", "inf"}),
        pytest.raises(RuntimeError, match="produced inf") as info,
    ):
        line = _next_line()
        (x * 1).log()
    assert at(line) in str(info.value)
    assert y.item() == float("-inf")


def test_set_detect_anomaly_raise_on_enables_anomaly_mode():
    with torch.autograd.set_detect_anomaly(raise_on={"inf"}):
        assert torch.autograd.is_anomaly_enabled()
    assert not torch.autograd.is_anomaly_enabled()


def test_anomaly_mode_stops_at_the_node_whose_backward_made_nan():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly():
        line = _next_line()
        y = x.sqrt() * 0  # finite forward; sqrt's gradient at 0 is 0 * inf
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned nan") as info:
            y.sum().backward()
    assert at(line) in str(info.value)


def test_anomaly_mode_names_both_lines_in_double_backward():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True, raise_on={"nan", "inf"}):
        forward = _next_line()
        y = x.pow(1.5)  # y' = 1.5 x^0.5 is finite at 0, y'' is not
        first = _next_line()
        (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="returned inf") as info:
            g.sum().backward()
    message = str(info.value)
    assert at(first) in message and at(forward) in message
    assert "while computing the gradient of PowBackward0" in message


def test_nan_from_an_unrecorded_input_is_said_to_come_from_upstream():
    data = torch.tensor([float("nan")])
    w = leaf([1.0])
    with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="already held nan"):
        w * data


def test_raise_on_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="raise_on"):
        torch.autograd.set_detect_anomaly(True, raise_on={"overflow"})


def test_anomaly_mode_off_lets_nan_through():
    x = torch.tensor([-1.0], requires_grad=True)
    y = x.log()
    y.sum().backward()
    assert np.isnan(y.item())


# ----- notebook pitfalls ------------------------------------------------------------------------
def _our_warnings(record) -> list:
    return [
        w
        for w in record
        if issubclass(w.category, (GradientAccumulationWarning, GraphRetentionWarning))
    ]


def test_backward_after_an_optimizer_step_without_zero_grad_warns_at_the_backward_line():
    w = leaf()
    opt = torch.optim.SGD([w], lr=0.1)
    with pytest.warns(GradientAccumulationWarning, match="zero_grad") as record:
        for _ in range(2):
            loss = (w * 2).sum()
            line = _next_line()
            loss.backward()
            opt.step()
    (warning,) = _our_warnings(record)
    assert warning.filename == __file__ and warning.lineno == line


def test_manual_update_without_zeroing_the_grad_warns():
    w = leaf()
    with pytest.warns(GradientAccumulationWarning):
        for _ in range(2):
            (w * w).sum().backward()
            with torch.no_grad():
                w -= 0.1 * w.grad


def test_rerunning_a_notebook_cell_warns_at_the_cell_line(monkeypatch):
    monkeypatch.setattr(diagnostics, "interactive", True)  # as in IPython or the REPL
    w = leaf()
    cell = "loss = (w * 2).sum()\nloss.backward()\n"
    with pytest.warns(GradientAccumulationWarning, match="run again") as record:
        for _ in range(2):  # each run compiles the cell anew, as IPython does
            exec(compile(cell, "<ipython-input-1>", "exec"), {"w": w})
    (warning,) = _our_warnings(record)
    assert warning.filename == "<ipython-input-1>" and warning.lineno == 2


def test_stale_gradient_warning_is_shown_once_and_can_be_silenced():
    w = leaf()
    opt = torch.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(4):
            (w * 2).sum().backward()
            opt.step()
    assert len(_our_warnings(record)) == 1
    diagnostics._warned.clear()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=GradientAccumulationWarning)
        for _ in range(2):
            (w * 2).sum().backward()
            opt.step()
    assert _our_warnings(record) == []


def _train(model_step, steps: int = 3):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(steps):
            model_step()
    return _our_warnings(record)


def test_training_loop_with_zero_grad_is_silent():
    w = leaf()
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)

    def step():
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()

    assert _train(step) == []


def test_training_loop_zeroing_grads_in_place_is_silent():
    w = leaf()
    opt = torch.optim.SGD([w], lr=0.1)

    def step():
        opt.zero_grad(set_to_none=False)
        (w * w).sum().backward()
        opt.step()

    assert _train(step) == []


def test_micro_batch_gradient_accumulation_is_silent():
    w = leaf()
    opt = torch.optim.SGD([w], lr=0.1)

    def step():
        opt.zero_grad()
        for k in range(4):
            ((w * k).sum() / 4).backward()
        opt.step()

    assert _train(step) == []


def test_gan_style_second_loss_into_stepped_parameters_is_silent():
    d = leaf()  # "discriminator" parameters
    g = leaf([0.5, 0.5, 0.5])  # "generator" parameters
    opt_d = torch.optim.SGD([d], lr=0.1)
    opt_g = torch.optim.SGD([g], lr=0.1)

    def step():
        opt_d.zero_grad()
        ((d * g.detach()).sum() + d.sum()).backward()
        opt_d.step()
        opt_g.zero_grad()
        (d * g).exp().sum().backward()  # also accumulates into the stepped d.grad
        opt_g.step()

    assert _train(step) == []


def test_accumulating_a_backpropagated_loss_warns_at_the_addition():
    w = leaf()
    total = 0
    with pytest.warns(GraphRetentionWarning, match="item") as record:
        for _ in range(2):
            loss = (w * 2).sum()
            loss.backward()
            line = _next_line()
            total += loss
    (warning,) = _our_warnings(record)
    assert warning.lineno == line and at(line) in str(warning.message)


def test_accumulating_losses_before_their_backward_warns_on_the_next_iteration():
    w = leaf()
    total = 0
    with pytest.warns(GraphRetentionWarning):
        for _ in range(3):
            loss = (w * 2).sum()
            total += loss
            loss.backward()


def test_accumulating_many_separate_graphs_without_backward_warns():
    w = leaf()
    total = 0
    with pytest.warns(GraphRetentionWarning, match="separate graphs"):
        for _ in range(diagnostics._CHAIN_LIMIT + 1):
            total += (w * 2).sum()  # an evaluation loop that forgot no_grad()


def test_summing_per_step_losses_of_one_graph_is_silent():
    w = leaf()
    h = torch.ones(3)

    def step():
        nonlocal h
        loss = 0
        for _ in range(diagnostics._CHAIN_LIMIT + 8):  # an unrolled RNN: steps share h
            h = (h * w).tanh()
            loss += h.sum()
        loss.backward()
        w.grad = None
        h = h.detach()

    assert _train(step, steps=2) == []


def test_running_total_of_detached_losses_is_silent():
    w = leaf()
    total = 0.0
    total_t = torch.zeros(())

    def step():
        nonlocal total, total_t
        loss = (w * 2).sum()
        loss.backward()
        w.grad = None
        total += loss.item()
        total_t += loss.detach()

    assert _train(step, steps=diagnostics._CHAIN_LIMIT + 2) == []


def test_graph_memory_counts_live_nodes_and_saved_bytes():
    gc.collect()  # graphs of earlier tests caught in reference cycles must not vanish midway
    before = torch.autograd.graph_memory()
    x = torch.ones(1000, dtype=torch.float64, requires_grad=True)
    y = x.exp().sin()  # ExpBackward0 saves its 8000-byte output, SinBackward0 its input
    during = torch.autograd.graph_memory()
    assert during.nodes - before.nodes == 2
    assert during.bytes - before.bytes >= 8000
    y.sum().backward()
    after = torch.autograd.graph_memory()
    assert after.bytes - before.bytes < 8000  # backward freed the saved tensors
    del y
    assert torch.autograd.graph_memory().nodes == before.nodes
    assert "graph nodes" in str(during)


# ----- shape, device and dtype errors -----------------------------------------------------------
@pytest.mark.parametrize(
    "call, op, pieces",
    [
        (lambda a, b: a + b, "add", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: a * b, "mul", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: torch.atan2(a, b), "atan2", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: a < b, "less", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: torch.clamp(a, min=b), "clamp", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: torch.isclose(a, b), "isclose", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: torch.where(a > 0, a, b), "where", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: a @ b, "matmul", ["[2, 3]", "[2, 4]", "dimension 1 (size 3)"]),
        (lambda a, b: torch.mm(a, b), "mat1 and mat2", ["2x3", "2x4", "dimension 0 (size 2)"]),
        (lambda a, b: torch.cat([a, b]), "cat", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (lambda a, b: torch.stack([a, b]), "stack", ["[2, 3]", "[2, 4]", "dimension 1"]),
        (
            lambda a, b: a.masked_fill(torch.ones(3, 3, dtype=torch.bool), 0.0),
            "masked_fill",
            ["[2, 3]", "[3, 3]", "dimension 0"],
        ),
    ],
)
def test_shape_errors_name_the_op_both_shapes_and_the_dimension(call, op, pieces):
    a, b = torch.ones(2, 3), torch.ones(2, 4)
    with pytest.raises(RuntimeError) as info:
        call(a, b)
    message = str(info.value)
    for piece in [op, *pieces]:
        assert piece in message


def test_batched_matmul_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 2, 3\].*\[3, 3, 5\]"):
        torch.ones(2, 2, 3) @ torch.ones(3, 3, 5)
    with pytest.raises(RuntimeError, match=r"batch1 has shape \[2, 2, 3\], batch2 has shape"):
        torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 5))


def test_view_error_names_the_shape_stride_and_requested_shape():
    with pytest.raises(
        RuntimeError, match=r"shape \[3, 2\] and stride \[1, 3\], requested shape \[6\]"
    ):
        torch.ones(2, 3).t().view(6)


class _FakeDevice:
    type = "cuda"
    id = 0


class _FakeCudaArray:
    """Stands in for a cupy array: arithmetic with numpy arrays fails with TypeError."""

    __array_ufunc__ = None
    device = _FakeDevice()
    shape = (3,)
    dtype = np.dtype(np.float32)
    ndim = 1

    def _fail(self, other):
        raise TypeError("Unsupported type <class 'numpy.ndarray'>")

    __mul__ = __rmul__ = __add__ = __radd__ = _fail


def test_device_mismatch_names_both_devices():
    from eagertorch._tensor import _make

    on_gpu = _make(_FakeCudaArray())
    with pytest.raises(RuntimeError, match=r"two devices, cpu and cuda:0.*mul"):
        torch.ones(3) * on_gpu


def test_dtype_mismatch_names_both_dtypes():
    with pytest.raises(RuntimeError, match="float != double"):
        torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64)


def test_custom_function_results_carry_the_cut_of_their_inputs():
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = leaf()
    line = _next_line()
    d = x.detach()
    assert at(line) in backward_error(Double.apply(d))


def test_recording_switches_leave_no_region_open():
    from eagertorch.autograd.grad_mode import cut_regions, state

    @torch.no_grad()
    def f():
        raise ValueError

    with pytest.raises(ValueError), torch.no_grad(), torch.enable_grad():
        raise ValueError
    with pytest.raises(ValueError):
        f()
    with torch.inference_mode(), torch.set_grad_enabled(True):
        pass
    torch.set_grad_enabled(False)
    assert cut_regions[0] == 1
    torch.set_grad_enabled(True)
    assert cut_regions[0] == 0 and state.cut is None


def test_comparison_inside_a_no_grad_block_is_blamed_on_the_block():
    x = leaf()
    line = _next_line()
    with torch.no_grad():
        mask = x > 2
    message = backward_error(mask.float())
    assert "no_grad() block" in message and at(line) in message
