"""``mx.compile``, ``mx.disable_compile`` and ``mx.enable_compile``.

rmlx does not yet trace and fuse compiled functions: ``compile`` returns a
function that runs ``fun`` on each call, which computes exactly what MLX's
compiled function computes (the captured ``inputs``/``outputs`` state is read
and written by the function itself at call time). What is not reproduced yet:
fusion of elementwise chains (speed), and MLX's refusal to read values
(``item()``, ``print``) inside a compiled function.
"""

import functools

__all__ = ["compile", "disable_compile", "enable_compile"]

_enabled = [True]


def compile(fun, inputs=None, outputs=None, shapeless=False):
    """Returns a compiled version of ``fun`` (see the module note: for now
    the function runs as written on every call)."""
    if not callable(fun):
        raise TypeError(
            "compile(): incompatible function arguments. The following argument types "
            "are supported:\n    1. compile(fun: Callable[P, R], inputs: object | None = None, "
            "outputs: object | None = None, shapeless: bool = False) -> Callable[P, R]\n\n"
            f"Invoked with types: {type(fun).__name__}"
        )

    @functools.wraps(fun)
    def compiled(*args, **kwargs):
        return fun(*args, **kwargs)

    return compiled


def disable_compile():
    """Globally disables compilation (MLX API; compiled functions already
    run eagerly in rmlx)."""
    _enabled[0] = False


def enable_compile():
    """Globally re-enables compilation (MLX API)."""
    _enabled[0] = True
