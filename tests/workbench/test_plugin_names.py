"""A plugin named like a built-in is refused loudly (a warning naming it), never silently
ignored and never in place of the built-in; plugins the other interpreters' venvs lack are named."""

from __future__ import annotations

import warnings

import pytest
from rich.console import Console

import impls
from harness import runtimes
from harness.execution import interpreters
from impls.heap_loop import HeapLoop
from impls.registry import load_entry_points


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a distribution whose loopbench.impls entry points are ``entries``."""
    def install(entries: dict[str, str]) -> None:
        info = tmp_path / "site" / "clashing_plugin-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: clashing-plugin\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(
            "[loopbench.impls]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()))
        monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield install
    for name in ("asyncio", "other_name"):
        if name in impls.names():
            impls.unregister(name)


def test_a_plugin_named_like_a_built_in_is_refused_with_a_warning(installed):
    installed({"heap": "impls.list_loop:ListLoop"})
    with pytest.warns(RuntimeWarning, match=r"'heap' from .*clashing-plugin.* named like a built-in"):
        load_entry_points()
    assert type(impls.create("heap")) is HeapLoop


def test_a_plugin_named_like_a_peer_is_not_run_under_the_peers_name(installed):
    installed({"asyncio": "impls.list_loop:ListLoop"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_entry_points()
    assert "asyncio" in impls.names()
    with pytest.warns(RuntimeWarning, match="named like the runtime 'asyncio'"):
        factory = runtimes.factories()["asyncio"]
    assert type(factory()).__name__ == "AsyncioRuntime"


def test_the_plugins_another_interpreter_lacks_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(interpreters, "plugins_here", lambda: {"loopbench-mine": ["mine"]})
    monkeypatch.setattr(interpreters, "_is_running_spec", lambda spec: spec == "python3")
    err = Console(file=open(tmp_path / "err.txt", "w"), width=300)
    assert interpreters.warn_plugins_not_carried(["python3", "python3.12"], err) == ["loopbench-mine"]
    err.file.close()
    said = (tmp_path / "err.txt").read_text()
    assert "python3.12" in said and "loopbench-mine (mine)" in said and "not carried over" in said
    assert interpreters.warn_plugins_not_carried(["python3"], err) == []      # only this one: nothing lacks
