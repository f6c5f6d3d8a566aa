"""``loopbench explain``'s arguments and what it does with them."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .walkthroughs import WALKTHROUGHS


def add_parser(sub) -> None:
    walkthroughs = "; ".join(f"{name}: {w.title}" for name, w in WALKTHROUGHS.items())
    explain = sub.add_parser("explain", help="watch a loop work, step by step, the way the talk draws it",
                             description=f"Walk-throughs: {walkthroughs}.")
    explain.add_argument("walkthrough", choices=list(WALKTHROUGHS), metavar="WALKTHROUGH",
                         help=f"one of: {', '.join(WALKTHROUGHS)}")
    explain.add_argument("--impl", default="list", help="implementation name (default: list)")
    explain.add_argument("--step", action="store_true", help="wait for Enter between frames")
    explain.add_argument("--html", metavar="FILE", help="also write a self-contained page with the frames")
    explain.add_argument("--protocol-only", action="store_true",
                         help="ignore the loop's trace events: draw only what its public calls show")


def explain_command(args, console: Console) -> int:
    import impls

    from . import explain
    from .terminal import show

    if args.impl not in impls.names():
        console.print(f"[red]unknown implementation {args.impl!r}; choose from {', '.join(impls.names())}[/]")
        return 2
    walk = explain(args.walkthrough, args.impl, trace=not args.protocol_only)
    show(walk, console, step=args.step)
    if args.html:
        from .html import write_html

        path = write_html(walk, Path(args.html))
        console.print(f"written to {path}")
    return 0
