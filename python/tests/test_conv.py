"""Convolutions: conv1d/2d/3d, conv_general (strides, asymmetric and negative
padding, kernel and input dilation, groups, flip), conv_transpose1d/2d/3d
(output_padding) and convolve, against the reference MLX and a NumPy
direct-loop reference, for random parameter combinations, every float dtype,
non-contiguous and zero-size operands; MLX's error types and messages;
gradients (vjp against MLX and float64 finite differences, jvp against
finite differences), vmap against a Python loop, and nested transforms."""

import itertools

import numpy as np
import pytest

from conftest import TOL, mx, to_numpy

mxr = pytest.importorskip("mlx.core")


# ---------------------------------------------------------------- reference

def ref_conv(x, w, stride=None, lo=None, hi=None, kd=None, idil=None, groups=1, flip=False):
    """conv_general in float64 NumPy, by direct loops over the taps (MLX's
    semantics, negative padding slicing the input first)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    d = x.ndim - 2
    stride = stride or [1] * d
    lo = list(lo or [0] * d)
    hi = list(hi or [0] * d)
    kd = kd or [1] * d
    idil = idil or [1] * d
    sl = [slice(None)]
    for i in range(d):
        a = -lo[i] if lo[i] < 0 else 0
        b = x.shape[i + 1] + hi[i] if hi[i] < 0 else x.shape[i + 1]
        sl.append(slice(a, max(a, b)))
        lo[i], hi[i] = max(lo[i], 0), max(hi[i], 0)
    x = x[tuple(sl) + (slice(None),)]
    n, c = x.shape[0], x.shape[-1]
    o, ks, cg = w.shape[0], w.shape[1:-1], w.shape[-1]
    og = o // groups
    dil = [(x.shape[i + 1] - 1) * idil[i] + 1 for i in range(d)]
    outs = [int((dil[i] + lo[i] + hi[i] - (ks[i] - 1) * kd[i] - 1) / stride[i]) + 1 for i in range(d)]
    need = [max(dil[i] + lo[i] + hi[i], (outs[i] - 1) * stride[i] + (ks[i] - 1) * kd[i] + 1) for i in range(d)]
    xp = np.zeros((n, *need, c))
    xp[(slice(None),) + tuple(slice(lo[i], lo[i] + dil[i], idil[i]) for i in range(d))] = x
    if flip:
        w = w[(slice(None),) + (slice(None, None, -1),) * d]
    out = np.zeros((n, *outs, o))
    for k in itertools.product(*[range(s) for s in ks]):
        patch = xp[(slice(None),) + tuple(
            slice(k[i] * kd[i], k[i] * kd[i] + (outs[i] - 1) * stride[i] + 1, stride[i]) for i in range(d))]
        for g in range(groups):
            wk = w[(slice(g * og, (g + 1) * og),) + tuple(k)]  # (og, cg)
            out[..., g * og:(g + 1) * og] += patch[..., g * cg:(g + 1) * cg] @ wk.T
    return out


def unif(rng, shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def arr(mod, a, dtype="float32"):
    if dtype == "float64":
        return mod.array(np.asarray(a, np.float64), dtype=mod.float64)
    return mod.array(np.asarray(a, np.float32)).astype(getattr(mod, dtype))


def check(ours, ref, dtype="float32", scale=1.0):
    """Compares an rmlx result with an MLX result (shape, dtype, values) or a
    NumPy array (shape, values)."""
    if not isinstance(ref, np.ndarray):
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (ours.dtype, ref.dtype)
        ref = to_numpy(ref)
    assert ours.shape == tuple(ref.shape), (ours.shape, ref.shape)
    r, a = TOL[dtype]
    np.testing.assert_allclose(to_numpy(ours).astype(np.float64), ref, rtol=r * 10, atol=a * 10 * scale)


def both(name, x, w, dtype="float32", **kw):
    """(rmlx result, MLX result) of `mx.<name>(x, w, **kw)`."""
    return (getattr(mx, name)(arr(mx, x, dtype), arr(mx, w, dtype), **kw),
            getattr(mxr, name)(arr(mxr, x, dtype), arr(mxr, w, dtype), **kw))


# ---------------------------------------------------------------- forward

def random_case(rng, d, allow_groups=True):
    n = int(rng.integers(1, 3))
    groups = int(rng.choice([1, 1, 2, 3])) if allow_groups else 1
    cg = int(rng.integers(1, 4))
    og = int(rng.integers(1, 4))
    k = [int(rng.integers(1, 4)) for _ in range(d)]
    stride = [int(rng.integers(1, 3)) for _ in range(d)]
    dil = [int(rng.integers(1, 3)) for _ in range(d)]
    pad = [int(rng.integers(0, 3)) for _ in range(d)]
    size = [int(rng.integers((k[i] - 1) * dil[i] + 1, 9)) for i in range(d)]
    x = unif(rng, (n, *size, groups * cg))
    w = unif(rng, (groups * og, *k, cg))
    return x, w, stride, pad, dil, groups


@pytest.mark.parametrize("seed", range(12))
def test_conv1d_random(seed):
    rng = np.random.default_rng(seed)
    x, w, s, p, dl, g = random_case(rng, 1)
    o, r = both("conv1d", x, w, stride=s[0], padding=p[0], dilation=dl[0], groups=g)
    check(o, r)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, s, p, p, dl, None, g), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_random(seed):
    rng = np.random.default_rng(100 + seed)
    x, w, s, p, dl, g = random_case(rng, 2)
    o, r = both("conv2d", x, w, stride=tuple(s), padding=tuple(p), dilation=tuple(dl), groups=g)
    check(o, r)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, s, p, p, dl, None, g), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_conv3d_random(seed):
    rng = np.random.default_rng(200 + seed)
    x, w, s, p, dl, _ = random_case(rng, 3, allow_groups=False)
    o, r = both("conv3d", x, w, stride=tuple(s), padding=tuple(p), dilation=tuple(dl))
    check(o, r)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, s, p, p, dl), rtol=1e-5, atol=1e-5)


def test_conv3d_groups_beyond_mlx():
    # MLX refuses groups != 1 in 3-D; rmlx computes it.
    rng = np.random.default_rng(7)
    x = unif(rng, (2, 4, 5, 3, 6))
    w = unif(rng, (4, 2, 3, 2, 3))
    o = mx.conv3d(mx.array(x), mx.array(w), padding=1, groups=2)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, None, [1] * 3, [1] * 3, None, None, 2),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        mxr.conv3d(mxr.array(x), mxr.array(w), padding=1, groups=2)


@pytest.mark.parametrize("seed", range(16))
def test_conv_general_random(seed):
    rng = np.random.default_rng(300 + seed)
    d = int(rng.integers(1, 4))
    x, w, s, _, dl, g = random_case(rng, d, allow_groups=d < 3)
    lo = [int(rng.integers(-1, 3)) for _ in range(d)]
    hi = [int(rng.integers(-1, 3)) for _ in range(d)]
    idil = [int(rng.integers(1, 4)) for _ in range(d)]
    flip = bool(rng.integers(0, 2))
    kw = dict(stride=s, padding=(lo, hi), kernel_dilation=dl, input_dilation=idil, groups=g, flip=flip)
    try:
        r = mxr.conv_general(mxr.array(x), mxr.array(w), **kw)
        mxr.eval(r)
    except ValueError as e:
        with pytest.raises(ValueError) as ours:
            mx.conv_general(mx.array(x), mx.array(w), **kw)
        assert str(ours.value) == str(e)
        return
    o = mx.conv_general(mx.array(x), mx.array(w), **kw)
    check(o, r)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, s, lo, hi, dl, idil, g, flip), rtol=1e-5, atol=1e-5)


def test_conv_general_argument_forms():
    rng = np.random.default_rng(3)
    x, w = unif(rng, (2, 7, 6, 4)), unif(rng, (3, 3, 2, 4))
    forms = [
        dict(),
        dict(stride=2),
        dict(stride=[1, 2]),
        dict(stride=(2, 1)),
        dict(stride=[]),
        dict(padding=1),
        dict(padding=[1]),
        dict(padding=(1, 2)),
        dict(padding=[]),
        dict(padding=([1, 0], [0, 2])),
        dict(padding=((1, 0), (0, 2))),
        dict(padding=([1], [0, 2])),
        dict(padding=([-1, 1], [1, -2])),
        dict(kernel_dilation=2),
        dict(kernel_dilation=[1, 2]),
        dict(input_dilation=3),
        dict(input_dilation=[2, 1], padding=1),
        dict(flip=True),
        dict(groups=1),
        dict(stride=np.int64(2)),
    ]
    for kw in forms:
        o, r = both("conv_general", x, w, **kw)
        check(o, r)
    o = mx.conv_general(mx.array(x), mx.array(w), 1, 1, 1, 1, 1, True)  # positional
    r = mxr.conv_general(mxr.array(x), mxr.array(w), 1, 1, 1, 1, 1, True)
    check(o, r)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("seed", range(5))
def test_conv_transpose_random(d, seed):
    rng = np.random.default_rng(400 + 10 * d + seed)
    n = int(rng.integers(1, 3))
    g = 1 if d == 3 else int(rng.choice([1, 2]))
    cg, og = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    k = [int(rng.integers(1, 4)) for _ in range(d)]
    s = [int(rng.integers(1, 4)) for _ in range(d)]
    dl = [int(rng.integers(1, 3)) for _ in range(d)]
    p = [int(rng.integers(0, 2)) for _ in range(d)]
    op = [int(rng.integers(0, s[i])) for i in range(d)]
    x = unif(rng, (n, *[int(rng.integers(2, 6)) for _ in range(d)], g * cg))
    w = unif(rng, (g * og, *k, cg))
    name = f"conv_transpose{d}d"
    if d == 1:
        kw = dict(stride=s[0], padding=p[0], dilation=dl[0], output_padding=op[0], groups=g)
    else:
        kw = dict(stride=tuple(s), padding=tuple(p), dilation=tuple(dl), output_padding=tuple(op), groups=g)
    try:
        r = getattr(mxr, name)(mxr.array(x), mxr.array(w), **kw)
        mxr.eval(r)
    except ValueError as e:
        with pytest.raises(ValueError, match=None) as ours:
            getattr(mx, name)(mx.array(x), mx.array(w), **kw)
        assert str(ours.value) == str(e)
        return
    check(getattr(mx, name)(mx.array(x), mx.array(w), **kw), r)


def test_conv_transpose_3d_groups_beyond_mlx():
    rng = np.random.default_rng(9)
    x, w = unif(rng, (1, 3, 2, 4, 4)), unif(rng, (6, 2, 2, 3, 2))
    o = mx.conv_transpose3d(mx.array(x), mx.array(w), stride=2, padding=1, output_padding=1, groups=2)
    # conv_transpose = flipped conv of the stride-dilated input (MLX's construction).
    lo = [1 + (k - 1) - 1 - 1 for k in w.shape[1:-1]]
    hi = [(k - 1) - 1 + 1 for k in w.shape[1:-1]]
    exp = ref_conv(x, w, None, lo, hi, None, [2] * 3, 2, True)
    np.testing.assert_allclose(to_numpy(o), exp, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("na,nv", [(1, 1), (25, 5), (24, 4), (4, 24), (5, 25), (7, 7), (3, 8)])
def test_convolve(mode, na, nv):
    rng = np.random.default_rng(na * 31 + nv)
    a, v = unif(rng, na), unif(rng, nv)
    o = mx.convolve(mx.array(a), mx.array(v), mode)
    r = mxr.convolve(mxr.array(a), mxr.array(v), mode=mode)
    check(o, r)
    np.testing.assert_allclose(to_numpy(o), np.convolve(a.astype(np.float64), v, mode), rtol=1e-5, atol=1e-6)


def test_convolve_dtypes_and_errors():
    a = np.arange(6, dtype=np.float32)
    o = mx.convolve(mx.array(a).astype(mx.float16), mx.array([1, 2], dtype=mx.int32))
    r = mxr.convolve(mxr.array(a).astype(mxr.float16), mxr.array([1, 2], dtype=mxr.int32))
    check(o, r, "float16")
    for args in [(mx.ones((2, 2)), mx.ones(2)), (mx.ones((0,)), mx.ones(2)),
                 (mx.ones(4), mx.ones(2), "bad"), (mx.ones(4, dtype=mx.int32), mx.ones(2, dtype=mx.int32))]:
        rargs = tuple(mxr.array(np.array(a_)) if isinstance(a_, mx.array) else a_ for a_ in args)
        with pytest.raises(ValueError) as e_r:
            mxr.convolve(*rargs)
        with pytest.raises(ValueError) as e_o:
            mx.convolve(*args)
        assert str(e_o.value) == str(e_r.value)
    with pytest.raises(TypeError):
        mx.convolve(np.ones(3), mx.ones(2))


# ---------------------------------------------------------------- dtypes, layouts, sizes

@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtypes(dtype):
    rng = np.random.default_rng(11)
    cases = [
        ("conv1d", (2, 9, 4), (5, 3, 4), dict(padding=1, stride=2)),
        ("conv2d", (2, 6, 7, 6), (4, 3, 2, 3), dict(padding=(1, 0), groups=2)),
        ("conv2d", (1, 6, 6, 8), (8, 3, 3, 1), dict(padding=1, groups=8)),
        ("conv_transpose2d", (1, 4, 5, 3), (2, 3, 3, 3), dict(stride=2, padding=1)),
        ("conv3d", (1, 4, 4, 4, 2), (3, 2, 2, 2, 2), dict(padding=1)),
    ]
    for name, xs, ws, kw in cases:
        x, w = unif(rng, xs), unif(rng, ws)
        o = getattr(mx, name)(arr(mx, x, dtype), arr(mx, w, dtype), **kw)
        assert str(o.dtype) == "rmlx.core." + dtype
        if dtype == "float64":
            # MLX's CPU convolution refuses float64 for most shapes ("got
            # unsupported data type") and computes the rest in float32
            # precision: compare with float32 MLX loosely and with the
            # float64 NumPy reference tightly.
            r = getattr(mxr, name)(arr(mxr, x), arr(mxr, w), **kw)
            check(o, to_numpy(r), "float32")
            if not name.startswith("conv_transpose"):
                d = x.ndim - 2
                pad, st = kw.get("padding", 0), kw.get("stride", 1)
                pad = [pad] * d if isinstance(pad, int) else list(pad)
                st = [st] * d if isinstance(st, int) else list(st)
                exp = ref_conv(x, w, st, pad, pad, None, None, kw.get("groups", 1))
                np.testing.assert_allclose(np.array(o), exp, rtol=1e-12, atol=1e-12)
            continue
        r = getattr(mxr, name)(arr(mxr, x, dtype), arr(mxr, w, dtype), **kw)
        check(o, r, dtype, 30 if dtype in ("float16", "bfloat16") else 1)


def test_dtype_promotion():
    rng = np.random.default_rng(12)
    x, w = unif(rng, (1, 6, 3)), unif(rng, (2, 3, 3))
    pairs = [("float16", "float32"), ("bfloat16", "float16"), ("float32", "int32"),
             ("float16", "int8"), ("float64", "float32"), ("float32", "bool_")]
    for xd, wd in pairs:
        o = mx.conv1d(mx.array(x).astype(getattr(mx, xd)), mx.array(w).astype(getattr(mx, wd)))
        r = mxr.conv1d(mxr.array(x).astype(getattr(mxr, xd)), mxr.array(w).astype(getattr(mxr, wd)))
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]
        np.testing.assert_allclose(to_numpy(o).astype(np.float64), to_numpy(r), rtol=2e-2, atol=2e-2)


def test_non_contiguous_operands():
    rng = np.random.default_rng(13)
    xb, wb = unif(rng, (6, 9, 2, 10)), unif(rng, (3, 4, 2, 10))
    views = [
        # transposed and strided input, reversed and offset weight
        (lambda m, a: m.transpose(a, (2, 1, 0, 3))[..., 1:8:2], lambda m, b: b[:, ::-1, :, 1:9:2]),
        # reversed batch, transposed weight
        (lambda m, a: a[::-2, 1:], lambda m, b: m.transpose(b, (0, 2, 1, 3))),
        # broadcast (stride 0) operands
        (lambda m, a: m.broadcast_to(a[:1, :, :1, :4], (3, 9, 5, 4)),
         lambda m, b: m.broadcast_to(b[:1, :, :, :4], (6, 4, 2, 4))),
    ]
    for vx, vw in views:
        x, w = vx(np, xb), vw(np, wb)
        o = mx.conv2d(vx(mx, mx.array(xb)), vw(mx, mx.array(wb)), padding=1)
        r = mxr.conv2d(vx(mxr, mxr.array(xb)), vw(mxr, mxr.array(wb)), padding=1)
        check(o, r)
        np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, None, [1, 1], [1, 1]), rtol=1e-5, atol=1e-5)
    # strided depthwise weight view with flip
    wbig = unif(rng, (10, 3, 2, 10))
    x, w = xb[:, :, :, ::2], wbig[::2, ::-1, :, ::10]
    o = mx.conv_general(mx.array(xb)[:, :, :, ::2], mx.array(wbig)[::2, ::-1, :, ::10], groups=5, flip=True)
    np.testing.assert_allclose(to_numpy(o), ref_conv(x, w, groups=5, flip=True), rtol=1e-5, atol=1e-5)


def test_zero_size():
    # Empty batch, channels, outputs or kernels: MLX reaches BLAS with
    # invalid arguments for some of these; rmlx returns the empty/zero result.
    cases = [
        ((0, 5, 3), (2, 3, 3), (0, 3, 2)),
        ((1, 5, 0), (2, 3, 0), (1, 3, 2)),
        ((1, 5, 3), (0, 3, 3), (1, 3, 0)),
        ((1, 5, 3), (2, 0, 3), (1, 6, 2)),
    ]
    for xs, ws, out in cases:
        o = mx.conv1d(mx.ones(xs), mx.ones(ws))
        assert o.shape == out
        np.testing.assert_array_equal(to_numpy(o), np.zeros(out))
    o = mx.conv_general(mx.ones((1, 0, 1)), mx.ones((1, 1, 1)), input_dilation=2, padding=2)
    r = mxr.conv_general(mxr.ones((1, 0, 1)), mxr.ones((1, 1, 1)), input_dilation=2, padding=2)
    check(o, r)


def test_short_signal_and_large_shapes():
    # A signal one short of a kernel still gives one output (MLX's integer
    # division), computed with zeros beyond the end.
    # (MLX reads past the end of its buffer there; only its shape is used.)
    o, r = both("conv1d", np.ones((1, 2, 1)), np.ones((1, 3, 1)), stride=2)
    assert o.shape == r.shape == (1, 1, 1) and o.item() == 2.0
    o, r = both("conv_general", np.ones((1, 3, 1)), np.ones((1, 6, 1)), stride=4)
    assert o.shape == r.shape == (1, 1, 1) and o.item() == 3.0
    # Sizes that take the parallel, implicit-GEMM, im2col and depthwise paths.
    rng = np.random.default_rng(14)
    for name, xs, ws, kw in [
        ("conv2d", (2, 16, 16, 32), (32, 3, 3, 32), dict(padding=1)),
        ("conv2d", (2, 16, 16, 32), (16, 3, 3, 32), dict(padding=1, stride=2)),
        ("conv2d", (2, 16, 16, 32), (16, 3, 3, 32), dict(padding=2, dilation=2)),
        ("conv2d", (2, 16, 16, 32), (64, 3, 3, 1), dict(padding=1, groups=32)),
        ("conv1d", (2, 300, 64), (64, 5, 64), dict(padding=2)),
        ("conv1d", (2, 300, 64), (64, 5, 16), dict(padding=2, groups=4)),
        ("conv_transpose2d", (2, 8, 8, 16), (8, 4, 4, 16), dict(stride=2, padding=1)),
    ]:
        x, w = unif(rng, xs), unif(rng, ws)
        o, r = both(name, x, w, **kw)
        check(o, r, scale=10)


# ---------------------------------------------------------------- errors

ERROR_CASES = [
    ("conv1d", (1, 5, 3), (2, 3, 2), {}),
    ("conv1d", (1, 5, 3), (2, 7, 3), {}),
    ("conv_general", (1, 5, 3), (2, 3, 3), dict(padding=-2)),
    ("conv1d", (1, 5, 3), (2, 3, 3), dict(stride=0)),
    ("conv1d", (1, 5, 3), (2, 3, 3), dict(stride=-1)),
    ("conv1d", (1, 5, 3), (2, 3, 3), dict(dilation=0)),
    ("conv_general", (1, 5, 3), (2, 3, 3), dict(input_dilation=0)),
    ("conv_general", (1, 2, 1), (1, 3, 1), dict(stride=0, kernel_dilation=0)),
    ("conv_general", (1, 2, 1), (1, 3, 1), dict(stride=0, input_dilation=0)),
    ("conv1d", (1, 5, 6), (4, 3, 2), dict(groups=3)),
    ("conv1d", (1, 5, 6), (4, 3, 2), dict(groups=4)),
    ("conv1d", (1, 5, 6), (4, 3, 2), dict(groups=2)),
    ("conv1d", (5, 3), (2, 3, 3), {}),
    ("conv1d", (1, 5, 3), (3, 3), {}),
    ("conv2d", (1, 5, 3), (2, 3, 3), {}),
    ("conv_general", (1, 2, 2, 2, 2, 1), (1, 1, 1, 1, 1, 1), {}),
    ("conv_general", (1, 1), (1, 1), {}),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(stride=[1, 1, 1])),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(padding=[1, 1, 1])),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(padding=([1, 1, 1], [1, 1]))),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(kernel_dilation=[1, 1, 1])),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(input_dilation=[1, 1, 1])),
    ("conv_general", (1, 4, 4, 1), (1, 1, 1, 1), dict(padding=([-5, 0], [0, -2]))),
    ("conv_general", (1, 2, 1), (1, 3, 2), dict(stride=[1, 1])),
    ("conv_transpose1d", (1, 5, 3), (2, 3, 3), dict(padding=5)),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_mlx(case):
    name, xs, ws, kw = ERROR_CASES[case]
    with pytest.raises(ValueError) as e_r:
        mxr.eval(getattr(mxr, name)(mxr.ones(xs), mxr.ones(ws), **kw))
    with pytest.raises(ValueError) as e_o:
        getattr(mx, name)(mx.ones(xs), mx.ones(ws), **kw)
    assert str(e_o.value) == str(e_r.value)


def test_dtype_errors():
    for xd in ("int32", "bool_", "complex64", "uint8"):
        x = mx.ones((1, 5, 3), dtype=getattr(mx, xd))
        with pytest.raises(ValueError) as e_o:
            mx.conv1d(x, mx.ones((2, 3, 3)))
        with pytest.raises(ValueError) as e_r:
            mxr.conv1d(mxr.ones((1, 5, 3), dtype=getattr(mxr, xd)), mxr.ones((2, 3, 3)))
        assert str(e_o.value) == str(e_r.value)
    with pytest.raises(ValueError):  # MLX divides by zero here
        mx.conv1d(mx.ones((1, 5, 3)), mx.ones((2, 3, 3)), groups=0)


def test_type_errors():
    x, w = mx.ones((1, 5, 3)), mx.ones((2, 3, 3))
    x2, w2 = mx.ones((1, 4, 4, 1)), mx.ones((1, 1, 1, 1))
    bad = [
        lambda: mx.conv1d(np.ones((1, 5, 3), np.float32), w),
        lambda: mx.conv1d(1.0, w),
        lambda: mx.conv1d(x, w, stride=(1,)),
        lambda: mx.conv1d(x, w, stride=1.0),
        lambda: mx.conv1d(x, w, padding="1"),
        lambda: mx.conv2d(x2, w2, stride=(1, 1, 1)),
        lambda: mx.conv2d(x2, w2, padding=1.5),
        lambda: mx.conv3d(mx.ones((1, 2, 2, 2, 1)), mx.ones((1, 1, 1, 1, 1)), stride=(1, 1)),
        lambda: mx.conv_general(x2, w2, padding=([1], 2)),
        lambda: mx.conv_general(x2, w2, stride=[1.0, 1.0]),
        lambda: mx.conv1d(x, w, 1, 0, 1, 1, None),  # stream is keyword-only
        lambda: mx.conv_transpose2d(x2, w2, output_padding=(1,)),
    ]
    for f in bad:
        with pytest.raises(TypeError):
            f()
    o = mx.conv2d(x2, w2, stride=[1, 1], padding=[0, 0])  # pairs may be lists
    assert o.shape == (1, 4, 4, 1)


# ---------------------------------------------------------------- gradients

GRAD_CASES = [
    ("conv1d", (2, 7, 3), (4, 3, 3), dict(padding=1)),
    ("conv1d", (2, 11, 3), (4, 3, 3), dict(padding=1, stride=3)),
    ("conv1d", (2, 10, 4), (4, 3, 2), dict(padding=2, dilation=2, groups=2)),
    ("conv1d", (2, 9, 4), (8, 3, 1), dict(padding=1, groups=4)),
    ("conv2d", (2, 6, 5, 3), (4, 3, 2, 3), dict(padding=(1, 0), stride=(2, 1))),
    ("conv2d", (1, 7, 6, 4), (6, 2, 3, 2), dict(padding=1, dilation=(2, 1), groups=2)),
    ("conv3d", (1, 4, 5, 3, 2), (3, 2, 2, 2, 2), dict(padding=(1, 0, 1), stride=(1, 2, 1))),
    ("conv_general", (2, 6, 5, 3), (4, 3, 2, 3), dict(padding=([1, 0], [2, 1]), input_dilation=[2, 1],
                                                     kernel_dilation=[1, 2], flip=True)),
    ("conv_general", (2, 6, 5, 4), (4, 3, 2, 2), dict(padding=([-1, 0], [2, -1]), stride=[2, 1], groups=2,
                                                     flip=True)),
    ("conv_general", (1, 7, 3), (2, 3, 3), dict(stride=2, input_dilation=3, kernel_dilation=2, padding=([2], [1]))),
    ("conv_transpose1d", (2, 5, 3), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (1, 4, 3, 4), (6, 3, 2, 2), dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)),
    ("conv_transpose3d", (1, 3, 2, 3, 2), (2, 2, 3, 2, 2), dict(stride=2, output_padding=(1, 0, 1))),
]


def _fn(mod, name, kw):
    return lambda a, b: getattr(mod, name)(a, b, **kw)


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_vjp_against_mlx(case):
    name, xs, ws, kw = GRAD_CASES[case]
    rng = np.random.default_rng(500 + case)
    x, w = unif(rng, xs), unif(rng, ws)
    out = getattr(mxr, name)(mxr.array(x), mxr.array(w), **kw)
    c = unif(rng, out.shape)
    o_out, o_g = mx.vjp(_fn(mx, name, kw), [mx.array(x), mx.array(w)], [mx.array(c)])
    r_out, r_g = mxr.vjp(_fn(mxr, name, kw), [mxr.array(x), mxr.array(w)], [mxr.array(c)])
    check(o_out[0], r_out[0])
    assert o_g[0].shape == x.shape and o_g[1].shape == w.shape
    for a, b in zip(o_g, r_g):
        if a.shape != b.shape:
            # MLX's input cotangent of a transposed convolution with
            # output_padding has the wrong shape (MLX bug); finite
            # differences check ours below.
            assert "output_padding" in kw
            continue
        check(a, b, scale=10)


def _f64(a):
    return mx.array(np.asarray(a, np.float64), dtype=mx.float64)


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_grads_finite_differences(case):
    """vjp and jvp in float64 against central differences along random
    directions (the op is bilinear, so differences are exact up to rounding)."""
    name, xs, ws, kw = GRAD_CASES[case]
    rng = np.random.default_rng(600 + case)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    f = _fn(mx, name, kw)
    out = np.array(f(_f64(x), _f64(w)))
    c = rng.standard_normal(out.shape)

    def loss(a, b):
        return float(np.sum(np.array(f(_f64(a), _f64(b))) * c))

    _, (gx, gw) = mx.vjp(f, [_f64(x), _f64(w)], [_f64(c)])
    gx, gw = np.array(gx), np.array(gw)
    assert gx.dtype == np.float64 and gx.shape == x.shape and gw.shape == w.shape
    eps = 1e-3
    for _ in range(3):
        tx, tw = rng.standard_normal(xs), rng.standard_normal(ws)
        fd_x = (loss(x + eps * tx, w) - loss(x - eps * tx, w)) / (2 * eps)
        fd_w = (loss(x, w + eps * tw) - loss(x, w - eps * tw)) / (2 * eps)
        np.testing.assert_allclose(np.sum(gx * tx), fd_x, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(np.sum(gw * tw), fd_w, rtol=1e-7, atol=1e-8)
        # jvp: the directional derivative of the output itself
        _, (t_out,) = mx.jvp(f, [_f64(x), _f64(w)], [_f64(tx), _f64(tw)])
        fd = (np.array(f(_f64(x + eps * tx), _f64(w + eps * tw)))
              - np.array(f(_f64(x - eps * tx), _f64(w - eps * tw)))) / (2 * eps)
        np.testing.assert_allclose(np.array(t_out), fd, rtol=1e-6, atol=1e-7)


def test_grad_every_coordinate():
    # A full finite-difference Jacobian check on a small strided, dilated,
    # grouped, flipped case.
    kw = dict(stride=[2], padding=([1], [2]), kernel_dilation=[2], input_dilation=[2], groups=2, flip=True)
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((2, 4, 4)), rng.standard_normal((4, 2, 2))
    f = _fn(mx, "conv_general", kw)
    c = rng.standard_normal(np.array(f(_f64(x), _f64(w))).shape)
    gx, gw = mx.grad(lambda a, b: mx.sum(f(a, b) * _f64(c)), argnums=(0, 1))(_f64(x), _f64(w))
    for val, g, which in ((x, np.array(gx), 0), (w, np.array(gw), 1)):
        fd = np.zeros_like(val)
        for idx in np.ndindex(val.shape):
            e = np.zeros_like(val)
            e[idx] = 1.0
            args_p = [x, w]
            args_m = [x, w]
            args_p[which] = val + e
            args_m[which] = val - e
            fd[idx] = (np.sum(np.array(f(*map(_f64, args_p))) * c)
                       - np.sum(np.array(f(*map(_f64, args_m))) * c)) / 2
        np.testing.assert_allclose(g, fd, rtol=1e-10, atol=1e-10)


def test_grad_dtypes_and_second_order():
    rng = np.random.default_rng(22)
    x, w = unif(rng, (1, 6, 5, 2)), unif(rng, (3, 3, 3, 2))
    for dt in ("float16", "bfloat16"):
        g = mx.grad(lambda a, b: mx.sum(mx.conv2d(a, b, padding=1)), argnums=(0, 1))(
            arr(mx, x, dt), arr(mx, w, dt))
        gr = mxr.grad(lambda a, b: mxr.sum(mxr.conv2d(a, b, padding=1)), argnums=(0, 1))(
            arr(mxr, x, dt), arr(mxr, w, dt))
        for a, b in zip(g, gr):
            check(a, b, dt, scale=50)
    # d/dw <grad_x L, v>: the mixed second derivative, against MLX.
    v = unif(rng, x.shape)

    def mixed(mod):
        def h(a, b):
            gx = mod.grad(lambda a_, b_: mod.sum(mod.conv2d(a_, b_, stride=2, padding=1) ** 2))(a, b)
            return mod.sum(gx * mod.array(v))
        return mod.grad(h, argnums=1)(mod.array(x), mod.array(w))

    check(mixed(mx), mixed(mxr), scale=10)


# ---------------------------------------------------------------- vmap

VMAP_CASES = [
    ("conv1d", (2, 7, 4), (6, 3, 2), dict(padding=1, groups=2)),
    ("conv2d", (2, 5, 6, 3), (4, 3, 2, 3), dict(padding=(1, 0), stride=2)),
    ("conv_transpose2d", (1, 3, 4, 2), (3, 2, 3, 2), dict(stride=2)),
    ("conv_general", (2, 6, 4), (4, 3, 2), dict(groups=2, flip=True, input_dilation=2, padding=([1], [0]))),
    ("conv3d", (1, 3, 4, 3, 2), (2, 2, 2, 2, 2), dict(padding=1)),
]


@pytest.mark.parametrize("case", range(len(VMAP_CASES)))
@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (2, 1), (-1, None), (None, -1), (1, 3)])
def test_vmap_against_loop(case, axes):
    name, xs, ws, kw = VMAP_CASES[case]
    rng = np.random.default_rng(700 + case)
    b = 3
    ax, aw = axes

    def batched(shape, a):
        if a is None:
            return unif(rng, shape)
        a = a % (len(shape) + 1)
        s = list(shape)
        s.insert(a, b)
        return unif(rng, s)

    x, w = batched(xs, ax), batched(ws, aw)
    f = _fn(mx, name, kw)
    out = mx.vmap(f, in_axes=(ax, aw))(mx.array(x), mx.array(w))
    loop = []
    for i in range(b):
        xi = x if ax is None else np.take(x, i, axis=ax)
        wi = w if aw is None else np.take(w, i, axis=aw)
        loop.append(to_numpy(f(mx.array(xi), mx.array(wi))))
    np.testing.assert_allclose(to_numpy(out), np.stack(loop), rtol=1e-5, atol=1e-5)


def test_vmap_of_grad_and_grad_of_vmap():
    rng = np.random.default_rng(31)
    x, w = unif(rng, (4, 1, 6, 3)), unif(rng, (2, 3, 3))

    def loss(a, b):
        return mx.sum(mx.conv1d(a, b, padding=1, stride=2) ** 2)

    per = mx.vmap(mx.grad(loss, argnums=1), in_axes=(0, None))(mx.array(x), mx.array(w))
    loop = np.stack([to_numpy(mx.grad(loss, argnums=1)(mx.array(x[i]), mx.array(w))) for i in range(4)])
    np.testing.assert_allclose(to_numpy(per), loop, rtol=1e-5, atol=1e-5)
    g = mx.grad(lambda a, b: mx.sum(mx.vmap(lambda a_: mx.conv1d(a_, b, padding=1))(a) ** 2), argnums=(0, 1))(
        mx.array(x), mx.array(w))
    gr = mxr.grad(lambda a, b: mxr.sum(mxr.conv1d(a.reshape(4, 6, 3), b, padding=1) ** 2), argnums=(0, 1))(
        mxr.array(x), mxr.array(w))
    check(g[0], gr[0])
    check(g[1], gr[1], scale=10)


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 16, 16, 32), (32, 3, 3, 32), dict(padding=1)),
    ("conv2d", (2, 16, 16, 32), (16, 3, 3, 32), dict(padding=1, stride=2)),
    ("conv2d", (3, 12, 12, 8), (8, 5, 5, 8), dict(padding=2, dilation=1)),
    ("conv2d", (2, 16, 16, 16), (32, 3, 3, 1), dict(padding=1, groups=16)),
    ("conv1d", (2, 300, 64), (64, 5, 64), dict(padding=2)),
    ("conv_transpose2d", (2, 8, 8, 16), (8, 4, 4, 16), dict(stride=2, padding=1)),
])
def test_large_grads_against_mlx(name, xs, ws, kw):
    # Sizes that take the parallel, implicit-GEMM, kernel-major (weight
    # gradient), im2col, phase-split and depthwise paths in both rules.
    rng = np.random.default_rng(sum(xs) + sum(ws))
    x, w = unif(rng, xs), unif(rng, ws)
    out = getattr(mxr, name)(mxr.array(x), mxr.array(w), **kw)
    c = unif(rng, out.shape)
    _, o_g = mx.vjp(_fn(mx, name, kw), [mx.array(x), mx.array(w)], [mx.array(c)])
    _, r_g = mxr.vjp(_fn(mxr, name, kw), [mxr.array(x), mxr.array(w)], [mxr.array(c)])
    for a, b in zip(o_g, r_g):
        check(a, b, scale=300)
