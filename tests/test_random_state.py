"""The random generator state: get/set as uint8 Tensors, exact replay, and clear errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

import eagertorch as et


def test_get_rng_state_is_a_1d_uint8_tensor():
    state = et.get_rng_state()
    assert isinstance(state, et.Tensor)
    assert state.dtype is et.uint8
    assert state.dim() == 1 and state.numel() > 0


def test_set_rng_state_replays_the_same_random_numbers():
    et.manual_seed(3)
    et.rand(5)
    state = et.get_rng_state()
    a = et.rand(4, 3)
    b = et.randn(7)
    c = et.randint(0, 100, (6,))
    et.set_rng_state(state)
    assert np.array_equal(et.rand(4, 3).numpy(), a.numpy())
    assert np.array_equal(et.randn(7).numpy(), b.numpy())
    assert np.array_equal(et.randint(0, 100, (6,)).numpy(), c.numpy())


def test_state_is_a_snapshot_not_a_live_view():
    state = et.get_rng_state()
    before = state.numpy().copy()
    et.rand(100)
    assert np.array_equal(state.numpy(), before)
    assert not np.array_equal(et.get_rng_state().numpy(), before)


def test_set_rng_state_restores_initial_seed():
    et.manual_seed(1234)
    state = et.get_rng_state()
    et.manual_seed(99)
    et.set_rng_state(state)
    assert et.initial_seed() == 1234


def test_state_of_an_unused_generator_equals_its_seeded_start():
    et.manual_seed(7)
    state = et.get_rng_state()  # before any draw
    first = et.rand(3)
    et.manual_seed(0)
    et.set_rng_state(state)
    assert np.array_equal(et.rand(3).numpy(), first.numpy())


def test_generator_get_state_set_state_round_trip_independently_of_default():
    g = et.Generator().manual_seed(5)
    et.rand(2, generator=g)
    state = g.get_state()
    assert state.dtype is et.uint8
    x = et.rand(10, generator=g)
    et.rand(10)  # the default generator moving does not matter
    assert g.set_state(state) is g
    assert np.array_equal(et.rand(10, generator=g).numpy(), x.numpy())


def test_state_moves_between_generators():
    g = et.Generator().manual_seed(11)
    h = et.Generator().manual_seed(22)
    h.set_state(g.get_state())
    assert h.initial_seed() == 11
    assert np.array_equal(et.rand(5, generator=g).numpy(), et.rand(5, generator=h).numpy())


def test_state_round_trips_through_save_and_load():
    pytest.importorskip("safetensors")
    et.manual_seed(42)
    et.randn(3)
    buf = io.BytesIO()
    et.save({"rng": et.get_rng_state()}, buf)
    expected = et.rand(8)
    buf.seek(0)
    loaded = et.load(buf)["rng"]
    assert loaded.dtype is et.uint8
    et.set_rng_state(loaded)
    assert np.array_equal(et.rand(8).numpy(), expected.numpy())


@pytest.mark.parametrize("bad", [[1, 2, 3], np.zeros(3, np.uint8), "state"])
def test_set_rng_state_rejects_non_tensors_with_pytorchs_message(bad):
    with pytest.raises(TypeError, match=r"expected a torch\.ByteTensor"):
        et.set_rng_state(bad)


def test_set_rng_state_rejects_non_uint8_tensors():
    with pytest.raises(TypeError, match=r"ByteTensor.*float32"):
        et.set_rng_state(et.zeros(3))


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\x01\x02garbage",
        b'{"format": "something else"}',
        b"[1, 2, 3]",
    ],
)
def test_set_rng_state_rejects_bytes_that_are_not_a_state_and_changes_nothing(payload):
    et.manual_seed(8)
    before = et.get_rng_state()
    bad = et.tensor(list(payload), dtype=et.uint8)
    with pytest.raises(RuntimeError, match="Invalid RNG state"):
        et.set_rng_state(bad)
    assert np.array_equal(et.get_rng_state().numpy(), before.numpy())
    assert et.initial_seed() == 8


def test_set_rng_state_rejects_a_tampered_bit_generator_state_and_changes_nothing():
    et.manual_seed(8)
    before = et.get_rng_state()
    raw = bytes(before.numpy()).replace(b'"PCG64"', b'"Nope64"', 1)
    with pytest.raises(RuntimeError, match="unknown bit generator"):
        et.set_rng_state(et.tensor(list(raw), dtype=et.uint8))
    raw = bytes(before.numpy()).replace(b'"state":{"state":', b'"state":{"xstate":', 1)
    with pytest.raises(RuntimeError, match="Invalid RNG state for PCG64"):
        et.set_rng_state(et.tensor(list(raw), dtype=et.uint8))
    assert np.array_equal(et.get_rng_state().numpy(), before.numpy())


def test_set_rng_state_rejects_a_2d_state():
    state = et.get_rng_state()
    with pytest.raises(RuntimeError, match="1-D uint8"):
        et.set_rng_state(state.reshape(1, -1))


def test_fork_rng_restores_the_state_after_the_block():
    et.manual_seed(4)
    expected = et.rand(3)
    et.manual_seed(4)
    with et.random.fork_rng():
        et.rand(50)
    assert np.array_equal(et.rand(3).numpy(), expected.numpy())


def test_manual_seed_still_resets_after_set_rng_state():
    et.manual_seed(9)
    a = et.rand(4)
    et.rand(3)
    et.set_rng_state(et.get_rng_state())
    et.manual_seed(9)
    assert np.array_equal(et.rand(4).numpy(), a.numpy())
