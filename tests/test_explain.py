"""``loopbench explain``: the walk-throughs' frames, the terminal view, the HTML page.

The slides' example must come out as the talk draws it: the three ``call_at`` frames,
then the due timers moving to the callbacks, then "Hello World! Good bye.". The HTML
page is driven in a real headless chromium (Selenium + chromedriver).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

import impls
from harness.cli.main import main as loopbench
from harness.explain import explain, names
from harness.explain.html import write_html
from harness.explain.terminal import show

CODE = [".call_at(1, hello_world)", ".call_at(5, exit)", ".call_at(2, good_bye)", "clock.advance(2)",
        ".run_forever()"]
OUT = ["Hello World!", "Good bye."]


def slides_frames(iteration: str) -> list[tuple]:
    """The slides' frames as (code, timers, callbacks, output); ``iteration``: the loop's step."""
    run = CODE + [f"  {iteration}"]
    idle = CODE + ["  (idle: nothing is ready)"]
    three = ["(1, hello_world)", "(5, exit)", "(2, good_bye)"]
    return [
        (CODE[:1], three[:1], [], []),
        (CODE[:2], three[:2], [], []),
        (CODE[:3], three, [], []),
        (CODE[:4], three, [], []),
        (run, ["(5, exit)"], ["hello_world()", "good_bye()"], []),      # execute_timers()
        (run, ["(5, exit)"], ["good_bye()"], OUT[:1]),
        (run, ["(5, exit)"], [], OUT),                                   # the slides' last frame
        (idle, ["(5, exit)"], [], OUT),                                  # time jumps to 5
        (run, [], ["exit()"], OUT),
        (run, [], [], OUT),
    ]


@pytest.mark.parametrize("impl, iteration", [("list", ".execute_timers()"), ("heap", "._run_once()")])
def test_the_slides_walkthrough_draws_the_slides_frames(impl, iteration):
    walk = explain("slides", impl)
    assert walk.traced
    got = [tuple(list(box) for box in f.boxes()) for f in walk.frames]
    assert got == [tuple(f) for f in slides_frames(iteration)]
    assert " ".join(walk.frames[-1].output) == "Hello World! Good bye."
    assert [f.step for f in walk.frames] == list(range(1, 11))
    assert [f.time for f in walk.frames] == [0, 0, 0, 2, 2, 2, 2, 5, 5, 5]


def test_the_list_loop_shows_its_scan_and_the_heap_loop_does_not():
    listed, heaped = explain("timers", "list"), explain("timers", "heap")
    assert listed.frames[-1].timers_note == "execute_timers() looks at every timer: 1 now, 6 so far"  # 3 + 2 + 1
    assert all(f.timers_note == "" for f in heaped.frames)
    assert [f.output for f in listed.frames] == [f.output for f in heaped.frames]


@pytest.mark.parametrize("impl", impls.names())
@pytest.mark.parametrize("walkthrough", names())
def test_every_walkthrough_runs_on_every_implementation(walkthrough, impl):
    walk = explain(walkthrough, impl)
    loop = impls.create(impl, clock=impls.VirtualClock())
    capabilities = loop.capabilities
    loop.close()
    needs = {"generators": "generators", "io": "io"}.get(walkthrough)
    if needs and needs not in capabilities:
        assert not walk.supported and len(walk.frames) == 1
        assert "not supported" in walk.frames[0].caption
        return
    assert walk.supported and walk.traced and len(walk.frames) >= 4
    final = {"callbacks": ["Hello World!"], "timers": OUT, "slides": OUT,
             "generators": ["child returned 42", "yield from returned 42"],
             "coroutine": ["Hello", "World"],
             "tasks": ["main waits for worker", "worker done at 2.0", "worker returned 20"],
             "io": ["Hello World!"]}[walkthrough]
    assert walk.frames[-1].output == final
    assert walk.frames[-1].callbacks == [] and walk.frames[-1].waiting == []


@pytest.mark.parametrize("impl, step, waits_on", [
    ("list", ".select_io()", "fd {fd} readable"),
    ("heap", "._run_once()", "fd {fd} readable"),
    ("trampoline", "._run_once()", "ReadWait: fd {fd} readable"),     # pyos8's request
    ("thread", "._run_once()", "fd {fd} readable"),
])
def test_the_io_walkthrough_draws_the_selector_step(impl, step, waits_on):
    walk = explain("io", impl)
    assert walk.uses_selector
    frames = walk.frames
    # main's first step: it waits for its socket, which the Selector box now shows
    watching = next(f for f in frames if f.selector)
    fd = int(re.match(r"fd (\d+) read → wake main\(\)$", watching.selector[0]).group(1))
    assert watching.caption.startswith("main.step() runs: ")
    assert f"main waits on {waits_on.format(fd=fd)}" in watching.waiting
    # the selector step: the fd is ready, its callback joins the callbacks
    (ready,) = [f for f in frames if f.caption.startswith("select(): ")]
    assert ready.caption == f"select(): fd {fd} is readable: wake main() joins the callbacks"
    assert ready.selector == [f"fd {fd} read → wake main()  ← ready"]
    assert ready.callbacks == ["wake main()"] and ready.code[-1] == f"  {step}"
    assert ready.time == 1                     # after peer_sends, the timer at 1, sent the data
    assert "1 watched" in ready.selector_note
    after = frames[frames.index(ready) + 1]
    assert after.caption.startswith("wake main() runs: ") and f"stops watching fd {fd}" in after.caption
    assert after.selector == []
    assert frames[-1].output == ["Hello World!"]


def test_the_list_loops_selector_note_says_it_looks_at_every_fd():
    notes = [f.selector_note for f in explain("io", "list").frames if f.selector_note]
    assert notes and all(n.startswith("select.select() looks at every fd: 1 watched") for n in notes)


def test_the_terminal_view_draws_the_selector_box_only_for_io():
    for walkthrough, drawn in (("io", True), ("timers", False)):
        console = Console(file=io.StringIO(), width=100, color_system=None)
        show(explain(walkthrough, "trampoline"), console)
        assert ("Selector" in console.file.getvalue()) is drawn


def test_the_html_page_has_a_selector_box_only_for_io():
    from harness.explain.html import render_html

    assert 'id="selector-box"' in render_html(explain("io", "list"))
    assert 'id="selector-box"' not in render_html(explain("slides", "list"))


def test_the_tasks_walkthrough_shows_what_each_task_waits_on():
    frames = explain("tasks", "heap").frames
    captions = [f.caption for f in frames]
    assert captions[0] == "main.step() runs: schedules worker.step(); main suspends on sleep(1)"
    assert "main waits on task worker" in frames[5].waiting
    assert frames[2].timers == ["(1, wake main)", "(2, wake worker)"]


def test_a_loop_without_events_is_drawn_from_the_protocol():
    walk = explain("timers", "heap", trace=False)
    assert not walk.traced
    assert [f.caption for f in walk.frames] == [
        ".call_at(1, hello_world)", ".call_at(5, exit)", ".call_at(2, good_bye)",
        "hello_world() runs at 1: prints 'Hello World!'", "good_bye() runs at 2: prints 'Good bye.'",
        "exit() runs at 5"]
    assert walk.frames[3].timers == ["(5, exit)", "(2, good_bye)"]
    assert walk.frames[-1].output == OUT


def test_the_terminal_view_draws_the_four_boxes():
    console = Console(file=io.StringIO(), width=100, color_system=None)
    show(explain("slides", "list"), console)
    text = console.file.getvalue()
    for box in ("Code", "Timers", "Callbacks", "Output", "step 10/10", "Hello World!", "(5, exit)"):
        assert box in text


def test_step_mode_waits_between_frames():
    waits = []
    show(explain("callbacks", "list"), Console(file=io.StringIO()), step=True, wait=waits.append)
    assert len(waits) == len(explain("callbacks", "list").frames) - 1


def test_the_cli(tmp_path, capsys):
    page = tmp_path / "slides.html"
    assert loopbench(["explain", "slides", "--impl", "list", "--html", str(page)]) == 0
    assert "Hello World!" in capsys.readouterr().out
    html = page.read_text()
    assert "<script src" not in html and "http" not in html.split("<body>")[1]
    assert loopbench(["explain", "slides", "--impl", "nope"]) == 2


# ---------------------------------------------------------------- the HTML page, in a browser
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(binary):
            pytest.skip(f"{binary} is missing (apt-get install chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="loopbench-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 f"--user-data-dir={profile}", "--window-size=1100,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_html_walkthrough_in_a_headless_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    walk = explain("slides", "list")
    page = write_html(walk, tmp_path / "slides.html")
    browser.get(Path(page).as_uri())
    text = lambda id_: browser.find_element(By.ID, id_).text          # noqa: E731

    assert text("step") == "step 1 / 10"
    assert text("timers") == "(1, hello_world)"
    assert browser.find_element(By.ID, "prev").get_attribute("disabled")
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    assert text("step") == "step 3 / 10"
    assert text("timers").split("\n") == ["(1, hello_world)", "(5, exit)", "(2, good_bye)"]
    browser.find_element(By.ID, "prev").click()
    assert text("step") == "step 2 / 10"
    assert text("code").split("\n") == [".call_at(1, hello_world)", ".call_at(5, exit)"]

    # the slider: move it to frame 7, the slides' last picture
    slider = browser.find_element(By.ID, "slider")
    browser.execute_script(
        "arguments[0].value = 7; arguments[0].dispatchEvent(new Event('input'));", slider)
    assert text("step") == "step 7 / 10"
    assert text("output").split("\n") == OUT
    assert text("timers") == "(5, exit)"
    assert text("callbacks") == ""
    assert browser.find_element(By.CSS_SELECTOR, "#code .current").text.strip() == ".execute_timers()"
    browser.save_screenshot("/tmp/explain.png")

    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    assert text("step") == "step 10 / 10"
    assert browser.find_element(By.ID, "next").get_attribute("disabled")
    assert slider.get_attribute("value") == "10"
