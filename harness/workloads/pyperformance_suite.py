"""pyperformance's asyncio benchmarks, as installed and unmodified, on every asyncio event loop.

The benchmarks are the ``pyperformance`` package's own data files
(``pyperformance/data-files/benchmarks/bm_*/run_benchmark.py``), each with the arguments
and the Python requirement its ``.toml`` declares (``[tool.pyperformance] extra_opts``,
``[project] requires-python``): async_tree and its io / memoization / cpu_io_mixed
variants (and the eager flavours, Python 3.12+), async_generators, coroutines,
asyncio_tcp, asyncio_websockets. ``pyperformance_child`` runs one script on one loop in a
fresh process (the loop installed through asyncio's event loop policy; the measurement
through a stand-in for ``pyperf.Runner``): see there.

``run(...)`` interleaves the runtimes round by round: in each round, every benchmark runs
once on every runtime, each in its own process, the runtimes' order rotated from round to
round. Every value records both clocks; the one a benchmark is judged by (``clock``) is
process CPU time for the benchmarks that never wait (async_tree's "none" variant,
async_generators, coroutines) and wall time for those that wait (on a sleep or a socket).
A runtime's ratio to asyncio is taken per round (``harness.stats.paired``).

``coroutines`` never creates an event loop (it drives its coroutine with ``send``): it
is the same program on every runtime, a control whose ratios show the noise.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..stats.paired import ratio_to_baseline

BASELINE = "asyncio"
#: Benchmarks (pyperformance's names) in the order the report shows them.
ALL = ("async_tree", "async_tree_io", "async_tree_memoization", "async_tree_cpu_io_mixed",
       "async_tree_eager", "async_tree_eager_io", "async_tree_eager_memoization",
       "async_tree_eager_cpu_io_mixed", "async_generators", "coroutines", "asyncio_tcp",
       "asyncio_websockets")
#: Benchmarks that never wait: judged by process CPU time (the rest by wall time).
CPU_CLOCK = {"async_tree", "async_tree_eager", "async_generators", "coroutines"}
#: What each benchmark imports beyond pyperf (pyproject's ``dependencies``, checked before a run).
NEEDS = {"asyncio_websockets": "websockets"}
#: Benchmarks that run no event loop at all.
NO_LOOP = {"coroutines": "drives its coroutine with send(): no event loop runs; a control for the noise"}
#: A benchmark process that runs longer than this is ended and its cell says so.
TIMEOUT_S = 180


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: Path
    args: tuple[str, ...]
    requires_python: str = ""

    @property
    def clock(self) -> str:
        return "cpu" if self.name in CPU_CLOCK else "wall"


def benchmarks_dir() -> Path:
    """The installed pyperformance's benchmark data files, or FileNotFoundError saying why."""
    try:
        import pyperformance
    except ImportError as exc:
        raise FileNotFoundError(f"pyperformance is not installed ({exc})") from None
    path = Path(pyperformance.__file__).parent / "data-files" / "benchmarks"
    if not path.is_dir():
        raise FileNotFoundError(f"pyperformance {pyperformance.__version__} ships no {path}")
    return path


def find(name: str, root: Path | None = None) -> Benchmark:
    """The benchmark ``name`` as its pyperformance metadata declares it (KeyError if absent)."""
    root = root or benchmarks_dir()
    for directory in sorted(root.glob("bm_*")):
        for toml in [directory / "pyproject.toml", *sorted(directory.glob("bm_*.toml"))]:
            if not toml.exists():
                continue
            meta = tomllib.loads(toml.read_text())
            tool = meta.get("tool", {}).get("pyperformance", {})
            if tool.get("name") == name:
                return Benchmark(name, directory / "run_benchmark.py", tuple(tool.get("extra_opts", ())),
                                 meta.get("project", {}).get("requires-python", ""))
    raise KeyError(f"pyperformance has no benchmark {name!r} under {root}")


def unsupported_reason(bench: Benchmark) -> str | None:
    """Why ``bench`` cannot run on this interpreter (its Python requirement, a missing dependency), or None."""
    if bench.requires_python:
        from packaging.specifiers import SpecifierSet

        here = ".".join(map(str, sys.version_info[:3]))
        if here not in SpecifierSet(bench.requires_python):
            return f"pyperformance declares Python {bench.requires_python} for it (this is {here})"
    needed = NEEDS.get(bench.name)
    if needed:
        import importlib.util

        if importlib.util.find_spec(needed) is None:
            return f"its dependency {needed} is not installed"
    return None


@dataclass
class Settings:
    """A run's size: rounds (processes per benchmark and runtime), values per process, warm-up
    values (the first also calibrates the iterations per value to about ``target_s``)."""
    benchmarks: tuple[str, ...]
    rounds: int = 3
    values: int = 3
    warmups: int = 1
    target_s: float = 0.1
    timeout_s: float = TIMEOUT_S
    extra: dict = field(default_factory=dict)


def run_one(runtime: str, bench: Benchmark, settings: Settings) -> dict:
    """One process: ``bench`` on ``runtime``; ``{"wall": [...], "cpu": [...], "loops"}`` or ``{"error"}``."""
    with tempfile.TemporaryDirectory(prefix="loopbench-pyperf-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, "-m", "harness.workloads.pyperformance_child", runtime, str(out),
               str(settings.values), str(settings.warmups), str(settings.target_s), str(bench.script), *bench.args]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_project_root()),
                                                                       os.environ.get("PYTHONPATH")])),
                   PYTHONWARNINGS="ignore::DeprecationWarning")
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=settings.timeout_s)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {settings.timeout_s:.0f} s"}
        if not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
            return {"error": f"the process wrote no result: {tail[0]}"}
        result = json.loads(out.read_text())
        result.pop("traceback", None)
        return result


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def run(runtimes: list[str], unsupported: dict[str, str], settings: Settings, log=print) -> dict:
    """Every benchmark in ``settings`` on every runtime, interleaved round by round.

    ``unsupported``: runtime -> reason, for runtimes that cannot run here (not started).
    Returns the JSON-able section of realworld.json (see ``harness.report.realworld``).
    """
    started = time.perf_counter()
    try:
        root = benchmarks_dir()
    except FileNotFoundError as exc:
        return {"unsupported": str(exc), "benchmarks": []}
    benches, rows = [], []
    for name in settings.benchmarks:
        row = {"name": name, "clock": "cpu" if name in CPU_CLOCK else "wall", "note": NO_LOOP.get(name, ""),
               "cells": {}}
        try:
            bench = find(name, root)
        except KeyError as exc:
            row["unsupported"] = exc.args[0]
        else:
            reason = unsupported_reason(bench)
            if reason:
                row["unsupported"] = reason
            else:
                benches.append((bench, row))
                row["args"] = list(bench.args)
        for rt in runtimes:
            row["cells"][rt] = ({"status": "unsupported", "reason": unsupported[rt]} if rt in unsupported
                                else {"status": "unsupported", "reason": row["unsupported"]} if "unsupported" in row
                                else {"status": "ok", "rounds": []})
        rows.append(row)
    live = [rt for rt in runtimes if rt not in unsupported]
    for r in range(settings.rounds):
        order = live[r % len(live):] + live[:r % len(live)] if live else []
        for bench, row in benches:
            for rt in order:
                cell = row["cells"][rt]
                if cell["status"] != "ok":
                    continue
                result = run_one(rt, bench, settings)
                if "error" in result:
                    cell.update(status="failed", reason=result["error"])
                    log(f"    {bench.name} on {rt}: failed: {result['error']}")
                    continue
                cell["rounds"].append({"wall": result["wall"], "cpu": result["cpu"], "loops": result["loops"]})
        log(f"    pyperformance round {r + 1}/{settings.rounds} done ({time.perf_counter() - started:.0f} s)")
    for row in rows:
        summarize(row)
    return {"settings": {"rounds": settings.rounds, "values": settings.values, "warmups": settings.warmups,
                         "target_s": settings.target_s},
            "baseline": BASELINE, "runtimes": runtimes, "benchmarks": rows,
            "pyperformance": _version("pyperformance"), "elapsed_s": time.perf_counter() - started}


def summarize(row: dict) -> None:
    """Each ok cell's median (on the row's clock) and ratio to the baseline, round by round."""
    clock = row["clock"]
    base = row["cells"].get(BASELINE, {})
    for rt, cell in row["cells"].items():
        if cell["status"] != "ok" or not cell["rounds"]:
            if cell["status"] == "ok":
                cell.update(status="failed", reason="no value measured")
            continue
        values = [v for rnd in cell["rounds"] for v in rnd[clock]]
        cell["median_s"] = statistics.median(values)
        cell["median_other_s"] = statistics.median(v for rnd in cell["rounds"]
                                                   for v in rnd["wall" if clock == "cpu" else "cpu"])
        if base.get("status") == "ok" and len(base.get("rounds", [])) == len(cell["rounds"]):
            cell["ratio"] = ratio_to_baseline([rnd[clock] for rnd in cell["rounds"]],
                                              [rnd[clock] for rnd in base["rounds"]])


def _version(dist: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
