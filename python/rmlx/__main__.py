"""Run an MLX program on rmlx: ``python -m rmlx script.py [args...]``
(or ``python -m rmlx -m package.module [args...]``).

Before the program runs, every ``mlx`` module name resolves to its rmlx
counterpart: ``mlx`` -> ``rmlx``, ``mlx.core`` -> ``rmlx.core`` (with its
submodules ``mlx.core.random``, ``mlx.core.fast`` ...), ``mlx.nn`` (and
``mlx.nn.layers.*``, ``mlx.nn.losses`` ...), ``mlx.optimizers`` and
``mlx.utils``. The program then runs as ``__main__`` with ``sys.argv`` set to
its own name and arguments, so a script written for MLX runs unchanged.
"""

import importlib
import importlib.abc
import importlib.machinery
import os
import pkgutil
import runpy
import sys

_FROM, _TO = "mlx", "rmlx"


def _target(name):
    """The rmlx name standing for the mlx module ``name``."""
    return _TO + name[len(_FROM):]


class _AliasLoader(importlib.abc.Loader):
    """Hands back an already imported rmlx module under its mlx name."""

    def __init__(self, module):
        self._module = module
        self._spec = getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        # The import machinery stamped the alias spec on the module; the
        # module keeps its own identity (name, spec) as an rmlx module.
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``mlx`` and ``mlx.*`` imports to ``rmlx`` modules, for the
    modules that were not aliased up front (imported lazily, or attributes
    of the compiled core that act as modules)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _FROM and not fullname.startswith(_FROM + "."):
            return None
        module = _resolve(_target(fullname))
        if module is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=hasattr(module, "__path__"))


def _resolve(name):
    """The module called ``name`` (imported now if needed), else ``None``."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    # Submodules of the compiled core are attributes, not importable files.
    parent, _, child = name.rpartition(".")
    owner = _resolve(parent) if parent else None
    candidate = getattr(owner, child, None) if owner is not None else None
    return candidate if type(candidate) is type(sys) else None


def install():
    """Aliases the mlx module names to rmlx for the rest of this process."""
    import rmlx

    # Import the pure-Python packages fully so that every alias exists now.
    for pkg in ("core", "nn", "optimizers", "utils"):
        module = _resolve(f"{_TO}.{pkg}")
        if module is not None and hasattr(module, "__path__"):
            for info in pkgutil.walk_packages(module.__path__, prefix=f"{_TO}.{pkg}."):
                try:
                    importlib.import_module(info.name)
                except ImportError:
                    continue
    sys.modules[_FROM] = rmlx
    for name, module in list(sys.modules.items()):
        if name.startswith(_TO + ".") and module is not None:
            sys.modules[_FROM + name[len(_TO):]] = module
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())


def main(argv=None):
    """Entry point of ``python -m rmlx``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m rmlx script.py [args...]\n       python -m rmlx -m module [args...]", file=sys.stderr)
        sys.exit(0 if argv else 2)
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print("python -m rmlx: -m needs a module name", file=sys.stderr)
            sys.exit(2)
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    sys.argv = argv
    # As `python script.py` does: the script's directory comes first on the path.
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
