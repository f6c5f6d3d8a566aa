"""Contract clause 2: deadline order, FIFO among equal deadlines, never early."""

import random

import pytest

pytestmark = pytest.mark.contract(2)


def fire_log(loop):
    log = []

    def fire(label, when):
        log.append((label, when, loop.time()))

    return log, fire


def test_timers_fire_in_deadline_order(loop):
    log, fire = fire_log(loop)
    deadlines = random.Random(1234).sample(range(1, 500), 60)
    for i, d in enumerate(deadlines):
        loop.call_at(d / 10, fire, i, d / 10)
    loop.call_at(100, loop.stop)
    loop.run_forever()
    assert [when for _, when, _ in log] == sorted(d / 10 for d in deadlines)


def test_equal_deadlines_fire_in_scheduling_order(loop):
    log, fire = fire_log(loop)
    for i in range(50):
        if i % 2:
            loop.call_at(2.0, fire, i, 2.0)
        else:
            loop.call_later(2.0, fire, i, 2.0)   # same deadline: time() is 0.0 on the virtual clock
    loop.call_at(3, loop.stop)
    loop.run_forever()
    assert [label for label, _, _ in log] == list(range(50))


def test_equal_deadlines_armed_later_from_callbacks_still_fire_after_earlier_ones(loop):
    log, fire = fire_log(loop)
    loop.call_at(5, fire, "a", 5)

    def arm_more():
        loop.call_at(5, fire, "c", 5)
        loop.call_at(5, fire, "d", 5)

    loop.call_at(1, arm_more)
    loop.call_at(5, fire, "b", 5)
    loop.call_at(6, loop.stop)
    loop.run_forever()
    assert [label for label, _, _ in log] == ["a", "b", "c", "d"]


def test_a_timer_never_fires_before_its_deadline(loop):
    log, fire = fire_log(loop)
    rng = random.Random(7)
    for i in range(200):
        when = rng.uniform(0, 10)
        loop.call_at(when, fire, i, when)
    loop.call_at(11, loop.stop)
    loop.run_forever()
    assert len(log) == 200
    assert all(fired >= when for _, when, fired in log)


def test_a_timer_never_fires_early_on_the_real_clock(real_loop):
    loop = real_loop
    log, fire = fire_log(loop)
    start = loop.time()
    for i, delay in enumerate([0.004, 0.001, 0.003, 0.002, 0.0]):
        handle = loop.call_later(delay, fire, i, None)
        log.append(("armed", handle.when(), start))
    loop.call_later(0.01, loop.stop)
    loop.run_forever()
    armed = {i: when for i, (tag, when, _) in enumerate(log[:5])}
    fired = [(label, fired_at) for label, _, fired_at in log[5:]]
    assert [label for label, _ in fired] == [4, 1, 3, 2, 0]
    assert all(fired_at >= armed[label] for label, fired_at in fired)


def test_call_later_deadline_is_time_plus_delay(loop, clock):
    clock.advance(10)
    timer = loop.call_later(2.5, lambda: None)
    assert timer.when() == 12.5
    assert loop.call_at(3, lambda: None).when() == 3.0


@pytest.mark.parametrize("delay", [-5, -0.001, 0])
def test_non_positive_delays_fire_at_the_next_iteration(loop, delay):
    fired = []
    loop.call_later(delay, fired.append, delay)
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert fired == [delay]


def test_a_deadline_in_the_past_fires_at_the_next_iteration(loop, clock):
    clock.advance(100)
    fired = []
    loop.call_at(1, fired.append, "late")
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert fired == ["late"]


def test_idle_loop_jumps_virtual_time_to_the_next_deadline(loop):
    async def main():
        await loop.sleep(3600)            # would take an hour on a real clock
        return loop.time()

    assert loop.run_until_complete(main()) >= 3600


def test_the_slides_example(loop):
    """Slides: call_at(1, hello_world), call_at(5, exit), call_at(2, good_bye)."""
    output = []
    loop.call_at(1, output.append, "Hello World!")
    loop.call_at(5, loop.stop)
    loop.call_at(2, output.append, "Good bye.")
    loop.run_forever()
    assert output == ["Hello World!", "Good bye."]
    assert loop.time() >= 5
