"""quantize / dequantize / quantized_matmul / gather_qmm / to_fp8 / from_fp8
against the reference MLX 0.32.4: packing, scales and biases bit-identical,
products within tolerance, gradients against finite differences and MLX."""

import numpy as np
import pytest

import rmlx.core as mx

mxr = pytest.importorskip("mlx.core")

FLOATS = ["float32", "float16", "bfloat16"]
AFFINE = [(g, b) for g in (32, 64, 128) for b in (1, 2, 3, 4, 5, 6, 8)]
FP = [("mxfp4", 32, 4), ("mxfp8", 32, 8), ("nvfp4", 16, 4)]


def npf(a):
    """float32 NumPy copy of an rmlx or MLX array (exact for half types)."""
    if "float" in str(a.dtype) and "float32" not in str(a.dtype):
        a = a.astype(_f32(a))
    return np.array(a)


def _f32(a):
    return mx.float32 if isinstance(a, mx.array) else mxr.float32


def bits_of(a):
    x = npf(a)
    return x.view(np.uint32) if x.dtype == np.float32 else x


def weights(rng, shape):
    w = rng.standard_normal(shape) * rng.uniform(0.01, 10, shape[:-1] + (1,))
    w = w.astype(np.float32)
    w.reshape(-1, shape[-1])[0, :32] = 0  # an all-zero group
    return w


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("gs,bits", AFFINE)
def test_affine_bit_exact(dtype, gs, bits):
    rng = np.random.default_rng(gs * 10 + bits)
    w = weights(rng, (5, 256))
    a = mx.quantize(mx.array(w).astype(getattr(mx, dtype)), gs, bits)
    b = mxr.quantize(mxr.array(w).astype(getattr(mxr, dtype)), gs, bits)
    assert isinstance(a, list) and len(a) == 3
    for x, y in zip(a, b):
        assert x.shape == y.shape and str(x.dtype)[5:] == str(y.dtype)[4:]
        np.testing.assert_array_equal(bits_of(x), bits_of(y))
    d = mx.dequantize(*a, group_size=gs, bits=bits)
    e = mxr.dequantize(*b, group_size=gs, bits=bits)
    assert str(d.dtype)[5:] == str(e.dtype)[4:]
    np.testing.assert_array_equal(bits_of(d), bits_of(e))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode,gs,bits", FP)
def test_fp_modes_bit_exact(dtype, mode, gs, bits):
    rng = np.random.default_rng(len(mode) + bits)
    w = weights(rng, (2, 3, 128))
    a = mx.quantize(mx.array(w).astype(getattr(mx, dtype)), mode=mode)
    b = mxr.quantize(mxr.array(w).astype(getattr(mxr, dtype)), mode=mode)
    assert len(a) == 2
    for x, y in zip(a, b):
        assert x.shape == y.shape
        np.testing.assert_array_equal(np.array(x), np.array(y))
    for od in [None, "float32", "float16"]:
        kw = {} if od is None else {"dtype": getattr(mx, od)}
        kwr = {} if od is None else {"dtype": getattr(mxr, od)}
        d = mx.dequantize(*a, mode=mode, **kw)
        e = mxr.dequantize(*b, mode=mode, **kwr)
        assert str(d.dtype)[5:] == str(e.dtype)[4:]
        np.testing.assert_array_equal(bits_of(d), bits_of(e))


def test_nvfp4_global_scale_float32():
    rng = np.random.default_rng(3)
    for g in [0.37, 1.0, 2.0, 55.0]:
        w = weights(rng, (8, 64))
        a = mx.quantize(mx.array(w), mode="nvfp4", global_scale=mx.array(g))
        b = mxr.quantize(mxr.array(w), mode="nvfp4", global_scale=mxr.array(g))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(np.array(x), np.array(y))
        d = mx.dequantize(*a, mode="nvfp4", global_scale=mx.array(g), dtype=mx.float32)
        e = mxr.dequantize(*b, mode="nvfp4", global_scale=mxr.array(g), dtype=mxr.float32)
        np.testing.assert_array_equal(np.array(d), np.array(e))


def test_noncontiguous_and_batched_quantize():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((3, 128, 64)).astype(np.float32)
    a = mx.quantize(mx.swapaxes(mx.array(w), -1, -2))
    b = mxr.quantize(mxr.swapaxes(mxr.array(w), -1, -2))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.array(x), np.array(y))


def test_fp8_conversions():
    codes = np.arange(256, dtype=np.uint8)
    for dt in FLOATS:
        x = mx.from_fp8(mx.array(codes), getattr(mx, dt))
        y = mxr.from_fp8(mxr.array(codes), getattr(mxr, dt))
        np.testing.assert_array_equal(npf(x), npf(y))  # NaN payloads aside
    assert mx.from_fp8(mx.array(codes)).dtype == mx.bfloat16
    rng = np.random.default_rng(5)
    v = np.concatenate([rng.standard_normal(2000) * 10, rng.standard_normal(500) * 1e-3,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 448, 464, 1e6, -1e-9]]).astype(np.float32)
    for dt in FLOATS:
        x = mx.to_fp8(mx.array(v).astype(getattr(mx, dt)))
        y = mxr.to_fp8(mxr.array(v).astype(getattr(mxr, dt)))
        assert x.dtype == mx.uint8
        np.testing.assert_array_equal(np.array(x), np.array(y))
    with pytest.raises(ValueError):
        mx.to_fp8(mx.array([1, 2]))
    with pytest.raises(ValueError):
        mx.from_fp8(mx.array([1.0]))


QMM_CASES = [("affine", g, b) for g, b in [(64, 4), (32, 3), (128, 8), (64, 2), (32, 6), (64, 5), (32, 1)]] + FP


@pytest.mark.parametrize("mode,gs,bits", QMM_CASES)
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("m", [1, 3, 20])
def test_quantized_matmul(mode, gs, bits, transpose, m):
    rng = np.random.default_rng(m)
    n, k = (96, 256) if transpose else (128, 96)
    w = rng.standard_normal((n, k) if transpose else (k, n)).astype(np.float32)
    x = rng.standard_normal((2, m, k)).astype(np.float32)
    q = mxr.quantize(mxr.array(w), gs, bits, mode)
    qa = [mx.array(np.array(t)) for t in q]
    kw = dict(transpose=transpose, group_size=gs, bits=bits, mode=mode)
    for dt, tol in [("float32", 1e-4), ("float16", 1e-2)]:
        cast = (lambda t, lib: t.astype(getattr(lib, dt))) if mode == "affine" else (lambda t, lib: t)
        ya = mx.quantized_matmul(mx.array(x).astype(getattr(mx, dt)), qa[0], *[cast(t, mx) for t in qa[1:]], **kw)
        yb = mxr.quantized_matmul(mxr.array(x).astype(getattr(mxr, dt)), q[0], *[cast(t, mxr) for t in q[1:]], **kw)
        assert ya.shape == yb.shape and str(ya.dtype)[5:] == str(yb.dtype)[4:]
        ref = npf(yb)
        np.testing.assert_allclose(npf(ya), ref, atol=tol * np.abs(ref).max(), rtol=0)
    # bfloat16: against the float32 product of the dequantised weights.
    xb = mx.array(x).astype(mx.bfloat16)
    wd = npf(mx.dequantize(*qa, group_size=gs, bits=bits, mode=mode, dtype=mx.float32))
    ref = npf(xb) @ (wd.T if transpose else wd)
    yb = mx.quantized_matmul(xb, qa[0], *[t.astype(mx.bfloat16) if mode == "affine" else t for t in qa[1:]], **kw)
    assert yb.dtype == mx.bfloat16
    np.testing.assert_allclose(npf(yb), ref, atol=2e-2 * np.abs(ref).max(), rtol=0)


def test_quantized_matmul_shapes_and_broadcast():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((3, 64, 128)).astype(np.float32)
    q = mxr.quantize(mxr.array(w))
    qa = [mx.array(np.array(t)) for t in q]
    for xs in [(3, 5, 128), (2, 3, 1, 128)]:
        x = rng.standard_normal(xs).astype(np.float32)
        ya = mx.quantized_matmul(mx.array(x), *qa)
        yb = mxr.quantized_matmul(mxr.array(x), *q)
        assert ya.shape == yb.shape
        np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)
    x = rng.standard_normal((128,)).astype(np.float32)
    w2 = [t[0] for t in qa]
    ya = mx.quantized_matmul(mx.array(x), *w2)
    yb = mxr.quantized_matmul(mxr.array(x), *[t[0] for t in q])
    assert ya.shape == yb.shape == (64,)
    np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)
    # non-contiguous x
    xt = rng.standard_normal((128, 4)).astype(np.float32)
    ya = mx.quantized_matmul(mx.array(xt).T, *w2)
    yb = mxr.quantized_matmul(mxr.array(xt).T, *[t[0] for t in q])
    np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)


def test_large_matvec():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((512, 1024)).astype(np.float32)
    q = mxr.quantize(mxr.array(w), 64, 4)
    qa = [mx.array(np.array(t)) for t in q]
    for m in [1, 4, 32]:
        x = rng.standard_normal((m, 1024)).astype(np.float32)
        ya = mx.quantized_matmul(mx.array(x), *qa)
        yb = mxr.quantized_matmul(mxr.array(x), *q)
        np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=2e-3)


def test_gather_qmm():
    rng = np.random.default_rng(9)
    w = rng.standard_normal((4, 32, 64)).astype(np.float32)
    x = rng.standard_normal((3, 2, 64)).astype(np.float32)
    q = mxr.quantize(mxr.array(w), 32, 4)
    qa = [mx.array(np.array(t)) for t in q]
    li, ri = np.array([0, 2, 1, 1]), np.array([3, 0, 2, 3])
    ya = mx.gather_qmm(mx.array(x), *qa, lhs_indices=mx.array(li), rhs_indices=mx.array(ri), group_size=32)
    yb = mxr.gather_qmm(mxr.array(x), *q, lhs_indices=mxr.array(li), rhs_indices=mxr.array(ri), group_size=32)
    assert ya.shape == yb.shape
    np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)
    ya = mx.gather_qmm(mx.array(x[:1]), *qa, rhs_indices=mx.array(ri), group_size=32)
    yb = mxr.gather_qmm(mxr.array(x[:1]), *q, rhs_indices=mxr.array(ri), group_size=32)
    assert ya.shape == yb.shape
    np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)
    qf = mxr.quantize(mxr.array(w), mode="mxfp4")
    ya = mx.gather_qmm(mx.array(x), *[mx.array(np.array(t)) for t in qf], rhs_indices=mx.array(ri[:3]), mode="mxfp4")
    yb = mxr.gather_qmm(mxr.array(x), *qf, rhs_indices=mxr.array(ri[:3]), mode="mxfp4")
    np.testing.assert_allclose(np.array(ya.astype(mx.float32)), np.array(yb.astype(mxr.float32)), rtol=1e-3, atol=1e-2)


def test_errors():
    w = mx.zeros((4, 64))
    with pytest.raises(ValueError, match="group size 16 is not supported"):
        mx.quantize(w, group_size=16)
    with pytest.raises(ValueError, match="bits 7 is not supported"):
        mx.quantize(w, bits=7)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        mx.quantize(w, mode="foo")
    with pytest.raises(ValueError, match="requires group size 32"):
        mx.quantize(w, mode="mxfp4", group_size=64)
    with pytest.raises(ValueError, match="Only real floating"):
        mx.quantize(mx.zeros((4, 64), mx.int32))
    with pytest.raises(ValueError, match="at least 2"):
        mx.quantize(mx.zeros((64,)))
    with pytest.raises(ValueError, match="divisible"):
        mx.quantize(mx.zeros((2, 48)))
    with pytest.raises(ValueError, match="Global scale must be a scalar"):
        mx.quantize(mx.zeros((2, 32)), mode="nvfp4", global_scale=mx.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="dtype float32"):
        mx.quantize(mx.zeros((2, 32)), mode="nvfp4", global_scale=mx.array(1.0, mx.float16))
    wq, s, b = mx.quantize(w)
    with pytest.raises(ValueError, match="Biases must be provided"):
        mx.dequantize(wq, s)
    with pytest.raises(ValueError, match="Biases must be null"):
        mx.quantized_matmul(mx.zeros((1, 64)), wq, s, b, mode="mxfp4")
    with pytest.raises(ValueError, match="does not match"):
        mx.quantized_matmul(mx.zeros((1, 32)), wq, s, b)
    with pytest.raises(ValueError, match="uint32"):
        mx.quantized_matmul(mx.zeros((1, 64)), s, s, b)
    with pytest.raises(ValueError):
        mx.qqmm(mx.zeros((2, 32)), mx.zeros((2, 32)))
    with pytest.raises(RuntimeError, match="no gradient wrt the quantized weights"):
        mx.grad(lambda w: mx.quantized_matmul(mx.ones((1, 64)), w, s, b).sum())(wq)


def fd_grad(f, x, eps=1e-3):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        g.flat[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_grads():
    rng = np.random.default_rng(10)
    w = rng.standard_normal((8, 64)).astype(np.float32)
    x = rng.standard_normal((2, 64)).astype(np.float32)
    wq, s, b = mx.quantize(mx.array(w), 32, 4)
    wqr, sr, br = mxr.quantize(mxr.array(w), 32, 4)
    wd = np.array(mx.dequantize(wq, s, b, group_size=32)).astype(np.float64)
    # d/dx against finite differences and MLX
    gx = mx.grad(lambda x: (mx.quantized_matmul(x, wq, s, b, group_size=32) ** 2).sum())(mx.array(x))
    fd = fd_grad(lambda xv: ((xv @ wd.T) ** 2).sum(), x)
    np.testing.assert_allclose(np.array(gx), fd, rtol=1e-3, atol=1e-2)
    for tr in [True, False]:
        w2 = rng.standard_normal((64, 64)).astype(np.float32)
        ww = (wq, s, b) if tr else mx.quantize(mx.array(w2), 32, 4)
        wr = (wqr, sr, br) if tr else mxr.quantize(mxr.array(w2), 32, 4)
        xx = x
        args = ww[0], ww[1], ww[2]
        fa = lambda xv, sc, bi: (mx.quantized_matmul(xv, args[0], sc, bi, transpose=tr, group_size=32) ** 2).sum()
        fb = lambda xv, sc, bi: (mxr.quantized_matmul(xv, wr[0], sc, bi, transpose=tr, group_size=32) ** 2).sum()
        ga = mx.grad(fa, argnums=(0, 1, 2))(mx.array(xx), args[1], args[2])
        gb = mxr.grad(fb, argnums=(0, 1, 2))(mxr.array(xx), wr[1], wr[2])
        for p, r in zip(ga, gb):
            np.testing.assert_allclose(np.array(p), np.array(r), rtol=1e-3, atol=1e-3)
    # dequantize grads w.r.t. scales / biases
    ga = mx.grad(lambda sc, bi: (mx.dequantize(wq, sc, bi, group_size=32) ** 2).sum(), argnums=(0, 1))(s, b)
    gb = mxr.grad(lambda sc, bi: (mxr.dequantize(wqr, sc, bi, group_size=32) ** 2).sum(), argnums=(0, 1))(sr, br)
    for p, r in zip(ga, gb):
        np.testing.assert_allclose(np.array(p), np.array(r), rtol=1e-4, atol=1e-4)
    # quantize has zero gradient
    g0 = mx.grad(lambda w: mx.quantize(w)[1].sum())(mx.array(w))
    np.testing.assert_array_equal(np.array(g0), 0)
    # jvp w.r.t. x and scales
    t = rng.standard_normal(x.shape).astype(np.float32)
    _, ja = mx.jvp(lambda xv: mx.quantized_matmul(xv, wq, s, b, group_size=32), [mx.array(x)], [mx.array(t)])
    _, jb = mxr.jvp(lambda xv: mxr.quantized_matmul(xv, wqr, sr, br, group_size=32), [mxr.array(x)], [mxr.array(t)])
    np.testing.assert_allclose(np.array(ja[0]), np.array(jb[0]), rtol=1e-4, atol=1e-3)


def test_vmap():
    rng = np.random.default_rng(11)
    w = rng.standard_normal((3, 16, 64)).astype(np.float32)
    x = rng.standard_normal((3, 2, 64)).astype(np.float32)
    wq, s, b = mx.quantize(mx.array(w), 32, 4)
    f = lambda xv, a, c, d: mx.quantized_matmul(xv, a, c, d, group_size=32)
    out = mx.vmap(f)(mx.array(x), wq, s, b)
    loop = mx.stack([f(mx.array(x[i]), wq[i], s[i], b[i]) for i in range(3)])
    np.testing.assert_allclose(np.array(out), np.array(loop), rtol=1e-5, atol=1e-5)
    out = mx.vmap(f, in_axes=(0, None, None, None))(mx.array(x), wq[0], s[0], b[0])
    loop = mx.stack([f(mx.array(x[i]), wq[0], s[0], b[0]) for i in range(3)])
    np.testing.assert_allclose(np.array(out), np.array(loop), rtol=1e-5, atol=1e-5)
    qs = mx.vmap(lambda a: mx.quantize(a, 32, 4)[0], in_axes=1)(mx.array(w).transpose(1, 0, 2))
    np.testing.assert_array_equal(np.array(qs), np.array(wq))
    dq = mx.vmap(lambda a, c, d: mx.dequantize(a, c, d, group_size=32))(wq, s, b)
    np.testing.assert_array_equal(np.array(dq), np.array(mx.dequantize(wq, s, b, group_size=32)))
    f8 = mx.vmap(mx.to_fp8)(mx.array(w))
    np.testing.assert_array_equal(np.array(f8), np.array(mx.to_fp8(mx.array(w))))
