"""Fixtures shared by the workbench tests: the faulty plugin, loaded here and in every cell."""

import json
import os
import sys
from pathlib import Path

import pytest

import impls
from harness import runtimes
from harness.scenarios import registry as scenario_module
from harness.runtimes.interface import Unavailable

HERE = Path(__file__).resolve().parent
PLUGIN = "plugin_faulty"
SCHEMA_PATH = HERE.parents[1] / "docs" / "results.schema.json"


@pytest.fixture(scope="session")
def record_schema():
    """A validator for the published results.jsonl record schema."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def faulty(monkeypatch, tmp_path):
    """Load the faulty plugin here and in every cell subprocess; undo its registrations after.

    Yields the directory where its loops note their pids (``FAULT_PID_DIR``).
    """
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv("LOOPBENCH_PLUGINS", PLUGIN)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("FAULT_PID_DIR", str(pids))
    monkeypatch.syspath_prepend(str(HERE))
    before = set(scenario_module.all_scenarios())          # built-ins first
    sys.modules.pop(PLUGIN, None)
    plugin = __import__(PLUGIN)
    from harness.runtimes import plugins
    plugins._loaded.add(PLUGIN)
    yield pids
    plugins._loaded.discard(PLUGIN)
    for cls in plugin.FAULTY_LOOPS:
        if cls.name in impls.names():
            impls.unregister(cls.name)
    for name in set(scenario_module._scenarios) - before:
        scenario_module._scenarios.pop(name, None)
    sys.modules.pop(PLUGIN, None)


@pytest.fixture
def spy_on(monkeypatch):
    """``spy_on("trio.sleep_until")``: replace a library's function (or method) with one that
    records each call and still calls the real one; returns the list of recorded calls."""
    def install(dotted: str) -> list:
        module_name, _, attr = dotted.rpartition(".")
        owner = _resolve(module_name)
        real = getattr(owner, attr)
        calls: list = []

        def spy(*args, **kwargs):          # a plain function: it binds as a method, and calls the real one
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, attr, spy)
        return calls
    return install


def _resolve(dotted: str):
    """The object a dotted name stands for: a module, or an attribute of one (a class's method)."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


@pytest.fixture(params=runtimes.names())
def rt(request):
    """Every runtime the harness knows, one at a time; one that cannot be used here is skipped
    with the reason (uvloop on Windows, asyncio-eager before Python 3.12)."""
    try:
        return runtimes.create(request.param)
    except Unavailable as exc:
        pytest.skip(f"unavailable: {exc}")
