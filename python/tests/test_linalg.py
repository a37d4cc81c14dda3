"""`rmlx.core.linalg` against NumPy and the reference MLX: every function on
float32/float64 (complex64 where MLX allows it), batched and non-contiguous
inputs, empty matrices, MLX's errors (types and messages), the
decompositions' reconstructions and conventions (QR and LU match MLX's
LAPACK results; SVD / eigenvector signs are free, so those are checked
through invariants), gradients (vjp and jvp) against float64 central
differences, and vmap against a Python loop."""

import numpy as np
import pytest

from conftest import mx, to_numpy

la = mx.linalg
mxr = pytest.importorskip("mlx.core")
lar = mxr.linalg

INF = float("inf")


def arr(x, mod=mx):
    x = np.asarray(x)
    if x.dtype == np.float64:
        return mod.array(x, dtype=mod.float64)
    return mod.array(x)


def npy(a):
    return to_numpy(a)


def tol(dt):
    return dict(rtol=2e-4, atol=2e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-11)


def randn(rng, shape, dt=np.float32):
    return rng.standard_normal(shape).astype(dt)


def spd(rng, shape, dt=np.float32):
    """Random symmetric positive definite matrices."""
    x = rng.standard_normal(shape)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dt)


def well(rng, shape, dt=np.float32):
    """Random well-conditioned square matrices."""
    n = shape[-1]
    return (rng.standard_normal(shape) + 3 * np.eye(n)).astype(dt)


DTYPES = [np.float32, np.float64]


# ---------------------------------------------------------------------------
# module surface


def test_module_has_mlx_functions():
    names = ["cholesky", "cholesky_inv", "cross", "det", "eig", "eigh", "eigvals", "eigvalsh",
             "inv", "lu", "lu_factor", "norm", "pinv", "qr", "slogdet", "solve",
             "solve_triangular", "svd", "tri_inv"]
    for n in names:
        assert hasattr(la, n), n
        assert hasattr(lar, n), n
    assert hasattr(la, "lstsq") and hasattr(la, "matrix_norm")
    import importlib
    assert importlib.import_module("rmlx.core.linalg") is la


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.inv([[1.0, 2.0], [3.0, 4.0]]),
    lambda m: m.linalg.norm(np.ones(3)),
    lambda m: m.linalg.solve(m.eye(2), [1.0, 2.0]),
    lambda m: m.linalg.cross([1, 2, 3], [4, 5, 6]),
])
def test_non_arrays_are_refused_like_mlx(call):
    with pytest.raises(TypeError):
        call(mxr)
    with pytest.raises(TypeError):
        call(mx)


def test_keyword_names():
    a = mx.array([[2.0, 1.0], [1.0, 3.0]])
    la.eigh(a, UPLO="U", stream=mx.cpu)
    la.eigvalsh(a, UPLO="L")
    la.svd(a, compute_uv=False)
    la.cholesky(a, upper=True)
    la.solve_triangular(a, a, upper=True)
    la.norm(a, ord=2, axis=(0, 1), keepdims=True)
    la.cross(mx.ones(3), mx.ones(3), axis=0)
    with pytest.raises(TypeError):
        la.solve_triangular(a, a, True)  # upper is keyword-only
    with pytest.raises(TypeError):
        la.norm(a=a)  # positional-only


# ---------------------------------------------------------------------------
# errors as MLX raises them

ERRORS = [
    ("inv", lambda m: m.linalg.inv(m.ones((2, 3)))),
    ("inv", lambda m: m.linalg.inv(m.ones((3,)))),
    ("inv", lambda m: m.linalg.inv(m.eye(2, dtype=m.int32))),
    ("inv", lambda m: m.linalg.inv(m.eye(2, dtype=m.float16))),
    ("inv", lambda m: m.linalg.inv(m.eye(2, dtype=m.complex64))),
    ("tri_inv", lambda m: m.linalg.tri_inv(m.ones((2, 3)))),
    ("cholesky", lambda m: m.linalg.cholesky(m.ones((2, 3)))),
    ("cholesky", lambda m: m.linalg.cholesky(m.ones((2,)))),
    ("cholesky_inv", lambda m: m.linalg.cholesky_inv(m.ones((2, 3)))),
    ("qr", lambda m: m.linalg.qr(m.array([[1, 2], [3, 4]]))),
    ("qr", lambda m: m.linalg.qr(m.ones((2,)))),
    ("svd", lambda m: m.linalg.svd(m.array([[1, 2], [3, 4]]))),
    ("svd", lambda m: m.linalg.svd(m.ones((2,)))),
    ("eigh", lambda m: m.linalg.eigh(m.ones((2, 3)))),
    ("eigh", lambda m: m.linalg.eigh(m.array([[1, 2], [3, 4]]))),
    ("eigvalsh", lambda m: m.linalg.eigvalsh(m.ones((3,)))),
    ("eig", lambda m: m.linalg.eig(m.ones((2, 3)))),
    ("eigvals", lambda m: m.linalg.eigvals(m.ones((2, 2), dtype=m.int32))),
    ("lu", lambda m: m.linalg.lu(m.array([[1, 2], [3, 4]]))),
    ("lu_factor", lambda m: m.linalg.lu_factor(m.ones((2,)))),
    ("solve", lambda m: m.linalg.solve(m.ones((2,)), m.ones((2,)))),
    ("solve", lambda m: m.linalg.solve(m.ones((2, 3)), m.ones((2,)))),
    ("solve", lambda m: m.linalg.solve(m.eye(2), m.ones((3,)))),
    ("solve", lambda m: m.linalg.solve(m.eye(2), m.ones((3, 1)))),
    ("solve", lambda m: m.linalg.solve(m.eye(2, dtype=m.int32), m.ones((2,), dtype=m.int32))),
    ("solve", lambda m: m.linalg.solve(m.eye(2), m.array(1.0))),
    ("solve_triangular", lambda m: m.linalg.solve_triangular(m.ones((2, 3)), m.ones((2,)))),
    ("pinv", lambda m: m.linalg.pinv(m.ones((2,)))),
    ("pinv", lambda m: m.linalg.pinv(m.ones((2, 2), dtype=m.int32))),
    ("det", lambda m: m.linalg.det(m.ones((2,)))),
    ("det", lambda m: m.linalg.det(m.ones((2, 3)))),
    ("det", lambda m: m.linalg.det(m.ones((2, 2), dtype=m.complex64))),
    ("det", lambda m: m.linalg.det(m.ones((5, 5), dtype=m.bfloat16))),
    ("slogdet", lambda m: m.linalg.slogdet(m.ones((2, 3)))),
    ("norm", lambda m: m.linalg.norm(m.ones((2, 3, 4)), ord=1)),
    ("norm", lambda m: m.linalg.norm(m.ones((2, 3, 4)), axis=(0, 1, 2))),
    ("norm", lambda m: m.linalg.norm(m.ones((3,)), "fro")),
    ("norm", lambda m: m.linalg.norm(m.ones((3, 3)), "abc")),
    ("norm", lambda m: m.linalg.norm(m.ones((3, 3)), 0)),
    ("norm", lambda m: m.linalg.norm(m.ones((3, 3)), 3)),
    ("norm", lambda m: m.linalg.norm(m.ones((3, 3)), 0.5)),
    ("norm", lambda m: m.linalg.norm(m.array(3.0), 2)),
    ("norm", lambda m: m.linalg.norm(m.array([[3, 4], [1, 2]]), 2)),
    ("norm", lambda m: m.linalg.norm(m.array([[3, 4], [1, 2]]), "nuc")),
    ("cross", lambda m: m.linalg.cross(m.ones((4,)), m.ones((4,)))),
    ("cross", lambda m: m.linalg.cross(m.ones((3,)), m.ones((3,)), axis=1)),
    ("cross", lambda m: m.linalg.cross(m.ones((3,)), m.ones((3,)), axis=-2)),
    ("stream", lambda m: m.linalg.inv(m.eye(2), stream=m.gpu)),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[f"{i}-{e[0]}" for i, e in enumerate(ERRORS)])
def test_errors_match_mlx(name, call):
    with pytest.raises(Exception) as ref:
        mxr.eval(call(mxr))
    with pytest.raises(Exception) as ours:
        mx.eval(call(mx))
    assert type(ours.value) is type(ref.value), (ours.value, ref.value)
    assert str(ours.value) == str(ref.value)


SINGULAR = [
    lambda m: m.linalg.inv(m.array([[1.0, 2.0], [2.0, 4.0]])),
    lambda m: m.linalg.inv(m.zeros((3, 3))),
    lambda m: m.linalg.tri_inv(m.array([[1.0, 0.0], [1.0, 0.0]])),
    lambda m: m.linalg.tri_inv(m.array([[0.0, 5.0], [1.0, 2.0]]), upper=True),
    lambda m: m.linalg.solve(m.array([[1.0, 2.0], [2.0, 4.0]]), m.array([1.0, 2.0])),
    lambda m: m.linalg.solve_triangular(m.array([[0.0, 2.0], [3.0, 4.0]]), m.array([1.0, 2.0])),
    lambda m: m.linalg.inv(m.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]])),
]


@pytest.mark.parametrize("call", SINGULAR)
def test_singular_inputs_fail_like_mlx(call):
    with pytest.raises(RuntimeError) as ref:
        mxr.eval(call(mxr))
    with pytest.raises(RuntimeError) as ours:
        mx.eval(call(mx))
    assert str(ours.value) == str(ref.value)


# ---------------------------------------------------------------------------
# inverses


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 5, 5), (2, 1, 40, 40)])
def test_inv(dt, shape, rng):
    a = well(rng, shape, dt)
    got = la.inv(arr(a))
    assert got.dtype == (mx.float32 if dt == np.float32 else mx.float64)
    np.testing.assert_allclose(npy(got), np.linalg.inv(a.astype(np.float64)), **tol(dt))
    if dt == np.float32:
        np.testing.assert_allclose(npy(got), np.array(lar.inv(mxr.array(a))), rtol=1e-3, atol=1e-4)


def test_inv_of_strided_and_empty_inputs(rng):
    a = well(rng, (6, 6))
    t = arr(a).T
    np.testing.assert_allclose(npy(la.inv(t)), np.linalg.inv(a.T), rtol=1e-4, atol=1e-5)
    s = arr(np.stack([a, a + 1, a - 1]))[::2, ::-1]
    np.testing.assert_allclose(npy(la.inv(s)), np.linalg.inv(np.stack([a, a - 1])[:, ::-1]),
                               rtol=1e-4, atol=1e-5)
    assert la.inv(mx.zeros((0, 0))).shape == (0, 0)
    assert la.inv(mx.zeros((0, 3, 3))).shape == (0, 3, 3)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dt", DTYPES)
def test_tri_inv_reads_one_triangle(upper, dt, rng):
    a = well(rng, (3, 4, 4), dt)
    tri = np.triu(a) if upper else np.tril(a)
    got = npy(la.tri_inv(arr(a), upper=upper))
    np.testing.assert_allclose(got, np.linalg.inv(tri.astype(np.float64)), **tol(dt))
    other = np.tril(got, -1) if upper else np.triu(got, 1)
    assert np.all(other == 0)
    if dt == np.float32:
        ref = np.array(lar.tri_inv(mxr.array(a), upper=upper))
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_and_cholesky_inv(upper, rng):
    a = spd(rng, (2, 3, 5, 5))
    c = npy(la.cholesky(arr(a), upper=upper))
    want = np.linalg.cholesky(a.astype(np.float64))
    want = np.swapaxes(want, -1, -2) if upper else want
    np.testing.assert_allclose(c, want, rtol=1e-4, atol=1e-5)
    ref = np.array(lar.cholesky(mxr.array(a), upper=upper))
    np.testing.assert_allclose(c, ref, rtol=1e-4, atol=1e-5)
    # Only the named triangle is read.
    junk = a + (np.tril(np.ones((5, 5)), -1) if upper else np.triu(np.ones((5, 5)), 1)) * 100
    np.testing.assert_allclose(npy(la.cholesky(arr(junk.astype(np.float32)), upper=upper)), c,
                               rtol=1e-5, atol=1e-6)
    ci = npy(la.cholesky_inv(arr(c), upper=upper))
    np.testing.assert_allclose(ci, np.linalg.inv(a.astype(np.float64)), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(ci, np.array(lar.cholesky_inv(mxr.array(c), upper=upper)),
                               rtol=1e-4, atol=1e-6)


def test_cholesky_float64_and_not_positive_definite(rng):
    a = spd(rng, (4, 4), np.float64)
    np.testing.assert_allclose(npy(la.cholesky(arr(a))), np.linalg.cholesky(a), rtol=1e-12)
    bad = la.cholesky(mx.array([[1.0, 2.0], [2.0, 1.0]]))
    assert np.isnan(npy(bad)).all()  # MLX returns LAPACK's partial factor


def test_pinv(rng):
    for shape in [(4, 3), (3, 5), (2, 4, 4)]:
        a = randn(rng, shape)
        got = npy(la.pinv(arr(a)))
        np.testing.assert_allclose(got, np.linalg.pinv(a.astype(np.float64)), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(got, np.array(lar.pinv(mxr.array(a))), rtol=1e-3, atol=1e-4)
    s = mx.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(npy(la.pinv(s)), np.linalg.pinv(np.array(s)), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# factorisations


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 2), (2, 2, 3, 6), (1, 1)])
def test_qr_reconstructs_and_matches_mlx(dt, shape, rng):
    a = randn(rng, shape, dt)
    q, r = la.qr(arr(a))
    k = min(shape[-2:])
    assert q.shape == shape[:-1] + (k,) and r.shape == shape[:-2] + (k, shape[-1])
    q, r = npy(q), npy(r)
    np.testing.assert_allclose(q @ r, a, **tol(dt))
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)),
                               **tol(dt))
    assert np.all(np.tril(r, -1) == 0)
    if dt == np.float32:  # same Householder sign convention as LAPACK
        qr_, rr_ = lar.qr(mxr.array(a), stream=mxr.cpu)
        np.testing.assert_allclose(q, np.array(qr_), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(r, np.array(rr_), rtol=1e-3, atol=1e-4)


def test_qr_empty():
    q, r = la.qr(mx.zeros((0, 3)))
    assert q.shape == (0, 0) and r.shape == (0, 3)
    q, r = la.qr(mx.zeros((3, 0)))
    assert q.shape == (3, 0) and r.shape == (0, 0)


@pytest.mark.parametrize("dt", DTYPES + [np.complex64])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 6, 2)])
def test_svd(dt, shape, rng):
    a = randn(rng, shape, np.float32 if dt == np.complex64 else dt)
    if dt == np.complex64:
        a = (a + 1j * randn(rng, shape)).astype(np.complex64)
    u, s, vt = la.svd(arr(a))
    m, n = shape[-2:]
    k = min(m, n)
    assert u.shape == shape[:-2] + (m, m) and vt.shape == shape[:-2] + (n, n)
    assert s.shape == shape[:-2] + (k,)
    assert s.dtype == (mx.float64 if dt == np.float64 else mx.float32)
    assert u.dtype == vt.dtype == arr(a).dtype
    u, s, vt = npy(u), npy(s), npy(vt)
    t = tol(np.float64 if dt == np.float64 else np.float32)
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.complex128 if dt == np.complex64 else np.float64),
                                                compute_uv=False), **t)
    rec = (u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :]
    np.testing.assert_allclose(rec, a, **t)
    eye = lambda d: np.broadcast_to(np.eye(d), shape[:-2] + (d, d))
    np.testing.assert_allclose(np.conj(np.swapaxes(u, -1, -2)) @ u, eye(m), **t)
    np.testing.assert_allclose(vt @ np.conj(np.swapaxes(vt, -1, -2)), eye(n), **t)
    s2 = la.svd(arr(a), compute_uv=False)
    assert isinstance(s2, mx.array)
    np.testing.assert_allclose(npy(s2), s, **t)


def test_svd_empty_matches_mlx():
    for shape in [(0, 3), (2, 0), (0, 0)]:
        ours, ref = la.svd(mx.zeros(shape)), lar.svd(mxr.zeros(shape))
        for o, r in zip(ours, ref):
            assert o.shape == r.shape
            np.testing.assert_array_equal(npy(o), np.array(r))


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("dt", DTYPES + [np.complex64])
def test_eigh(uplo, dt, rng):
    shape = (2, 5, 5)
    x = randn(rng, shape, np.float32 if dt == np.complex64 else dt)
    if dt == np.complex64:
        x = (x + 1j * randn(rng, shape)).astype(np.complex64)
    h = (x + np.conj(np.swapaxes(x, -1, -2))) / 2
    # Only the UPLO triangle is read.
    junk = np.triu(np.ones(5), 1) if uplo == "L" else np.tril(np.ones(5), -1)
    a = (h + 50 * junk).astype(h.dtype)
    w, v = la.eigh(arr(a), UPLO=uplo)
    t = tol(np.float64 if dt == np.float64 else np.float32)
    wn = np.linalg.eigvalsh(h.astype(np.complex128 if dt == np.complex64 else np.float64))
    np.testing.assert_allclose(npy(w), wn, **t)
    v = npy(v)
    np.testing.assert_allclose(h @ v, v * npy(w)[..., None, :], rtol=1e-3 if dt != np.float64 else 1e-9,
                               atol=1e-3 if dt != np.float64 else 1e-9)
    np.testing.assert_allclose(npy(la.eigvalsh(arr(a), UPLO=uplo)), wn, **t)
    wr = np.array(lar.eigvalsh(mxr.array(a.astype(np.complex64 if dt == np.complex64 else np.float32)),
                               UPLO=uplo, stream=mxr.cpu))
    np.testing.assert_allclose(npy(w), wr, rtol=1e-3, atol=1e-3)


def test_eigh_rejects_bad_uplo():
    with pytest.raises(ValueError):
        la.eigh(mx.eye(2), UPLO="X")


def canonical(v):
    """Eigenvectors with the phase of their largest component removed."""
    k = np.argmax(np.abs(v), axis=-2)
    big = np.take_along_axis(v, k[..., None, :], axis=-2)
    return v * np.conj(big) / np.abs(big)


@pytest.mark.parametrize("dt", DTYPES + [np.complex64])
def test_eig(dt, rng):
    shape = (3, 6, 6)
    a = randn(rng, shape, np.float32 if dt == np.complex64 else dt)
    if dt == np.complex64:
        a = (a + 1j * randn(rng, shape)).astype(np.complex64)
    w, v = la.eig(arr(a))
    assert w.dtype == v.dtype == mx.complex64
    w, v = npy(w), npy(v)
    a64 = a.astype(np.complex128)
    np.testing.assert_allclose(a64 @ v, v * w[..., None, :], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-5)
    # LAPACK's normalisation: the largest component is real.
    k = np.argmax(np.abs(v), axis=-2)
    big = np.take_along_axis(v, k[..., None, :], axis=-2)
    np.testing.assert_allclose(big.imag, 0, atol=1e-6)
    np.testing.assert_allclose(np.sort_complex(npy(la.eigvals(arr(a)))), np.sort_complex(w), rtol=1e-4,
                               atol=1e-4)
    # Against MLX, eigenvalue by eigenvalue (orders may differ).
    wr, vr = lar.eig(mxr.array(a.astype(np.complex64 if dt == np.complex64 else np.float32)), stream=mxr.cpu)
    wr, vr = np.array(wr), np.array(vr)
    if dt == np.complex64:
        # MLX 0.32.4 returns the conjugates of the eigenvectors of complex
        # matrices (they fail A v = w v); rmlx returns the eigenvectors.
        assert np.abs(a64 @ vr - vr * wr[..., None, :]).max() > 0.1
        vr = np.conj(vr)
    for b in range(shape[0]):
        for j in range(6):
            i = np.argmin(np.abs(wr[b] - w[b, j]))
            np.testing.assert_allclose(w[b, j], wr[b, i], rtol=1e-3, atol=1e-3)
            np.testing.assert_allclose(canonical(v[b][:, j:j + 1]), canonical(vr[b][:, i:i + 1]),
                                       rtol=2e-3, atol=2e-3)


def test_eig_real_pairs_match_mlx_exactly():
    a = mx.array([[0.0, -1.0], [1.0, 0.0]])
    for o, r in zip(la.eig(a), lar.eig(mxr.array(np.array(a)), stream=mxr.cpu)):
        np.testing.assert_allclose(npy(o), np.array(r), atol=1e-6)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (4, 4), (2, 5, 3), (40, 40), (3, 70, 50)])
def test_lu_matches_mlx(dt, shape, rng):
    a = randn(rng, shape, dt)
    rows, l, u = la.lu(arr(a))
    lu_, piv = la.lu_factor(arr(a))
    assert rows.dtype == piv.dtype == mx.uint32
    m, n = shape[-2:]
    k = min(m, n)
    assert l.shape == shape[:-2] + (m, k) and u.shape == shape[:-2] + (k, n)
    rows, l, u = npy(rows), npy(l), npy(u)
    prod = l @ u
    np.testing.assert_allclose(np.take_along_axis(prod, rows[..., None].astype(np.int64), axis=-2), a,
                               **tol(dt))
    ref = lar.lu_factor(mxr.array(a.astype(np.float32)), stream=mxr.cpu)
    np.testing.assert_array_equal(npy(piv), np.array(ref[1]))
    rr = lar.lu(mxr.array(a.astype(np.float32)), stream=mxr.cpu)
    np.testing.assert_array_equal(rows, np.array(rr[0]))
    np.testing.assert_allclose(npy(lu_), np.array(ref[0]), rtol=1e-3, atol=1e-4)


def test_lu_of_singular_matrices_matches_mlx():
    for a in [np.zeros((3, 3)), np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),
              np.ones((4, 2))]:
        a = a.astype(np.float32)
        for o, r in zip(la.lu_factor(mx.array(a)), lar.lu_factor(mxr.array(a), stream=mxr.cpu)):
            np.testing.assert_allclose(npy(o), np.array(r), atol=1e-6)


# ---------------------------------------------------------------------------
# solves


@pytest.mark.parametrize("dt", DTYPES)
def test_solve(dt, rng):
    a = well(rng, (2, 4, 4), dt)
    for b in [randn(rng, (4,), dt), randn(rng, (2, 4, 3), dt), randn(rng, (4, 2), dt),
              randn(rng, (5, 2, 4, 1), dt)]:
        got = npy(la.solve(arr(a), arr(b)))
        if b.ndim == 1:
            want = np.linalg.solve(a.astype(np.float64), b.astype(np.float64)[None, :, None])[..., 0]
        else:
            want = np.linalg.solve(a.astype(np.float64), b.astype(np.float64))
        np.testing.assert_allclose(got, want, **tol(dt))
    # Against MLX where it accepts the shapes.
    b = randn(rng, (2, 4, 3), np.float32)
    np.testing.assert_allclose(npy(la.solve(arr(a.astype(np.float32)), arr(b))),
                               np.array(lar.solve(mxr.array(a.astype(np.float32)), mxr.array(b),
                                                  stream=mxr.cpu)), rtol=1e-3, atol=1e-4)


def test_solve_promotes_and_keeps_float64(rng):
    a = well(rng, (3, 3), np.float64)
    b = np.array([1, 2, 3], dtype=np.int32)
    got = la.solve(arr(a), mx.array(b))
    assert got.dtype == mx.float64
    np.testing.assert_allclose(npy(got), np.linalg.solve(a, b), rtol=1e-12)
    got = la.solve(mx.array(a.astype(np.float32)), mx.array(b))
    assert got.dtype == mx.float32


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dt", DTYPES)
def test_solve_triangular(upper, dt, rng):
    a = well(rng, (3, 5, 5), dt)
    tri = np.triu(a) if upper else np.tril(a)
    for b in [randn(rng, (5,), dt), randn(rng, (3, 5, 2), dt)]:
        got = npy(la.solve_triangular(arr(a), arr(b), upper=upper))
        bb = b[None, :, None] if b.ndim == 1 else b
        want = np.linalg.solve(tri.astype(np.float64), bb.astype(np.float64))
        want = want[..., 0] if b.ndim == 1 else want
        np.testing.assert_allclose(got, want, **tol(dt))
        if dt == np.float32:
            ref = lar.solve_triangular(mxr.array(a), mxr.array(b), upper=upper, stream=mxr.cpu)
            np.testing.assert_allclose(got, np.array(ref), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shape,vector", [((6, 3), True), ((6, 6), True), ((3, 6), True),
                                          ((6, 3), False), ((6, 6), False), ((3, 6), False),
                                          ((2, 6, 3), False)])
def test_lstsq_follows_numpy(shape, vector, rng):
    a = randn(rng, shape, np.float64)
    b = randn(rng, shape[:-1] if vector else shape[:-1] + (2,), np.float64)
    x, res, rank, s = la.lstsq(arr(a), arr(b))
    if len(shape) == 2:
        xn, resn, rankn, sn = np.linalg.lstsq(a, b)
        np.testing.assert_allclose(npy(x), xn, rtol=1e-9, atol=1e-10)
        assert res.shape == resn.shape
        np.testing.assert_allclose(npy(res), resn, rtol=1e-9, atol=1e-10)
        assert rank == rankn and isinstance(rank, int)
        np.testing.assert_allclose(npy(s), sn, rtol=1e-12)
    else:
        for i in range(shape[0]):
            xn = np.linalg.lstsq(a[i], b[i])[0]
            np.testing.assert_allclose(npy(x)[i], xn, rtol=1e-9, atol=1e-10)


def test_lstsq_rank_deficient_and_rcond(rng):
    a = randn(rng, (6, 3), np.float64)
    a[:, 2] = a[:, 0] + a[:, 1]
    b = randn(rng, (6,), np.float64)
    x, res, rank, s = la.lstsq(arr(a), arr(b))
    xn, resn, rankn, _ = np.linalg.lstsq(a, b)
    assert rank == rankn == 2 and res.shape == resn.shape == (0,)
    np.testing.assert_allclose(npy(x), xn, rtol=1e-8, atol=1e-9)
    x, _, rank, _ = la.lstsq(arr(a), arr(b), rcond=0.9)
    xn, _, rankn, _ = np.linalg.lstsq(a, b, rcond=0.9)
    assert rank == rankn
    np.testing.assert_allclose(npy(x), xn, rtol=1e-8, atol=1e-9)
    x, *_ = la.lstsq(mx.array(a.astype(np.float32)), mx.array(b.astype(np.float32)))
    assert x.dtype == mx.float32


# ---------------------------------------------------------------------------
# determinants


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 6])
@pytest.mark.parametrize("dt", DTYPES)
def test_det_and_slogdet(n, dt, rng):
    a = randn(rng, (3, n, n), dt)
    d = npy(la.det(arr(a)))
    sg, ld = la.slogdet(arr(a))
    sn, ln = np.linalg.slogdet(a.astype(np.float64))
    np.testing.assert_allclose(d, np.linalg.det(a.astype(np.float64)), **tol(dt))
    np.testing.assert_allclose(npy(sg), sn)
    np.testing.assert_allclose(npy(ld), ln, **tol(dt))
    if dt == np.float32:
        np.testing.assert_allclose(d, np.array(lar.det(mxr.array(a), stream=mxr.cpu)), rtol=1e-4,
                                   atol=1e-5)


def test_det_dtypes_and_singular_matrices_match_mlx():
    cases = [np.eye(2) > 0, np.array([[1, 2], [3, 4]], dtype=np.int32),
             np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32), np.zeros((5, 5), np.float32),
             np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)]
    for a in cases:
        o, r = la.det(mx.array(a)), lar.det(mxr.array(a), stream=mxr.cpu)
        assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]
        np.testing.assert_allclose(npy(o), np.array(r))
        for o, r in zip(la.slogdet(mx.array(a)), lar.slogdet(mxr.array(a), stream=mxr.cpu)):
            np.testing.assert_allclose(npy(o), np.array(r))
    a = np.eye(2).astype(np.float16) * 2
    assert la.det(mx.array(a)).dtype == mx.float16


# ---------------------------------------------------------------------------
# norms and cross


VEC_ORDS = [None, 0, 1, 2, INF, -INF, 3, -1, 0.5, -3]
MAT_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, INF, -INF]


@pytest.mark.parametrize("ord", VEC_ORDS)
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norms(ord, axis, keepdims, rng):
    x = randn(rng, (5,) if axis is None else (3, 5))
    x[..., 1] = 0
    got = la.norm(mx.array(x), ord, axis, keepdims)
    ref = lar.norm(mxr.array(x), ord, axis, keepdims)
    assert got.shape == ref.shape and str(got.dtype) == "rmlx.core." + str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(npy(got), np.array(ref), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(got), np.linalg.norm(x.astype(np.float64), ord, axis, keepdims),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ord", MAT_ORDS)
@pytest.mark.parametrize("axis", [None, (0, 1), (1, 0), (-1, -2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms(ord, axis, keepdims, rng):
    x = randn(rng, (4, 3))
    got = la.norm(mx.array(x), ord, axis, keepdims)
    ref = lar.norm(mxr.array(x), ord, axis, keepdims, stream=mxr.cpu)
    assert got.shape == ref.shape
    np.testing.assert_allclose(npy(got), np.array(ref), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npy(got), np.linalg.norm(x.astype(np.float64), ord, axis, keepdims),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ord", MAT_ORDS)
@pytest.mark.parametrize("axis", [(0, 2), (2, 0), (1, -1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_batched_matrix_norms(ord, axis, keepdims, rng):
    x = randn(rng, (3, 2, 4))
    got = la.norm(mx.array(x), ord, axis, keepdims)
    ref = lar.norm(mxr.array(x), ord, axis, keepdims, stream=mxr.cpu)
    assert got.shape == ref.shape
    np.testing.assert_allclose(npy(got), np.array(ref), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npy(got), np.linalg.norm(x.astype(np.float64), ord, axis, keepdims),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda m, x: m.linalg.norm(x),
    lambda m, x: m.linalg.norm(x, keepdims=True),
    lambda m, x: m.linalg.norm(x, axis=(0, 2)),
    lambda m, x: m.linalg.norm(x.astype(m.int32)),
    lambda m, x: m.linalg.norm(x.astype(m.int32), 1, axis=1),
    lambda m, x: m.linalg.norm(x.astype(m.int32), 0, axis=1),
    lambda m, x: m.linalg.norm(x.astype(m.float16), 3, axis=0),
    lambda m, x: m.linalg.norm(x.astype(m.complex64) * (1 + 1j), axis=2),
    lambda m, x: m.linalg.norm(x.astype(m.complex64) * (1 + 1j), 1, axis=2),
    lambda m, x: m.linalg.norm(x.astype(m.complex64) * (1 + 1j), INF, axis=2),
    lambda m, x: m.linalg.norm(x[0, 0, 0]),
    lambda m, x: m.linalg.norm(x, True, axis=1),
    lambda m, x: m.linalg.norm(x, 1, axis=(1, 1)),
    lambda m, x: m.linalg.norm(x, "fro", axis=(0, 1)),
])
def test_norm_dtypes_and_shapes_match_mlx(call, rng):
    x = np.round(randn(rng, (2, 3, 4)) * 4)
    got, ref = call(mx, mx.array(x)), call(mxr, mxr.array(x))
    assert got.shape == ref.shape and str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(npy(got), np.array(ref), rtol=1e-3, atol=1e-4)


def test_matrix_norm_follows_numpy(rng):
    x = randn(rng, (2, 4, 3))
    for ord in ["fro", "nuc", 1, -1, 2, -2, INF, -INF]:
        np.testing.assert_allclose(npy(la.matrix_norm(mx.array(x), ord=ord)),
                                   np.linalg.matrix_norm(x.astype(np.float64), ord=ord), rtol=1e-5)
    np.testing.assert_allclose(npy(la.matrix_norm(mx.array(x), keepdims=True)),
                               np.linalg.matrix_norm(x.astype(np.float64), keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("sa,sb,axis", [((3,), (3,), -1), ((2,), (2,), -1), ((2,), (3,), -1),
                                        ((3,), (2,), -1), ((4, 3), (3,), -1), ((2, 1, 3), (4, 3), -1),
                                        ((3, 5), (3, 5), 0), ((2, 3, 4), (2, 3, 4), 1)])
def test_cross(sa, sb, axis, rng):
    a, b = randn(rng, sa), randn(rng, sb)
    got = la.cross(mx.array(a), mx.array(b), axis)
    ref = lar.cross(mxr.array(a), mxr.array(b), axis)
    assert got.shape == ref.shape
    np.testing.assert_allclose(npy(got), np.array(ref), rtol=1e-5, atol=1e-6)
    if sa[axis] == sb[axis] == 3:
        np.testing.assert_allclose(npy(got), np.cross(a, b, axis=axis), rtol=1e-5, atol=1e-6)
    i = mx.array([1, 2, 3])
    assert la.cross(i, mx.array([4, 5, 6])).dtype == mx.int32


# ---------------------------------------------------------------------------
# gradients against central differences (float64)


def f64(a):
    return mx.array(np.asarray(a, dtype=np.float64), dtype=mx.float64)


def fd_check(fn, x, rng, tol=1e-6, h=1e-6):
    """vjp and jvp of `fn` at NumPy `x` against central differences."""
    x = np.asarray(x, dtype=np.float64)
    out = np.array(fn(f64(x)))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        jac[(Ellipsis,) + idx] = (np.array(fn(f64(x + e))) - np.array(fn(f64(x - e)))) / (2 * h)
    c = rng.uniform(-1, 1, out.shape)
    (_, (g,)) = mx.vjp(fn, [f64(x)], [f64(c)])
    np.testing.assert_allclose(np.array(g), np.tensordot(c, jac, axes=out.ndim), rtol=tol, atol=tol)
    t = rng.uniform(-1, 1, x.shape)
    (_, (j,)) = mx.jvp(fn, [f64(x)], [f64(t)])
    np.testing.assert_allclose(np.array(j), np.tensordot(jac, t, axes=x.ndim), rtol=tol, atol=tol)


def sym(x, shift=0.0):
    n = x.shape[-1]
    return (x + x.swapaxes(-1, -2)) * 0.5 + shift * mx.eye(n, dtype=x.dtype)


def sign_free(u, vt, k):
    """A function of the singular vectors that does not depend on their
    signs: column i of U scaled by the first entry of row i of Vt."""
    return u[..., :, :k] * vt[..., :k, 0][..., None, :]


GRADS = {
    "inv": (lambda x: la.inv(x), (4, 4), 3.0),
    "inv_batched": (lambda x: la.inv(x), (2, 3, 3), 3.0),
    "tri_inv_lower": (lambda x: la.tri_inv(x), (4, 4), 3.0),
    "tri_inv_upper": (lambda x: la.tri_inv(x, upper=True), (4, 4), 3.0),
    "cholesky": (lambda x: la.cholesky(sym(x, 4.0)), (4, 4), 0.0),
    "cholesky_upper": (lambda x: la.cholesky(sym(x, 4.0), upper=True), (2, 3, 3), 0.0),
    "cholesky_inv": (lambda x: la.cholesky_inv(mx.tril(x)), (3, 3), 3.0),
    "qr_q_tall": (lambda x: la.qr(x)[0], (5, 3), 0.0),
    "qr_r_tall": (lambda x: la.qr(x)[1], (5, 3), 0.0),
    "qr_square": (lambda x: la.qr(x)[0] + la.qr(x)[1], (3, 3), 0.0),
    "qr_q_wide": (lambda x: la.qr(x)[0], (3, 5), 0.0),
    "qr_r_wide": (lambda x: la.qr(x)[1], (3, 5), 0.0),
    "svd_s": (lambda x: la.svd(x, compute_uv=False), (4, 3), 0.0),
    "svd_s_of_uv": (lambda x: la.svd(x)[1], (3, 4), 0.0),
    "svd_u_tall": (lambda x: sign_free(*la.svd(x)[::2], 3), (5, 3), 0.0),
    "svd_u_wide": (lambda x: sign_free(*la.svd(x)[::2], 3), (3, 5), 0.0),
    "svd_v_tall": (lambda x: sign_free(*la.svd(x.T)[::2], 3), (5, 3), 0.0),
    "svd_square": (lambda x: sign_free(*la.svd(x)[::2], 4), (4, 4), 0.0),
    "eigvalsh": (lambda x: la.eigvalsh(sym(x)), (4, 4), 0.0),
    "eigh_w": (lambda x: la.eigh(sym(x), UPLO="U")[0], (4, 4), 0.0),
    "eigh_v": (lambda x: la.eigh(sym(x))[1] * la.eigh(sym(x))[1][..., :1, :], (2, 4, 4), 0.0),
    "lu_factor_square": (lambda x: la.lu_factor(x)[0], (4, 4), 0.0),
    "lu_factor_tall": (lambda x: la.lu_factor(x)[0], (5, 3), 0.0),
    "lu_factor_wide": (lambda x: la.lu_factor(x)[0], (3, 5), 0.0),
    "lu_l_u": (lambda x: la.lu(x)[1] + la.lu(x)[2], (3, 3), 0.0),
    "solve_a": (lambda x: la.solve(x, mx.array(np.arange(8.0).reshape(4, 2), dtype=mx.float64)),
                (4, 4), 3.0),
    "solve_b": (lambda x: la.solve(f64(np.eye(3) * 2 + np.ones((3, 3)) * 0.3), x), (3, 2), 0.0),
    "solve_vector": (lambda x: la.solve(x, f64([1.0, -2.0, 0.5])), (2, 3, 3), 3.0),
    "solve_tri_a": (lambda x: la.solve_triangular(x, f64(np.ones((3, 2)))), (3, 3), 3.0),
    "solve_tri_b_upper": (lambda x: la.solve_triangular(f64(np.triu(np.ones((3, 3))) + np.eye(3)), x,
                                                        upper=True), (3, 2), 0.0),
    "det2": (lambda x: la.det(x), (2, 2), 0.0),
    "det3": (lambda x: la.det(x), (3, 3), 0.0),
    "det5": (lambda x: la.det(x), (2, 5, 5), 1.0),
    "slogdet5": (lambda x: la.slogdet(x)[1], (5, 5), 1.0),
    "pinv_tall": (lambda x: la.pinv(x), (4, 3), 0.0),
    "pinv_wide": (lambda x: la.pinv(x), (2, 4), 0.0),
    "norm_2": (lambda x: la.norm(x, 2), (4, 3), 0.0),
    "norm_m2": (lambda x: la.norm(x, -2), (3, 4), 0.0),
    "norm_nuc": (lambda x: la.norm(x, "nuc", axis=(0, 2)), (3, 2, 4), 0.0),
    "norm_fro": (lambda x: la.norm(x, "fro"), (3, 4), 0.0),
    "norm_p3": (lambda x: la.norm(x, 3, axis=1), (3, 4), 0.0),
    "lstsq": (lambda x: la.lstsq(x, f64([1.0, 2.0, -1.0, 0.5, 3.0]))[0], (5, 3), 0.0),
    "cross": (lambda x: la.cross(x, f64([[1.0, 2.0, 3.0]])), (2, 3), 0.0),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients_match_finite_differences(name, rng):
    fn, shape, shift = GRADS[name]
    x = rng.standard_normal(shape)
    if shift:
        x = x + shift * np.eye(shape[-1])
    fd_check(fn, x, rng, tol=2e-6)


@pytest.mark.parametrize("name", ["det2", "det3", "cross", "norm_fro", "norm_p3"])
def test_gradients_of_composites_match_mlx(name, rng):
    fn, shape, _ = GRADS[name]
    x = rng.standard_normal(shape).astype(np.float32)
    mfns = {
        "det2": lambda m: lambda x: m.linalg.det(x),
        "det3": lambda m: lambda x: m.linalg.det(x),
        "cross": lambda m: lambda x: m.linalg.cross(x, m.array([[1.0, 2.0, 3.0]])),
        "norm_fro": lambda m: lambda x: m.linalg.norm(x, "fro"),
        "norm_p3": lambda m: lambda x: m.linalg.norm(x, 3, axis=1),
    }
    ours = mx.grad(lambda x: mfns[name](mx)(x).sum())(mx.array(x))
    ref = mxr.grad(lambda x: mfns[name](mxr)(x).sum())(mxr.array(x))
    np.testing.assert_allclose(npy(ours), np.array(ref), rtol=1e-4, atol=1e-5)


def test_eig_is_not_differentiable():
    with pytest.raises(ValueError):
        mx.grad(lambda x: la.eigvals(x).real.sum())(mx.eye(2))


def test_complex_svd_gradients_are_refused():
    x = mx.array([[1.0 + 1j, 2.0], [0.5, 1.0 - 1j]])
    with pytest.raises(RuntimeError):
        mx.vjp(lambda a: la.svd(a, compute_uv=False), [x], [mx.ones((2,))])


def test_second_derivative_of_inverse(rng):
    x = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    g = lambda a: mx.grad(lambda b: la.inv(b).sum())(a).sum()
    hx = np.array(mx.grad(g)(f64(x)))
    h = 1e-5
    num = np.zeros_like(x)
    for idx in np.ndindex(3, 3):
        e = np.zeros_like(x)
        e[idx] = h
        num[idx] = (np.array(g(f64(x + e))) - np.array(g(f64(x - e)))) / (2 * h)
    np.testing.assert_allclose(hx, num, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# vmap


VMAPS = {
    "inv": lambda x: la.inv(x),
    "tri_inv": lambda x: la.tri_inv(x, upper=True),
    "cholesky": lambda x: la.cholesky(sym(x, 6.0)),
    "qr": lambda x: la.qr(x),
    "svd": lambda x: la.svd(x, compute_uv=False),
    "svd_uv": lambda x: (lambda u, s, vt: (u * vt[:, :1].T, s))(*la.svd(x)),
    "eigh": lambda x: (lambda w, v: (w, v * v[:1]))(*la.eigh(sym(x))),
    "eigvals": lambda x: la.eigvals(x + x.T),
    "lu_factor": lambda x: la.lu_factor(x),
    "lu": lambda x: la.lu(x),
    "det": lambda x: la.det(x),
    "slogdet": lambda x: la.slogdet(x),
    "pinv": lambda x: la.pinv(x),
    "norm2": lambda x: la.norm(x, 2),
    "solve_vec": lambda x: la.solve(x, mx.array([1.0, 2.0, 3.0, 4.0])),
    "solve_tri": lambda x: la.solve_triangular(x, mx.ones((4, 2))),
}


def flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("name", list(VMAPS))
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap_matches_a_loop(name, in_axis, rng):
    fn = VMAPS[name]
    xs = rng.standard_normal((3, 4, 4)).astype(np.float32) + 3 * np.eye(4, dtype=np.float32)
    moved = np.moveaxis(xs, 0, in_axis)
    got = flat(mx.vmap(fn, in_axes=in_axis)(mx.array(moved)))
    loop = [flat(fn(mx.array(x))) for x in xs]
    assert len(got) == len(loop[0])
    for j, g in enumerate(got):
        want = np.stack([npy(l[j]) for l in loop])
        assert g.shape == want.shape and g.dtype == loop[0][j].dtype
        np.testing.assert_allclose(npy(g), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("axes", [(0, None), (None, 0), (2, 1), (0, 0)])
def test_vmap_of_solve_with_two_operands(axes, rng):
    a = rng.standard_normal((3, 4, 4)).astype(np.float32) + 3 * np.eye(4, dtype=np.float32)
    b = rng.standard_normal((3, 4, 2)).astype(np.float32)
    aa = a if axes[0] is None else np.moveaxis(a, 0, axes[0])
    bb = b if axes[1] is None else np.moveaxis(b, 0, axes[1])
    aa = aa[0] if axes[0] is None else aa
    bb = bb[0] if axes[1] is None else bb
    got = mx.vmap(la.solve, in_axes=axes)(mx.array(aa), mx.array(bb))
    for i in range(3):
        ai = a[0] if axes[0] is None else a[i]
        bi = b[0] if axes[1] is None else b[i]
        np.testing.assert_allclose(npy(got[i]), np.linalg.solve(ai, bi), rtol=1e-4, atol=1e-5)
    got = mx.vmap(lambda x, y: la.solve_triangular(x, y, upper=True), in_axes=axes)(mx.array(aa),
                                                                                  mx.array(bb))
    for i in range(3):
        ai = a[0] if axes[0] is None else a[i]
        bi = b[0] if axes[1] is None else b[i]
        np.testing.assert_allclose(npy(got[i]), np.linalg.solve(np.triu(ai), bi), rtol=1e-4, atol=1e-5)


def test_vmap_of_grad(rng):
    xs = rng.standard_normal((3, 3, 3)) + 3 * np.eye(3)
    g = mx.vmap(mx.grad(lambda a: la.det(la.inv(a) + a).sum()))(f64(xs))
    for i in range(3):
        want = mx.grad(lambda a: la.det(la.inv(a) + a).sum())(f64(xs[i]))
        np.testing.assert_allclose(npy(g[i]), npy(want), rtol=1e-10, atol=1e-12)
