"""Contract clause 4: an exception in a callback goes to the handler; the loop goes on."""

import logging

import pytest

from impls.conformance.helpers import run_soon

pytestmark = pytest.mark.contract(4)


class Boom(Exception):
    pass


def boom():
    raise Boom("in a callback")


def test_exception_in_a_callback_goes_to_the_handler_and_the_others_still_run(loop, errors):
    ran = []
    run_soon(loop, lambda: ran.append("before"), boom, lambda: ran.append("after"))
    assert ran == ["before", "after"]
    assert len(errors) == 1
    assert isinstance(errors[0]["exception"], Boom)
    assert "message" in errors[0]


def test_exception_in_a_timer_callback_goes_to_the_handler(loop, errors):
    ran = []
    loop.call_later(1, boom)
    loop.call_later(1, ran.append, "next timer")
    loop.call_later(2, loop.stop)
    loop.run_forever()
    assert ran == ["next timer"]
    assert [type(c["exception"]) for c in errors] == [Boom]


def test_the_loop_survives_many_failing_callbacks(loop, errors):
    ran = []
    for i in range(50):
        loop.call_soon(boom)
        loop.call_soon(ran.append, i)
    run_soon(loop)
    assert ran == list(range(50))
    assert len(errors) == 50


def test_default_handler_logs_the_error_with_its_traceback(loop, caplog):
    with caplog.at_level(logging.ERROR, logger="impls"):
        run_soon(loop, boom)
    records = [r for r in caplog.records if r.exc_info]
    assert len(records) == 1
    assert records[0].exc_info[0] is Boom
    assert "boom" in caplog.text            # the traceback names the failing function


def test_setting_the_handler_to_none_restores_the_default(loop, caplog):
    loop.set_exception_handler(lambda loop, ctx: None)
    loop.set_exception_handler(None)
    with caplog.at_level(logging.ERROR, logger="impls"):
        run_soon(loop, boom)
    assert any(r.exc_info and r.exc_info[0] is Boom for r in caplog.records)


def test_a_failing_handler_is_logged_and_the_loop_goes_on(loop, caplog):
    def bad_handler(loop, context):
        raise RuntimeError("handler is broken")

    loop.set_exception_handler(bad_handler)
    ran = []
    with caplog.at_level(logging.ERROR, logger="impls"):
        run_soon(loop, boom, lambda: ran.append("after"))
    assert ran == ["after"]
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


def test_handler_receives_the_loop(loop):
    seen = []
    loop.set_exception_handler(lambda lp, ctx: seen.append(lp))
    run_soon(loop, boom)
    assert seen == [loop]


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_are_not_swallowed(loop, exc_type):
    def interrupt():
        raise exc_type()

    loop.call_soon(interrupt)
    with pytest.raises(exc_type):
        loop.run_forever()
    assert not loop.is_running()
    ran = []
    run_soon(loop, lambda: ran.append("usable again"))
    assert ran == ["usable again"]


@pytest.mark.parametrize("escaping", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_or_system_exit_escapes_and_the_rest_of_the_batch_runs_next_time(loop, escaping):
    """They stop the loop, as in asyncio; what was ready with them (due timers too) is kept."""
    ran = []

    def interrupt():
        ran.append("interrupt")
        raise escaping()

    loop.call_soon(ran.append, "before")
    loop.call_soon(interrupt)
    loop.call_soon(ran.append, "after")
    loop.call_at(0, ran.append, "due timer")          # due in the same iteration: same batch
    loop.call_at(5, ran.append, "later timer")
    with pytest.raises(escaping):
        loop.run_forever()
    assert ran == ["before", "interrupt"]
    loop.call_soon(ran.append, "next run")
    loop.call_at(6, loop.stop)
    loop.run_forever()
    assert ran == ["before", "interrupt", "after", "due timer", "next run", "later timer"]


class Nameless:
    """A callable whose every name lookup raises: its ``__repr__``, and ``__qualname__``
    and ``__name__`` (reached through ``__getattr__``, which raises, not AttributeError)."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.fails:
            raise Boom("in a nameless callback")

    def __getattr__(self, name):
        raise RuntimeError(f"looking up {name} fails")

    def __repr__(self) -> str:
        raise RuntimeError("repr fails")


@pytest.mark.parametrize("traced", [False, True], ids=["untraced", "traced"])
def test_a_callback_whose_name_cannot_be_looked_up_is_reported_not_fatal(loop, errors, traced):
    """The loop names a callback in the error it reports (and to a tracer). A name
    lookup that raises must not escape run_forever (asyncio's handle repr would: it
    crashes there): the error still reaches the handler, the other callbacks run."""
    if traced:
        if not hasattr(loop, "set_tracer"):
            pytest.skip(f"the {loop.name} loop has no tracer hook")
        events = []

        class Recorder:
            def event(self, event):
                events.append(repr(event))            # a tracer that formats what it is told

        loop.set_tracer(Recorder())
    failing, fine = Nameless(fails=True), Nameless(fails=False)
    ran = []
    loop.call_soon(failing)
    loop.call_soon(fine)
    loop.call_later(1, fine)
    loop.call_soon(ran.append, "after")
    loop.call_later(2, loop.stop)
    loop.run_forever()
    assert ran == ["after"]
    assert failing.calls == 1 and fine.calls == 2
    assert [type(context["exception"]) for context in errors] == [Boom]
    assert isinstance(errors[0]["message"], str)
