"""mlx.core.random against the reference MLX: keys and split bit for bit,
every distribution and dtype value for value (floats within one ulp; on
x86-64 with glibc they are bit-identical), shapes (zero-size included),
MLX's exception types, the per-thread global key state advancing as in
MLX, transformations (vmap over keys, no derivative through a key), and
statistical sanity of the samples."""

import threading

import numpy as np
import pytest

import rmlx.core as mx

mxr = pytest.importorskip("mlx.core")

FLOATS = ["float32", "float16", "bfloat16"]
INTS = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]


def dname(d):
    return str(d).split(".")[-1]


def as_np(a):
    if dname(a.dtype) == "bfloat16":
        a = a.astype(mx.float32 if isinstance(a, mx.array) else mxr.float32)
    return np.array(a)


def ulp_equal(got, ref, what=""):
    """Equal, or floats within one ulp of each other (NaNs match NaNs)."""
    assert got.shape == ref.shape, f"{what}: shape {got.shape} vs MLX {ref.shape}"
    if got.dtype.kind == "c":
        ulp_equal(got.real, ref.real, what)
        ulp_equal(got.imag, ref.imag, what)
        return
    if got.dtype.kind != "f":
        np.testing.assert_array_equal(got, ref, err_msg=what)
        return
    g, r = got.astype(np.float64), ref.astype(np.float64)
    same = (g == r) | (np.isnan(g) & np.isnan(r))
    if same.all():
        return
    # One ulp of the reference value in the compared dtype.
    spacing = np.abs(np.spacing(ref.astype(got.dtype))).astype(np.float64)
    bad = ~same & ~(np.abs(g - r) <= spacing)
    assert not bad.any(), f"{what}: {bad.sum()} values differ by more than 1 ulp"


def outcome(f, mod):
    try:
        r = f(mod)
        return ("ok", dname(r.dtype), as_np(r))
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return ("err", type(e), str(e))


def check(f, what=""):
    """rmlx and MLX agree: same exception type, or same dtype and values."""
    ref, got = outcome(f, mxr), outcome(f, mx)
    if ref[0] == "err":
        assert got[0] == "err", f"{what}: MLX raises {ref[1].__name__} ({ref[2]}), rmlx gives {got[1]}"
        assert issubclass(got[1], ref[1]), f"{what}: rmlx raises {got[1].__name__} ({got[2]}), MLX {ref[1].__name__}"
        return
    assert got[0] == "ok", f"{what}: rmlx raises {got[1].__name__}: {got[2]}"
    assert got[1] == ref[1], f"{what}: dtype {got[1]} vs MLX {ref[1]}"
    ulp_equal(got[2], ref[2], what)


def key(mod, seed=42):
    return mod.random.key(seed)


SHAPES = [(), (1,), (2,), (3,), (7, 3), (2, 0), (0,), (4, 5, 6), (1001,), (1 << 17,), (123457,)]

# ------------------------------------------------------------ keys, split, bits


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 2**32, 2**40 + 7, 2**64 - 1])
def test_key(seed):
    check(lambda m: m.random.key(seed), f"key({seed})")


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5, "3", None])
def test_key_errors(bad):
    for f in (lambda m: m.random.key(bad), lambda m: m.random.seed(bad)):
        with pytest.raises(TypeError):
            f(mx)
        with pytest.raises(TypeError):
            f(mxr)


@pytest.mark.parametrize("num", [0, 1, 2, 3, 7, 100, 1001])
def test_split(num):
    check(lambda m: m.random.split(key(m), num), f"split {num}")
    check(lambda m: m.random.split(m.random.split(key(m, num), 5)[3], num), f"nested {num}")


def test_split_default_and_errors():
    check(lambda m: m.random.split(key(m)))
    check(lambda m: m.random.split(key(m), -1))
    check(lambda m: m.random.split(m.array([1, 2]), 2))
    check(lambda m: m.random.split(m.array([1, 2, 3], dtype=m.uint32), 2))
    check(lambda m: m.random.split(m.zeros((2, 2), dtype=m.uint32), 2))


def threefry(k, c0, c1):
    """NumPy threefry2x32 (20 rounds), for the widths MLX does not expose."""
    with np.errstate(over="ignore"):
        k0, k1 = np.uint32(k[0]), np.uint32(k[1])
        ks = [k0, k1, np.uint32(k0 ^ k1 ^ np.uint32(0x1BD11BDA))]
        x0, x1 = (c0 + ks[0]).astype(np.uint32), (c1 + ks[1]).astype(np.uint32)
        rot = [[13, 15, 26, 6], [17, 29, 16, 24]]
        for i in range(5):
            for r in rot[i % 2]:
                x0 = (x0 + x1).astype(np.uint32)
                x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
            x0 = (x0 + ks[(i + 1) % 3]).astype(np.uint32)
            x1 = (x1 + ks[(i + 2) % 3] + np.uint32(i + 1)).astype(np.uint32)
    return x0, x1


def reference_bits(k, nbytes):
    """MLX's RandomBits layout for one key: word pairs (j, j + half + odd)."""
    words = (nbytes + 3) // 4
    half, odd = words // 2, words % 2
    out = np.zeros(words, np.uint32)
    j = np.arange(half, dtype=np.uint32)
    a, b = threefry(k, j, (j + np.uint32(half + odd)).astype(np.uint32))
    out[:half], out[half + odd:] = a, b
    if odd:
        out[half] = threefry(k, np.array([half], np.uint32), np.array([0], np.uint32))[0][0]
    return out.view(np.uint8)[:nbytes]


@pytest.mark.parametrize("width,dt", [(1, np.uint8), (2, np.uint16), (4, np.uint32)])
@pytest.mark.parametrize("shape", [(), (1,), (3,), (5, 3), (0, 4), (4097,)])
def test_bits(width, dt, shape):
    k = mx.random.key(123456789)
    got = np.array(mx.random.bits(shape, width, key=k))
    n = int(np.prod(shape))
    ref = reference_bits(np.array(k), n * width).view(dt).reshape(shape)
    assert got.dtype == dt
    np.testing.assert_array_equal(got, ref)


def test_bits_matches_mlx_split_words():
    # MLX's split(key, n) is bits((n, 2)); compare word for word.
    for n in (1, 3, 500):
        got = np.array(mx.random.bits((n, 2), key=mx.random.key(9)))
        np.testing.assert_array_equal(got, np.array(mxr.random.split(mxr.random.key(9), n)))


def test_bits_errors():
    k = mx.random.key(0)
    with pytest.raises(ValueError, match=r"\[bits\] Bit width"):
        mx.random.bits((2,), 3, key=k)
    with pytest.raises(ValueError, match=r"\[bits\] Expected key type uint32"):
        mx.random.bits((2,), key=mx.array([1, 2]))
    with pytest.raises(ValueError, match=r"\[bits\] Expected key shape \(2\)"):
        mx.random.bits((2,), key=mx.zeros((3,), dtype=mx.uint32))
    with pytest.raises(ValueError, match="Negative dimensions"):
        mx.random.bits((-2,), key=k)


# ------------------------------------------------------------ distributions


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_uniform(dt, shape):
    check(lambda m: m.random.uniform(shape=shape, dtype=getattr(m, dt), key=key(m)), f"{dt} {shape}")


@pytest.mark.parametrize("dt", FLOATS)
def test_uniform_bounds(dt):
    d = lambda m: getattr(m, dt)  # noqa: E731
    check(lambda m: m.random.uniform(-2.5, 3.7, (1000,), d(m), key=key(m)))
    check(lambda m: m.random.uniform(3, 10, (999,), d(m), key=key(m)))
    check(lambda m: m.random.uniform(m.array([[0.0], [1.0]]), m.array([1.0, 2.0, 5.0]),
                                     (4, 2, 3), d(m), key=key(m)))
    check(lambda m: m.random.uniform(m.array(0.5, dtype=m.float16), 2, (33,), d(m), key=key(m)))
    check(lambda m: m.random.uniform(5.0, 1.0, (100,), d(m), key=key(m)))


def test_uniform_errors():
    check(lambda m: m.random.uniform(shape=(3,), dtype=m.float64, key=key(m)))
    check(lambda m: m.random.uniform(shape=(3,), dtype=m.int32, key=key(m)))
    check(lambda m: m.random.uniform(shape=(3,), dtype=m.complex64, key=key(m)))
    check(lambda m: m.random.uniform(m.zeros((3,)), 1, (4,), key=key(m)))
    check(lambda m: m.random.uniform(m.zeros((2, 3)), 1, (3,), key=key(m)))
    check(lambda m: m.random.uniform(shape=(-1,), key=key(m)))
    check(lambda m: m.random.uniform(shape=(2,), key=m.array([1, 2])))
    with pytest.raises(TypeError):
        mx.random.uniform(shape=3, key=mx.random.key(0))


@pytest.mark.parametrize("dt", FLOATS + ["float64", "complex64"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (0, 3), (4097,), (123457,)])
def test_normal(dt, shape):
    check(lambda m: m.random.normal(shape, getattr(m, dt), key=key(m)), f"{dt} {shape}")


@pytest.mark.parametrize("dt", FLOATS + ["float64", "complex64"])
def test_normal_loc_scale(dt):
    d = lambda m: getattr(m, dt)  # noqa: E731
    check(lambda m: m.random.normal((1000,), d(m), loc=0.3, scale=2.5, key=key(m)))
    check(lambda m: m.random.normal((1000,), d(m), loc=-1, key=key(m)))
    check(lambda m: m.random.normal((1000,), d(m), scale=0.1, key=key(m)))
    check(lambda m: m.random.normal((2, 500), d(m), loc=m.array([1.0, 2.0]).reshape(2, 1),
                                    scale=m.array(0.5), key=key(m)))
    # Parameters with a larger shape broadcast the output, as in MLX.
    check(lambda m: m.random.normal((3,), d(m), loc=m.zeros((2, 3)), key=key(m)))


def test_normal_float64_keeps_parameter_precision():
    check(lambda m: m.random.normal((100,), m.float64, loc=0.1, scale=1 / 3, key=key(m)))


def test_normal_errors():
    check(lambda m: m.random.normal((3,), m.int32, key=key(m)))
    check(lambda m: m.random.normal((3,), m.bool_, key=key(m)))
    check(lambda m: m.random.normal((3,), loc=m.zeros((4,)), key=key(m)))
    check(lambda m: m.random.normal((2,), key=m.array([1, 2, 3], dtype=m.uint32)))


def test_normal_docstring_example():
    a = mx.random.normal((3, 4), key=mx.random.key(0))
    b = mxr.random.normal((3, 4), key=mxr.random.key(0))
    ulp_equal(np.array(a), np.array(b))


@pytest.mark.parametrize("dt", FLOATS)
def test_truncated_normal(dt):
    d = lambda m: getattr(m, dt)  # noqa: E731
    check(lambda m: m.random.truncated_normal(-1.5, 2.0, (1000,), d(m), key=key(m)))
    check(lambda m: m.random.truncated_normal(0, 1, (0, 3), d(m), key=key(m)))
    check(lambda m: m.random.truncated_normal(-3, 3, dtype=d(m), key=key(m)))
    check(lambda m: m.random.truncated_normal(m.array([-1.0, -2.0]), m.array([[1.0], [0.5], [3.0]]),
                                              dtype=d(m), key=key(m)))
    check(lambda m: m.random.truncated_normal(m.array([-1.0, 0.0]), 2.0, (50, 2), d(m), key=key(m)))


def test_truncated_normal_errors():
    check(lambda m: m.random.truncated_normal(-1, 1, (3,), m.float64, key=key(m)))
    check(lambda m: m.random.truncated_normal(-1, 1, (3,), m.int32, key=key(m)))
    check(lambda m: m.random.truncated_normal(m.zeros((2, 1)), m.ones((3,)), (3,), key=key(m)))


@pytest.mark.parametrize("dt", FLOATS)
def test_gumbel(dt):
    for shape in [(), (1000,), (0,), (7, 9)]:
        check(lambda m: m.random.gumbel(shape, getattr(m, dt), key=key(m)), f"{dt} {shape}")


def test_gumbel_errors():
    check(lambda m: m.random.gumbel((3,), m.int32, key=key(m)))
    check(lambda m: m.random.gumbel((3,), m.float64, key=key(m)))


@pytest.mark.parametrize("dt", FLOATS + ["float64"])
def test_laplace(dt):
    d = lambda m: getattr(m, dt)  # noqa: E731
    check(lambda m: m.random.laplace((1000,), d(m), key=key(m)))
    check(lambda m: m.random.laplace((1000,), d(m), loc=0.3, scale=2.5, key=key(m)))
    check(lambda m: m.random.laplace((), d(m), loc=-2, key=key(m)))
    check(lambda m: m.random.laplace((0, 2), d(m), key=key(m)))


def test_laplace_errors():
    check(lambda m: m.random.laplace((3,), m.int32, key=key(m)))
    with pytest.raises(TypeError):
        mx.random.laplace((3,), loc=mx.zeros((3,)), key=mx.random.key(0))


RANDINT_BOUNDS = [(0, 10), (-5, 5), (2.5, 7.9), (-7.9, -2.5), (5, 5), (5, 3), (-0.5, 0.5),
                  (16777215, 16777300), (-2**31, 2**31 - 1), (0, 2**40)]


@pytest.mark.parametrize("dt", INTS)
@pytest.mark.parametrize("lo,hi", RANDINT_BOUNDS)
def test_randint(dt, lo, hi):
    check(lambda m: m.random.randint(lo, hi, (500,), getattr(m, dt), key=key(m)), f"{dt} [{lo}, {hi})")


@pytest.mark.parametrize("dt", INTS)
def test_randint_array_bounds(dt):
    check(lambda m: m.random.randint(m.array([0, -3]), m.array([[10], [4], [100]]), (3, 2),
                                     getattr(m, dt), key=key(m)))
    check(lambda m: m.random.randint(m.array([0.5, 1.5]), 5, (2,), getattr(m, dt), key=key(m)))


def test_randint_shapes_and_errors():
    check(lambda m: m.random.randint(0, 3, key=key(m)))
    check(lambda m: m.random.randint(0, 3, (0, 5), key=key(m)))
    check(lambda m: m.random.randint(0, 3, (3,), m.float32, key=key(m)))
    check(lambda m: m.random.randint(m.zeros((2, 3)), 1, (3,), key=key(m)))


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.999, 1.0, 2.0, -1.0])
def test_bernoulli(p):
    check(lambda m: m.random.bernoulli(p, (1000,), key=key(m)), f"p={p}")


def test_bernoulli_forms():
    check(lambda m: m.random.bernoulli(key=key(m)))
    check(lambda m: m.random.bernoulli(m.array(0.3, dtype=m.float16), (100,), key=key(m)))
    check(lambda m: m.random.bernoulli(m.array(0.3, dtype=m.float64), (100,), key=key(m)))
    check(lambda m: m.random.bernoulli(m.array([0.1, 0.5, 0.9]), (400, 3), key=key(m)))
    check(lambda m: m.random.bernoulli(m.array([0.1, 0.5, 0.9]), key=key(m)))
    check(lambda m: m.random.bernoulli(0.5, (0,), key=key(m)))


def test_bernoulli_errors():
    check(lambda m: m.random.bernoulli(1, key=key(m)))
    check(lambda m: m.random.bernoulli(m.array([0.1, 0.2, 0.3]), (2,), key=key(m)))
    check(lambda m: m.random.bernoulli(m.zeros((2, 3)) + 0.5, (3,), key=key(m)))


LOGITS = [[0.3, 1.0, 2.0, -1.0], [3.0, -1.0, 0.5, 0.0]]


@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"num_samples": 7}, {"shape": (5, 2)},
                                {"axis": 0, "shape": (3, 4)}, {"axis": 0, "num_samples": 3}])
def test_categorical_batched(kw):
    check(lambda m: m.random.categorical(m.array(LOGITS), key=key(m), **kw), str(kw))


@pytest.mark.parametrize("dt", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("form", [
    lambda m, l: m.random.categorical(l, shape=(500,), key=key(m)),
    lambda m, l: m.random.categorical(l, num_samples=300, key=key(m)),
    lambda m, l: m.random.categorical(l, key=key(m)),
    lambda m, l: m.random.categorical(l[None], shape=(5, 3), key=key(m)),
    lambda m, l: m.random.categorical(l[:, None], axis=0, num_samples=30, key=key(m)),
])
def test_categorical_single(dt, form):
    # One distribution: MLX samples it by inverse CDF (except for a 0-d result).
    check(lambda m: form(m, m.array(LOGITS[0]).astype(getattr(m, dt))), dt)


def test_categorical_large_vocabulary():
    rng = np.random.default_rng(0)
    for n in (5000, 32000):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        check(lambda m: m.random.categorical(m.array(x), num_samples=500, key=key(m)), f"{n}")
    x = rng.standard_normal((3, 700)).astype(np.float32)
    check(lambda m: m.random.categorical(m.array(x), num_samples=50, key=key(m)))


def test_categorical_errors():
    check(lambda m: m.random.categorical(m.zeros((3,)), shape=(2,), num_samples=2, key=key(m)))
    check(lambda m: m.random.categorical(m.zeros((3,)), axis=2, key=key(m)))
    check(lambda m: m.random.categorical(m.zeros((2, 3)), shape=(3,), key=key(m)))
    check(lambda m: m.random.categorical(m.array(1.0), key=key(m)))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 20, 100000])
def test_permutation_int(n):
    check(lambda m: m.random.permutation(n, key=key(m)), f"n={n}")


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_permutation_array(axis):
    check(lambda m: m.random.permutation(m.arange(24).reshape(2, 3, 4), axis=axis, key=key(m)))
    check(lambda m: m.random.permutation(m.arange(12).astype(m.float16).reshape(3, 4), axis=axis % 2,
                                         key=key(m)))


def test_permutation_errors():
    check(lambda m: m.random.permutation(-1, key=key(m)))
    check(lambda m: m.random.permutation(2.5, key=key(m)))
    with pytest.raises(IndexError):
        mx.random.permutation(mx.zeros((2, 3)), axis=2, key=mx.random.key(0))
    with pytest.raises(IndexError):
        mx.random.permutation(mx.array(1.0), key=mx.random.key(0))


def test_multivariate_normal_checks():
    for f in [lambda m: m.random.multivariate_normal(m.zeros((2,)), m.eye(2), dtype=m.float16, key=key(m)),
              lambda m: m.random.multivariate_normal(m.array(0.0), m.eye(2), key=key(m)),
              lambda m: m.random.multivariate_normal(m.zeros((2,)), m.zeros((2,)), key=key(m)),
              lambda m: m.random.multivariate_normal(m.zeros((2,)), m.zeros((2, 3)), key=key(m)),
              lambda m: m.random.multivariate_normal(m.zeros((3,)), m.eye(2), key=key(m))]:
        check(f)
    # Sampling needs linalg::svd, which rmlx does not have yet.
    with pytest.raises(RuntimeError, match="not implemented"):
        mx.random.multivariate_normal(mx.zeros((2,)), mx.eye(2), key=mx.random.key(0))


# ------------------------------------------------------------ global state


def draw_sequence(m):
    """Interleaved calls drawing keys from the global state."""
    out = [m.random.uniform(shape=(3,)), m.random.normal((2, 2)), m.random.randint(0, 100, (4,)),
           m.random.bernoulli(0.3, (5,)), m.random.gumbel((2,)), m.random.laplace((2,)),
           m.random.truncated_normal(-1, 1, (3,)), m.random.permutation(6),
           m.random.categorical(m.array(LOGITS)), m.random.normal((3,), m.complex64)]
    try:  # a call that fails still consumes a key, as in MLX
        m.random.uniform(shape=(3,), dtype=m.int32)
    except ValueError:
        pass
    out.append(m.random.uniform(shape=(2,), dtype=m.float16))
    return out


def test_seeded_sequence_matches_mlx():
    for s in (0, 7, 2**33 + 5):
        mx.random.seed(s)
        mxr.random.seed(s)
        for a, b in zip(draw_sequence(mx), draw_sequence(mxr)):
            ulp_equal(as_np(a), as_np(b))
        np.testing.assert_array_equal(np.array(mx.random.state[0]), np.array(mxr.random.state[0]))


def test_state_is_a_list_holding_the_key():
    mx.random.seed(3)
    mxr.random.seed(3)
    st = mx.random.state
    assert isinstance(st, list) and len(st) == 1 and st is mx.random.state
    np.testing.assert_array_equal(np.array(st[0]), np.array(mxr.random.state[0]))
    mx.random.normal()
    mxr.random.normal()
    np.testing.assert_array_equal(np.array(st[0]), np.array(mxr.random.state[0]))
    # An explicit key leaves the state alone.
    before = np.array(st[0])
    mx.random.normal(key=mx.random.key(1))
    np.testing.assert_array_equal(np.array(st[0]), before)
    with pytest.raises(AttributeError):
        mx.random.no_such_thing  # noqa: B018


def test_state_is_per_thread():
    mx.random.seed(5)
    seen = []
    t = threading.Thread(target=lambda: (seen.append(np.array(mx.random.state[0])), mx.random.seed(9)))
    t.start()
    t.join()
    np.testing.assert_array_equal(np.array(mx.random.state[0]), np.array(mx.random.key(5)))
    assert not np.array_equal(seen[0], np.array(mx.random.key(5)))


def test_module_import_forms():
    import rmlx.core.random as R

    assert R.normal is mx.random.normal
    assert callable(mx.random.split)


# ------------------------------------------------------------ transformations


def test_vmap_over_keys():
    ks, ksr = mx.random.split(mx.random.key(1), 4), mxr.random.split(mxr.random.key(1), 4)
    fs = [lambda m, k: m.random.normal((3,), key=k),
          lambda m, k: m.random.uniform(shape=(2, 3), key=k),
          lambda m, k: m.random.randint(0, 10, (5,), key=k),
          lambda m, k: m.random.split(k, 3),
          lambda m, k: m.random.permutation(5, key=k),
          lambda m, k: m.random.permutation(m.arange(6), key=k),
          lambda m, k: m.random.bernoulli(m.array([0.2, 0.7]), key=k),
          lambda m, k: m.random.categorical(m.array(LOGITS[0]), num_samples=4, key=k)]
    for f in fs:
        got = mx.vmap(lambda k: f(mx, k))(ks)
        ref = mxr.vmap(lambda k: f(mxr, k))(ksr)
        ulp_equal(as_np(got), as_np(ref))
        loop = mx.stack([f(mx, ks[i]) for i in range(4)])
        ulp_equal(as_np(got), as_np(loop))
    # The key pair on the batched axis's other side (in_axes=1).
    got = mx.vmap(lambda k: mx.random.normal((2,), key=k), in_axes=1)(ks.T)
    ref = mxr.vmap(lambda k: mxr.random.normal((2,), key=k), in_axes=1)(ksr.T)
    ulp_equal(as_np(got), as_np(ref))


def test_vmap_permuted_array_batched():
    x = mx.arange(12).reshape(3, 4).astype(mx.float32)
    k = mx.random.key(2)
    got = mx.vmap(lambda r: mx.random.permutation(r, key=k))(x)
    for i in range(3):
        np.testing.assert_array_equal(np.array(got[i]), np.array(mx.random.permutation(x[i], key=k)))


def test_no_derivative_through_keys():
    k = mx.random.key(0)
    with pytest.raises(ValueError, match="RandomBits"):
        mx.grad(lambda k: mx.random.normal((3,), key=k).sum())(k)
    with pytest.raises(ValueError, match="RandomBits"):
        mx.jvp(lambda k: mx.random.normal((3,), key=k), [k], [mx.ones((2,), dtype=mx.uint32)])


def test_gradients_through_parameters():
    k, kr = mx.random.key(0), mxr.random.key(0)
    for f in [lambda m, k: (lambda x: (x * m.random.normal((3,), key=k)).sum()),
              lambda m, k: (lambda s: m.random.normal((3,), loc=s, scale=s, key=k).sum()),
              lambda m, k: (lambda s: m.random.uniform(s, s * 3, (4,), key=k).sum()),
              lambda m, k: (lambda s: (m.random.permutation(s * m.arange(5), key=k) ** 2).sum())]:
        x = 2.0
        got = mx.grad(f(mx, k))(mx.array(x))
        ref = mxr.grad(f(mxr, kr))(mxr.array(x))
        np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-6)


def test_rules_of_the_helper_primitives():
    # truncated_normal with traced bounds runs MLX's erf/erfinv graph
    # (SampleMath): gradients and batching against MLX.
    k, kr = mx.random.key(3), mxr.random.key(3)
    f = lambda m, k: (lambda lo: m.random.truncated_normal(lo, 2.0, (5,), key=k).sum())  # noqa: E731
    np.testing.assert_allclose(np.array(mx.grad(f(mx, k))(mx.array(-1.0))),
                               np.array(mxr.grad(f(mxr, kr))(mxr.array(-1.0))), rtol=1e-5)
    g = lambda m, k: (lambda lo: m.random.truncated_normal(lo, 2.0, (5,), key=k))  # noqa: E731
    (_, got), (_, ref) = (mx.jvp(g(mx, k), [mx.array(-1.0)], [mx.array(1.0)]),
                          mxr.jvp(g(mxr, kr), [mxr.array(-1.0)], [mxr.array(1.0)]))
    np.testing.assert_allclose(np.array(got[0]), np.array(ref[0]), rtol=1e-5)
    lows = [-1.0, -0.5, 0.0]
    got = mx.vmap(g(mx, k))(mx.array(lows))
    ref = mxr.vmap(g(mxr, kr))(mxr.array(lows))
    ulp_equal(np.array(got), np.array(ref))
    # Single-distribution categorical (CumulativeExp) batched over logits:
    # MLX refuses (its searchsorted cannot batch the CDF); rmlx batches it,
    # row by row.
    c = lambda l: mx.random.categorical(l, num_samples=6, key=k)  # noqa: E731
    got = mx.vmap(c)(mx.array(LOGITS))
    for i, row in enumerate(LOGITS):
        np.testing.assert_array_equal(np.array(got[i]), np.array(c(mx.array(row))))


def test_lazy():
    # Nothing is computed until the values are needed.
    a = mx.random.normal((1 << 24,), key=mx.random.key(0))
    assert a.shape == (1 << 24,)
    del a


# ------------------------------------------------------------ statistics


def test_statistics():
    k = mx.random.key(11)
    n = 1 << 20
    x = np.array(mx.random.normal((n,), key=k), np.float64)
    assert abs(x.mean()) < 5e-3 and abs(x.std() - 1) < 5e-3
    u = np.array(mx.random.uniform(-2, 3, (n,), key=k))
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 1e-2
    b = np.array(mx.random.bernoulli(0.3, (n,), key=k))
    assert abs(b.mean() - 0.3) < 3e-3
    r = np.array(mx.random.randint(-3, 7, (n,), key=k))
    assert set(np.unique(r)) == set(range(-3, 7))
    g = np.array(mx.random.gumbel((n,), key=k), np.float64)
    assert abs(g.mean() - 0.5772156649) < 1e-2
    lap = np.array(mx.random.laplace((n,), key=k), np.float64)
    assert abs(lap.mean()) < 1e-2 and abs(lap.var() - 2) < 3e-2
    t = np.array(mx.random.truncated_normal(-0.5, 1.5, (n,), key=k))
    assert t.min() >= -0.5 and t.max() <= 1.5
    c = np.array(mx.random.normal((n,), mx.complex64, key=k))
    assert abs(c.real.var() - 0.5) < 1e-2 and abs(c.imag.var() - 0.5) < 1e-2
    logits = np.array([0.0, 1.0, 2.0], np.float32)
    cat = np.array(mx.random.categorical(mx.array(logits), num_samples=n, key=k))
    p = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(np.bincount(cat, minlength=3) / n, p, atol=3e-3)
    perm = np.array(mx.random.permutation(1000, key=k))
    np.testing.assert_array_equal(np.sort(perm), np.arange(1000))
    # Independent keys give uncorrelated streams.
    k1, k2 = mx.random.split(k)
    a, b2 = (np.array(mx.random.normal((n,), key=kk), np.float64) for kk in (k1, k2))
    assert abs(np.corrcoef(a, b2)[0, 1]) < 5e-3
