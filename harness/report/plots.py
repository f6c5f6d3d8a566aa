"""Plots for reports: matplotlib with the non-interactive Agg backend, one PNG each."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .model import REFERENCE, Row, ScalingCurve  # noqa: E402

#: Our loops draw solid, peers dashed, so the two families read apart at a glance.
PEER_STYLE = {"linestyle": "--"}


def _style(runtime: str, ours: set[str]) -> dict:
    return {} if runtime in ours else PEER_STYLE


def lateness_cdf(samples: dict[str, list[float]], title: str, path: Path, ours: set[str]) -> Path:
    """Empirical CDF of timer lateness per runtime; the due time is x=0, early firings fall left of it.

    The axis spans the bulk of the samples (up to the 99.5th percentile on the right,
    as far left as the right side goes); an early firing further out is not clipped
    silently: it is named in a note on the plot.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    hi, lows = 1.0, {}
    for rt, values in samples.items():
        ordered = sorted(values)
        if not ordered:
            continue
        ys = [(i + 1) / len(ordered) for i in range(len(ordered))]
        early = sum(v < 0 for v in ordered)
        label = f"{rt} (min {ordered[0]:.0f} µs{f', {early} early' if early else ''})"
        ax.step(ordered, ys, where="post", label=label, **_style(rt, ours))
        hi = max(hi, ordered[int(0.995 * (len(ordered) - 1))])
        lows[rt] = (ordered[0], early)
    left = -0.25 * hi
    lo = min([low for low, _ in lows.values()] + [0.0])
    if lo < 0:
        left = max(lo * 1.1, -hi)
        ax.axvspan(left, 0, color="red", alpha=0.06, label="early")
    off_scale = [f"{rt}: {early} early, min {low:.0f} µs" for rt, (low, early) in lows.items() if low < left]
    if off_scale:
        ax.text(0.01, 0.97, "◄ off scale: " + "; ".join(off_scale), transform=ax.transAxes, fontsize=7,
                va="top", color="darkred")
    ax.axvline(0, color="black", linewidth=1)
    ax.text(0, 0.02, " due", transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set_xlim(left, hi * 1.1)
    ax.set_xlabel("lateness: fired − due, by perf_counter (µs; negative = early)")
    ax.set_ylabel("fraction of timers")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def scaling(curves: list[ScalingCurve], title: str, unit: str, path: Path, ours: set[str]) -> Path:
    """Log-log time per operation against N, with each curve's fitted slope in the legend."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for curve in curves:
        if not curve.n:
            continue
        slope = f"slope {curve.slope:+.2f}" if curve.slope is not None else "slope –"
        cut = " (stopped early)" if curve.note else ""
        ax.loglog(curve.n, curve.per_op_us, marker="o", label=f"{curve.runtime}: {slope}{cut}",
                  **_style(curve.runtime, ours))
    ax.set_xlabel("N")
    ax.set_ylabel(f"CPU time {unit} (µs)")
    ax.set_title(f"{title}\nslope ≈ 0: O(1) per operation · ≈ 1: O(n)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def throughput_bars(rows: list[Row], runtimes: list[str], path: Path, ours: set[str]) -> Path | None:
    """Throughput relative to asyncio (> 1: more work per second than asyncio), one panel per measure."""
    rows = [r for r in rows if r.cells.get(REFERENCE) and r.cells[REFERENCE].value]
    if not rows:
        return None
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.0 + 0.28 * len(runtimes) * len(rows)), dpi=110,
                             squeeze=False)
    for ax, row in zip(axes[:, 0], rows):
        names, ratios, colors = [], [], []
        for rt in runtimes:
            cell = row.cells.get(rt)
            if not cell or cell.ratio is None:
                continue
            speed = cell.ratio if row.measure.better == "higher" else 1 / cell.ratio
            names.append(rt)
            ratios.append(speed)
            colors.append("tab:blue" if rt in ours else "tab:gray")
        ax.barh(names, ratios, color=colors)
        ax.axvline(1.0, color="black", linewidth=1)
        for y, ratio in enumerate(ratios):
            ax.text(ratio, y, f" {ratio:.2f}×", va="center", fontsize=7)
        ax.set_title(row.measure.title, fontsize=9, loc="left")
        ax.invert_yaxis()
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, max(ratios + [1.0]) * 1.25)
    axes[-1, 0].set_xlabel("throughput relative to asyncio (asyncio = 1; blue: loopbench, grey: peers)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
