"""rmlx: MLX, rebuilt in Rust.

``import rmlx.core as mx`` gives the array API of ``mlx.core``; ``python -m
rmlx script.py`` runs an MLX script (``import mlx.core as mx``) on rmlx.
"""

from . import core
from . import _compile, _transforms

# The function transformations are written in Python over the engine's entry
# points; they are attached to the extension module so that they are found
# where MLX has them (`mx.grad`, `mx.vmap`, ...).
for _mod in (_transforms, _compile):
    for _name in _mod.__all__:
        setattr(core, _name, getattr(_mod, _name))
del _mod, _name

__all__ = ["core"]
