"""The scenario library. Importing this package registers every scenario."""

import importlib

for _module in ("timers", "callbacks", "coroutines", "latency", "threadsafe", "workloads", "deadlines", "io"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:          # a module not written yet
        if exc.name != f"{__name__}.{_module}":
            raise
