"""``Upsample``: nearest, (bi/tri)linear and cubic resizing of channels-last inputs.

Inputs are ``(N, *spatial, C)``. Interpolating modes compute, per spatial
axis, source indices and weights; the separable path gathers along one axis
at a time, the joint path samples every combination of the per-axis taps.
"""

import operator
from functools import reduce
from itertools import product
from math import ceil
from typing import Literal, Tuple, Union

from ... import core as mx
from .base import Module


def _axis_shape(ndims, dim):
    shape = [1] * ndims
    shape[dim] = -1
    return shape


def _scaled_indices(N, scale, align_corners, dim, ndims):
    """Source coordinates (float) of the ``int(scale * N)`` output positions."""
    M = int(scale * N)
    if align_corners:
        idx = mx.arange(M, dtype=mx.float32) * ((N - 1) / max(M - 1, 1))
    else:
        # Half-pixel centres: output pixel i covers [i, i+1) / scale.
        step = 1 / scale
        start = ((M - 1) * step - N + 1) / 2
        idx = mx.arange(M, dtype=mx.float32) * step - start
    return idx.reshape(_axis_shape(ndims, dim))


def _nearest_indices(N, scale, dim, ndims):
    M = int(scale * N)
    idx = mx.arange(M, dtype=mx.float32)
    if M > N:
        idx = ((idx + 0.5) * (N / M) - 0.5).round()
    else:
        idx = idx * (N / M)
    return idx.astype(mx.uint32).reshape(_axis_shape(ndims, dim))


def _linear_indices(N, scale, align_corners, dim, ndims):
    idx = mx.clip(_scaled_indices(N, scale, align_corners, dim, ndims), a_min=0, a_max=N - 1)
    left = mx.floor(idx)
    right = mx.ceil(idx)
    w = mx.expand_dims(idx - left, -1)
    return ((left.astype(mx.uint32), 1 - w), (right.astype(mx.uint32), w))


def _triangle_kernel(x):
    return mx.maximum(1.0 - x, 0.0)


def _cubic_kernel(x):
    a = -0.5
    inner = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    outer = (((x - 5) * x + 8) * x - 4) * a
    return mx.where(x <= 1.0, inner, mx.where(x <= 2.0, outer, 0.0))


def _antialiased_indices(N, scale, align_corners, dim, ndims, kernel_fn, radius):
    """Taps of a kernel widened by ``1/scale`` when downsampling."""
    idx = _scaled_indices(N, scale, align_corners, dim, ndims)
    inv_scale = 1.0 / scale if scale < 1 else 1.0
    taps = ceil(radius * inv_scale) + 1
    positions, weights = [], []
    for k in range(-taps + 1, taps):
        pos = mx.floor(idx) + k
        w = kernel_fn(mx.abs(idx - pos) / inv_scale)
        weights.append(mx.where((pos >= 0) & (pos < N), w, 0.0))
        positions.append(pos)
    total = sum(weights)
    total = mx.where(total > 0, total, 1.0)
    return tuple(
        (mx.clip(pos, a_min=0, a_max=N - 1).astype(mx.uint32), mx.expand_dims(w / total, -1))
        for pos, w in zip(positions, weights)
    )


def _linear_aa_indices(N, scale, align_corners, dim, ndims):
    return _antialiased_indices(N, scale, align_corners, dim, ndims, _triangle_kernel, 1.0)


def _cubic_aa_indices(N, scale, align_corners, dim, ndims):
    return _antialiased_indices(N, scale, align_corners, dim, ndims, _cubic_kernel, 2.0)


def _cubic_weight(x, near):
    a = -0.75
    if near:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    return (((x - 5) * x + 8) * x - 4) * a


def _cubic_indices(N, scale, align_corners, dim, ndims):
    idx = _scaled_indices(N, scale, align_corners, dim, ndims)
    l1 = mx.floor(idx)
    r1 = mx.floor(idx + 1)
    l2 = l1 - 1
    r2 = r1 + 1
    out = []
    for pos, near in ((l1, True), (r1, True), (l2, False), (r2, False)):
        w = _cubic_weight(mx.abs(idx - pos), near)[..., None]
        out.append((mx.clip(pos, a_min=0, a_max=N - 1).astype(mx.uint32), w))
    return tuple(out)


def _check_antialias(align_corners, antialias):
    if antialias and align_corners:
        raise ValueError(
            "[Upsample] antialias=True with align_corners=True is not "
            "supported. Use align_corners=False for antialiased interpolation."
        )


def upsample_nearest(x: mx.array, scale_factor: Tuple):
    """Nearest-neighbour upsampling of ``x`` by one factor per spatial axis."""
    dims = x.ndim - 2
    if dims != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")
    if tuple(map(int, scale_factor)) == scale_factor:
        # Integer factors: repeat each element by broadcasting a new axis.
        shape = list(x.shape)
        for d in range(dims):
            shape.insert(2 + 2 * d, 1)
        x = x.reshape(shape)
        for d in range(dims):
            shape[2 + 2 * d] = int(scale_factor[d])
        x = mx.broadcast_to(x, shape)
        for d in range(dims):
            shape[d + 1] *= shape[d + 2]
            shape.pop(d + 2)
        return x.reshape(shape)
    _, *N, _ = x.shape
    index = [slice(None)]
    for i, (n, s) in enumerate(zip(N, scale_factor)):
        index.append(_nearest_indices(n, s, i, dims))
    return x[tuple(index)]


def _interpolate(x, scale_factor, indices_fn, align_corners=False):
    dims = x.ndim - 2
    if dims != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")
    _, *N, _ = x.shape
    per_axis = [indices_fn(n, s, align_corners, i, dims) for i, (n, s) in enumerate(zip(N, scale_factor))]
    total = None
    for taps in product(*per_axis):
        idx, ws = zip(*taps)
        term = reduce(operator.mul, ws) * x[(slice(None),) + idx]
        total = term if total is None else total + term
    return total


def _interpolate_separable(x, scale_factor, indices_fn, align_corners=False):
    dims = x.ndim - 2
    if dims != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")
    _, *N, _ = x.shape
    out = x
    for i, (n, s) in enumerate(zip(N, scale_factor)):
        terms = [mx.take(out, idx.reshape(-1), axis=i + 1) * w for idx, w in indices_fn(n, s, align_corners, i, dims)]
        out = sum(terms)
    return out


def upsample_linear(x: mx.array, scale_factor: Tuple, align_corners: bool = False, antialias: bool = False):
    """Linear (bi-, tri-linear) upsampling of ``x`` by one factor per spatial axis."""
    _check_antialias(align_corners, antialias)
    if antialias:
        return _interpolate_separable(x, scale_factor, _linear_aa_indices, align_corners)
    if not align_corners:
        return _interpolate_separable(x, scale_factor, _linear_indices, align_corners)
    return _interpolate(x, scale_factor, _linear_indices, align_corners)


def upsample_cubic(x: mx.array, scale_factor: Tuple, align_corners: bool = False, antialias: bool = False):
    """Cubic upsampling of ``x`` by one factor per spatial axis."""
    _check_antialias(align_corners, antialias)
    if antialias:
        return _interpolate_separable(x, scale_factor, _cubic_aa_indices, align_corners)
    return _interpolate(x, scale_factor, _cubic_indices, align_corners)


class Upsample(Module):
    """Resizes the spatial axes of ``(N, *spatial, C)`` inputs by
    ``scale_factor`` (one number, or one per spatial axis) with ``mode``
    ``"nearest"``, ``"linear"`` or ``"cubic"``."""

    def __init__(
        self,
        scale_factor: Union[float, Tuple],
        mode: Literal["nearest", "linear", "cubic"] = "nearest",
        align_corners: bool = False,
        antialias: bool = False,
    ):
        super().__init__()
        if mode not in ("nearest", "linear", "cubic"):
            raise ValueError(f"[Upsample] Got unsupported upsampling algorithm: {mode}")
        if antialias and mode == "nearest":
            raise ValueError("[Upsample] Antialiasing is not supported for nearest neighbor upsampling")
        if isinstance(scale_factor, (list, tuple)):
            scale_factor = tuple(map(float, scale_factor))
        else:
            scale_factor = float(scale_factor)
        _check_antialias(align_corners, antialias)
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.antialias = antialias

    def _extra_repr(self) -> str:
        text = f"scale_factor={self.scale_factor}, mode={self.mode!r}, align_corners={self.align_corners}"
        return text + (", antialias=True" if self.antialias else "")

    def __call__(self, x: mx.array) -> mx.array:
        dims = x.ndim - 2
        if dims <= 0:
            raise ValueError(
                f"[Upsample] The input should have at least 1 spatial "
                f"dimension which means it should be at least 3D but "
                f"{x.ndim}D was provided"
            )
        scale = self.scale_factor
        if isinstance(scale, tuple):
            if len(scale) != dims:
                raise ValueError(
                    f"[Upsample] One scale per spatial dimension is required but "
                    f"scale_factor={scale} and the number of spatial "
                    f"dimensions were {dims}"
                )
        else:
            scale = (scale,) * dims
        if self.mode == "nearest":
            return upsample_nearest(x, scale)
        if self.mode == "linear":
            return upsample_linear(x, scale, self.align_corners, self.antialias)
        return upsample_cubic(x, scale, self.align_corners, self.antialias)
