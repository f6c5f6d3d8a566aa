"""The registry and the protocol's shape."""

import pytest

import impls


def test_the_four_builtins_are_registered_first():
    assert impls.names()[:4] == ["list", "heap", "thread", "trampoline"]


def test_heap_and_thread_declare_threadsafe():
    for name in ("heap", "thread"):
        loop = impls.create(name)
        try:
            assert "threadsafe" in loop.capabilities
        finally:
            loop.close()


def test_create_without_a_clock_uses_the_real_monotonic_clock(impl):
    loop = impls.create(impl)
    try:
        assert isinstance(loop.clock, impls.MonotonicClock)
    finally:
        loop.close()


def test_create_of_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="heap"):
        impls.create("no-such-loop")


def test_register_and_unregister_a_local_implementation():
    from impls.heap_loop import HeapLoop

    class MyLoop(HeapLoop):
        name = "mine"

    impls.register("mine", MyLoop)
    try:
        assert "mine" in impls.names()
        loop = impls.create("mine", clock=impls.VirtualClock())
        assert loop.run_until_complete(loop.sleep(5, result="ok")) == "ok"
        loop.close()
        with pytest.raises(ValueError, match="already registered"):
            impls.register("mine", lambda clock=None: None)
    finally:
        impls.unregister("mine")
    assert "mine" not in impls.names()


@pytest.mark.parametrize("name", ["", "has space", 3])
def test_register_rejects_bad_names(name):
    with pytest.raises(ValueError):
        impls.register(name, lambda clock=None: None)


def test_register_rejects_a_non_callable_factory():
    with pytest.raises(TypeError):
        impls.register("x", "not a factory")


def test_virtual_clock_moves_only_when_told():
    clock = impls.VirtualClock(start=5)
    assert clock.time() == 5.0
    clock.advance(1.5)
    assert clock.time() == 6.5
    clock.jump_to(3)                      # never backwards
    assert clock.time() == 6.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance(float("nan"))


@pytest.mark.parametrize("start", [float("nan"), float("inf"), -float("inf")])
def test_a_virtual_clock_refuses_a_start_that_is_not_a_finite_time(start):
    with pytest.raises(ValueError, match="start"):
        impls.VirtualClock(start)


@pytest.mark.parametrize("start", ["0", None, [0], True])
def test_a_virtual_clock_refuses_a_start_that_is_not_a_number(start):
    with pytest.raises(TypeError, match="start"):
        impls.VirtualClock(start)


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), -1, -float("inf")])
def test_advance_refuses_what_is_not_a_finite_non_negative_time_and_keeps_the_time(seconds):
    clock = impls.VirtualClock(5)
    with pytest.raises(ValueError, match="advance"):
        clock.advance(seconds)
    assert clock.time() == 5.0
    with pytest.raises(TypeError, match="advance"):
        clock.advance("1")
    clock.advance(1)
    assert clock.time() == 6.0


def test_advance_refuses_a_step_that_overflows_to_infinity():
    clock = impls.VirtualClock(1e308)
    with pytest.raises(ValueError, match="advance"):
        clock.advance(1e308)
    assert clock.time() == 1e308


def test_the_readme_lists_the_contract_clause_by_clause_as_the_protocol_does():
    import pathlib
    import re

    from impls.protocol import CONTRACT

    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```text\n0. Shape", 1)[1].split("```", 1)[0]
    listed = re.split(r"\n(?=\d+\. )", "0. Shape" + block.rstrip())
    clauses = {int(item.split(". ", 1)[0]): " ".join(item.split(". ", 1)[1].split()) for item in listed}
    assert clauses == CONTRACT
