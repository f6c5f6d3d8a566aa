"""pytest plugin for the conformance kit: ``--impl``, the loop fixtures, and clause reports.

Installed through the ``pytest11`` entry point of the loopbench distribution, so
``pytest --pyargs impls.conformance --impl NAME`` works from any directory. It is
opt-in, like anyio's: installing loopbench changes no other project's tests. It acts
on a test (parametrizes its ``impl`` argument over the implementations) only when asked:

* the test is one of the kit's own (a module under ``impls.conformance``);
* the test is marked ``@pytest.mark.loopbench``, or asks for a ``loopbench_*`` fixture;
* the session asked for it: ``-p impls.conformance.plugin`` or ``--impl NAME``.

Every fixture it adds to every project is prefixed: ``loopbench_clock`` (a fresh
``VirtualClock``), ``loopbench_loop`` (a loop of implementation ``impl`` on that clock,
closed after the test), ``loopbench_real_loop`` (on the real clock) and
``loopbench_errors`` (an exception handler recording each context). The kit's own
tests use the short names (``clock``, ``loop``, ``real_loop``, ``errors``) from
``impls.conformance.fixtures``, which its ``conftest.py`` brings into its package only.

* ``--impl NAME`` (repeatable, or comma-separated): which implementations to check;
  default: every name in ``impls.names()``. An unknown name is a usage error that
  lists the known ones.
* the ``contract(clause)`` marker: when a marked test fails, its report gets a
  section naming the implementation and the clause of the contract it broke.
"""

from __future__ import annotations

import pytest

import impls
from impls.protocol import CONTRACT

from . import fixtures

#: The name ``-p`` loads this plugin by (also its entry point's name).
PLUGIN = "impls.conformance.plugin"
MARKER = "loopbench"
PREFIX = "loopbench_"


def pytest_addoption(parser):
    group = parser.getgroup("loopbench", "loopbench conformance kit")
    group.addoption("--impl", action="append", default=[], metavar="NAME",
                    help="implementation(s) to check (repeat or comma-separate; default: all registered)")


def pytest_configure(config):
    config.addinivalue_line("markers", "contract(clause): the contract clause (impls.protocol.CONTRACT) a test checks")
    config.addinivalue_line("markers", f"{MARKER}: run this test once per loopbench implementation "
                                       "(its `impl` argument), with the loopbench_* fixtures")
    if config.getoption("impl", None):
        selected_impls(config)        # an unknown name: one clear usage error, before collection


def selected_impls(config) -> list[str]:
    chosen: list[str] = []
    for value in config.getoption("impl") or []:
        chosen += [v.strip() for v in value.split(",") if v.strip()]
    known = impls.names()
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise pytest.UsageError(f"--impl: unknown implementation(s) {', '.join(unknown)}; "
                                f"registered: {', '.join(known)}")
    return chosen or known


def asked_for(config) -> bool:
    """The session asked for the plugin: ``-p impls.conformance.plugin`` or ``--impl``."""
    return PLUGIN in (config.getoption("plugins", None) or []) or bool(config.getoption("impl", None))


def acts_on(metafunc) -> bool:
    """Whether this test is the kit's business (see the module's docstring)."""
    module = getattr(metafunc.module, "__name__", "") or ""
    return (module.startswith("impls.conformance.")
            or metafunc.definition.get_closest_marker(MARKER) is not None
            or any(name.startswith(PREFIX) for name in metafunc.fixturenames)
            or asked_for(metafunc.config))


def pytest_generate_tests(metafunc):
    if "impl" in metafunc.fixturenames and acts_on(metafunc) and not _already_parametrized(metafunc, "impl"):
        metafunc.parametrize("impl", selected_impls(metafunc.config))


def _already_parametrized(metafunc, name: str) -> bool:
    return any(name in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize")
               if marker.args and isinstance(marker.args[0], str))


@pytest.fixture
def loopbench_clock() -> impls.VirtualClock:
    return impls.VirtualClock()


@pytest.fixture
def loopbench_loop(impl, loopbench_clock):
    yield from fixtures.new_loop(impl, loopbench_clock)


@pytest.fixture
def loopbench_real_loop(impl):
    yield from fixtures.new_loop(impl, None)


@pytest.fixture
def loopbench_errors(loopbench_loop):
    """Install an exception handler that records each context; returns the list."""
    return fixtures.recorded_errors(loopbench_loop)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    marker = item.get_closest_marker("contract")
    if marker is None:
        return
    clause = marker.kwargs.get("clause", marker.args[0] if marker.args else None)
    impl = item.callspec.params.get("impl", "?") if hasattr(item, "callspec") else "?"
    report.sections.append(("loopbench contract",
                            f"implementation {impl!r} broke contract clause {clause}: {CONTRACT.get(clause, '?')}"))
