"""Plugins: extra modules imported before a run, in the harness and in every cell.

``LOOPBENCH_PLUGINS=pkg.module,other`` names modules to import. A plugin registers
what it adds when imported: an implementation with ``impls.register(...)``, a
scenario with ``@harness.scenarios.registry.scenario(...)``. Because cells run in fresh
subprocesses, registering something only in the parent process would not reach
them; this variable is inherited, so it does.
"""

from __future__ import annotations

import importlib
import os

ENV_VAR = "LOOPBENCH_PLUGINS"
_loaded: set[str] = set()


class PluginError(Exception):
    """A module named in ``LOOPBENCH_PLUGINS`` could not be imported; the message says which and why."""


def load_plugins() -> list[str]:
    """Import every module named in ``LOOPBENCH_PLUGINS`` (once); return their names.

    Raises ``PluginError`` naming the module when one is missing or fails on import.
    """
    names = [n.strip() for n in os.environ.get(ENV_VAR, "").split(",") if n.strip()]
    for name in names:
        if name not in _loaded:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name and name.startswith(exc.name):
                    raise PluginError(f"{ENV_VAR} names {name!r}, which is not an importable module "
                                      "(is it installed, or on PYTHONPATH?)") from exc
                raise PluginError(f"plugin {name!r} (from {ENV_VAR}) failed on import: "
                                  f"{type(exc).__name__}: {exc}") from exc
            except Exception as exc:
                raise PluginError(f"plugin {name!r} (from {ENV_VAR}) failed on import: "
                                  f"{type(exc).__name__}: {exc}") from exc
            _loaded.add(name)
    return names
