"""RNN, LSTM, GRU and their cells against PyTorch with identical weights: state_dict keys and
shapes, outputs, final states, input, state and parameter gradients, reprs and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn

torch = pytest.importorskip("torch")

KINDS = {
    "rnn_tanh": lambda m, **kw: m.RNN(**kw),
    "rnn_relu": lambda m, **kw: m.RNN(nonlinearity="relu", **kw),
    "lstm": lambda m, **kw: m.LSTM(**kw),
    "lstm_proj": lambda m, **kw: m.LSTM(proj_size=2, **kw),
    "gru": lambda m, **kw: m.GRU(**kw),
}


def _pair(make):
    """A PyTorch module and ours with its weights, after checking the state_dicts agree."""
    theirs = make(torch.nn)
    ours = make(nn)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _flat(out) -> list:
    return [t for o in out for t in _flat(o)] if isinstance(out, tuple) else [out]


def _compare(make, x, states=(), tol=1e-10, lengths=None, enforce_sorted=True):
    """Run both on float64 copies of ``x`` and ``states``; compare values and gradients.

    With ``lengths``, ``x`` (time-major) is packed first and the output padded back.
    """
    theirs, ours = _pair(make)
    theirs.double()
    ours.double()
    inputs = [x, *states]
    tin = [torch.tensor(a, requires_grad=True) for a in inputs]
    oin = [et.tensor(a, requires_grad=True) for a in inputs]

    def call(module, args, lstm):
        hx = None if len(args) == 1 else (tuple(args[1:]) if lstm else args[1])
        if lengths is None:
            return _flat(module(args[0], hx))
        utils = (torch if isinstance(module, torch.nn.Module) else et).nn.utils.rnn
        packed = utils.pack_padded_sequence(args[0], lengths, enforce_sorted=enforce_sorted)
        out, h = module(packed, hx)
        return [utils.pad_packed_sequence(out)[0], *_flat(h)]

    lstm = isinstance(theirs, (torch.nn.LSTM, torch.nn.LSTMCell))
    touts, oouts = call(theirs, tin, lstm), call(ours, oin, lstm)
    assert len(touts) == len(oouts)
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(tuple(t.shape)) for t in touts]
    for t, o in zip(touts, oouts):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    torch.autograd.backward(touts, [torch.tensor(g) for g in grads])
    et.autograd.backward(oouts, [et.tensor(g) for g in grads])
    for i, (t, o) in enumerate(zip(tin, oin)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol, err_msg=i)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=8)
@given(
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    bias=st.booleans(),
    batch=st.sampled_from([None, 1, 3]),
    with_h0=st.booleans(),
    seq_len=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_layers_match_pytorch(
    kind, num_layers, bidirectional, batch_first, bias, batch, with_h0, seq_len, seed
):
    kw = dict(input_size=3, hidden_size=4, num_layers=num_layers, bias=bias)
    kw.update(batch_first=batch_first, bidirectional=bidirectional)
    rng = np.random.default_rng(seed)
    lead = () if batch is None else ((batch, seq_len) if batch_first else (seq_len, batch))
    x = rng.standard_normal((*lead, 3) if batch is not None else (seq_len, 3))
    states = ()
    if with_h0:
        d = num_layers * (2 if bidirectional else 1)
        batch_shape = () if batch is None else (batch,)
        h0 = rng.standard_normal((d, *batch_shape, 2 if kind == "lstm_proj" else 4))
        c0 = rng.standard_normal((d, *batch_shape, 4))
        states = (h0, c0) if kind.startswith("lstm") else (h0,)
    _compare(lambda m: KINDS[kind](m, **kw), x, states)


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=6)
@given(
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    enforce_sorted=st.booleans(),
    with_h0=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_layers_on_packed_sequences_match_pytorch(
    kind, num_layers, bidirectional, lengths, enforce_sorted, with_h0, seed
):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    kw = dict(input_size=3, hidden_size=4, num_layers=num_layers, bidirectional=bidirectional)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((max(lengths), len(lengths), 3))
    states = ()
    if with_h0:
        d = num_layers * (2 if bidirectional else 1)
        h0 = rng.standard_normal((d, len(lengths), 2 if kind == "lstm_proj" else 4))
        states = (h0, rng.standard_normal((d, len(lengths), 4)))
        states = states if kind.startswith("lstm") else states[:1]
    _compare(
        lambda m: KINDS[kind](m, **kw), x, states, lengths=lengths, enforce_sorted=enforce_sorted
    )


@settings(max_examples=15)
@given(
    lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4).filter(any),
    trailing=st.lists(st.integers(1, 2), max_size=2),
    batch_first=st.booleans(),
    side=st.sampled_from(["left", "right"]),
    seed=st.integers(0, 1000),
)
def test_pad_sequence_matches_pytorch(lengths, trailing, batch_first, side, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, *trailing)) for n in lengths]
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    oin = [et.tensor(a, requires_grad=True) for a in arrays]
    kw = dict(batch_first=batch_first, padding_value=-2.5, padding_side=side)
    yt = torch.nn.utils.rnn.pad_sequence(tin, **kw)
    yo = et.nn.utils.rnn.pad_sequence(oin, **kw)
    np.testing.assert_array_equal(yo.detach().numpy(), yt.detach().numpy())
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    yo.backward(et.tensor(g))
    for t, o in zip(tin, oin):
        if t.numel():  # eagertorch leaves .grad None on an empty input (cat skips it)
            np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


@settings(max_examples=15)
@given(
    lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4, unique=True),
    batch_first=st.booleans(),
    total_extra=st.integers(0, 2),
    seed=st.integers(0, 1000),
)
def test_pack_and_pad_packed_match_pytorch(lengths, batch_first, total_extra, seed):
    # distinct lengths: the sort order (and so the packed data) is then unique
    rng = np.random.default_rng(seed)
    shape = (len(lengths), max(lengths), 2) if batch_first else (max(lengths), len(lengths), 2)
    x = rng.standard_normal(shape)
    results = []
    for lib in (torch, et):
        xin = lib.tensor(x, requires_grad=True)
        utils = lib.nn.utils.rnn
        packed = utils.pack_padded_sequence(xin, lengths, batch_first, enforce_sorted=False)
        total = max(lengths) + total_extra
        padded, lens = utils.pad_packed_sequence(packed, batch_first, 7.0, total)
        padded.backward(
            lib.tensor(np.arange(padded.numel(), dtype=np.float64).reshape(padded.shape))
        )
        results.append([packed.data, packed.batch_sizes, packed.sorted_indices])
        results[-1] += [packed.unsorted_indices, padded, lens, xin.grad]
    for t, o in zip(*results):
        np.testing.assert_array_equal(o.detach().numpy(), t.detach().numpy())
    seqs = [rng.standard_normal((n, 2)) for n in sorted(lengths, reverse=True)]
    pt = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in seqs])
    po = et.nn.utils.rnn.pack_sequence([et.tensor(a) for a in seqs])
    np.testing.assert_array_equal(po.data.numpy(), pt.data.numpy())
    np.testing.assert_array_equal(po.batch_sizes.numpy(), pt.batch_sizes.numpy())
    assert po.sorted_indices is None and po.unsorted_indices is None


@pytest.mark.parametrize(
    "call",
    [
        lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
        lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 1, 0]),
        lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
        lambda u, lib: u.pad_sequence([]),
        lambda u, lib: u.pad_sequence([lib.zeros(2)], padding_side="mid"),
        lambda u, lib: u.pad_packed_sequence(
            u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 1]), total_length=2
        ),
    ],
)
def test_packing_errors_match_pytorch(call):
    with pytest.raises(Exception) as expected:
        call(torch.nn.utils.rnn, torch)
    with pytest.raises(expected.type, match=None) as got:
        call(et.nn.utils.rnn, et)
    assert str(got.value) == str(expected.value)


def test_rnn_benchmark_shape_matches_pytorch_in_float32():
    theirs, ours = _pair(lambda m: m.RNN(32, 64))
    x = np.random.default_rng(0).standard_normal((50, 8, 32)).astype(np.float32)
    xt, xo = torch.tensor(x, requires_grad=True), et.tensor(x, requires_grad=True)
    (yt, _), (yo, ho) = theirs(xt), ours(xo)
    assert yo.dtype == et.float32 and ho.dtype == et.float32
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yt.sum().backward()
    yo.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(
        ours.weight_hh_l0.grad.numpy(), theirs.weight_hh_l0.grad.numpy(), rtol=1e-3, atol=1e-3
    )


CELLS = {
    "rnn_tanh": lambda m: m.RNNCell(3, 4),
    "rnn_relu": lambda m: m.RNNCell(3, 4, nonlinearity="relu"),
    "rnn_no_bias": lambda m: m.RNNCell(3, 4, bias=False),
    "lstm": lambda m: m.LSTMCell(3, 4),
    "gru": lambda m: m.GRUCell(3, 4),
    "gru_no_bias": lambda m: m.GRUCell(3, 4, bias=False),
}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("batch", [(), (2,)], ids=["unbatched", "batched"])
@pytest.mark.parametrize("with_hx", [False, True])
def test_cells_match_pytorch(kind, batch, with_hx):
    rng = np.random.default_rng(1)
    states = ()
    if with_hx:
        states = tuple(rng.standard_normal((*batch, 4)) for _ in range(2 if kind == "lstm" else 1))
    _compare(CELLS[kind], rng.standard_normal((*batch, 3)), states)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RNN(10, 20),
        lambda m: m.RNN(10, 20, 2, nonlinearity="relu", dropout=0.5),
        lambda m: m.LSTM(10, 20, num_layers=2, batch_first=True),
        lambda m: m.LSTM(10, 20, proj_size=5, bias=False, bidirectional=True),
        lambda m: m.GRU(3, 4, batch_first=True, dropout=0.25, num_layers=3),
        lambda m: m.RNNCell(3, 4, bias=False, nonlinearity="relu"),
        lambda m: m.LSTMCell(3, 4),
        lambda m: m.GRUCell(3, 4, bias=False),
    ],
)
def test_reprs_match_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def _same_error(make, *args):
    """Both raise the same exception type with the same message."""
    theirs, ours = _pair(make)
    lib_args = [
        (
            tuple(torch.zeros(s) for s in a) if isinstance(a, list) else torch.zeros(a),
            tuple(et.zeros(s) for s in a) if isinstance(a, list) else et.zeros(a),
        )
        for a in args
    ]
    with pytest.raises(Exception) as expected:
        theirs(*(t for t, _ in lib_args))
    with pytest.raises(expected.type) as got:
        ours(*(o for _, o in lib_args))
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "make, args",
    [
        (lambda m: m.RNN(3, 4), [(5, 2, 2)]),  # wrong input_size
        (lambda m: m.GRU(3, 4), [(5, 2, 3, 1)]),  # 4-D input
        (lambda m: m.LSTM(3, 4), [(3,)]),  # 1-D input
        (lambda m: m.RNN(3, 4), [(5, 2, 3), (1, 3, 4)]),  # wrong batch in h0
        (lambda m: m.GRU(3, 4, num_layers=2), [(5, 2, 3), (1, 2, 4)]),  # wrong layers in h0
        (lambda m: m.RNN(3, 4, batch_first=True), [(2, 5, 3), (1, 5, 4)]),
        (lambda m: m.RNN(3, 4), [(5, 2, 3), (2, 4)]),  # 2-D h0 with batched input
        (lambda m: m.GRU(3, 4), [(5, 3), (1, 1, 4)]),  # 3-D h0 with unbatched input
        (lambda m: m.LSTM(3, 4), [(5, 2, 3), [(1, 2, 4), (1, 2)]]),
        (lambda m: m.LSTM(3, 4, proj_size=2), [(5, 2, 3), [(1, 2, 4), (1, 2, 4)]]),
        (lambda m: m.LSTM(3, 4, proj_size=2), [(5, 2, 3), [(1, 2, 2), (1, 2, 2)]]),
        (lambda m: m.LSTM(3, 4), [(5, 3), [(1, 1, 4), (1, 1, 4)]]),
        (lambda m: m.GRU(3, 4), [(0, 2, 3)]),  # empty sequence
        (lambda m: m.LSTM(3, 4, batch_first=True), [(2, 0, 3)]),
        (lambda m: m.RNNCell(3, 4), [(2, 2)]),  # wrong input_size
        (lambda m: m.GRUCell(3, 4), [(2, 3), (2, 5)]),  # wrong hidden_size
        (lambda m: m.GRUCell(3, 4), [(2, 3), (3, 4)]),  # wrong batch
        (lambda m: m.RNNCell(3, 4), [(1, 2, 3)]),  # 3-D input
        (lambda m: m.GRUCell(3, 4), [(2, 3), (1, 2, 4)]),  # 3-D hidden
        (lambda m: m.LSTMCell(3, 4), [(2, 3), [(2, 4), (1, 2, 4)]]),
        (lambda m: m.LSTMCell(3, 4), [(2, 3), [(2, 4), (2, 5)]]),
    ],
)
def test_bad_inputs_raise_pytorch_errors(make, args):
    _same_error(make, *args)
