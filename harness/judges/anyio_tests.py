"""``loopbench anyio-tests --loop NAME``: anyio's own test suite on any asyncio loop.

anyio's tests are not installed with anyio; they come from its source distribution,
fetched by pip at the version installed (``pip download --no-deps --no-binary :all:
anyio==VERSION``, which needs PyPI) into ``.loopbench/judges/`` and unpacked there once.
They run under pytest with anyio's own configuration (its pyproject.toml: its plugins,
``anyio_mode = "auto"``, a 20 s timeout a test) and ``harness.judges.anyio_plugin``,
which installs the loop under test and keeps only the tests on plain asyncio.

Their dependencies (``TEST_DEPENDENCIES``, the ``judges`` extra of pyproject.toml) must be
importable; the command names those that are not, and installs them with
``--install-deps``.

Each test ends in one bucket, as in ``cpython_tests``: passed, failed, skipped; "off-loop"
for the tests that take no async backend and made no loop through asyncio's policy (they
run the same whatever the loop; one that calls ``asyncio.run()`` itself is on the loop
under test, and judged); "missing"
for those in a feature the loop declares missing (``loops.FEATURES``, by the test's id).
The outcome comes from pytest's junit-xml report; a failure's detail is the first line of
its message.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from impls import DISTRIBUTION

from . import anyio_plugin, loops
from .cpython_tests import ROOT, add_loop_arguments, loop_specs
from .session import run_in_session

#: anyio's test dependencies: import name -> distribution (with the lower bound anyio asks for).
TEST_DEPENDENCIES = {
    "trustme": "trustme>=1.0.0",
    "truststore": "truststore>=0.9.1",
    "hypothesis": "hypothesis>=4.18.2",
    "psutil": "psutil>=5.9",
    "pytest_mock": "pytest-mock>=3.14",
    "pytest_timeout": "pytest-timeout>=2.4.0",
    "blockbuster": "blockbuster>=1.5.29",
    "trio": "trio>=0.32.0",
}

#: Where the source distributions are unpacked.
CACHE = ROOT / ".loopbench" / "judges"
#: Seconds the whole suite may take on one loop.
SUITE_TIMEOUT = 1800.0

_ASYNCIO_PARAM = re.compile(r"\[(.*-)?asyncio(-.*)?\]$")


def add_parser(sub) -> None:
    parser = sub.add_parser("anyio-tests", help="run anyio's own test suite on any asyncio loop",
                            description="Run the test suite of the installed anyio (from its source distribution, "
                                        "fetched by pip) on each loop named (asyncio's own by default).")
    add_loop_arguments(parser)
    parser.add_argument("--install-deps", action="store_true",
                        help="pip install anyio's test dependencies that are missing")
    parser.add_argument("--select", metavar="EXPR", help="only the tests pytest's -k EXPR selects")
    parser.add_argument("--timeout", type=float, default=SUITE_TIMEOUT,
                        help=f"seconds the suite may take on one loop (default {SUITE_TIMEOUT:.0f})")


def anyio_tests_command(args, console) -> int:
    try:
        specs = loop_specs(args)
        suite = prepare(install=args.install_deps)
    except (ValueError, RuntimeError) as exc:
        from ..cli.errors import UsageError

        raise UsageError(str(exc)) from None
    status = 0
    for spec in specs:
        results = run_suite(spec, suite, select=args.select, timeout=args.timeout)
        status = max(status, report(results, console))
    return status


def missing_dependencies() -> list[str]:
    """The requirements of ``TEST_DEPENDENCIES`` not importable here."""
    return [req for name, req in TEST_DEPENDENCIES.items() if importlib.util.find_spec(name) is None]


def prepare(install: bool = False) -> Path:
    """anyio's ``tests`` directory for the installed version, fetched if need be, with its
    dependencies checked. RuntimeError says what is missing and how to get it."""
    missing = missing_dependencies()
    if missing and install:
        subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=False)
        missing = missing_dependencies()
    if missing:
        raise RuntimeError(f"anyio's tests need {', '.join(missing)}: install them (pip install "
                           f"'{DISTRIBUTION}[judges]', or pass --install-deps)")
    return fetch_tests(importlib.metadata.version("anyio"))


def fetch_tests(version: str, cache: Path = CACHE) -> Path:
    """The unpacked source distribution of anyio ``version``, downloaded by pip if absent."""
    root = cache / f"anyio-{version}"
    if (root / "tests" / "conftest.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"anyio-{version}.tar.gz"
    if not archive.exists():
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                               f"anyio=={version}", "-d", str(cache), "-q"], capture_output=True, text=True)
        if proc.returncode != 0 or not archive.exists():
            raise RuntimeError(f"cannot fetch anyio {version}'s source distribution with pip (it needs PyPI): "
                               f"{proc.stderr.strip()[-500:]}")
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return root


def run_suite(spec: loops.LoopSpec, root: Path, select: str | None = None,
              timeout: float = SUITE_TIMEOUT) -> dict:
    """anyio's suite on one loop: ``{"loop", "anyio", "missing", "seconds", "status", "error",
    "tests": {test_id: {"bucket", "outcome", "detail", "feature", "module"}}}``."""
    junit = root / f"junit-{spec.name}.xml"
    junit.unlink(missing_ok=True)
    progress = root / f"progress-{spec.name}.jsonl"
    progress.unlink(missing_ok=True)
    env = {**os.environ, loops.SPEC_VAR: spec.to_json(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           anyio_plugin.REPORT_VAR: str(progress),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "pytest", "-p", "harness.judges.anyio_plugin", "-q", "-p", "no:cacheprovider",
           f"--junitxml={junit}", "tests", *(["-k", select] if select else [])]
    start = time.perf_counter()
    status, error = "ok", ""
    with open(root / f"output-{spec.name}.txt", "w") as output:
        returncode, hung = run_in_session(cmd, output, timeout, cwd=root, env=env)
    if hung:
        status, error = "hung", f"the suite did not finish within {timeout:.0f} s"
    elif returncode not in (0, 1):
        status, error = "crashed", f"pytest ended with exit status {returncode} (see {output.name})"
    if junit.exists():
        tests = parse_junit(junit.read_text(), spec)
    else:                                       # stopped before pytest wrote it: what the plugin saw
        tests = parse_progress(progress.read_text() if progress.exists() else "", spec)
    return {"loop": spec.name, "anyio": importlib.metadata.version("anyio"), "missing": list(spec.missing),
            "seconds": round(time.perf_counter() - start, 1), "status": status, "error": error, "tests": tests}


def parse_junit(text: str, spec: loops.LoopSpec) -> dict[str, dict]:
    """pytest's junit-xml report -> each test in one bucket (see the module's docstring)."""
    tests: dict[str, dict] = {}
    for case in ET.fromstring(text).iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        test_id = f"{classname}.{name}" if classname else name
        outcome, detail = "passed", ""
        for tag, result in (("failure", "failed"), ("error", "failed"), ("skipped", "skipped")):
            node = case.find(tag)
            if node is not None:
                outcome = result
                message = node.get("message") or (node.text or "")
                detail = message.strip().splitlines()[0][:300] if message.strip() else tag
                break
        feature = loops.feature_of(test_id)
        if not _ASYNCIO_PARAM.search(name):
            bucket = "off-loop"
        elif feature in spec.missing:
            bucket = "missing"
        else:
            bucket = outcome
        previous = tests.get(test_id)
        if previous is None or previous["outcome"] == "passed":       # a teardown error after a pass
            tests[test_id] = {"bucket": bucket, "outcome": outcome, "detail": detail, "feature": feature,
                              "module": module_of(classname)}
    return tests


def parse_progress(text: str, spec: loops.LoopSpec) -> dict[str, dict]:
    """The plugin's lines (``anyio_plugin``) -> each test reported in one bucket, as
    ``parse_junit`` does; a test whose setup, call or teardown failed has failed."""
    tests: dict[str, dict] = {}
    for line in filter(str.strip, text.splitlines()):
        record = json.loads(line)
        path, _, name = record["nodeid"].partition("::")
        classname = ".".join([path.removesuffix(".py").replace("/", "."), *name.split("::")[:-1]])
        test_id = f"{classname}.{name.split('::')[-1]}"
        outcome = {"passed": "passed", "skipped": "skipped"}.get(record["outcome"], "failed")
        feature = loops.feature_of(test_id)
        on_loop = bool(_ASYNCIO_PARAM.search(test_id)) or record.get("loops", 0) > 0
        bucket = ("off-loop" if not on_loop else "missing" if feature in spec.missing else outcome)
        previous = tests.get(test_id)
        if previous is None or previous["outcome"] == "passed" or (bucket != "off-loop" and previous["bucket"] == "off-loop"):
            tests[test_id] = {"bucket": bucket, "outcome": outcome, "detail": record["detail"],
                              "feature": feature, "module": module_of(classname)}
    return tests


def module_of(classname: str) -> str:
    """``tests.streams.test_tls.TestTLSStream`` -> ``streams.test_tls``."""
    parts = classname.split(".")
    if parts and parts[0] == "tests":
        parts = parts[1:]
    while parts and not parts[-1].startswith("test_"):
        parts = parts[:-1]
    return ".".join(parts) or classname


def report(results: dict, console) -> int:
    """Counts by module and bucket, and every failure with its first line."""
    from .cpython_tests import BUCKETS

    console.print(f"anyio {results['anyio']}'s tests on {results['loop']} ({results['seconds']:.0f} s"
                  + (f"; declares missing: {', '.join(results['missing'])}" if results["missing"] else "") + ")",
                  highlight=False, soft_wrap=True)
    if results["status"] != "ok":
        console.print(f"[red]{results['status']}: {results['error']}[/]", highlight=False, soft_wrap=True)
    names = ["passed", "failed", "skipped", "missing", "off-loop"]
    by_module: dict[str, dict[str, int]] = {}
    for entry in results["tests"].values():
        counts = by_module.setdefault(entry["module"], dict.fromkeys(names, 0))
        counts[entry["bucket"]] = counts.get(entry["bucket"], 0) + 1
    console.print(f"{'module':<34} " + " ".join(f"{n:>8}" for n in names), highlight=False, soft_wrap=True)
    for module, counts in sorted(by_module.items()):
        console.print(f"{module:<34} " + " ".join(f"{counts[n]:>8}" for n in names), highlight=False, soft_wrap=True)
    failed = [(t, e["detail"]) for t, e in results["tests"].items() if e["bucket"] == "failed"]
    for test_id, detail in failed:
        console.print(f"[red]failed[/]: {test_id}: {detail}", soft_wrap=True, highlight=False)
    totals = dict.fromkeys(BUCKETS, 0)
    for entry in results["tests"].values():
        totals[entry["bucket"]] += 1
    console.print(f"{len(results['tests'])} tests: {', '.join(f'{v} {k}' for k, v in totals.items() if v)}",
                  highlight=False, soft_wrap=True)
    return 1 if failed or results["status"] != "ok" else 0
