"""Run profiles: ``default`` (full sizes) or ``quick`` (small sizes, for CI smoke runs).

Set by ``LOOPBENCH_PROFILE`` (inherited by every cell's subprocess); ``loopbench run
--quick`` sets it. Latency scenarios ask ``pick(default=..., quick=...)`` for sizes.
"""

from __future__ import annotations

import os

ENV_VAR = "LOOPBENCH_PROFILE"
PROFILES = ("default", "quick")


#: Timed rounds per process of the micro-suite, set by ``make bench`` for each worker
#: process (``harness.samples``); unset, each workload's own number of rounds.
ROUNDS_VAR = "LOOPBENCH_ROUNDS"
PROFILES = ("default", "quick", "rigorous")


def current() -> str:
    """``quick``, ``default``, or ``rigorous`` (default sizes, more worker processes)."""
    value = os.environ.get(ENV_VAR, "default")
    return value if value in PROFILES else "default"


def rounds(own: int) -> int:
    """Timed rounds for one process: ``LOOPBENCH_ROUNDS`` if set, else ``own``."""
    value = os.environ.get(ROUNDS_VAR)
    return int(value) if value and value.isdigit() and int(value) > 0 else own


def pick(*, default, quick):
    return quick if current() == "quick" else default


def use(name: str) -> None:
    """Measure in profile ``name`` from now on, here and in every cell started from here."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}")
    os.environ[ENV_VAR] = name
