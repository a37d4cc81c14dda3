"""Shared by the benchmark scripts: the `--impl` option and the modules it names."""
import importlib


def add_impl_option(parser):
    """Adds `--impl` (packages to measure, default rmlx then the reference mlx)."""
    parser.add_argument("--impl", nargs="*", default=["rmlx", "mlx"])


def cores(names):
    """Yields `(name, name.core)` for each importable package of `names`."""
    for name in names:
        try:
            yield name, importlib.import_module(f"{name}.core")
        except ImportError:
            continue
