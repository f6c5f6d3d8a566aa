"""What to choose: the report's decision, one row per kind of workload.

``choose(data)`` is a pure function from a run's data (``model.RunData``) to rows: for
each kind of workload (callbacks, task switching, spawning, timeout churn, timers, socket
latency, echo, memory, determinism, structured cancellation) the best runtime a user can
deploy, the runner-up, how far apart they are with a 95% interval, whether that is a
separation or a tie, the best of loopbench's own loops (teaching loops, never a
recommendation), and the behaviour caveats a user must know, read from this run's
behaviour results (a promise not kept, an outcome that changes from run to run), never
written by hand.

The rules:

* **Peers first.** The best and the runner-up are chosen among the libraries a user can
  deploy (family ``peer``); loopbench's loops are shown in their own column, marked as
  teaching loops. Controls (the harness's own constructions) take no part.
* **Separated or not.** Throughput rows compare the best and the runner-up round by round
  (``harness.stats.paired``: the ratio and its t interval); other measures by their own
  95% intervals. A row says "fastest" or "least" only if the interval clears 1 and the gap
  is at least ``SEPARATION`` (5%): a 1% gap is a tie, and is called one.
* **Latency is latency.** A lateness or round-trip row compares µs, lower is better.
* **Behaviour rows** (determinism, structured cancellation) rank by how many of their
  scenarios a runtime fails (or varies in, for determinism): fewer is better; equal counts
  are a tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .model import (REFERENCE, BehaviourRow, Cell, Row, RunData, behaviour_rows, benchmark_rows,
                    harness_rows, paired_between)

#: The smallest gap called a separation (with an interval that clears it too).
SEPARATION = 0.05
#: loopbench's reference implementation, always shown beside the best teaching loop.
HOUSE_LOOP = "heap"
#: Behaviour statuses that are a caveat: a promise not kept, or no answer.
BROKEN = ("fail", "timeout", "error")


@dataclass(frozen=True)
class Kind:
    """A kind of workload: the summary measures that decide it (the first one present
    decides), and the behaviour scenarios whose results are its caveats."""
    name: str
    measures: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()      # scenario names or prefixes ("io.")
    behaviour: str = ""                  # "varies" | "fails": a row decided by behaviour alone


KINDS = (
    Kind("callbacks", ("workload:callbacks.call_soon_chain",), ("callbacks.",)),
    Kind("task switching", ("workload:tasks.switch", "workload:tasks.round_robin"),
         ("coroutines.sleep0_round_robin", "coroutines.fast_path_yields", "coroutines.queue_pingpong")),
    Kind("spawning", ("workload:tasks.spawn_join",), ("coroutines.spawn_",)),
    Kind("timeout churn", ("workload:timers.arm_cancel_churn",),
         ("timers.cancel_", "coroutines.nested_timeout_")),
    Kind("timers", ("workload:timers.fired_medium", "workload:timers.fired_small", "call_at_p90"),
         ("timers.", "deadlines.")),
    Kind("socket latency", ("socketpair_p50",), ("io.readiness_order", "io.cancel_recv")),
    Kind("echo", ("echo_1k",), ("io.eof", "io.half_close", "io.peer_reset")),
    Kind("memory", ("memory", "memory_rss"), ()),
    Kind("determinism", (), ("coroutines.", "callbacks.", "timers.", "deadlines.", "io."), behaviour="varies"),
    Kind("structured cancellation", (),
         ("coroutines.cancel_at_await", "coroutines.swallow_cancel", "coroutines.nested_timeout_",
          "coroutines.group_errors", "coroutines.gather_errors"), behaviour="fails"),
)


@dataclass
class Choice:
    """One row of "What to choose"."""
    kind: str
    measure: str = ""                    # the measure that decided it (its title)
    best: str | None = None              # among the deployable peers
    runner_up: str | None = None
    #: How far the best is ahead of the runner-up (>= 1: times the rate, or times less time
    #: or memory), with its 95% interval; None where there is no number to give.
    advantage: float | None = None
    interval: tuple[float, float] | None = None
    separated: bool = False
    versus_reference: str = ""           # "1.8× asyncio [1.7–1.9]"
    teaching: str = ""                   # the best of loopbench's own loops, against asyncio
    teaching_separated: bool = False     # ... and whether it is clear of asyncio
    caveats: list[str] = field(default_factory=list)
    note: str = ""                       # why there is no verdict, when there is none

    @property
    def verdict(self) -> str:
        if self.best is None:
            return self.note or "not measured in this run"
        if self.runner_up is None:
            return f"{self.best} (the only one measured)"
        return self.best if self.separated else f"{self.best} ≈ {self.runner_up} (a tie)"


    def display(self) -> dict[str, str]:
        """The row as text, one string per column of the report's table."""
        ahead = ""
        if self.advantage is not None:
            ahead = f"{self.advantage:.2f}×" + (f" {_interval(*self.interval)}" if self.interval else " (no interval)")
        return {"kind": self.kind, "choose": self.verdict, "runner_up": self.runner_up or "–",
                "ahead": ahead or "–",
                "separated": ("yes" if self.separated else "no") if self.runner_up else "–",
                "versus": self.versus_reference or "–",
                "teaching": self.teaching or "–",
                "caveats": "; ".join(self.caveats[:MAX_CAVEATS])
                           + (f" (+{len(self.caveats) - MAX_CAVEATS} more)" if len(self.caveats) > MAX_CAVEATS else "")
                           or "none seen in this run",
                "measure": self.measure}


#: Caveats shown in a row (the behaviour section has them all).
MAX_CAVEATS = 3


def _matches(scenario: str, patterns: tuple[str, ...]) -> bool:
    return any(scenario == p or (p.endswith(("_", ".")) and scenario.startswith(p)) for p in patterns)


def _families(data: RunData) -> dict[str, str]:
    """runtime -> family ("peer", "loopbench", "control", ...), from the run's own records."""
    from ..runtimes import CONTROLS

    families: dict[str, str] = {}
    for record in data.records:
        if record.get("runtime") and record.get("family"):
            families.setdefault(record["runtime"], record["family"])
    for entry in (data.benchmark or {}).get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        if extra.get("runtime") and extra.get("family"):
            families.setdefault(extra["runtime"], extra["family"])
    for name in CONTROLS:
        families[name] = "control"
    return families


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def _interval(lo: float, hi: float) -> str:
    return f"[{_fmt(lo)}–{_fmt(hi)}]"


def _goodness(row: Row, cell: Cell) -> float:
    """Larger is better, whatever the measure's direction. A throughput row measured in
    duets ranks by the paired ratio to asyncio (asyncio itself: 1.0), which the machine's
    moments do not move; otherwise by the value."""
    paired = any(c.ratio_ci is not None for c in row.cells.values())
    if paired and row.measure.better == "higher":
        if cell.ratio_ci is not None:
            return cell.ratio
        ref = row.cells.get(REFERENCE)
        if cell is ref:
            return 1.0
        if ref is not None and ref.value:
            # measured apart from asyncio's rounds (curio under -O, say): its rate over
            # asyncio's, in the same unit as the paired ratios it is ranked among
            return cell.value / ref.value
    return cell.value if row.measure.better == "higher" else -cell.value


def _compare(row: Row, best: Cell, other: Cell) -> tuple[float, tuple[float, float] | None]:
    """How far ``best`` is ahead of ``other`` (>= 1 when it is), with a 95% interval."""
    paired = paired_between(best, other)
    if paired is not None:
        return paired.ratio, (paired.low, paired.high) if paired.low is not None else None
    if not _spans(best.ci) or not _spans(other.ci):        # a value from one process has no interval
        ratio = best.value / other.value if row.measure.better == "higher" else other.value / best.value
        return ratio, None
    if row.measure.better == "higher":
        ratio = best.value / other.value
        ci = (best.ci[0] / other.ci[1], best.ci[1] / other.ci[0]) if best.ci and other.ci and other.ci[0] > 0 else None
    else:
        ratio = other.value / best.value
        ci = (other.ci[0] / best.ci[1], other.ci[1] / best.ci[0]) if best.ci and other.ci and best.ci[0] > 0 else None
    return ratio, ci


def _spans(ci: tuple[float, float] | None) -> bool:
    return ci is not None and ci[0] < ci[1]


def _separated(ratio: float | None, ci: tuple[float, float] | None) -> bool:
    """A gap of at least SEPARATION whose 95% interval clears 1 (either side)."""
    if ratio is None or ci is None or any(v is None or math.isnan(v) for v in ci):
        return False
    return (ci[0] > 1 and ratio >= 1 + SEPARATION) or (ci[1] < 1 and ratio <= 1 / (1 + SEPARATION))


def _versus_reference(row: Row, rt: str) -> tuple[str, bool]:
    """``rt`` against asyncio in this row: text, and whether it is separated from it."""
    cell, ref = row.cells.get(rt), row.cells.get(REFERENCE)
    if rt == REFERENCE or cell is None or ref is None or cell.status != "ok" or ref.status != "ok" or not ref.value:
        return ("the reference" if rt == REFERENCE else ""), False
    if cell.ratio is not None and cell.ratio_ci is not None:
        ratio, ci = cell.ratio, cell.ratio_ci
    else:
        ratio, ci = _compare(row, cell, ref) if row.measure.better == "higher" else _inverse(*_compare(row, cell, ref))
    word = "× asyncio's rate" if row.measure.better == "higher" else "× asyncio's"
    text = f"{ratio:.2f}{word}" + (f" {_interval(*ci)}" if ci else "")
    return text, _separated(ratio, ci)


def _inverse(ratio: float, ci: tuple[float, float] | None) -> tuple[float, tuple[float, float] | None]:
    return 1 / ratio, (1 / ci[1], 1 / ci[0]) if ci else None


def _caveats(kind: Kind, behaviour: list[BehaviourRow], runtimes: list[str]) -> list[str]:
    """The behaviour results of ``runtimes`` in the kind's scenarios a user must know."""
    out = []
    for rt in runtimes:
        for row in behaviour:
            if not _matches(row.scenario, kind.scenarios):
                continue
            cell = row.cells.get(rt) or {}
            status = cell.get("status", "")
            if status in BROKEN:
                what = {"fail": "fails", "timeout": "hangs (timed out) in", "error": "errors in"}[status]
                out.append(f"{rt} {what} `{row.scenario}`" + (f": {_first_sentence(row.explain)}" if status == "fail" and row.explain else ""))
            elif not cell.get("deterministic", True):
                out.append(f"{rt}: `{row.scenario}` comes out differently from run to run")
    return list(dict.fromkeys(out))


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _throughput_choice(kind: Kind, rows: dict[str, Row], families: dict[str, str],
                       behaviour: list[BehaviourRow]) -> Choice:
    row = next((rows[key] for key in kind.measures if key in rows and _usable(rows[key])), None)
    if row is None:
        return Choice(kind.name, note="not measured in this run")
    usable = {rt: c for rt, c in row.cells.items() if c.status == "ok" and c.value is not None}
    peers = sorted((rt for rt in usable if families.get(rt) == "peer"), key=lambda rt: -_goodness(row, usable[rt]))
    ours = sorted((rt for rt in usable if families.get(rt) == "loopbench"), key=lambda rt: -_goodness(row, usable[rt]))
    choice = Choice(kind.name, measure=row.measure.title)
    if not peers:
        choice.note = "no deployable runtime measured"
    else:
        choice.best = peers[0]
        choice.versus_reference = _versus_reference(row, peers[0])[0]
        if len(peers) > 1:
            choice.runner_up = peers[1]
            choice.advantage, choice.interval = _compare(row, usable[peers[0]], usable[peers[1]])
            choice.separated = _separated(choice.advantage, choice.interval)
    if ours:
        text, clear = _versus_reference(row, ours[0])
        choice.teaching = (f"{ours[0]} (teaching loop): {text}" if text else f"{ours[0]} (teaching loop)") + \
            (", separated from asyncio" if clear else "")
        choice.teaching_separated = clear
        if ours[0] != HOUSE_LOOP and HOUSE_LOOP in ours:       # and the house loop, where another won
            text, clear = _versus_reference(row, HOUSE_LOOP)
            choice.teaching += f" · {HOUSE_LOOP}: {text}" + (", separated" if clear else "")
    choice.caveats = _caveats(kind, behaviour, [rt for rt in (choice.best, choice.runner_up, REFERENCE) if rt])
    return choice


def _usable(row: Row) -> bool:
    return sum(1 for c in row.cells.values() if c.status == "ok" and c.value is not None) >= 1


def _behaviour_choice(kind: Kind, behaviour: list[BehaviourRow], families: dict[str, str],
                      runtimes: list[str]) -> Choice:
    rows = [b for b in behaviour if _matches(b.scenario, kind.scenarios)]
    if not rows:
        return Choice(kind.name, note="not measured in this run")

    def counted(rt: str) -> int | None:
        cells = [b.cells.get(rt) or {} for b in rows]
        if not any(c.get("status") not in (None, "missing", "unsupported") for c in cells):
            return None
        if kind.behaviour == "varies":
            return sum(1 for c in cells if not c.get("deterministic", True))
        return sum(1 for c in cells if c.get("status") in BROKEN)

    what = "scenarios that vary from run to run" if kind.behaviour == "varies" else "scenarios failed or hung"
    scores = {rt: counted(rt) for rt in runtimes if families.get(rt) in ("peer", "loopbench")}
    scores = {rt: n for rt, n in scores.items() if n is not None}
    peers = sorted((rt for rt in scores if families.get(rt) == "peer"), key=lambda rt: (scores[rt], runtimes.index(rt)))
    ours = sorted((rt for rt in scores if families.get(rt) == "loopbench"), key=lambda rt: (scores[rt], runtimes.index(rt)))
    choice = Choice(kind.name, measure=f"{what}, of {len(rows)}")
    if not peers:
        choice.note = "no deployable runtime measured"
        return choice
    choice.best = peers[0]
    choice.versus_reference = f"{scores[peers[0]]} of {len(rows)}"
    if len(peers) > 1:
        choice.runner_up = peers[1]
        choice.separated = scores[peers[0]] < scores[peers[1]]
    if ours:
        choice.teaching = f"{ours[0]} (teaching loop): {scores[ours[0]]} of {len(rows)}"
        choice.teaching_separated = REFERENCE in scores and scores[ours[0]] < scores[REFERENCE]
    shown = [rt for rt in peers if scores[rt]][:3]
    choice.caveats = _caveats(kind, rows, shown)
    return choice


def choose(data: RunData) -> list[Choice]:
    """One ``Choice`` per ``KINDS`` entry, from the run's data alone."""
    from ..runtimes import CONTROLS

    families = _families(data)
    runtimes = [rt for rt in data.runtimes if rt not in CONTROLS]
    for entry in (data.benchmark or {}).get("benchmarks", []):
        rt = (entry.get("extra_info") or {}).get("runtime")
        if rt and rt not in runtimes and rt not in CONTROLS and families.get(rt) != "floor":
            runtimes.append(rt)
    rows = {r.measure.key: r for r in harness_rows(data.cells, runtimes) + benchmark_rows(data.benchmark, runtimes)}
    behaviour = behaviour_rows(data.cells, runtimes)
    out = []
    for kind in KINDS:
        if kind.behaviour:
            out.append(_behaviour_choice(kind, behaviour, families, runtimes))
        else:
            out.append(_throughput_choice(kind, rows, families, behaviour))
    return out


__all__ = ["KINDS", "SEPARATION", "Choice", "Kind", "choose"]
