"""wrk, the HTTP load generator (Debian package ``wrk``), run once and its output read.

``run(url, connections, duration_s)`` runs ``wrk -t1 -cN -dSs --latency`` with a Lua
``done()`` script (``DONE_SCRIPT``) that prints one line, ``loopbench-wrk {json}``: the
request count, the run's duration, the errors by kind, and the exact latency percentiles
from wrk's own histogram (microseconds). ``parse(text)`` reads that line; the human
summary wrk prints above it is kept in the result's ``text`` for the record.

One wrk thread: the machine this is measured on has two cores, one for the server, one
for the load generator. Where wrk is not installed, ``available()`` says so and nothing
else runs in its place (``UNSUPPORTED``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

UNSUPPORTED = "wrk not installed"
MARK = "loopbench-wrk "
DONE_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %.1f, "p90": %.1f, "p99": %.1f, "max": %.1f, "mean": %.1f}}\\n',
    "MARK", summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
""".replace('"MARK"', json.dumps(MARK))


def executable() -> str | None:
    return shutil.which("wrk")


def available() -> str | None:
    """None when wrk can run here, else the reason it cannot (``UNSUPPORTED``)."""
    return None if executable() else UNSUPPORTED


def version() -> str | None:
    exe = executable()
    if not exe:
        return None
    proc = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=10)
    first = (proc.stdout or proc.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0].strip() if first else None


def parse(text: str) -> dict:
    """The ``loopbench-wrk`` line of wrk's output as a dict, plus ``rps`` (requests / s).

    Raises ValueError when the output has no such line (wrk failed before ``done``).
    """
    for line in text.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK):])
            seconds = result["duration_us"] / 1e6
            result["duration_s"] = seconds
            result["rps"] = result["requests"] / seconds if seconds > 0 else 0.0
            result["error_count"] = sum(result["errors"].values())
            return result
    raise ValueError("wrk printed no result line: " + (text.strip().splitlines() or ["(no output)"])[-1])


def run(url: str, connections: int, duration_s: int, timeout_s: float | None = None) -> dict:
    """One wrk run against ``url``; its parsed result (``parse``), with ``text`` (wrk's summary).

    Raises FileNotFoundError (``UNSUPPORTED``) without wrk, ValueError if wrk fails,
    subprocess.TimeoutExpired if it outlives ``timeout_s`` (default: duration + 15 s).
    """
    exe = executable()
    if not exe:
        raise FileNotFoundError(UNSUPPORTED)
    if connections < 1 or duration_s < 1:
        raise ValueError(f"wrk needs at least 1 connection and 1 s, not {connections} and {duration_s}")
    with tempfile.TemporaryDirectory(prefix="loopbench-wrk-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(DONE_SCRIPT)
        cmd = [exe, "-t1", f"-c{connections}", f"-d{duration_s}s", "--latency", "-s", str(script), url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s or duration_s + 15)
    result = parse(proc.stdout + "\n" + proc.stderr)
    result["text"] = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith(MARK))
    return result
