"""Transformation rules of the view, shape and ternary ops (broadcast_to,
reshape, transpose, slicing, contiguous, concatenate, pad in every mode,
roll, diagonal, diag, where, nan_to_num, the comparisons) and of the
composites built on them (split, repeat, tile, flip, stack, moveaxis,
tril, ...): vjp/jvp against the reference MLX (float32) and against central
finite differences (float64), vmap against MLX and a Python loop (in_axes
other than 0, unbatched and transposed operands), zero rules for the bool
results, and nested transformations."""

import numpy as np
import pytest

from conftest import mx, to_numpy

mxr = pytest.importorskip("mlx.core")

SPECIALS = np.array([[0.0, np.inf, 0.0], [-np.inf, np.nan, 0.0]])
COND = np.array([[True], [False], [False]])

# name: (function of the module -> function of arrays, input shapes)
CASES = {
    "broadcast_to": (lambda m: lambda x: m.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    "broadcast_scalar": (lambda m: lambda x: m.broadcast_to(x, (2, 3)), [()]),
    "broadcast_arrays": (lambda m: lambda a, b: m.broadcast_arrays(a, b), [(4, 1), (3,)]),
    "reshape": (lambda m: lambda x: m.reshape(x, (4, 1, 6)), [(2, 3, 4)]),
    "flatten": (lambda m: lambda x: m.flatten(x, 1, 2), [(2, 3, 4)]),
    "unflatten": (lambda m: lambda x: m.unflatten(x, 1, (2, -1)), [(3, 4, 2)]),
    "squeeze_expand": (lambda m: lambda x: m.expand_dims(m.squeeze(x), (0, 3)), [(3, 1, 2)]),
    "atleast_3d": (lambda m: lambda x: m.atleast_3d(x), [(3, 2)]),
    "transpose": (lambda m: lambda x: m.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    "moveaxis": (lambda m: lambda x: m.moveaxis(x, 0, -1), [(2, 3, 4)]),
    "swapaxes": (lambda m: lambda x: m.swapaxes(x, 2, 0), [(2, 3, 4)]),
    "index_steps": (lambda m: lambda x: x[1:5:2, ::-1, 3:0:-2], [(6, 4, 5)]),
    "index_int": (lambda m: lambda x: x[2, :, -1], [(4, 3, 2)]),
    "index_step3": (lambda m: lambda x: x[::-3, 1:], [(7, 3)]),
    "flip": (lambda m: lambda x: m.flip(x, -1), [(3, 4)]),
    "contiguous": (lambda m: lambda x: m.contiguous(x.T), [(3, 4)]),
    "concatenate": (lambda m: lambda a, b, c: m.concatenate([a, b, c], axis=1),
                    [(2, 1, 3), (2, 3, 3), (2, 2, 3)]),
    "concatenate_flat": (lambda m: lambda a, b: m.concatenate([a, b], axis=None), [(2, 2), (3,)]),
    "stack": (lambda m: lambda a, b: m.stack([a, b], axis=1), [(2, 3), (2, 3)]),
    "unstack": (lambda m: lambda x: m.unstack(x, axis=1), [(2, 3, 2)]),
    "split": (lambda m: lambda x: m.split(x, 3, axis=0), [(6, 2)]),
    "split_indices": (lambda m: lambda x: m.split(x, [2, 5], axis=1), [(2, 7)]),
    "repeat": (lambda m: lambda x: m.repeat(x, 3, axis=1), [(2, 3)]),
    "repeat_flat": (lambda m: lambda x: m.repeat(x, 2), [(2, 3)]),
    "tile": (lambda m: lambda x: m.tile(x, (2, 1, 3)), [(2, 3)]),
    "pad_constant": (lambda m: lambda x: m.pad(x, [(1, 0), (2, 1)], constant_values=1.5), [(2, 3)]),
    "pad_edge": (lambda m: lambda x: m.pad(x, [(2, 1), (0, 3)], mode="edge"), [(3, 2)]),
    "pad_reflect": (lambda m: lambda x: m.pad(x, [(5, 4), (1, 2)], mode="reflect"), [(3, 2)]),
    "pad_symmetric": (lambda m: lambda x: m.pad(x, [(3, 5), (4, 0)], mode="symmetric"), [(2, 3)]),
    "roll": (lambda m: lambda x: m.roll(x, (1, -3), axis=(0, 1)), [(3, 4)]),
    "roll_flat": (lambda m: lambda x: m.roll(x, 5), [(3, 4)]),
    "diagonal": (lambda m: lambda x: m.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    "diagonal_neg": (lambda m: lambda x: m.diagonal(x, -1, 2, 0), [(3, 2, 4)]),
    "diag_vector": (lambda m: lambda x: m.diag(x, -2), [(3,)]),
    "diag_matrix": (lambda m: lambda x: m.diag(x, 1), [(3, 4)]),
    "trace": (lambda m: lambda x: m.trace(x, 1), [(3, 4)]),
    "tril": (lambda m: lambda x: m.tril(x, 1), [(2, 3, 4)]),
    "triu": (lambda m: lambda x: m.triu(x, -1), [(3, 4)]),
    "where": (lambda m: lambda a, b: m.where(m.array(COND), a, b), [(1, 4), (3, 4)]),
    "where_scalar": (lambda m: lambda a: m.where(m.array([1.0, -1.0, 2.0]) > 0, a, 2.0), [()]),
    "nan_to_num": (lambda m: lambda x: m.nan_to_num(x + m.array(SPECIALS.astype(np.float32)),
                                                   nan=0.5), [(2, 3)]),
}
# MLX 0.32.4 lacks these rules (its diag builds a scatter without jvp).
NO_MLX_JVP = {"diag_vector"}


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def compare(ours, ref, rtol=2e-5, atol=2e-6):
    ours, ref = as_list(ours), as_list(ref)
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1], (o.dtype, r.dtype)
        assert o.shape == r.shape
        np.testing.assert_allclose(to_numpy(o), to_numpy(r), rtol=rtol, atol=atol, equal_nan=True)


def unif(rng, shape, dtype=np.float32):
    return rng.uniform(-2, 2, shape).astype(dtype)


def f64(a):
    return mx.array(np.asarray(a, dtype=np.float64), dtype=mx.float64)


def wrap(fn):
    """`fn` returning a list (what vjp and jvp take)."""
    return lambda *a: as_list(fn(*a))


# ----------------------------------------------------------------------------
# against the MLX oracle (float32)

@pytest.mark.parametrize("name", sorted(CASES))
def test_vjp_jvp_match_mlx(name, rng):
    build, shapes = CASES[name]
    ours, ref = wrap(build(mx)), wrap(build(mxr))
    xs = [unif(rng, s) for s in shapes]
    outs = ref(*[mxr.array(x) for x in xs])
    cots = [unif(rng, o.shape) for o in outs]
    o = mx.vjp(ours, [mx.array(x) for x in xs], [mx.array(c) for c in cots])
    r = mxr.vjp(ref, [mxr.array(x) for x in xs], [mxr.array(c) for c in cots])
    compare(o[0] + o[1], r[0] + r[1])
    if name in NO_MLX_JVP:
        return
    ts = [unif(rng, s) for s in shapes]
    o = mx.jvp(ours, [mx.array(x) for x in xs], [mx.array(t) for t in ts])
    r = mxr.jvp(ref, [mxr.array(x) for x in xs], [mxr.array(t) for t in ts])
    compare(o[0] + o[1], r[0] + r[1])


@pytest.mark.parametrize("name", ["transpose", "index_steps", "concatenate", "pad_reflect",
                                  "diagonal", "where", "tile", "roll"])
def test_vjp_jvp_of_transposed_inputs_match_mlx(name, rng):
    build, shapes = CASES[name]
    ours, ref = wrap(build(mx)), wrap(build(mxr))
    xs = [unif(rng, s[::-1]) for s in shapes]
    mk = [lambda m, x=x: m.array(x).T for x in xs]
    outs = ref(*[f(mxr) for f in mk])
    cots = [unif(rng, o.shape) for o in outs]
    o = mx.vjp(ours, [f(mx) for f in mk], [mx.array(c) for c in cots])
    r = mxr.vjp(ref, [f(mxr) for f in mk], [mxr.array(c) for c in cots])
    compare(o[0] + o[1], r[0] + r[1])
    o = mx.jvp(ours, [f(mx) for f in mk], [f(mx) for f in mk])
    r = mxr.jvp(ref, [f(mxr) for f in mk], [f(mxr) for f in mk])
    compare(o[0] + o[1], r[0] + r[1])


def test_comparisons_have_zero_derivatives(rng):
    a = unif(rng, (3, 4))
    b = a[0] + rng.uniform(-1e-9, 1e-9, (4,)).astype(np.float32)

    def f(m):
        return lambda x, y: [m.isclose(x, y), m.allclose(x, y), m.array_equal(x, x, equal_nan=True)]
    outs = f(mx)(mx.array(a), mx.array(b))
    cots = [mx.ones(o.shape, dtype=o.dtype) for o in outs]
    _, g = mx.vjp(f(mx), [mx.array(a), mx.array(b)], cots)
    assert [x.shape for x in g] == [(3, 4), (4,)]
    assert all(not np.any(to_numpy(x)) for x in g)
    _, t = mx.jvp(f(mx), [mx.array(a), mx.array(b)], [mx.array(a), mx.array(b)])
    _, tr = mxr.jvp(f(mxr), [mxr.array(a), mxr.array(b)], [mxr.array(a), mxr.array(b)])
    # Zero tangents of the bool outputs's dtype (MLX's composites give int32).
    for o, r in zip(t, tr):
        assert o.dtype == mx.bool_ and o.shape == r.shape and not np.any(to_numpy(o))


def test_integer_inputs_go_through_the_linear_maps():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    c = np.arange(24, dtype=np.int32).reshape(6, 4)

    def f(m):
        return lambda a: m.pad(a, [(0, 1), (1, 1)], mode="edge").T
    o = mx.vjp(f(mx), [mx.array(x)], [mx.array(c)])
    r = mxr.vjp(f(mxr), [mxr.array(x)], [mxr.array(c)])
    compare(o[1], r[1])


# ----------------------------------------------------------------------------
# float64 against finite differences

def jacobian_fd(fn, xs, h=1e-6):
    """d out[o].flat[i] / d xs[k].flat[j] by central differences."""
    jac = []
    for k, x in enumerate(xs):
        cols = []
        for j in range(x.size):
            def at(d):
                v = x.copy().reshape(-1)
                v[j] += d
                args = [f64(a) for a in xs]
                args[k] = f64(v.reshape(x.shape))
                return [np.array(o).reshape(-1) for o in as_list(fn(*args))]
            p, m = at(h), at(-h)
            cols.append([np.where(pp == mm, 0.0, (pp - mm) / (2 * h)) for pp, mm in zip(p, m)])
        jac.append(cols)
    return jac


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_finite_differences(name, rng):
    build, shapes = CASES[name]
    fn = build(mx)
    if name == "nan_to_num":
        fn = lambda x: mx.nan_to_num(x + f64(SPECIALS), nan=0.5)  # noqa: E731
    xs = [rng.uniform(-2, 2, s) for s in shapes]
    jac = jacobian_fd(fn, xs)
    outs = as_list(fn(*[f64(x) for x in xs]))
    cots = [rng.uniform(-1, 1, o.shape) for o in outs]
    _, g = mx.vjp(wrap(fn), [f64(x) for x in xs], [f64(c) for c in cots])
    for k, gk in enumerate(g):
        assert gk.dtype == mx.float64 and gk.shape == xs[k].shape
        want = [sum(float(np.dot(col[o], cots[o].reshape(-1))) for o in range(len(outs)))
                for col in jac[k]]
        np.testing.assert_allclose(np.array(gk).reshape(-1), want, rtol=1e-6, atol=1e-8)
    ts = [rng.uniform(-1, 1, x.shape) for x in xs]
    _, t = mx.jvp(wrap(fn), [f64(x) for x in xs], [f64(v) for v in ts])
    for o, to in enumerate(t):
        assert to.dtype == mx.float64 and to.shape == outs[o].shape
        want = sum(sum(jac[k][j][o] * ts[k].reshape(-1)[j] for j in range(xs[k].size))
                   for k in range(len(xs)))
        np.testing.assert_allclose(np.array(to).reshape(-1), want, rtol=1e-6, atol=1e-8)


def test_pad_with_a_traced_constant_value(rng):
    # MLX takes a Python scalar here; rmlx differentiates an array value too.
    x, v = rng.uniform(-1, 1, (2, 3)), 0.7
    fn = lambda a, c: mx.pad(a, [(1, 0), (2, 1)], constant_values=c)  # noqa: E731
    jac = jacobian_fd(fn, [x, np.array(v)])
    cot = rng.uniform(-1, 1, (3, 6))
    _, g = mx.vjp(wrap(fn), [f64(x), f64(v)], [f64(cot)])
    np.testing.assert_allclose(float(np.array(g[1])), cot.sum() - cot[1:, 2:5].sum(), rtol=1e-12)
    np.testing.assert_allclose(np.array(g[0]), cot[1:, 2:5], rtol=1e-12)
    _, t = mx.jvp(wrap(fn), [f64(x), f64(v)], [f64(np.zeros((2, 3))), f64(1.0)])
    want = np.pad(np.zeros((2, 3)), [(1, 0), (2, 1)], constant_values=1.0)
    np.testing.assert_allclose(np.array(t[0]), want)
    assert len(jac) == 2
    # Batched fill values: one per batch element.
    xb, vb = rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (4,))
    got = mx.vmap(fn, in_axes=(2, 0))(f64(xb), f64(vb))
    want = np.stack([np.pad(xb[:, :, i], [(1, 0), (2, 1)], constant_values=vb[i]) for i in range(4)])
    np.testing.assert_allclose(np.array(got), want)


# ----------------------------------------------------------------------------
# vmap

def loop(fn, xs, axes):
    n = next(x.shape[a] for x, a in zip(xs, axes) if a is not None)
    res = []
    for i in range(n):
        args = [x if a is None else mx.array(np.take(np.array(x), i, axis=a)) for x, a in zip(xs, axes)]
        res.append(as_list(fn(*args)))
    return [mx.stack([r[o] for r in res]) for o in range(len(res[0]))]


def configs(shapes):
    k = len(shapes)
    out = [tuple([0] * k), tuple(len(s) for s in shapes), tuple(-1 for _ in shapes)]
    if k > 1:
        out.append((None,) + tuple(len(s) for s in shapes[1:]))
        out.append((len(shapes[0]) // 2,) + (None,) * (k - 1))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_vmap_matches_mlx_and_a_loop(name, rng):
    build, shapes = CASES[name]
    ours, ref = build(mx), build(mxr)
    for axes in configs(shapes):
        xs = []
        for s, a in zip(shapes, axes):
            if a is None:
                xs.append(unif(rng, s))
            else:
                pos = a if a >= 0 else len(s) + 1 + a
                xs.append(unif(rng, s[:pos] + (3,) + s[pos:]))
        got = as_list(mx.vmap(ours, in_axes=axes)(*[mx.array(x) for x in xs]))
        pos_axes = [None if a is None else (a if a >= 0 else x.ndim + a) for x, a in zip(xs, axes)]
        compare(got, loop(ours, [mx.array(x) for x in xs], pos_axes), rtol=1e-6, atol=1e-7)
        try:
            want = mxr.vmap(ref, in_axes=axes)(*[mxr.array(x) for x in xs])
        except (ValueError, RuntimeError):
            continue  # MLX lacks this vmap rule
        compare(got, want, rtol=1e-6, atol=1e-7)


def test_vmap_of_comparisons_and_where_with_a_batched_condition(rng):
    a = unif(rng, (3, 4))
    a[0, 1] = np.nan
    b = a.copy()
    b[1] += 1e-9

    def f(m):
        return lambda x, y: [m.isclose(x, y), m.allclose(x, y)]

    def eq(x, y):
        return mx.array_equal(x, y, equal_nan=True)
    for axes in [(0, 0), (1, 1), (1, None), (None, 0)]:
        xa = a if axes[0] is not None else a[0]
        xb = b if axes[1] is not None else b[:, 0]
        o = mx.vmap(f(mx), in_axes=axes)(mx.array(xa), mx.array(xb))
        r = mxr.vmap(f(mxr), in_axes=axes)(mxr.array(xa), mxr.array(xb))
        compare(o, r)
        # MLX 0.32.4's vmap of array_equal drops equal_nan: against a loop.
        o = mx.vmap(eq, in_axes=axes)(mx.array(xa), mx.array(xb))
        compare(o, loop(eq, [mx.array(xa), mx.array(xb)], axes)[0])
    c = unif(rng, (4, 3)) > 0
    x, y = unif(rng, (4, 1)), unif(rng, (4,))
    g = lambda m: lambda c, x, y: m.where(c, x, y)  # noqa: E731
    o = mx.vmap(g(mx), in_axes=(1, None, None))(mx.array(c), mx.array(x), mx.array(y))
    r = mxr.vmap(g(mxr), in_axes=(1, None, None))(mxr.array(c), mxr.array(x), mxr.array(y))
    compare(o, r)


# ----------------------------------------------------------------------------
# nested transformations

def pipeline(m):
    def f(x):
        p = m.pad(x, [(2, 1), (1, 2)], mode="symmetric")
        s = p[4:0:-2, ::2]
        c = m.concatenate([s, m.roll(x, 1, axis=0)], axis=0)
        d = m.diagonal(c, 1)
        w = m.where(d > 0, d, d * d)
        return (m.tile(w, (2,)) ** 3).sum() + (m.repeat(x, 2, axis=1)[:, ::3] ** 2).sum()
    return f


def test_grad_of_grad_matches_mlx(rng):
    x = unif(rng, (3, 3), np.float32) / 2
    v = unif(rng, (3, 3), np.float32)
    ours = lambda a: (mx.grad(pipeline(mx))(a) * mx.array(v)).sum()  # noqa: E731
    ref = lambda a: (mxr.grad(pipeline(mxr))(a) * mxr.array(v)).sum()  # noqa: E731
    compare(mx.grad(ours)(mx.array(x)), mxr.grad(ref)(mxr.array(x)), rtol=1e-4, atol=1e-5)
    # Forward over reverse gives the same Hessian-vector product (MLX 0.32.4
    # cannot: its diagonal's vjp is a scatter without a jvp).
    o = mx.jvp(mx.grad(pipeline(mx)), [mx.array(x)], [mx.array(v)])[1]
    compare(o, mx.grad(ours)(mx.array(x)), rtol=1e-4, atol=1e-5)


def test_vmap_of_grad_matches_mlx(rng):
    xb = unif(rng, (3, 3, 4)) / 2
    for ax in (0, 2):
        x = np.moveaxis(xb, 2, ax)
        o = mx.vmap(mx.grad(pipeline(mx)), in_axes=ax)(mx.array(x))
        r = mxr.vmap(mxr.grad(pipeline(mxr)), in_axes=ax)(mxr.array(x))
        compare(o, r, rtol=1e-4, atol=1e-5)


def test_vmap_of_vmap_over_slices_and_concatenate(rng):
    def f(m):
        return lambda a, b: m.concatenate([a[1::2], b], axis=0)
    a, b = unif(rng, (2, 5, 4)), unif(rng, (3, 4))
    inner = lambda m: m.vmap(f(m), in_axes=(0, None))  # noqa: E731
    o = mx.vmap(inner(mx), in_axes=(2, 1), out_axes=1)(mx.array(a), mx.array(b))
    r = mxr.vmap(inner(mxr), in_axes=(2, 1), out_axes=1)(mxr.array(a), mxr.array(b))
    compare(o, r)
