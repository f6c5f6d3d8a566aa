"""I/O: what each runtime does with sockets, how fast a round trip is, how much echo it serves.

Every scenario here speaks to the runtime's own streams (``rt.open_stream``, in the
library's idiom: asyncio streams, ``trio.SocketStream``, anyio's ``SocketStream``,
``curio.io.Socket``, our loops' ``sock_*``) and servers (``rt.serve_echo``), never
to a harness stand-in. All sockets are ``socket.socketpair()`` ends or TCP
connections on 127.0.0.1; every loop is bounded in count and in time.

Behaviour (observational where libraries may differ, expected where the stream
contract says what must happen): which of two readable sockets is served first, end
of stream, a peer that resets the connection, a receive cancelled while it waits,
and a half-close.

Latency: ``io.socketpair_latency`` bounces one byte between two tasks over a socket
pair (round trip p50/p99). ``io.echo`` is uvloop's vmbench in small: the runtime
serves a TCP echo on 127.0.0.1 in its own idiom while a load generator in another
process (``harness.workloads.echoload``) keeps ``CONNECTIONS`` connections busy with messages
of 1, 10 and 100 KiB; requests per second and latency per size. Each size is also
served by plain blocking sockets in threads (``echoload.serve_blocking``) just before,
in the same process: the floor, the most this machine gives with no event loop.
``io.echo_protocols`` is the same load on asyncio's Protocol API (asyncio loops only).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..workloads import echoload
from ..execution.profile import pick, share
from .registry import latency, scenario
from ..stats.descriptive import distribution

#: Concurrent connections of the echo load (vmbench's default).
CONNECTIONS = 10
#: Message sizes of the echo benchmark, by the label the report shows.
SIZES = {"1KiB": 1024, "10KiB": 10 * 1024, "100KiB": 100 * 1024}
WARMUP = 20
#: How long a behaviour scenario may wait for its sockets, and how often that is checked.
GUARD_S, GUARD_POLL = 0.5, 0.005
#: How long the echo server may still wait for its connections' ends once the load has ended.
GRACE_S = 3.0
ROOT = Path(__file__).resolve().parents[2]


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair on 127.0.0.1 (blocking sockets): ``(ours, peer)``."""
    with socket.create_server((echoload.LOOPBACK, 0)) as listener:
        peer = socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
    return ours, peer


async def guarded(rt, trace, body, *socks: socket.socket) -> None:
    """Run ``body()`` as a child task, for at most ``GUARD_S``: a library that never answers
    (a lost end of stream) is cancelled there, and the trace says so, instead of hanging the
    cell. The raw ``socks`` are closed at the end, however it ended."""
    finished = []

    async def run_body():
        await body()
        finished.append(True)

    async with rt.task_group() as group:
        await group.spawn(run_body)
        for _ in range(int(GUARD_S / GUARD_POLL)):
            if finished:
                break
            await rt.sleep(GUARD_POLL)
        if not finished:
            trace.append(["no answer", f"cancelled after {GUARD_S:g} s"])
            await group.cancel()
    for sock in socks:
        sock.close()


async def guarded_stream(rt, trace, body, pair=socket.socketpair) -> None:
    """Open the runtime's stream on our end of a fresh ``pair()`` and run ``body(stream, peer)``
    under ``guarded``, ``peer`` being the other end's raw socket."""
    ours, peer = pair()
    stream = await rt.open_stream(ours)
    await guarded(rt, trace, lambda: body(stream, peer), ours, peer)


def _outcome(label: str, exc: BaseException) -> list:
    return [label + " raised", type(exc).__name__]


# ------------------------------------------------------------------- behaviour
#: What every behaviour scenario needs besides ``open_stream``: its guard (``guarded``).
GUARD_NEEDS = ("open_stream", "task_group", "sleep")
#: Runs per behaviour cell: fewer than the default, since a library that never answers costs ``GUARD_S`` each.
REPEAT = 3


@scenario("io.readiness_order", needs=GUARD_NEEDS, measures=("open_stream",), repeat=REPEAT,
          explain="Two sockets become readable in the same instant (the second pair's peer is written "
                  "first). Which waiting task runs first is the library's order of ready events and "
                  "woken tasks, not a promise any of them makes.")
async def readiness_order(rt, trace):
    """Two tasks wait on two socket pairs; both peers are written at once: which task is served first."""
    pairs = [socket.socketpair() for _ in range(2)]
    streams = [await rt.open_stream(ours) for ours, _ in pairs]

    async def body():

        async def reader(i):
            trace.append(["served", i, (await streams[i].recv(64)).decode()])

        async with rt.task_group() as group:
            for i in range(2):
                await group.spawn(reader, i)
            for _ in range(3):
                await rt.sleep(0)                # both readers are waiting now
            pairs[1][1].send(b"second pair, written first")
            pairs[0][1].send(b"first pair, written second")
        for stream in streams:
            await stream.close()

    await guarded(rt, trace, body, *(sock for pair in pairs for sock in pair))


@scenario("io.eof", expected=[["recv", "hello"], ["recv", ""], ["recv", ""]], needs=GUARD_NEEDS,
          measures=("open_stream",), repeat=REPEAT,
          explain="End of stream is b\"\" on every stream, however the library says it (anyio raises "
                  "EndOfStream, which the adapter reads as b\"\"), and stays so.")
async def eof(rt, trace):
    """The peer sends "hello" and closes: the stream gives the data, then ``b""``, and ``b""`` again."""
    async def body(stream, peer):
        peer.sendall(b"hello")
        peer.close()
        for _ in range(3):
            trace.append(["recv", (await stream.recv(64)).decode()])
        await stream.close()

    await guarded_stream(rt, trace, body)


@scenario("io.peer_reset", needs=GUARD_NEEDS, measures=("open_stream",), repeat=REPEAT,
          explain="A TCP peer closes with SO_LINGER 0, so the connection gets a reset (RST) instead of "
                  "an end of stream. What the receive, the next send and the close do then is each "
                  "library's way of reporting it: an exception (its name is the trace) or data.")
async def peer_reset(rt, trace):
    """The TCP peer resets the connection: what recv, then send, then close give."""
    async def body(stream, peer):
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()
        for label, step in (("recv", lambda: stream.recv(64)), ("send", lambda: stream.send(b"x" * 64)),
                            ("close", stream.close)):
            try:
                result = await step()
                trace.append([label, result.decode() if isinstance(result, bytes) else "ok"])
            except Exception as exc:
                trace.append(_outcome(label, exc))

    await guarded_stream(rt, trace, body, pair=tcp_pair)


@scenario("io.cancel_recv", needs=GUARD_NEEDS, measures=("open_stream",), repeat=REPEAT,
          explain="A task waiting to receive is cancelled; then the peer sends. Whether the stream is "
                  "still usable (the data arrives), closed, or broken is the library's choice.")
async def cancel_recv(rt, trace):
    """A receive is cancelled while it waits; then the peer sends: does the stream still deliver?"""
    async def body(stream, peer):
        async def receiver():
            try:
                trace.append(["child got", (await stream.recv(64)).decode()])
            except BaseException as exc:
                trace.append(["child", "cancelled" if rt.is_cancellation(exc) else type(exc).__name__])
                raise

        async with rt.task_group() as group:
            await group.spawn(receiver)
            for _ in range(3):
                await rt.sleep(0)                # the receiver is waiting now
            await group.cancel()
        peer.sendall(b"after")
        try:
            trace.append(["after cancel", (await stream.recv(64)).decode()])
        except Exception as exc:
            trace.append(_outcome("after cancel", exc))
        await stream.close()

    await guarded_stream(rt, trace, body)


@scenario("io.half_close", expected=[["b got", "ping"], ["b got", ""], ["a got", "pong"], ["a got", ""]],
          needs=GUARD_NEEDS, measures=("open_stream",), repeat=REPEAT, quick=True,
          explain="send_eof shuts down the sending half only: the peer sees the end and can still answer. "
                  "A library that stops reading once it half-closed never sees the answer's end.")
async def half_close(rt, trace):
    """A sends "ping" and half-closes; B sees the data and the end, answers "pong" and closes; A still receives it."""
    a_sock, b_sock = socket.socketpair()
    a, b = await rt.open_stream(a_sock), await rt.open_stream(b_sock)

    async def body():
        await a.send(b"ping")
        await a.send_eof()
        for _ in range(2):
            trace.append(["b got", (await b.recv(64)).decode()])
        await b.send(b"pong")
        await b.close()
        for _ in range(2):
            trace.append(["a got", (await a.recv(64)).decode()])
        await a.close()

    await guarded(rt, trace, body, a_sock, b_sock)


# --------------------------------------------------------------------- latency
@latency("io.socketpair_latency", needs=("open_stream", "task_group"), measures=("open_stream",), quick=True,
         sampled=True,
         explain="One byte there and back over a socket pair, between two tasks of one loop: two waits "
                 "on a socket, two wake-ups and two task switches per round trip.")
def socketpair_latency(rt, metrics):
    """Round trip of one byte between two tasks over a socket pair, through the runtime's streams."""
    rounds = share(pick(default=2_000, quick=200))

    async def main():
        a_sock, b_sock = socket.socketpair()
        a, b = await rt.open_stream(a_sock), await rt.open_stream(b_sock)
        samples = []

        async def echo():
            while data := await b.recv(64):
                await b.send(data)

        async with rt.task_group() as group:
            await group.spawn(echo)
            for i in range(rounds + WARMUP):
                sent = rt.perf()
                await a.send(b"x")
                if await a.recv(64) != b"x":
                    raise AssertionError("the echo task sent back something else")
                if i >= WARMUP:
                    samples.append(rt.perf() - sent)
            await a.send_eof()                   # the echo task ends at end of stream
        await a.close()
        await b.close()
        return samples

    samples = rt.run(main)
    metrics.update(round_trip_us=distribution(samples), rounds=len(samples))


@latency("io.echo", needs=("serve_echo",), quick=True,
         explain="uvloop's vmbench echo in small: the runtime's own TCP server on 127.0.0.1, "
                 f"{CONNECTIONS} connections driven by a blocking client in another process; the floor "
                 "is the same echo served by blocking sockets in threads, measured just before.")
def echo(rt, metrics):
    """TCP echo served by the runtime's own server idiom: requests per second and latency, per message size."""
    run_echo(rt, rt.serve_echo, metrics, with_floor=True)


@latency("io.echo_protocols", needs=("serve_echo_protocol",), quick=True,
         explain="The same load as io.echo, served through asyncio's Protocol API (loop.create_server), "
                 "the layer under asyncio's streams: asyncio loops only.")
def echo_protocols(rt, metrics):
    """TCP echo served by an asyncio Protocol (``loop.create_server``): requests per second and latency."""
    run_echo(rt, rt.serve_echo_protocol, metrics, with_floor=False)


def run_echo(rt, serve, metrics: dict, *, with_floor: bool) -> None:
    """For each message size of the profile: the floor (if asked), then ``serve`` under ``rt.run``."""
    # 1 KiB in the default profile (the request size a server mostly sees; each size costs a
    # load generator and a floor per runtime, run alone); every size in the rigorous one.
    sizes = pick(default=["1KiB"], quick=["1KiB"], rigorous=list(SIZES))
    requests, seconds = pick(default=2_000, quick=500, rigorous=10_000), pick(default=0.5, quick=0.5, rigorous=2.0)
    metrics.update(connections=CONNECTIONS, sizes=sizes, requests_cap=requests, seconds_cap=seconds)
    for label in sizes:
        size = SIZES[label]
        row = {}
        if with_floor:
            row["floor"] = echo_under_load(lambda listener: echoload.serve_blocking(listener, CONNECTIONS),
                                           size, requests, seconds)
        row.update(echo_under_load(lambda listener: rt.run(lambda: serve(listener, CONNECTIONS)),
                                   size, requests, seconds))
        if with_floor and row["floor"]["rps"]:
            row["of_floor"] = row["rps"] / row["floor"]["rps"]
        metrics[label] = row


def echo_under_load(server, size: int, requests: int, seconds: float) -> dict:
    """Run ``server(listener)`` while ``python -m harness.workloads.echoload`` drives it; the load's
    figures, and the server process's CPU time per request (``server_cpu_us_per_request``).

    The server returns once ``CONNECTIONS`` connections have ended. A watchdog thread keeps
    that bounded: if the load generator fails, or the server is still waiting ``GRACE_S``
    after the load ended (a library that missed an end of stream), it opens and closes
    ``CONNECTIONS`` more connections, and the result says ``released``.
    """
    listener = socket.create_server((echoload.LOOPBACK, 0), backlog=CONNECTIONS * 2)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # accepted sockets inherit it
    port = listener.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    command = [sys.executable, "-m", "harness.workloads.echoload", "--port", str(port), "--size", str(size),
               "--connections", str(CONNECTIONS), "--requests", str(requests), "--seconds", str(seconds)]
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    served, released = threading.Event(), []
    threading.Thread(target=_watchdog, args=(load, port, served, released), daemon=True).start()
    cpu_0 = time.process_time()
    try:
        echoed = server(listener)
    finally:
        served.set()
        listener.close()
    server_cpu = time.process_time() - cpu_0
    out, err = load.communicate(timeout=seconds + 60)
    if load.returncode != 0:
        raise RuntimeError(f"the echo load generator failed (exit {load.returncode}): {err.strip()[-800:]}")
    result = json.loads(out)
    # The server's CPU time per request: on shared cores the steady figure beside req/s,
    # which also counts the time the server waited for a core (CPU time does not).
    result.update(echoed_bytes=echoed, released=bool(released), server_cpu_s=server_cpu,
                  server_cpu_us_per_request=server_cpu / result["requests"] * 1e6 if result["requests"] else None)
    if echoed != result["requests"] * size:
        raise RuntimeError(f"the server echoed {echoed} bytes for {result['requests']} requests of {size}")
    return result


def _watchdog(load: subprocess.Popen, port: int, served: threading.Event, released: list) -> None:
    if load.wait() == 0 and served.wait(GRACE_S):
        return
    released.append(True)
    for _ in range(CONNECTIONS):
        try:
            socket.create_connection((echoload.LOOPBACK, port), timeout=1).close()
        except OSError:
            pass
