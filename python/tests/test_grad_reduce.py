"""Transformation rules of the reduce and scan families (sum, prod, max, min,
all/any, argmin/argmax, logsumexp, softmax, cumsum, cumprod, cummax, cummin,
logcumsumexp) and of the composites built on them (mean, var, std): vjp/jvp
against the reference MLX (float32) and against central finite differences
(float64), MLX's tie and zero conventions, the zero rules of the
non-differentiable reductions, vmap against MLX and a Python loop, and nested
transformations."""

import numpy as np
import pytest

from conftest import mx, to_numpy

mxr = pytest.importorskip("mlx.core")

# (axis argument, keepdims) pairs for rank-3 inputs
AXES = [(0, False), (1, True), (-1, False), ((0, 2), False), ((2, 0), True), (None, False),
        (None, True)]
REDUCTIONS = ["sum", "prod", "max", "min", "logsumexp", "mean"]
SCANS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]
# MLX 0.32 has forward-mode rules only for these scans.
MLX_JVP_SCANS = ["cumsum", "logcumsumexp"]


def unif(rng, shape, lo=-1.5, hi=1.5):
    return (lo + (hi - lo) * rng.random(shape)).astype(np.float32)


def f64(a):
    return mx.array(np.asarray(a, dtype=np.float64), dtype=mx.float64)


def compare(ours, ref, rtol=2e-5, atol=2e-6):
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1], (o.dtype, r.dtype)
        assert o.shape == r.shape, (o.shape, r.shape)
        np.testing.assert_allclose(to_numpy(o), to_numpy(r), rtol=rtol, atol=atol, equal_nan=True)


def vjp_jvp_vs_mlx(make_fn, x, rng, jvp=True, rtol=2e-5, atol=2e-6):
    """Compares vjp (and jvp) of `make_fn(module)` at `x` with MLX."""
    ours, ref = make_fn(mx), make_fn(mxr)
    out = ref(mxr.array(x))
    c = unif(rng, out.shape, -1, 1)
    if x.dtype == np.complex64:
        c = c + 1j * unif(rng, out.shape, -1, 1)
    o = mx.vjp(ours, [mx.array(x)], [mx.array(c)])
    r = mxr.vjp(ref, [mxr.array(x)], [mxr.array(c)])
    compare(o[0] + o[1], r[0] + r[1], rtol, atol)
    if jvp:
        t = unif(rng, x.shape, -1, 1).astype(x.dtype)
        o = mx.jvp(ours, [mx.array(x)], [mx.array(t)])
        r = mxr.jvp(ref, [mxr.array(x)], [mxr.array(t)])
        compare(o[0] + o[1], r[0] + r[1], rtol, atol)


def fd_check(fn, x, rng, tol=1e-6):
    """vjp and jvp of `fn` (rmlx, float64) at NumPy `x` against central
    differences."""
    x = np.asarray(x, dtype=np.float64)
    out = np.array(fn(f64(x)))
    h = 1e-6
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        p, m = np.array(fn(f64(x + e))), np.array(fn(f64(x - e)))
        with np.errstate(invalid="ignore"):  # equal infinities do not move
            d = np.where(p == m, 0.0, (p - m) / (2 * h))
        jac[(Ellipsis,) + idx] = d
    c = rng.uniform(-1, 1, out.shape)
    (_, (g,)) = mx.vjp(fn, [f64(x)], [f64(c)])
    want = np.tensordot(c, jac, axes=out.ndim)
    np.testing.assert_allclose(np.array(g), want, rtol=tol, atol=tol)
    t = rng.uniform(-1, 1, x.shape)
    (_, (j,)) = mx.jvp(fn, [f64(x)], [f64(t)])
    want = np.tensordot(jac, t, axes=x.ndim)
    np.testing.assert_allclose(np.array(j), want, rtol=tol, atol=tol)


def reduce_fn(name, axis, keep):
    def make(m):
        return lambda a: getattr(m, name)(a, axis=axis, keepdims=keep)
    return make


def scan_fn(name, axis, reverse, inclusive):
    def make(m):
        return lambda a: getattr(m, name)(a, axis=axis, reverse=reverse, inclusive=inclusive)
    return make


# ----------------------------------------------------------------------------
# against the MLX oracle (float32)

@pytest.mark.parametrize("name", REDUCTIONS + ["var", "std"])
@pytest.mark.parametrize("axis,keep", AXES)
def test_reductions_match_mlx(name, axis, keep, rng):
    x = unif(rng, (3, 4, 5), 0.5, 1.5) if name == "prod" else unif(rng, (3, 4, 5))
    vjp_jvp_vs_mlx(reduce_fn(name, axis, keep), x, rng, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_ddof_match_mlx(name, ddof, rng):
    x = unif(rng, (4, 5))
    make = lambda m: lambda a: getattr(m, name)(a, axis=1, ddof=ddof)  # noqa: E731
    vjp_jvp_vs_mlx(make, x, rng, rtol=1e-4, atol=1e-5)


def test_prod_with_zeros_matches_mlx(rng):
    x = unif(rng, (3, 4), 0.5, 1.5)
    x[0, 1] = 0
    x[1, 0] = x[1, 3] = 0
    for axis in [None, 0, 1, (0, 1)]:
        vjp_jvp_vs_mlx(reduce_fn("prod", axis, False), x, rng)


def test_ties_follow_mlx(rng):
    x = np.array([[1, 3, 2, 3, 0.5, 3], [2, -1, 4, 4, 1, -1]], dtype=np.float32)
    for name in ["max", "min"]:
        for axis in [None, 1, 0]:
            vjp_jvp_vs_mlx(reduce_fn(name, axis, False), x, rng)
    for name in ["cummax", "cummin"]:
        for rev in [False, True]:
            for inc in [True, False]:
                vjp_jvp_vs_mlx(scan_fn(name, 1, rev, inc), x, rng, jvp=False)


@pytest.mark.parametrize("axis", [-1, 0, (0, 2), None])
@pytest.mark.parametrize("precise", [False, True])
def test_softmax_matches_mlx(axis, precise, rng):
    x = unif(rng, (2, 3, 4), -2, 2)
    make = lambda m: lambda a: m.softmax(a, axis=axis, precise=precise)  # noqa: E731
    vjp_jvp_vs_mlx(make, x, rng)


@pytest.mark.parametrize("name", SCANS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
@pytest.mark.parametrize("shape,axis", [((3, 7), 1), ((5, 2, 3), 0), ((9,), None), ((4, 6), -1)])
def test_scans_match_mlx(name, reverse, inclusive, shape, axis, rng):
    x = unif(rng, shape, 0.5, 1.5) if name == "cumprod" else unif(rng, shape)
    vjp_jvp_vs_mlx(scan_fn(name, axis, reverse, inclusive), x, rng,
                   jvp=name in MLX_JVP_SCANS, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
def test_cumprod_with_zeros_matches_mlx(reverse, inclusive, rng):
    x = unif(rng, (2, 7), 0.5, 1.5)
    x[0, 2] = 0
    x[1, 1] = x[1, 4] = 0
    vjp_jvp_vs_mlx(scan_fn("cumprod", 1, reverse, inclusive), x, rng, jvp=False)


def test_logsumexp_and_logcumsumexp_large_inputs_match_mlx(rng):
    x = unif(rng, (3, 6), -2, 2) + 300
    x[0, 0] = -300
    vjp_jvp_vs_mlx(reduce_fn("logsumexp", 1, False), x, rng)
    for rev in [False, True]:
        for inc in [True, False]:
            vjp_jvp_vs_mlx(scan_fn("logcumsumexp", 1, rev, inc), x, rng, rtol=1e-4, atol=1e-5)


def test_transposed_inputs_match_mlx(rng):
    x = unif(rng, (5, 3), 0.5, 1.5)
    for make in [reduce_fn("prod", 0, False), reduce_fn("max", 1, True),
                 lambda m: lambda a: m.softmax(a, axis=-1),
                 scan_fn("cumprod", 1, True, False), scan_fn("logcumsumexp", 0, False, True)]:
        ours, ref = make(mx), make(mxr)
        c = unif(rng, ref(mxr.array(x).T).shape, -1, 1)
        o = mx.vjp(lambda a: ours(a.T), [mx.array(x)], [mx.array(c)])
        r = mxr.vjp(lambda a: ref(a.T), [mxr.array(x)], [mxr.array(c)])
        compare(o[0] + o[1], r[0] + r[1])


def test_complex_follows_the_conjugate_convention(rng):
    z = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(np.complex64)
    for make in [reduce_fn("sum", 1, False), reduce_fn("prod", 1, False),
                 reduce_fn("prod", None, True), reduce_fn("mean", 0, False),
                 scan_fn("cumsum", 1, False, True)]:
        vjp_jvp_vs_mlx(make, z, rng, rtol=1e-4, atol=1e-5)
    # cumprod: vjp(c) = c * conj(d out / d z), as for prod (MLX's own
    # cumprod vjp skips the conjugate), jvp(t) = t * d out / d z.
    z[1, 2] = 0
    c = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
    for rev, last in [(False, -1), (True, 0)]:
        f = lambda a: mx.cumprod(a, axis=1, reverse=rev)[:, last]  # noqa: E731
        g = mx.vjp(f, [mx.array(z)], [mx.array(c)])[1][0]
        want = mx.vjp(lambda a: mx.prod(a, axis=1), [mx.array(z)], [mx.array(c)])[1][0]
        compare([g], [want], rtol=1e-4, atol=1e-5)
        t = mx.array(c[:, None] * np.ones((1, 4), np.complex64))
        jv = mx.jvp(lambda a: mx.cumprod(a, axis=1, reverse=rev), [mx.array(z)], [t])[1][0]
        ref = mxr.jvp(lambda a: mxr.prod(a, axis=1), [mxr.array(z)], [mxr.array(np.array(t))])[1][0]
        compare([jv[:, last]], [ref], rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------
# zero rules

@pytest.mark.parametrize("name,kw", [("all", {"axis": 1}), ("any", {"axis": 0, "keepdims": True}),
                                     ("argmax", {"axis": 1}), ("argmin", {"axis": 0}),
                                     ("argmax", {})])
def test_boolean_and_index_reductions_give_zeros(name, kw, rng):
    x = unif(rng, (3, 4))
    fn = lambda a: getattr(mx, name)(a, **kw)  # noqa: E731
    out = fn(mx.array(x))
    (_, (g,)) = mx.vjp(fn, [mx.array(x)], [mx.ones(out.shape, dtype=out.dtype)])
    assert g.shape == x.shape and g.dtype == mx.float32
    assert not np.any(np.array(g))
    ref = lambda a: getattr(mxr, name)(a, **kw)  # noqa: E731
    rout = ref(mxr.array(x))
    r = mxr.vjp(ref, [mxr.array(x)], [mxr.ones(rout.shape, dtype=rout.dtype)])
    compare([g], r[1])
    (_, (t,)) = mx.jvp(fn, [mx.array(x)], [mx.ones(x.shape)])
    assert t.shape == out.shape and t.dtype == out.dtype
    assert not np.any(np.array(t))


def test_integer_sum_differentiates_like_mlx():
    x = mx.array([[1, 2], [3, 4]])
    (_, (g,)) = mx.vjp(lambda a: mx.sum(a), [x], [mx.array(3)])
    assert g.dtype == mx.int32 and g.tolist() == [[3, 3], [3, 3]]


def test_integer_inputs_give_zero_gradients():
    x = mx.array([[1, 2], [3, 4]])
    for fn in [lambda a: mx.prod(a, axis=0), lambda a: mx.max(a),
               lambda a: mx.cumsum(a, axis=1), lambda a: mx.cummin(a, axis=0)]:
        out = fn(x)
        (_, (g,)) = mx.vjp(fn, [x], [mx.ones(out.shape, dtype=out.dtype)])
        assert g.dtype == mx.int32 and g.shape == x.shape and not np.any(np.array(g))
        (_, (t,)) = mx.jvp(fn, [x], [mx.ones(x.shape, dtype=mx.int32)])
        assert t.dtype == out.dtype and t.shape == out.shape and not np.any(np.array(t))


# ----------------------------------------------------------------------------
# against finite differences (float64), including rules MLX lacks

@pytest.mark.parametrize("name", REDUCTIONS + ["var", "std"])
@pytest.mark.parametrize("axis,keep", [((0, 2), False), (1, True), (None, False)])
def test_reductions_match_finite_differences(name, axis, keep, rng):
    fd_check(lambda a: getattr(mx, name)(a, axis=axis, keepdims=keep),
             rng.uniform(0.5, 1.5, (3, 4, 2)), rng)


@pytest.mark.parametrize("name", SCANS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
def test_scans_match_finite_differences(name, reverse, inclusive, rng):
    x = rng.uniform(0.5, 1.5, (3, 6))
    if name == "cumprod":
        x[0, 2] = x[1, 1] = x[1, 4] = 0
    fd_check(lambda a: getattr(mx, name)(a, axis=1, reverse=reverse, inclusive=inclusive), x, rng)


# ----------------------------------------------------------------------------
# vmap

VMAP_FNS = {
    "sum": lambda m: lambda a: m.sum(a, axis=0),
    "prod": lambda m: lambda a: m.prod(a, axis=(0, 1), keepdims=True),
    "max": lambda m: lambda a: m.max(a, axis=-1),
    "min": lambda m: lambda a: m.min(a),
    "all": lambda m: lambda a: m.all(a > 0, axis=1),
    "any": lambda m: lambda a: m.any(a > 0, keepdims=True),
    "argmax": lambda m: lambda a: m.argmax(a, axis=-1),
    "argmin": lambda m: lambda a: m.argmin(a, axis=0, keepdims=True),
    "logsumexp": lambda m: lambda a: m.logsumexp(a, axis=1, keepdims=True),
    "softmax": lambda m: lambda a: m.softmax(a, axis=-1),
    "softmax0": lambda m: lambda a: m.softmax(a, axis=0),
    "mean": lambda m: lambda a: m.mean(a, axis=(0, 1)),
    "var": lambda m: lambda a: m.var(a, axis=-1, ddof=1),
    "cumsum": lambda m: lambda a: m.cumsum(a, axis=1),
    "cumprod": lambda m: lambda a: m.cumprod(a, axis=0, reverse=True),
    "cummax": lambda m: lambda a: m.cummax(a, axis=-1, inclusive=False),
    "cummin": lambda m: lambda a: m.cummin(a),
    "logcumsumexp": lambda m: lambda a: m.logcumsumexp(a, axis=1, reverse=True),
}


@pytest.mark.parametrize("name", sorted(VMAP_FNS))
@pytest.mark.parametrize("in_axis", [0, 1, -1])
def test_vmap_matches_mlx_and_a_loop(name, in_axis, rng):
    x = unif(rng, (3, 4, 5))
    ours, ref = VMAP_FNS[name](mx), VMAP_FNS[name](mxr)
    o = mx.vmap(ours, in_axes=in_axis)(mx.array(x))
    r = mxr.vmap(ref, in_axes=in_axis)(mxr.array(x))
    compare([o], [r])
    rows = [ours(mx.array(np.take(x, i, axis=in_axis))) for i in range(x.shape[in_axis])]
    compare([o], [mx.stack(rows)])


def test_vmap_out_axes_and_unbatched_argument(rng):
    x, w = unif(rng, (4, 3)), unif(rng, (4,))
    o = mx.vmap(lambda a, b: mx.cumsum(a * b, axis=0), in_axes=(1, None), out_axes=1)(
        mx.array(x), mx.array(w))
    r = mxr.vmap(lambda a, b: mxr.cumsum(a * b, axis=0), in_axes=(1, None), out_axes=1)(
        mxr.array(x), mxr.array(w))
    compare([o], [r])
    o = mx.vmap(lambda a, b: mx.logsumexp(a + b, axis=0), in_axes=(None, 0))(
        mx.array(w), mx.array(x.T))
    r = mxr.vmap(lambda a, b: mxr.logsumexp(a + b, axis=0), in_axes=(None, 0))(
        mxr.array(w), mxr.array(x.T))
    compare([o], [r])


# ----------------------------------------------------------------------------
# nested transformations

SECOND_ORDER = {
    "prod": lambda m: lambda a: m.sum(m.prod(a, axis=1)),
    "logsumexp": lambda m: lambda a: m.logsumexp(a),
    "softmax": lambda m: lambda a: m.sum(m.softmax(a, axis=0) * m.sin(a)),
    "cumsum": lambda m: lambda a: m.sum(m.square(m.cumsum(a, axis=1, reverse=True))),
    "cumprod": lambda m: lambda a: m.sum(m.cumprod(a, axis=1, inclusive=False)),
    "logcumsumexp": lambda m: lambda a: m.sum(m.square(m.logcumsumexp(a, axis=0))),
    "std": lambda m: lambda a: m.sum(m.std(a, axis=1, ddof=1)),
    "max": lambda m: lambda a: m.sum(m.square(m.max(a, axis=0))),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_grad_of_grad_matches_mlx(name, rng):
    x, v = unif(rng, (3, 4), 0.3, 1.5), unif(rng, (3, 4), -1, 1)
    outs = []
    for m in (mx, mxr):
        f = SECOND_ORDER[name](m)
        hv = m.grad(lambda a: m.sum(m.grad(f)(a) * m.array(v)))
        outs.append(hv(m.array(x)))
    compare([outs[0]], [outs[1]], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_grad_of_grad_of_running_extrema(name, rng):
    # MLX cannot differentiate its cummax vjp again; finite differences of
    # our gradient stand in.
    f = lambda a: mx.sum(mx.square(getattr(mx, name)(a, axis=1)))  # noqa: E731
    g = mx.grad(f)
    x, v = rng.uniform(0.3, 1.5, (3, 5)), rng.uniform(-1, 1, (3, 5))
    hv = mx.grad(lambda a: mx.sum(g(a) * f64(v)))(f64(x))
    h = 1e-6
    want = (np.array(g(f64(x + h * v))) - np.array(g(f64(x - h * v)))) / (2 * h)
    np.testing.assert_allclose(np.array(hv), want, rtol=1e-6, atol=1e-6)


def test_vmap_of_grad_matches_mlx(rng):
    x = unif(rng, (4, 5), 0.3, 1.5)
    for make in [lambda m: lambda a: m.sum(m.cumprod(a)), lambda m: m.logsumexp,
                 lambda m: lambda a: m.max(a), lambda m: lambda a: m.sum(m.cummin(a) ** 2)]:
        o = mx.vmap(mx.grad(make(mx)), in_axes=1)(mx.array(x))
        r = mxr.vmap(mxr.grad(make(mxr)), in_axes=1)(mxr.array(x))
        compare([o], [r])
