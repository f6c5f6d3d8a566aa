"""The terminal view: each frame as the slides draw it, four boxes drawn with rich.

    ┌ Code ──────────────┐ ┌ Timers ────────────┐
    │ .call_at(1, ...)   │ │ (1, hello_world)   │
    └────────────────────┘ └────────────────────┘
    ┌ Callbacks ─────────┐ ┌ Output ────────────┐
    └────────────────────┘ └────────────────────┘
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .frames import Frame, Walk

BOX_WIDTH = 40


def _lines(lines: list[str], empty: str = "") -> Text:
    return Text("\n".join(lines) if lines else empty, style="" if lines else "dim")


def render_frame(frame: Frame, total: int, impl: str, selector: bool = False) -> Group:
    """One frame: a header (step, time, what happened) and the four boxes in a 2x2 grid.

    With ``selector`` (a walk-through that watches fds) the Selector box sits beside
    Callbacks, under Timers, and Output goes below.
    """
    header = Text.assemble((f"step {frame.step}/{total}", "bold"), f"  {impl} loop  time={frame.time:g}\n",
                           (frame.caption, "italic"))
    code = Text()
    for i, line in enumerate(frame.code):
        current = i == len(frame.code) - 1
        code.append(("▶ " if current else "  ") + line + ("\n" if i < len(frame.code) - 1 else ""),
                    style="bold yellow" if current else "")
    timers = _lines(frame.timers)
    if frame.timers_note:
        timers.append(("\n" if frame.timers else "") + frame.timers_note, style="dim")
    callbacks = _lines(frame.callbacks)
    if frame.waiting:
        callbacks.append(("\n" if frame.callbacks else "") + "\n".join(frame.waiting), style="dim")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=BOX_WIDTH)
    grid.add_column(width=BOX_WIDTH)
    grid.add_row(Panel(code, title="Code", title_align="left"),
                 Panel(timers, title="Timers", title_align="left", subtitle="call_at"))
    output = Panel(_lines(frame.output), title="Output", title_align="left")
    if not selector:
        grid.add_row(Panel(callbacks, title="Callbacks", title_align="left", subtitle="call_soon"), output)
        return Group(header, grid)
    watched = _lines(frame.selector)
    if frame.selector_note:
        watched.append(("\n" if frame.selector else "") + frame.selector_note, style="dim")
    grid.add_row(Panel(watched, title="Selector", title_align="left", subtitle="add_reader"),
                 Panel(callbacks, title="Callbacks", title_align="left", subtitle="call_soon"))
    grid.add_row(output, "")
    return Group(header, grid)


def show(walk: Walk, console: Console, *, step: bool = False, wait=input) -> None:
    """Print every frame; with ``step``, wait for Enter between frames."""
    console.rule(f"{walk.title}  ({walk.impl})")
    console.print(Panel(Text(walk.source.rstrip()), title="the program", title_align="left", style="dim"))
    if not walk.traced and walk.supported:
        console.print("[dim]this loop emits no events: drawn from its public calls and its output only[/]")
    for frame in walk.frames:
        console.print(render_frame(frame, len(walk.frames), walk.impl, walk.uses_selector))
        if step and frame.step < len(walk.frames):
            wait("Enter: next step ")
