"""matmul, the `@` operators and addmm: every product form (vector,
matrix, batched, broadcast batch, tall batch with a shared right operand),
the inexact dtypes (float16, bfloat16, float32, float64, complex64),
transposed / strided / broadcast operands, empty axes (k = 0 gives
zeros), MLX's errors; against NumPy (float64 accumulation) and the
reference MLX. Transformation rules: vjp/jvp against MLX and float64
finite differences, vmap against a Python loop."""

import numpy as np
import pytest

from conftest import TOL, make, mx, to_numpy

mxr = pytest.importorskip("mlx.core")

INEXACT = ["float16", "bfloat16", "float32", "float64", "complex64"]
# Tolerances relative to the product's scale (sqrt(k) * |a| * |b|).
PTOL = {"float16": 4e-3, "bfloat16": 3e-2, "float32": 2e-6, "float64": 1e-13, "complex64": 2e-6}


def rand(rng, shape, name="float32"):
    if name == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    if name == "float64":
        return rng.standard_normal(shape)
    x = rng.standard_normal(shape).astype(np.float32)
    if name in ("float16", "bfloat16"):
        # Values exactly representable in the half type.
        x = np.array(mxr.array(x).astype(getattr(mxr, name)).astype(mxr.float32))
    return x


def ref_product(a, b):
    kind = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(b) else np.float64
    return np.matmul(a.astype(kind), b.astype(kind))


def check(out, a, b, name):
    exp = ref_product(a, b)
    got = to_numpy(out)
    assert got.shape == exp.shape, (got.shape, exp.shape)
    k = a.shape[-1] if a.ndim else 1
    scale = np.sqrt(max(k, 1)) * 4
    np.testing.assert_allclose(got.astype(exp.dtype), exp, rtol=PTOL[name] * 10, atol=PTOL[name] * scale)


SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)),          # tall batch: flattened into one product
    ((2, 3), (5, 3, 4)),          # right batch, left broadcast
    ((2, 1, 4, 3), (5, 3, 2)),    # broadcast batch axes
    ((7, 2, 3), (7, 3, 1)),
    ((3,), (6, 3, 2)),
    ((4, 2, 3), (3,)),
    ((2, 65, 33), (2, 33, 70)),   # larger than the kernels' blocks
    ((1, 200), (200, 300)),       # matrix-vector
    ((300, 200), (200,)),
    ((300, 200), (200, 1)),
]


@pytest.mark.parametrize("name", INEXACT)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_forms_and_dtypes(rng, name, sa, sb):
    a, b = rand(rng, sa, name), rand(rng, sb, name)
    out = mx.matmul(make(mx, a, name), make(mx, b, name))
    assert out.dtype == getattr(mx, name)
    check(out, a, b, name)
    ref = mxr.matmul(make(mxr, a, name), make(mxr, b, name))
    assert out.shape == ref.shape


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex64"])
def test_operator_matches_function(rng, name):
    a, b = rand(rng, (4, 5), name), rand(rng, (5, 3), name)
    x, y = make(mx, a, name), make(mx, b, name)
    want = to_numpy(mx.matmul(x, y))
    np.testing.assert_array_equal(to_numpy(x @ y), want)
    z = x
    z @= y
    # As in MLX the in-place form updates the object itself.
    assert z is x
    np.testing.assert_array_equal(to_numpy(x), want)


def test_rmatmul_converts_array_likes():
    y = mx.array([[1.0, 2.0], [3.0, 4.0]])
    out = [[1.0, 0.0], [0.0, 2.0]] @ y
    np.testing.assert_array_equal(to_numpy(out), [[1.0, 2.0], [6.0, 8.0]])
    np.testing.assert_array_equal(to_numpy(y.__rmatmul__(y)), to_numpy(y @ y))


def test_operator_refuses_non_arrays_like_mlx():
    x = mx.ones((2, 2))
    for other in (2.0, [[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2), np.float32)):
        with pytest.raises(TypeError):
            x @ other
        with pytest.raises(TypeError):
            mxr.ones((2, 2)) @ other
    with pytest.raises(TypeError):
        mx.matmul([[1.0]], [[1.0]])


def test_mixed_dtypes_promote_like_mlx(rng):
    pairs = [("int32", "float16"), ("int32", "float32"), ("float16", "float32"),
             ("bfloat16", "float16"), ("float32", "complex64"), ("int8", "bfloat16"),
             ("float64", "float32"), ("uint8", "float64")]
    for da, db in pairs:
        a = rng.integers(-3, 3, (3, 4)).astype(np.float32)
        b = rng.integers(-3, 3, (4, 2)).astype(np.float32)
        o = mx.matmul(make(mx, a, da), make(mx, b, db))
        r = mxr.matmul(make(mxr, a, da), make(mxr, b, db))
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1], (da, db)
        np.testing.assert_allclose(to_numpy(o).astype(np.complex128), to_numpy(r).astype(np.complex128))


@pytest.mark.parametrize("name", ["int32", "int8", "uint8", "int64", "bool_"])
def test_integer_products_are_refused_like_mlx(name):
    a = mx.ones((2, 3), dtype=getattr(mx, name))
    b = mx.ones((3, 2), dtype=getattr(mx, name))
    with pytest.raises(ValueError) as e:
        mx.matmul(a, b)
    with pytest.raises(ValueError) as r:
        mxr.matmul(mxr.ones((2, 3), dtype=getattr(mxr, name)), mxr.ones((3, 2), dtype=getattr(mxr, name)))
    assert str(e.value) == str(r.value)
    with pytest.raises(ValueError):
        a @ b


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 2)), ((3,), (4, 2)), ((2, 3), (2,)),
                                   ((), (3,)), ((3,), ()), ((2, 5, 3), (4, 3, 2))])
def test_shape_errors_match_mlx(sa, sb):
    with pytest.raises(ValueError) as e:
        mx.matmul(mx.ones(sa), mx.ones(sb))
    with pytest.raises(ValueError) as r:
        mxr.matmul(mxr.ones(sa), mxr.ones(sb))
    assert str(e.value) == str(r.value)


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "float64", "complex64"])
def test_empty_axes(name):
    dtm = getattr(mx, name)
    out = mx.matmul(mx.ones((2, 0), dtype=dtm), mx.ones((0, 3), dtype=dtm))
    assert out.shape == (2, 3) and out.dtype == dtm
    assert not np.any(to_numpy(out))
    assert mx.matmul(mx.ones((0, 3), dtype=dtm), mx.ones((3, 2), dtype=dtm)).shape == (0, 2)
    assert mx.matmul(mx.ones((4, 0, 3), dtype=dtm), mx.ones((3, 2), dtype=dtm)).shape == (4, 0, 2)
    assert mx.matmul(mx.ones((0, 2, 3), dtype=dtm), mx.ones((0, 3, 2), dtype=dtm)).shape == (0, 2, 2)
    v = mx.matmul(mx.ones((0,), dtype=dtm), mx.ones((0,), dtype=dtm))
    assert v.shape == () and to_numpy(v) == 0


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "complex64"])
def test_transposed_strided_and_broadcast_operands(rng, name):
    base_a = rand(rng, (6, 8, 10), name)
    base_b = rand(rng, (10, 9, 6), name)
    xa, xb = make(mx, base_a, name), make(mx, base_b, name)
    cases = [
        (lambda x: x[:, ::2, 1::3].swapaxes(1, 2), lambda y: y[::3, ::2, :].transpose(2, 0, 1)),
        (lambda x: x[0].T, lambda y: y[:, 0, :6].T[:, ::-1].T),
        (lambda x: x[:, :, ::-1][..., :4], lambda y: y[1:5, 0, :]),
        (lambda x: x[1, 2], lambda y: y[:, 3, :]),                   # vector @ matrix
        (lambda x: x[:, 0, :6], lambda y: y[0, 0]),                  # matrix @ strided vector
    ]
    for fa, fb in cases:
        a, b = fa(base_a), fb(base_b)
        if a.shape[-1] != (b.shape[0] if b.ndim == 1 else b.shape[-2]):
            continue
        check(mx.matmul(fa(xa), fb(xb)), a, b, name)
    # Broadcast (stride-0) operands.
    row = rand(rng, (1, 5), name)
    col = rand(rng, (5, 1), name)
    a = np.broadcast_to(row, (4, 5))
    b = np.broadcast_to(col, (5, 3))
    ra = mx.broadcast_to(make(mx, row, name), (4, 5))
    rb = mx.broadcast_to(make(mx, col, name), (5, 3))
    check(mx.matmul(ra, rb), a, b, name)
    check(mx.matmul(mx.broadcast_to(make(mx, base_a[0], name), (3, 8, 10)), make(mx, base_b[:, 0], name)),
          np.broadcast_to(base_a[0], (3, 8, 10)), base_b[:, 0], name)


def test_large_products_match_numpy(rng):
    for (m, k, n) in [(257, 300, 129), (1024, 64, 512), (1, 4096, 4096), (4096, 1024, 1)]:
        a, b = rand(rng, (m, k)), rand(rng, (k, n))
        check(mx.matmul(mx.array(a), mx.array(b)), a, b, "float32")
        check(mx.array(a) @ mx.array(b.T).T, a, b, "float32")
    w, x = rand(rng, (512, 300)), rand(rng, (1, 300))
    check(mx.array(x) @ mx.array(w).T, x, w.T, "float32")
    a, b = rand(rng, (64, 48, 40)), rand(rng, (64, 40, 56))
    check(mx.matmul(mx.array(a), mx.array(b)), a, b, "float32")


def test_half_products_accumulate_in_float32(rng):
    # 4096 terms of 1 + 1/2048: float16 accumulation would lose them.
    k = 4096
    a = np.full((1, k), 1.0, np.float32)
    b = np.full((k, 2), 1.0 + 1.0 / 1024, np.float32)
    for name in ("float16", "bfloat16"):
        out = mx.matmul(make(mx, a, name), make(mx, b, name))
        want = to_numpy(mxr.array(ref_product(a, np.array(make(mxr, b, name).astype(mxr.float32))).astype(np.float32)).astype(getattr(mxr, name)))
        np.testing.assert_allclose(to_numpy(out), want, rtol=1e-2)


def test_long_float16_products_stay_accurate(rng):
    # float16 products accumulate in float32 (one rounding at the end).
    a = rand(rng, (8, 4096), "float16")
    b = rand(rng, (4096, 8), "float16")
    out = to_numpy(mx.matmul(make(mx, a, "float16"), make(mx, b, "float16"))).astype(np.float64)
    exact = ref_product(a, b)
    ref = to_numpy(mxr.matmul(make(mxr, a, "float16"), make(mxr, b, "float16"))).astype(np.float64)
    err, ref_err = np.abs(out - exact).max(), np.abs(ref - exact).max()
    assert err <= 4 * ref_err + 0.06, (err, ref_err)


def test_special_values_propagate():
    a = mx.array([[np.nan, 1.0], [2.0, 3.0]])
    b = mx.array([[1.0, 0.0], [np.inf, 1.0]])
    o = to_numpy(a @ b)
    r = np.array(mxr.array([[np.nan, 1.0], [2.0, 3.0]]) @ mxr.array([[1.0, 0.0], [np.inf, 1.0]]))
    np.testing.assert_array_equal(np.isnan(o), np.isnan(r))
    np.testing.assert_array_equal(o[~np.isnan(o)], r[~np.isnan(r)])


# ----------------------------------------------------------------------------
# addmm

ADDMM_SHAPES = [
    ((2, 4), (2, 3), (3, 4)),
    ((4,), (2, 3), (3, 4)),
    ((), (2, 3), (3, 4)),
    ((1, 4), (5, 2, 3), (3, 4)),
    ((4,), (5, 2, 3), (3, 4)),        # the reshaped batch path
    ((2,), (2, 3), (3,)),
    ((4,), (3,), (3, 4)),
    ((), (3,), (3,)),
    ((5, 2, 4), (2, 3), (5, 3, 4)),
    ((3, 1, 2, 1), (2, 3), (3, 1, 3, 4)),
]


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex64"])
@pytest.mark.parametrize("sc,sa,sb", ADDMM_SHAPES)
def test_addmm_matches_mlx(rng, name, sc, sa, sb):
    c, a, b = rand(rng, sc, name), rand(rng, sa, name), rand(rng, sb, name)
    for alpha, beta in [(1.0, 1.0), (0.5, -2.0), (2.0, 0.0)]:
        out = mx.addmm(make(mx, c, name), make(mx, a, name), make(mx, b, name), alpha=alpha, beta=beta)
        ref = mxr.addmm(make(mxr, c, name), make(mxr, a, name), make(mxr, b, name), alpha=alpha, beta=beta)
        assert out.shape == ref.shape and str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        exp = alpha * ref_product(a, b) + beta * c
        k = a.shape[-1]
        np.testing.assert_allclose(to_numpy(out).astype(exp.dtype), np.broadcast_to(exp, out.shape),
                                   rtol=PTOL[name] * 10, atol=PTOL[name] * 8 * np.sqrt(k))


def test_addmm_beta_zero_ignores_c():
    c = mx.array([[np.nan, np.inf]])
    out = mx.addmm(c, mx.ones((1, 3)), mx.ones((3, 2)), alpha=1.0, beta=0.0)
    np.testing.assert_array_equal(to_numpy(out), [[3.0, 3.0]])


def test_addmm_errors_match_mlx():
    cases = [
        (mx.ones((2, 2), dtype=mx.int32), mx.ones((2, 2), dtype=mx.int32), mx.ones((2, 2), dtype=mx.int32)),
        (mx.ones((2, 2)), mx.ones((2, 3)), mx.ones((2, 2))),
        (mx.ones((3, 3)), mx.ones((2, 3)), mx.ones((3, 4))),
        (mx.ones((2,)), mx.ones(()), mx.ones((3, 4))),
    ]
    for c, a, b in cases:
        conv = [mxr.array(np.array(x)) for x in (c, a, b)]
        with pytest.raises(ValueError) as e:
            mx.addmm(c, a, b)
        with pytest.raises(ValueError) as r:
            mxr.addmm(*conv)
        assert str(e.value) == str(r.value)


# ----------------------------------------------------------------------------
# transformation rules

def f64(a):
    return mx.array(np.asarray(a, dtype=np.float64), dtype=mx.float64)


GRAD_CASES = {
    "mm": (lambda m: lambda a, b: m.matmul(a, b), [(3, 4), (4, 2)]),
    "vec_mat": (lambda m: lambda a, b: m.matmul(a, b), [(4,), (4, 2)]),
    "mat_vec": (lambda m: lambda a, b: m.matmul(a, b), [(3, 4), (4,)]),
    "dot": (lambda m: lambda a, b: m.matmul(a, b), [(4,), (4,)]),
    "batched": (lambda m: lambda a, b: a @ b, [(2, 3, 4), (2, 4, 2)]),
    "broadcast": (lambda m: lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    "tall": (lambda m: lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    "transposed": (lambda m: lambda a, b: a.T @ b[::-1], [(4, 3), (4, 2)]),
    "addmm": (lambda m: lambda c, a, b: m.addmm(c, a, b, alpha=0.5, beta=-1.5), [(3, 2), (3, 4), (4, 2)]),
    "addmm_bc": (lambda m: lambda c, a, b: m.addmm(c, a, b, alpha=2.0, beta=0.25), [(2,), (2, 3, 4), (4, 2)]),
    "addmm_vec": (lambda m: lambda c, a, b: m.addmm(c, a, b), [(2,), (4,), (4, 2)]),
}


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


# MLX 0.32.4's AddMM jvp drops alpha and beta (d(addmm) = ta@b + a@tb + tc);
# rmlx scales them (checked against finite differences below).
MLX_JVP_IGNORES_SCALES = {"addmm", "addmm_bc"}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_vjp_jvp_match_mlx(rng, name):
    build, shapes = GRAD_CASES[name]
    ours = lambda *a: as_list(build(mx)(*a))  # noqa: E731
    ref = lambda *a: as_list(build(mxr)(*a))  # noqa: E731
    xs = [rng.uniform(-2, 2, s).astype(np.float32) for s in shapes]
    outs = ref(*[mxr.array(x) for x in xs])
    cots = [rng.uniform(-1, 1, o.shape).astype(np.float32) for o in outs]
    o = mx.vjp(ours, [mx.array(x) for x in xs], [mx.array(c) for c in cots])
    r = mxr.vjp(ref, [mxr.array(x) for x in xs], [mxr.array(c) for c in cots])
    for p, q in zip(o[0] + o[1], r[0] + r[1]):
        assert p.shape == q.shape
        np.testing.assert_allclose(to_numpy(p), np.array(q), rtol=1e-5, atol=1e-5)
    if name in MLX_JVP_IGNORES_SCALES:
        return
    ts = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    o = mx.jvp(ours, [mx.array(x) for x in xs], [mx.array(t) for t in ts])
    r = mxr.jvp(ref, [mxr.array(x) for x in xs], [mxr.array(t) for t in ts])
    for p, q in zip(o[0] + o[1], r[0] + r[1]):
        np.testing.assert_allclose(to_numpy(p), np.array(q), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_float64_finite_differences(rng, name):
    build, shapes = GRAD_CASES[name]
    fn = build(mx)
    xs = [rng.uniform(-2, 2, s) for s in shapes]
    out = fn(*[f64(x) for x in xs])
    cot = rng.uniform(-1, 1, out.shape)
    _, g = mx.vjp(lambda *a: [fn(*a)], [f64(x) for x in xs], [f64(cot)])
    h = 1e-6
    for k, x in enumerate(xs):
        want = np.zeros(x.size)
        for j in range(x.size):
            def at(d):
                v = x.copy().reshape(-1)
                v[j] += d
                args = [f64(y) for y in xs]
                args[k] = f64(v.reshape(x.shape))
                return np.array(fn(*args))
            want[j] = np.sum((at(h) - at(-h)) / (2 * h) * cot)
        assert g[k].dtype == mx.float64
        np.testing.assert_allclose(np.array(g[k]).reshape(-1), want, rtol=1e-6, atol=1e-8)
        # Forward mode: the directional derivative along a random tangent.
    ts = [rng.uniform(-1, 1, x.shape) for x in xs]
    _, t = mx.jvp(lambda *a: [fn(*a)], [f64(x) for x in xs], [f64(t) for t in ts])
    plus = np.array(fn(*[f64(x + h * t) for x, t in zip(xs, ts)]))
    minus = np.array(fn(*[f64(x - h * t) for x, t in zip(xs, ts)]))
    np.testing.assert_allclose(np.array(t[0]), (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


def test_complex_gradients_match_mlx(rng):
    a = rand(rng, (3, 4), "complex64")
    b = rand(rng, (4, 2), "complex64")
    c = rand(rng, (3, 2), "complex64")
    for f in (lambda m: lambda x, y: [m.matmul(x, y)], lambda m: lambda x, y: [m.addmm(m.array(c), x, y, 0.5, 2.0)]):
        o = mx.vjp(f(mx), [mx.array(a), mx.array(b)], [mx.array(c)])
        r = mxr.vjp(f(mxr), [mxr.array(a), mxr.array(b)], [mxr.array(c)])
        for p, q in zip(o[1], r[1]):
            np.testing.assert_allclose(to_numpy(p), np.array(q), rtol=1e-5, atol=1e-5)
        o = mx.jvp(f(mx), [mx.array(a), mx.array(b)], [mx.array(a), mx.array(b)])
        r = mxr.jvp(f(mxr), [mxr.array(a), mxr.array(b)], [mxr.array(a), mxr.array(b)])
        np.testing.assert_allclose(to_numpy(o[1][0]), np.array(r[1][0]), rtol=1e-5, atol=1e-5)


def test_grad_of_grad(rng):
    a = rng.uniform(-1, 1, (3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, (3, 3)).astype(np.float32)

    def f(m):
        def loss(x):
            return m.sum(m.matmul(x, m.matmul(x, m.array(b))) ** 2)
        return lambda x: m.sum(m.grad(loss)(x) * m.array(b))
    o = mx.grad(f(mx))(mx.array(a))
    r = mxr.grad(f(mxr))(mxr.array(a))
    np.testing.assert_allclose(to_numpy(o), np.array(r), rtol=1e-4, atol=1e-4)


VMAP_CASES = [
    # (in_axes, shapes)
    ((0, 0), [(5, 3, 4), (5, 4, 2)]),
    ((0, None), [(5, 3, 4), (4, 2)]),
    ((None, 0), [(3, 4), (5, 4, 2)]),
    ((1, 2), [(3, 5, 4), (4, 2, 5)]),
    ((2, None), [(3, 4, 5), (4, 2)]),
    ((0, 0), [(5, 4), (5, 4)]),
    ((0, None), [(5, 4), (4, 2)]),
    ((None, 1), [(2, 3, 4), (2, 5, 4, 2)]),
]


@pytest.mark.parametrize("in_axes,shapes", VMAP_CASES)
def test_vmap_matches_loop(rng, in_axes, shapes):
    xs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    out = mx.vmap(mx.matmul, in_axes=in_axes)(*[mx.array(x) for x in xs])
    n = next(x.shape[ax] for x, ax in zip(xs, in_axes) if ax is not None)
    loop = []
    for i in range(n):
        args = [np.take(x, i, axis=ax) if ax is not None else x for x, ax in zip(xs, in_axes)]
        loop.append(np.matmul(*args))
    np.testing.assert_allclose(to_numpy(out), np.stack(loop), rtol=1e-5, atol=1e-5)
    ref = mxr.vmap(mxr.matmul, in_axes=in_axes)(*[mxr.array(x) for x in xs])
    assert out.shape == ref.shape


@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 0, None), (0, None, 1), (None, None, 0)])
def test_vmap_addmm_matches_loop(rng, in_axes):
    shapes = {0: (6, 3, 2), None: (3, 2)}
    c = rng.uniform(-1, 1, shapes[in_axes[0]]).astype(np.float32)
    a = rng.uniform(-1, 1, (6, 3, 4) if in_axes[1] == 0 else (3, 4)).astype(np.float32)
    b = rng.uniform(-1, 1, (4, 6, 2) if in_axes[2] == 1 else (6, 4, 2) if in_axes[2] == 0 else (4, 2)).astype(np.float32)
    f = lambda c, a, b: mx.addmm(c, a, b, alpha=0.5, beta=2.0)  # noqa: E731
    out = mx.vmap(f, in_axes=in_axes)(mx.array(c), mx.array(a), mx.array(b))
    loop = []
    for i in range(6):
        args = [np.take(x, i, axis=ax) if ax is not None else x for x, ax in zip((c, a, b), in_axes)]
        loop.append(0.5 * args[1] @ args[2] + 2.0 * args[0])
    np.testing.assert_allclose(to_numpy(out), np.stack(loop), rtol=1e-5, atol=1e-5)


def test_vmap_of_grad(rng):
    w = rng.uniform(-1, 1, (4, 3)).astype(np.float32)
    xs = rng.uniform(-1, 1, (5, 4)).astype(np.float32)

    def per_example(m):
        return lambda x, w: m.sum(m.tanh(x @ w))
    o = mx.vmap(mx.grad(per_example(mx), argnums=1), in_axes=(0, None))(mx.array(xs), mx.array(w))
    r = mxr.vmap(mxr.grad(per_example(mxr), argnums=1), in_axes=(0, None))(mxr.array(xs), mxr.array(w))
    np.testing.assert_allclose(to_numpy(o), np.array(r), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["float32", "float64", "complex64"])
@pytest.mark.parametrize("m,k,n", [(2, 9, 33), (37, 70, 300), (128, 784, 512), (256, 64, 257), (255, 300, 256)])
def test_short_lhs_times_transposed_rhs(rng, name, m, k, n):
    # x @ W.T with few rows of x runs as the transposed product (gemm.rs).
    x = rand(rng, (m, k), name)
    w = rand(rng, (n, k), name)
    c = rand(rng, (n,), name)
    check(make(mx, x, name) @ make(mx, w, name).T, x, w.T, name)
    got = to_numpy(mx.addmm(make(mx, c, name), make(mx, x, name), make(mx, w, name).T, alpha=0.5, beta=2.0))
    want = 2.0 * c.astype(np.complex128 if name == "complex64" else np.float64) + 0.5 * ref_product(x, w.T)
    scale = np.sqrt(k) * 8
    np.testing.assert_allclose(got.astype(want.dtype), want, rtol=PTOL[name] * 10, atol=PTOL[name] * scale)
