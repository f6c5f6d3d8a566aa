"""The conformance kit's loop fixtures under their short names: ``clock``, ``loop``,
``real_loop``, ``errors``.

They are not global: a ``conftest.py`` that wants them imports them (the kit's own
does, and loopbench's tests do), so no other project gets a ``loop`` or ``clock``
fixture from loopbench being installed. Everywhere else the plugin offers the same
under prefixed names (``loopbench_loop``...). ``impl`` is a parameter the plugin
gives the tests it acts on (``impls.conformance.plugin``).
"""

from __future__ import annotations

import pytest

import impls


def new_loop(impl: str, clock):
    """A loop of ``impl`` on ``clock`` (None: the real clock), closed after the test if it can be."""
    loop = impls.create(impl, clock=clock)
    yield loop
    if not loop.is_running() and not loop.is_closed():
        loop.close()


def recorded_errors(loop) -> list[dict]:
    seen: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    return seen


@pytest.fixture
def clock() -> impls.VirtualClock:
    return impls.VirtualClock()


@pytest.fixture
def loop(impl, clock):
    yield from new_loop(impl, clock)


@pytest.fixture
def real_loop(impl):
    yield from new_loop(impl, None)


@pytest.fixture
def errors(loop):
    """Install an exception handler that records each context; returns the list."""
    return recorded_errors(loop)
