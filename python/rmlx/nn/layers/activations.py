"""Activation functions and their module wrappers (MLX's ``mlx.nn`` activations).

The functions are written with the same array expressions as MLX so that
results agree to rounding; each ``Xxx`` class calls its ``xxx`` function.
"""

import math
from typing import Any

from ... import core as mx
from .base import Module


def sigmoid(x):
    r"""The logistic sigmoid :math:`1 / (1 + e^{-x})`, elementwise."""
    return mx.sigmoid(x)


def relu(x):
    r"""Rectified linear unit :math:`\max(x, 0)`."""
    return mx.maximum(x, 0)


def relu2(x):
    r"""Squared ReLU :math:`\max(x, 0)^2`."""
    return mx.square(mx.maximum(x, 0))


def relu6(x):
    r"""ReLU capped at 6: :math:`\min(\max(x, 0), 6)`."""
    return mx.minimum(mx.maximum(x, 0), 6.0)


def leaky_relu(x, negative_slope=0.01):
    r"""Leaky ReLU :math:`\max(\text{negative\_slope}\, x, x)`."""
    return mx.maximum(negative_slope * x, x)


def log_softmax(x, axis=-1):
    r"""Log-softmax along ``axis``: :math:`x - \log \sum e^{x}`."""
    # The max shift carries no gradient; it only keeps exp in range.
    x = x - mx.stop_gradient(mx.max(x, axis=axis, keepdims=True))
    return x - mx.logsumexp(x, axis=axis, keepdims=True)


def elu(x, alpha=1.0):
    r"""Exponential linear unit: :math:`x` where positive, :math:`\alpha(e^x - 1)` elsewhere."""
    return mx.where(x > 0, x, alpha * (mx.exp(x) - 1))


def softmax(x, axis=-1):
    r"""Softmax along ``axis``."""
    return mx.softmax(x, axis=axis)


def softplus(x):
    r"""Softplus :math:`\log(1 + e^x)`."""
    return mx.logaddexp(x, 0)


def softsign(x):
    r"""Softsign :math:`x / (1 + |x|)`."""
    return mx.divide(x, 1 + mx.abs(x))


def softshrink(x, lambd: float = 0.5):
    r"""Soft shrinkage: :math:`x - \text{sign}(x)\lambda` where :math:`|x| > \lambda`, else 0."""
    return mx.where(mx.abs(x) > lambd, x - mx.sign(x) * lambd, 0)


def celu(x, alpha=1.0):
    r"""Continuously differentiable ELU :math:`\max(0, x) + \alpha(e^{\min(0, x)/\alpha} - 1)`."""
    return mx.maximum(x, 0.0) + alpha * (mx.exp(mx.minimum(x, 0.0) / alpha) - 1)


def silu(x):
    r"""Sigmoid linear unit (swish) :math:`x \sigma(x)`."""
    return x * mx.sigmoid(x)


def log_sigmoid(x):
    r"""Log-sigmoid :math:`\log \sigma(x) = -\text{softplus}(-x)`."""
    return -softplus(-x)


def gelu(x) -> mx.array:
    r"""Gaussian error linear unit :math:`x \Phi(x)` with the exact normal CDF."""
    return x * (1 + mx.erf(x / math.sqrt(2))) / 2


def gelu_approx(x):
    r"""GELU with the tanh approximation of the normal CDF."""
    return 0.5 * x * (1 + mx.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_fast_approx(x):
    r"""GELU approximated as :math:`x \sigma(1.702 x)`."""
    return x * mx.sigmoid(1.702 * x)


def glu(x: mx.array, axis: int = -1) -> mx.array:
    r"""Gated linear unit: splits ``x`` in two halves :math:`a, b` along
    ``axis`` and returns :math:`a \sigma(b)`."""
    a, b = mx.split(x, indices_or_sections=2, axis=axis)
    return a * mx.sigmoid(b)


def step(x: mx.array, threshold: float = 0.0):
    r"""Heaviside step: 1 where :math:`x \ge` ``threshold``, else 0 (integers)."""
    return mx.where(x >= threshold, 1, 0)


def selu(x):
    r"""Scaled ELU: :math:`1.0507\,\text{elu}(x, 1.67326)`."""
    return elu(x, 1.67326) * 1.0507


def prelu(x: mx.array, alpha: mx.array) -> mx.array:
    r"""Parametric ReLU :math:`\max(0, x) + \alpha \min(0, x)`."""
    return mx.maximum(0, x) + alpha * mx.minimum(0, x)


def mish(x: mx.array) -> mx.array:
    r"""Mish :math:`x \tanh(\text{softplus}(x))`."""
    return x * mx.tanh(softplus(x))


def hardswish(x):
    r"""Hard swish :math:`x \min(\max(x + 3, 0), 6) / 6`."""
    return x * mx.minimum(mx.maximum(x + 3, 0), 6) / 6


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    r"""``x`` clipped to ``[min_val, max_val]``."""
    return mx.minimum(mx.maximum(x, min_val), max_val)


def hard_shrink(x, lambd=0.5):
    r"""Hard shrinkage: ``x`` where :math:`|x| > \lambda`, else 0."""
    return mx.where(mx.abs(x) > lambd, x, 0)


def softmin(x, axis=-1):
    r"""Softmin along ``axis``: the softmax of :math:`-x`."""
    return mx.softmax(-x, axis=axis)


def tanh(x):
    r"""Hyperbolic tangent, elementwise."""
    return mx.tanh(x)


def _stateless(fn):
    """Class decorator: the module's ``__call__`` applies ``fn``."""

    def decorate(cls):
        cls.__call__ = lambda _, x: fn(x)
        return cls

    return decorate


class GLU(Module):
    r"""Gated linear unit along ``axis`` (see :func:`glu`)."""

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __call__(self, x) -> Any:
        return glu(x=x, axis=self.axis)


@_stateless(sigmoid)
class Sigmoid(Module):
    r"""Applies :func:`sigmoid`."""


@_stateless(mish)
class Mish(Module):
    r"""Applies :func:`mish`."""


@_stateless(relu)
class ReLU(Module):
    r"""Applies :func:`relu`."""


@_stateless(relu2)
class ReLU2(Module):
    r"""Applies :func:`relu2`."""


@_stateless(relu6)
class ReLU6(Module):
    r"""Applies :func:`relu6`."""


class LeakyReLU(Module):
    r"""Applies :func:`leaky_relu` with slope ``negative_slope``."""

    def __init__(self, negative_slope=1e-2):
        super().__init__()
        self._negative_slope = negative_slope

    def __call__(self, x):
        return leaky_relu(x, self._negative_slope)


class ELU(Module):
    r"""Applies :func:`elu` with ``alpha``."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return elu(x, self._alpha)


@_stateless(softmax)
class Softmax(Module):
    r"""Applies :func:`softmax` over the last axis."""


@_stateless(softplus)
class Softplus(Module):
    r"""Applies :func:`softplus`."""


@_stateless(softsign)
class Softsign(Module):
    r"""Applies :func:`softsign`."""


class Softshrink(Module):
    r"""Applies :func:`softshrink` with ``lambd``."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return softshrink(x, self.lambd)


class CELU(Module):
    r"""Applies :func:`celu` with ``alpha``."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return celu(x, self._alpha)


@_stateless(silu)
class SiLU(Module):
    r"""Applies :func:`silu`."""


@_stateless(log_softmax)
class LogSoftmax(Module):
    r"""Applies :func:`log_softmax` over the last axis."""


@_stateless(log_sigmoid)
class LogSigmoid(Module):
    r"""Applies :func:`log_sigmoid`."""


class PReLU(Module):
    r"""Parametric ReLU with a learnable slope ``weight`` of shape
    ``(num_parameters,)`` initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = mx.full([num_parameters], init)

    def __call__(self, x: mx.array):
        return prelu(x, self.weight)


class GELU(Module):
    r"""GELU: ``approx`` ``"none"`` (exact, :func:`gelu`), ``"precise"`` or
    ``"tanh"`` (:func:`gelu_approx`), or ``"fast"`` (:func:`gelu_fast_approx`)."""

    _APPROX = ["none", "precise", "tanh", "fast"]

    def __init__(self, approx="none"):
        super().__init__()
        if approx not in self._APPROX:
            raise ValueError(f"The approximation should be in {self._APPROX} but '{approx}' was given")
        self._approx = approx

    def __call__(self, x):
        if self._approx == "none":
            return gelu(x)
        if self._approx in ("precise", "tanh"):
            return gelu_approx(x)
        return gelu_fast_approx(x)


@_stateless(tanh)
class Tanh(Module):
    r"""Applies :func:`tanh`."""


@_stateless(hardswish)
class Hardswish(Module):
    r"""Applies :func:`hardswish`."""


class Step(Module):
    r"""Applies :func:`step` with ``threshold``."""

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def __call__(self, x: mx.array):
        return step(x, self.threshold)


@_stateless(selu)
class SELU(Module):
    r"""Applies :func:`selu`."""


@_stateless(hard_tanh)
class HardTanh(Module):
    r"""Applies :func:`hard_tanh` with the default bounds [-1, 1]."""


class HardShrink(Module):
    r"""Applies :func:`hard_shrink` with ``lambd``."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return hard_shrink(x, self.lambd)


@_stateless(softmin)
class Softmin(Module):
    r"""Applies :func:`softmin` over the last axis."""
