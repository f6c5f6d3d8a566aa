"""Run profiles: ``default`` (full sizes) or ``quick`` (small sizes, for CI smoke runs).

Set by ``LOOPBENCH_PROFILE`` (inherited by every cell's subprocess); ``loopbench run
--quick`` sets it. Latency scenarios ask ``pick(default=..., quick=...)`` for sizes.
"""

from __future__ import annotations

import os

ENV_VAR = "LOOPBENCH_PROFILE"
PROFILES = ("default", "quick")


def current() -> str:
    return "quick" if os.environ.get(ENV_VAR, "default") == "quick" else "default"


def pick(*, default, quick):
    return quick if current() == "quick" else default


def use(name: str) -> None:
    """Measure in profile ``name`` from now on, here and in every cell started from here."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}")
    os.environ[ENV_VAR] = name
