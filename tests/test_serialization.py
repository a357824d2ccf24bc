"""eagertorch.save / eagertorch.load: round trips, sharing, files, crash safety, bad files."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import serialization
from eagertorch.serialization import CheckpointError, UnsafeCheckpointError

safetensors = pytest.importorskip("safetensors")
import safetensors.numpy as stnp  # noqa: E402

DTYPES = [et.bool, et.uint8, et.int8, et.int16, et.int32, et.int64, et.float16, et.float32,
          et.float64]  # fmt: skip


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    et.save(obj, buf)
    buf.seek(0)
    return et.load(buf, **load_kwargs)


def saved_bytes(obj) -> bytes:
    buf = io.BytesIO()
    et.save(obj, buf)
    return buf.getvalue()


def header_of(data: bytes) -> dict:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n])


def with_header(data: bytes, header: dict) -> bytes:
    """The same tensor bytes under a replaced JSON header."""
    (n,) = struct.unpack("<Q", data[:8])
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data[8 + n :]


def same_tensor(a, b) -> bool:
    return (
        type(a) is type(b)
        and a.dtype is b.dtype
        and a.shape == b.shape
        and a.requires_grad == b.requires_grad
        and a.detach().numpy().tobytes() == b.detach().numpy().tobytes()
    )


def random_array(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    npd = dtype.np
    if npd.kind == "b":
        arr = rng.integers(0, 2, shape).astype(bool)
    elif npd.kind in "iu":
        info = np.iinfo(npd)
        arr = rng.integers(info.min, info.max, shape, dtype=npd, endpoint=True)
    else:
        arr = (rng.standard_normal(shape) * 1e3).astype(npd)
    return np.asarray(arr)  # 0-d results come back as numpy scalars


# ----- tensors and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0, 2), (2, 3, 4)], ids=str)
def test_tensor_round_trip_keeps_dtype_shape_and_every_bit(dtype, shape):
    t = et.tensor(random_array(dtype, shape))
    out = roundtrip(t)
    assert same_tensor(out, t)


def test_float_special_values_round_trip_bit_for_bit():
    vals = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308])
    for npd in (np.float16, np.float32, np.float64):
        t = et.tensor(vals.astype(npd))
        assert roundtrip(t).numpy().tobytes() == t.numpy().tobytes()


def test_tensor_made_from_a_numpy_scalar_round_trips_as_0d():
    t = et.tensor(np.float32(2.5))
    out = roundtrip({"a": t, "b": t})
    assert out["a"] is out["b"]
    assert out["a"].dim() == 0 and out["a"].dtype is et.float32 and out["a"].item() == 2.5
    out["a"].add_(1)  # loaded tensors always hold a writable array
    assert out["a"].item() == 3.5


def test_non_contiguous_tensor_is_saved_by_value():
    base = et.arange(24.0).reshape(4, 6)
    for view in (base.t(), base[:, ::2], base[1:3, 1::2].t()):
        out = roundtrip(view)
        assert np.array_equal(out.numpy(), view.numpy())
        assert out.is_contiguous()


def test_big_endian_numpy_array_is_stored_by_value():
    arr = np.arange(5, dtype=">i4")
    out = roundtrip({"a": arr})["a"]
    assert isinstance(out, np.ndarray)
    assert out.tolist() == [0, 1, 2, 3, 4]


def test_requires_grad_and_parameter_type_are_restored_but_not_grad():
    p = et.nn.Parameter(et.randn(3))
    frozen = et.nn.Parameter(et.randn(2), requires_grad=False)
    x = et.randn(2, requires_grad=True)
    (p.sum() * 2).backward()
    out = roundtrip({"p": p, "frozen": frozen, "x": x, "y": x * 2, "plain": et.ones(2)})
    assert type(out["p"]) is et.nn.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is et.nn.Parameter and not out["frozen"].requires_grad
    assert type(out["x"]) is et.Tensor and out["x"].requires_grad and out["x"].is_leaf
    assert out["y"].requires_grad and out["y"].is_leaf and out["y"].grad_fn is None
    assert not out["plain"].requires_grad
    assert out["p"].grad is None
    assert np.array_equal(out["p"].detach().numpy(), p.detach().numpy())


def test_loaded_tensors_are_writable_and_independent_of_the_saved_ones():
    t = et.zeros(3)
    out = roundtrip(t)
    out.add_(1)
    assert t.tolist() == [0.0, 0.0, 0.0]
    assert out.tolist() == [1.0, 1.0, 1.0]


def test_numpy_arrays_and_scalars_round_trip_with_their_dtype():
    obj = {
        "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
        "f32": np.float32(0.1),
        "f16": np.float16(-2.5),
        "i8": np.int8(-7),
        "b": np.bool_(True),
        "inf": np.float64(-np.inf),
    }
    out = roundtrip(obj)
    assert out["arr"].dtype == np.int16 and out["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]
    for k in ("f32", "f16", "i8", "b", "inf"):
        assert type(out[k]) is type(obj[k]) and out[k] == obj[k], k


# ----- plain Python structure ------------------------------------------------------------
def test_python_scalar_types_are_preserved_exactly():
    obj = [1, 1.0, True, 0, 0.0, False, None, -0.0, 2**100, -(2**70), 0.1, 1e-310, "1", ""]
    out = roundtrip(obj)
    assert [type(v) for v in out] == [type(v) for v in obj]
    assert out == obj
    assert math.copysign(1.0, out[7]) == -1.0


def test_non_finite_floats_round_trip():
    out = roundtrip({"a": math.inf, "b": -math.inf, "c": math.nan})
    assert out["a"] == math.inf and out["b"] == -math.inf and math.isnan(out["c"])


def test_containers_keep_their_types_and_order():
    od = OrderedDict([("z", 1), ("a", 2), ("m", 3)])
    obj = {
        "b": [1, (2, 3), [4]],
        "a": od,
        "t": (),
        "l": [],
        "d": {},
        "nested": {"x": {"y": {"z": (None, [True])}}},
    }
    out = roundtrip(obj)
    assert out == obj
    assert list(out) == ["b", "a", "t", "l", "d", "nested"]
    assert type(out["a"]) is OrderedDict and list(out["a"]) == ["z", "a", "m"]
    assert type(out["b"][1]) is tuple and type(out["b"][2]) is list
    assert type(out["t"]) is tuple and type(out["l"]) is list and type(out["d"]) is dict


def test_dict_keys_of_every_type_round_trip():
    obj = {0: "int", 2.5: "float", None: "none", ("a", 1): "tuple", "$tensor": "dollar", "s": 1}
    out = roundtrip(obj)
    assert out == obj
    assert list(out) == list(obj)
    assert type(next(iter(out))) is int


def test_strings_that_look_like_tags_stay_strings():
    obj = {"k": {"$tensor": 0}, "l": [{"$tuple": [1]}], "s": "$float"}
    out = roundtrip(obj)
    assert out == obj


def test_dtype_device_size_and_bytes_round_trip():
    obj = {
        "dtypes": [et.float16, et.int8, et.bool, et.float64],
        "dev": et.device("cpu"),
        "cuda": et.device("cuda", 1),
        "size": et.Size([2, 0, 3]),
        "bytes": b"\x00\xff abc",
    }
    out = roundtrip(obj)
    assert out["dtypes"] == obj["dtypes"] and all(
        a is b for a, b in zip(out["dtypes"], obj["dtypes"])
    )
    assert out["dev"] == et.device("cpu") and out["cuda"] == et.device("cuda:1")
    assert type(out["size"]) is et.Size and out["size"] == (2, 0, 3)
    assert out["bytes"] == obj["bytes"]


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
_keys = st.text(max_size=6) | st.integers(-5, 5) | st.none()
_trees = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4).map(OrderedDict)
    ),
    max_leaves=15,
)


def _same_structure(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a.hex() == b.hex()
    return a == b


@given(_trees)
def test_any_tree_of_plain_values_round_trips_with_types_and_order(tree):
    assert _same_structure(roundtrip(tree), tree)


@given(
    st.sampled_from(DTYPES),
    st.lists(st.integers(0, 3), max_size=3).map(tuple),
    st.integers(0, 2**32 - 1),
)
def test_any_tensor_round_trips_bit_for_bit(dtype, shape, seed):
    t = et.tensor(random_array(dtype, shape, seed))
    assert same_tensor(roundtrip({"t": t})["t"], t)


def test_unsupported_objects_raise_type_error_naming_where_they_are():
    with pytest.raises(TypeError, match=r"cannot store builtins\.set at obj\['a'\]\[1\]"):
        et.save({"a": [1, {2}]}, io.BytesIO())
    with pytest.raises(TypeError, match=r"builtins\.complex"):
        et.save(1j, io.BytesIO())
    with pytest.raises(TypeError, match="defaultdict"):
        from collections import defaultdict

        et.save(defaultdict(int), io.BytesIO())


def test_saving_a_module_or_optimizer_suggests_its_state_dict():
    m = et.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Linear.*save its state_dict\(\) instead"):
        et.save(m, io.BytesIO())
    opt = et.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"SGD.*state_dict\(\)"):
        et.save({"opt": opt}, io.BytesIO())


def test_self_referencing_container_raises_value_error():
    a: list = [1]
    a.append(a)
    with pytest.raises(ValueError, match="self-referencing"):
        et.save(a, io.BytesIO())


def test_repeated_but_acyclic_containers_are_saved():
    inner = [1, 2]
    out = roundtrip({"a": inner, "b": inner})
    assert out == {"a": [1, 2], "b": [1, 2]}


def test_unsupported_tensor_dtype_in_numpy_array_raises_type_error():
    with pytest.raises(TypeError, match="complex128"):
        et.save(np.zeros(2, np.complex128), io.BytesIO())


# ----- names in the file -----------------------------------------------------------------
def test_state_dict_tensors_are_stored_under_their_keys():
    model = et.nn.Sequential(et.nn.Linear(3, 4), et.nn.Identity(), et.nn.Linear(4, 2))
    data = saved_bytes(model.state_dict())
    stored = stnp.load(data)
    assert set(stored) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for k, v in model.state_dict().items():
        assert np.array_equal(stored[k], v.numpy())


def test_nested_tensors_are_named_by_their_path():
    data = saved_bytes({"model": {"w": et.ones(1)}, "hist": [et.zeros(1), (et.ones(2),)]})
    assert set(stnp.load(data)) == {"model.w", "hist.0", "hist.1.0"}


def test_colliding_names_get_a_suffix():
    data = saved_bytes({"a.b": et.ones(1), "a": {"b": et.zeros(1)}, "__metadata__": et.ones(2)})
    names = set(stnp.load(data))
    assert names == {"a.b", "a.b~1", "__metadata__~1"}
    out = et.load(io.BytesIO(data))
    assert out["a.b"].tolist() == [1.0] and out["a"]["b"].tolist() == [0.0]
    assert out["__metadata__"].tolist() == [1.0, 1.0]


def test_a_bare_tensor_is_stored_as_tensor():
    assert list(stnp.load(saved_bytes(et.ones(2)))) == ["tensor"]


def test_metadata_is_marked_as_pytorch_format_for_other_tools():
    meta = header_of(saved_bytes({"w": et.ones(1)}))["__metadata__"]
    assert meta["format"] == "pt"
    assert json.loads(meta["eagertorch"])["version"] == serialization.FORMAT_VERSION


# ----- sharing ---------------------------------------------------------------------------
def test_same_tensor_twice_is_stored_once_and_loads_as_one_object():
    t = et.randn(100)
    data = saved_bytes({"a": t, "b": [t, t]})
    assert list(stnp.load(data)) == ["a"]
    out = et.load(io.BytesIO(data))
    assert out["a"] is out["b"][0] is out["b"][1]


def test_tied_weights_in_a_state_dict_are_stored_once_and_share_memory_after_load():
    enc, dec = et.nn.Linear(4, 3, bias=False), et.nn.Linear(3, 4, bias=False)
    model = et.nn.Sequential(enc, dec)
    dec.weight = et.nn.Parameter(enc.weight.detach().t())  # a view: shared memory
    tied = et.nn.Sequential(et.nn.Linear(4, 4), et.nn.Linear(4, 4))
    tied[1].weight = tied[0].weight
    sd = tied.state_dict()
    assert sd["0.weight"] is not sd["1.weight"]  # detached separately, same memory
    data = saved_bytes(sd)
    assert sorted(stnp.load(data)) == ["0.bias", "0.weight", "1.bias"]
    out = et.load(io.BytesIO(data))
    assert out["0.weight"] is not out["1.weight"]
    assert np.shares_memory(out["0.weight"].numpy(), out["1.weight"].numpy())
    fresh = et.nn.Sequential(et.nn.Linear(4, 4), et.nn.Linear(4, 4))
    fresh.load_state_dict(out)
    assert np.array_equal(fresh[1].weight.detach().numpy(), tied[0].weight.detach().numpy())
    # a transposed view is different memory layout: stored as its own copy
    out2 = roundtrip(model.state_dict())
    assert np.array_equal(out2["1.weight"].numpy(), enc.weight.detach().numpy().T)


def test_partly_overlapping_views_are_stored_as_copies():
    base = et.arange(6.0)
    obj = {"base": base, "head": base[:3], "odd": base[1::2]}
    data = saved_bytes(obj)
    assert len(stnp.load(data)) == 3
    out = et.load(io.BytesIO(data))
    assert out["head"].tolist() == [0.0, 1.0, 2.0] and out["odd"].tolist() == [1.0, 3.0, 5.0]
    assert not np.shares_memory(out["base"].numpy(), out["head"].numpy())


def test_equal_but_distinct_tensors_are_stored_separately():
    a, b = et.ones(3), et.ones(3)
    out = roundtrip([a, b])
    assert out[0] is not out[1]
    assert not np.shares_memory(out[0].numpy(), out[1].numpy())


# ----- files -----------------------------------------------------------------------------
def test_save_and_load_with_str_and_pathlib_paths(tmp_path):
    obj = {"w": et.randn(3, 2), "epoch": 4}
    et.save(obj, str(tmp_path / "a.pt"))
    et.save(obj, tmp_path / "b.pt")
    for name in ("a.pt", "b.pt"):
        for f in (str(tmp_path / name), tmp_path / name):
            out = et.load(f)
            assert out["epoch"] == 4 and same_tensor(out["w"], obj["w"])
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b.pt"]  # no temporary files left


def test_save_and_load_with_open_binary_files(tmp_path):
    path = tmp_path / "c.pt"
    with open(path, "wb") as f:
        et.save([et.ones(2)], f)
    with open(path, "rb") as f:
        assert et.load(f)[0].tolist() == [1.0, 1.0]


def test_file_objects_are_read_and_written_from_their_current_position():
    buf = io.BytesIO()
    buf.write(b"prefix")
    et.save({"a": et.ones(2)}, buf)
    assert buf.getvalue().startswith(b"prefix")
    buf.seek(len(b"prefix"))
    assert et.load(buf)["a"].tolist() == [1.0, 1.0]


def test_text_mode_file_and_wrong_arguments_raise_type_error(tmp_path):
    path = tmp_path / "t.pt"
    et.save(et.ones(1), path)
    with open(path, encoding="latin-1") as f, pytest.raises(TypeError, match="binary mode"):
        et.load(f)
    with pytest.raises(TypeError, match="path or a binary file object"):
        et.save(et.ones(1), 42)
    with pytest.raises(TypeError, match="path or a binary file object"):
        et.load(42)


def test_loading_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        et.load(tmp_path / "missing.pt")


def test_weights_only_false_loads_the_same_and_pickle_module_is_refused():
    data = saved_bytes({"a": et.ones(1)})
    assert et.load(io.BytesIO(data), weights_only=False)["a"].tolist() == [1.0]
    with pytest.raises(ValueError, match="never unpickles"):
        et.load(io.BytesIO(data), pickle_module=pickle)


# ----- crash safety ----------------------------------------------------------------------
def test_save_writes_a_temp_file_in_the_same_directory_fsyncs_then_renames(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.pt"
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}") if sys.platform == "linux"
                       else fd))  # fmt: skip
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", src, dst))
        assert not os.path.exists(dst)
        assert os.path.getsize(src) > 0
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    et.save({"w": et.ones(3)}, target)
    kinds = [e[0] for e in events]
    assert kinds.index("fsync") < kinds.index("replace")
    (_, src, dst) = next(e for e in events if e[0] == "replace")
    assert os.path.dirname(src) == str(tmp_path)
    assert dst == str(target) and src != dst
    if sys.platform == "linux":
        assert events[0][1] == src  # the temp file itself was fsynced before the rename
    assert et.load(target)["w"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_a_crash_while_writing_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.pt"
    et.save({"epoch": 1, "w": et.zeros(1000)}, target)
    before = target.read_bytes()

    real_write = serialization._write_file

    def half_then_crash(path, arrays, metadata):
        real_write(path, arrays, metadata)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        raise KeyboardInterrupt  # e.g. the user hit Ctrl-C in the middle of the write

    monkeypatch.setattr(serialization, "_write_file", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        et.save({"epoch": 2, "w": et.ones(1000)}, target)
    assert target.read_bytes() == before
    assert et.load(target)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_a_crash_during_a_first_save_leaves_no_file_under_the_target_name(tmp_path, monkeypatch):
    target = tmp_path / "new.pt"

    def fail_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OSError, match="No space left"):
        et.save({"w": et.ones(10)}, target)
    assert os.listdir(tmp_path) == []


def test_a_failed_rename_removes_the_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "x.pt"
    et.save(et.ones(1), target)
    before = target.read_bytes()

    def fail(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(PermissionError):
        et.save(et.zeros(5), target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["x.pt"]


def test_saved_file_gets_the_usual_permissions(tmp_path):
    et.save(et.ones(1), tmp_path / "a.pt")
    (tmp_path / "b").write_bytes(b"")
    assert (tmp_path / "a.pt").stat().st_mode == (tmp_path / "b").stat().st_mode


# ----- bad files -------------------------------------------------------------------------
def good_checkpoint() -> bytes:
    model = et.nn.Linear(3, 2)
    opt = et.optim.Adam(model.parameters())
    model(et.randn(2, 3)).sum().backward()
    opt.step()
    return saved_bytes({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 1})


def load_error(data: bytes, tmp_path, name="bad.pt"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as info:
        et.load(path)
    assert str(path) in str(info.value)
    return info.value


def test_empty_file_is_reported(tmp_path):
    assert "empty" in str(load_error(b"", tmp_path))


def test_every_truncation_is_reported_as_truncated(tmp_path):
    data = good_checkpoint()
    (n,) = struct.unpack("<Q", data[:8])
    for cut in sorted({1, 7, 8, 9, 50, 8 + n // 2, 8 + n - 1, 8 + n, 8 + n + 1, len(data) - 1}):
        err = load_error(data[:cut], tmp_path)
        assert "truncated" in str(err), (cut, str(err))


def test_random_bytes_are_reported_as_not_a_checkpoint(tmp_path):
    rng = np.random.default_rng(1)
    for size in (16, 1000, 100_000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        data = data[:8] + b"\x00" + data[9:]  # make sure no JSON header follows by chance
        err = load_error(data, tmp_path)
        assert "not an eagertorch checkpoint" in str(err)


@pytest.mark.parametrize(
    "magic", [b"\x89PNG\r\n\x1a\n\x00\x00", b"GIF89a" + b"\x00" * 20, b"\x7fELF" + b"\x01" * 40]
)
def test_other_file_types_are_reported_as_not_a_checkpoint(tmp_path, magic):
    assert "not an eagertorch checkpoint" in str(load_error(magic, tmp_path))


def test_a_numpy_file_is_named_as_such(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    assert "numpy .npy" in str(load_error(buf.getvalue(), tmp_path))


def test_wrong_header_length_is_reported(tmp_path):
    data = good_checkpoint()
    (n,) = struct.unpack("<Q", data[:8])
    err = load_error(struct.pack("<Q", n - 10) + data[8:], tmp_path)
    assert "header is corrupted" in str(err)
    err = load_error(struct.pack("<Q", 2**62) + data[8:], tmp_path)
    assert "truncated" in str(err)


def test_a_tampered_json_header_is_reported(tmp_path):
    data = good_checkpoint()
    tampered = data.replace(b'"data_offsets":[', b'"data_offsets":{', 1)
    assert "header is corrupted" in str(load_error(tampered, tmp_path))
    tampered = data.replace(b'"dtype":"F32"', b'"dtype":"F64"', 1)  # sizes no longer match
    assert "corrupted" in str(load_error(tampered, tmp_path))
    tampered = data.replace(b'"dtype":"F32"', b'"dtype":"XYZ"', 1)
    assert "dtype XYZ" in str(load_error(tampered, tmp_path))


def test_offsets_pointing_outside_the_data_are_reported(tmp_path):
    data = good_checkpoint()
    header = header_of(data)
    name = next(k for k in header if k != "__metadata__")
    start, stop = header[name]["data_offsets"]
    header[name]["data_offsets"] = [start + 10**6, stop + 10**6]
    err = load_error(with_header(data, header), tmp_path)
    assert "truncated" in str(err) or "corrupted" in str(err)


def test_extra_bytes_after_the_data_are_reported(tmp_path):
    assert "unexpected bytes" in str(load_error(good_checkpoint() + b"\x00" * 7, tmp_path))


def test_tampered_eagertorch_metadata_is_reported(tmp_path):
    data = good_checkpoint()
    header = header_of(data)
    meta = json.loads(header["__metadata__"]["eagertorch"])

    def with_meta(m) -> bytes:
        h = json.loads(json.dumps(header))
        h["__metadata__"]["eagertorch"] = m if isinstance(m, str) else json.dumps(m)
        return with_header(data, h)

    assert "metadata is corrupted" in str(load_error(with_meta("{not json"), tmp_path))
    bad = dict(meta, tensors=[*meta["tensors"][:-1], {"name": "nope"}])
    assert "'nope' is missing" in str(load_error(with_meta(bad), tmp_path))
    bad = dict(meta, object={"$tensor": 999})
    assert "metadata is corrupted" in str(load_error(with_meta(bad), tmp_path))
    bad = dict(meta, object={"$evil": "os.system"})
    assert "unknown tag '$evil'" in str(load_error(with_meta(bad), tmp_path))
    bad = dict(meta, object={"$float": "1e400"})
    assert "metadata is corrupted" in str(load_error(with_meta(bad), tmp_path))
    bad = {k: v for k, v in meta.items() if k != "object"}
    assert "metadata is corrupted" in str(load_error(with_meta(bad), tmp_path))
    assert "version 99" in str(load_error(with_meta(dict(meta, version=99)), tmp_path))
    h = json.loads(json.dumps(header))
    h["__metadata__"]["x"] = 5  # safetensors metadata values must be strings
    assert "__metadata__ is corrupted" in str(load_error(with_header(data, h), tmp_path))


def test_errors_name_file_objects_too():
    with pytest.raises(CheckpointError, match="<BytesIO>: the file is empty"):
        et.load(io.BytesIO(b""))


class _Boom:
    """Unpickling this would call _record_execution: proof that a pickle was executed."""

    def __reduce__(self):
        return (_record_execution, ("executed",))


_EXECUTED: list = []


def _record_execution(x):
    _EXECUTED.append(x)
    return x


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_is_refused_without_being_executed(tmp_path, protocol):
    payload = pickle.dumps({"state_dict": _Boom()}, protocol=protocol)
    err = load_error(payload, tmp_path)
    assert isinstance(err, UnsafeCheckpointError)
    assert "pickle" in str(err) and "cannot be loaded safely" in str(err)
    assert _EXECUTED == []
    with pytest.raises(UnsafeCheckpointError):
        et.load(io.BytesIO(payload), weights_only=False)
    assert _EXECUTED == []


def test_a_zip_archive_like_torch_save_output_is_refused_as_a_pickle(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Boom(), protocol=2))
        z.writestr("archive/version", "3\n")
    err = load_error(buf.getvalue(), tmp_path, "model.pt")
    assert isinstance(err, UnsafeCheckpointError)
    assert "torch.save" in str(err) and "pickle" in str(err)
    assert _EXECUTED == []


def test_unsupported_dtype_in_a_foreign_safetensors_file_is_named(tmp_path):
    data = stnp.save({"w": np.zeros(2, np.uint16)})
    err = load_error(data, tmp_path)
    assert "'w' has dtype U16" in str(err)


def test_missing_safetensors_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install safetensors.*eagertorch\[serialization\]"):
        et.save(et.ones(1), io.BytesIO())


# ----- plain safetensors files -----------------------------------------------------------
def test_a_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    arrays = {"weight": np.ones((2, 3), np.float32), "bias": np.arange(2, dtype=np.float32)}
    stnp.save_file(arrays, tmp_path / "plain.safetensors", metadata={"format": "np"})
    out = et.load(tmp_path / "plain.safetensors")
    assert type(out) is dict and set(out) == {"weight", "bias"}
    assert all(isinstance(v, et.Tensor) and not v.requires_grad for v in out.values())
    model = et.nn.Linear(3, 2)
    model.load_state_dict(out)
    assert model.bias.tolist() == [0.0, 1.0]


# ----- map_location ----------------------------------------------------------------------
def as_if_saved_on(data: bytes, location: str) -> bytes:
    """The same checkpoint, with every tensor recorded as saved from ``location``."""
    header = header_of(data)
    meta = json.loads(header["__metadata__"]["eagertorch"])
    for entry in meta["tensors"]:
        entry["device"] = location
    header["__metadata__"]["eagertorch"] = json.dumps(meta)
    return with_header(data, header)


def _cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.mark.parametrize("where", ["cpu", et.device("cpu"), {"cuda:0": "cpu"}])
def test_map_location_moves_cuda_tensors_to_the_cpu(where):
    data = as_if_saved_on(saved_bytes({"w": et.ones(2), "b": et.zeros(1)}), "cuda:0")
    out = et.load(io.BytesIO(data), map_location=where)
    assert out["w"].device == et.device("cpu") and out["w"].tolist() == [1.0, 1.0]


def test_map_location_dict_leaves_unlisted_locations_alone():
    data = saved_bytes({"w": et.ones(2)})
    out = et.load(io.BytesIO(data), map_location={"cuda:1": "cuda:0"})
    assert out["w"].device == et.device("cpu")


def test_map_location_callable_gets_each_tensor_and_its_saved_location():
    t = et.ones(2)
    data = as_if_saved_on(saved_bytes({"a": t, "b": t, "c": et.zeros(3)}), "cuda:1")
    calls = []

    def fn(storage, location):
        calls.append((type(storage), storage.device, location))
        return storage * 2

    out = et.load(io.BytesIO(data), map_location=fn)
    assert calls == [(et.Tensor, et.device("cpu"), "cuda:1")] * 2  # once per stored tensor
    assert out["a"] is out["b"] and out["a"].tolist() == [2.0, 2.0]


def test_map_location_callable_returning_none_keeps_the_saved_location():
    data = saved_bytes({"w": et.ones(2)})
    out = et.load(io.BytesIO(data), map_location=lambda s, loc: None)
    assert out["w"].device == et.device("cpu") and out["w"].tolist() == [1.0, 1.0]


def test_map_location_applies_to_plain_safetensors_files():
    data = stnp.save({"w": np.ones(2, np.float32)})
    seen = []
    et.load(io.BytesIO(data), map_location=lambda s, loc: seen.append(loc))
    assert seen == ["cpu"]


def test_bad_map_location_raises_type_error():
    data = saved_bytes({"w": et.ones(2)})
    with pytest.raises(TypeError, match="map_location should be"):
        et.load(io.BytesIO(data), map_location=3)
    with pytest.raises(TypeError, match="map_location returned list"):
        et.load(io.BytesIO(data), map_location=lambda s, loc: [s])
    with pytest.raises(ZeroDivisionError):  # the callable's own error is not disguised
        et.load(io.BytesIO(data), map_location=lambda s, loc: 1 / 0)


@pytest.mark.skipif(_cuda_available(), reason="checks the error on a machine without CUDA")
def test_cuda_checkpoint_without_cuda_says_to_use_map_location():
    data = as_if_saved_on(saved_bytes({"w": et.ones(2)}), "cuda:0")
    with pytest.raises(RuntimeError, match=r"onto cuda:0.*map_location='cpu'"):
        et.load(io.BytesIO(data))


@pytest.mark.skipif(not _cuda_available(), reason="needs cupy and a CUDA device")
def test_cuda_tensors_round_trip_to_their_device_and_map_to_cpu():
    t = et.randn(3).cuda()
    out = roundtrip({"t": t})
    assert out["t"].device == et.device("cuda:0")
    assert np.array_equal(out["t"].cpu().numpy(), t.cpu().numpy())
    out = roundtrip({"t": t}, map_location="cpu")
    assert out["t"].device == et.device("cpu")


# ----- state_dicts -----------------------------------------------------------------------
def make_model(seed=0):
    et.manual_seed(seed)
    return et.nn.Sequential(et.nn.Linear(4, 8), et.nn.Identity(), et.nn.Linear(8, 3))


def test_module_state_dict_round_trips_into_a_fresh_module(tmp_path):
    model = make_model(0)
    et.save(model.state_dict(), tmp_path / "m.pt")
    sd = et.load(tmp_path / "m.pt")
    assert type(sd) is OrderedDict and list(sd) == list(model.state_dict())
    fresh = make_model(1)
    fresh.load_state_dict(sd)
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert same_tensor(a, b), k


def test_failed_load_state_dict_changes_nothing():
    model = make_model(0)
    sd = roundtrip(model.state_dict())
    sd["2.weight"] = et.zeros(5, 8)  # the last entry is wrong: nothing may be copied
    target = make_model(1)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(RuntimeError, match=r"size mismatch for 2\.weight"):
        target.load_state_dict(sd)
    for k, v in target.state_dict().items():
        assert same_tensor(v, before[k]), k
    sd["2.weight"] = 5  # not a tensor
    with pytest.raises(RuntimeError, match=r"2\.weight"):
        target.load_state_dict(sd)
    for k, v in target.state_dict().items():
        assert same_tensor(v, before[k]), k


def test_loading_a_float64_checkpoint_casts_to_the_module_dtype_like_pytorch():
    model = make_model(0).double()
    sd = roundtrip(model.state_dict())
    assert sd["0.weight"].dtype is et.float64
    fresh = make_model(1)
    fresh.load_state_dict(sd)
    assert fresh[0].weight.dtype is et.float32
    assert np.array_equal(fresh[0].weight.detach().numpy(), sd["0.weight"].numpy().astype("f4"))


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: et.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        lambda p: et.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True),
        lambda p: et.optim.AdamW(p, lr=0.01),
        lambda p: et.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
        lambda p: et.optim.Adagrad(p, lr=0.1),
    ],
    ids=["sgd", "adam", "adamw", "rmsprop", "adagrad"],
)
def test_optimizer_state_dict_round_trips_with_exact_types(make_opt):
    model = make_model(0)
    opt = make_opt(
        [
            {"params": model[0].parameters()},
            {"params": model[2].parameters(), "lr": 0.5},
        ]
    )
    for _ in range(2):
        opt.zero_grad()
        model(et.randn(5, 4)).pow(2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    out = roundtrip(sd)
    assert _same_optimizer_state(out, sd)
    fresh_model = make_model(1)
    fresh = make_opt(
        [
            {"params": fresh_model[0].parameters()},
            {"params": fresh_model[2].parameters(), "lr": 0.5},
        ]
    )
    fresh.load_state_dict(out)
    assert _same_optimizer_state(fresh.state_dict(), sd)


def _same_optimizer_state(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, et.Tensor):
        return same_tensor(a, b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            type(k) is type(k2) and _same_optimizer_state(a[k], b[k2]) for k, k2 in zip(a, b)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_optimizer_state(x, y) for x, y in zip(a, b))
    return a == b


def test_optimizer_step_stays_a_0d_float_tensor_and_state_keys_stay_ints():
    model = make_model(0)
    opt = et.optim.Adam(model.parameters())
    model(et.randn(2, 4)).sum().backward()
    opt.step()
    out = roundtrip(opt.state_dict())
    assert sorted(out["state"]) == [0, 1, 2, 3]
    step = out["state"][0]["step"]
    assert isinstance(step, et.Tensor) and step.dim() == 0 and step.dtype is et.float32
    assert step.item() == 1.0
    assert out["param_groups"][0]["betas"] == (0.9, 0.999)
    assert type(out["param_groups"][0]["betas"]) is tuple


def test_lr_scheduler_state_dict_round_trips():
    model = make_model(0)
    opt = et.optim.SGD(model.parameters(), lr=0.1)
    sched = et.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    out = roundtrip(sd)
    assert _same_optimizer_state(out, sd)
    plateau = et.optim.lr_scheduler.ReduceLROnPlateau(opt)
    sd = plateau.state_dict()
    out = roundtrip(sd)
    assert out["best"] == math.inf and out.keys() == sd.keys()


# ----- resuming --------------------------------------------------------------------------
def _train(model, opt, sched, steps):
    for _ in range(steps):
        x = et.randn(8, 6)
        y = et.randn(8, 2)
        h = model[0](x).relu()
        keep = et.rand(h.shape) > 0.25  # dropout drawn from the global generator
        h = h * keep / 0.75
        loss = (model[1](h) - y).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def _build(kind, seed):
    et.manual_seed(seed)
    model = et.nn.ModuleList([et.nn.Linear(6, 16), et.nn.Linear(16, 2)])
    if kind == "sgd":
        opt = et.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    else:
        opt = et.optim.Adam(model.parameters(), lr=0.01)
    sched = et.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_resuming_from_a_checkpoint_is_bit_identical_to_an_uninterrupted_run(tmp_path, kind):
    n, m = 5, 7
    model, opt, sched = _build(kind, seed=1)
    _train(model, opt, sched, n + m)
    straight = {k: v.numpy().tobytes() for k, v in model.state_dict().items()}

    model, opt, sched = _build(kind, seed=1)
    _train(model, opt, sched, n)
    et.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(),
            "rng": et.get_rng_state(),
            "step": n,
        },
        tmp_path / "ckpt.pt",
    )
    del model, opt, sched
    et.manual_seed(12345)  # the process after a restart: a different generator position

    model, opt, sched = _build(kind, seed=99)  # fresh objects with other weights
    ckpt = et.load(tmp_path / "ckpt.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    et.set_rng_state(ckpt["rng"])
    assert ckpt["step"] == n
    _train(model, opt, sched, m)
    resumed = {k: v.numpy().tobytes() for k, v in model.state_dict().items()}
    assert resumed == straight
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
