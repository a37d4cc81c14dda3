"""`rmlx.core.fft` against NumPy's `np.fft` and the reference MLX: the
complex and real transforms in 1, 2 and n dimensions (random shapes with
odd and prime sizes, `n` / `s` padding and cropping, axis permutations,
negative axes, every norm, non-contiguous inputs, input dtypes), the
sample frequencies, the shifts, `stft` / `istft`, MLX's exception types,
and the transformation rules: vjp / jvp against central differences in
float64 and against MLX, vmap against a Python loop."""

import numpy as np
import pytest

from conftest import mx, to_numpy

mxr = pytest.importorskip("mlx.core")

NORMS = ["backward", "ortho", "forward"]
C2C = ["fft", "ifft"]
ONE_D = ["fft", "ifft", "rfft", "irfft"]
TWO_D = ["fft2", "ifft2", "rfft2", "irfft2"]
N_D = ["fftn", "ifftn", "rfftn", "irfftn"]


def crandn(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def randn(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def is_real_in(name):
    return name.startswith("rfft")


def data_for(name, rng, shape):
    return randn(rng, shape) if is_real_in(name) else crandn(rng, shape)


def check(got, want, rtol=2e-5, atol_scale=2e-5):
    """Compares an rmlx result with a float64/complex128 reference; the
    absolute tolerance scales with the reference's magnitude (single
    precision FFT error grows like log n * eps * max|x|)."""
    got_np = to_numpy(got)
    want = np.asarray(want)
    assert got_np.shape == want.shape, (got_np.shape, want.shape)
    scale = float(np.abs(want).max()) if want.size else 1.0
    np.testing.assert_allclose(got_np, want, rtol=rtol, atol=atol_scale * max(scale, 1.0))


def same_dtype(a, r):
    return str(a.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]


def vs_mlx(fn_name, x, **kw):
    """Runs `mx.fft.<fn_name>` and MLX's on NumPy `x`: compares shape,
    dtype and values."""
    ours = getattr(mx.fft, fn_name)(mx.array(x), **kw)
    ref = getattr(mxr.fft, fn_name)(mxr.array(x), **kw)
    assert same_dtype(ours, ref), (ours.dtype, ref.dtype)
    assert ours.shape == ref.shape
    check(ours, np.array(ref), rtol=1e-4, atol_scale=1e-5)
    return ours


# ---------------------------------------------------------------- 1-D


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n_len", [1, 2, 7, 8, 13, 16, 31, 97, 128, 210])
def test_one_d_lengths(name, norm, n_len, rng):
    shape = (3, n_len)
    x = data_for(name, rng, shape)
    if name == "irfft" and n_len == 1:
        return  # n = 0 is an error, tested below
    got = getattr(mx.fft, name)(mx.array(x), norm=norm)
    want = getattr(np.fft, name)(x.astype(np.complex128) if not is_real_in(name) else x, norm=norm)
    check(got, want)
    vs_mlx(name, x, norm=norm)


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("n", [1, 3, 5, 6, 11, 12, 20, 37])
@pytest.mark.parametrize("axis", [0, 1, -1, -3, 2])
def test_one_d_n_and_axis(name, n, axis, rng):
    x = data_for(name, rng, (5, 6, 4))
    got = getattr(mx.fft, name)(mx.array(x), n=n, axis=axis)
    want = getattr(np.fft, name)(x, n=n, axis=axis)
    check(got, want)
    vs_mlx(name, x, n=n, axis=axis)


@pytest.mark.parametrize("name", ONE_D)
def test_one_d_defaults_and_positional(name, rng):
    x = data_for(name, rng, (4, 9))
    fn = getattr(mx.fft, name)
    check(fn(mx.array(x)), getattr(np.fft, name)(x))
    check(fn(mx.array(x), 6, 0, "ortho"), getattr(np.fft, name)(x, 6, 0, "ortho"))


# ---------------------------------------------------------- 2-D and n-D


@pytest.mark.parametrize("name", TWO_D)
@pytest.mark.parametrize("norm", NORMS)
def test_two_d(name, norm, rng):
    x = data_for(name, rng, (3, 10, 7))
    fn, ref = getattr(mx.fft, name), getattr(np.fft, name)
    check(fn(mx.array(x), norm=norm), ref(x, norm=norm))
    check(fn(mx.array(x), s=(5, 12), norm=norm), ref(x, s=(5, 12), norm=norm))
    check(fn(mx.array(x), axes=(0, 2), norm=norm), ref(x, axes=(0, 2), norm=norm))
    check(fn(mx.array(x), s=(4, 9), axes=(2, 0), norm=norm), ref(x, s=(4, 9), axes=(2, 0), norm=norm))
    check(fn(mx.array(x), axes=(-1, -3)), ref(x, axes=(-1, -3)))
    vs_mlx(name, x, s=(8, 3), axes=(1, 0), norm=norm)
    # axes=None means all axes in MLX
    check(fn(mx.array(x), axes=None), getattr(np.fft, name.replace("2", "n"))(x))


@pytest.mark.parametrize("name", N_D)
@pytest.mark.parametrize(
    "s,axes",
    [
        (None, None),
        (None, (0,)),
        (None, (2, 0, 1)),
        (None, (-1, 1)),
        ((6, 5, 4), (0, 1, 2)),
        ((3, 17), (2, 0)),
        ((1, 2, 3), (1, 2, 0)),
        ((13,), (1,)),
        ((16, 2), (-3, -1)),
    ],
)
@pytest.mark.parametrize("norm", NORMS)
def test_n_d(name, s, axes, norm, rng):
    x = data_for(name, rng, (4, 7, 6))
    got = getattr(mx.fft, name)(mx.array(x), s=s, axes=axes, norm=norm)
    want = getattr(np.fft, name)(x, s=s, axes=axes, norm=norm)
    check(got, want)
    vs_mlx(name, x, s=s, axes=axes, norm=norm)


@pytest.mark.parametrize("seed", range(12))
def test_random_shapes(seed):
    """Random ranks, sizes (primes included) and axis choices."""
    rng = np.random.default_rng(seed)
    sizes = [1, 2, 3, 5, 6, 7, 11, 13, 16, 17, 23, 24, 29, 32]
    nd = int(rng.integers(1, 5))
    shape = tuple(int(rng.choice(sizes)) for _ in range(nd))
    k = int(rng.integers(1, nd + 1))
    axes = [int(a) for a in rng.permutation(nd)[:k]]
    axes = [a - nd if rng.random() < 0.5 else a for a in axes]
    s = [int(rng.choice(sizes)) for _ in axes] if rng.random() < 0.5 else None
    for name in N_D:
        x = data_for(name, rng, shape)
        if name == "irfftn" and s is None and shape[axes[-1]] == 1:
            continue
        got = getattr(mx.fft, name)(mx.array(x), s=s, axes=axes)
        want = getattr(np.fft, name)(x, s=s, axes=axes)
        check(got, want)


def test_large_inputs_use_all_paths(rng):
    """Sizes above the parallel threshold, along contiguous and strided
    axes, with tiles that do not divide the inner extent."""
    x = crandn(rng, (67, 1030))
    check(mx.fft.fft(mx.array(x), axis=0), np.fft.fft(x, axis=0))
    check(mx.fft.ifft(mx.array(x)), np.fft.ifft(x))
    xr = randn(rng, (1031, 70))
    check(mx.fft.rfft(mx.array(xr), axis=0), np.fft.rfft(xr, axis=0))
    check(mx.fft.rfft2(mx.array(xr)), np.fft.rfft2(xr))
    y = np.fft.rfft2(xr, axes=(1, 0))
    check(mx.fft.irfft2(mx.array(y.astype(np.complex64)), s=(70, 1031), axes=(1, 0)),
          np.fft.irfft2(y, s=(70, 1031), axes=(1, 0)))
    z = crandn(rng, (3, 2 ** 14 + 1))
    check(mx.fft.fft(mx.array(z)), np.fft.fft(z), atol_scale=5e-5)


def test_round_trips(rng):
    x = randn(rng, (4, 9, 10))
    a = mx.array(x)
    check(mx.fft.irfftn(mx.fft.rfftn(a), s=x.shape, axes=(0, 1, 2)), x, atol_scale=1e-5)
    check(mx.fft.irfft(mx.fft.rfft(a, axis=1), n=9, axis=1), x, atol_scale=1e-5)
    c = crandn(rng, (5, 6, 7))
    for norm in NORMS:
        check(mx.fft.ifftn(mx.fft.fftn(mx.array(c), norm=norm), norm=norm), c, atol_scale=1e-5)
        check(mx.fft.ifft2(mx.fft.fft2(mx.array(c), norm=norm), norm=norm), c, atol_scale=1e-5)


# ------------------------------------------------------ inputs and dtypes


@pytest.mark.parametrize("name", ONE_D + ["fftn", "rfft2"])
@pytest.mark.parametrize("dtype", ["bool_", "int32", "uint8", "float16", "bfloat16", "float32",
                                   "float64", "complex64"])
def test_input_dtypes(name, dtype, rng):
    """Output dtypes as MLX (complex64 / float32, whatever the input)."""
    x = rng.standard_normal((4, 6)) * 3
    if dtype == "complex64":
        x = x + 1j * rng.standard_normal((4, 6))
    if dtype in ("bool_", "int32", "uint8"):
        x = np.abs(x).round()
    def make(mod):
        if dtype == "float64":
            return mod.array(np.asarray(x, np.float64), dtype=mod.float64)
        return mod.array(x.astype(np.complex64 if dtype == "complex64" else np.float32)).astype(
            getattr(mod, dtype))
    a, ar = make(mx), make(mxr)
    got = getattr(mx.fft, name)(a)
    ref = getattr(mxr.fft, name)(ar)
    assert same_dtype(got, ref), (got.dtype, ref.dtype)
    check(got, np.array(ref), rtol=1e-4, atol_scale=1e-5)


def test_non_contiguous_inputs(rng):
    x = crandn(rng, (8, 10, 6))
    a = mx.array(x)
    views = [
        (a.transpose(2, 0, 1), x.transpose(2, 0, 1)),
        (a[::2, 1:, ::-1], x[::2, 1:, ::-1]),
        (a[:, ::3], x[:, ::3]),
        (mx.broadcast_to(a[:1], (3, 10, 6)), np.broadcast_to(x[:1], (3, 10, 6))),
        (a.swapaxes(0, 2)[..., 2:7], x.swapaxes(0, 2)[..., 2:7]),
    ]
    for v, xv in views:
        check(mx.fft.fft(v), np.fft.fft(xv))
        check(mx.fft.fft(v, axis=0), np.fft.fft(xv, axis=0))
        check(mx.fft.fftn(v, axes=(2, 0)), np.fft.fftn(xv, axes=(2, 0)))
        check(mx.fft.rfft(mx.real(v), n=9, axis=1), np.fft.rfft(xv.real, n=9, axis=1))
        check(mx.fft.rfftn(mx.real(v)), np.fft.rfftn(xv.real))
        check(mx.fft.irfft(v, axis=1), np.fft.irfft(xv, axis=1))
        check(mx.fft.irfftn(v, s=(4, 5), axes=(0, 2)), np.fft.irfftn(xv, s=(4, 5), axes=(0, 2)))


def test_input_not_modified(rng):
    """Complex transforms may reuse their input's buffer only when nothing
    else sees it."""
    x = crandn(rng, (4, 8))
    a = mx.array(x)
    b = mx.fft.fft(a)
    mx.eval(b)
    np.testing.assert_array_equal(np.array(a), x)
    c = mx.fft.ifft(mx.fft.fft(a))
    check(c, x, atol_scale=1e-5)
    np.testing.assert_array_equal(np.array(a), x)


def test_zero_size_and_empty_axes(rng):
    for name in ["fft", "rfft", "ifft"]:
        ours = getattr(mx.fft, name)(mx.zeros((0, 3)))
        ref = getattr(mxr.fft, name)(mxr.zeros((0, 3)))
        assert ours.shape == ref.shape and same_dtype(ours, ref)
    ours = mx.fft.irfft(mx.zeros((0, 3)))
    assert ours.shape == (0, 4)
    x = mx.ones((2, 3))
    for name in N_D:
        y = getattr(mx.fft, name)(x, axes=[])
        assert y.shape == (2, 3) and y.dtype == mx.float32
        y = getattr(mx.fft, name)(x, s=[], axes=[])
        assert y.shape == (2, 3)


# ------------------------------------------------------------- errors


ERROR_CASES = [
    lambda m: m.fft.fft(m.ones(4), norm="bad"),
    lambda m: m.fft.rfftn(m.ones(4), norm="Ortho"),
    lambda m: m.fft.fft(m.array(1.0)),
    lambda m: m.fft.fft(m.array(1.0), n=3),
    lambda m: m.fft.fftn(m.array(1.0)),
    lambda m: m.fft.fft2(m.array(1.0)),
    lambda m: m.fft.fft2(m.ones(4)),
    lambda m: m.fft.fft(m.ones(4), axis=1),
    lambda m: m.fft.fft(m.ones(4), axis=-2),
    lambda m: m.fft.fft(m.ones((3, 4)), n=4, axis=2),
    lambda m: m.fft.fftn(m.ones((3, 4)), axes=[2]),
    lambda m: m.fft.fftn(m.ones((3, 4)), s=[4], axes=[-3]),
    lambda m: m.fft.fft(m.ones(4), n=0),
    lambda m: m.fft.rfft(m.ones(4), n=-1),
    lambda m: m.fft.irfft(m.ones((2, 1))),
    lambda m: m.fft.irfft(m.ones((2, 3)), n=0),
    lambda m: m.fft.fftn(m.ones((2, 3)), axes=[0, 0]),
    lambda m: m.fft.fftn(m.ones((2, 3)), axes=[1, -1]),
    lambda m: m.fft.fftn(m.ones((2, 3)), s=[4]),
    lambda m: m.fft.irfftn(m.ones((2, 3)), s=[4, 4]),
    lambda m: m.fft.fftn(m.ones((2, 3)), s=[4], axes=[0, 1]),
    lambda m: m.fft.fft(m.ones(4), n=3.0),
    lambda m: m.fft.fft(m.ones(4), axis=None),
    lambda m: m.fft.fft(m.ones(4), norm=None),
    lambda m: m.fft.fftn(m.ones((2, 3)), s=3, axes=[0]),
    lambda m: m.fft.fft([1.0, 2.0]),
    lambda m: m.fft.fft(np.ones(3)),
    lambda m: m.fft.fftfreq(0),
    lambda m: m.fft.fftfreq(-3),
    lambda m: m.fft.fftfreq(4, 0.0),
    lambda m: m.fft.rfftfreq(0),
    lambda m: m.fft.fftfreq(4.0),
    lambda m: m.fft.fftshift(m.ones((2, 3)), axes=[2]),
    lambda m: m.fft.ifftshift(m.ones((2, 3)), axes=-3),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_mlx(case):
    f = ERROR_CASES[case]
    with pytest.raises(Exception) as ref:
        f(mxr)
    with pytest.raises(type(ref.value)):
        f(mx)


# ------------------------------------------------- frequencies and shifts


@pytest.mark.parametrize("n", [1, 2, 5, 6, 17, 64])
@pytest.mark.parametrize("d", [1.0, 0.5, 0.1, -2.0, 3])
def test_fftfreq(n, d):
    for name in ["fftfreq", "rfftfreq"]:
        ours = getattr(mx.fft, name)(n, d)
        ref = getattr(mxr.fft, name)(n, d)
        assert ours.dtype == mx.float32 and same_dtype(ours, ref)
        np.testing.assert_allclose(np.array(ours), getattr(np.fft, name)(n, d), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.array(ours), np.array(ref), rtol=1e-6, atol=1e-7)
    assert mx.fft.fftfreq(n).shape == (n,)
    assert mx.fft.fftfreq(n=n, d=d).shape == (n,)


@pytest.mark.parametrize("shape", [(5,), (4, 7), (3, 6, 5), ()])
@pytest.mark.parametrize("axes", [None, 0, -1, [0], [-1, 0], [1, 1]])
def test_shifts(shape, axes, rng):
    x = rng.integers(0, 100, size=shape).astype(np.int32)
    nd = len(shape)
    ax = axes
    if ax is not None:
        lst = [ax] if isinstance(ax, int) else ax
        if any(not (-nd <= a < nd) for a in lst):
            with pytest.raises(IndexError):
                mx.fft.fftshift(mx.array(x), axes=axes)
            return
    for name in ["fftshift", "ifftshift"]:
        ours = getattr(mx.fft, name)(mx.array(x), axes=axes)
        ref = getattr(mxr.fft, name)(mxr.array(x), axes=axes)
        np.testing.assert_array_equal(np.array(ours), np.array(ref))
        if axes != [1, 1] and nd > 0:
            np.testing.assert_array_equal(np.array(ours), getattr(np.fft, name)(x, axes=axes))
        assert ours.dtype == mx.int32


# --------------------------------------------------------- stft / istft

STFT_CASES = [
    dict(n_fft=8),
    dict(n_fft=8, hop_length=3),
    dict(n_fft=8, hop_length=1),
    dict(n_fft=8, hop_length=11),
    dict(n_fft=8, win_length=5),
    dict(n_fft=8, win_length=0),
    dict(n_fft=9, win_length=4),
    dict(n_fft=8, center=False),
    dict(n_fft=8, pad_mode="constant"),
    dict(n_fft=8, pad_mode="edge"),
    dict(n_fft=8, pad_mode="symmetric"),
    dict(n_fft=8, norm="ortho"),
    dict(n_fft=8, norm="forward"),
    dict(n_fft=8, onesided=False),
    dict(n_fft=40),
    dict(n_fft=37, center=False),
    dict(n_fft=7, hop_length=2),
    dict(n_fft=16, window="hann"),
    dict(n_fft=16, window="hann7", win_length=3),
    dict(n_fft=16, window="hann", hop_length=4, center=False),
    dict(n_fft=16, window="hann64"),
]


def stft_kwargs(case, mod, rng):
    kw = dict(case)
    w = kw.get("window")
    if w == "hann":
        kw["window"] = mod.array(np.hanning(kw["n_fft"]).astype(np.float32))
    elif w == "hann7":
        kw["window"] = mod.array(np.hanning(7).astype(np.float32))
    elif w == "hann64":
        kw["window"] = mod.array(np.hanning(kw["n_fft"]), dtype=mod.float64)
    return kw


@pytest.mark.parametrize("case", range(len(STFT_CASES)))
@pytest.mark.parametrize("kind", ["real", "complex", "batched", "float64"])
def test_stft_vs_mlx(case, kind, rng):
    shape = (2, 3, 37) if kind == "batched" else (37,)
    x = crandn(rng, shape) if kind == "complex" else randn(rng, shape)
    cs = STFT_CASES[case]

    def make(mod):
        if kind == "float64":
            return mod.array(x.astype(np.float64), dtype=mod.float64)
        return mod.array(x)
    ours = mx.fft.stft(make(mx), **stft_kwargs(cs, mx, rng))
    ref = mxr.fft.stft(make(mxr), **stft_kwargs(cs, mxr, rng))
    assert same_dtype(ours, ref) and ours.shape == ref.shape
    check(ours, np.array(ref), rtol=1e-4, atol_scale=2e-6)
    if kind == "complex":
        kw = stft_kwargs(cs, mx, rng)
        kw["onesided"] = True
        kwr = stft_kwargs(cs, mxr, rng)
        kwr["onesided"] = True
        check(mx.fft.stft(mx.array(x), **kw), np.array(mxr.fft.stft(mxr.array(x), **kwr)),
              rtol=1e-4, atol_scale=2e-6)


ISTFT_CASES = [
    dict(),
    dict(n_fft=9),
    dict(n_fft=7),
    dict(n_fft=20),
    dict(hop_length=3),
    dict(hop_length=1),
    dict(hop_length=9),
    dict(win_length=5),
    dict(win_length=0),
    dict(center=False),
    dict(norm="ortho"),
    dict(norm="forward"),
    dict(onesided=False),
    dict(onesided=False, n_fft=8),
    dict(length=30),
    dict(length=60),
    dict(length=0),
    dict(length=-1),
    dict(center=False, length=40),
    dict(window="hann"),
    dict(window="hann", center=False),
    dict(window="hann6", win_length=3),
    dict(window="hann64"),
    dict(window="tiny", hop_length=8),
]


def istft_kwargs(case, mod):
    kw = dict(case)
    w = kw.get("window")
    if w == "hann":
        kw["window"] = mod.array(np.hanning(8).astype(np.float32))
    elif w == "hann6":
        kw["window"] = mod.array(np.hanning(6).astype(np.float32))
    elif w == "hann64":
        kw["window"] = mod.array(np.hanning(8), dtype=mod.float64)
    elif w == "tiny":
        kw["window"] = mod.array(np.array([1, 1e-3, 1e-5, 1e-6, 1e-7, 0, 1e-2, 1], np.float32))
    return kw


@pytest.mark.parametrize("case", range(len(ISTFT_CASES)))
@pytest.mark.parametrize("shape", [(5, 19), (2, 3, 5, 7)])
def test_istft_vs_mlx(case, shape, rng):
    spec = crandn(rng, shape)
    cs = ISTFT_CASES[case]
    ours = mx.fft.istft(mx.array(spec), **istft_kwargs(cs, mx))
    ref = mxr.fft.istft(mxr.array(spec), **istft_kwargs(cs, mxr))
    assert same_dtype(ours, ref) and ours.shape == ref.shape
    check(ours, np.array(ref), rtol=1e-4, atol_scale=2e-6)


def test_stft_istft_round_trip(rng):
    x = randn(rng, (3, 200))
    w = mx.array(np.hanning(65)[:-1].astype(np.float32))
    spec = mx.fft.stft(mx.array(x), n_fft=64, hop_length=16, window=w)
    y = mx.fft.istft(spec, n_fft=64, hop_length=16, window=w, length=200)
    check(y, x, atol_scale=1e-5)
    c = crandn(rng, (50,))
    spec = mx.fft.stft(mx.array(c), n_fft=16, hop_length=4)
    y = mx.fft.istft(spec, n_fft=16, hop_length=4, onesided=False, length=50)
    check(y, c.real, atol_scale=1e-5)


STFT_ERRORS = [
    lambda m: m.fft.stft(m.array(1.0), n_fft=8),
    lambda m: m.fft.stft(m.ones(20), n_fft=0),
    lambda m: m.fft.stft(m.ones(20), n_fft=2),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, hop_length=0),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, hop_length=-1),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, win_length=9),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, win_length=-1),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, window=m.ones(9)),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, window=m.ones((8, 1))),
    lambda m: m.fft.stft(m.ones(20), n_fft=40, center=False),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, pad_mode="foo"),
    lambda m: m.fft.stft(m.ones(20), n_fft=8, norm="foo"),
    lambda m: m.fft.stft(m.ones(0), n_fft=8),
    lambda m: m.fft.istft(m.ones(8)),
    lambda m: m.fft.istft(m.ones((1, 5))),
    lambda m: m.fft.istft(m.ones((2, 5))),
    lambda m: m.fft.istft(m.ones((5, 0))),
    lambda m: m.fft.istft(m.ones((5, 3)), n_fft=0),
    lambda m: m.fft.istft(m.ones((5, 3)), hop_length=0),
    lambda m: m.fft.istft(m.ones((5, 3)), win_length=9),
    lambda m: m.fft.istft(m.ones((5, 3)), win_length=-1),
    lambda m: m.fft.istft(m.ones((5, 3)), window=m.ones(9)),
    lambda m: m.fft.istft(m.ones((5, 3)), window=m.ones((8, 1))),
    lambda m: m.fft.istft(m.ones((5, 3)), norm="x"),
]


@pytest.mark.parametrize("case", range(len(STFT_ERRORS)))
def test_stft_errors_match_mlx(case):
    f = STFT_ERRORS[case]
    with pytest.raises(Exception) as ref:
        f(mxr)
    with pytest.raises(type(ref.value)):
        f(mx)


# ------------------------------------------------------ transformations


def real_loss_fd(fn, x, cot, h=0.5):
    """The gradient of `L(x) = sum(Re f(x) * Re c + Im f(x) * Im c)` by
    central differences on the real (and imaginary) parts of the float64
    or complex `x`, evaluated by rmlx. `fn` is linear, so a large step is
    exact up to rounding."""
    x = np.asarray(x)
    cot = np.asarray(cot)

    def loss(v):
        out = np.array(fn(to_mx(v))).astype(np.complex128)
        return float(np.sum(out.real * cot.real + out.imag * cot.imag))
    g = np.zeros(x.shape, np.complex128 if np.iscomplexobj(x) else np.float64)
    flat = g.reshape(-1)
    for j in range(x.size):
        parts = [1.0, 1j] if np.iscomplexobj(x) else [1.0]
        for p in parts:
            e = np.zeros(x.size, x.dtype)
            e[j] = p * h
            e = e.reshape(x.shape)
            d = (loss(x + e) - loss(x - e)) / (2 * h)
            flat[j] += d * (1 if p == 1.0 else 1j)
    return g


def to_mx(v):
    if np.iscomplexobj(v):
        return mx.array(v.astype(np.complex64))
    return mx.array(np.asarray(v, np.float64), dtype=mx.float64)


GRAD_CASES = [
    ("fft", dict()),
    ("fft", dict(n=7, norm="ortho")),
    ("fft", dict(n=3, axis=0)),
    ("ifft", dict(norm="forward")),
    ("ifft", dict(n=9)),
    ("rfft", dict()),
    ("rfft", dict(n=9, norm="forward")),
    ("rfft", dict(n=4, axis=0, norm="ortho")),
    ("irfft", dict()),
    ("irfft", dict(n=7)),
    ("irfft", dict(n=8, axis=0, norm="ortho")),
    ("irfft", dict(n=3, norm="forward")),
    ("fft2", dict(s=(3, 7))),
    ("ifftn", dict(axes=(1, 0), norm="ortho")),
    ("rfft2", dict()),
    ("rfftn", dict(s=(5, 4), axes=(1, 0))),
    ("irfft2", dict()),
    ("irfftn", dict(s=(3, 5), axes=(1, 0), norm="forward")),
    ("irfftn", dict(s=(4, 6), axes=(0, 1), norm="ortho")),
]


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_grad_finite_differences(case, rng):
    name, kw = GRAD_CASES[case]
    x = rng.standard_normal((4, 5))
    if not is_real_in(name):
        x = x + 1j * rng.standard_normal((4, 5))
    fn = lambda a: getattr(mx.fft, name)(a, **kw)  # noqa: E731
    out = fn(to_mx(x))
    cot = rng.standard_normal(out.shape)
    if out.dtype == mx.complex64:
        cot = cot + 1j * rng.standard_normal(out.shape)
    want = real_loss_fd(fn, x, cot)
    (_, (g,)) = mx.vjp(lambda a: fn(a), [to_mx(x)], [to_mx(cot)])
    got = np.array(g)
    assert got.shape == x.shape
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale)
    # jvp: the map itself, as the op is (real-)linear
    t = rng.standard_normal(x.shape)
    if np.iscomplexobj(x):
        t = t + 1j * rng.standard_normal(x.shape)
    (_, (jt,)) = mx.jvp(lambda a: fn(a), [to_mx(x)], [to_mx(t)])
    jt_np = np.array(jt)
    h = 0.5
    fd = (np.array(fn(to_mx(x + h * t))).astype(np.complex128)
          - np.array(fn(to_mx(x - h * t))).astype(np.complex128)) / (2 * h)
    if not np.iscomplexobj(jt_np):
        fd = fd.real
    np.testing.assert_allclose(jt_np, fd, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(fd).max())))


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_grad_vs_mlx(case, rng):
    name, kw = GRAD_CASES[case]
    x = (crandn(rng, (4, 5)) if not is_real_in(name) else randn(rng, (4, 5)))
    ref_out = getattr(mxr.fft, name)(mxr.array(x), **kw)
    cot = randn(rng, ref_out.shape)
    if ref_out.dtype == mxr.complex64:
        cot = cot + 1j * randn(rng, ref_out.shape)
    o = mx.vjp(lambda a: getattr(mx.fft, name)(a, **kw), [mx.array(x)], [mx.array(cot)])
    r = mxr.vjp(lambda a: getattr(mxr.fft, name)(a, **kw), [mxr.array(x)], [mxr.array(cot)])
    for a, b in zip(o[0] + o[1], r[0] + r[1]):
        assert same_dtype(a, b) and a.shape == b.shape
        check(a, np.array(b), rtol=1e-4, atol_scale=1e-5)
    real_len = kw.get("n", (kw.get("s") or (0, 0))[-1])
    if name.startswith("irfft") and real_len % 2 == 1:
        # MLX 0.32.4's jvp of an odd-length irfft returns the even length
        # (its jvp forgets n); the finite-difference test covers ours.
        return
    t = x * 0.5 + 0.25
    o = mx.jvp(lambda a: getattr(mx.fft, name)(a, **kw), [mx.array(x)], [mx.array(t)])
    r = mxr.jvp(lambda a: getattr(mxr.fft, name)(a, **kw), [mxr.array(x)], [mxr.array(t)])
    for a, b in zip(o[1], r[1]):
        assert same_dtype(a, b) and a.shape == b.shape
        check(a, np.array(b), rtol=1e-4, atol_scale=1e-5)


def test_grad_float64_input_and_loss(rng):
    x = rng.standard_normal((6,))
    f = lambda a: (mx.abs(mx.fft.fft(a)) ** 2).sum()  # noqa: E731
    g = mx.grad(f)(mx.array(x, dtype=mx.float64))
    assert g.dtype == mx.float64
    # |F x|^2 = n |x|^2 (Parseval), so the gradient is 2 n x
    np.testing.assert_allclose(np.array(g), 2 * 6 * x, rtol=1e-5, atol=1e-5)
    gr = mxr.grad(lambda a: (mxr.abs(mxr.fft.fft(a)) ** 2).sum())(mxr.array(x.astype(np.float32)))
    check(mx.grad(f)(mx.array(x.astype(np.float32))), np.array(gr), rtol=1e-4)


def test_second_order_and_vmap_of_grad(rng):
    x = randn(rng, (3, 8))
    f = lambda m: (lambda a: (m.fft.irfft(m.fft.rfft(a) * m.fft.rfft(a)) ** 2).sum())  # noqa: E731
    g = mx.grad(f(mx))(mx.array(x))
    gr = mxr.grad(f(mxr))(mxr.array(x))
    check(g, np.array(gr), rtol=1e-4, atol_scale=1e-5)
    # Hessian-vector product: forward over reverse
    v = randn(rng, x.shape)
    hv = mx.jvp(mx.grad(f(mx)), [mx.array(x)], [mx.array(v)])[1][0]
    hvr = mxr.jvp(mxr.grad(f(mxr)), [mxr.array(x)], [mxr.array(v)])[1][0]
    check(hv, np.array(hvr), rtol=1e-4, atol_scale=1e-5)
    vg = mx.vmap(mx.grad(lambda a: (mx.abs(mx.fft.fft(a)) ** 3).sum()))(mx.array(x))
    loop = np.stack([np.array(mx.grad(lambda a: (mx.abs(mx.fft.fft(a)) ** 3).sum())(mx.array(r)))
                     for r in x])
    check(vg, loop, rtol=1e-4, atol_scale=1e-5)


VMAP_CASES = [
    ("fft", dict(), 0),
    ("fft", dict(axis=0), 1),
    ("ifft", dict(n=5, axis=0), 2),
    ("rfft", dict(axis=1), 0),
    ("rfft", dict(n=6), 2),
    ("irfft", dict(axis=0), 1),
    ("irfft", dict(n=7), 0),
    ("fft2", dict(), 2),
    ("rfft2", dict(axes=(1, 0)), 1),
    ("irfftn", dict(s=(4, 6), axes=(0, 1)), 0),
    ("ifftn", dict(), 1),
]


@pytest.mark.parametrize("case", range(len(VMAP_CASES)))
def test_vmap_vs_loop(case, rng):
    name, kw, in_axis = VMAP_CASES[case]
    shape = (4, 5, 6)
    x = data_for(name, rng, shape)
    fn = lambda a: getattr(mx.fft, name)(a, **kw)  # noqa: E731
    got = mx.vmap(fn, in_axes=in_axis)(mx.array(x))
    loop = np.stack([np.array(fn(mx.array(np.take(x, i, axis=in_axis))))
                     for i in range(shape[in_axis])])
    check(got, loop, atol_scale=1e-5)
    got = mx.vmap(fn, in_axes=in_axis, out_axes=1)(mx.array(x))
    check(got, np.moveaxis(loop, 0, 1), atol_scale=1e-5)


def test_vmap_of_stft_istft_and_grads(rng):
    x = randn(rng, (3, 40))
    w = np.hanning(16).astype(np.float32)

    def st(m):
        return lambda a: m.fft.stft(a, n_fft=16, hop_length=4, window=m.array(w))
    got = mx.vmap(st(mx))(mx.array(x))
    loop = np.stack([np.array(st(mx)(mx.array(r))) for r in x])
    check(got, loop, atol_scale=1e-5)
    got = mx.vmap(st(mx), in_axes=1, out_axes=2)(mx.array(x.T.copy()))
    check(got, np.moveaxis(loop, 0, 2), atol_scale=1e-5)

    def ist(m):
        return lambda s: m.fft.istft(s, n_fft=16, hop_length=4, window=m.array(w), length=40)
    spec = np.array(st(mx)(mx.array(x)))
    got = mx.vmap(ist(mx), in_axes=2)(mx.array(np.moveaxis(spec, 0, 2).copy()))
    check(got, x, atol_scale=1e-5)

    def loss(m, f):
        return lambda a: (m.abs(f(m)(a)) ** 2).sum()
    g = mx.grad(loss(mx, st))(mx.array(x))
    gr = mxr.grad(loss(mxr, st))(mxr.array(x))
    check(g, np.array(gr), rtol=1e-4, atol_scale=1e-5)
    s = crandn(rng, (9, 11))

    def lossi(m):
        return lambda a: (ist(m)(a) ** 2).sum()
    g = mx.grad(lossi(mx))(mx.array(s))
    gr = mxr.grad(lossi(mxr))(mxr.array(s))
    assert same_dtype(g, gr)
    check(g, np.array(gr), rtol=1e-4, atol_scale=1e-5)


def test_stft_grad_finite_differences(rng):
    x = rng.standard_normal(20)
    w = np.hanning(8)
    fn = lambda a: mx.fft.stft(a, n_fft=8, hop_length=3, window=mx.array(w.astype(np.float32)),  # noqa: E731
                               pad_mode="reflect")
    out = fn(to_mx(x))
    cot = rng.standard_normal(out.shape) + 1j * rng.standard_normal(out.shape)
    want = real_loss_fd(fn, x, cot)
    (_, (g,)) = mx.vjp(fn, [to_mx(x)], [to_mx(cot)])
    assert g.dtype == mx.float64
    np.testing.assert_allclose(np.array(g), want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    s = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    fi = lambda a: mx.fft.istft(a, hop_length=2, window=mx.array(w.astype(np.float32)))  # noqa: E731
    out = fi(to_mx(s))
    cot = rng.standard_normal(out.shape)
    want = real_loss_fd(fi, s, cot)
    (_, (g,)) = mx.vjp(fi, [to_mx(s)], [mx.array(cot.astype(np.float32))])
    np.testing.assert_allclose(np.array(g), want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_submodule_import():
    import importlib
    m = importlib.import_module("rmlx.core.fft")
    assert m is mx.fft
    from rmlx.core.fft import rfft  # noqa: F401
    names = [n for n in dir(mxr.fft) if not n.startswith("_")]
    missing = [n for n in names if not hasattr(mx.fft, n)]
    assert not missing, missing
