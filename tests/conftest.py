"""Fixtures: every conformance test runs once per registered implementation.

``loop`` is on a ``VirtualClock``: time jumps to the next deadline whenever the loop
is idle, so timer tests are exact and instant. ``real_loop`` is on the real
monotonic clock, for the few tests about threads and real waiting. Neither asserts
how long anything takes.
"""

from __future__ import annotations

import pytest

import impls


@pytest.fixture(params=impls.names())
def impl(request) -> str:
    return request.param


@pytest.fixture
def clock() -> impls.VirtualClock:
    return impls.VirtualClock()


@pytest.fixture
def loop(impl, clock):
    loop = impls.create(impl, clock=clock)
    yield loop
    if not loop.is_closed():
        loop.close()


@pytest.fixture
def real_loop(impl):
    loop = impls.create(impl)
    yield loop
    if not loop.is_closed():
        loop.close()


@pytest.fixture
def errors(loop):
    """Install an exception handler that records each context; returns the list."""
    seen: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    return seen
