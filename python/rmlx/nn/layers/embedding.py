"""``Embedding``: a lookup table of vectors."""

import math
from typing import Optional

from ... import core as mx
from .base import Module


class Embedding(Module):
    """Maps integer ids to rows of ``weight`` (shape ``(num_embeddings,
    dims)``, initialised normal with standard deviation :math:`1/\\sqrt{dims}`)."""

    def __init__(self, num_embeddings: int, dims: int):
        super().__init__()
        scale = math.sqrt(1 / dims)
        self.weight = mx.random.normal(shape=(num_embeddings, dims), scale=scale)

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"

    def __call__(self, x):
        return self.weight[x]

    def as_linear(self, x):
        """Uses the table as a linear layer: ``x @ weight.T`` (tied output
        projections)."""
        return x @ self.weight.T

    def to_quantized(
        self,
        group_size: Optional[int] = None,
        bits: Optional[int] = None,
        mode: str = "affine",
        quantize_input: bool = False,
    ):
        """A :class:`QuantizedEmbedding` holding this table quantized."""
        from .quantized import QuantizedEmbedding

        if quantize_input:
            raise ValueError("Quantized input is not supported.")
        return QuantizedEmbedding.from_embedding(self, group_size, bits, mode)
