"""pytest plugin for the conformance kit: ``--impl``, the loop fixtures, and clause reports.

Loaded automatically through the ``pytest11`` entry point of the loopbench
distribution, so ``pytest --pyargs impls.conformance --impl NAME`` works from any
directory. Provides:

* ``--impl NAME`` (repeatable, or comma-separated): which implementations to check;
  default: every name in ``impls.names()``. An unknown name is a usage error that
  lists the known ones.
* ``impl``: parametrized over those names (a parameter, not a fixture, so hypothesis
  tests can use it too); ``clock`` (a fresh ``VirtualClock``); ``loop`` (a loop on
  that clock, closed after the test); ``real_loop`` (on the real clock); ``errors``
  (an exception handler recording each context).
* the ``contract(clause)`` marker: when a marked test fails, its report gets a
  section naming the implementation and the clause of the contract it broke.
"""

from __future__ import annotations

import pytest

import impls
from impls.protocol import CONTRACT


def pytest_addoption(parser):
    group = parser.getgroup("loopbench", "loopbench conformance kit")
    group.addoption("--impl", action="append", default=[], metavar="NAME",
                    help="implementation(s) to check (repeat or comma-separate; default: all registered)")


def pytest_configure(config):
    config.addinivalue_line("markers", "contract(clause): the contract clause (impls.protocol.CONTRACT) a test checks")
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


def pytest_generate_tests(metafunc):
    if "impl" in metafunc.fixturenames and not _already_parametrized(metafunc, "impl"):
        metafunc.parametrize("impl", selected_impls(metafunc.config))


def _already_parametrized(metafunc, name: str) -> bool:
    return any(name in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize")
               if marker.args and isinstance(marker.args[0], str))


@pytest.fixture
def clock() -> impls.VirtualClock:
    return impls.VirtualClock()


@pytest.fixture
def loop(impl, clock):
    loop = impls.create(impl, clock=clock)
    yield loop
    if not loop.is_running() and not loop.is_closed():
        loop.close()


@pytest.fixture
def real_loop(impl):
    loop = impls.create(impl)
    yield loop
    if not loop.is_running() and not loop.is_closed():
        loop.close()


@pytest.fixture
def errors(loop):
    """Install an exception handler that records each context; returns the list."""
    seen: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    return seen


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
