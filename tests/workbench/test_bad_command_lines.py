"""Bad command lines: each is refused with one clear line on stderr, a non-zero exit, no traceback.

Every case runs the real command line (``python -m harness ...``) in a subprocess, on
inputs made to be wrong: missing or misplaced paths (a file where a directory is
expected, a path under a file), bad numbers, unknown and empty names, hostile names
(``|``, newlines, ``<script>``), run directories whose files are empty, torn, not
UTF-8, not JSON or hold values of the wrong type, and bad environment variables.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "reports" / "example"
#: The one line that says what is wrong: ``loopbench: error: ...`` (``loopbench run: error: ...``
#: from argparse for a subcommand's own arguments).
ERROR_LINE = re.compile(r"^loopbench[\w -]*: error: \S.*$", re.MULTILINE)


def _spoil(value):
    """Every number in ``value`` made a string: metrics of the wrong type."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return "n/a"
    if isinstance(value, dict):
        return {k: _spoil(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spoil(v) for v in value]
    return value


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, Path]:
    """Paths for the cases: a small good run, broken runs, a file, a path under a file."""
    root = tmp_path_factory.mktemp("bad-input")
    records = [json.loads(line) for line in (EXAMPLE / "results.jsonl").read_text().splitlines()]
    records = [r for r in records if r["runtime"] in ("heap", "asyncio")]
    environment = (EXAMPLE / "environment.json").read_text()

    def run_dir(name: str, results: bytes | None, env: str | None = environment) -> Path:
        path = root / name
        path.mkdir()
        if results is not None:
            (path / "results.jsonl").write_bytes(results)
        if env is not None:
            (path / "environment.json").write_text(env)
        return path

    good = "".join(json.dumps(r) + "\n" for r in records).encode()
    spoiled = "".join(json.dumps(dict(r, metrics=_spoil(r["metrics"])) if "metrics" in r else r) + "\n"
                      for r in records).encode()
    file = root / "a-file"
    file.write_text("not a directory\n")
    return {
        "GOOD": run_dir("good", good),
        "EMPTYDIR": run_dir("emptydir", None, None),
        "EMPTY": run_dir("empty", b""),
        "TORN": run_dir("torn", b'{"runtime": "heap", "scen'),
        "NONUTF8": run_dir("nonutf8", b"\xff\xfe\x00garbage\x80\n"),
        "NOTJSON": run_dir("notjson", b"[1, 2, 3]\nnull\n\"x\"\n"),
        "BADENV": run_dir("badenv", good, env="{not json"),
        "NONNUMERIC": run_dir("nonnumeric", spoiled),
        "FILE": file,
        "UNDERFILE": file / "sub",
        "MISSING": root / "no" / "such" / "dir",
    }


# (id, argv, extra environment). Words in capitals are replaced by the paths of ``places``.
CASES = [
    ("no-command", [], {}),
    ("unknown-command", ["nosuch"], {}),
    ("unknown-runtime", ["run", "--runtimes", "nosuch"], {}),
    ("empty-runtimes", ["run", "--runtimes", ""], {}),
    ("comma-runtimes", ["run", "--runtimes", ","], {}),
    ("html-runtime", ["run", "--runtimes", "<script>alert(1)</script>"], {}),
    ("pipe-runtime", ["run", "--runtimes", "heap|asyncio"], {}),
    ("newline-runtime", ["run", "--runtimes", "heap\nasyncio"], {}),
    ("unknown-scenario", ["run", "--scenarios", "nosuch.thing"], {}),
    ("bad-keyword", ["run", "-k", "(timers and"], {}),
    ("empty-keyword", ["run", "-k", ""], {}),
    ("zero-repeat", ["run", "--repeat", "0"], {}),
    ("word-repeat", ["run", "--repeat", "many"], {}),
    ("negative-repeat", ["run", "--repeat", "-3"], {}),
    ("nan-timeout", ["run", "--timeout", "nan"], {}),
    ("zero-timeout", ["run", "--timeout", "0"], {}),
    ("inf-timeout", ["run", "--timeout", "inf"], {}),
    ("zero-jobs", ["run", "--jobs", "0"], {}),
    ("float-jobs", ["run", "--jobs", "1e3"], {}),
    ("resume-without-out", ["run", "--resume"], {}),
    ("out-is-a-file", ["run", "--scenarios", "timers.slides", "--out", "FILE"], {}),
    ("out-under-a-file", ["run", "--scenarios", "timers.slides", "--out", "UNDERFILE"], {}),
    ("out-holds-results", ["run", "--scenarios", "timers.slides", "--runtimes", "heap", "--out", "TORN"], {}),
    ("loop-spec-pipe", ["run", "--asyncio-loop", "x|y=asyncio:new_event_loop"], {}),
    ("loop-spec-html", ["run", "--asyncio-loop", "<script>=asyncio:new_event_loop"], {}),
    ("loop-spec-empty", ["run", "--asyncio-loop", ""], {}),
    ("loop-spec-builtin", ["run", "--asyncio-loop", "heap=asyncio:new_event_loop"], {}),
    ("loop-spec-missing", ["run", "--asyncio-loop", "ghost=no_such_module_here:new"], {}),
    ("loop-spec-semicolon", ["run", "--asyncio-loop", "a;b=asyncio:new_event_loop"], {}),
    ("report-missing", ["report", "MISSING"], {}),
    ("report-file", ["report", "FILE"], {}),
    ("report-empty-dir", ["report", "EMPTYDIR"], {}),
    ("report-torn", ["report", "TORN"], {}),
    ("report-not-utf8", ["report", "NONUTF8"], {}),
    ("report-not-records", ["report", "NOTJSON"], {}),
    ("report-bad-environment", ["report", "BADENV"], {}),
    ("report-non-numeric", ["report", "NONNUMERIC"], {}),
    ("compare-missing", ["compare", "MISSING", "GOOD"], {}),
    ("compare-file", ["compare", "GOOD", "FILE"], {}),
    ("compare-empty", ["compare", "GOOD", "EMPTYDIR"], {}),
    ("compare-not-utf8", ["compare", "NONUTF8", "GOOD"], {}),
    ("compare-non-numeric", ["compare", "GOOD", "NONNUMERIC"], {}),
    ("compare-word-percent", ["compare", "GOOD", "GOOD", "--fail-on", "lots"], {}),
    ("compare-negative-percent", ["compare", "GOOD", "GOOD", "--fail-on", "-1"], {}),
    ("new-impl-bad-name", ["new-impl", "Bad Name", "--dir", "EMPTYDIR"], {}),
    ("new-impl-empty-name", ["new-impl", "", "--dir", "EMPTYDIR"], {}),
    ("new-impl-html-name", ["new-impl", "<script>", "--dir", "EMPTYDIR"], {}),
    ("new-impl-builtin-name", ["new-impl", "heap", "--dir", "EMPTYDIR"], {}),
    ("new-impl-dir-is-a-file", ["new-impl", "mine", "--dir", "FILE"], {}),
    ("new-impl-dir-under-a-file", ["new-impl", "mine", "--dir", "UNDERFILE"], {}),
    ("explain-unknown", ["explain", "nosuch"], {}),
    ("explain-unknown-impl", ["explain", "callbacks", "--impl", "nosuch"], {}),
    ("explain-html-under-a-file", ["explain", "callbacks", "--html", "UNDERFILE/page.html"], {}),
    ("explain-html-is-a-dir", ["explain", "callbacks", "--html", "EMPTYDIR"], {}),
    ("cpython-tests-unknown-impl", ["cpython-tests", "--impl", "nosuch"], {}),
    ("bench-out-is-a-file", ["bench", "--quick", "--out", "FILE"], {}),
    ("bench-out-under-a-file", ["bench", "--quick", "--out", "UNDERFILE"], {}),
    ("bench-empty-python", ["bench", "--quick", "--python", ""], {}),
    ("bench-missing-python", ["bench", "--quick", "--python", "MISSING/python3"], {}),
    ("bench-resume-without-out", ["bench", "--quick", "--resume"], {}),
    ("plugin-missing", ["list"], {"LOOPBENCH_PLUGINS": "no_such_plugin_module"}),
    ("loops-variable-malformed", ["list"], {"LOOPBENCH_ASYNCIO_LOOPS": "a;b"}),
    ("loops-variable-builtin", ["list"], {"LOOPBENCH_ASYNCIO_LOOPS": "asyncio=asyncio:new_event_loop"}),
]


def _resolve(argv: list[str], places: dict[str, Path]) -> list[str]:
    def one(arg: str) -> str:
        for word, path in places.items():
            if arg == word or arg.startswith(word + "/"):
                return str(path) + arg[len(word):]
        return arg
    return [one(arg) for arg in argv]


@pytest.mark.parametrize("argv, env", [pytest.param(a, e, id=i) for i, a, e in CASES])
def test_a_bad_command_line_is_one_clear_error(argv, env, places, tmp_path):
    before = {p: sorted(os.listdir(p)) for p in places.values() if p.is_dir()}
    proc = subprocess.run([sys.executable, "-m", "harness", *_resolve(argv, places)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    said = proc.stdout + proc.stderr
    assert "Traceback" not in said, said
    assert proc.returncode != 0, said
    errors = ERROR_LINE.findall(proc.stderr)
    assert len(errors) == 1, f"not one error line on stderr:\n{proc.stderr}"
    assert not list(tmp_path.iterdir()), "a refused command left files behind"
    assert {p: sorted(os.listdir(p)) for p in places.values() if p.is_dir()} == before, "it changed its inputs"


def test_the_sweep_is_wide():
    assert len(CASES) >= 40
