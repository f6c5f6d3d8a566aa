"""Real workloads written by others, on every runtime with asyncio's API: pyperformance's
asyncio benchmarks (``pyperformance_suite``) and an HTTP server under wrk (``http.suite``).

``run(out_dir, profile, runtimes)`` measures both and writes ``out_dir/realworld.json``,
which ``harness.report.realworld`` renders. ``make bench`` runs it at the ``"default"``
profile (``"quick"`` with ``QUICK=1``); ``loopbench realworld`` (``make realworld``) at
``"full"`` unless told otherwise. The profiles, and why they are this size:

- ``quick`` (CI's smoke run, about 15-20 s): async_generators, one process per runtime;
  the raw-Protocol server at 50 connections for 1 s per runtime. It shows the pipeline
  works; its one round gives no interval.
- ``default`` (``make bench``): the raw-Protocol and aiohttp servers (the floor of an asyncio server and a real framework) at 50
  connections, 4 rounds of 1 s. At least three rounds, because a paired t interval
  from two is ±12.7 standard deviations wide: it says nothing. pyperformance is left
  to ``make realworld`` (``NOT_MEASURED``): an async_tree iteration is about a CPU
  second, so even three rounds on four runtimes took a minute and a half of a busy
  2-core machine, for intervals of ±40%; its settings here serve ``--only pyperformance``
  at this profile.
- ``full`` (``loopbench realworld``, tens of minutes with every runtime): every benchmark,
  3 rounds of 1 warm-up + 3 values; every server kind (and the JSON endpoint) at 1 and 50
  connections, 3 rounds of 2 s.

``make bench`` and ``quick`` measure ``HEADLINE`` (asyncio, uvloop, rloop, heap+asyncio) and any
``--asyncio-loop``;
``full`` every asyncio-API runtime (``asyncio_runtimes``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import impls

from . import pyperformance_suite
from .http import suite as http_suite

FILENAME = "realworld.json"
HEADLINE = ("asyncio", "uvloop", "rloop", "heap+asyncio")

PROFILES = {
    "quick": {"runtimes": HEADLINE,
              "pyperformance": pyperformance_suite.Settings(("async_generators",), rounds=1, values=1, warmups=1,
                                                            target_s=0.05),
              "http": http_suite.Settings(kinds=("protocol",), connections=(50,), rounds=1, duration_s=1)},
    "default": {"runtimes": HEADLINE, "parts": ("http",),
                "pyperformance": pyperformance_suite.Settings(("async_tree",), rounds=3,
                                                              values=1, warmups=1, target_s=0.1),
                "http": http_suite.Settings(kinds=("protocol", "aiohttp"), connections=(50,),
                                            rounds=4, duration_s=1)},
    "full": {"runtimes": None,
             "pyperformance": pyperformance_suite.Settings(pyperformance_suite.ALL, rounds=3, values=3, warmups=1,
                                                           target_s=0.1),
             "http": http_suite.Settings(kinds=tuple(http_suite.CELLS), connections=(1, 50), rounds=3,
                                         duration_s=2)},
}


#: What to run for a part a profile leaves out.
NOT_MEASURED = {
    "pyperformance": "not in this profile (an async_tree iteration is a CPU second, so three rounds on "
                     "four runtimes are a minute and a half of a busy machine, for intervals of ±40%): "
                     "`make realworld` (or `loopbench realworld --only pyperformance`) measures them",
    "http": "not in this run: `make realworld` (or `loopbench realworld --only http`) measures them",
}


def asyncio_runtimes() -> list[str]:
    """Every runtime with asyncio's API: asyncio, asyncio-eager, uvloop, rloop, each of our
    loops hosting asyncio (``impls.asyncio_loop``, "NAME+asyncio"), each ``--asyncio-loop``."""
    from ..runtimes import asyncio_loops

    return list(dict.fromkeys(["asyncio", "asyncio-eager", "uvloop", "rloop",
                               *(f"{name}+asyncio" for name in impls.names()), *asyncio_loops()]))


def unsupported(runtimes: list[str]) -> dict[str, str]:
    """runtime -> why it cannot run here (its library missing, its Python too old, not asyncio's API)."""
    from ..runtimes import Unavailable, create

    reasons = {}
    for name in runtimes:
        try:
            runtime = create(name)
        except (Unavailable, KeyError) as exc:
            reasons[name] = str(exc).strip("'\"")
            continue
        if runtime.api != "asyncio" or not hasattr(runtime, "new_loop"):
            reasons[name] = "not an asyncio event loop: these workloads are written against asyncio's API"
    return reasons


def run(out_dir: Path, profile: str = "default", runtimes: list[str] | None = None,
        parts: tuple[str, ...] | None = None, log=print, **overrides) -> Path:
    """Measure ``parts`` (default: the profile's, else both) at ``profile`` on ``runtimes``
    (default: the profile's), write realworld.json. A part the profile leaves out is named
    in the document's ``not_measured``, with how to measure it.

    ``overrides``: ``rounds``, ``duration_s``, ``values`` (per process) or ``benchmarks`` (names)
    replacing the profile's. Returns the file's path.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    chosen = PROFILES[profile]
    if parts is None:
        parts = chosen.get("parts", ("pyperformance", "http"))
    unknown = set(parts) - {"pyperformance", "http"}
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; known: pyperformance, http")
    if runtimes:
        names = list(runtimes)
    elif chosen["runtimes"]:
        from ..runtimes import asyncio_loops

        names = list(dict.fromkeys([*chosen["runtimes"], *asyncio_loops()]))   # any --asyncio-loop too
    else:
        names = asyncio_runtimes()
    if pyperformance_suite.BASELINE not in names:
        names.insert(0, pyperformance_suite.BASELINE)         # every ratio is to asyncio
    reasons = unsupported(names)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    document = {"profile": profile, "runtimes": names, "unsupported": reasons,
                "not_measured": {part: NOT_MEASURED[part] for part in ("pyperformance", "http") if part not in parts}}
    if "pyperformance" in parts:
        settings = chosen["pyperformance"]
        changes = {k: overrides[k] for k in ("rounds", "values", "benchmarks") if overrides.get(k)}
        if changes:
            settings = pyperformance_suite.Settings(**{**settings.__dict__, **changes})
        log(f"  pyperformance: {', '.join(settings.benchmarks)} on {', '.join(names)}")
        document["pyperformance"] = pyperformance_suite.run(names, reasons, settings, log=log)
    if "http" in parts:
        settings = chosen["http"]
        changes = {k: overrides[k] for k in ("rounds", "duration_s") if overrides.get(k)}
        if changes:
            settings = http_suite.Settings(**{**settings.__dict__, **changes})
        log(f"  HTTP under wrk: {', '.join(settings.kinds)} at {', '.join(map(str, settings.connections))} "
            f"connection(s) on {', '.join(names)}")
        document["http"] = http_suite.run(names, reasons, settings, log=log)
    document["elapsed_s"] = time.perf_counter() - started
    path = out_dir / FILENAME
    path.write_text(json.dumps(document, indent=2))
    return path
