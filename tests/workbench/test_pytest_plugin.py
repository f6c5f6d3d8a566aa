"""The conformance kit's pytest plugin is opt-in: installing loopbench changes no other project's tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import impls

ROOT = Path(__file__).resolve().parents[2]

USER_CONFTEST = '''
import pytest

@pytest.fixture
def impl():
    return "mine"

@pytest.fixture
def loop():
    return "my loop"

@pytest.fixture
def clock():
    return 42
'''

USER_TESTS = '''
import pytest

def test_my_impl(impl):
    assert impl == "mine"

def test_my_loop(loop, impl):
    assert loop == "my loop" and impl == "mine"

def test_my_clock(clock):
    assert clock == 42

@pytest.mark.parametrize("n", [1, 2])
def test_parametrized_with_my_impl(n, impl):
    assert impl == "mine"

@pytest.mark.parametrize("name", ["real_loop", "errors", "loopbench_nothing"])
def test_no_loop_fixtures_come_from_elsewhere(request, name):
    with pytest.raises(pytest.FixtureLookupError):
        request.getfixturevalue(name)
'''


def _pytest(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    quiet = [] if "-v" in args else ["-q"]
    return subprocess.run([sys.executable, "-m", "pytest", *quiet, "-p", "no:cacheprovider", *args], cwd=project,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_a_project_with_its_own_impl_loop_and_clock_fixtures_keeps_them(tmp_path):
    (tmp_path / "conftest.py").write_text(USER_CONFTEST)
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    out = _pytest(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "8 passed" in out.stdout


def test_a_marked_test_runs_once_per_implementation_with_prefixed_fixtures(tmp_path):
    (tmp_path / "test_marked.py").write_text(textwrap.dedent('''
        import pytest

        @pytest.mark.loopbench
        def test_on_every_loop(impl, loopbench_loop, loopbench_clock, loopbench_errors):
            loopbench_loop.call_later(1, loopbench_loop.stop)
            loopbench_loop.run_forever()
            assert loopbench_loop.time() == loopbench_clock.time() == 1 and loopbench_errors == []

        def test_unmarked(impl=None):
            assert impl is None
    '''))
    out = _pytest(tmp_path, "-v")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(impls.names()) + 1} passed" in out.stdout
    for name in impls.names():
        assert f"test_on_every_loop[{name}] PASSED" in out.stdout


def test_asking_for_the_plugin_by_name_works_without_autoload(tmp_path):
    """``-p impls.conformance.plugin`` loads it where plugins are not autoloaded; ``--impl`` chooses."""
    (tmp_path / "test_asked.py").write_text("def test_it(impl, loopbench_loop):\n    assert loopbench_loop.name == impl\n")
    out = _pytest(tmp_path, "-v", "-p", "impls.conformance.plugin", "--impl", "heap",
                  env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test_it[heap] PASSED" in out.stdout and "1 passed" in out.stdout


def test_the_kit_still_runs_from_anywhere_with_impl(tmp_path):
    out = _pytest(tmp_path, "--pyargs", "impls.conformance.test_contract_timers", "--impl", "heap")
    assert out.returncode == 0, out.stdout + out.stderr
    assert " passed" in out.stdout
