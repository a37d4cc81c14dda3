"""The rmlx.nn / rmlx.optimizers Python code run on top of the *reference*
MLX core, against mlx.nn / mlx.optimizers.

The layer code is loaded a second time as the package ``_rmlx_on_mlx``
whose ``core`` is ``mlx.core``. This checks the layers' own logic (shapes,
parameter names, initialisation order, formulas, gradients) for every layer,
including those whose core ops rmlx does not have yet; test_nn_layers.py
checks the same layers on rmlx's core.
"""

import os
import sys
import types

import numpy as np
import pytest

from conftest import mxr

pytestmark = pytest.mark.skipif(mxr is None, reason="reference MLX not installed")

ALIAS = "_rmlx_on_mlx"


def _load():
    if ALIAS in sys.modules:
        return sys.modules[ALIAS]
    import mlx.core

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rmlx")
    pkg = types.ModuleType(ALIAS)
    pkg.__path__ = [root]
    pkg.core = mlx.core
    sys.modules[ALIAS] = pkg
    sys.modules[ALIAS + ".core"] = mlx.core
    import importlib

    pkg.nn = importlib.import_module(ALIAS + ".nn")
    pkg.optimizers = importlib.import_module(ALIAS + ".optimizers")
    return pkg


@pytest.fixture(scope="module")
def lib():
    pkg = _load()
    assert pkg.nn.Linear.__module__ == ALIAS + ".nn.layers.linear"
    return pkg


def flat(tree):
    from mlx.utils import tree_flatten

    return tree_flatten(tree)


def check(lib, factory, shapes, call=None, dtypes=None, tol=1e-5, seed=0):
    import mlx.nn as nnr

    rng = np.random.default_rng(seed)
    mxr.random.seed(seed)
    ours = factory(lib.nn)
    mxr.random.seed(seed)
    ref = factory(nnr)
    # Same parameter names, and bit-identical initial draws.
    assert [k for k, _ in flat(ours.parameters())] == [k for k, _ in flat(ref.parameters())]
    for (k, a), (_, b) in zip(flat(ours.parameters()), flat(ref.parameters())):
        assert np.array_equal(np.array(a), np.array(b)), k
    assert repr(ours) == repr(ref).replace("mlx.nn", ALIAS + ".nn") or type(ours).__name__ in ("RNN",)
    dtypes = dtypes or [np.float32] * len(shapes)
    xs = [
        mxr.array(rng.integers(0, 5, s).astype(d) if np.issubdtype(d, np.integer) else rng.standard_normal(s).astype(d))
        for s, d in zip(shapes, dtypes)
    ]
    call = call or (lambda m, *x: m(*x))
    for (k, a), (_, b) in zip(flat(call(ours, *xs)), flat(call(ref, *xs))):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=tol, atol=tol, err_msg=k)

    def loss(m, *x):
        o = call(m, *x)
        o = o[0] if isinstance(o, tuple) else o
        return (o**2).sum()

    if flat(ours.trainable_parameters()):
        _, g1 = lib.nn.value_and_grad(ours, loss)(ours, *xs)
        _, g2 = nnr.value_and_grad(ref, loss)(ref, *xs)
        assert [k for k, _ in flat(g1)] == [k for k, _ in flat(g2)]
        for (k, a), (_, b) in zip(flat(g1), flat(g2)):
            np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-4, err_msg=k)


def _mask():
    import mlx.nn as nnr

    return nnr.MultiHeadAttention.create_additive_causal_mask(4)


CASES = {
    "linear": (lambda n: n.Linear(7, 4), [(3, 7)], {}),
    "linear_nobias": (lambda n: n.Linear(7, 4, bias=False), [(2, 3, 7)], {}),
    "bilinear": (lambda n: n.Bilinear(3, 5, 4), [(2, 6, 3), (2, 6, 5)], {}),
    "embedding": (lambda n: n.Embedding(6, 4), [(3, 5)], {"dtypes": [np.int32]}),
    "embedding_as_linear": (lambda n: n.Embedding(6, 4), [(3, 4)], {"call": lambda m, x: m.as_linear(x)}),
    "conv1d": (lambda n: n.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), [(2, 9, 4)], {"tol": 1e-4}),
    "conv2d": (
        lambda n: n.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), groups=2), [(1, 8, 7, 4)], {"tol": 1e-4}
    ),
    "conv3d": (lambda n: n.Conv3d(2, 3, 2, padding=1), [(1, 5, 6, 4, 2)], {"tol": 1e-4}),
    "conv_transpose1d": (
        lambda n: n.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1), [(2, 5, 3)], {"tol": 1e-4}
    ),
    "conv_transpose2d": (lambda n: n.ConvTranspose2d(2, 3, (2, 3), stride=2), [(1, 4, 5, 2)], {"tol": 1e-4}),
    "conv_transpose3d": (lambda n: n.ConvTranspose3d(2, 2, 2, padding=1), [(1, 3, 3, 3, 2)], {"tol": 1e-4}),
    "layer_norm": (lambda n: n.LayerNorm(6), [(3, 4, 6)], {}),
    "layer_norm_noaffine": (lambda n: n.LayerNorm(6, affine=False), [(3, 4, 6)], {}),
    "layer_norm_nobias": (lambda n: n.LayerNorm(6, bias=False), [(3, 4, 6)], {}),
    "rms_norm": (lambda n: n.RMSNorm(6), [(3, 4, 6)], {}),
    "instance_norm": (lambda n: n.InstanceNorm(6, affine=True), [(2, 3, 4, 6)], {}),
    "group_norm_pt": (lambda n: n.GroupNorm(2, 6, pytorch_compatible=True), [(2, 3, 4, 6)], {}),
    "rope": (lambda n: n.RoPE(8, traditional=True), [(2, 3, 5, 8)], {"call": lambda m, x: m(x, offset=2)}),
    "rnn": (lambda n: n.RNN(3, 5), [(2, 4, 3), (2, 5)], {}),
    "rnn_nobias": (lambda n: n.RNN(3, 5, bias=False), [(4, 3)], {}),
    "gru": (lambda n: n.GRU(3, 5), [(2, 4, 3)], {}),
    "gru_hidden": (lambda n: n.GRU(3, 5), [(2, 4, 3), (2, 5)], {}),
    "gru_nobias": (lambda n: n.GRU(3, 5, bias=False), [(2, 4, 3), (2, 5)], {}),
    "lstm": (lambda n: n.LSTM(3, 5), [(2, 4, 3)], {}),
    "lstm_state": (lambda n: n.LSTM(3, 5, bias=False), [(4, 3), (5,), (5,)], {}),
    "mha": (lambda n: n.MultiHeadAttention(8, 2, bias=True), [(2, 5, 8), (2, 6, 8), (2, 6, 8)], {}),
    "mha_dims": (
        lambda n: n.MultiHeadAttention(8, 4, query_input_dims=3, key_input_dims=5, value_dims=12, value_output_dims=7),
        [(2, 5, 3), (2, 6, 5), (2, 6, 5)], {},
    ),
    "transformer": (
        lambda n: n.Transformer(8, 2, 1, 2, mlp_dims=16),
        [(2, 5, 8), (2, 4, 8)], {"call": lambda m, s, t: m(s, t, None, _mask(), None), "tol": 1e-4},
    ),
    "transformer_post_norm_ckpt": (
        lambda n: n.Transformer(8, 2, 2, 1, norm_first=False, checkpoint=True),
        [(2, 5, 8), (2, 4, 8)], {"call": lambda m, s, t: m(s, t, None, _mask(), None), "tol": 1e-4},
    ),
    "upsample_nearest_frac": (lambda n: n.Upsample(1.5), [(1, 4, 5, 2)], {}),
    "upsample_nearest_down": (lambda n: n.Upsample(0.5), [(1, 6, 2)], {}),
    "upsample_linear": (lambda n: n.Upsample(2, mode="linear"), [(1, 4, 5, 2)], {"tol": 1e-4}),
    "upsample_linear_2s": (lambda n: n.Upsample((1.5, 2.5), mode="linear"), [(1, 4, 3, 2)], {"tol": 1e-4}),
    "upsample_linear_ac": (lambda n: n.Upsample(2, mode="linear", align_corners=True), [(1, 4, 5, 2)], {"tol": 1e-4}),
    "upsample_linear_aa": (lambda n: n.Upsample(0.5, mode="linear", antialias=True), [(1, 8, 6, 2)], {"tol": 1e-4}),
    "upsample_cubic": (lambda n: n.Upsample(2, mode="cubic"), [(1, 4, 5, 2)], {"tol": 1e-4}),
    "upsample_cubic_ac": (lambda n: n.Upsample(2, mode="cubic", align_corners=True), [(1, 5, 2)], {"tol": 1e-4}),
    "upsample_cubic_aa": (lambda n: n.Upsample(0.5, mode="cubic", antialias=True), [(1, 8, 6, 2)], {"tol": 1e-4}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_layer_logic_matches_mlx(lib, name):
    factory, shapes, kwargs = CASES[name]
    check(lib, factory, shapes, **kwargs)


@pytest.mark.parametrize(
    "mode,group_size,bits", [("affine", 32, 8), ("affine", 64, 4), ("mxfp4", None, None), ("mxfp8", None, None)]
)
def test_quantized_layers_match_mlx(lib, mode, group_size, bits):
    import mlx.nn as nnr

    def build(n):
        mxr.random.seed(0)
        model = n.Sequential(n.Embedding(10, 64), n.Linear(64, 64), n.ReLU())
        n.quantize(model, group_size=group_size, bits=bits, mode=mode)
        return model

    ours, ref = build(lib.nn), build(nnr)
    assert repr(ours) == repr(ref)
    assert [k for k, _ in flat(ours.trainable_parameters())] == [k for k, _ in flat(ref.trainable_parameters())]
    rng = np.random.default_rng(0)
    ids = mxr.array(rng.integers(0, 10, (2, 3)).astype(np.int32))
    np.testing.assert_allclose(np.array(ours(ids)), np.array(ref(ids)), rtol=1e-5, atol=1e-5)
    x = mxr.array(rng.standard_normal((2, 64)).astype(np.float32))
    np.testing.assert_allclose(
        np.array(ours.layers[0].as_linear(x)), np.array(ref.layers[0].as_linear(x)), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("which", ["sparse", "orthogonal"])
def test_initializers_needing_sort_and_qr(lib, which):
    import mlx.nn as nnr

    def make(n):
        return n.init.sparse(0.3) if which == "sparse" else n.init.orthogonal(1.5)

    for shape in [(6, 10), (10, 6)]:
        mxr.random.seed(4)
        a = make(lib.nn)(mxr.zeros(shape))
        mxr.random.seed(4)
        b = make(nnr)(mxr.zeros(shape))
        assert np.array_equal(np.array(a), np.array(b))


def test_losses_needing_gather_and_norm(lib):
    import mlx.nn as nnr

    rng = np.random.default_rng(0)
    logits = mxr.array(rng.standard_normal((5, 4)).astype(np.float32))
    t = mxr.array(rng.integers(0, 4, 5).astype(np.int32))
    for kw in [{}, {"label_smoothing": 0.1}, {"reduction": "mean"}]:
        np.testing.assert_allclose(
            np.array(lib.nn.losses.cross_entropy(logits, t, **kw)), np.array(nnr.losses.cross_entropy(logits, t, **kw)),
            rtol=1e-6,
        )
    np.testing.assert_allclose(np.array(lib.nn.losses.nll_loss(logits, t)), np.array(nnr.losses.nll_loss(logits, t)))
    other = logits * 2 + 1
    np.testing.assert_allclose(
        np.array(lib.nn.losses.cosine_similarity_loss(logits, other)),
        np.array(nnr.losses.cosine_similarity_loss(logits, other)), rtol=1e-6,
    )


def test_muon_matches_mlx(lib):
    import mlx.optimizers as optr

    rng = np.random.default_rng(0)
    shapes = {"w": (6, 4), "t": (3, 7), "c": (3, 2, 2, 2), "b": (5,)}
    p1 = p2 = {k: mxr.array(rng.standard_normal(s).astype(np.float32)) for k, s in shapes.items()}
    o1, o2 = lib.optimizers.Muon(0.02), optr.Muon(0.02)
    for _ in range(3):
        g = {k: mxr.array(rng.standard_normal(s).astype(np.float32)) for k, s in shapes.items()}
        p1, p2 = o1.apply_gradients(g, p1), o2.apply_gradients(g, p2)
        for (k, a), (_, b) in zip(flat(p1), flat(p2)):
            np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6, err_msg=k)
