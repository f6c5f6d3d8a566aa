"""Pre-flight: is this machine quiet enough to measure on? Read it, say so, record it.

Before a bench run, as ``pyperf system show`` does, loopbench reads what makes
numbers drift: the load average against the number of cores, the CPU frequency
governor (``powersave`` and ``ondemand`` change the clock under the benchmark), and
other processes using the CPU right now. It changes nothing; it prints a warning
with advice for each problem, and the whole reading goes into ``environment.json``
(``preflight``) so a report can say what the machine was doing.

One thing it does measure: how steady the machine's speed is (``steadiness``). The
same small pure-Python loop is timed over and over for a second or two; on a quiet
dedicated machine each run takes the same time, on a shared VM (CPU steal, frequency
scaling) the same work takes up to a third more or less from one moment to the next.
That spread is the floor under every interval of the run, so it is said up front.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Load per core above which the machine is called busy.
BUSY_LOAD_PER_CORE = 0.5
#: A process using more than this share of one core, over the sampling window, is busy.
BUSY_PROCESS_SHARE = 0.2
SAMPLE_S = 0.3


@dataclass
class Reading:
    cores: int
    load_1min: float | None
    governors: list[str] = field(default_factory=list)
    busy_processes: list[dict] = field(default_factory=list)
    #: The same work timed over and over (``steadiness``): its spread.
    steadiness: dict | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


#: How long the steadiness probe runs (s), and the spread above which it warns.
STEADY_S = 1.5
UNSTEADY = 0.10


def read(sample_s: float = SAMPLE_S, proc: Path = Path("/proc"), sys_cpu: Path = Path("/sys/devices/system/cpu"),
         own_pids: set[int] | None = None, steady_s: float = 0.0) -> Reading:
    """Read the machine now; ``proc``/``sys_cpu`` are parameters so tests can point elsewhere.
    ``steady_s`` > 0: also time the steadiness probe for that long."""
    cores = os.cpu_count() or 1
    reading = Reading(cores=cores, load_1min=_load(proc))
    reading.governors = sorted({p.read_text().strip() for p in sys_cpu.glob("cpu[0-9]*/cpufreq/scaling_governor")
                                if _readable(p)})
    reading.busy_processes = _busy(proc, sample_s, own_pids or {os.getpid(), os.getppid()})
    if steady_s > 0:
        reading.steadiness = steadiness(steady_s)
    reading.warnings = advice(reading)
    return reading


def advice(reading: Reading) -> list[str]:
    """One line of advice per problem found (empty: the machine looks quiet)."""
    out = []
    if reading.load_1min is not None and reading.load_1min > BUSY_LOAD_PER_CORE * reading.cores:
        out.append(f"load average {reading.load_1min:.2f} on {reading.cores} cores: the machine is busy; "
                   "numbers will be slower and noisier. Stop other work, or compare only within one run.")
    slow = [g for g in reading.governors if g in ("powersave", "ondemand", "conservative", "schedutil")]
    if slow:
        out.append(f"CPU frequency governor {', '.join(slow)}: the clock changes under the benchmark. "
                   "Use 'performance' (e.g. `python -m pyperf system tune`, as root).")
    for p in reading.busy_processes[:5]:
        out.append(f"process {p['pid']} ({p['name']}) is using {p['share']:.0%} of a core.")
    steady = reading.steadiness
    if steady and steady.get("spread", 0) > UNSTEADY:
        out.append(f"the same work took from {steady['fastest']:.2f}x to {steady['slowest']:.2f}x its median time "
                   f"(10th to 90th percentile of {steady['runs']} runs): this machine's speed changes from one "
                   "moment to the next (a shared VM, frequency scaling), so intervals will be wide. Compare "
                   "ratios within one run; for the narrowest intervals use a dedicated machine.")
    return out


def steadiness(seconds: float = STEADY_S) -> dict:
    """Time the same small pure-Python loop (a few ms) for ``seconds``; its spread.

    ``fastest``/``slowest``: the 10th and 90th percentile of the run times over their
    median; ``spread``: the larger distance of the two from 1; ``cpu_share``: the process
    CPU time the probe got over its wall time (1.0: a core to itself; 0.4 on a machine
    whose other programs left it 40% of one): the load the run was measured under."""
    import statistics

    def work() -> int:
        total = 0
        for i in range(20_000):
            total += i * i
        return total

    times: list[float] = []
    wall_0, cpu_0 = time.perf_counter(), time.process_time()
    end = wall_0 + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    share = (time.process_time() - cpu_0) / max(1e-9, time.perf_counter() - wall_0)
    times.sort()
    median = statistics.median(times)
    fastest, slowest = times[len(times) // 10] / median, times[len(times) * 9 // 10] / median
    return {"runs": len(times), "median_us": median * 1e6, "fastest": fastest, "slowest": slowest,
            "spread": max(1 - fastest, slowest - 1), "cpu_share": min(1.0, share)}


def _load(proc: Path) -> float | None:
    try:
        return float((proc / "loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except (OSError, AttributeError):
            return None


def _readable(path: Path) -> bool:
    try:
        path.read_text()
        return True
    except OSError:
        return False


def _cpu_ticks(proc: Path) -> dict[int, tuple[str, int]]:
    """pid -> (name, user + system clock ticks so far), for every process readable."""
    out = {}
    for entry in proc.glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
            name = text[text.index("(") + 1:text.rindex(")")]
            fields = text[text.rindex(")") + 2:].split()
            out[int(entry.parent.name)] = (name, int(fields[11]) + int(fields[12]))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _busy(proc: Path, sample_s: float, own_pids: set[int]) -> list[dict]:
    if not (proc / "self").exists() and not any(proc.glob("[0-9]*")):
        return []
    before = _cpu_ticks(proc)
    time.sleep(sample_s)
    after = _cpu_ticks(proc)
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    busy = []
    for pid, (name, ticks) in after.items():
        if pid in own_pids or pid not in before:
            continue
        share = (ticks - before[pid][1]) / hz / sample_s
        if share > BUSY_PROCESS_SHARE:
            busy.append({"pid": pid, "name": name, "share": round(share, 2)})
    return sorted(busy, key=lambda p: -p["share"])
