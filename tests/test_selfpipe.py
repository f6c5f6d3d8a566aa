"""The self-pipe the list, heap and thread loops are woken through (``impls/selfpipe.py``)."""

import select
import threading

from impls.selfpipe import SelfPipe


def readable(pipe, timeout=0):
    return select.select([pipe], [], [], timeout)[0] == [pipe]


def test_a_poke_from_another_thread_wakes_a_wait_and_a_drain_quiets_it():
    pipe = SelfPipe()
    try:
        assert not readable(pipe)
        threading.Thread(target=pipe.poke).start()
        assert readable(pipe, timeout=30)
        pipe.drain()
        assert not readable(pipe)
    finally:
        pipe.close()


def test_pokes_into_a_full_buffer_are_dropped_and_one_drain_reads_them_all():
    pipe = SelfPipe()
    try:
        for _ in range(10_000):       # far beyond a socket buffer (a few hundred one-byte sends)
            pipe.poke()
        assert readable(pipe)
        pipe.drain()
        assert not readable(pipe)
    finally:
        pipe.close()


def test_close_closes_both_ends_and_a_late_poke_is_no_error():
    pipe = SelfPipe()
    pipe.close()
    assert pipe.closed
    pipe.poke()
