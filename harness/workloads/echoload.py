"""The echo benchmark's load generator, and its floor: plain blocking sockets in threads.

In the shape of uvloop's vmbench echo client: ``connections`` TCP connections to an
echo server on the loopback address, each sending a message of ``size`` bytes and
reading the whole echo back before sending the next. It counts requests, times each
one, and prints one JSON object: requests, seconds, requests per second with a 95%
interval, and the latency percentiles (µs). The interval comes from the run itself:
its time is cut into ``SLICES`` equal slices, each slice's rate is a sample, and the
mean rate is bootstrapped over them (it says how steady the rate was during the run,
not how another run would differ). It runs in its own process (``python -m harness.workloads.echoload``),
so the loop under test never shares an interpreter with its load, and, as vmbench's
client does, drives each connection from a process of its own (blocking calls), so
the clients do not queue for one GIL.

Bounded twice: at most ``requests`` requests in all (shared out over the connections)
and at most ``seconds`` of sending; whichever comes first ends the run. The clock
starts once every connection is open (a barrier), so starting the client processes
is not counted. Only a
loopback address is accepted: the load never leaves the machine.

``serve_blocking`` is the floor the servers are measured against: the same echo
served by plain blocking sockets, one thread per connection, no event loop at all.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import multiprocessing
import socket
import sys
import threading
import time

from ..stats.samples import bootstrap_ci
from ..stats.descriptive import distribution

#: The one host the load generator talks to.
LOOPBACK = "127.0.0.1"
#: The size of one ``recv`` (the servers read up to 100 KiB at a time too).
READ_SIZE = 102_400
#: How long connecting, and waiting for the other clients, may take (s).
CONNECT_TIMEOUT = 30.0
#: Equal slices of the run's time whose rates give the interval of requests per second.
SLICES = 10


def check_loopback(host: str) -> None:
    """Refuse any address that is not a loopback IP (no name lookups, nothing off the machine)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the echo load goes to a loopback IP address only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the echo load goes to a loopback address only, not {host}")


def run(port: int, *, size: int, connections: int, requests: int, seconds: float,
        host: str = LOOPBACK) -> dict:
    """Drive the echo server at ``host:port``; return what was measured (see the module docstring)."""
    check_loopback(host)
    if size < 1 or connections < 1 or requests < connections or seconds <= 0:
        raise ValueError(f"need size >= 1, connections >= 1, requests >= connections and seconds > 0; "
                         f"got {size}, {connections}, {requests}, {seconds}")
    share = [requests // connections + (i < requests % connections) for i in range(connections)]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    ready, results = context.Barrier(connections + 1), context.Queue()
    clients = [context.Process(target=client, args=(host, port, size, count, seconds, ready, results), daemon=True)
               for count in share]
    for process in clients:
        process.start()
    try:
        ready.wait(timeout=CONNECT_TIMEOUT)     # every connection is open: the clock starts now
        start = time.perf_counter()
        outcomes = [results.get(timeout=seconds + CONNECT_TIMEOUT) for _ in clients]
        elapsed = time.perf_counter() - start
    finally:
        for process in clients:
            process.join(timeout=CONNECT_TIMEOUT)
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failures:
        raise ConnectionError(f"{len(failures)} of {connections} clients failed: {failures[0]}")
    every = [t for times, _ in outcomes for t in times]
    rates = slice_rates([end - start for _, ends in outcomes for end in ends], elapsed)
    return {"size": size, "connections": connections, "requests": len(every), "seconds": elapsed,
            "rps": len(every) / elapsed, "rps_ci95": list(bootstrap_ci(rates)), "rps_slices": rates,
            "latency_us": distribution(every)}


def slice_rates(finished: list[float], elapsed: float, slices: int = SLICES) -> list[float]:
    """Requests per second in each of ``slices`` equal slices of ``elapsed`` seconds, from
    each request's finishing time (seconds since the start)."""
    width = elapsed / slices
    counts = [0] * slices
    for t in finished:
        counts[min(slices - 1, max(0, int(t / width)))] += 1
    return [c / width for c in counts]


def client(host: str, port: int, size: int, count: int, seconds: float, ready, results) -> None:
    """One connection, in its own process: connect, wait until every client has, then up to
    ``count`` requests of ``size`` bytes, none sent after ``seconds``. Puts each request's
    latency (s) and the moment it finished (``perf_counter``, the same clock in every
    process of the machine) on ``results``, or the failure as a string."""
    try:
        times, ends = [], []
        message = b"x" * size
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ready.wait(timeout=CONNECT_TIMEOUT)
            deadline = time.perf_counter() + seconds
            for _ in range(count):
                sent = time.perf_counter()
                if sent >= deadline:
                    break
                sock.sendall(message)
                received = 0
                while received < size:
                    chunk = sock.recv(READ_SIZE)
                    if not chunk:
                        raise ConnectionError("the server closed the connection mid-echo")
                    received += len(chunk)
                finished = time.perf_counter()
                times.append(finished - sent)
                ends.append(finished)
        results.put((times, ends))
    except BaseException as exc:
        ready.abort()                           # nobody waits for a client that will not come
        results.put(f"{type(exc).__name__}: {exc}")


def serve_blocking(listener: socket.socket, connections: int) -> int:
    """The floor: accept ``connections`` connections and echo each in its own thread with
    blocking calls until it ends; return the bytes echoed."""
    listener.setblocking(True)
    echoed = [0] * connections

    def echo(i: int, conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(READ_SIZE):
                conn.sendall(data)
                echoed[i] += len(data)

    threads = []
    for i in range(connections):
        conn, _ = listener.accept()
        threads.append(threading.Thread(target=echo, args=(i, conn)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    return sum(echoed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.workloads.echoload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=LOOPBACK, help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, default=1024, help="message size in bytes")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--requests", type=int, default=10_000, help="at most this many requests in all")
    parser.add_argument("--seconds", type=float, default=2.0, help="at most this long")
    args = parser.parse_args(argv)
    try:
        check_loopback(args.host)
    except ValueError as exc:
        parser.error(str(exc))
    result = run(args.port, size=args.size, connections=args.connections, requests=args.requests,
                 seconds=args.seconds, host=args.host)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
