"""Max and average pooling over channels-last inputs (1-D, 2-D and 3-D).

Inputs are ``(N, *spatial, C)``. Each layer pads the spatial axes (with
``-inf`` for max, ``0`` for average pooling), gathers the windows into extra
axes and reduces over them.
"""

import itertools
from typing import Optional, Tuple, Union

from ... import core as mx
from .base import Module


def _value_or_list(x, n, msg):
    if isinstance(x, (list, tuple)):
        if len(x) != n:
            raise ValueError(msg)
        return list(x)
    if not isinstance(x, int):
        raise ValueError(msg)
    return [x] * n


def _windows(x, window, strides):
    """``x`` ``(N, *spatial, C)`` as ``(N, *out_spatial, *window, C)``."""
    if x.ndim < 3:
        raise ValueError(
            f"To extract sliding windows at least 1 spatial dimension "
            f"(3 total) is needed but the input only has {x.ndim} dimensions."
        )
    spatial = x.shape[1:-1]
    if not (len(spatial) == len(window) == len(strides)):
        raise ValueError(
            f"To extract sliding windows the window shapes and strides must have "
            f"the same number of spatial dimensions as the signal but the signal "
            f"has {len(spatial)} dims and the window shape has {len(window)} "
            f"and strides have {len(strides)}."
        )
    d = len(spatial)
    if all(w == s and n % w == 0 for n, w, s in zip(spatial, window, strides)):
        # Non-overlapping windows tiling the input exactly: a reshape that
        # splits each axis in (blocks, window) and a transpose.
        split = [x.shape[0]]
        for n, w in zip(spatial, window):
            split += [n // w, w]
        split.append(x.shape[-1])
        last = 2 * d + 1
        order = [0, *range(1, last, 2), *range(2, last, 2), last]
        return x.reshape(split).transpose(order)

    # General case: one strided slice per window offset, stacked.
    out = [(n - w) // s + 1 for n, w, s in zip(spatial, window, strides)]
    slices = []
    for offset in itertools.product(*(range(w) for w in window)):
        index = [slice(None)]
        for k, o, s in zip(offset, out, strides):
            index.append(slice(k, k + (o - 1) * s + 1, s))
        slices.append(x[tuple(index)])
    stacked = mx.stack(slices, axis=-2)
    return stacked.reshape(x.shape[0], *out, *window, x.shape[-1])


class _Pool(Module):
    def __init__(self, pooling_function, kernel_size, stride, padding, padding_value):
        super().__init__()
        name = type(self).__name__
        for label, values in (("kernel_size", kernel_size), ("stride", stride)):
            if any(v <= 0 for v in values):
                raise ValueError(f"[{name}] '{label}' must be positive but got {tuple(values)}.")
        if any(p[0] < 0 for p in padding):
            raise ValueError(f"[{name}] 'padding' must be non-negative but got {tuple(p[0] for p in padding)}.")
        self._pooling_function = pooling_function
        self._kernel_size = kernel_size
        self._stride = stride
        self._padding = padding
        self._padding_value = padding_value
        self._axes = tuple(range(-len(kernel_size) - 1, -1, 1))

    def _extra_repr(self):
        ks = tuple(self._kernel_size)
        st = tuple(self._stride)
        pd = tuple(p[0] for p in self._padding)
        return f"kernel_size={ks}, stride={st}, padding={pd}"

    def __call__(self, x):
        if any(p[0] > 0 for p in self._padding):
            x = mx.pad(x, [(0, 0)] + self._padding + [(0, 0)], constant_values=self._padding_value)
        x = _windows(x, self._kernel_size, self._stride)
        return self._pooling_function(x, self._axes)


class _PoolNd(_Pool):
    _n = 1

    def __init__(self, pooling_function, padding_value, kernel_size, stride, padding):
        name = type(self).__name__
        count = "1 integer" if self._n == 1 else f"{self._n} integers"
        msg = f"[{name}] '{{}}' must be an integer or a tuple containing {count}"
        kernel_size = _value_or_list(kernel_size, self._n, msg.format("kernel_size"))
        stride = kernel_size if stride is None else _value_or_list(stride, self._n, msg.format("stride"))
        padding = _value_or_list(padding, self._n, msg.format("padding"))
        super().__init__(pooling_function, kernel_size, stride, [(p, p) for p in padding], padding_value)


class MaxPool1d(_PoolNd):
    """Max pooling over ``(N, L, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 1

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int]],
        stride: Optional[Union[int, Tuple[int]]] = None,
        padding: Union[int, Tuple[int]] = 0,
    ):
        super().__init__(mx.max, -float("inf"), kernel_size, stride, padding)


class AvgPool1d(_PoolNd):
    """Average pooling over ``(N, L, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 1

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int]],
        stride: Optional[Union[int, Tuple[int]]] = None,
        padding: Union[int, Tuple[int]] = 0,
    ):
        super().__init__(mx.mean, 0, kernel_size, stride, padding)


class MaxPool2d(_PoolNd):
    """Max pooling over ``(N, H, W, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 2

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int, int]],
        stride: Optional[Union[int, Tuple[int, int]]] = None,
        padding: Optional[Union[int, Tuple[int, int]]] = 0,
    ):
        super().__init__(mx.max, -float("inf"), kernel_size, stride, padding)


class AvgPool2d(_PoolNd):
    """Average pooling over ``(N, H, W, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 2

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int, int]],
        stride: Optional[Union[int, Tuple[int, int]]] = None,
        padding: Optional[Union[int, Tuple[int, int]]] = 0,
    ):
        super().__init__(mx.mean, 0, kernel_size, stride, padding)


class MaxPool3d(_PoolNd):
    """Max pooling over ``(N, D, H, W, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 3

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int, int, int]],
        stride: Optional[Union[int, Tuple[int, int, int]]] = None,
        padding: Optional[Union[int, Tuple[int, int, int]]] = 0,
    ):
        super().__init__(mx.max, -float("inf"), kernel_size, stride, padding)


class AvgPool3d(_PoolNd):
    """Average pooling over ``(N, D, H, W, C)``; ``stride`` defaults to ``kernel_size``."""

    _n = 3

    def __init__(
        self,
        kernel_size: Union[int, Tuple[int, int, int]],
        stride: Optional[Union[int, Tuple[int, int, int]]] = None,
        padding: Optional[Union[int, Tuple[int, int, int]]] = 0,
    ):
        super().__init__(mx.mean, 0, kernel_size, stride, padding)
