"""Checkpoints move between eagertorch and PyTorch through safetensors, both ways."""

from __future__ import annotations

import io

import numpy as np
import pytest

import eagertorch as et
from eagertorch.serialization import UnsafeCheckpointError

torch = pytest.importorskip("torch")
safetensors = pytest.importorskip("safetensors")
import safetensors.torch as sttorch  # noqa: E402

DTYPE_PAIRS = [
    (et.bool, torch.bool),
    (et.uint8, torch.uint8),
    (et.int8, torch.int8),
    (et.int16, torch.int16),
    (et.int32, torch.int32),
    (et.int64, torch.int64),
    (et.float16, torch.float16),
    (et.float32, torch.float32),
    (et.float64, torch.float64),
]


def et_mlp():
    return et.nn.Sequential(et.nn.Linear(5, 7), et.nn.Identity(), et.nn.Linear(7, 3))


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Identity(), torch.nn.Linear(7, 3))


def test_eagertorch_state_dict_loads_in_pytorch_with_safetensors_load_file(tmp_path):
    et.manual_seed(0)
    model = et_mlp()
    path = tmp_path / "model.safetensors"
    et.save(model.state_dict(), path)
    sd = sttorch.load_file(path)
    assert set(sd) == set(model.state_dict())
    tmodel = torch_mlp()
    tmodel.load_state_dict(sd)  # strict: every key and shape matches
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    expected = model(et.tensor(x)).detach().numpy()
    with torch.no_grad():
        got = tmodel(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # BLAS rounding differs
    for k, v in sd.items():
        assert v.numpy().tobytes() == model.state_dict()[k].numpy().tobytes(), k


def test_pytorch_state_dict_saved_with_safetensors_loads_into_eagertorch(tmp_path):
    torch.manual_seed(0)
    tmodel = torch_mlp()
    path = tmp_path / "torch.safetensors"
    sttorch.save_file(tmodel.state_dict(), path)
    sd = et.load(path)
    model = et_mlp()
    model.load_state_dict(sd)
    for k, v in tmodel.state_dict().items():
        assert model.state_dict()[k].numpy().tobytes() == v.numpy().tobytes(), k
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(x)).numpy()
    got = model(et.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # BLAS rounding differs


def test_pytorch_bytes_api_round_trip_with_metadata_loads_too():
    data = sttorch.save({"w": torch.arange(6.0).reshape(2, 3)}, metadata={"format": "pt"})
    out = et.load(io.BytesIO(data))
    assert out["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


@pytest.mark.parametrize("et_dtype,torch_dtype", DTYPE_PAIRS, ids=lambda d: str(d))
def test_every_dtype_crosses_both_ways_exactly(tmp_path, et_dtype, torch_dtype):
    rng = np.random.default_rng(2)
    if et_dtype.is_floating_point:
        arr = (rng.standard_normal((3, 4)) * 100).astype(et_dtype.np)
    elif et_dtype is et.bool:
        arr = rng.integers(0, 2, (3, 4)).astype(bool)
    else:
        info = np.iinfo(et_dtype.np)
        arr = rng.integers(info.min, info.max, (3, 4), dtype=et_dtype.np, endpoint=True)
    et.save({"t": et.tensor(arr), "s": et.tensor(arr[0, 0:1]).reshape(())}, tmp_path / "a")
    back = sttorch.load_file(tmp_path / "a")
    assert back["t"].dtype == torch_dtype and back["s"].shape == ()
    assert back["t"].numpy().tobytes() == arr.tobytes()
    sttorch.save_file({"t": torch.from_numpy(arr.copy())}, tmp_path / "b")
    out = et.load(tmp_path / "b")["t"]
    assert out.dtype is et_dtype and out.numpy().tobytes() == arr.tobytes()


def test_tied_weights_are_retied_by_safetensors_load_model_in_pytorch(tmp_path):
    model = et.nn.Sequential(et.nn.Linear(4, 4), et.nn.Linear(4, 4))
    model[1].weight = model[0].weight
    et.save(model.state_dict(), tmp_path / "tied.safetensors")
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 4))
    tmodel[1].weight = tmodel[0].weight
    missing, unexpected = sttorch.load_model(tmodel, tmp_path / "tied.safetensors")
    assert not missing and not unexpected
    assert np.array_equal(tmodel[1].weight.detach().numpy(), model[0].weight.detach().numpy())


def test_nested_checkpoint_tensors_are_visible_to_pytorch_by_path(tmp_path):
    model = et_mlp()
    opt = et.optim.Adam(model.parameters())
    model(et.randn(2, 5)).sum().backward()
    opt.step()
    et.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    sd = sttorch.load_file(tmp_path / "c")
    assert torch.equal(sd["model.0.weight"], torch.from_numpy(model[0].weight.detach().numpy()))
    exp_avg = opt.state_dict()["state"][0]["exp_avg"].numpy()
    assert torch.equal(sd["optimizer.state.0.exp_avg"], torch.from_numpy(exp_avg))


@pytest.mark.parametrize("zipfile_format", [True, False], ids=["zip", "legacy"])
def test_a_torch_save_checkpoint_is_refused_as_a_pickle(tmp_path, zipfile_format):
    path = tmp_path / "model.pt"
    torch.save(torch_mlp().state_dict(), path, _use_new_zipfile_serialization=zipfile_format)
    with pytest.raises(UnsafeCheckpointError, match=r"model\.pt.*pickle.*cannot be loaded safely"):
        et.load(path)
