"""Dropout layers: elementwise, and whole channels of 2-D / 3-D feature maps."""

from ... import core as mx
from .base import Module


class _DropoutBase(Module):
    # Axes counted from the end whose mask extent is 1 (the spatial axes of
    # channels-last inputs), and the input ranks accepted (None: any).
    _shared_axes = ()
    _ranks = None

    def __init__(self, p: float = 0.5):
        super().__init__()
        if p < 0 or p >= 1:
            raise ValueError(f"The dropout probability {p} is not in [0, 1)")
        self._p_1 = 1 - p

    def _extra_repr(self) -> str:
        return f"p={1 - self._p_1}"

    def __call__(self, x: mx.array) -> mx.array:
        if self._ranks is not None and x.ndim not in self._ranks:
            a, b = self._ranks
            raise ValueError(f"Received input with {x.ndim} dimensions. Expected {a} or {b} dimensions.")
        if self._p_1 == 1 or not self.training:
            return x
        shape = list(x.shape)
        for axis in self._shared_axes:
            shape[axis] = 1
        mask = mx.random.bernoulli(p=self._p_1, shape=shape)
        # Survivors are scaled by 1/(1-p) so the expectation is unchanged.
        return (mask * x) * (1 / self._p_1)


class Dropout(_DropoutBase):
    r"""Zeroes each element with probability ``p`` during training and
    scales the rest by :math:`1/(1-p)`; the identity in evaluation mode."""


class Dropout2d(_DropoutBase):
    r"""Zeroes whole channels of ``(N, H, W, C)`` or ``(H, W, C)`` inputs
    with probability ``p`` during training, scaling the rest by :math:`1/(1-p)`."""

    _shared_axes = (-2, -3)
    _ranks = (3, 4)


class Dropout3d(_DropoutBase):
    r"""Zeroes whole channels of ``(N, D, H, W, C)`` or ``(D, H, W, C)``
    inputs with probability ``p`` during training, scaling the rest by
    :math:`1/(1-p)`."""

    _shared_axes = (-2, -3, -4)
    _ranks = (4, 5)
