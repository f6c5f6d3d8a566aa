"""Pre-flight: is this machine quiet enough to measure on? Read it, say so, record it.

Before a bench run, as ``pyperf system show`` does, loopbench reads what makes
numbers drift: the load average against the number of cores, the CPU frequency
governor (``powersave`` and ``ondemand`` change the clock under the benchmark), and
other processes using the CPU right now. It measures nothing and changes nothing;
it prints a warning with advice for each problem, and the whole reading goes into
``environment.json`` (``preflight``) so a report can say what the machine was doing.
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
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def read(sample_s: float = SAMPLE_S, proc: Path = Path("/proc"), sys_cpu: Path = Path("/sys/devices/system/cpu"),
         own_pids: set[int] | None = None) -> Reading:
    """Read the machine now; ``proc``/``sys_cpu`` are parameters so tests can point elsewhere."""
    cores = os.cpu_count() or 1
    reading = Reading(cores=cores, load_1min=_load(proc))
    reading.governors = sorted({p.read_text().strip() for p in sys_cpu.glob("cpu[0-9]*/cpufreq/scaling_governor")
                                if _readable(p)})
    reading.busy_processes = _busy(proc, sample_s, own_pids or {os.getpid(), os.getppid()})
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
    return out


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
