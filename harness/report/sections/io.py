"""I/O: the TCP echo per runtime and server idiom, one table per message size, beside the floor."""

from __future__ import annotations

from ..document import Cell, Heading, Para, Prose, Section, Table
from ..model import fmt


def section(facts: dict) -> Section | None:
    io = facts["io"]
    if not io:
        return None
    blocks: list = [Heading(2, "I/O: TCP echo"), Para(Prose(
        "uvloop's vmbench echo in small: each runtime serves a TCP echo on 127.0.0.1 in its own idiom (asyncio "
        "streams, and asyncio's Protocol API as a second row; trio, anyio, curio their own servers; our loops "
        f"`sock_*` on the loop) while a load generator in another process keeps {io.connections} connections "
        "busy, one message at a time each. Requests per second, latency per request (µs), and the share of the "
        "floor: the same echo served by plain blocking sockets in threads, measured just before in the same "
        "cell, the most this machine gives with no event loop."))]
    for size in io.sizes:
        rows = []
        for r in io.rows:
            c = r.cells.get(size)
            if not r.cells:
                rows.append([Cell(r.runtime, "name"), Cell(r.idiom), Cell(f"{r.status}: {r.note}", r.status),
                             Cell(""), Cell("")])
            elif c is None:
                rows.append([Cell(r.runtime, "name"), Cell(r.idiom), Cell("–"), Cell("–"), Cell("–")])
            else:
                rows.append([Cell(r.runtime, "name"), Cell(r.idiom), Cell(c.rps_text),
                             Cell(f"{fmt(c.p50_us)} / {fmt(c.p99_us)}"),
                             Cell(f"{c.of_floor:.2f}" if c.of_floor is not None else "–")])
        floor = io.floor.get(size)
        rows.append([Cell("floor", "name", bold=True), Cell("blocking sockets, a thread per connection"),
                     Cell(f"{fmt(floor[0])} (min {fmt(floor[1])}, max {fmt(floor[2])})" if floor else "–"),
                     Cell(""), Cell("1.00")])
        blocks += [Heading(3, f"{size} messages"),
                   Table(["runtime", "server", "req/s", "p50 / p99 µs", "of floor"], rows)]
    return Section("io", "I/O: TCP echo", blocks)
