"""The scenario library. Importing this package registers every scenario.

Every module in this package is imported (``pkgutil``), so a new scenario module is
registered by being here: adding a scenario is one new file (see docs/extending.md).
Modules are imported in name order, so the registry's order is the same everywhere.
"""

import importlib
import pkgutil


def register_all() -> None:
    """Import every module of the package (each registers its scenarios as it is imported)."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        importlib.import_module(f"{__name__}.{info.name}")


register_all()
