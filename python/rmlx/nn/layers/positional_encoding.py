"""Positional encodings: rotary (RoPE), sinusoidal and ALiBi."""

import math
from typing import Optional

from ... import core as mx
from .base import Module


class RoPE(Module):
    """Rotary positional encoding of the first ``dims`` features.

    ``traditional`` rotates consecutive pairs of features instead of the two
    halves; the frequencies are ``base ** (-2i / dims)`` and positions are
    multiplied by ``scale``. ``__call__(x, offset=0)`` starts the positions at
    ``offset``.
    """

    def __init__(self, dims: int, traditional: bool = False, base: float = 10000, scale: float = 1.0):
        super().__init__()
        self.dims = dims
        self.traditional = traditional
        self.base = base
        self.scale = scale

    def _extra_repr(self):
        return f"{self.dims}, traditional={self.traditional}"

    def __call__(self, x, offset: int = 0):
        return mx.fast.rope(
            x, self.dims, traditional=self.traditional, base=self.base, scale=self.scale, offset=offset
        )


class SinusoidalPositionalEncoding(Module):
    r"""Sinusoidal features of (possibly fractional) positions.

    For input ``x`` of any shape the output has one more axis of size
    ``dims``: :math:`\sin(x \sigma_i)` then :math:`\cos(x \sigma_i)` (or cos
    first), with ``dims // 2`` frequencies :math:`\sigma_i` spaced
    geometrically from ``max_freq`` down to ``min_freq`` (times :math:`2\pi`
    with ``full_turns``), all scaled by ``scale`` (default
    :math:`\sqrt{2/dims}`).
    """

    def __init__(
        self,
        dims: int,
        min_freq: float = 0.0001,
        max_freq: float = 1,
        scale: Optional[float] = None,
        cos_first: bool = False,
        full_turns: bool = False,
    ):
        super().__init__()
        if dims <= 0 or dims % 2 != 0:
            raise ValueError(f"[SinusoidalPositionalEncoding] dims must be positive and even but got {dims}.")
        half = dims // 2
        if dims == 2:
            one_zero = mx.array([1.0])
        else:
            one_zero = 1 - mx.arange(0, half) / (half - 1)
        log_min, log_max = math.log(min_freq), math.log(max_freq)
        # Private: a constant of the layer, not a parameter.
        self._sigmas = mx.exp(one_zero * (log_max - log_min) + log_min)
        if full_turns:
            self._sigmas = self._sigmas * (2 * math.pi)
        self.scale = scale if scale is not None else (2 / dims) ** 0.5
        self.cos_first = cos_first

    def __call__(self, x):
        y = x[..., None] * self._sigmas
        cosy, siny = mx.cos(y), mx.sin(y)
        parts = [cosy, siny] if self.cos_first else [siny, cosy]
        y = mx.concatenate(parts, axis=-1)
        if self.scale != 1:
            y = y * self.scale
        return y


class ALiBi(Module):
    """Attention with linear biases: adds ``-slope_h * |i - j|`` to the
    attention scores ``(N, H, L_q, L_k)`` of head ``h``."""

    @staticmethod
    def create_alibi_matrix(
        q_sequence_length: int,
        k_sequence_length: int,
        num_heads: int,
        offset: int = 0,
        dtype: mx.Dtype = mx.float32,
    ) -> mx.array:
        """The ``(1, num_heads, q_len - offset, k_len)`` bias matrix."""
        q = mx.arange(offset, q_sequence_length)
        k = mx.arange(0, k_sequence_length)
        distance = -mx.abs(mx.expand_dims(q[:, None] - k[None, :], axis=(0, 1)))
        slopes = ALiBi.create_alibi_slope(num_heads=num_heads, dtype=dtype)
        return (distance * slopes).astype(dtype)

    @staticmethod
    def create_alibi_slope(num_heads: int, dtype: mx.Dtype = mx.float32) -> mx.array:
        """The per-head slopes, shape ``(num_heads, 1, 1)``: a geometric
        sequence for a power-of-two head count, interleaved otherwise."""

        def slopes(n):
            if math.log2(n).is_integer():
                start = 2 ** (-(2 ** -(math.log2(n) - 3)))
                return [start * start**i for i in range(n)]
            pow2 = 2 ** math.floor(math.log2(n))
            return slopes(pow2) + slopes(2 * pow2)[0::2][: n - pow2]

        out = mx.array(slopes(num_heads), dtype=dtype)
        return mx.expand_dims(out, axis=(-1, -2))

    def __call__(self, attention_scores: mx.array, offset: int = 0, mask: Optional[mx.array] = None) -> mx.array:
        bias = ALiBi.create_alibi_matrix(
            q_sequence_length=attention_scores.shape[-2] + offset,
            k_sequence_length=attention_scores.shape[-1],
            num_heads=attention_scores.shape[1],
            offset=offset,
            dtype=attention_scores.dtype,
        )
        if mask is not None:
            bias = bias + mask
        return attention_scores + bias
