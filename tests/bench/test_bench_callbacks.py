"""callbacks/s through ``call_soon``: a chain of K callbacks, each scheduling the next.

On our loops, asyncio and uvloop a callback scheduled *during* an iteration runs in
a later one, so the chain costs one loop iteration per callback: the loop's bare
per-iteration overhead (pick the ready callback, run it, come back) with nothing
else ready. Elsewhere the chain runs however that runtime's callback queue runs it
(trio's entry queue, the adapters' service tasks): that is what ``call_soon`` costs
there. The main task waits on one event, set by the last callback, so it is not
scheduled during the chain.

Fair across libraries: the same K and the same callback code everywhere, through
each adapter's ``call_soon``: the loop's own on our loops, asyncio and uvloop; trio's
``TrioToken.run_sync_soon`` (native: trio's public "run this plain function soon",
thread-safe, so each call takes a lock and pokes trio's wakeup socket: trio's real
cost); on curio and anyio, which have no plain callbacks, a callback-service task
(emulated, and ``extra_info["emulated"]`` says so). On our loops the completion
event is built from loop futures (emulated), used once per round. Rate:
``extra_info["ops_per_round"] / median`` = callbacks/s (one loop creation and
teardown included, amortised over K).
"""

from __future__ import annotations

from harness.profile import pick

K = pick(default=20_000, quick=5_000)


def test_call_soon_chain(rt, measure):
    async def main():
        done = rt.event()
        call_soon = rt.call_soon
        last = [0]

        def step(i):
            if i < K:
                call_soon(step, i + 1)
            else:
                last[0] = i
                done.set()

        call_soon(step, 1)
        await done.wait()
        return last[0]

    measure(group=f"call_soon chain (K={K})", uses=("call_soon", "event"), timed=("call_soon",),
            ops=K, unit="callbacks", run=lambda: rt.run(main), expect=K)
