"""mx.fast: rms_norm, layer_norm, rope, scaled_dot_product_attention and
cross_entropy against NumPy formulas and the reference MLX; gradients by
float64 finite differences and against MLX; vmap against loops."""

import numpy as np
import pytest

from conftest import TOL, make, mx, need_mlx, to_numpy

FLOATS = ["float32", "float16", "bfloat16", "float64"]
# Fused kernels accumulate differently from the references: looser
# tolerances than elementwise ops.
FTOL = {"float32": (2e-5, 2e-5), "float64": (1e-10, 1e-10),
        "float16": (1e-2, 1e-2), "bfloat16": (5e-2, 5e-2)}


def close(got, exp, name="float32"):
    rtol, atol = FTOL[name]
    np.testing.assert_allclose(to_numpy(got).astype(np.float64), exp, rtol=rtol, atol=atol)


def rounded(rng, shape, name):
    """Random data already representable in dtype `name`, as float64."""
    x = rng.standard_normal(shape)
    return to_numpy(make(mx, x, name)).astype(np.float64)


# ----------------------------------------------------------------- references

def np_rms(x, w, eps):
    y = x / np.sqrt(np.mean(x * x, -1, keepdims=True) + eps)
    return y if w is None else y * w


def np_ln(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def np_rope(x, dims, traditional, base, scale, offset, freqs=None):
    x = np.asarray(x, np.float64)
    T = x.shape[-2]
    half = dims // 2
    inv = 1.0 / np.asarray(freqs, np.float64) if freqs is not None else base ** (-np.arange(half) / half)
    off = np.asarray(offset).reshape(-1)
    pos = np.arange(T)[None, :] + off[:, None]  # (B or 1, T)
    th = pos[..., None] * scale * inv  # (B|1, T, half)
    shp = (th.shape[0],) + (1,) * (x.ndim - 3) + th.shape[1:]
    c, s = np.cos(th).reshape(shp), np.sin(th).reshape(shp)
    out = x.copy()
    if traditional:
        x1, x2 = x[..., 0:dims:2], x[..., 1:dims:2]
        out[..., 0:dims:2] = x1 * c - x2 * s
        out[..., 1:dims:2] = x1 * s + x2 * c
    else:
        x1, x2 = x[..., :half], x[..., half:dims]
        out[..., :half] = x1 * c - x2 * s
        out[..., half:dims] = x1 * s + x2 * c
    return out


def np_sdpa(q, k, v, scale, mask=None, sinks=None):
    B, Hq, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    rep = Hq // Hkv
    k = np.repeat(k, rep, axis=1)
    v = np.repeat(v, rep, axis=1)
    s = scale * q @ np.swapaxes(k, -1, -2)
    if isinstance(mask, str):
        m = (np.arange(Lq)[:, None] + Lk - Lq) >= np.arange(Lk)[None]
        s = np.where(m, s, np.finfo(np.float32).min)
    elif mask is not None and mask.dtype == bool:
        s = np.where(mask, s, np.finfo(np.float32).min)
    elif mask is not None:
        s = s + mask
    if sinks is not None:
        sk = np.broadcast_to(np.asarray(sinks)[None, :, None, None], s.shape[:-1] + (1,))
        s = np.concatenate([sk, s], -1)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(-1, keepdims=True)
    if sinks is not None:
        p = p[..., 1:]
    return p @ v


def np_ce(logits, t):
    m = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(-1)) + m[..., 0]
    return lse - np.take_along_axis(logits, t[..., None], -1)[..., 0]


# ------------------------------------------------------------------ forward

@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 33), (4, 1024), (0, 8)])
def test_rms_norm(name, shape):
    rng = np.random.default_rng(0)
    x = rounded(rng, shape, name)
    w = rounded(rng, shape[-1:], name)
    out = mx.fast.rms_norm(make(mx, x, name), make(mx, w, name), 1e-5)
    assert out.dtype == getattr(mx, name) and out.shape == shape
    close(out, np_rms(x, w, 1e-5), name)
    close(mx.fast.rms_norm(make(mx, x, name), None, 1e-4), np_rms(x, None, 1e-4), name)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 33), (4, 1024)])
@pytest.mark.parametrize("affine", ["none", "w", "b", "wb"])
def test_layer_norm(name, shape, affine):
    rng = np.random.default_rng(1)
    x = rounded(rng, shape, name) * 3 + 1
    w = rounded(rng, shape[-1:], name) if "w" in affine else None
    b = rounded(rng, shape[-1:], name) if "b" in affine else None
    arr = lambda a: None if a is None else make(mx, a, name)
    out = mx.fast.layer_norm(make(mx, x, name), arr(w), arr(b), 1e-5)
    assert out.dtype == getattr(mx, name)
    close(out, np_ln(x, w, b, 1e-5), name)


def test_norm_noncontiguous_and_promotion():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    xt = mx.array(x).T  # (5, 6), strided
    w = rng.standard_normal(6).astype(np.float32)
    close(mx.fast.rms_norm(xt, mx.array(w), 1e-5), np_rms(x.T.astype(np.float64), w, 1e-5))
    close(mx.fast.layer_norm(xt, mx.array(w)[::1], None, 1e-5), np_ln(x.T.astype(np.float64), w, None, 1e-5))
    # weight of a wider type promotes the output
    out = mx.fast.rms_norm(xt.astype(mx.float16), mx.array(w), 1e-5)
    assert out.dtype == mx.float32
    wr = mx.array(w[::-1].copy())[::-1]  # reversed view
    close(mx.fast.rms_norm(mx.array(x.T.copy()), wr, 1e-5), np_rms(x.T.astype(np.float64), w, 1e-5))


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("traditional", [False, True])
@pytest.mark.parametrize("dims_of", ["full", "part"])
def test_rope(name, traditional, dims_of):
    rng = np.random.default_rng(3)
    shape = (2, 3, 5, 8)
    x = rounded(rng, shape, name)
    dims = 8 if dims_of == "full" else 4
    for offset in [0, 3, mx.array(2), mx.array([1, 7])]:
        off_np = np.array(offset) if isinstance(offset, mx.array) else offset
        out = mx.fast.rope(make(mx, x, name), dims, traditional=traditional, base=10000.0,
                           scale=0.5, offset=offset)
        assert out.dtype == getattr(mx, name)
        close(out, np_rope(x, dims, traditional, 10000.0, 0.5, off_np), name)
    freqs = rng.uniform(0.5, 2.0, dims // 2).astype(np.float32)
    out = mx.fast.rope(make(mx, x, name), dims, traditional=traditional, base=None, scale=1.0,
                       offset=2, freqs=mx.array(freqs))
    close(out, np_rope(x, dims, traditional, None, 1.0, 2, freqs), name)


def test_rope_3d_and_5d():
    rng = np.random.default_rng(4)
    for shape in [(3, 4, 6), (2, 2, 3, 4, 6)]:
        x = rng.standard_normal(shape).astype(np.float32)
        off = mx.array(list(range(1, shape[0] + 1)), dtype=mx.int64)
        out = mx.fast.rope(mx.array(x), 6, traditional=False, base=100.0, scale=1.0, offset=off)
        close(out, np_rope(x, 6, False, 100.0, 1.0, np.arange(1, shape[0] + 1)))


@pytest.mark.parametrize("name", FLOATS)
def test_sdpa_basic(name):
    rng = np.random.default_rng(5)
    B, Hq, Hkv, Lq, Lk, D = 2, 4, 2, 5, 7, 8
    q, k, v = (rounded(rng, s, name) for s in [(B, Hq, Lq, D), (B, Hkv, Lk, D), (B, Hkv, Lk, D)])
    mk = lambda a: make(mx, a, name)
    scale = float(np.float32(D ** -0.5))  # the op's scale is a float32
    close(mx.fast.scaled_dot_product_attention(mk(q), mk(k), mk(v), scale=scale),
          np_sdpa(q, k, v, scale), name)
    close(mx.fast.scaled_dot_product_attention(mk(q), mk(k), mk(v), scale=scale, mask="causal"),
          np_sdpa(q, k, v, scale, "causal"), name)
    bm = rng.random((Lq, Lk)) > 0.3
    close(mx.fast.scaled_dot_product_attention(mk(q), mk(k), mk(v), scale=scale, mask=mx.array(bm)),
          np_sdpa(q, k, v, scale, bm), name)
    am = rounded(rng, (Hq, 1, Lk), name)
    close(mx.fast.scaled_dot_product_attention(mk(q), mk(k), mk(v), scale=scale, mask=mk(am)),
          np_sdpa(q, k, v, scale, am), name)
    sinks = rounded(rng, (Hq,), name)
    close(mx.fast.scaled_dot_product_attention(mk(q), mk(k), mk(v), scale=scale, mask="causal",
                                               sinks=mk(sinks)),
          np_sdpa(q, k, v, scale, "causal", sinks), name)


@pytest.mark.parametrize("L", [(1, 300), (300, 300), (70, 517), (5, 3)])
def test_sdpa_long_blocks(L):
    """Sequences longer than one query / key block, decode (Lq=1), Lq > Lk."""
    rng = np.random.default_rng(6)
    Lq, Lk = L
    q = rng.standard_normal((1, 4, Lq, 16)).astype(np.float32)
    k = rng.standard_normal((1, 1, Lk, 16)).astype(np.float32)
    v = rng.standard_normal((1, 1, Lk, 24)).astype(np.float32)
    for mask in [None, "causal"]:
        out = mx.fast.scaled_dot_product_attention(mx.array(q), mx.array(k), mx.array(v), scale=0.3, mask=mask)
        assert out.shape == (1, 4, Lq, 24)
        close(out, np_sdpa(q.astype(np.float64), k, v, 0.3, mask))


def test_sdpa_noncontiguous_and_mlx():
    mxr = need_mlx()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 9, 4, 16)).astype(np.float32)  # (B, L, H, D)
    q = mx.array(x).transpose(0, 2, 1, 3)
    qr = mxr.array(x).transpose(0, 2, 1, 3)
    for mask in [None, "causal"]:
        got = mx.fast.scaled_dot_product_attention(q, q, q, scale=0.25, mask=mask)
        exp = mxr.fast.scaled_dot_product_attention(qr, qr, qr, scale=0.25, mask=mask)
        np.testing.assert_allclose(np.array(got), np.array(exp), rtol=1e-5, atol=1e-5)
    # fully masked rows (bool all False, causal with Lq > Lk) match MLX
    allf = np.zeros((9, 9), bool)
    got = mx.fast.scaled_dot_product_attention(q, q, q, scale=0.25, mask=mx.array(allf))
    exp = mxr.fast.scaled_dot_product_attention(qr, qr, qr, scale=0.25, mask=mxr.array(allf))
    np.testing.assert_allclose(np.array(got), np.array(exp), rtol=1e-5, atol=1e-5)
    got = mx.fast.scaled_dot_product_attention(q, q[:, :, :4], q[:, :, :4], scale=0.25, mask="causal")
    exp = mxr.fast.scaled_dot_product_attention(qr, qr[:, :, :4], qr[:, :, :4], scale=0.25, mask="causal")
    np.testing.assert_allclose(np.array(got), np.array(exp), rtol=1e-5, atol=1e-5)
    ninf = np.full((9, 9), -np.inf, np.float32)
    got = mx.fast.scaled_dot_product_attention(q, q, q, scale=0.25, mask=mx.array(ninf))
    assert np.isnan(np.array(got)).all()


@pytest.mark.parametrize("name", ["float32", "float16", "float64"])
def test_cross_entropy(name):
    rng = np.random.default_rng(8)
    logits = rounded(rng, (3, 4, 11), name) * 3
    t = rng.integers(0, 11, (3, 4))
    out = mx.fast.cross_entropy(make(mx, logits, name), mx.array(t))
    assert out.dtype == mx.float32 and out.shape == (3, 4)
    close(out, np_ce(logits, t), "float32" if name != "float16" else name)
    t8 = mx.array(t.astype(np.uint8))
    close(mx.fast.cross_entropy(make(mx, logits, name), t8), np_ce(logits, t), "float32" if name != "float16" else name)


def test_against_mlx_forward():
    mxr = need_mlx()
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 6, 16)).astype(np.float32)
    w = rng.standard_normal(16).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    pairs = [
        (lambda m, a: m.fast.rms_norm(a, m.array(w), 1e-6)),
        (lambda m, a: m.fast.layer_norm(a, m.array(w), m.array(b), 1e-6)),
        (lambda m, a: m.fast.layer_norm(a, None, None, 1e-6)),
        (lambda m, a: m.fast.rope(a, 8, traditional=True, base=500.0, scale=2.0, offset=m.array([1, 2, 3]))),
        (lambda m, a: m.fast.rope(a, 16, traditional=False, base=10000.0, scale=1.0, offset=5)),
        (lambda m, a: m.fast.scaled_dot_product_attention(a, a[:, :2], a[:, :2], scale=0.3, mask="causal",
                                                          sinks=m.array(w[:4]))),
        (lambda m, a: m.fast.cross_entropy(a, m.array(np.arange(72).reshape(3, 4, 6) % 16))),
    ]
    for f in pairs:
        got, exp = f(mx, mx.array(x)), f(mxr, mxr.array(x))
        assert got.shape == exp.shape and str(got.dtype)[-7:] == str(exp.dtype)[-7:]
        np.testing.assert_allclose(np.array(got), np.array(exp), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- errors

def test_errors():
    x = mx.ones((2, 3, 4))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        mx.fast.rms_norm(mx.array(1.0), None, 1e-5)
    with pytest.raises(ValueError, match="must have 1 dimension"):
        mx.fast.rms_norm(x, mx.ones((2, 4)), 1e-5)
    with pytest.raises(ValueError, match="same size"):
        mx.fast.layer_norm(x, None, mx.ones((3,)), 1e-5)
    with pytest.raises(ValueError, match="unsupported type int32"):
        mx.fast.rms_norm(mx.ones((2, 3), mx.int32), None, 1e-5)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        mx.fast.rope(mx.ones((3, 4)), 4, traditional=False, base=1.0, scale=1.0, offset=0)
    with pytest.raises(ValueError, match="Neither base nor freqs"):
        mx.fast.rope(x, 4, traditional=False, base=None, scale=1.0, offset=0)
    with pytest.raises(ValueError, match="Only one of base or freqs"):
        mx.fast.rope(x, 4, traditional=False, base=1.0, scale=1.0, offset=0, freqs=mx.ones(2))
    with pytest.raises(ValueError, match="even"):
        mx.fast.rope(x, 3, traditional=False, base=1.0, scale=1.0, offset=0)
    with pytest.raises(ValueError, match="must not exceed"):
        mx.fast.rope(x, 6, traditional=False, base=1.0, scale=1.0, offset=0)
    with pytest.raises(ValueError, match="offset must be an integer"):
        mx.fast.rope(x, 4, traditional=False, base=1.0, scale=1.0, offset=mx.array(1.5))
    with pytest.raises(ValueError, match="scalar or vector with 2"):
        mx.fast.rope(x, 4, traditional=False, base=1.0, scale=1.0, offset=mx.array([1, 2, 3]))
    q = mx.ones((1, 2, 3, 4))
    sdpa = mx.fast.scaled_dot_product_attention
    with pytest.raises(ValueError, match="invalid mask option"):
        sdpa(q, q, q, scale=1.0, mask="foo")
    with pytest.raises(ValueError, match="rank 4"):
        sdpa(q[0], q, q, scale=1.0)
    with pytest.raises(ValueError, match="multiple of n_kv_heads"):
        sdpa(mx.ones((1, 3, 3, 4)), q, q, scale=1.0)
    with pytest.raises(ValueError, match="matching last dimension"):
        sdpa(q, q[..., :3], q, scale=1.0)
    with pytest.raises(ValueError, match="invalid shape for sinks"):
        sdpa(q, q, q, scale=1.0, sinks=mx.zeros((3,)))
    with pytest.raises(ValueError, match="Mask type must promote"):
        sdpa(q, q, q, scale=1.0, mask=mx.zeros((3, 3), mx.float64))
    with pytest.raises(ValueError, match="unsupported type int32"):
        sdpa(q.astype(mx.int32), q.astype(mx.int32), q.astype(mx.int32), scale=1.0)
    with pytest.raises(ValueError):
        sdpa(q, q, q, scale=1.0, mask=mx.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="does not match logits"):
        mx.fast.cross_entropy(mx.ones((3, 5)), mx.array([1, 2]))
    with pytest.raises(ValueError, match="integer class indices"):
        mx.fast.cross_entropy(mx.ones((3, 5)), mx.array([1.0, 2, 3]))
    for f in (lambda: mx.fast.metal_kernel("k", ["x"], ["y"], ""),
              lambda: mx.fast.cuda_kernel("k", ["x"], ["y"], "")):
        with pytest.raises(RuntimeError):
            f()


# ---------------------------------------------------------------- gradients

def fd_grad(f, args, i, eps=1e-6):
    """Central finite differences of sum(f(*args) * cot) w.r.t. args[i]
    (float64 NumPy inputs)."""
    base = [np.array(a, np.float64) for a in args]
    g = np.zeros_like(base[i])
    flat = g.reshape(-1)
    for j in range(flat.size):
        for sgn in (1, -1):
            a = [b.copy() for b in base]
            a[i].reshape(-1)[j] += sgn * eps
            val = float(np.array(f(*[mx.array(t, dtype=mx.float64) for t in a])).sum())
            flat[j] += sgn * val / (2 * eps)
    return g


def weighted(f, cot):
    c = mx.array(cot, dtype=mx.float64)
    return lambda *a: (f(*a) * c).sum()


def check_grads(f, args, argnums, rng):
    out = f(*[mx.array(a, dtype=mx.float64) for a in args])
    cot = rng.standard_normal(out.shape)
    loss = weighted(f, cot)
    grads = mx.grad(loss, argnums=argnums)(*[mx.array(a, dtype=mx.float64) for a in args])
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    for i, g in zip(argnums, grads):
        np.testing.assert_allclose(np.array(g), fd_grad(loss, args, i), rtol=1e-5, atol=1e-6)
    # jvp: directional derivative against finite differences
    tans = [rng.standard_normal(np.shape(args[i])) for i in argnums]

    def sub(*xs):
        full = list(args)
        for i, x in zip(argnums, xs):
            full[i] = x
        return f(*[a if isinstance(a, mx.array) else mx.array(a, dtype=mx.float64) for a in full])

    _, jv = mx.jvp(sub, [mx.array(args[i], dtype=mx.float64) for i in argnums],
                   [mx.array(t, dtype=mx.float64) for t in tans])
    h = 1e-6
    plus = sub(*[mx.array(np.asarray(args[i]) + h * t, dtype=mx.float64) for i, t in zip(argnums, tans)])
    minus = sub(*[mx.array(np.asarray(args[i]) - h * t, dtype=mx.float64) for i, t in zip(argnums, tans)])
    np.testing.assert_allclose(np.array(jv[0]), (np.array(plus) - np.array(minus)) / (2 * h), rtol=1e-5, atol=1e-6)


def test_grad_norms():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal(5)
    b = rng.standard_normal(5)
    check_grads(lambda x, w: mx.fast.rms_norm(x, w, 1e-5), [x, w], [0, 1], rng)
    check_grads(lambda x: mx.fast.rms_norm(x, None, 1e-5), [x], [0], rng)
    check_grads(lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5), [x, w, b], [0, 1, 2], rng)
    check_grads(lambda x: mx.fast.layer_norm(x, None, None, 1e-5), [x], [0], rng)


def test_grad_rope_sdpa_ce():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2, 3, 6))
    for trad in (False, True):
        check_grads(lambda x: mx.fast.rope(x, 4, traditional=trad, base=100.0, scale=1.5,
                                           offset=mx.array([1, 3])), [x], [0], rng)
    q = rng.standard_normal((1, 4, 3, 4))
    k = rng.standard_normal((1, 2, 5, 4))
    v = rng.standard_normal((1, 2, 5, 3))
    sk = mx.array(rng.standard_normal(4), dtype=mx.float64)
    am = mx.array(rng.standard_normal((3, 5)), dtype=mx.float64)
    check_grads(lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.7, mask="causal"),
                [q, k, v], [0, 1, 2], rng)
    check_grads(lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.7, mask=am, sinks=sk),
                [q, k, v], [0, 1, 2], rng)
    # cross_entropy's output is float32 whatever the logits: check its
    # gradient against the closed form softmax - one_hot instead.
    logits = rng.standard_normal((4, 7))
    t = np.array([0, 6, 3, -1])
    cot = rng.standard_normal(4)
    g = mx.grad(lambda l: (mx.fast.cross_entropy(l, mx.array(t)) * mx.array(cot)).sum())(
        mx.array(logits, dtype=mx.float64))
    sm = np.exp(logits - logits.max(-1, keepdims=True))
    sm /= sm.sum(-1, keepdims=True)
    exp = (sm - np.eye(7)[t]) * cot[:, None]
    assert g.dtype == mx.float64
    np.testing.assert_allclose(np.array(g), exp, rtol=1e-6, atol=1e-7)
    _, jv = mx.jvp(lambda l: mx.fast.cross_entropy(l, mx.array(t)), [mx.array(logits, dtype=mx.float64)],
                   [mx.array(cot[:, None] * np.ones((4, 7)), dtype=mx.float64)])
    np.testing.assert_allclose(np.array(jv[0]), np.zeros(4), atol=1e-6)


def test_grads_against_mlx():
    mxr = need_mlx()
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 4, 5, 8)).astype(np.float32)
    w = rng.standard_normal(8).astype(np.float32)
    fs = [
        lambda m, a, w: m.fast.rms_norm(a, w, 1e-5),
        lambda m, a, w: m.fast.layer_norm(a, w, w * 0.5, 1e-5),
        lambda m, a, w: m.fast.rope(a, 8, traditional=False, base=1e4, scale=1.0, offset=2) * w,
        lambda m, a, w: m.fast.scaled_dot_product_attention(a, a[:, :2] * 0.5, a[:, :2], scale=0.35,
                                                            mask="causal") * w,
        lambda m, a, w: m.fast.cross_entropy(a * w, m.array(np.arange(40).reshape(2, 4, 5) % 8)),
    ]
    for f in fs:
        g = mx.grad(lambda a, w: (f(mx, a, w) ** 2).sum(), argnums=(0, 1))(mx.array(x), mx.array(w))
        gr = mxr.grad(lambda a, w: (f(mxr, a, w) ** 2).sum(), argnums=(0, 1))(mxr.array(x), mxr.array(w))
        for a, b in zip(g, gr):
            np.testing.assert_allclose(np.array(a), np.array(b), rtol=2e-4, atol=2e-4)


def test_second_order():
    rng = np.random.default_rng(13)
    x = mx.array(rng.standard_normal((3, 6)), dtype=mx.float64)

    def g(x):
        return mx.grad(lambda x: (mx.fast.layer_norm(x, None, None, 1e-5) ** 3).sum())(x).sum()

    got = mx.grad(g)(x)
    xn = np.array(x)
    eps = 1e-5
    num = np.zeros_like(xn)
    for j in range(xn.size):
        a, b = xn.copy(), xn.copy()
        a.reshape(-1)[j] += eps
        b.reshape(-1)[j] -= eps
        num.reshape(-1)[j] = (g(mx.array(a, dtype=mx.float64)).item() - g(mx.array(b, dtype=mx.float64)).item()) / (2 * eps)
    np.testing.assert_allclose(np.array(got), num, rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------- vmap

def loop(f, *args, axes):
    n = [a.shape[ax] for a, ax in zip(args, axes) if ax is not None][0]
    outs = []
    for i in range(n):
        outs.append(f(*[a if ax is None else mx.take(a, i, axis=ax) for a, ax in zip(args, axes)]))
    return mx.stack(outs)


@pytest.mark.parametrize("case", range(7))
def test_vmap(case):
    rng = np.random.default_rng(20 + case)
    r = lambda *s: mx.array(rng.standard_normal(s).astype(np.float32))
    if case == 0:
        f, args, axes = (lambda x, w: mx.fast.rms_norm(x, w, 1e-5)), [r(3, 4, 5), r(5)], (1, None)
    elif case == 1:
        f, args, axes = (lambda x, w: mx.fast.rms_norm(x, w, 1e-5)), [r(3, 5), r(3, 5)], (0, 0)
    elif case == 2:
        f, args, axes = (lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5)), [r(4, 5, 3), r(5), r(3, 5)], (2, None, 0)
    elif case == 3:
        f = lambda x, o: mx.fast.rope(x, 4, traditional=False, base=10.0, scale=1.0, offset=o)
        args, axes = [r(3, 2, 2, 5, 6), mx.array([[1, 2], [3, 4], [5, 6]])], (0, 0)
    elif case == 4:
        f = lambda x: mx.fast.rope(x, 6, traditional=True, base=10.0, scale=1.0, offset=mx.array([2, 9]))
        args, axes = [r(2, 3, 4, 6)], (1,)
    elif case == 5:
        m = mx.array(rng.random((4, 3, 5)) > 0.3)
        f = lambda q, k, v, m: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5, mask=m)
        args, axes = [r(4, 1, 2, 3, 8), r(1, 1, 5, 8), r(4, 1, 1, 5, 8), m], (0, None, 0, 0)
    else:
        f = lambda l, t: mx.fast.cross_entropy(l, t)
        args, axes = [r(3, 4, 6), mx.array(rng.integers(0, 6, (4, 3)))], (0, 1)
    got = mx.vmap(f, in_axes=axes)(*args)
    exp = loop(f, *args, axes=axes)
    np.testing.assert_allclose(np.array(got), np.array(exp), rtol=1e-5, atol=1e-5)


def test_vmap_sdpa_sinks_mapped():
    rng = np.random.default_rng(30)
    r = lambda *s: mx.array(rng.standard_normal(s).astype(np.float32))
    q, sk = r(3, 1, 2, 4, 8), r(3, 2)
    f = lambda q, s: mx.fast.scaled_dot_product_attention(q, q, q, scale=0.5, mask="causal", sinks=s)
    got = mx.vmap(f)(q, sk)
    np.testing.assert_allclose(np.array(got), np.array(loop(f, q, sk, axes=(0, 0))), rtol=1e-5, atol=1e-5)
