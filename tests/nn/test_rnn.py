"""RNN, LSTM, GRU and their cells: gradients, parameters, init, shapes, dropout and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck
from eagertorch.nn.utils import rnn as rnn_utils
from eagertorch.testing import check_module
from eagertorch.testing import strategies as ets

LAYERS = {
    "RNN": lambda **kw: nn.RNN(**kw),
    "RNN_RELU": lambda **kw: nn.RNN(nonlinearity="relu", **kw),
    "GRU": lambda **kw: nn.GRU(**kw),
    "LSTM": lambda **kw: nn.LSTM(**kw),
}


def _functional(module):
    """``fn(x, h0..., *params)`` running ``module`` with the given parameters (for gradcheck)."""
    names = list(module._parameters)
    lstm = isinstance(module, (nn.LSTM, nn.LSTMCell))

    def fn(x, *rest):
        states, params = rest[: len(rest) - len(names)], rest[len(rest) - len(names) :]
        module._parameters.update(zip(names, params))
        hx = None if not states else (tuple(states) if lstm else states[0])
        out = module(x, hx)
        if isinstance(module, (nn.RNNCellBase,)):
            return out
        return (out[0], *out[1]) if lstm else out

    return fn


@settings(max_examples=12)
@given(
    kind=st.sampled_from(["RNN", "RNN_RELU", "GRU", "LSTM"]),
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    bias=st.booleans(),
    proj=st.booleans(),
    batch=st.sampled_from([None, 1, 2]),
    with_h0=st.booleans(),
    seq_len=st.integers(1, 3),
)
def test_layers_pass_gradcheck(
    kind, num_layers, bidirectional, batch_first, bias, proj, batch, with_h0, seq_len
):
    proj_size = 1 if proj and kind == "LSTM" else 0
    kwargs = dict(input_size=2, hidden_size=3, num_layers=num_layers, bias=bias)
    kwargs.update(batch_first=batch_first, bidirectional=bidirectional, dtype=et.float64)
    if proj_size:
        kwargs["proj_size"] = proj_size
    module = LAYERS[kind](**kwargs)
    seq = (seq_len,) if batch is None else ((batch, seq_len) if batch_first else (seq_len, batch))
    x = et.randn(*seq, 2, dtype=et.float64, requires_grad=True)
    states = ()
    if with_h0:
        lead = (num_layers * (2 if bidirectional else 1),) + (() if batch is None else (batch,))
        h0 = et.randn(*lead, proj_size or 3, dtype=et.float64, requires_grad=True)
        c0 = et.randn(*lead, 3, dtype=et.float64, requires_grad=True)
        states = (h0, c0) if kind == "LSTM" else (h0,)
    assert gradcheck(_functional(module), (x, *states, *module.parameters()))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(2, 3, bidirectional=True, proj_size=2, dtype=et.float64),
        lambda: nn.GRU(2, 3, batch_first=True, dtype=et.float64),
    ],
    ids=["lstm_proj_bidirectional", "gru"],
)
def test_double_backward_passes_gradgradcheck(make):
    module = make()
    x = et.randn(2, 1, 2, dtype=et.float64, requires_grad=True)
    assert gradgradcheck(_functional(module), (x, *module.parameters()))


@pytest.mark.parametrize("kind", ["RNN_RELU", "GRU", "LSTM"])
def test_cells_pass_gradcheck_batched_and_unbatched(kind):
    make = {"RNN_RELU": nn.RNNCell, "GRU": nn.GRUCell, "LSTM": nn.LSTMCell}[kind]
    extra = {"nonlinearity": "relu"} if kind == "RNN_RELU" else {}
    cell = make(2, 3, dtype=et.float64, **extra)
    for batch in ((2,), ()):
        x = et.randn(*batch, 2, dtype=et.float64, requires_grad=True)
        h = et.randn(*batch, 3, dtype=et.float64, requires_grad=True)
        states = (h, et.randn(*batch, 3, dtype=et.float64, requires_grad=True))
        states = states if kind == "LSTM" else states[:1]
        assert gradcheck(_functional(cell), (x, *states, *cell.parameters()))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(2, 3, bidirectional=True, proj_size=1, batch_first=True),
        lambda: nn.GRU(2, 3, num_layers=2),
        lambda: nn.RNNCell(2, 3),
    ],
    ids=["lstm", "gru", "rnn_cell"],
)
def test_modules_satisfy_check_module(make):
    shape = (1, 3, 2) if not isinstance(make(), nn.RNNCell) else (2, 2)
    check_module(
        make,
        ets.tensors(dtype=et.float32, shape=shape, low=-2, high=2),
        settings=settings(max_examples=3),
    )


def test_parameter_names_shapes_and_order_follow_pytorch():
    lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True, proj_size=3)
    got = [(k, tuple(v.shape)) for k, v in lstm.state_dict().items()]
    expected = []
    for layer, fin in ((0, 5), (1, 6)):
        for suffix in ("", "_reverse"):
            s = f"_l{layer}{suffix}"
            expected += [
                (f"weight_ih{s}", (16, fin)),
                (f"weight_hh{s}", (16, 3)),
                (f"bias_ih{s}", (16,)),
                (f"bias_hh{s}", (16,)),
                (f"weight_hr{s}", (3, 4)),
            ]
    assert got == expected
    assert list(nn.GRU(2, 3, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert nn.GRU(2, 3).weight_ih_l0.shape == (9, 2)
    assert [list(nn.LSTMCell(2, 3).state_dict())] == [
        ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    ]
    assert nn.RNNCell(2, 3, bias=False).bias_ih is None


@pytest.mark.parametrize(
    "module",
    [nn.LSTM(8, 100, num_layers=2, proj_size=30), nn.GRU(30, 64), nn.GRUCell(30, 64)],
    ids=["lstm", "gru", "gru_cell"],
)
def test_init_is_uniform_within_one_over_sqrt_hidden(module):
    bound = 1 / math.sqrt(module.hidden_size)
    for name, p in module.named_parameters():
        w = p.numpy(force=True)
        assert np.abs(w).max() <= bound, name
        assert np.unique(w).size > 1, name
        if w.size >= 1000:  # U(-b, b): std b/sqrt(3), mean 0, reaching the bounds
            assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound, name
            assert abs(w.mean()) < 0.05 * bound, name
            assert np.abs(w).max() > 0.95 * bound, name


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_output_and_state_shapes(batch_first, bidirectional):
    d = 2 if bidirectional else 1
    kw = dict(num_layers=3, batch_first=batch_first, bidirectional=bidirectional)
    x = et.randn(*((4, 7) if batch_first else (7, 4)), 5)
    out, (h, c) = nn.LSTM(5, 6, proj_size=2, **kw)(x)
    assert out.shape == ((4, 7, 2 * d) if batch_first else (7, 4, 2 * d))
    assert h.shape == (3 * d, 4, 2) and c.shape == (3 * d, 4, 6)
    out, h = nn.GRU(5, 6, **kw)(et.randn(7, 5))
    assert out.shape == (7, 6 * d) and h.shape == (3 * d, 6)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_cells_match_numpy_reference_gate_formulas():
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    for make in (nn.RNNCell, nn.GRUCell, nn.LSTMCell):
        cell = make(3, 4, dtype=et.float64)
        w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in cell.parameters())
        gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        xt, ht, ct = (et.tensor(a) for a in (x, h, c))
        if make is nn.RNNCell:
            expected, got = np.tanh(gi + gh), cell(xt, ht)
        elif make is nn.GRUCell:
            r, z = _sigmoid(gi[:, :4] + gh[:, :4]), _sigmoid(gi[:, 4:8] + gh[:, 4:8])
            n = np.tanh(gi[:, 8:] + r * gh[:, 8:])
            expected, got = (1 - z) * n + z * h, cell(xt, ht)
        else:
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c2 = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h2, c2_got = cell(xt, (ht, ct))
            np.testing.assert_allclose(c2_got.detach().numpy(), c2, rtol=1e-12)
            expected, got = _sigmoid(o) * np.tanh(c2), h2
        np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12, err_msg=str(make))


@pytest.mark.parametrize("kind", ["RNN", "RNN_RELU", "GRU", "LSTM"])
def test_layer_equals_its_cell_applied_step_by_step(kind):
    layer = LAYERS[kind](input_size=3, hidden_size=4, dtype=et.float64)
    make = {"RNN": nn.RNNCell, "RNN_RELU": nn.RNNCell, "GRU": nn.GRUCell, "LSTM": nn.LSTMCell}
    cell = make[kind](
        3, 4, dtype=et.float64, **({"nonlinearity": "relu"} if kind == "RNN_RELU" else {})
    )
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = et.randn(5, 2, 3, dtype=et.float64)
    out, _ = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        h = state[0] if kind == "LSTM" else state
        np.testing.assert_allclose(out[t].detach().numpy(), h.detach().numpy(), rtol=1e-12)


def test_reverse_direction_reads_the_sequence_backwards():
    rnn = nn.RNN(2, 3, bidirectional=True, dtype=et.float64)
    x = et.randn(4, 1, 2, dtype=et.float64)
    # With equal weights, the reverse half on x is the forward half on the flipped x.
    with et.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(rnn, name + "_reverse").copy_(getattr(rnn, name))
    with et.no_grad():
        out, h = rnn(x)
        flipped, _ = rnn(x.flip(0))
    np.testing.assert_allclose(out[:, :, 3:].numpy(), flipped[:, :, :3].flip(0).numpy())
    np.testing.assert_allclose(h[1].numpy(), out[0, :, 3:].numpy())
    np.testing.assert_allclose(h[0].numpy(), out[-1, :, :3].numpy())


def test_dropout_applies_between_layers_only_in_training():
    gru = nn.GRU(3, 4, num_layers=2, dropout=1.0).requires_grad_(False)
    x1, x2 = et.randn(5, 2, 3), et.randn(5, 2, 3)
    # p = 1 zeroes the second layer's input, so the output cannot depend on x
    np.testing.assert_array_equal(gru(x1)[0].numpy(), gru(x2)[0].numpy())
    gru.eval()
    assert not np.array_equal(gru(x1)[0].numpy(), gru(x2)[0].numpy())
    # first layer's final state never sees dropout
    gru.train()
    h_train = gru(x1)[1][0].numpy()
    gru.eval()
    np.testing.assert_array_equal(h_train, gru(x1)[1][0].numpy())


def test_dropout_with_one_layer_warns_and_bad_dropout_raises():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(2, 3, dropout=0.5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(2, 3, dropout=1.5)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: nn.RNN(2, 3, proj_size=1), ValueError, "only supported for LSTM"),
        (lambda: nn.GRU(2, 3, proj_size=1), ValueError, "only supported for LSTM"),
        (lambda: nn.RNN(2, 3, nonlinearity="gelu"), ValueError, "Unknown nonlinearity 'gelu'"),
        (lambda: nn.LSTM(2, 3, proj_size=3), ValueError, "proj_size has to be smaller"),
        (lambda: nn.LSTM(2, 0), ValueError, "hidden_size must be greater than zero"),
        (lambda: nn.LSTM(2.0, 3), TypeError, "input_size should be of type int"),
        (lambda: nn.GRU(2, 3, num_layers=0), ValueError, "num_layers must be greater than zero"),
    ],
)
def test_bad_constructor_arguments_raise(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_input_dtype_must_match_weights():
    with pytest.raises(ValueError, match=r"RNN input dtype .*float64.* does not match weight"):
        nn.RNN(2, 3)(et.randn(4, 2, dtype=et.float64))


def test_rnn_cell_with_unknown_nonlinearity_raises_at_forward():
    cell = nn.RNNCell(2, 3)
    cell.nonlinearity = "gelu"
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        cell(et.randn(2))


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_packed_batch_equals_each_sequence_run_alone(kind):
    rnn = LAYERS[kind](input_size=2, hidden_size=3, bidirectional=True, dtype=et.float64)
    seqs = [et.randn(n, 2, dtype=et.float64) for n in (2, 4, 1)]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    out, h = rnn(packed)
    padded, lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
    assert lengths.tolist() == [2, 4, 1] and padded.shape == (3, 4, 6)
    for b, seq in enumerate(seqs):
        alone, h_alone = rnn(seq)
        n = seq.shape[0]
        np.testing.assert_allclose(padded[b, :n].detach().numpy(), alone.detach().numpy())
        assert not padded[b, n:].detach().numpy().any()
        for state, state_alone in zip(_flat_states(h), _flat_states(h_alone)):
            np.testing.assert_allclose(state[:, b].detach().numpy(), state_alone.detach().numpy())


def _flat_states(h):
    return h if isinstance(h, tuple) else (h,)


def test_packed_lstm_passes_gradcheck():
    lstm = nn.LSTM(2, 3, bidirectional=True, proj_size=1, dtype=et.float64)
    x = et.randn(3, 3, 2, dtype=et.float64, requires_grad=True)
    h0 = et.randn(2, 3, 1, dtype=et.float64, requires_grad=True)
    c0 = et.randn(2, 3, 3, dtype=et.float64, requires_grad=True)
    names = list(lstm._parameters)

    def fn(x, h0, c0, *params):
        lstm._parameters.update(zip(names, params))
        packed = rnn_utils.pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        out, (h, c) = lstm(packed, (h0, c0))
        return rnn_utils.pad_packed_sequence(out)[0], h, c

    assert gradcheck(fn, (x, h0, c0, *lstm.parameters()))


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_then_pad_round_trips_and_pads_with_padding_value(batch_first):
    x = et.randn(3, 4, 2) if batch_first else et.randn(4, 3, 2)
    lengths = [3, 4, 1]
    packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 2, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    padded, got_lengths = rnn_utils.pad_packed_sequence(packed, batch_first, padding_value=9.0)
    assert got_lengths.tolist() == lengths and got_lengths.dtype == et.int64
    xs, ps = x.numpy(), padded.numpy()
    for b, n in enumerate(lengths):
        seq_x = xs[b] if batch_first else xs[:, b]
        seq_p = ps[b] if batch_first else ps[:, b]
        np.testing.assert_array_equal(seq_p[:n], seq_x[:n])
        assert (seq_p[n:] == 9.0).all()


def test_pad_sequence_left_and_right():
    a, b = et.tensor([1.0, 2.0]), et.tensor([3.0])
    assert rnn_utils.pad_sequence([a, b]).tolist() == [[1.0, 3.0], [2.0, 0.0]]
    left = rnn_utils.pad_sequence([a, b], batch_first=True, padding_value=-1, padding_side="left")
    assert left.tolist() == [[1.0, 2.0], [-1.0, 3.0]]


def test_packed_input_is_checked_like_pytorch():
    packed = rnn_utils.pack_sequence([et.randn(3, 2), et.randn(2, 2)])
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size"):
        nn.GRU(3, 4)(packed)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        nn.GRU(2, 4)(packed, et.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="exceeds the sequence dimension of size 2"):
        rnn_utils.pack_padded_sequence(et.zeros(2, 2, 1), [3, 1])


def test_flatten_parameters_and_all_weights_are_available():
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True)
    gru.flatten_parameters()
    assert [[tuple(p.shape) for p in ps] for ps in gru.all_weights][2] == [
        (9, 6),
        (9, 3),
        (9,),
        (9,),
    ]
    assert gru.all_weights[3][0] is gru.weight_ih_l1_reverse
