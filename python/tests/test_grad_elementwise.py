"""Transformation rules of the elementwise ops (unary, binary, divmod,
stop_gradient, astype, view): vjp/jvp against the reference MLX (float32)
and against central finite differences (float64), zero rules for the
non-differentiable ops, the complex convention, vmap against MLX and a
Python loop (in_axes other than 0, broadcasting, unbatched and transposed
operands), and nested transformations."""

import numpy as np
import pytest

from conftest import assert_allclose, mx, to_numpy

mxr = pytest.importorskip("mlx.core")

# name: (domain low, domain high) where the op is smooth
UNARY = {
    "abs": (-2, 2), "negative": (-2, 2), "sqrt": (0.2, 3), "rsqrt": (0.2, 3),
    "square": (-2, 2), "reciprocal": (0.3, 2), "exp": (-2, 2), "expm1": (-2, 2),
    "log": (0.2, 3), "log1p": (-0.5, 2), "log2": (0.2, 3), "log10": (0.2, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "arcsin": (-0.9, 0.9),
    "arccos": (-0.9, 0.9), "arctan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
    "tanh": (-2, 2), "arcsinh": (-2, 2), "arccosh": (1.2, 3), "arctanh": (-0.9, 0.9),
    "erf": (-2, 2), "erfinv": (-0.9, 0.9), "sigmoid": (-3, 3), "degrees": (-2, 2),
    "radians": (-2, 2),
}
ZERO_UNARY = ["sign", "floor", "ceil", "round", "logical_not", "isnan", "isinf",
              "isposinf", "isneginf", "isfinite"]
# name: (domain of a, domain of b)
BINARY = {
    "add": ((-2, 2), (-2, 2)), "subtract": ((-2, 2), (-2, 2)),
    "multiply": ((-2, 2), (-2, 2)), "divide": ((-2, 2), (0.5, 2)),
    "remainder": ((-3, 3), (0.7, 1.9)), "power": ((0.3, 2), (-1.5, 2.5)),
    "maximum": ((-2, 2), (-2, 2)), "minimum": ((-2, 2), (-2, 2)),
    "arctan2": ((-2, 2), (-2, 2)), "logaddexp": ((-3, 3), (-3, 3)),
}
ZERO_BINARY = ["floor_divide", "equal", "not_equal", "less", "less_equal", "greater",
               "greater_equal", "logical_and", "logical_or"]
SHAPES = [((2, 3), (2, 3)), ((2, 3, 4), (4,)), ((3, 1), (2, 1, 5)), ((), (3, 2)),
          ((1, 4), (3, 1)), ((2, 3), ())]


def unif(rng, shape, lo, hi):
    return (lo + (hi - lo) * rng.random(shape)).astype(np.float32)


def f64(a):
    return mx.array(np.asarray(a, dtype=np.float64).tolist(), dtype=mx.float64).reshape(
        np.shape(a))


def both(fn_name):
    return getattr(mx, fn_name), getattr(mxr, fn_name)


def compare(ours, ref, rtol=2e-5, atol=2e-6):
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1], (o.dtype, r.dtype)
        assert o.shape == r.shape
        np.testing.assert_allclose(to_numpy(o), to_numpy(r), rtol=rtol, atol=atol, equal_nan=True)


# ----------------------------------------------------------------------------
# against the MLX oracle (float32)

@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vjp_jvp_match_mlx(name, rng):
    ours, ref = both(name)
    lo, hi = UNARY[name]
    x = unif(rng, (3, 5), lo, hi)
    c = unif(rng, (3, 5), -1, 1)
    o = mx.vjp(ours, [mx.array(x)], [mx.array(c)])
    r = mxr.vjp(ref, [mxr.array(x)], [mxr.array(c)])
    compare(o[0] + o[1], r[0] + r[1])
    o = mx.jvp(ours, [mx.array(x)], [mx.array(c)])
    r = mxr.jvp(ref, [mxr.array(x)], [mxr.array(c)])
    compare(o[0] + o[1], r[0] + r[1])


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPES)
def test_binary_vjp_jvp_match_mlx_with_broadcasting(name, shapes, rng):
    ours, ref = both(name)
    (alo, ahi), (blo, bhi) = BINARY[name]
    a, b = unif(rng, shapes[0], alo, ahi), unif(rng, shapes[1], blo, bhi)
    out_shape = np.broadcast_shapes(shapes[0], shapes[1])
    c = unif(rng, out_shape, -1, 1)
    o = mx.vjp(ours, [mx.array(a), mx.array(b)], [mx.array(c)])
    r = mxr.vjp(ref, [mxr.array(a), mxr.array(b)], [mxr.array(c)])
    compare(o[0] + o[1], r[0] + r[1])
    ta, tb = unif(rng, shapes[0], -1, 1), unif(rng, shapes[1], -1, 1)
    o = mx.jvp(ours, [mx.array(a), mx.array(b)], [mx.array(ta), mx.array(tb)])
    r = mxr.jvp(ref, [mxr.array(a), mxr.array(b)], [mxr.array(ta), mxr.array(tb)])
    compare(o[0] + o[1], r[0] + r[1])
    # One-sided: the tangent of the other operand is zero.
    o = mx.jvp(lambda x: ours(x, mx.array(b)), [mx.array(a)], [mx.array(ta)])
    r = mxr.jvp(lambda x: ref(x, mxr.array(b)), [mxr.array(a)], [mxr.array(ta)])
    compare(o[1], r[1])


def test_mlx_tie_and_special_points():
    pts = [([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], "maximum"), ([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], "minimum"),
           ([0.0, 0.0, 2.0], [2.0, 0.0, 0.0], "power"), ([0.0, -1.0, 2.0], [1.0, 1.0, 1.0], "multiply")]
    for a, b, name in pts:
        ours, ref = both(name)
        one = [1.0] * len(a)
        o = mx.vjp(ours, [mx.array(a), mx.array(b)], [mx.array(one)])[1]
        r = mxr.vjp(ref, [mxr.array(a), mxr.array(b)], [mxr.array(one)])[1]
        compare(o, r)
    o = mx.vjp(mx.abs, [mx.array([0.0, -1.0])], [mx.array([1.0, 1.0])])[1]
    r = mxr.vjp(mxr.abs, [mxr.array([0.0, -1.0])], [mxr.array([1.0, 1.0])])[1]
    compare(o, r)


@pytest.mark.parametrize("name", ZERO_UNARY)
def test_non_differentiable_unary_give_zeros(name, rng):
    x = unif(rng, (3, 4), -3, 3)
    ours = getattr(mx, name)
    out = ours(mx.array(x))
    cot = mx.ones(out.shape, dtype=out.dtype)
    (g,) = mx.vjp(ours, [mx.array(x)], [cot])[1]
    assert g.dtype == mx.float32 and g.shape == (3, 4)
    assert not np.any(to_numpy(g))
    (t,) = mx.jvp(ours, [mx.array(x)], [mx.ones((3, 4))])[1]
    assert t.dtype == out.dtype and t.shape == out.shape
    assert not np.any(to_numpy(t))
    # MLX: zero cotangents too.
    ref = getattr(mxr, name)
    rout = ref(mxr.array(x))
    (rg,) = mxr.vjp(ref, [mxr.array(x)], [mxr.ones(rout.shape, dtype=rout.dtype)])[1]
    assert not np.any(np.array(rg))


@pytest.mark.parametrize("name", ZERO_BINARY)
def test_non_differentiable_binary_give_zeros(name, rng):
    a, b = unif(rng, (2, 3), -3, 3), unif(rng, (3,), 0.5, 2)
    ours = getattr(mx, name)
    out = ours(mx.array(a), mx.array(b))
    ga, gb = mx.vjp(ours, [mx.array(a), mx.array(b)], [mx.ones(out.shape, dtype=out.dtype)])[1]
    assert (ga.shape, gb.shape) == ((2, 3), (3,))
    assert ga.dtype == mx.float32 and gb.dtype == mx.float32
    assert not np.any(to_numpy(ga)) and not np.any(to_numpy(gb))
    (t,) = mx.jvp(ours, [mx.array(a), mx.array(b)], [mx.ones((2, 3)), mx.ones((3,))])[1]
    assert t.shape == out.shape and t.dtype == out.dtype
    assert not np.any(to_numpy(t))


def test_divmod_and_bitwise_give_zeros():
    a, b = mx.array([[7.5, -3.0, 4.0]]), mx.array([2.0, 1.5, -3.0])
    outs = mx.vjp(lambda x, y: list(mx.divmod(x, y)), [a, b], [mx.ones((1, 3)), mx.ones((1, 3))])
    assert [g.shape for g in outs[1]] == [(1, 3), (3,)]
    assert all(not np.any(to_numpy(g)) for g in outs[1])
    tans = mx.jvp(lambda x, y: list(mx.divmod(x, y)), [a, b], [mx.ones((1, 3)), mx.ones((3,))])[1]
    assert len(tans) == 2 and all(not np.any(to_numpy(t)) for t in tans)
    i, j = mx.array([3, 5, 12]), mx.array([1, 2, 3])
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]:
        g = mx.vjp(getattr(mx, name), [i, j], [mx.array([1, 1, 1])])[1]
        assert all(x.dtype == mx.int32 and not np.any(to_numpy(x)) for x in g)
    g = mx.vjp(mx.bitwise_invert, [i], [mx.array([1, 1, 1])])[1]
    assert not np.any(to_numpy(g[0]))


def test_complex_matches_mlx(rng):
    z = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    w = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    c = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    cr = rng.standard_normal(4).astype(np.float32)
    for name in ["exp", "sin", "cos", "sqrt", "log", "square", "negative", "conjugate", "tanh",
                 "reciprocal"]:
        ours, ref = both(name)
        compare(mx.vjp(ours, [mx.array(z)], [mx.array(c)])[1],
                mxr.vjp(ref, [mxr.array(z)], [mxr.array(c)])[1], rtol=1e-4, atol=1e-5)
        compare(mx.jvp(ours, [mx.array(z)], [mx.array(c)])[1],
                mxr.jvp(ref, [mxr.array(z)], [mxr.array(c)])[1], rtol=1e-4, atol=1e-5)
    for name in ["abs", "real", "imag"]:
        ours, ref = both(name)
        compare(mx.vjp(ours, [mx.array(z)], [mx.array(cr)])[1],
                mxr.vjp(ref, [mxr.array(z)], [mxr.array(cr)])[1])
        compare(mx.jvp(ours, [mx.array(z)], [mx.array(c)])[1],
                mxr.jvp(ref, [mxr.array(z)], [mxr.array(c)])[1])
    for name in ["add", "subtract", "multiply", "divide"]:
        ours, ref = both(name)
        compare(mx.vjp(ours, [mx.array(z), mx.array(w)], [mx.array(c)])[1],
                mxr.vjp(ref, [mxr.array(z), mxr.array(w)], [mxr.array(c)])[1], rtol=1e-4, atol=1e-5)
        compare(mx.jvp(ours, [mx.array(z), mx.array(w)], [mx.array(c), mx.array(c)])[1],
                mxr.jvp(ref, [mxr.array(z), mxr.array(w)], [mxr.array(c), mxr.array(c)])[1],
                rtol=1e-4, atol=1e-5)


def test_astype_matches_mlx_for_float_casts(rng):
    x = unif(rng, (2, 3), -2, 2)
    for dt in ["float16", "bfloat16", "float32"]:
        f = (lambda m, d: lambda a: mx.exp(a.astype(getattr(m, d))))
        c = unif(rng, (2, 3), -1, 1)
        o = mx.vjp(f(mx, dt), [mx.array(x)], [mx.array(c).astype(getattr(mx, dt))])[1]
        r = mxr.vjp(lambda a: mxr.exp(a.astype(getattr(mxr, dt))), [mxr.array(x)],
                    [mxr.array(c).astype(getattr(mxr, dt))])[1]
        compare(o, r)
        o = mx.jvp(f(mx, dt), [mx.array(x)], [mx.array(c)])[1]
        r = mxr.jvp(lambda a: mxr.exp(a.astype(getattr(mxr, dt))), [mxr.array(x)], [mxr.array(c)])[1]
        compare(o, r, rtol=2e-2, atol=2e-2)

def test_integer_operands_match_mlx(rng):
    # MLX differentiates integer operands with its formulas in the integer
    # dtype, and passes cotangents straight through integer conversions.
    i = rng.integers(-9, 9, (2, 3)).astype(np.int32)
    j = rng.integers(1, 4, (3,)).astype(np.int32)
    c = rng.integers(-3, 3, (2, 3)).astype(np.int32)
    for name in ["add", "subtract", "multiply", "maximum", "minimum"]:
        ours, ref = both(name)
        compare(mx.vjp(ours, [mx.array(i), mx.array(j)], [mx.array(c)])[1],
                mxr.vjp(ref, [mxr.array(i), mxr.array(j)], [mxr.array(c)])[1])
        compare(mx.jvp(ours, [mx.array(i), mx.array(j)], [mx.array(c), mx.array(j)])[1],
                mxr.jvp(ref, [mxr.array(i), mxr.array(j)], [mxr.array(c), mxr.array(j)])[1])
    for name in ["abs", "negative", "square", "sign"]:
        ours, ref = both(name)
        compare(mx.vjp(ours, [mx.array(i)], [mx.array(c)])[1],
                mxr.vjp(ref, [mxr.array(i)], [mxr.array(c)])[1])
    x = unif(rng, (2, 3), -3, 3)
    for build in [lambda m: (lambda a: a.astype(m.int32).astype(m.float32) * a),
                  lambda m: (lambda a: m.exp(a.astype(m.int32)))]:
        compare(mx.vjp(build(mx), [mx.array(x)], [mx.array(x)])[1],
                mxr.vjp(build(mxr), [mxr.array(x)], [mxr.array(x)])[1], rtol=1e-5, atol=1e-5)
    compare(mx.vjp(lambda a: mx.exp(a), [mx.array(i)], [mx.array(x)])[1],
            mxr.vjp(lambda a: mxr.exp(a), [mxr.array(i)], [mxr.array(x)])[1])


def test_view_has_no_derivative_but_batches():
    x = mx.arange(12, dtype=mx.float32).reshape(2, 2, 3)
    with pytest.raises(Exception):
        mx.vjp(lambda a: a.view(mx.int32), [x], [mx.zeros((2, 2, 3), dtype=mx.int32)])
    for ax in range(3):
        got = mx.vmap(lambda a: a.view(mx.int16), in_axes=ax)(x)
        want = np.stack([np.array(a).view(np.int16) for a in np.moveaxis(np.array(x), ax, 0)])
        np.testing.assert_array_equal(to_numpy(got), want)


def test_stop_gradient_blocks_and_batches(rng):
    x = mx.array(unif(rng, (4,), -1, 1))
    (g,) = mx.vjp(lambda a: a * mx.stop_gradient(a), [x], [mx.ones((4,))])[1]
    np.testing.assert_allclose(to_numpy(g), to_numpy(x))
    (t,) = mx.jvp(mx.stop_gradient, [x], [mx.ones((4,))])[1]
    assert not np.any(to_numpy(t))
    xb = unif(rng, (3, 4), -1, 1)
    got = mx.vmap(lambda a: mx.stop_gradient(a) * a, in_axes=1)(mx.array(xb))
    np.testing.assert_allclose(to_numpy(got), (xb * xb).T, rtol=1e-6)


# ----------------------------------------------------------------------------
# float64 against central finite differences

def fd_check(fn, xs, rng, tol=1e-6):
    """vjp and jvp of `fn` (float64) against the Jacobian from differences."""
    h = 1e-6
    base = [np.asarray(x, dtype=np.float64) for x in xs]
    out = np.array(fn(*[f64(x) for x in base]))
    jac = []
    for k, x in enumerate(base):
        cols = []
        for j in range(x.size):
            pm = []
            for d in (h, -h):
                v = x.copy().reshape(-1)
                v[j] += d
                args = [f64(b) for b in base]
                args[k] = f64(v.reshape(x.shape))
                pm.append(np.array(fn(*args)))
            cols.append((pm[0] - pm[1]).reshape(-1) / (2 * h))
        jac.append(np.array(cols).reshape(x.size, out.size))
    c = rng.standard_normal(out.shape)
    grads = mx.vjp(fn, [f64(x) for x in base], [f64(c)])[1]
    for k, g in enumerate(grads):
        assert g.dtype == mx.float64 and g.shape == base[k].shape
        np.testing.assert_allclose(np.array(g).reshape(-1), jac[k] @ c.reshape(-1),
                                   rtol=tol, atol=tol)
    ts = [rng.standard_normal(x.shape) for x in base]
    (t,) = mx.jvp(fn, [f64(x) for x in base], [f64(v) for v in ts])[1]
    assert t.dtype == mx.float64
    want = sum(jac[k].T @ ts[k].reshape(-1) for k in range(len(base)))
    np.testing.assert_allclose(np.array(t).reshape(-1), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float64_finite_differences(name, rng):
    lo, hi = UNARY[name]
    fd_check(getattr(mx, name), [lo + (hi - lo) * rng.random((2, 3))], rng)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_float64_finite_differences(name, rng):
    (alo, ahi), (blo, bhi) = BINARY[name]
    for sa, sb in SHAPES[:4]:
        fd_check(getattr(mx, name), [alo + (ahi - alo) * rng.random(sa),
                                     blo + (bhi - blo) * rng.random(sb)], rng)


def test_second_derivatives_float64(rng):
    def f(x, y):
        return mx.sin(x) * mx.exp(y) / (1 + mx.square(x)) + x ** y

    def g(x, y):
        return mx.vjp(f, [x, y], [mx.ones(x.shape, dtype=x.dtype)])[1][0]

    fd_check(g, [rng.uniform(0.3, 1.5, (4,)), rng.uniform(0.3, 1.5, (4,))], rng)

    def hvp(x, y):
        t = mx.ones(x.shape, dtype=x.dtype)
        return mx.jvp(g, [x, y], [t, t])[1][0]

    fd_check(hvp, [rng.uniform(0.3, 1.5, (4,)), rng.uniform(0.3, 1.5, (4,))], rng, tol=1e-5)


def test_second_derivatives_match_mlx(rng):
    x = unif(rng, (5,), 0.3, 1.5)
    y = unif(rng, (5,), 0.3, 1.5)

    def make(m):
        def f(a, b):
            return m.logaddexp(m.tanh(a) * b, m.arctan2(a, b)) + m.maximum(a, b) ** 2 + a / b

        def g(a, b):
            return m.vjp(f, [a, b], [m.ones(a.shape)])[1]

        return g

    o = mx.vjp(make(mx), [mx.array(x), mx.array(y)], [mx.ones((5,)), mx.ones((5,))])[1]
    r = mxr.vjp(make(mxr), [mxr.array(x), mxr.array(y)], [mxr.ones((5,)), mxr.ones((5,))])[1]
    compare(o, r, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------
# vmap

def loop_stack(fn, xs, axes):
    n = next(x.shape[a] for x, a in zip(xs, axes) if a is not None)
    outs = []
    for i in range(n):
        args = [x if a is None else mx.array(np.take(to_numpy(x), i, axis=a)) for x, a in zip(xs, axes)]
        outs.append(to_numpy(fn(*args)))
    return np.stack(outs)


VMAP_CASES = [
    ((3, 4, 5), 0, (3, 4, 5), 0),
    ((4, 3, 5), 1, (5,), None),
    ((5,), None, (4, 5, 3), 2),
    ((4, 5, 3), 2, (3, 4, 5), 0),
    ((4, 3), 1, (2, 3, 1), 1),
    ((3, 4, 1), 0, (4, 1, 5), None),
    ((3,), 0, (2, 4), None),
    ((3, 1), -1, (), None),
]


@pytest.mark.parametrize("name", sorted(BINARY) + ZERO_BINARY)
@pytest.mark.parametrize("case", VMAP_CASES)
def test_binary_vmap_matches_mlx_and_a_loop(name, case, rng):
    sa, aa, sb, ab = case
    a, b = unif(rng, sa, 0.5, 2), unif(rng, sb, 0.5, 2)
    ours, ref = both(name)
    got = mx.vmap(ours, in_axes=(aa, ab))(mx.array(a), mx.array(b))
    want = loop_stack(ours, [mx.array(a), mx.array(b)], [None if aa is None else aa % len(sa),
                                                          None if ab is None else ab % len(sb)])
    assert got.shape == want.shape
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6, atol=1e-7)
    if name == "not_equal":
        return  # MLX's NotEqual::vmap reports the input axes as the output's (a bug)
    r = mxr.vmap(ref, in_axes=(aa, ab))(mxr.array(a), mxr.array(b))
    np.testing.assert_allclose(to_numpy(got), np.array(r), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(UNARY) + ZERO_UNARY)
def test_unary_vmap_matches_a_loop_on_transposed_input(name, rng):
    lo, hi = UNARY.get(name, (-2, 2))
    x = mx.array(unif(rng, (5, 4, 3), lo, hi)).T  # non-contiguous
    fn = getattr(mx, name)
    for ax in (0, 1, 2):
        got = mx.vmap(fn, in_axes=ax, out_axes=0)(x)
        want = loop_stack(fn, [x], [ax])
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6, atol=1e-7)


def test_vmap_out_axes_and_divmod(rng):
    # (MLX's DivMod::vmap gives one output axis for its two outputs and
    # fails here; the reference is NumPy.)
    a, b = unif(rng, (3, 4), 1, 9), unif(rng, (4,), 0.5, 2)
    q, r = mx.vmap(lambda x, y: mx.divmod(x, y), in_axes=(1, 0), out_axes=1)(mx.array(a), mx.array(b))
    assert q.shape == (3, 4) and r.shape == (3, 4)
    np.testing.assert_allclose(to_numpy(q), np.floor_divide(a, b))
    np.testing.assert_allclose(to_numpy(r), np.remainder(a, b), rtol=1e-6, atol=1e-6)


def test_vmap_of_grad_matches_mlx(rng):
    x, y = unif(rng, (4, 3), 0.3, 1.5), unif(rng, (4, 3), 0.3, 1.5)

    def make(m):
        def per_row(a, b):
            f = lambda u, v: m.logaddexp(m.sin(u), u * v) ** v
            g = m.vjp(f, [a, b], [m.ones(a.shape)])[1]
            t = m.jvp(f, [a, b], [m.ones(a.shape), m.ones(b.shape)])[1]
            return g + t

        return per_row

    for ax in (0, 1):
        o = mx.vmap(make(mx), in_axes=(ax, ax))(mx.array(x), mx.array(y))
        r = mxr.vmap(make(mxr), in_axes=(ax, ax))(mxr.array(x), mxr.array(y))
        compare(o, r, rtol=1e-4, atol=1e-5)


def test_grad_and_grad_of_grad_with_broadcasting_match_mlx(rng):
    x, y = unif(rng, (3, 4), 0.3, 1.5), unif(rng, (4,), 0.3, 1.5)

    def make(m):
        def f(a, b):
            return (m.sin(a) * b + m.maximum(a, b) ** 2 - m.logaddexp(a, b) / b).sum()

        def g(a, b):
            ga, gb = m.grad(f, argnums=(0, 1))(a, b)
            return (ga * ga).sum() + (gb * a).sum()

        return f, g

    (f, g), (fr, gr) = make(mx), make(mxr)
    compare(list(mx.grad(f, argnums=(0, 1))(mx.array(x), mx.array(y))),
            list(mxr.grad(fr, argnums=(0, 1))(mxr.array(x), mxr.array(y))), rtol=1e-5, atol=1e-5)
    compare(list(mx.grad(g, argnums=(0, 1))(mx.array(x), mx.array(y))),
            list(mxr.grad(gr, argnums=(0, 1))(mxr.array(x), mxr.array(y))), rtol=1e-4, atol=1e-4)
    # vmap of grad over rows of x with y shared (broadcast inside the rule).
    o = mx.vmap(mx.grad(f, argnums=(0, 1)), in_axes=(0, None))(mx.array(x), mx.array(y))
    r = mxr.vmap(mxr.grad(fr, argnums=(0, 1)), in_axes=(0, None))(mxr.array(x), mxr.array(y))
    compare(list(o), list(r), rtol=1e-5, atol=1e-5)
