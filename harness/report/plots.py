"""Plots for reports: matplotlib with the non-interactive Agg backend, one PNG each."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .model import REFERENCE, EchoTable, Row, ScalingCurve  # noqa: E402

#: Our loops draw solid, peers dashed, so the two families read apart at a glance; every
#: runtime also has its own colour and marker (20 colours, 10 markers: no two alike).
PEER_STYLE = {"linestyle": "--"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
_assigned: dict[str, int] = {}


def _style(runtime: str, ours: set[str]) -> dict:
    index = _assigned.setdefault(runtime, len(_assigned))
    colour = plt.get_cmap("tab20")(index % 20)
    return {"color": colour, "marker": MARKERS[index % len(MARKERS)], **({} if runtime in ours else PEER_STYLE)}


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _legend_outside(ax) -> None:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def lateness_cdf(samples: dict[str, list[float]], title: str, path: Path, ours: set[str]) -> Path:
    """Timer lateness per runtime as a dot plot: the earliest firing, p50, p99 and the latest,
    one row per runtime, on a symmetric log axis (so a firing 1 ms early and a p99 of 200 µs
    both read, and early firings sit left of the red "due" line)."""
    runtimes = [rt for rt, v in samples.items() if v]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(runtimes) + 1.6), dpi=110)
    for y, rt in enumerate(runtimes):
        ordered = sorted(samples[rt])
        n = len(ordered)
        points = {"min": ordered[0], "p50": ordered[n // 2], "p99": ordered[min(n - 1, int(0.99 * n))],
                  "max": ordered[-1]}
        style = _style(rt, ours)
        early = sum(v < 0 for v in ordered)
        ax.hlines(y, points["min"], points["max"], color=style["color"], alpha=0.35, linewidth=1)
        ax.plot([points["p50"], points["p99"]], [y, y], linestyle="none", marker=style["marker"],
                color=style["color"], markersize=7,
                label=f"{rt}: p50 {points['p50']:.0f}, p99 {points['p99']:.0f} µs"
                      + (f", {early} early (min {points['min']:.0f})" if early else ""))
        ax.plot([points["min"], points["max"]], [y, y], linestyle="none", marker="|", color=style["color"],
                markersize=10)
    ax.set_yticks(range(len(runtimes)), runtimes, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=10)
    lowest = min(min(v) for v in samples.values() if v)
    highest = max(max(v) for v in samples.values() if v)
    ax.set_xlim(min(lowest * 1.5, -10), highest * 1.5)
    ax.axvline(0, color="red", linewidth=1, label="due (left of it: early)")
    ax.set_xlabel("fired − due by perf_counter, µs (symmetric log; negative = early)")
    ax.set_title(f"{title}\nmarkers: p50 and p99 · bar: earliest to latest firing", fontsize=10)
    ax.grid(alpha=0.3, axis="x", which="both")
    _legend_outside(ax)
    return _save(fig, path)


def scaling(curves: list[ScalingCurve], title: str, unit: str, path: Path, ours: set[str]) -> Path:
    """Log-log time per operation against N, with each curve's fitted slope in the legend."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for curve in curves:
        if not curve.n:
            continue
        slope = f"slope {curve.slope:+.2f}" if curve.slope is not None else "slope –"
        cut = " (stopped early)" if curve.note else ""
        ax.loglog(curve.n, curve.per_op_us, label=f"{curve.runtime}: {slope}{cut}",
                  **_style(curve.runtime, ours))
    ax.set_xlabel("N")
    ax.set_ylabel(f"CPU time {unit} (µs)")
    ax.set_title(f"{title}\nslope ≈ 0: O(1) per operation · ≈ 1: O(n)")
    ax.grid(alpha=0.3, which="both")
    _legend_outside(ax)
    return _save(fig, path)


def throughput_bars(rows: list[Row], runtimes: list[str], path: Path, ours: set[str]) -> Path | None:
    """Throughput relative to asyncio (> 1: more work per second than asyncio), one panel per measure."""
    rows = [r for r in rows if r.cells.get(REFERENCE) and r.cells[REFERENCE].value]
    if not rows:
        return None
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.0 + 0.28 * len(runtimes) * len(rows)), dpi=110,
                             squeeze=False)
    for ax, row in zip(axes[:, 0], rows):
        names, ratios, colors, errors = [], [], [], [[], []]
        ref = row.cells[REFERENCE].value
        for rt in runtimes:
            cell = row.cells.get(rt)
            if not cell or cell.ratio is None:
                continue
            speed = cell.ratio if row.measure.better == "higher" else 1 / cell.ratio
            names.append(rt)
            ratios.append(speed)
            colors.append("tab:blue" if rt in ours else "tab:gray")
            lo, hi = (cell.ci[0] / ref, cell.ci[1] / ref) if cell.ci and row.measure.better == "higher" else (speed, speed)
            errors[0].append(max(0.0, speed - lo))
            errors[1].append(max(0.0, hi - speed))
        ax.barh(names, ratios, color=colors, xerr=errors, error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.axvline(1.0, color="black", linewidth=1)
        for y, ratio in enumerate(ratios):
            ax.text(ratio, y, f" {ratio:.2f}×", va="center", fontsize=7)
        ax.set_title(row.measure.title, fontsize=9, loc="left")
        ax.invert_yaxis()
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, max(ratios + [1.0]) * 1.25)
    axes[-1, 0].set_xlabel("throughput relative to asyncio (asyncio = 1; blue: loopbench, grey: peers; "
                           "whiskers: 95% interval)")
    return _save(fig, path)


def churn_crossover(crossover, path: Path, ours: set[str]) -> Path:
    """Each timer store's arm+cancel cost against the timers already armed (log x), with
    its 95% interval, and the crossover marked where the wheel gets ahead (if it does)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for curve in crossover.curves.values():
        low = [ns - (iv[0] if iv else ns) for ns, iv in zip(curve.ns, curve.intervals)]
        high = [(iv[1] if iv else ns) - ns for ns, iv in zip(curve.ns, curve.intervals)]
        ax.errorbar(curve.armed, curve.ns, yerr=[low, high], capsize=3, label=curve.store,
                    **_style(curve.store, ours))
    if crossover.at is not None:
        ax.axvline(crossover.at, color="red", linewidth=1, label=f"crossover: wheel ahead from N = {crossover.at:,}")
    else:
        ax.text(0.02, 0.95, "no crossover in the range measured", transform=ax.transAxes, fontsize=8,
                va="top", color="red")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("timers armed (N, log scale)")
    ax.set_ylabel("ns per arm+cancel pair (median, 95% interval)")
    ax.set_title("Timer stores: arm+cancel churn against the timers already armed")
    ax.grid(alpha=0.3, which="both")
    _legend_outside(ax)
    return _save(fig, path)


def echo_bars(table: EchoTable, path: Path, ours: set[str]) -> Path | None:
    """The echo benchmark: requests per second per runtime (and idiom), one panel per message
    size, with the floor (blocking sockets in threads: median line, min-max band)."""
    measured = [r for r in table.rows if r.cells]
    if not measured or not table.sizes:
        return None
    fig, axes = plt.subplots(len(table.sizes), 1, figsize=(8, 1.0 + 0.26 * len(measured) * len(table.sizes)),
                             dpi=110, squeeze=False)
    for ax, size in zip(axes[:, 0], table.sizes):
        rows = [r for r in measured if size in r.cells]
        names = [r.runtime + (" (Protocol)" if r.idiom == "asyncio Protocol" else "") for r in rows]
        values = [r.cells[size].rps for r in rows]
        ax.barh(names, values, color=["tab:blue" if r.runtime in ours else "tab:gray" for r in rows])
        if size in table.floor:
            median, low, high = table.floor[size]
            ax.axvspan(low, high, color="tab:green", alpha=0.15)
            ax.axvline(median, color="tab:green", linewidth=1.2)
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:,.0f}", va="center", fontsize=7)
        ax.set_title(f"TCP echo, {size} messages", fontsize=9, loc="left")
        ax.invert_yaxis()
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, max(values + [table.floor.get(size, (0, 0, 0))[2]]) * 1.2)
    axes[-1, 0].set_xlabel("requests per second (blue: loopbench, grey: peers; green: the floor, blocking "
                           "sockets in threads: median, min-max)")
    return _save(fig, path)
