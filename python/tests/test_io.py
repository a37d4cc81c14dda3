"""File I/O: mx.save / load / savez / savez_compressed / save_safetensors /
save_gguf. Round trips through rmlx itself, NumPy, the safetensors and gguf
packages and the reference MLX (both directions); every dtype, 0-d, empty and
non-contiguous arrays; paths, pathlib and file objects; corrupt, truncated and
foreign files; failed saves leave nothing behind."""

import io
import os
import pathlib
import struct

import numpy as np
import pytest

from conftest import DTYPE_NAMES, mx, mxr, need_mlx, random_array

try:
    import ml_dtypes
except ImportError:  # pragma: no cover
    ml_dtypes = None


def key(a):
    """(shape, dtype name, row-major bytes) of an rmlx or MLX array."""
    return tuple(a.shape), str(a.dtype).split(".")[-1], bytes(a)


def sample(rng, name, shape, mod=mx):
    """A random array of dtype `name` in module `mod` (bit-identical data in
    both modules for the same rng state)."""
    v = random_array(rng, shape, name)
    if name == "float64":
        return mod.array(v, dtype=mod.float64)
    return mod.array(v).astype(getattr(mod, name))


SHAPES = [(), (0,), (0, 3), (5,), (2, 3, 4)]


def variants(rng, name):
    """Arrays of dtype `name`: several shapes plus non-contiguous views."""
    out = [sample(rng, name, s) for s in SHAPES]
    base = sample(rng, name, (4, 6))
    out += [base.T, base[:, ::2], base[::-1], mx.broadcast_to(base[:1], (3, 6))]
    return out


def listdir(d):
    return sorted(os.listdir(d))


# ---------------------------------------------------------------------------
# .npy


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_npy_round_trip_every_dtype(tmp_path, name):
    rng = np.random.default_rng(0)
    for i, a in enumerate(variants(rng, name)):
        p = str(tmp_path / f"a{i}.npy")
        mx.save(p, a)
        assert key(mx.load(p)) == key(a)
        if name != "bfloat16":  # NumPy reads MLX's bfloat16 as raw 'V2'
            np.testing.assert_array_equal(np.load(p), np.array(a))
        if mxr is not None:
            assert key(mxr.load(p)) == key(a)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_npy_written_by_mlx(tmp_path, name):
    m = need_mlx()
    rng = np.random.default_rng(1)
    for i, s in enumerate([(), (3,), (2, 5), (0, 2)]):
        ref = sample(np.random.default_rng(i), name, s, m)
        p = str(tmp_path / f"r{i}.npy")
        m.save(p, ref)
        assert key(mx.load(p)) == key(ref)
    # MLX saves a transposed array in Fortran order.
    ref = sample(rng, name, (3, 4), m).T
    m.save(str(tmp_path / "t.npy"), ref)
    assert key(mx.load(str(tmp_path / "t.npy"))) == key(ref)


def test_npy_written_by_numpy(tmp_path):
    rng = np.random.default_rng(2)
    cases = {
        "f8": rng.standard_normal((3, 4)),
        "f4": rng.standard_normal((2, 2)).astype(np.float32),
        "f2": rng.standard_normal(5).astype(np.float16),
        "c8": (rng.standard_normal(4) + 1j).astype(np.complex64),
        "b1": rng.random((2, 3)) > 0.5,
        "i8": rng.integers(-100, 100, (3, 1)),
        "u2": rng.integers(0, 60000, 7).astype(np.uint16),
        "0d": np.float32(3.5),
        "empty": np.zeros((0, 4), np.int8),
        "fortran": np.asfortranarray(rng.standard_normal((3, 5)).astype(np.float32)),
        "big_endian": np.arange(6, dtype=">i4").reshape(2, 3),
        "big_endian_f8": rng.standard_normal(3).astype(">f8"),
        "big_endian_c8": (rng.standard_normal(3) + 2j).astype(">c8"),
    }
    for n, v in cases.items():
        p = str(tmp_path / f"{n}.npy")
        np.save(p, v)
        got = mx.load(p)
        assert got.shape == np.shape(v), n
        np.testing.assert_array_equal(np.array(got), np.asarray(v).astype(np.asarray(v).dtype.newbyteorder("=")))
    # float64 stays float64 (MLX 0.32.4 does too), complex128 is narrowed to
    # complex64 (MLX refuses it).
    assert mx.load(str(tmp_path / "f8.npy")).dtype == mx.float64
    c = (rng.standard_normal(3) + 1j * rng.standard_normal(3))
    np.save(str(tmp_path / "c16.npy"), c)
    got = mx.load(str(tmp_path / "c16.npy"))
    assert got.dtype == mx.complex64
    np.testing.assert_allclose(np.array(got), c.astype(np.complex64))


def test_npy_header_matches_numpy_layout(tmp_path):
    p = str(tmp_path / "h.npy")
    mx.save(p, mx.zeros((2, 3)))
    raw = open(p, "rb").read()
    assert raw[:8] == b"\x93NUMPY\x01\x00"
    hlen = struct.unpack("<H", raw[8:10])[0]
    assert (10 + hlen) % 64 == 0
    assert np.lib.format.read_magic(io.BytesIO(raw)) == (1, 0)
    assert "'shape': (2, 3)" in raw[10:10 + hlen].decode()


def test_save_appends_extension_and_accepts_paths(tmp_path):
    a = mx.arange(5)
    mx.save(str(tmp_path / "noext"), a)
    mx.savez(str(tmp_path / "z"), a)
    mx.save_safetensors(str(tmp_path / "s"), {"a": a})
    mx.save_gguf(str(tmp_path / "g"), {"a": a})
    assert listdir(tmp_path) == ["g.gguf", "noext.npy", "s.safetensors", "z.npz"]
    mx.save(tmp_path / "pl.npy", a)  # pathlib
    assert key(mx.load(tmp_path / "pl.npy")) == key(a)
    assert key(mx.load(pathlib.PurePath(tmp_path / "s.safetensors"))["a"]) == key(a)
    if mxr is not None:  # same names as MLX
        mxr.save(str(tmp_path / "mnoext"), mxr.arange(5))
        assert os.path.exists(tmp_path / "mnoext.npy")


# ---------------------------------------------------------------------------
# file objects and format selection


def test_file_objects_every_format(tmp_path):
    a = mx.arange(12, dtype=mx.float32).reshape(3, 4)
    saves = {
        "npy": lambda f: mx.save(f, a),
        "npz": lambda f: mx.savez(f, a=a),
        "safetensors": lambda f: mx.save_safetensors(f, {"a": a}, {"m": "x"}),
        "gguf": lambda f: mx.save_gguf(f, {"a": a}),
    }
    for fmt, save in saves.items():
        buf = io.BytesIO()
        save(buf)
        data = buf.getvalue()
        # BytesIO has no name: the format must be given.
        with pytest.raises(ValueError, match="infer"):
            mx.load(io.BytesIO(data))
        got = mx.load(io.BytesIO(data), format=fmt)
        got = got if fmt == "npy" else got["a"]
        assert key(got) == key(a)
        # A real file object: the format comes from its name.
        p = tmp_path / f"f.{fmt}"
        with open(p, "wb") as f:
            save(f)
        assert open(p, "rb").read() == data
        with open(p, "rb") as f:
            got = mx.load(f)
        assert key(got if fmt == "npy" else got["a"]) == key(a)
        # The file written to a stream is the file written to a path.
        save(str(tmp_path / f"p.{fmt}"))
        assert open(tmp_path / f"p.{fmt}", "rb").read() == data or fmt in ("npz",)


def test_load_format_errors(tmp_path):
    mx.save(str(tmp_path / "a.npy"), mx.arange(3))
    with pytest.raises(ValueError, match="Could not infer file format"):
        mx.load(str(tmp_path / "noext"))
    with pytest.raises(ValueError, match="Unknown file format xyz"):
        mx.load(str(tmp_path / "a.npy"), format="xyz")
    for fmt in ("npy", "npz"):
        with pytest.raises(ValueError, match="metadata not supported"):
            mx.load(str(tmp_path / "a.npy"), format=fmt, return_metadata=True)
    with pytest.raises(TypeError, match="binary mode"):
        with open(tmp_path / "a.npy", "r", encoding="latin-1") as f:
            mx.load(f)
    with pytest.raises(ValueError, match="file-like"):
        mx.load(3)
    with pytest.raises(TypeError):
        mx.save(str(tmp_path / "x.npy"), np.arange(3))  # MLX: arrays only
    # format= overrides the extension.
    os.rename(tmp_path / "a.npy", tmp_path / "a.bin")
    assert mx.load(str(tmp_path / "a.bin"), format="npy").tolist() == [0, 1, 2]
    # stream= is accepted (data loads into host memory).
    assert mx.load(str(tmp_path / "a.bin"), format="npy", stream=mx.cpu).tolist() == [0, 1, 2]


# ---------------------------------------------------------------------------
# .npz


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {}
    for name in DTYPE_NAMES:
        for i, a in enumerate(variants(rng, name)):
            arrays[f"{name}_{i}"] = a
    for compressed in (False, True):
        save = mx.savez_compressed if compressed else mx.savez
        p = str(tmp_path / f"a{compressed}.npz")
        save(p, **arrays)
        got = mx.load(p)
        assert list(got) == list(arrays)
        for k, a in arrays.items():
            assert key(got[k]) == key(a), k
        with np.load(p) as z:
            for k, a in arrays.items():
                if not k.startswith("bfloat16"):
                    np.testing.assert_array_equal(z[k], np.array(a))
        if mxr is not None:
            ref = mxr.load(p)
            # MLX reads .npz members lazily through Python file objects:
            # evaluate with the GIL released first (its __bytes__ keeps the
            # GIL and would deadlock).
            mxr.eval(list(ref.values()))
            for k, a in arrays.items():
                assert key(ref[k]) == key(a), k


def test_npz_written_by_numpy_and_mlx(tmp_path):
    rng = np.random.default_rng(4)
    data = {
        "x": rng.standard_normal((3, 4)).astype(np.float32),
        "y": rng.integers(0, 9, 10),
        "z": np.float16(2.0),
        "e": np.zeros((0,), np.bool_),
        "f": np.asfortranarray(rng.standard_normal((4, 3))),
    }
    for saver in (np.savez, np.savez_compressed):
        p = str(tmp_path / f"{saver.__name__}.npz")
        saver(p, *[data["x"]], **{k: v for k, v in data.items() if k != "x"})
        got = mx.load(p)
        assert sorted(got) == sorted(["arr_0", "y", "z", "e", "f"])
        np.testing.assert_array_equal(np.array(got["arr_0"]), data["x"])
        for k in ("y", "z", "e", "f"):
            np.testing.assert_array_equal(np.array(got[k]), data[k])
    m = need_mlx()
    for saver in (m.savez, m.savez_compressed):
        p = str(tmp_path / f"mlx_{saver.__name__}.npz")
        refs = {n: sample(np.random.default_rng(7), n, (3, 2), m) for n in DTYPE_NAMES}
        saver(p, m.arange(3), **refs)
        got = mx.load(p)
        assert got["arr_0"].tolist() == [0, 1, 2]
        for n, r in refs.items():
            assert key(got[n]) == key(r), n


def test_npz_names_and_errors(tmp_path):
    a, b = mx.arange(3), mx.ones((2,))
    p = str(tmp_path / "n.npz")
    mx.savez(p, a, b, c=a)
    assert sorted(mx.load(p)) == ["arr_0", "arr_1", "c"]
    with pytest.raises(ValueError, match="Cannot use un-named variables and keyword arr_0"):
        mx.savez(str(tmp_path / "bad.npz"), a, arr_0=b)
    with pytest.raises(TypeError, match="Expected an array"):
        mx.savez(str(tmp_path / "bad2.npz"), a=3)
    assert listdir(tmp_path) == ["n.npz"]
    # Members that are not .npy files are reported by name.
    import zipfile
    with zipfile.ZipFile(tmp_path / "txt.npz", "w") as z:
        z.writestr("note.txt", "hello")
    with pytest.raises(RuntimeError, match="note.txt"):
        mx.load(str(tmp_path / "txt.npz"))
    # An empty archive is an empty dict.
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    assert mx.load(str(tmp_path / "empty.npz")) == {}


def test_npz_compresses():
    z = {"z": mx.zeros((10000,))}
    s, c = io.BytesIO(), io.BytesIO()
    mx.savez(s, **z)
    mx.savez_compressed(c, **z)
    assert len(c.getvalue()) * 20 < len(s.getvalue())


# ---------------------------------------------------------------------------
# .safetensors


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_safetensors_round_trip(tmp_path, name):
    rng = np.random.default_rng(5)
    arrays = {f"t{i}": a for i, a in enumerate(variants(rng, name))}
    meta = {"format": "mlx", "note": 'quote " and \\ and \u00e9\n'}
    p = str(tmp_path / "a.safetensors")
    mx.save_safetensors(p, arrays, meta)
    got, m = mx.load(p, return_metadata=True)
    assert m == meta
    assert list(got) == list(arrays)
    for k, a in arrays.items():
        assert key(got[k]) == key(a)
    if mxr is not None and name != "float64":  # MLX 0.32.4 has no F64 here
        ref, rm = mxr.load(p, return_metadata=True)
        assert rm == meta
        for k, a in arrays.items():
            assert key(ref[k]) == key(a)


def test_safetensors_package_interop(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(6)
    data = {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f16": rng.standard_normal(7).astype(np.float16),
        "f64": rng.standard_normal((2, 2)),
        "i64": rng.integers(-9, 9, (5,)),
        "u8": rng.integers(0, 255, (2, 3)).astype(np.uint8),
        "b": rng.random(4) > 0.5,
        "s": np.array(1.5, np.float32),
        "e": np.zeros((0, 3), np.int32),
    }
    p = str(tmp_path / "pkg.safetensors")
    st.save_file(data, p, metadata={"k": "v"})
    got, meta = mx.load(p, return_metadata=True)
    assert meta == {"k": "v"}
    for k, v in data.items():
        assert got[k].shape == v.shape
        np.testing.assert_array_equal(np.array(got[k]), v)
    assert got["f64"].dtype == mx.float64
    # The package reads what rmlx writes.
    q = str(tmp_path / "ours.safetensors")
    mx.save_safetensors(q, {k: mx.array(v, dtype=mx.float64) if k == "f64" else mx.array(v)
                            for k, v in data.items()}, {"a": "b"})
    back = st.load_file(q)
    for k, v in data.items():
        np.testing.assert_array_equal(back[k], v)
    from safetensors import safe_open
    with safe_open(q, framework="numpy") as f:
        assert f.metadata() == {"a": "b"}
    # bfloat16 through ml_dtypes.
    if ml_dtypes is not None:
        b = {"bf": rng.standard_normal(6).astype(ml_dtypes.bfloat16)}
        st.save_file(b, p)
        got = mx.load(p)["bf"]
        assert got.dtype == mx.bfloat16
        assert np.array(got).tobytes() == b["bf"].tobytes()


def test_safetensors_from_mlx(tmp_path):
    m = need_mlx()
    refs = {n: sample(np.random.default_rng(8), n, (4, 3), m) for n in DTYPE_NAMES if n != "float64"}
    p = str(tmp_path / "m.safetensors")
    m.save_safetensors(p, refs, {"who": "mlx"})
    got, meta = mx.load(p, return_metadata=True)
    assert meta == {"who": "mlx"}
    for n, r in refs.items():
        assert key(got[n]) == key(r)
    # MLX writes "__metadata__": null without metadata.
    m.save_safetensors(p, refs)
    assert mx.load(p, return_metadata=True)[1] == {}


def test_safetensors_errors(tmp_path):
    a = mx.arange(3)
    with pytest.raises(ValueError, match="Metadata must be a dictionary with string keys and values"):
        mx.save_safetensors(str(tmp_path / "x"), {"a": a}, {"k": 3})
    with pytest.raises(TypeError):
        mx.save_safetensors(str(tmp_path / "x"), {"a": np.arange(3)})
    with pytest.raises(TypeError):
        mx.save_safetensors(str(tmp_path / "x"), [a])
    assert listdir(tmp_path) == []

    def write(name, header, data=b""):
        h = header.encode() if isinstance(header, str) else header
        p = tmp_path / name
        p.write_bytes(struct.pack("<Q", len(h)) + h + data)
        return str(p)

    cases = {
        "dtype.safetensors": ('{"a":{"dtype":"XX","shape":[2],"data_offsets":[0,8]}}', "unsupported dtype XX"),
        "offsets.safetensors": ('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', "invalid data offsets"),
        "json.safetensors": ('{"a": [1, 2', "Invalid json header"),
        "notobj.safetensors": ("[1, 2]", "not an object"),
        "meta.safetensors": ('{"__metadata__": {"k": 1}}', "not a string"),
        "past_end.safetensors": ('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', "truncated"),
    }
    for name, (header, msg) in cases.items():
        p = write(name, header, b"\0" * 8)
        with pytest.raises(RuntimeError, match=msg) as e:
            mx.load(p)
        assert name in str(e.value)
    # F8_E4M3 loads as raw uint8, as in MLX.
    p = write("f8.safetensors", '{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', b"\x38\x40")
    got = mx.load(p)["a"]
    assert got.dtype == mx.uint8 and got.tolist() == [0x38, 0x40]
    if mxr is not None:
        assert mxr.load(p)["a"].tolist() == [0x38, 0x40]


# ---------------------------------------------------------------------------
# .gguf

GGUF_NAMES = ["float32", "float16", "int8", "int16", "int32"]


def test_gguf_round_trip_and_mlx(tmp_path):
    rng = np.random.default_rng(9)
    arrays = {}
    for name in GGUF_NAMES + ["bfloat16", "int64", "float64"]:
        for i, a in enumerate(variants(rng, name)):
            arrays[f"{name}.{i}"] = a
    meta = {
        "s": "text é",
        "l": ["a", "", "ccc"],
        "u8": mx.array(3, mx.uint8),
        "i64v": mx.array([1, -2, 3], mx.int64),
        "f32": mx.array(2.5),
        "bools": mx.array([True, False]),
        "u32": mx.array(7, mx.uint32),
    }
    p = str(tmp_path / "a.gguf")
    mx.save_gguf(p, arrays, meta)
    got, m = mx.load(p, return_metadata=True)
    assert list(got) == list(arrays)
    for k, a in arrays.items():
        assert key(got[k]) == key(a), k
    assert m["s"] == meta["s"] and m["l"] == meta["l"]
    for k in ("u8", "i64v", "f32", "bools", "u32"):
        assert key(m[k]) == key(meta[k]), k
    # The reference MLX reads the types it supports identically.
    ref_m = need_mlx()
    only = {k: a for k, a in arrays.items() if k.split(".")[0] in GGUF_NAMES}
    q = str(tmp_path / "b.gguf")
    mx.save_gguf(q, only, meta)
    ref, rm = ref_m.load(q, return_metadata=True)
    for k, a in only.items():
        assert key(ref[k]) == key(a), k
    assert rm["s"] == meta["s"] and rm["l"] == meta["l"]
    for k in ("u8", "i64v", "f32", "bools", "u32"):
        assert key(rm[k]) == key(meta[k]), k


def test_gguf_written_by_mlx(tmp_path):
    m = need_mlx()
    refs = {n: sample(np.random.default_rng(10), n, (3, 5), m) for n in GGUF_NAMES}
    refs["scalar"] = m.array(1.25)
    meta = {"s": "x", "l": ["p", "q"], "v": m.array([1.5, 2.5]), "i": m.array(4, m.int16)}
    p = str(tmp_path / "m.gguf")
    m.save_gguf(p, refs, meta)
    got, gm = mx.load(p, return_metadata=True)
    for n, r in refs.items():
        assert key(got[n]) == key(r)
    assert gm["s"] == "x" and gm["l"] == ["p", "q"]
    assert key(gm["v"]) == key(meta["v"]) and key(gm["i"]) == key(meta["i"])


def test_gguf_package_reads_our_files(tmp_path):
    gguf = pytest.importorskip("gguf")
    a = mx.arange(24, dtype=mx.float32).reshape(2, 3, 4)
    p = str(tmp_path / "ours.gguf")
    mx.save_gguf(p, {"w": a, "b": mx.ones((5,), mx.float16)}, {"general.name": "t", "n": mx.array(3, mx.uint32)})
    r = gguf.GGUFReader(p)
    tensors = {t.name: t for t in r.tensors}
    assert list(tensors["w"].shape) == [4, 3, 2]  # innermost first
    np.testing.assert_array_equal(np.asarray(tensors["w"].data).reshape(2, 3, 4), np.array(a))
    np.testing.assert_array_equal(np.asarray(tensors["b"].data), np.ones(5, np.float16))
    assert r.fields["n"].parts[-1][0] == 3


def _write_gguf_quant(path, arrays):
    """A GGUF file of quantized tensors written by the gguf package."""
    gguf = pytest.importorskip("gguf")
    from gguf.quants import quantize
    w = gguf.GGUFWriter(path, "test")
    for name, (x, t) in arrays.items():
        w.add_tensor(name, quantize(x, t), raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_gguf_quantized_as_mlx(tmp_path):
    gguf = pytest.importorskip("gguf")
    from gguf import GGMLQuantizationType as Q
    from gguf.quants import dequantize, quantize
    rng = np.random.default_rng(11)
    for t, bits in ((Q.Q4_0, 4), (Q.Q4_1, 4), (Q.Q8_0, 8)):
        x = rng.standard_normal((3, 64)).astype(np.float32)
        p = str(tmp_path / f"{t.name}.gguf")
        _write_gguf_quant(p, {"blk.0.weight": (x, t)})
        got = mx.load(p)
        assert sorted(got) == ["blk.0.biases", "blk.0.scales", "blk.0.weight"]
        w, s, b = got["blk.0.weight"], got["blk.0.scales"], got["blk.0.biases"]
        assert (w.shape, w.dtype) == ((3, 64 * bits // 32), mx.uint32)
        assert (s.shape, s.dtype, b.dtype) == ((3, 2), mx.float16, mx.float16)
        # Dequantized values: scale * q + bias per group of 32.
        q = np.array(w).view(np.uint8)
        q = np.stack([q & 0xF, q >> 4], -1).reshape(3, 64) if bits == 4 else q.reshape(3, 64)
        deq = q.reshape(3, 2, 32) * np.array(s, np.float32)[..., None] + np.array(b, np.float32)[..., None]
        expect = dequantize(quantize(x, t), t)
        np.testing.assert_allclose(deq.reshape(3, 64), expect, rtol=0, atol=1e-2)
        if mxr is not None:  # bit for bit as MLX loads it
            ref = mxr.load(p)
            for k in got:
                assert key(got[k]) == key(ref[k]), (t.name, k)


def _gguf_raw(path, name, shape, type_id, data):
    """A GGUF v3 file with one tensor of raw block data (innermost dim first)."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 1, 0))
    nb = name.encode()
    out += struct.pack("<Q", len(nb)) + nb + struct.pack("<I", len(shape))
    out += b"".join(struct.pack("<Q", d) for d in reversed(shape))
    out += struct.pack("<IQ", type_id, 0)
    out += b"\0" * (-len(out) % 32)
    out += data
    pathlib.Path(path).write_bytes(bytes(out))


def _kquant_blocks(rng, nblocks, size, scale_offsets):
    """Random K-quant blocks with small, finite float16 scales."""
    raw = bytearray(rng.integers(0, 256, nblocks * size, dtype=np.uint8).tobytes())
    for i in range(nblocks):
        for off in scale_offsets:
            raw[i * size + off:i * size + off + 2] = np.float16(rng.uniform(0.001, 0.05)).tobytes()
    return bytes(raw)


def _q4k_reference(data, n):
    """GGML's Q4_K dequantization (float32, then rounded to float16)."""
    out = []
    for sb in range(n // 256):
        blk = np.frombuffer(data[sb * 144:(sb + 1) * 144], np.uint8)
        d, dmin = np.frombuffer(blk[:4].tobytes(), np.float16).astype(np.float32)
        sc = blk[4:16].astype(np.int64)
        for j2 in range(4):
            q = blk[16 + 32 * j2:48 + 32 * j2]
            for half, shift in ((0, 0), (1, 4)):
                j = 2 * j2 + half
                if j < 4:
                    s6, m6 = sc[j] & 63, sc[j + 4] & 63
                else:
                    s6 = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4)
                    m6 = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4)
                d1, m1 = d * np.float32(s6), dmin * np.float32(m6)
                out.append(d1 * ((q >> shift) & 0xF).astype(np.float32) - m1)
    return np.concatenate(out).astype(np.float16)


def test_gguf_k_quants_as_mlx(tmp_path):
    m = need_mlx()
    rng = np.random.default_rng(12)
    # Q4_K (type 12) and Q6_K (type 14) load as float16, as in MLX 0.32.4.
    p = str(tmp_path / "q4k.gguf")
    data = _kquant_blocks(rng, 4, 144, [0, 2])
    _gguf_raw(p, "l.weight", (2, 512), 12, data)
    got, ref = mx.load(p), m.load(p)
    assert list(got) == list(ref) == ["l.weight"]
    assert (got["l.weight"].shape, got["l.weight"].dtype) == ((2, 512), mx.float16)
    # Values follow GGML (MLX's gguf-tools applies the even sub-blocks'
    # scales to the odd ones too, so its values differ there).
    assert np.array(got["l.weight"]).tobytes() == _q4k_reference(data, 1024).tobytes()
    p = str(tmp_path / "q6k.gguf")
    _gguf_raw(p, "l.weight", (3, 256), 14, _kquant_blocks(rng, 3, 210, [208]))
    got, ref = mx.load(p)["l.weight"], m.load(p)["l.weight"]
    assert got.dtype == mx.float16
    assert key(got) == key(ref)


def test_gguf_errors(tmp_path):
    a = mx.arange(4)
    for d in (mx.bool_, mx.uint32, mx.complex64):
        with pytest.raises(RuntimeError, match="is not supported"):
            mx.save_gguf(str(tmp_path / "x.gguf"), {"a": a.astype(d)})
    with pytest.raises(ValueError, match="more than one dimension"):
        mx.save_gguf(str(tmp_path / "x.gguf"), {"a": a}, {"m": mx.ones((2, 2))})
    with pytest.raises(ValueError, match="empty"):
        mx.save_gguf(str(tmp_path / "x.gguf"), {"a": a}, {"m": mx.zeros((0,))})
    with pytest.raises(TypeError, match="unexpected type"):
        mx.save_gguf(str(tmp_path / "x.gguf"), {"a": a}, {"m": 3})
    assert listdir(tmp_path) == []
    # Unsupported tensor types and bad last dimensions are named.
    _gguf_raw(str(tmp_path / "q5.gguf"), "t", (32,), 6, b"\0" * 22)
    with pytest.raises(RuntimeError, match="unsupported GGUF type Q5_0"):
        mx.load(str(tmp_path / "q5.gguf"))
    _gguf_raw(str(tmp_path / "odd.gguf"), "t.weight", (2, 48), 8, b"\0" * 34 * 3)
    with pytest.raises(RuntimeError, match="incompatible last dim"):
        mx.load(str(tmp_path / "odd.gguf"))
    bad = bytearray(b"GGUF" + struct.pack("<IQQ", 1, 0, 0))
    (tmp_path / "v1.gguf").write_bytes(bytes(bad))
    with pytest.raises(RuntimeError, match="Unsupported GGUF version 1"):
        mx.load(str(tmp_path / "v1.gguf"))
    with pytest.raises(ValueError, match="missing.gguf"):  # as MLX: ValueError
        mx.load(str(tmp_path / "missing.gguf"))


# ---------------------------------------------------------------------------
# corrupt and truncated files; failed saves


def _good_files(tmp_path):
    a = mx.arange(40, dtype=mx.float32).reshape(5, 8)
    out = {}
    for fmt, save in {
        "npy": lambda p: mx.save(p, a),
        "npz": lambda p: mx.savez(p, a=a, b=a.T),
        "npzc": lambda p: mx.savez_compressed(p, a=a),
        "safetensors": lambda p: mx.save_safetensors(p, {"a": a}, {"k": "v"}),
        "gguf": lambda p: mx.save_gguf(p, {"a": a}, {"s": "v", "l": ["x"]}),
    }.items():
        ext = "npz" if fmt == "npzc" else fmt
        p = str(tmp_path / f"good_{fmt}.{ext}")
        save(p)
        out[fmt] = (ext, open(p, "rb").read())
    return out


def test_truncated_and_corrupt_files(tmp_path):
    files = _good_files(tmp_path)
    for fmt, (ext, data) in files.items():
        name = f"bad_{fmt}.{ext}"
        p = tmp_path / name
        for cut in sorted(set(range(0, len(data), max(1, len(data) // 60))) | {len(data) - 1}):
            p.write_bytes(data[:cut])
            with pytest.raises((RuntimeError, ValueError)) as e:
                mx.load(str(p))
            assert name in str(e.value), (fmt, cut, str(e.value))
        rng = np.random.default_rng(13)
        for pos in rng.integers(0, len(data), 40):
            b = bytearray(data)
            b[pos] ^= 0xA5
            p.write_bytes(bytes(b))
            try:
                mx.load(str(p))
            except (RuntimeError, ValueError) as e:
                assert name in str(e), (fmt, pos, str(e))


def test_error_kinds_match_mlx(tmp_path):
    garbage = b"garbage garbage garbage garbage"
    for ext, kind in (("npy", RuntimeError), ("npz", ValueError), ("safetensors", RuntimeError),
                      ("gguf", RuntimeError)):
        p = tmp_path / f"g.{ext}"
        p.write_bytes(garbage)
        with pytest.raises(kind, match=f"g.{ext}"):
            mx.load(str(p))
        if mxr is not None:
            with pytest.raises(kind):
                mxr.load(str(p))
    for ext, kind in (("npy", RuntimeError), ("safetensors", RuntimeError), ("gguf", ValueError),
                      ("npz", ValueError)):
        with pytest.raises(kind, match="missing"):
            mx.load(str(tmp_path / f"missing.{ext}"))
        if mxr is not None:
            with pytest.raises(kind):
                mxr.load(str(tmp_path / f"missing.{ext}"))


def test_npz_crc_checked(tmp_path):
    a = mx.arange(100, dtype=mx.int32)
    p = tmp_path / "c.npz"
    mx.savez(str(p), a=a)
    data = bytearray(p.read_bytes())
    # Flip a byte of the array data (stored member): the CRC catches it.
    off = data.index(np.arange(100, dtype=np.int32).tobytes()[40:48])
    data[off] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="CRC"):
        mx.load(str(p))


def test_failed_saves_leave_no_file(tmp_path):
    good = {"a": mx.ones((3,))}
    p = str(tmp_path / "x.gguf")
    mx.save_gguf(p, good)
    before = open(p, "rb").read()
    with pytest.raises(RuntimeError):
        mx.save_gguf(p, {"a": mx.ones((3,)), "b": mx.ones((3,), mx.bool_)})
    assert open(p, "rb").read() == before  # the old file is intact
    assert listdir(tmp_path) == ["x.gguf"]  # and no temporary is left
    with pytest.raises(RuntimeError, match="Failed to open file"):
        mx.save(str(tmp_path / "no" / "dir.npy"), mx.ones(2))
    # A stream that fails part-way raises (rather than writing half a file
    # silently).

    class Broken(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise OSError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        mx.save(Broken(), mx.ones((1000,)))
    assert listdir(tmp_path) == ["x.gguf"]


def test_large_array_round_trip(tmp_path):
    # Larger than the parallel-read threshold (16 MiB).
    a = mx.arange(5_000_000, dtype=mx.float32)
    for fmt, save in (("npy", lambda p: mx.save(p, a)),
                      ("safetensors", lambda p: mx.save_safetensors(p, {"a": a}))):
        p = str(tmp_path / f"big.{fmt}")
        save(p)
        got = mx.load(p)
        got = got if fmt == "npy" else got["a"]
        assert mx.array_equal(got, a).item()


# ---------------------------------------------------------------------------
# memory-mapped loading (files of 64 KiB and more, loaded from a path)

need_proc_maps = pytest.mark.skipif(
    not os.path.exists("/proc/self/maps"), reason="needs Linux /proc/self/maps")


def _maps(path):
    """Whether this process has `path` memory-mapped (a deleted file still
    shows, as `<path> (deleted)`)."""
    real = os.path.realpath(str(path))
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 5)
            if len(parts) == 6 and parts[5].startswith(real):
                return True
    return False


def _ramps(n, size, seed=0):
    rng = np.random.default_rng(seed)
    return {f"t{i}": rng.standard_normal(size + i).astype(np.float32) for i in range(n)}


@need_proc_maps
def test_large_files_are_mapped_and_released(tmp_path):
    import gc

    arrays = _ramps(3, 100_000)
    for ext, save in (
        ("safetensors", lambda p: mx.save_safetensors(p, {k: mx.array(v) for k, v in arrays.items()})),
        ("gguf", lambda p: mx.save_gguf(p, {k: mx.array(v) for k, v in arrays.items()})),
        ("npz", lambda p: np.savez(p, **arrays)),
    ):
        p = str(tmp_path / f"big.{ext}")
        save(p)
        d = mx.load(p)
        # NumPy does not align .npz members: whether they map is luck.
        assert _maps(p) or ext == "npz"
        for k, v in arrays.items():
            assert np.array_equal(np.array(d[k]), v)
        del d
        gc.collect()
        assert not _maps(p), ext
    v = arrays["t0"]
    p = str(tmp_path / "big.npy")
    np.save(p, v)
    a = mx.load(p)
    assert _maps(p) and np.array_equal(np.array(a), v)
    # Small files, and file objects, are read instead.
    p = str(tmp_path / "small.npy")
    np.save(p, v[:1000])
    s = mx.load(p)
    assert not _maps(p) and np.array_equal(np.array(s), v[:1000])
    p = str(tmp_path / "big.npy")
    with open(p, "rb") as f:
        before = _maps(p)
        b = mx.load(f)
    assert np.array_equal(np.array(b), v)
    del a, b
    gc.collect()
    assert before and not _maps(p)


@need_proc_maps
def test_updating_a_loaded_array_leaves_the_file_unchanged(tmp_path):
    v = np.arange(300_000, dtype=np.float32)
    p = str(tmp_path / "x.npy")
    np.save(p, v)
    a = mx.load(p)
    a = a * 2
    mx.eval(a)
    # The multiply took over the loaded buffer (the map is still in use)
    # and wrote it privately: the file keeps its values.
    assert _maps(p)
    assert np.array_equal(np.array(a), v * 2)
    assert np.array_equal(np.load(p), v)
    # Same through a .safetensors dict.
    p = str(tmp_path / "x.safetensors")
    mx.save_safetensors(p, {"a": mx.array(v), "b": mx.array(-v)})
    raw = open(p, "rb").read()
    d = mx.load(p)
    a = d.pop("a")
    del d
    a += 1
    a = mx.exp(a * 0) + a
    mx.eval(a)
    assert np.array_equal(np.array(a), v + 2)
    assert open(p, "rb").read() == raw
    again = mx.load(p)
    assert np.array_equal(np.array(again["a"]), v)
    assert np.array_equal(np.array(again["b"]), -v)


def test_many_arrays_from_one_file_survive_drops(tmp_path):
    import gc

    arrays = _ramps(20, 20_000, seed=3)
    p = str(tmp_path / "many.safetensors")
    mx.save_safetensors(p, {k: mx.array(v) for k, v in arrays.items()})
    d = mx.load(p)
    for i in range(0, 20, 2):
        del d[f"t{i}"]
    gc.collect()
    for k, a in d.items():
        assert np.array_equal(np.array(a), arrays[k])
    total = mx.sum(mx.stack([mx.sum(a) for a in d.values()]))
    ref = sum(float(arrays[k].sum(dtype=np.float64)) for k in d)
    assert abs(total.item() - ref) < 1e-2 * max(1.0, abs(ref))


def test_loaded_arrays_survive_overwrite_and_delete(tmp_path):
    arrays = _ramps(4, 50_000, seed=5)
    p = str(tmp_path / "w.safetensors")
    mx.save_safetensors(p, {k: mx.array(v) for k, v in arrays.items()})
    d = mx.load(p)
    # A save over the same path writes a new file and renames it into
    # place: the loaded arrays keep the old contents.
    mx.save_safetensors(p, {"new": mx.ones((70_000,))})
    for k, v in arrays.items():
        assert np.array_equal(np.array(d[k]), v)
    assert list(mx.load(p)) == ["new"]
    os.remove(p)
    for k, v in arrays.items():
        assert np.array_equal(np.array(d[k] + 0), v)
    # Saving loaded arrays back over their own file works too.
    q = str(tmp_path / "v.npy")
    np.save(q, arrays["t0"])
    a = mx.load(q)
    mx.save(q, a)
    assert np.array_equal(np.load(q), arrays["t0"])
    assert np.array_equal(np.array(a), arrays["t0"])


def _raw_safetensors(entries, data, hlen):
    """A .safetensors image with its JSON header padded to `hlen` bytes, so
    that the data section can start at any offset."""
    import json

    h = json.dumps({n: {"dtype": d, "shape": s, "data_offsets": o} for n, d, s, o in entries},
                   separators=(",", ":"))
    assert len(h) <= hlen
    return struct.pack("<Q", hlen) + h.ljust(hlen).encode() + data


def test_misaligned_safetensors_data_loads(tmp_path):
    n = 40_000
    f = np.arange(n, dtype=np.float32) * 0.5
    g = -np.arange(n, dtype=np.float64)
    data = f.tobytes() + b"\x01\x02\x03" + g.tobytes()
    fe, ue, ge = 4 * n, 4 * n + 3, 4 * n + 3 + 8 * n
    entries = [("f", "F32", [n], [0, fe]), ("u", "U8", [3], [fe, ue]),
               ("g", "F64", [n], [ue, ge]), ("g2", "F64", [n], [ue, ge])]
    for hlen in range(301, 309):
        p = tmp_path / f"odd{hlen}.safetensors"
        p.write_bytes(_raw_safetensors(entries, data, hlen))
        d = mx.load(str(p))
        assert np.array_equal(np.array(d["f"]), f), hlen
        assert np.array_equal(np.array(d["u"]), [1, 2, 3]), hlen
        assert np.array_equal(np.array(d["g"]), g), hlen
        # "g2" aliases "g"'s bytes; an update of one never shows in the other.
        g1 = d.pop("g")
        g1 = g1 * 3
        mx.eval(g1)
        assert np.array_equal(np.array(g1), 3 * g), hlen
        assert np.array_equal(np.array(d["g2"]), g), hlen


def test_truncated_large_files(tmp_path):
    a = mx.arange(40_000, dtype=mx.float32)
    for ext, kind, save in (
        ("npy", RuntimeError, lambda p: mx.save(p, a)),
        ("npz", (RuntimeError, ValueError), lambda p: mx.savez(p, a=a, b=a)),
        ("safetensors", RuntimeError, lambda p: mx.save_safetensors(p, {"a": a, "b": a})),
        ("gguf", RuntimeError, lambda p: mx.save_gguf(p, {"a": a, "b": a})),
    ):
        p = tmp_path / f"cut.{ext}"
        save(str(p))
        data = p.read_bytes()
        for cut in (len(data) - 1, len(data) - 5000, 70_000):
            p.write_bytes(data[:cut])
            with pytest.raises(kind, match=f"cut.{ext}"):
                mx.load(str(p))
            if ext != "npz":
                with pytest.raises(kind, match="truncated"):
                    mx.load(str(p))
