"""rmlx.nn layers against mlx.nn with identical weights and inputs: outputs,
gradients with respect to parameters and inputs, training / evaluation
behaviour, and constructor / call errors. Layers whose core ops have not
landed in rmlx yet are skipped until they do."""

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn
from rmlx.utils import tree_flatten

from conftest import mxr
from nn_common import assert_close, need_ref, needs, nnr, pair

pytestmark = need_ref


def compare(factory, shapes, rng, seed=0, rtol=1e-5, atol=1e-5, grad=True, call=None, train=True, dtypes=None):
    """Builds ``factory`` in both libraries with identical weights, calls it
    on random inputs of ``shapes`` and compares the outputs and the
    gradients of a random projection of them with respect to the parameters
    and the float inputs."""
    ours, ref = pair(factory, seed)
    if not train:
        ours.eval()
        ref.eval()
    dtypes = dtypes or [np.float32] * len(shapes)
    inputs = []
    for s, dt in zip(shapes, dtypes):
        if np.issubdtype(dt, np.integer):
            inputs.append(rng.integers(0, 5, s).astype(dt))
        else:
            inputs.append(rng.standard_normal(s).astype(dt))
    xs = [mx.array(a) for a in inputs]
    xr = [mxr.array(a) for a in inputs]
    call = call or (lambda m, *a: m(*a))
    out, out_ref = call(ours, *xs), call(ref, *xr)
    assert_close(out, out_ref, rtol=rtol, atol=atol)
    if not grad:
        return ours, ref
    first_ref = out_ref[0] if isinstance(out_ref, tuple) else out_ref
    w = rng.standard_normal(tuple(first_ref.shape)).astype(np.float32)

    def loss(model, *a):
        o = call(model, *a)
        o = o[0] if isinstance(o, tuple) else o
        return (o * mx.array(w)).sum()

    def loss_ref(model, *a):
        o = call(model, *a)
        o = o[0] if isinstance(o, tuple) else o
        return (o * mxr.array(w)).sum()

    # (MLX refuses to differentiate with respect to an empty tree.)
    if tree_flatten(ours.trainable_parameters()):
        _, g = nn.value_and_grad(ours, loss)(ours, *xs)
        _, gr = nnr.value_and_grad(ref, loss_ref)(ref, *xr)
        assert_close(g, gr, rtol=10 * rtol, atol=10 * atol)
    float_args = [i for i, d in enumerate(dtypes) if not np.issubdtype(d, np.integer)]
    if float_args:
        gi = mx.grad(lambda *a: loss(ours, *a), argnums=float_args)(*xs)
        gir = mxr.grad(lambda *a: loss_ref(ref, *a), argnums=float_args)(*xr)
        assert_close(gi, gir, rtol=10 * rtol, atol=10 * atol)
    return ours, ref


# ---------------------------------------------------------------------------
# Layers that need only elementwise / reduction / shape ops.


def test_identity_and_sequential_of_activations(rng):
    compare(lambda n: n.Identity(1, 2, key=3), [(3, 4)], rng)
    compare(lambda n: n.Sequential(n.Tanh(), n.PReLU(4), n.GELU(), n.Softmax()), [(3, 4)], rng)
    compare(lambda n: n.Sequential(), [(2, 2)], rng, grad=False)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4), (2, 3, 3, 4)])
def test_batchnorm(rng, shape, affine):
    ours, ref = compare(lambda n: n.BatchNorm(4, affine=affine, momentum=0.3), [shape], rng)
    # The running statistics were updated in training mode, frozen from grads.
    assert_close(ours.running_mean, ref.running_mean)
    assert_close(ours.running_var, ref.running_var)
    x = rng.standard_normal(shape).astype(np.float32)
    ours.eval()
    ref.eval()
    assert_close(ours(mx.array(x)), ref(mxr.array(x)))


def test_batchnorm_without_running_stats_and_errors(rng):
    ours, ref = compare(lambda n: n.BatchNorm(3, track_running_stats=False), [(5, 3)], rng)
    assert "running_mean" not in ours
    compare(lambda n: n.BatchNorm(3, track_running_stats=False), [(5, 3)], rng, train=False)
    with pytest.raises(ValueError, match="2, 3 or 4 dimensions"):
        nn.BatchNorm(3)(mx.zeros((3,)))
    with pytest.raises(ValueError, match="more than one value"):
        nn.BatchNorm(3)(mx.zeros((1, 3)))
    with pytest.raises(ValueError, match="'eps' must be positive"):
        nn.BatchNorm(3, eps=0)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(2, 8), (2, 5, 8), (3, 4, 2, 8)])
def test_group_norm(rng, shape, affine):
    compare(lambda n: n.GroupNorm(4, 8, affine=affine), [shape], rng, rtol=1e-4, atol=1e-5)


def test_group_norm_errors():
    for args, match in [((0, 4), "number of groups"), ((2, 0), "number of features"), ((3, 4), "divisible")]:
        with pytest.raises(ValueError, match=match):
            nn.GroupNorm(*args)


@pytest.mark.parametrize("cls", ["Dropout", "Dropout2d", "Dropout3d"])
def test_dropout_matches_mlx_for_the_same_seed(rng, cls):
    shape = {"Dropout": (4, 6), "Dropout2d": (2, 3, 3, 5), "Dropout3d": (2, 2, 3, 3, 5)}[cls]
    x = rng.standard_normal(shape).astype(np.float32)
    ours, ref = getattr(nn, cls)(0.4), getattr(nnr, cls)(0.4)
    mx.random.seed(11)
    mxr.random.seed(11)
    y, yr = ours(mx.array(x)), ref(mxr.array(x))
    assert_close(y, yr)
    mask = np.array(y) != 0
    if cls != "Dropout":  # whole channels: the mask is constant over space
        spatial = tuple(range(-1 - (2 if cls == "Dropout2d" else 3), -1))
        assert (mask.all(axis=spatial) | ~mask.any(axis=spatial)).all()
    np.testing.assert_allclose(np.array(y)[mask], x[mask] / 0.6, rtol=1e-6)
    ours.eval()
    assert ours(mx.array(x)) is not None and np.array_equal(np.array(ours(mx.array(x))), x)
    assert repr(ours) == repr(ref)


def test_dropout_statistics_and_errors():
    mx.random.seed(0)
    y = np.array(nn.Dropout(0.25)(mx.ones((200, 200))))
    assert abs((y == 0).mean() - 0.25) < 0.01
    assert np.array_equal(np.array(nn.Dropout(0.0)(mx.ones((3,)))), np.ones(3))
    for p in (-0.1, 1.0):
        with pytest.raises(ValueError, match="dropout probability"):
            nn.Dropout(p)
    with pytest.raises(ValueError, match="Expected 3 or 4 dimensions"):
        nn.Dropout2d()(mx.zeros((2, 2)))
    with pytest.raises(ValueError, match="Expected 4 or 5 dimensions"):
        nn.Dropout3d()(mx.zeros((2, 2, 2)))


POOLS = [
    ("MaxPool1d", (2, 9, 3), {"kernel_size": 3}),
    ("MaxPool1d", (2, 9, 3), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("AvgPool1d", (2, 8, 3), {"kernel_size": 2}),
    ("AvgPool1d", (2, 9, 3), {"kernel_size": 4, "stride": 1, "padding": 2}),
    ("MaxPool2d", (2, 6, 6, 3), {"kernel_size": 2}),
    ("MaxPool2d", (2, 7, 5, 3), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)}),
    ("AvgPool2d", (2, 6, 6, 3), {"kernel_size": 3, "stride": 3}),
    ("AvgPool2d", (1, 7, 8, 2), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("MaxPool3d", (1, 4, 4, 4, 2), {"kernel_size": 2}),
    ("MaxPool3d", (1, 5, 4, 6, 2), {"kernel_size": (2, 3, 2), "stride": 1, "padding": (1, 1, 0)}),
    ("AvgPool3d", (1, 5, 5, 5, 2), {"kernel_size": 3, "stride": 2, "padding": 1}),
]


@pytest.mark.parametrize("cls,shape,kwargs", POOLS, ids=[f"{c}-{k}" for c, _, k in POOLS])
def test_pooling(rng, cls, shape, kwargs):
    ours, ref = compare(lambda n: getattr(n, cls)(**kwargs), [shape], rng)
    assert repr(ours) == repr(ref)


def test_pooling_errors():
    with pytest.raises(ValueError, match="must be positive"):
        nn.MaxPool2d(0)
    with pytest.raises(ValueError, match="non-negative"):
        nn.AvgPool1d(2, padding=-1)
    with pytest.raises(ValueError, match="tuple containing 2 integers"):
        nn.MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match="tuple containing 1 integer"):
        nn.AvgPool1d(2.5)
    with pytest.raises(ValueError, match="at least 1 spatial dimension"):
        nn.MaxPool1d(2)(mx.zeros((4, 3)))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"cos_first": True}, {"full_turns": True, "scale": 1.0}, {"min_freq": 0.01, "max_freq": 2.0}],
)
@pytest.mark.parametrize("dims", [2, 16])
def test_sinusoidal_positional_encoding(rng, dims, kwargs):
    ours, ref = compare(lambda n: n.SinusoidalPositionalEncoding(dims, **kwargs), [(3, 5)], rng, rtol=1e-5, atol=1e-5)
    assert ours.parameters() == {} == ref.parameters()
    with pytest.raises(ValueError, match="positive and even"):
        nn.SinusoidalPositionalEncoding(5)


@pytest.mark.parametrize("heads", [4, 6])
@pytest.mark.parametrize("offset", [0, 2])
def test_alibi(rng, heads, offset):
    compare(lambda n: n.ALiBi(), [(2, heads, 5, 7)], rng, call=lambda m, x: m(x, offset=offset))
    mask = rng.standard_normal((5, 7)).astype(np.float32)
    compare(
        lambda n: n.ALiBi(), [(1, heads, 5, 7)], rng,
        call=lambda m, x: m(x, mask=(mx.array(mask) if isinstance(x, mx.array) else mxr.array(mask))),
    )
    assert_close(nn.ALiBi.create_alibi_slope(heads), nnr.ALiBi.create_alibi_slope(heads))
    assert_close(
        nn.ALiBi.create_alibi_matrix(6, 6, heads, offset=1, dtype=mx.float16),
        nnr.ALiBi.create_alibi_matrix(6, 6, heads, offset=1, dtype=mxr.float16),
    )


@pytest.mark.parametrize("scale", [2, (2, 3), 1])
def test_upsample_nearest_integer(rng, scale):
    ndim = 2 if isinstance(scale, tuple) else 1
    shape = (2, 3, 4, 2) if ndim == 2 else (2, 5, 3)
    compare(lambda n: n.Upsample(scale_factor=scale), [shape], rng)


def test_upsample_errors():
    with pytest.raises(ValueError, match="unsupported upsampling"):
        nn.Upsample(2, mode="area")
    with pytest.raises(ValueError, match="Antialiasing is not supported"):
        nn.Upsample(2, antialias=True)
    with pytest.raises(ValueError, match="align_corners=True is not"):
        nn.Upsample(2, mode="linear", antialias=True, align_corners=True)
    with pytest.raises(ValueError, match="at least 1 spatial"):
        nn.Upsample(2)(mx.zeros((2, 3)))
    with pytest.raises(ValueError, match="One scale per spatial"):
        nn.Upsample((2, 2))(mx.zeros((1, 3, 2)))


# ---------------------------------------------------------------------------
# Layers over core ops that are landing separately.


@needs("matmul", "addmm")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7), (7,)])
def test_linear(rng, shape, bias):
    compare(lambda n: n.Linear(7, 4, bias=bias), [shape], rng)


@needs("matmul")
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(rng, bias):
    compare(lambda n: n.Bilinear(3, 5, 4, bias=bias), [(2, 6, 3), (2, 6, 5)], rng, rtol=1e-4)


@needs("indexing", "matmul")
def test_embedding(rng):
    ours, ref = compare(lambda n: n.Embedding(6, 4), [(3, 5)], rng, dtypes=[np.int32])
    compare(lambda n: n.Embedding(6, 4), [(3, 4)], rng, call=lambda m, x: m.as_linear(x))


CONVS = [
    ("Conv1d", (2, 9, 4), (4, 6, 3), {}),
    ("Conv1d", (2, 9, 4), (4, 6, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": False}),
    ("Conv2d", (2, 7, 6, 3), (3, 4, 3), {}),
    ("Conv2d", (1, 8, 7, 4), (4, 6, (3, 2)), {"stride": (2, 1), "padding": (1, 2), "dilation": 1, "groups": 2}),
    ("Conv3d", (1, 5, 6, 4, 2), (2, 3, 2), {"stride": 1, "padding": 1}),
    ("ConvTranspose1d", (2, 5, 3), (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("ConvTranspose2d", (1, 4, 5, 2), (2, 3, (2, 3)), {"stride": 2}),
    ("ConvTranspose3d", (1, 3, 3, 3, 2), (2, 2, 2), {"padding": 1}),
]


@pytest.mark.parametrize("cls,shape,args,kwargs", CONVS, ids=[f"{c}{k}" for c, _, _, k in CONVS])
def test_convolutions(rng, cls, shape, args, kwargs):
    op = cls.replace("ConvTranspose", "conv_transpose").replace("Conv", "conv")
    if not hasattr(mx, op):
        pytest.skip(f"rmlx.core lacks {op} yet")
    compare(lambda n: getattr(n, cls)(*args, **kwargs), [shape], rng, rtol=1e-4, atol=1e-5)


def test_conv_group_error():
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        nn.Conv2d(3, 4, 3, groups=2)


@needs("fast.layer_norm")
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layer_norm(rng, kwargs):
    compare(lambda n: n.LayerNorm(6, **kwargs), [(3, 4, 6)], rng, rtol=1e-4)


@needs("fast.rms_norm")
def test_rms_norm(rng):
    compare(lambda n: n.RMSNorm(6, eps=1e-4), [(3, 4, 6)], rng, rtol=1e-4)


@needs("fast.layer_norm")
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(2, 5, 6), (2, 3, 4, 6)])
def test_instance_norm(rng, shape, affine):
    compare(lambda n: n.InstanceNorm(6, affine=affine), [shape], rng, rtol=1e-4)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        nn.InstanceNorm(6)(mx.zeros((2, 6)))


@needs("fast.layer_norm")
def test_group_norm_pytorch_compatible(rng):
    compare(lambda n: n.GroupNorm(2, 6, pytorch_compatible=True), [(2, 3, 4, 6)], rng, rtol=1e-4)


@needs("fast.rope")
@pytest.mark.parametrize("kwargs", [{}, {"traditional": True}, {"base": 500.0, "scale": 0.5}])
def test_rope(rng, kwargs):
    compare(lambda n: n.RoPE(8, **kwargs), [(2, 3, 5, 8)], rng, rtol=1e-4)
    compare(lambda n: n.RoPE(4, **kwargs), [(2, 5, 8)], rng, rtol=1e-4, call=lambda m, x: m(x, offset=3))


@needs("matmul", "addmm")
@pytest.mark.parametrize("bias", [True, False])
def test_rnn(rng, bias):
    compare(lambda n: n.RNN(3, 5, bias=bias), [(2, 4, 3)], rng, rtol=1e-4)
    compare(lambda n: n.RNN(3, 5, nonlinearity=n.relu), [(4, 3), (5,)], rng, rtol=1e-4)
    with pytest.raises(ValueError, match="Nonlinearity must be callable"):
        nn.RNN(3, 5, nonlinearity=3)


@needs("matmul", "addmm")
@pytest.mark.parametrize("bias", [True, False])
def test_gru(rng, bias):
    compare(lambda n: n.GRU(3, 5, bias=bias), [(2, 4, 3)], rng, rtol=1e-4)
    compare(lambda n: n.GRU(3, 5, bias=bias), [(2, 4, 3), (2, 5)], rng, rtol=1e-4)


@needs("matmul", "addmm")
@pytest.mark.parametrize("bias", [True, False])
def test_lstm(rng, bias):
    compare(lambda n: n.LSTM(3, 5, bias=bias), [(2, 4, 3)], rng, rtol=1e-4)
    compare(lambda n: n.LSTM(3, 5), [(4, 3), (5,), (5,)], rng, rtol=1e-4)


@needs("matmul", "addmm", "fast.scaled_dot_product_attention", "unflatten")
@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention(rng, bias):
    compare(lambda n: n.MultiHeadAttention(8, 2, bias=bias), [(2, 5, 8), (2, 6, 8), (2, 6, 8)], rng, rtol=1e-4)
    compare(
        lambda n: n.MultiHeadAttention(8, 4, query_input_dims=3, key_input_dims=5, value_dims=12, value_output_dims=7),
        [(2, 5, 3), (2, 6, 5), (2, 6, 5)], rng, rtol=1e-4,
    )
    mask = nn.MultiHeadAttention.create_additive_causal_mask(5)
    assert_close(mask, nnr.MultiHeadAttention.create_additive_causal_mask(5))
    compare(
        lambda n: n.MultiHeadAttention(8, 2), [(2, 5, 8), (2, 5, 8), (2, 5, 8)], rng, rtol=1e-4,
        call=lambda m, q, k, v: m(q, k, v, mask=(mask if isinstance(q, mx.array) else mxr.array(np.array(mask)))),
    )
    with pytest.raises(ValueError, match="divisible by the number of heads"):
        nn.MultiHeadAttention(6, 4)


def test_additive_causal_mask_matches_mlx():
    for dt in ("float32", "float16"):
        assert_close(
            nn.MultiHeadAttention.create_additive_causal_mask(4, getattr(mx, dt)),
            nnr.MultiHeadAttention.create_additive_causal_mask(4, getattr(mxr, dt)),
        )


@needs("matmul", "addmm", "fast.scaled_dot_product_attention", "fast.layer_norm")
@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("checkpoint", [False, True])
def test_transformer(rng, norm_first, checkpoint):
    def call(m, src, tgt):
        lib = mx if isinstance(src, mx.array) else mxr
        mask = nn.MultiHeadAttention.create_additive_causal_mask(4) if lib is mx else \
            nnr.MultiHeadAttention.create_additive_causal_mask(4)
        return m(src, tgt, None, mask, None)

    compare(
        lambda n: n.Transformer(
            8, 2, 1, 2, mlp_dims=16, norm_first=norm_first, checkpoint=checkpoint, activation=n.gelu
        ),
        [(2, 5, 8), (2, 4, 8)], rng, rtol=1e-4, atol=1e-4, call=call,
    )


@needs("matmul", "addmm", "fast.scaled_dot_product_attention", "fast.layer_norm")
def test_transformer_encoder_layer_and_stacks(rng):
    compare(lambda n: n.TransformerEncoderLayer(8, 2, norm_first=False), [(2, 5, 8)], rng, rtol=1e-4, atol=1e-4,
            call=lambda m, x: m(x, None))
    compare(lambda n: n.TransformerDecoder(2, 8, 4, dropout=0.0), [(2, 5, 8), (2, 3, 8)], rng, rtol=1e-4, atol=1e-4,
            call=lambda m, x, mem: m(x, mem, None, None))


UPSAMPLES = [
    ({"scale_factor": 1.5}, (1, 4, 5, 2), "indexing"),
    ({"scale_factor": 0.5}, (1, 6, 2), "indexing"),
    ({"scale_factor": 2, "mode": "linear"}, (1, 4, 5, 2), "take"),
    ({"scale_factor": (1.5, 2.5), "mode": "linear"}, (1, 4, 3, 2), "take"),
    ({"scale_factor": 2, "mode": "linear", "align_corners": True}, (1, 4, 5, 2), "indexing"),
    ({"scale_factor": 0.5, "mode": "linear", "antialias": True}, (1, 8, 6, 2), "take"),
    ({"scale_factor": 2, "mode": "cubic"}, (1, 4, 5, 2), "indexing"),
    ({"scale_factor": 2, "mode": "cubic", "align_corners": True}, (1, 5, 2), "indexing"),
    ({"scale_factor": 0.5, "mode": "cubic", "antialias": True}, (1, 8, 6, 2), "take"),
]


@pytest.mark.parametrize("kwargs,shape,op", UPSAMPLES, ids=[str(k) for k, _, _ in UPSAMPLES])
def test_upsample_interpolating(rng, kwargs, shape, op):
    guard = needs(op)
    if guard.args[0]:
        pytest.skip(guard.kwargs["reason"])
    compare(lambda n: n.Upsample(**kwargs), [shape], rng, rtol=1e-4, atol=1e-5)


@needs("quantize", "dequantize", "quantized_matmul", "matmul", "addmm")
@pytest.mark.parametrize("bias", [True, False])
def test_quantized_linear(rng, bias):
    ours, ref = pair(lambda n: n.Linear(128, 8, bias=bias))
    q, qr = ours.to_quantized(group_size=64, bits=4), ref.to_quantized(group_size=64, bits=4)
    assert sorted(q.parameters()) == sorted(qr.parameters())
    assert sorted(q.trainable_parameters()) == sorted(qr.trainable_parameters())
    assert repr(q) == repr(qr)
    assert_close(q.parameters(), qr.parameters(), rtol=1e-5, atol=1e-6)
    x = rng.standard_normal((3, 128)).astype(np.float32)
    assert_close(q(mx.array(x)), qr(mxr.array(x)), rtol=1e-4, atol=1e-4)


@needs("quantize", "dequantize", "quantized_matmul", "matmul", "indexing")
def test_quantized_embedding_and_nn_quantize(rng):
    ours, ref = pair(lambda n: n.Sequential(n.Embedding(10, 64), n.Linear(64, 64), n.ReLU()))
    nn.quantize(ours, group_size=32, bits=8)
    nnr.quantize(ref, group_size=32, bits=8)
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in ref.modules()]
    assert_close(ours.parameters(), ref.parameters(), rtol=1e-5, atol=1e-6)
    ids = rng.integers(0, 10, (2, 3)).astype(np.int32)
    assert_close(ours(mx.array(ids)), ref(mxr.array(ids)), rtol=1e-4, atol=1e-4)
    emb, embr = ours.layers[0], ref.layers[0]
    x = rng.standard_normal((2, 64)).astype(np.float32)
    assert_close(emb.as_linear(mx.array(x)), embr.as_linear(mxr.array(x)), rtol=1e-4, atol=1e-4)


def test_quantize_predicate_and_errors():
    model = nn.Sequential(nn.ReLU(), nn.GELU())
    nn.quantize(model)  # nothing quantizable: unchanged
    assert [type(m).__name__ for m in model.layers] == ["ReLU", "GELU"]
    with pytest.raises(ValueError, match="Unable to quantize"):
        nn.quantize(model, class_predicate=lambda p, m: True)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        nn.QuantizedLinear(64, 64, mode="int3")
    with pytest.raises(ValueError, match="Quantized activations"):
        nn.Linear(4, 4).to_quantized(quantize_input=True)
    with pytest.raises(ValueError, match="Quantized input"):
        nn.Embedding(4, 4).to_quantized(quantize_input=True)


def test_distributed_layers_are_placeholders():
    with pytest.raises(NotImplementedError):
        nn.AllToShardedLinear(4, 4)
    with pytest.raises(NotImplementedError):
        nn.fully_shard(nn.Identity())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize(
    "factory,shape,ops",
    [
        (lambda n: n.Linear(8, 5), (3, 8), ("matmul", "addmm")),
        (lambda n: n.Conv1d(4, 3, 3, padding=1), (2, 6, 4), ("conv1d",)),
        (lambda n: n.BatchNorm(4), (5, 4), ()),
        (lambda n: n.GroupNorm(2, 4), (2, 3, 4), ()),
        (lambda n: n.AvgPool2d(2), (1, 4, 4, 3), ()),
        (lambda n: n.Sequential(n.MaxPool1d(2, 1), n.SiLU()), (2, 5, 3), ()),
    ],
    ids=["linear", "conv1d", "batchnorm", "groupnorm", "avgpool", "maxpool_silu"],
)
def test_half_precision_layers(rng, factory, shape, ops, dtype):
    guard = needs(*ops)
    if ops and guard.args[0]:
        pytest.skip(guard.kwargs["reason"])
    ours, ref = pair(factory)
    ours.set_dtype(getattr(mx, dtype))
    ref.set_dtype(getattr(mxr, dtype))
    x = rng.standard_normal(shape).astype(np.float32)
    out = ours(mx.array(x).astype(getattr(mx, dtype)))
    out_ref = ref(mxr.array(x).astype(getattr(mxr, dtype)))
    tol = 3e-2 if dtype == "bfloat16" else 5e-3
    assert_close(out, out_ref, rtol=tol, atol=tol)
