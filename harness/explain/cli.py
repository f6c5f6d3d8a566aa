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

    from ..cli.errors import UsageError
    from . import explain
    from .terminal import show

    if args.impl not in impls.names():
        raise UsageError(f"unknown implementation {args.impl!r}; choose from {', '.join(impls.names())}")
    if args.html:
        _check_writable_file(Path(args.html), "--html", UsageError)
    walk = explain(args.walkthrough, args.impl, trace=not args.protocol_only)
    show(walk, console, step=args.step)
    if args.html:
        from .html import write_html

        path = write_html(walk, Path(args.html))
        console.print(f"written to {path}")
    return 0


def _check_writable_file(path: Path, option: str, error: type[Exception]) -> None:
    """``error`` unless ``path`` can be written as a file: not a directory, in a directory that exists."""
    if path.is_dir():
        raise error(f"{option} {path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise error(f"{option} {path}: {path.parent} is not a directory")
