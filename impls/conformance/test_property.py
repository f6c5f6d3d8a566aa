"""Property: random scheduling programs fire in exactly the reference model's order.

Hypothesis generates programs of call_soon / call_later / call_at / cancel, with
callbacks that schedule and cancel more when they run; each implementation, on a
virtual clock, must produce the model's log: the same callbacks, in the same
order, at the same virtual times. See ``model.py`` for what the model simulates.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impls
from impls.conformance.model import Model, run_on_loop

pytestmark = pytest.mark.contract(7)

delays = st.sampled_from([-1.0, 0.0, 0.0, 0.5, 1.0, 1.0, 2.5])
deadlines = st.sampled_from([0.0, 1.0, 1.0, 2.0, 3.5])


def actions(children):
    return st.one_of(
        st.tuples(st.just("soon"), children),
        st.tuples(st.just("later"), delays, children),
        st.tuples(st.just("at"), deadlines, children),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
    )


leaf = actions(st.just([]))
action = st.recursive(leaf, lambda inner: actions(st.lists(inner, max_size=3)), max_leaves=25)
programs = st.lists(action, max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs)
def test_firing_order_matches_the_reference_model(impl, program):
    expected = Model().run(program)
    loop = impls.create(impl, clock=impls.VirtualClock())
    try:
        assert run_on_loop(loop, program) == expected
    finally:
        loop.close()


def test_the_model_itself_on_a_known_program():
    """Guard the model: the slides' example and a nested soon/cancel case, by hand."""
    program = [
        ("at", 1.0, []),                       # 0: hello
        ("at", 5.0, []),                       # 1: exit
        ("at", 2.0, [("soon", []), ("cancel", 1)]),   # 2: good-bye; schedules 3, cancels 1
    ]
    assert Model().run(program) == [(0, 1.0), (2, 2.0), (3, 2.0)]
