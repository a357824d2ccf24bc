"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Each is composed of differentiable Tensor ops, so gradients of every order come for free.
For speed, a layer's input projection ``x @ W_ih.T + b_ih`` is one matmul over all time
steps; the Python loop over time then does only ``h @ W_hh.T`` and the gates. One layer and
direction driver serves all three kinds, and the cells reuse the same per-step functions.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import ops
from ..._tensor import Tensor
from ...ops.linear import linear
from .. import init
from ..functional.dropout import dropout as _dropout
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]


# ----- one time step, shared by the layers and the cells ----------------------------------
# ``xp`` is the input projection of this step (with every bias that can be folded into it);
# ``w`` is ``(weight_hh, bias_hh or None, weight_hr or None)``. Each returns the new state
# and the output of the step (the state itself, or LSTM's h).
def _tanh_step(xp: Tensor, h: Tensor, w: tuple) -> tuple:
    h = ops.tanh(xp + linear(h, w[0]))
    return h, h


def _relu_step(xp: Tensor, h: Tensor, w: tuple) -> tuple:
    h = ops.relu(xp + linear(h, w[0]))
    return h, h


def _lstm_step(xp: Tensor, state: tuple, w: tuple) -> tuple:
    h, c = state
    i, f, g, o = (xp + linear(h, w[0])).chunk(4, 1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    h = ops.sigmoid(o) * ops.tanh(c)
    if w[2] is not None:
        h = linear(h, w[2])
    return (h, c), h


def _gru_step(xp: Tensor, h: Tensor, w: tuple) -> tuple:
    # b_hn sits inside r * (...), so GRU keeps b_hh out of the input projection.
    xr, xz, xn = xp.chunk(3, 1)
    hr, hz, hn = linear(h, w[0], w[1]).chunk(3, 1)
    r = ops.sigmoid(xr + hr)
    z = ops.sigmoid(xz + hz)
    n = ops.tanh(xn + r * hn)
    h = n + z * (h - n)
    return h, h


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _input_bias(mode: str, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    """The bias added to the input projection: both biases where the step only sums them."""
    if b_ih is None or mode == "GRU":
        return b_ih
    return b_ih + b_hh


def _run_direction(mode: str, x: Tensor, state, weights: tuple, reverse: bool, batch_sizes):
    """One direction of one layer over time-major ``x``: (outputs, final state).

    ``x`` is (L, N, H_in), or packed (rows, H_in) with ``batch_sizes`` rows per step.
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    step = _STEPS[mode]
    w = (w_hh, b_hh if mode == "GRU" else None, w_hr)
    xp = linear(x, w_ih, _input_bias(mode, b_ih, b_hh))
    if batch_sizes is not None:
        return _run_packed(step, xp.split(batch_sizes), state, w, batch_sizes, reverse)
    steps = xp.unbind(0)
    outputs = []
    for xp in reversed(steps) if reverse else steps:
        state, y = step(xp, state, w)
        outputs.append(y)
    if reverse:
        outputs.reverse()
    return ops.stack(outputs), state


def _rows(state, start: int, stop: int):
    if isinstance(state, tuple):
        return tuple(s[start:stop] for s in state)
    return state[start:stop]


def _cat_rows(states: list):
    if len(states) == 1:
        return states[0]
    if isinstance(states[0], tuple):
        return tuple(ops.cat(parts) for parts in zip(*states))
    return ops.cat(states)


def _run_packed(step, steps: tuple, state, w: tuple, batch_sizes: list, reverse: bool) -> tuple:
    """The time loop over packed steps: the batch shrinks over time (sequences are sorted by
    length), so forward, finished rows leave the state; reversed, new rows join from h0."""
    outputs = []
    if reverse:
        initial, rows = state, batch_sizes[-1]
        state = _rows(initial, 0, rows)
        for xp, n in zip(reversed(steps), reversed(batch_sizes)):
            if n > rows:
                state = _cat_rows([state, _rows(initial, rows, n)])
                rows = n
            state, y = step(xp, state, w)
            outputs.append(y)
        outputs.reverse()
    else:
        finished, rows = [], batch_sizes[0]
        for xp, n in zip(steps, batch_sizes):
            if n < rows:
                finished.append(_rows(state, n, rows))
                state = _rows(state, 0, n)
                rows = n
            state, y = step(xp, state, w)
            outputs.append(y)
        state = _cat_rows([state, *reversed(finished)])
    return ops.cat(outputs), state


def _check_positive_int(value, name: str) -> None:
    if not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """The layers and directions loop of RNN, LSTM and GRU, with PyTorch's parameters."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        _check_positive_int(input_size, "input_size")
        _check_positive_int(hidden_size, "hidden_size")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _STEPS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, real_hidden),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    empty = ops.creation.empty(*shape, device=device, dtype=dtype)
                    setattr(self, kind + suffix, Parameter(empty))
                    names.append(kind + suffix)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch compacts weights for cuDNN here; scripts still call it."""

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _direction_weights(self, index: int) -> tuple:
        """``(w_ih, w_hh, b_ih, b_hh, w_hr)`` of one layer and direction, None where absent."""
        names = self._all_weights[index]
        params = self._parameters
        w_ih, w_hh = params[names[0]], params[names[1]]
        b_ih, b_hh = (params[names[2]], params[names[3]]) if self.bias else (None, None)
        w_hr = params[names[-1]] if self.proj_size else None
        return w_ih, w_hh, b_ih, b_hh, w_hr

    def _check_input(self, input: Tensor, expected_dim: int) -> None:
        weight_dtype = self._parameters[self._all_weights[0][0]].dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def _check_hx_dims(self, hx: tuple, batched: bool) -> None:
        want = 3 if batched else 2
        if all(h.dim() == want for h in hx):
            return
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if len(hx) == 1:
            raise RuntimeError(
                f"For {kind} input, hx should also be {want}-D but got {hx[0].dim()}-D tensor"
            )
        raise RuntimeError(
            f"For {kind} input, hx and cx should also be {want}-D but got "
            f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
        )

    def _forward(self, input, hx: tuple | None) -> tuple:
        """Shared forward of RNN, GRU and LSTM; ``hx`` is ``(h0,)`` or ``(h0, c0)``.

        Returns the output (a PackedSequence for packed input) and the final states, shaped
        as PyTorch returns them.
        """
        lstm = self.mode == "LSTM"
        sizes = (self.proj_size or self.hidden_size, self.hidden_size)[: 1 + lstm]
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            input, packed_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = packed_sizes.tolist()
            batch = batch_sizes[0]
        else:
            if input.dim() not in (2, 3):
                tail = " instead" if self.mode in ("LSTM", "GRU") else " tensor instead"
                name = type(self).__name__
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
            batched = input.dim() == 3
            batch_sizes = sorted_indices = unsorted_indices = None
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                self._check_hx_dims(hx, batched)
                if not batched:
                    hx = tuple(h.unsqueeze(1) for h in hx)
            batch = input.size(0 if self.batch_first else 1)
        lead = (self.num_layers * (2 if self.bidirectional else 1), batch)
        if hx is None:
            hx = tuple(
                ops.creation.zeros(*lead, size, dtype=input.dtype, device=input.device)
                for size in sizes
            )
        self._check_input(input, 2 if packed else 3)
        if not packed and input.size(1 if self.batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        for i, (h, size) in enumerate(zip(hx, sizes)):
            if h.size() != (*lead, size):
                which = f"hidden[{i}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {which} size {(*lead, size)}, got {list(h.size())}")
        if sorted_indices is not None:
            hx = tuple(h.index_select(1, sorted_indices) for h in hx)
        states = list(zip(*(h.unbind(0) for h in hx))) if lstm else hx[0].unbind(0)
        output, finals = self._run(input, states, batch_sizes)
        finals = zip(*finals) if lstm else (finals,)
        h_n = tuple(ops.stack(list(s)) for s in finals)
        if packed:
            if unsorted_indices is not None:
                h_n = tuple(h.index_select(1, unsorted_indices) for h in h_n)
            return PackedSequence(output, packed_sizes, sorted_indices, unsorted_indices), h_n
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        return output, h_n

    def _run(self, input: Tensor, states: list, batch_sizes) -> tuple:
        """All layers over batched or packed ``input`` from per-(layer, direction) states."""
        transpose = self.batch_first and batch_sizes is None
        x = input.transpose(0, 1) if transpose else input
        directions = 2 if self.bidirectional else 1
        mode = self.mode
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                index = layer * directions + d
                weights = self._direction_weights(index)
                out, state = _run_direction(mode, x, states[index], weights, d == 1, batch_sizes)
                outs.append(out)
                finals.append(state)
            x = outs[0] if directions == 1 else ops.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return (x.transpose(0, 1) if transpose else x), finals

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class _SingleStateRNN(RNNBase):
    """RNN and GRU: one hidden state ``h`` per layer and direction."""

    def forward(self, input, hx: Tensor | None = None) -> tuple:
        output, (h_n,) = self._forward(input, None if hx is None else (hx,))
        return output, h_n


class RNN(_SingleStateRNN):
    """Elman RNN: ``h_t = nonlinearity(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_" + self.nonlinearity.upper(), *args, **kwargs)


class GRU(_SingleStateRNN):
    """Gated recurrent unit, gates (r, z, n): ``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory with gates (i, f, g, o) and optional output projection."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx: tuple | None = None) -> tuple:
        output, (h_n, c_n) = self._forward(input, None if hx is None else tuple(hx))
        return output, (h_n, c_n)


# ----- cells ----------------------------------------------------------------------------
class RNNCellBase(Module):
    """One time step of RNN, LSTM or GRU, with parameters ``weight_ih``, ``weight_hh``, ..."""

    _mode = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        shapes = [(num_chunks * hidden_size, input_size), (num_chunks * hidden_size, hidden_size)]
        self.weight_ih, self.weight_hh = (
            Parameter(ops.creation.empty(*shape, device=device, dtype=dtype)) for shape in shapes
        )
        if bias:
            self.bias_ih, self.bias_hh = (
                Parameter(ops.creation.empty(num_chunks * hidden_size, device=device, dtype=dtype))
                for _ in range(2)
            )
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_dims(self, input: Tensor, hidden: tuple) -> bool:
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for label, h in hidden:
            if h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead")
        return input.dim() == 2

    def _check_sizes(self, input: Tensor, hidden: tuple) -> None:
        if input.size(1) != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}"
            )
        for i, h in enumerate(hidden):
            if h.size(0) != input.size(0):
                raise RuntimeError(
                    f"Input batch size {input.size(0)} doesn't match hidden{i} batch size "
                    f"{h.size(0)}"
                )
            if h.size(1) != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, "
                    f"expected {self.hidden_size}"
                )

    def forward(self, input: Tensor, hx=None):
        """``(input, h) -> h'``, or for LSTMCell ``(input, (h, c)) -> (h', c')``."""
        mode = self._mode
        lstm = mode == "LSTM"
        states = None if hx is None else (tuple(hx) if lstm else (hx,))
        labels = ("hx[0]", "hx[1]") if lstm else ("hidden",)
        batched = self._check_dims(input, () if hx is None else tuple(zip(labels, states)))
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = ops.creation.zeros(
                input.size(0), self.hidden_size, dtype=input.dtype, device=input.device
            )
            states = (zeros,) * len(labels)
        elif not batched:
            states = tuple(h.unsqueeze(0) for h in states)
        self._check_sizes(input, states)
        xp = linear(input, self.weight_ih, _input_bias(mode, self.bias_ih, self.bias_hh))
        w = (self.weight_hh, self.bias_hh if mode == "GRU" else None, None)
        out = _STEPS[mode](xp, states if lstm else states[0], w)[0]
        if batched:
            return out
        return tuple(h.squeeze(0) for h in out) if lstm else out.squeeze(0)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN with tanh or ReLU."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    @property
    def _mode(self) -> str:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return "RNN_" + self.nonlinearity.upper()


class _GatedCell(RNNCellBase):
    """LSTMCell and GRUCell: ``_chunks`` gates stacked in each weight."""

    _chunks = 0

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, self._chunks, device, dtype)


class LSTMCell(_GatedCell):
    """One step of an LSTM: ``(input, (h, c)) -> (h', c')``."""

    _mode = "LSTM"
    _chunks = 4


class GRUCell(_GatedCell):
    """One step of a GRU: ``(input, h) -> h'``."""

    _mode = "GRU"
    _chunks = 3
