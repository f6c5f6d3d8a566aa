"""The report generator, on saved data with every status, and on an empty run."""

import json
import re

import pytest

from harness.results import records as results
from harness.report.compare import compare, to_markdown
from harness.report.model import behaviour_rows, benchmark_rows, harness_rows, load_run
from harness.report.render import render

ENV = {"python": "3.11.7", "cpu": "Test CPU", "cpu_count": 2, "libraries": {"trio": "0.35.0"},
       "git_revision": "abc123", "profile": "quick"}


def rec(runtime, scenario, status, family="peer", **extra):
    kind = "latency" if scenario.split(".")[0] in ("latency", "scaling", "memory") else "behaviour"
    return {"schema": 1, "run_id": "t", "runtime": runtime, "family": family, "scenario": scenario,
            "group": scenario.split(".")[0], "kind": kind, "status": status, "doc": f"doc of {scenario}",
            "explain": f"why {scenario} differs", "env": ENV, **extra}


def handoff(value, spread=0.02):
    return {"handoff_us": {"median": value, "min": value * 0.99, "max": value * 1.01, "spread": spread}}


def chain(runtime, seconds, iqr=0.0001, **extra):
    """A micro-suite entry for the call_soon chain workload (20k callbacks per round)."""
    return {"group": "call_soon chain (N=20,000)", "name": f"test_workload[callbacks.call_soon_chain-{runtime}]",
            "stats": {"median": seconds, "iqr": iqr},
            "extra_info": {"runtime": runtime, "workload": "callbacks.call_soon_chain", "ops_per_round": 20_000,
                           **extra}}


def write_run(directory, records, benchmark=None):
    directory.mkdir(parents=True, exist_ok=True)
    for r in records:
        results.append(directory / "results.jsonl", r)
    (directory / "environment.json").write_text(json.dumps(ENV))
    if benchmark is not None:
        (directory / "benchmark.json").write_text(json.dumps(benchmark))
    return directory


@pytest.fixture
def run_dir(tmp_path):
    expected = ["hello", "bye"]
    records = [
        rec("heap", "timers.slides", "pass", "loopbench", expected=expected,
            outcomes=[{"trace": expected, "count": 5}], deterministic=True),
        rec("asyncio", "timers.slides", "pass", expected=expected, outcomes=[{"trace": expected, "count": 5}],
            deterministic=True),
        rec("trio", "timers.slides", "fail", expected=expected, deterministic=False,
            outcomes=[{"trace": ["bye", "hello"], "count": 3}, {"trace": expected, "count": 2}]),
        rec("heap", "coroutines.order", "observed", "loopbench", expected=None,
            outcomes=[{"trace": ["child"], "count": 5}], deterministic=True),
        rec("asyncio", "coroutines.order", "observed", expected=None,
            outcomes=[{"trace": ["parent"], "count": 5}], deterministic=True),
        rec("trio", "coroutines.order", "unsupported", reason="trio has no call_at"),
        rec("heap", "latency.switch_event", "observed", "loopbench", metrics=handoff(2.0)),
        rec("asyncio", "latency.switch_event", "observed", metrics=handoff(4.0, spread=0.3)),
        rec("trio", "latency.switch_event", "timeout", error="no result after 60 s"),
        rec("heap", "latency.sleep_lateness", "observed", "loopbench",
            metrics={"perf_counter_us": {"p50": 100.0, "p90": 200.0}, "samples_perf_us": [90.0, 100.0, 210.0] * 40}),
        rec("asyncio", "latency.sleep_lateness", "observed",
            metrics={"perf_counter_us": {"p50": 150.0, "p90": 300.0}, "samples_perf_us": [-20.0, 150.0, 300.0] * 40}),
        rec("trio", "latency.sleep_lateness", "error", error="ValueError: adapter bug", traceback="Traceback..."),
        rec("heap", "scaling.timers", "observed", "loopbench",
            metrics={"n": [100, 1000], "per_op_us": [1.0, 1.1], "slope": 0.04, "skipped": []}),
        rec("asyncio", "scaling.timers", "observed",
            metrics={"n": [100, 1000], "per_op_us": [2.0, 2.2], "slope": 0.05, "skipped": [10000],
                     "note": "stopped before N=10000"}),
    ]
    benchmark = {"benchmarks": [chain("heap", 0.01), chain("asyncio", 0.02, iqr=0.006),
                                chain("curio", 0.05, emulated=["call_soon"])]}
    return write_run(tmp_path / "run", records, benchmark)


def test_summary_ratios_are_against_asyncio_and_mark_the_best(run_dir):
    data = load_run(run_dir)
    rows = {r.measure.key: r for r in harness_rows(data.cells, data.runtimes) + benchmark_rows(data.benchmark,
                                                                                               data.runtimes)}
    call = rows["workload:callbacks.call_soon_chain"]
    assert call.cells["asyncio"].ratio == pytest.approx(1.0)
    assert call.cells["heap"].ratio == pytest.approx(2.0)                  # callbacks/s: twice asyncio's
    assert call.cells["heap"].best and not call.cells["asyncio"].best      # higher is better here
    assert call.noisy                                                      # asyncio's 30% spread
    # A harness-built operation is shown as such, never as a number, a ratio or a best.
    assert call.cells["curio"].status == "emulated" and call.cells["curio"].ratio is None
    hand = rows["switch_event"]
    assert hand.cells["heap"].best and hand.cells["heap"].ratio == pytest.approx(0.5)
    assert hand.cells["trio"].status == "timeout"
    late = rows["sleep_p90"]                    # latency as latency: µs, never a ratio of two tails
    assert late.cells["heap"].best and late.cells["heap"].value == 200.0 and late.cells["heap"].ratio is None
    assert late.cells["trio"].status == "error"


def test_behaviour_outcomes_are_lettered_with_the_expected_trace_as_a(run_dir):
    data = load_run(run_dir)
    rows = {b.scenario: b for b in behaviour_rows(data.cells, data.runtimes)}
    slides = rows["timers.slides"]
    assert slides.cells["heap"]["letters"] == "A 5/5" and slides.cells["asyncio"]["letters"] == "A 5/5"
    assert slides.cells["trio"]["letters"] == "B 3/5 A 2/5"
    assert [(o.letter, sorted(o.runtimes)) for o in slides.outcomes] == [
        ("A", ["asyncio", "heap", "trio"]), ("B", ["trio"])]
    order = rows["coroutines.order"]
    assert not order.agree and order.cells["trio"]["status"] == "unsupported"


def test_render_writes_markdown_html_and_plots_with_every_status(run_dir):
    written = render(run_dir)
    md = written["md"].read_text()
    html = written["html"].read_text()
    for text in ("pass", "fail", "observed", "unsupported", "error", "timeout", "Noisy run",
                 "why coroutines.order differs", "Test CPU", "0.35.0", "stopped before N=10000"):
        assert text in md, text
    assert "**2.00" in md                                   # heap's call_soon ratio, best, bold
    assert "| built |" in md                                # curio's emulated call_soon, not a number
    assert "did not complete" in md and "adapter bug" in md
    for png in ("latency.sleep_lateness.png", "scaling.timers.png", "throughput.png"):
        assert (run_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in md
    # Self-contained: every image is inline, nothing is fetched from elsewhere.
    assert html.count('src="data:image/png;base64,') == 3
    assert not re.search(r'(src|href)="(?!data:|#)', html)   # in-page links only
    assert "call_soon chain (N=20,000)" in md               # the workload's row


def test_an_empty_run_still_renders_a_report(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    written = render(empty)
    assert "no results" in written["md"].read_text()
    assert "no results" in written["html"].read_text()


def test_compare_flags_only_changes_beyond_noise(tmp_path):
    a = write_run(tmp_path / "a", [rec("heap", "latency.switch_event", "observed", "loopbench", metrics=handoff(3.0)),
                                   rec("asyncio", "latency.switch_event", "observed", metrics=handoff(3.0))])
    b = write_run(tmp_path / "b", [rec("heap", "latency.switch_event", "observed", "loopbench", metrics=handoff(2.0)),
                                   rec("asyncio", "latency.switch_event", "observed", metrics=handoff(3.06))])
    comparison = compare(a, b)
    by_rt = {c.runtime: c for c in comparison.changes}
    assert by_rt["heap"].ratio == pytest.approx(2 / 3) and by_rt["heap"].verdict == "better"
    assert by_rt["asyncio"].verdict == "within noise"
    assert "**better**" in to_markdown(comparison)


def test_early_firings_are_tabled_per_runtime_by_both_clocks(tmp_path):
    lateness = {"perf_counter_us": {"n": 3, "min": -850.0, "p50": 10.0, "p99": 90.0},
                "runtime_clock_us": {"n": 3, "min": 0.0}, "early_perf_counter": 2, "early_runtime_clock": 0}
    run = write_run(tmp_path / "run", [
        rec("uvloop", "deadlines.lateness", "observed", metrics=lateness),
        rec("heap", "deadlines.lateness", "observed", "loopbench",
            metrics={**lateness, "perf_counter_us": {"n": 3, "min": 80.0}, "early_perf_counter": 0})])
    md = render(run)["md"].read_text()
    assert "## Early firings" in md
    assert "| `deadlines.lateness` | uvloop | -850 | **2/3** | 0 | 0/3 |" in md
    assert "| `deadlines.lateness` | heap | 80 | 0/3 |" in md


def test_the_report_answers_first_with_what_to_choose_then_what_to_know(run_dir):
    md = render(run_dir)["md"].read_text()
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert sections[:2] == ["## What to choose", "## What to know"]
    what = md.split("## What to know", 1)[1].split("\n## ", 1)[0]
    assert "Fastest on **call_soon chain" in what and "**heap**" in what     # its clear winner
    assert "(evidence](#summary)" in what.replace("[evidence]", "(evidence]")
    assert "Status counts" not in md                                        # no scorecard
    assert "## The runtimes" in md and "**trio**" in md.split("## The runtimes", 1)[1]
    html = (run_dir / "report.html").read_text()
    assert html.index('id="what-to-know"') < html.index('id="summary"')
    assert 'id="differences"' in html and "why coroutines.order differs" in html


def test_plot_names_from_records_stay_inside_the_run_directory(tmp_path):
    samples = {"perf_counter_us": {"p50": 1.0, "p99": 2.0}, "samples_perf_us": [1.0, 2.0]}
    outside = [str(tmp_path / "absolute"), "../escaped", "..", "a/../../b"]
    run = write_run(tmp_path / "run", [rec("heap", name, "observed", "loopbench", metrics=samples)
                                       for name in outside + ["latency.odd/name"]])
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.warns(UserWarning, match="no plot for the scenario"):
        written = render(run)
    assert sorted(p.name for p in tmp_path.iterdir()) == before            # nothing written beside the run
    assert not list((tmp_path / "run").glob("**/*/*"))                      # nor below it
    assert (run / "latency.odd_name.png").exists()
    assert all(path.resolve().parent == run.resolve() for path in written.values())


def test_markup_in_an_error_message_is_shown_as_text(tmp_path):
    message = "RuntimeError: <script>alert('x')</script> | *bold* [link](http://x)"
    run = write_run(tmp_path / "run", [rec("heap", "timers.slides", "error", "loopbench", error=message),
                                       rec("asyncio", "timers.slides", "pass", expected=["a"],
                                           outcomes=[{"trace": ["a"], "count": 1}])])
    written = render(run)
    md, html = written["md"].read_text(), written["html"].read_text()
    for text in (md, html):
        assert "<script>" not in text and "&lt;script&gt;" in text
    line = next(line for line in md.splitlines() if "alert" in line)
    assert r"\*bold\*" in line and r"\[link\]" in line and r"\|" in line


def test_runs_of_different_profiles_are_not_compared(tmp_path):
    quick = write_run(tmp_path / "a", [rec("heap", "latency.switch_event", "observed", metrics=handoff(1))])
    default_env = dict(ENV, profile="default")
    b = write_run(tmp_path / "b", [dict(rec("heap", "latency.switch_event", "observed", metrics=handoff(1)),
                                        env=default_env)])
    (b / "environment.json").write_text(json.dumps(default_env))
    with pytest.raises(Exception, match="quick profile .* default profile") as refused:
        compare(quick, b)
    assert type(refused.value) is results.RunDirError


def test_the_two_generator_loops_are_put_side_by_side(tmp_path):
    run = write_run(tmp_path / "run", [rec("trampoline", "timers.slides", "pass", "loopbench", expected=["a"],
                                           outcomes=[{"trace": ["a"], "count": 1}]),
                                       rec("tinyio", "timers.slides", "unsupported", reason="no call_at")],
                    {"benchmarks": [chain("asyncio", 0.02), chain("trampoline", 0.01), chain("tinyio", 0.04)]})
    md = render(run)["md"].read_text()
    section = md.split("## The two generator loops: trampoline and tinyio", 1)[1].split("\n## ", 1)[0]
    assert "| call_soon chain (N=20,000): callbacks/s | 2.00× | 0.50× |" in section
    assert "| cancellation |" in section and "whole loop" in section


def test_differences_show_each_outcome_once_and_fold_the_rest(tmp_path):
    """A randomising scheduler's many orders: the first few in line, the rest folded in one
    line naming who gave them; a long trace folded; a cell says how many outcomes in how many runs."""
    many = [{"trace": [i, "x"], "count": 1} for i in range(7)]
    long_trace = ["a-long-event-name"] * 20
    run = write_run(tmp_path / "run", [
        rec("heap", "coroutines.order", "observed", "loopbench", expected=None, deterministic=True,
            outcomes=[{"trace": long_trace, "count": 7}]),
        rec("trio", "coroutines.order", "observed", expected=None, deterministic=False, outcomes=many)])
    written = render(run)
    md, html = written["md"].read_text(), written["html"].read_text()
    assert "observed 7 outcomes in 7 runs" in md and "observed A 7/7" in md
    section = md.split('<a id="differences"></a>', 1)[1]
    assert "<details><summary>4 more outcomes, from trio</summary>" in section
    assert "<details><summary>the long traces in full</summary>" in section
    assert section.count('"a-long-event-name"') == 4 + 20                # cut in line, whole when unfolded
    assert "<details><summary>4 more outcomes, from trio</summary>" in html


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_markdown_and_html_carry_the_same_numbers_section_by_section(run_dir):
    """Both files are rendered from the same blocks: every section shows the same numbers."""
    import html as html_lib

    written = render(run_dir)
    md, page = written["md"].read_text(), written["html"].read_text()
    anchors = re.findall(r'<section id="([\w-]+)">', page)
    assert {"what-to-know", "summary", "behaviour", "environment"} <= set(anchors)
    for anchor in anchors:
        md_part = md.split(f'<a id="{anchor}"></a>', 1)[1].split('\n<a id="', 1)[0]
        html_part = page.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]
        html_text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html_part))
        md_text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", md_part)             # an image: the HTML embeds it
        md_text = re.sub(r"(?m)^\d+\. ", "", md_text)                       # an ordered list's own numbers
        assert _numbers(md_text) == _numbers(html_text), anchor
        assert _numbers(md_text) or anchor in ("plots", "differences"), f"{anchor} shows no number at all"
