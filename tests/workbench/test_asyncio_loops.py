"""Any asyncio event loop as a runtime, with no adapter code; rloop as a peer."""

import asyncio
import subprocess
import sys

import pytest

from harness import runtimes
from harness.runtimes.interface import Unavailable


def test_an_asyncio_loop_named_in_the_environment_is_a_runtime(monkeypatch):
    monkeypatch.setenv(runtimes.ASYNCIO_LOOPS_VAR, "plain=asyncio:new_event_loop")
    assert "plain" in runtimes.names()
    rt = runtimes.create("plain")
    made = []
    real = rt._factory

    def factory():
        made.append(real())
        return made[-1]

    rt._factory = factory

    async def main():
        await rt.sleep(0)
        return asyncio.get_running_loop()

    assert rt.run(main) is made[0]                     # the scenario ran on the named loop


@pytest.mark.parametrize("text", ["rl", "rl=rloop", "=rloop:new_event_loop", "rl=:x", "rl=rloop:"])
def test_a_malformed_loop_spec_is_refused_with_the_form_to_use(text):
    with pytest.raises(ValueError, match="NAME=module:factory"):
        runtimes.parse_asyncio_loop(text)


def test_a_missing_module_or_factory_makes_the_runtime_unavailable(monkeypatch):
    monkeypatch.setenv(runtimes.ASYNCIO_LOOPS_VAR, "ghost=no_such_module_here:new;odd=asyncio:no_such_factory")
    with pytest.raises(Unavailable):
        runtimes.create("ghost")
    with pytest.raises(Unavailable, match="no_such_factory"):
        runtimes.create("odd")


def test_rloop_is_a_peer_and_runs_a_scenario_on_its_own_loop():
    try:
        rt = runtimes.create("rloop")
    except Unavailable as exc:
        pytest.skip(f"rloop is not installed here: {exc}")
    import rloop

    async def main():
        await rt.sleep(0.001)
        return type(asyncio.get_running_loop()).__module__

    assert rt.run(main).startswith("rloop")
    assert rt.version() != "unknown" and rloop


def test_the_command_line_runs_the_matrix_on_a_named_loop(tmp_path):
    out = subprocess.run([sys.executable, "-m", "harness", "run", "--asyncio-loop", "plain=asyncio:new_event_loop",
                          "--runtimes", "plain", "--scenarios", "timers.slides", "--repeat", "1",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"runtime": "plain"' in (tmp_path / "results.jsonl").read_text()
    bad = subprocess.run([sys.executable, "-m", "harness", "run", "--asyncio-loop", "nonsense"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "NAME=module:factory" in bad.stderr


def test_our_loops_host_asyncios_task_as_runtimes():
    assert "heap+asyncio" in runtimes.names()
    for name in ("heap+asyncio", "list+asyncio"):            # any registered loop, on request
        rt = runtimes.create(name)

        async def main():
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            await rt.sleep(0)
            return loop.inner.name, type(task) is asyncio.Task

        assert rt.run(main) == (name.split("+")[0], True)     # asyncio's own Task, on our loop
        assert rt.family == "loopbench"


def _loopbench(*args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("spec", ["heap=asyncio:new_event_loop", "asyncio=asyncio:new_event_loop",
                                  "rloop=asyncio:new_event_loop", "heap+asyncio=asyncio:new_event_loop",
                                  "asyncio-emulated=asyncio:new_event_loop"])
def test_an_asyncio_loop_may_not_take_a_runtimes_name(spec, tmp_path):
    out = _loopbench("run", "--asyncio-loop", spec, "--scenarios", "timers.slides", "--out", str(tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "results.jsonl").exists()          # nothing was measured
    name = spec.split("=")[0]
    assert f"{name!r}" in out.stderr and ("already a runtime" in out.stderr or "may hold only" in out.stderr)


def test_the_same_asyncio_loop_name_twice_is_a_usage_error(tmp_path):
    out = _loopbench("run", "--asyncio-loop", "mine=asyncio:new_event_loop",
                     "--asyncio-loop", "mine=asyncio:SelectorEventLoop", "--out", str(tmp_path))
    assert out.returncode == 2 and "given twice" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("spec, missing", [("ghost=no_such_module_here:new", "no_such_module_here"),
                                           ("odd=asyncio:no_such_factory", "no_such_factory")])
def test_a_missing_module_or_factory_is_a_usage_error_naming_it(spec, missing, tmp_path):
    out = _loopbench("run", "--asyncio-loop", spec, "--runtimes", spec.split("=")[0], "--out", str(tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert missing in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("spec", ["a;b=asyncio:new_event_loop", "x=asyncio;rm:new_event_loop",
                                  "<b>=asyncio:new_event_loop", "x|y=asyncio:new_event_loop",
                                  "x=asyncio:new_event_loop()", "x\ny=asyncio:new_event_loop"])
def test_an_unsafe_asyncio_loop_spec_is_refused_at_the_call(spec):
    with pytest.raises(ValueError):
        runtimes.parse_asyncio_loop(spec)
    out = _loopbench("run", "--asyncio-loop", spec, "--scenarios", "timers.slides")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "--asyncio-loop" in out.stderr


@pytest.mark.parametrize("value", ["nonsense", "x=asyncio", "heap=asyncio:new_event_loop",
                                   "a=asyncio:new_event_loop;a=asyncio:new_event_loop"])
def test_a_malformed_environment_variable_is_a_clear_error(value):
    out = _loopbench("list", env={runtimes.ASYNCIO_LOOPS_VAR: value})
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and runtimes.ASYNCIO_LOOPS_VAR in out.stderr
