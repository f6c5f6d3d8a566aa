"""The HTTP workload: each server kind on each asyncio runtime, loaded by wrk, rounds interleaved.

A cell is (kind, connections, runtime). Kinds: ``protocol``, ``streams``, ``aiohttp``
(``GET /``) and ``aiohttp-json`` (``GET /json`` on the same aiohttp server); see
``servers``. Each round starts a fresh server of each kind on each runtime, all side by
side before anything is measured (a server that has started waits in its selector and
takes no CPU; starting eight at once on two cores saves a second and a half a round); then,
in turn (the order rotated from round to round), each is checked (twenty keep-alive
requests whose answers must be ``200`` with the expected body: a server that answers
wrongly is a failed cell, not a fast one), loaded by wrk once per (path, connections) for
``duration_s``, and stopped.

Per wrk run: requests/s and latency p50/p99 from wrk (``wrk``), and the server's CPU time
per request: the server process's own CPU time (``time.process_time`` read through its
control channel just before and just after the run) divided by the requests wrk
completed. CPU per request is the decision metric: it does not depend on how fast wrk
can ask on a machine that other processes share, requests/s does. Ratios to asyncio are
taken per round (``harness.stats.paired``). Everything is on 127.0.0.1, and every
process has a deadline.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ...stats.paired import ratio_to_baseline
from . import servers, wrk

BASELINE = "asyncio"
#: Cell kind -> (server kind, path).
CELLS = {"protocol": ("protocol", "/"), "streams": ("streams", "/"), "aiohttp": ("aiohttp", "/"),
         "aiohttp-json": ("aiohttp", "/json")}
START_TIMEOUT_S = 30
CHECK_REQUESTS = 20


@dataclass
class Settings:
    kinds: tuple[str, ...] = tuple(CELLS)
    connections: tuple[int, ...] = (1, 50)
    rounds: int = 3
    duration_s: int = 2


class Server:
    """One server process (``servers``) on one runtime: its port, its CPU time, its end."""

    def __init__(self, kind: str, runtime: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[3]),
                                                                       os.environ.get("PYTHONPATH")])))
        # stderr to a file: a server that logs (aiohttp, a connection reset) must never block on a full pipe.
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "harness.workloads.http.servers", kind, runtime],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
                                     text=True, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = int(self._expect("port", START_TIMEOUT_S))

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _expect(self, word: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"the server did not say {word!r} within {timeout_s:.0f} s") from None
            if line is None:
                self.proc.wait(timeout=5)
                raise RuntimeError(f"the server exited (status {self.proc.returncode}): "
                                   + (self.last_error() or "no message"))
            if line.startswith(word + " "):
                return line.split(None, 1)[1].strip()

    def last_error(self) -> str:
        """The last line the server wrote on stderr so far ("" if none)."""
        self.errors.flush()
        self.errors.seek(0)
        lines = self.errors.read().strip().splitlines()
        return lines[-1] if lines else ""

    def cpu(self) -> float:
        """The server process's CPU time so far (user + system, seconds)."""
        self.proc.stdin.write("cpu\n")
        self.proc.stdin.flush()
        return float(self._expect("cpu", 10))

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


def check(port: int, path: str, requests: int = CHECK_REQUESTS) -> None:
    """``requests`` keep-alive GETs of ``path``; AssertionError unless each is 200 with the expected body."""
    expected = servers.BODY if path == "/" else json.dumps(servers.JSON_MESSAGE).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(requests):
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise AssertionError(f"GET {path} answered {response.status}")
            if (json.loads(body) if path != "/" else body) != (json.loads(expected) if path != "/" else expected):
                raise AssertionError(f"GET {path} answered {body[:60]!r}")
    finally:
        conn.close()


def run(runtimes: list[str], unsupported: dict[str, str], settings: Settings, log=print) -> dict:
    """Every cell of ``settings`` on every runtime; the JSON-able section of realworld.json."""
    started = time.perf_counter()
    cells = [{"kind": kind, "path": CELLS[kind][1], "server": CELLS[kind][0], "connections": c,
              "runtime": rt, "status": "ok", "rounds": []}
             for kind in settings.kinds for c in settings.connections for rt in runtimes]
    missing = wrk.available()
    for cell in cells:
        reason = missing or unsupported.get(cell["runtime"])
        if reason:
            cell.update(status="unsupported", reason=reason)
    section = {"settings": {"kinds": list(settings.kinds), "connections": list(settings.connections),
                            "rounds": settings.rounds, "duration_s": settings.duration_s},
               "baseline": BASELINE, "runtimes": runtimes, "wrk": wrk.version(), "cells": cells}
    if missing:
        section["unsupported"] = missing
        return section
    live = [rt for rt in runtimes if rt not in unsupported]
    server_kinds = list(dict.fromkeys(CELLS[k][0] for k in settings.kinds))
    for r in range(settings.rounds):
        order = live[r % len(live):] + live[:r % len(live)] if live else []
        servings = [(server_kind, rt, mine) for server_kind in server_kinds for rt in order
                    if (mine := [c for c in cells if c["server"] == server_kind and c["runtime"] == rt
                                 and c["status"] == "ok"])]
        with ThreadPoolExecutor(max_workers=max(1, len(servings))) as pool:
            starting = [pool.submit(Server, kind, rt) for kind, rt, _ in servings]
        served = 0                            # _serve_round stops the server it was given
        try:
            for (server_kind, rt, mine), start in zip(servings, starting):
                served += 1
                _serve_round(server_kind, rt, mine, start, log, settings)
        finally:                              # interrupted: no server of the round outlives it
            for start in starting[served:]:
                if start.exception() is None:
                    start.result().close()
        log(f"    HTTP round {r + 1}/{settings.rounds} done ({time.perf_counter() - started:.0f} s)")
    for cell in cells:
        _summarize(cell, cells)
    section["elapsed_s"] = time.perf_counter() - started
    return section


def _serve_round(server_kind: str, runtime: str, mine: list[dict], start: Future, log, settings: Settings) -> None:
    """One server process on ``runtime`` (``start``: its start): checked, then one wrk run per cell in ``mine``."""
    def fail(reason: str) -> None:
        log(f"    {server_kind} on {runtime}: failed: {reason}")
        for cell in mine:
            cell.update(status="failed", reason=reason)

    try:
        server = start.result()
    except Exception as exc:
        return fail(str(exc))
    try:
        for path in dict.fromkeys(c["path"] for c in mine):
            check(server.port, path)
        for cell in mine:
            before = server.cpu()
            result = wrk.run(f"http://127.0.0.1:{server.port}{cell['path']}", cell["connections"], settings.duration_s)
            spent = server.cpu() - before
            if result["requests"] == 0:
                raise RuntimeError("wrk completed no request")
            cell["rounds"].append({"requests": result["requests"], "duration_s": result["duration_s"],
                                   "rps": result["rps"], "p50_us": result["latency_us"]["p50"],
                                   "p99_us": result["latency_us"]["p99"], "errors": result["errors"],
                                   "server_cpu_s": spent, "cpu_per_request_us": spent / result["requests"] * 1e6})
    except Exception as exc:
        said = server.last_error()
        fail(f"{type(exc).__name__}: {exc}" + (f" (the server's last error line: {said})" if said else ""))
    finally:
        server.close()


def _summarize(cell: dict, cells: list[dict]) -> None:
    """Medians over the rounds, and the ratios to the baseline's cell of the same kind and connections."""
    if cell["status"] != "ok":
        return
    rounds = cell["rounds"]
    if not rounds:
        cell.update(status="failed", reason="no round measured")
        return
    for key in ("rps", "p50_us", "p99_us", "cpu_per_request_us"):
        cell[key] = statistics.median(r[key] for r in rounds)
    cell["errors"] = sum(sum(r["errors"].values()) for r in rounds)
    base = next((c for c in cells if c["runtime"] == BASELINE and c["kind"] == cell["kind"]
                 and c["connections"] == cell["connections"]), None)
    if base and base["status"] == "ok" and len(base["rounds"]) == len(rounds):
        cell["rps_ratio"] = ratio_to_baseline([[r["rps"]] for r in rounds], [[r["rps"]] for r in base["rounds"]])
        cell["cpu_ratio"] = ratio_to_baseline([[r["cpu_per_request_us"]] for r in rounds],
                                              [[r["cpu_per_request_us"]] for r in base["rounds"]])
