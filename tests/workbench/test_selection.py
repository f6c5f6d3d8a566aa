"""Choosing scenarios and runtimes by name: exact names, groups, globs, -k expressions, suggestions."""

import pytest

from harness.cli.selection import SelectionError, keyword_filter, match_names, select_scenarios

NAMES = ["timers.slides", "timers.order", "timers.slides_cancel", "callbacks.fifo", "latency.sleep_lateness"]


@pytest.mark.parametrize("patterns, picked", [
    (["timers.slides"], ["timers.slides"]),
    (["timers"], ["timers.slides", "timers.order", "timers.slides_cancel"]),
    (["timers."], ["timers.slides", "timers.order", "timers.slides_cancel"]),
    (["timers.*"], ["timers.slides", "timers.order", "timers.slides_cancel"]),
    (["*lateness"], ["latency.sleep_lateness"]),
    (["timers.slides*", "callbacks"], ["timers.slides", "timers.slides_cancel", "callbacks.fifo"]),
    (["callbacks", "timers.order", "callbacks.fifo"], ["callbacks.fifo", "timers.order"]),
    (["timers.[o]*"], ["timers.order"]),
])
def test_patterns_pick_exact_names_groups_and_globs(patterns, picked):
    assert match_names(patterns, NAMES) == picked


@pytest.mark.parametrize("pattern, hint", [
    ("timers.slide", "did you mean 'timers.slides'"),
    ("timer", "did you mean 'timers'"),
    ("callback.fifo", "did you mean 'callbacks.fifo'"),
])
def test_a_pattern_that_picks_nothing_is_an_error_with_the_closest_names(pattern, hint):
    with pytest.raises(SelectionError, match=hint):
        match_names(["timers.slides", pattern], NAMES, "scenario")


def test_no_suggestion_when_nothing_is_close():
    with pytest.raises(SelectionError) as caught:
        match_names(["zzzzzz.*"], NAMES, "scenario")
    assert "did you mean" not in str(caught.value) and "'zzzzzz.*'" in str(caught.value)


@pytest.mark.parametrize("expression, picked", [
    ("slides", ["timers.slides", "timers.slides_cancel"]),
    ("SLIDES", ["timers.slides", "timers.slides_cancel"]),
    ("timers and not slides", ["timers.order"]),
    ("fifo or order", ["timers.order", "callbacks.fifo"]),
    ("not (timers or latency)", ["callbacks.fifo"]),
    ("timers and (cancel or order)", ["timers.order", "timers.slides_cancel"]),
    ("not not fifo", ["callbacks.fifo"]),
])
def test_keyword_expressions_work_as_pytest_k(expression, picked):
    test = keyword_filter(expression)
    assert [n for n in NAMES if test(n)] == picked


@pytest.mark.parametrize("expression", ["", "   ", "timers and", "(timers", "timers)", "and timers",
                                        "not", "timers or or fifo", "()"])
def test_a_keyword_expression_that_does_not_parse_is_an_error(expression):
    with pytest.raises(SelectionError):
        keyword_filter(expression)


def test_select_scenarios_combines_patterns_keyword_and_quick():
    chosen = select_scenarios(["timers"], "not slides")
    assert chosen and all(s.group == "timers" and "slides" not in s.name for s in chosen)
    quick = select_scenarios(["timers.*"], quick=True)
    assert quick and all(s.quick for s in quick)
    with pytest.raises(SelectionError, match="no scenario matches timers and -k 'zzzz'"):
        select_scenarios(["timers"], "zzzz")
