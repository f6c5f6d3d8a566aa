"""Run profiles: ``default``, ``quick`` (small sizes, for CI smoke runs) and ``rigorous``
(the default's sizes or larger, more processes, more time).

Set by ``LOOPBENCH_PROFILE`` (inherited by every cell's subprocess); ``loopbench run
--quick`` sets it. Scenarios and workloads ask ``pick(default=..., quick=...)`` for sizes.
"""

from __future__ import annotations

import math
import os

ENV_VAR = "LOOPBENCH_PROFILE"
PROFILES = ("default", "quick", "rigorous")

#: Timed rounds per process of the micro-suite, if set: the same for every workload and
#: runtime; unset, each workload plans its own (``Workload.plan``).
ROUNDS_VAR = "LOOPBENCH_ROUNDS"
#: How many processes share a sampled latency cell's samples (``share``); set by the
#: runner in each of them.
SHARE_VAR = "LOOPBENCH_SHARE"


def current() -> str:
    """``quick``, ``default``, or ``rigorous`` (default sizes, more worker processes)."""
    value = os.environ.get(ENV_VAR, "default")
    return value if value in PROFILES else "default"


def rounds(own: int) -> int:
    """Timed rounds for one process: ``LOOPBENCH_ROUNDS`` if set, else ``own``."""
    value = os.environ.get(ROUNDS_VAR)
    return int(value) if value and value.isdigit() and int(value) > 0 else own


def pick(*, default, quick, rigorous=None):
    """The value for the current profile (``rigorous`` falls back to ``default``)."""
    name = current()
    if name == "quick":
        return quick
    return rigorous if name == "rigorous" and rigorous is not None else default


def use(name: str) -> None:
    """Measure in profile ``name`` from now on, here and in every cell started from here."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}")
    os.environ[ENV_VAR] = name


def share(n: int) -> int:
    """This process's share of ``n`` samples: ``n`` divided among the processes of a
    sampled cell (``LOOPBENCH_SHARE``), rounded up; ``n`` itself outside one."""
    value = os.environ.get(SHARE_VAR, "")
    processes = int(value) if value.isdigit() and int(value) > 0 else 1
    return max(1, math.ceil(n / processes))
