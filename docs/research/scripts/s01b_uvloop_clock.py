"""uvloop loop.time(): step distribution and lag vs time.monotonic()."""
import asyncio, time, collections
import uvloop
async def main():
    loop = asyncio.get_running_loop()
    prev = loop.time(); steps = collections.Counter(); lags = []
    t_end = time.monotonic() + 0.3
    while time.monotonic() < t_end:
        v = loop.time(); lags.append(time.monotonic() - v)
        if v != prev:
            steps[round(v - prev, 6)] += 1; prev = v
    print("step sizes (s):count", dict(steps))
    print("lag monotonic-loop.time(): min %.6f max %.6f" % (min(lags), max(lags)))
    print("clock_getres(CLOCK_MONOTONIC_COARSE) =", time.clock_getres(time.CLOCK_MONOTONIC_COARSE) if hasattr(time,'CLOCK_MONOTONIC_COARSE') else 'n/a')
with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
    r.run(main())
