"""Fixtures shared by the workbench tests: the faulty plugin, loaded here and in every cell."""

import json
import os
import sys
from pathlib import Path

import pytest

import impls
from harness import scenario as scenario_module

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
    from harness import plugins
    plugins._loaded.add(PLUGIN)
    yield pids
    plugins._loaded.discard(PLUGIN)
    for cls in plugin.FAULTY_LOOPS:
        if cls.name in impls.names():
            impls.unregister(cls.name)
    for name in set(scenario_module._scenarios) - before:
        scenario_module._scenarios.pop(name, None)
    sys.modules.pop(PLUGIN, None)
