"""``loopbench explain``: watch a loop work, step by step, the way the talk draws it.

    loopbench explain slides --impl list          # the slides' frames, in the terminal
    loopbench explain tasks --impl heap --step    # Enter between frames
    loopbench explain timers --impl list --html /tmp/timers.html
    loopbench explain io --impl trampoline        # a task waits for a socket: the Selector box

A walk-through (``walkthroughs.py``) is a small program; the explainer
(``explainer.py``) runs it on a loop on a virtual clock (instant, repeatable),
watching the loop's trace events (``impls/trace.py``) and its public calls, and
draws a frame per step (``frames.py``) with the slides' four boxes: Code, Timers,
Callbacks, Output (and a fifth, Selector, for a walk-through that watches fds). ``terminal.py`` prints them with rich; ``html.py`` writes a
self-contained page with previous/next buttons and a slider.
"""

from __future__ import annotations

from .explainer import run
from .frames import Frame, Walk
from .walkthroughs import WALKTHROUGHS, get, names


def explain(walkthrough: str, impl: str, *, trace: bool = True) -> Walk:
    """Run the walk-through named ``walkthrough`` on a new ``impl`` loop; return its frames."""
    return run(get(walkthrough), impl, trace=trace)


__all__ = ["Frame", "Walk", "WALKTHROUGHS", "explain", "names"]
