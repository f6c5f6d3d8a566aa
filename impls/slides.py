"""The slides' example, runnable on any implementation.

    python -m impls.slides                 # every registered implementation
    python -m impls.slides --impl list     # one of them
    python -m impls.slides --real          # on the real clock (takes 5 seconds)

From "Discover asyncio event loop" (PyCon 2014): ``.call_at(1, hello_world)``,
``.call_at(5, exit)``, ``.call_at(2, good_bye)``. The timers are armed out of order;
the loop fires them by deadline, so it prints "Hello World!" then "Good bye.", and
stops at 5. On the virtual clock (the default) the five seconds pass instantly.
"""

from __future__ import annotations

import argparse
import sys

import impls


def slides_program(loop, *, say=print, stop=None, start=0, unit=1) -> None:
    """The slides' program: three timers armed out of deadline order.

    ``.call_at(1, hello_world)``, ``.call_at(5, exit)``, ``.call_at(2, good_bye)``: a
    loop that fires timers by deadline says "Hello World!", then "Good bye.", then
    exits. The one definition of it: ``python -m impls.slides``, the explain
    walk-throughs and the ``timers.slides*`` scenarios all run this function.
    ``say`` is what the callbacks print with; ``stop`` is the exit (the loop's
    ``stop`` by default); deadlines are ``start + n * unit``.
    """
    def hello_world():
        say("Hello World!")

    def good_bye():
        say("Good bye.")

    def exit():
        (stop or loop.stop)()

    loop.call_at(start + 1 * unit, hello_world)
    loop.call_at(start + 5 * unit, exit)
    loop.call_at(start + 2 * unit, good_bye)


def slides_example(loop, start: float = 0.0) -> None:
    """The slides' program on ``loop``, run to its exit."""
    slides_program(loop, start=start)
    loop.run_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impls.slides", description=__doc__.split("\n")[0])
    parser.add_argument("--impl", default="all", help="implementation name, or 'all' (default)")
    parser.add_argument("--real", action="store_true", help="use the real clock instead of virtual time")
    args = parser.parse_args(argv)
    chosen = impls.names() if args.impl == "all" else [args.impl]
    for name in chosen:
        clock = None if args.real else impls.VirtualClock()
        loop = impls.create(name, clock=clock)
        try:
            if len(chosen) > 1:
                print(f"--- {name}")
            slides_example(loop, start=loop.time())
        finally:
            loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
