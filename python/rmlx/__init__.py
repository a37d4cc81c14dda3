"""rmlx: MLX, rebuilt in Rust.

``import rmlx.core as mx`` gives the array API of ``mlx.core``; ``python -m
rmlx script.py`` runs an MLX script (``import mlx.core as mx``) on rmlx.
"""

from . import core

__all__ = ["core"]
