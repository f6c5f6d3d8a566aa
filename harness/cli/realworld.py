"""``loopbench realworld``: pyperformance's asyncio benchmarks and the HTTP servers under wrk, alone.

``loopbench realworld --out DIR [--runtimes asyncio,uvloop,...] [--profile full|default|quick]
[--rounds N] [--values N] [--benchmarks a,b] [--duration S] [--only pyperformance|http]``
writes DIR/realworld.json and DIR/realworld.md (the report's "Real workloads" section) and prints the section. Default:
the ``full`` profile on every runtime with asyncio's API (``harness.workloads.realworld``);
``make bench`` runs the same at its own profile as one of its steps.
"""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    from ..workloads.realworld import PROFILES

    parser = sub.add_parser("realworld", allow_abbrev=False,
                            help="pyperformance's asyncio benchmarks and HTTP servers under wrk, on every asyncio loop")
    parser.add_argument("--out", help="output directory (default ./reports/realworld-<UTC timestamp>)")
    parser.add_argument("--runtimes", help="comma-separated runtime names (default: the profile's; full: every "
                                           "runtime with asyncio's API); asyncio is always added, as the baseline")
    parser.add_argument("--profile", choices=list(PROFILES), default="full",
                        help="sizes and selection (default: full; make bench uses default, QUICK=1 quick)")
    parser.add_argument("--rounds", type=int, help="rounds (interleaved), replacing the profile's")
    parser.add_argument("--duration", type=int, dest="duration_s", help="seconds per wrk run, replacing the profile's")
    parser.add_argument("--values", type=int, help="measured values per pyperformance process, replacing the profile's")
    parser.add_argument("--benchmarks", help="comma-separated pyperformance benchmarks, replacing the profile's "
                                             "(e.g. async_tree,asyncio_tcp)")
    parser.add_argument("--only", choices=["pyperformance", "http"], help="run one of the two parts")
    parser.add_argument("--asyncio-loop", action="append", metavar="NAME=module:factory",
                        help="also measure this asyncio event loop (repeatable)")


def realworld_command(args, console) -> int:
    from ..report.sections.realworld import standalone
    from ..results.rundir import utc_stamp
    from ..workloads import realworld

    for name, value in (("--rounds", args.rounds), ("--duration", args.duration_s), ("--values", args.values)):
        if value is not None and value < 1:
            console.print(f"[red]{name} must be 1 or more, not {value}[/]")
            return 2
    out = Path(args.out) if args.out else Path("reports") / f"realworld-{utc_stamp()}"
    runtimes = [n.strip() for n in args.runtimes.split(",") if n.strip()] if args.runtimes else None
    parts = (args.only,) if args.only else ("pyperformance", "http")      # both, whatever the profile
    console.print(f"[bold]loopbench realworld[/] ({args.profile} profile) -> {out}")
    try:
        path = realworld.run(out, args.profile, runtimes, parts,
                             log=lambda line: console.print(line, markup=False, soft_wrap=True),
                             rounds=args.rounds, duration_s=args.duration_s, values=args.values,
                             benchmarks=tuple(b.strip() for b in args.benchmarks.split(",") if b.strip())
                             if args.benchmarks else None)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    text = standalone(out)["md"]
    (out / "realworld.md").write_text(text)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    console.print(f"written: {path} and {out / 'realworld.md'}")
    return 0
