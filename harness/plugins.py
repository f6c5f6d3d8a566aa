"""Plugins: extra modules imported before a run, in the harness and in every cell.

``LOOPBENCH_PLUGINS=pkg.module,other`` names modules to import. A plugin registers
what it adds when imported: an implementation with ``impls.register(...)``, a
scenario with ``@harness.scenario.scenario(...)``. Because cells run in fresh
subprocesses, registering something only in the parent process would not reach
them; this variable is inherited, so it does.
"""

from __future__ import annotations

import importlib
import os

ENV_VAR = "LOOPBENCH_PLUGINS"
_loaded: set[str] = set()


def load_plugins() -> list[str]:
    """Import every module named in ``LOOPBENCH_PLUGINS`` (once); return their names."""
    names = [n.strip() for n in os.environ.get(ENV_VAR, "").split(",") if n.strip()]
    for name in names:
        if name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)
    return names
