"""The floor: popping a no-argument callable from a deque and calling it.

What no Python event loop can beat: its ready queue is (at best) a
``collections.deque`` and each callback is (at least) one Python call. This row is
measured in the same run as the runtimes, on the same machine at the same moment, so
a loop's per-callback overhead can be read as a multiple of it:
``(loop's median / K) / (floor's median / K)`` against the "call_soon chain" group,
which has the same K (``harness.workloads.programs.CALL_SOON_CHAIN``).

One round: a deque prefilled (untimed, in pedantic's ``setup``) with K references
to one no-op function, then, timed::

    while ready:
        popleft()()

with ``popleft = ready.popleft`` bound beforehand. Why this form and not
``for _ in range(K): popleft()()`` (asyncio's ``ntodo`` shape, which the heap loop
uses): it is the honest minimum. A deque's truth test is one C slot call and no
iterator, no loop variable store; on this machine (CPython 3.11) it measured ~97 ns
per callback against ~108 ns for the ``range`` form (and for ``range(len(ready))``).
A floor must be the cheapest way to do the work, or the multiples flatter the loops.

Not a runtime: no ``rt``/``measure`` fixture, no loop. ``benchmark.pedantic`` with
the same gc discipline as every other row (conftest's ``collect`` fixture:
``gc.collect()`` + ``gc.freeze()`` before each round, untimed), one warmup round,
then ``FLOOR_ROUNDS`` rounds (cheap: about 2 ms each at K=20k, so more of them than
the runtimes' groups get, for a steadier median). ``extra_info``: ``workload`` is the
chain's, ``runtime`` and
``family`` are both "floor", ``version`` is Python's; ``ops_per_round`` = K, ``unit`` "callbacks", so
``ops_per_round / median`` is the floor's callbacks/s. The result is checked (every
callable was called exactly once, the deque is empty) like every runtime's.
"""

from __future__ import annotations

import platform
from collections import deque

from harness.execution import profile
from harness.execution.profile import pick
from harness.workloads.programs import CALL_SOON_CHAIN

K = CALL_SOON_CHAIN.n

#: Rounds for the floor: each is a couple of milliseconds, so many.
FLOOR_ROUNDS = pick(default=25, quick=10)


def test_floor_deque_popleft_call(benchmark, collect):
    calls = [0]

    def noop():
        pass

    def counted():                        # only the check's round, never timed
        calls[0] += 1

    def setup():
        collect()
        return (deque([noop] * K),), {}

    def one_round(ready):
        popleft = ready.popleft
        while ready:
            popleft()()
        return ready

    benchmark.group = f"floor: deque popleft + call (K={K})"
    benchmark.extra_info.update(workload=CALL_SOON_CHAIN.name, runtime="floor", family="floor", version=platform.python_version(),
                                ops_per_round=K, unit="callbacks", profile=profile.current())
    left = benchmark.pedantic(one_round, setup=setup, rounds=FLOOR_ROUNDS, warmup_rounds=1,
                              iterations=1)
    assert not left, f"floor: {len(left)} callables left in the deque"

    # The check: the same loop over K counting callables calls each exactly once.
    ready = deque([counted] * K)
    one_round(ready)
    assert calls[0] == K, f"floor: called {calls[0]}, expected {K}"
