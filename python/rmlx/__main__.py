"""Run an MLX program on rmlx: ``python -m rmlx script.py [args...]``.

The ``mlx`` package names (``mlx``, ``mlx.core``, and the nn / optimizers /
utils modules once present) are aliased to rmlx's before the script runs.
"""

import importlib
import runpy
import sys


def _alias():
    import rmlx

    sys.modules["mlx"] = rmlx
    for name in ("core", "nn", "optimizers", "utils"):
        try:
            mod = importlib.import_module(f"rmlx.{name}")
        except ImportError:
            continue
        sys.modules[f"mlx.{name}"] = mod


def main():
    if len(sys.argv) < 2:
        print("usage: python -m rmlx script.py [args...]", file=sys.stderr)
        sys.exit(2)
    _alias()
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
