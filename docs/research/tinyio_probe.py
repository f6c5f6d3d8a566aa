"""Small checks of tinyio's behaviour, each printing what tinyio did (docs/research/tinyio.md cites them).

Run: ``.venv/bin/python docs/research/tinyio_probe.py`` (about 2.5 s: check 3 waits out a 2 s sleep).

1. ``yield [..]`` waits for all, in list order; ``yield {..}`` starts in the set's order.
2. An error in one coroutine: what the others and ``Loop.run`` see.
3. ``tinyio.timeout`` on a coroutine asleep for 2 s: when does the run end?
4. 100 sleeps towards one shared wake-up time: wake order (inversions counted).
5. Event waiters started from a set: wake order.
6. A free Lock / a set Event: does the holder yield to a sibling?
7. A coroutine with no yield (``return`` before ``if False: yield``).
8. ``Loop.run`` waits for background coroutines after the root returns.
9. An error in the root while a background coroutine sleeps.
10. A coroutine that swallows tinyio.CancelledError.
"""
import time, tinyio, warnings

def child(k, log):
    log.append(("start", k)); yield; log.append(("end", k)); return k

# 1. list = gather; set = background; order
def main1():
    log = []
    r = yield [child(k, log) for k in range(5)]
    print("list result", r, "order", [k for s, k in log if s == "start"])
    log.clear()
    cs = [child(k, log) for k in range(10)]
    yield set(cs)
    yield
    print("set spawn order", [k for s, k in log if s == "start"])
    r = yield cs            # join them all (already seen)
    print("joined", r)
tinyio.Loop().run(main1())

# 2. child error crashes the loop
def bad():
    yield tinyio.sleep(0.01); raise ValueError("boom")
def sleeper(log):
    try:
        yield tinyio.sleep(1)
    except BaseException as e:
        log.append(type(e).__name__); raise
def main2(log):
    try:
        yield [bad(), sleeper(log)]
    except BaseException as e:
        log.append(("main got", type(e).__name__)); raise
log = []
try:
    tinyio.Loop().run(main2(log))
except BaseException as e:
    print("run raised", type(e).__name__, e, log)

# 3. timeout on a long sleeper: how long does the loop take?
def long():
    try:
        yield tinyio.sleep(2)
    except BaseException as e:
        print("  long got", type(e).__name__); raise
def main3():
    out = yield tinyio.timeout(long(), 0.05)
    print("  timeout result", out, "at", round(time.monotonic() - t0, 3))
t0 = time.monotonic()
tinyio.Loop().run(main3())
print("timeout run ended after", round(time.monotonic() - t0, 3))

# 4. equal sleep deadlines: wake order
def s(k, log, until):
    yield tinyio.sleep(until - time.monotonic()); log.append(k)
def main4():
    log = []
    until = time.monotonic() + 0.02
    yield [s(k, log, until) for k in range(100)]
    inv = sum(1 for i in range(len(log)) for j in range(i+1, len(log)) if log[i] > log[j])
    print("same-deadline wake, inversions", inv, log[:15])
tinyio.Loop().run(main4())
# 4b: exactly equal timeout floats: use Event.wait with the same timeout, registered same time? (timeouts = monotonic()+t at register)

# 5. Event waiters order
def w(k, ev, log):
    yield ev.wait(); log.append(k)
def main5():
    ev = tinyio.Event(); log = []
    cs = [w(k, ev, log) for k in range(10)]
    yield set(cs)
    yield tinyio.sleep(0.01)
    ev.set()
    yield cs
    print("event wake order", log)
tinyio.Loop().run(main5())

# 6. free lock / set event fast path: does it yield?
def other(steps):
    for i in range(3):
        steps.append(f"B{i}"); yield
def main6():
    lock = tinyio.Lock(); ev = tinyio.Event(); ev.set()
    steps = []; o = other(steps)
    yield {o}
    for i in range(3):
        with (yield lock()):
            steps.append(f"A{i}")
    yield o
    print("free lock:", " ".join(steps))
    steps = []; o = other(steps)
    yield {o}
    for i in range(3):
        yield ev.wait(); steps.append(f"A{i}")
    yield o
    print("set event:", " ".join(steps))
tinyio.Loop().run(main6())

# 7. a coroutine that never yields: "if False: yield"
def instant():
    return 1
    yield
print("instant", tinyio.Loop().run(instant()))

# 8. loop waits for background coroutines
def bg():
    yield tinyio.sleep(0.1)
def main8():
    yield {bg()}
    return "main done"
t0 = time.monotonic()
print(tinyio.Loop().run(main8()), "run took", round(time.monotonic() - t0, 3))

# 9. exception in main with sleeping bg: run raises what?
def main9():
    yield {sleeper([])}
    yield
    raise KeyError("k")
try:
    tinyio.Loop().run(main9())
except BaseException as e:
    print("main9 raised", type(e).__name__)

# 10. swallowing CancelledError
def swallow():
    try:
        yield tinyio.sleep(1)
    except tinyio.CancelledError:
        pass
    yield tinyio.sleep(0.01)
def main10():
    yield {swallow()}
    yield
    raise KeyError("x")
with warnings.catch_warnings(record=True) as ws:
    warnings.simplefilter("always")
    try:
        tinyio.Loop().run(main10())
    except BaseException as e:
        print("main10 raised", type(e).__name__, [str(w.message)[:80] for w in ws])
