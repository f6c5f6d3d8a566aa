"""Other Python interpreters: find one, give it a venv with loopbench, run ``bench`` under it.

``loopbench bench --python PATH`` (repeatable) measures the same profile under each
interpreter and writes one report for the whole run (``harness.report.interpreters``):

    <run>/py3.11.7/    that interpreter's own run and report (``loopbench bench --out``)
    <run>/py3.12.1/    ...
    <run>/report.md    every interpreter side by side

An interpreter is a path (``/root/.pyenv/versions/3.13.0/bin/python3``) or a name on
PATH (``python3.12``); it must be CPython or another Python 3.11+. The interpreter
running loopbench measures itself directly. Any other gets its own venv, built once
and kept under ``.loopbench/venvs/<tag>-<key>/`` (relative to the current directory,
as ``reports/`` is):

* the key hashes ``pyproject.toml`` (or the wheel) and the interpreter's path, so a
  change of dependencies builds a new venv (the old one for that interpreter is
  removed);
* loopbench goes in non-editable (``pip install <source>``) from a copy of the
  project's own files, so every venv measures the code of this checkout; when those
  files change, loopbench alone is reinstalled (``--no-deps``), keeping the
  dependencies.

Where the source comes from (``project_source``): the checkout this module was
imported from; else the directory or local wheel pip recorded when loopbench was
installed (``direct_url.json``). A loopbench installed from an index has neither,
and ``--python`` says so instead of guessing (install it from a checkout or a wheel).

A missing interpreter, one too old, or a venv that cannot be built is an
``InterpreterError`` naming the interpreter; ``bench_all`` records it in that
interpreter's section and carries on with the others.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from impls import DISTRIBUTION
from rich.console import Console
from rich.markup import escape

MINIMUM = (3, 11)
VENVS = Path(".loopbench") / "venvs"
PROBE_TIMEOUT = 30
BUILD_TIMEOUT = 1800
BENCH_TIMEOUT = {"quick": 1200, "default": 4 * 3600}
#: Left out of the copy of the project that is installed into a venv.
NOT_SOURCE = {".git", ".venv", ".loopbench", "reports", "build", "dist", "tests", "docs", "__pycache__",
              ".pytest_cache", ".hypothesis", ".benchmarks"}

_PROBE = ("import json, platform, sys; print(json.dumps({'executable': sys.executable, "
          "'version': platform.python_version(), 'version_info': list(sys.version_info[:3]), "
          "'implementation': sys.implementation.name, 'abiflags': getattr(sys, 'abiflags', '')}))")


class InterpreterError(Exception):
    """An interpreter that cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class Interpreter:
    spec: str                        #: what was asked for: a path or a name on PATH
    executable: str                  #: the interpreter's own ``sys.executable``
    version: str                     #: "3.12.1"
    implementation: str = "cpython"
    abiflags: str = ""

    @property
    def tag(self) -> str:
        """A directory name for this interpreter's run: ``py3.12.1``, ``py3.13.0t``, ``pypy3.10.14``."""
        prefix = "py" if self.implementation == "cpython" else self.implementation
        return f"{prefix}{self.version}{'t' if 't' in self.abiflags else ''}"

    @property
    def label(self) -> str:
        name = {"cpython": "CPython", "pypy": "PyPy"}.get(self.implementation, self.implementation)
        return f"{name} {self.version}{' (free-threaded)' if 't' in self.abiflags else ''}"

    @property
    def is_running(self) -> bool:
        """The interpreter running loopbench now: it measures itself, no venv needed."""
        return os.path.abspath(self.executable) == os.path.abspath(sys.executable)


def find(spec: str) -> Interpreter:
    """The interpreter ``spec`` names (a path, or a name on PATH), checked to be 3.11+.

    Raises ``InterpreterError`` naming ``spec`` when it is missing, cannot run, or is too old.
    """
    if not spec or not spec.strip():
        raise InterpreterError("an empty interpreter name was given to --python")
    if os.sep in spec or (os.altsep and os.altsep in spec) or Path(spec).exists():
        path = Path(spec).expanduser()
        if not path.exists():
            raise InterpreterError(f"Python interpreter {spec!r} not found: no such file")
        if not os.access(path, os.X_OK) or path.is_dir():
            raise InterpreterError(f"Python interpreter {spec!r} is not an executable file")
        command = str(path)
    else:
        found = shutil.which(spec)
        if found is None:
            raise InterpreterError(f"Python interpreter {spec!r} not found on PATH")
        command = found
    try:
        proc = run_in_session([command, "-I", "-c", _PROBE], timeout=PROBE_TIMEOUT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"Python interpreter {spec!r} did not answer within {PROBE_TIMEOUT} s "
                               "(it and everything it started were killed)") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"Python interpreter {spec!r} could not be run: {exc}") from exc
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise InterpreterError(f"Python interpreter {spec!r} could not be run (exit status {proc.returncode})"
                               + (f": {said[0]}" if said else ""))
    try:
        facts = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise InterpreterError(f"{spec!r} does not answer as a Python interpreter: {proc.stdout[:200]!r}") from None
    interpreter = Interpreter(spec, facts["executable"], facts["version"], facts["implementation"],
                              facts["abiflags"])
    if tuple(facts["version_info"]) < MINIMUM:
        raise InterpreterError(f"Python interpreter {spec!r} is Python {interpreter.version}; "
                               f"loopbench needs Python {'.'.join(map(str, MINIMUM))} or newer")
    return interpreter


def run_in_session(cmd: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a session of its own: at the time limit the whole session is killed
    (a wrapper script's children with it, not only the wrapper), then ``TimeoutExpired``."""
    with subprocess.Popen(cmd, start_new_session=True, **kwargs) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_session(proc.pid)
            proc.communicate()
            raise
        except BaseException:
            _kill_session(proc.pid)
            raise
        finally:
            _kill_session(proc.pid)             # whatever it left running in its session
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_session(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------- the source to install
@dataclass(frozen=True)
class Source:
    """What a venv installs: a project directory (copied first) or a wheel file."""
    path: Path

    @property
    def is_wheel(self) -> bool:
        return self.path.suffix == ".whl"

    def dependency_key(self) -> bytes:
        """What the venv's dependencies follow: pyproject.toml, or the wheel itself."""
        return self.path.read_bytes() if self.is_wheel else (self.path / "pyproject.toml").read_bytes()

    def files(self) -> list[Path]:
        """The project's files a venv installs: top-level files and the packages setuptools finds."""
        if self.is_wheel:
            return [self.path]
        config = tomllib.loads((self.path / "pyproject.toml").read_text())
        find_cfg = config.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {})
        include = find_cfg.get("include", ["*"])
        out = []
        for entry in sorted(self.path.iterdir()):
            if entry.name in NOT_SOURCE or entry.name.startswith(".") or entry.name.endswith(".egg-info"):
                continue
            if entry.is_file():
                out.append(entry)
            elif entry.is_dir() and any(fnmatch.fnmatch(entry.name, pattern) for pattern in include):
                out += sorted(p for p in entry.rglob("*")
                              if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))
        return out

    def code_key(self) -> str:
        """A hash of every file a venv installs: loopbench is reinstalled when it changes."""
        digest = hashlib.sha256()
        for f in self.files():
            digest.update(str(f.relative_to(self.path.parent if self.is_wheel else self.path)).encode())
            digest.update(b"\0" + f.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def project_source() -> Source:
    """Where loopbench's own code is, to install it into another interpreter's venv.

    The checkout this module runs from (a ``pyproject.toml`` naming loopbench next to
    the package), else the directory or local wheel pip recorded at install time.
    Raises ``InterpreterError`` when there is neither.
    """
    import importlib.metadata

    try:
        recorded = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    return source_from(Path(__file__).resolve().parents[2], recorded)


def source_from(checkout: Path, direct_url: str | None) -> Source:
    """``project_source`` given the directory above the package and pip's ``direct_url.json`` text."""
    from urllib.parse import unquote, urlparse

    pyproject = checkout / "pyproject.toml"
    if pyproject.is_file() and tomllib.loads(pyproject.read_text()).get("project", {}).get("name") == DISTRIBUTION:
        return Source(checkout)
    if direct_url:
        parsed = urlparse(json.loads(direct_url).get("url", ""))
        path = Path(unquote(parsed.path)) if parsed.scheme == "file" else None
        if path is not None and (path / "pyproject.toml").is_file():
            return Source(path)
        if path is not None and path.suffix == ".whl" and path.is_file():
            return Source(path)
    raise InterpreterError(
        "loopbench is installed without a source to install into another interpreter's venv "
        "(neither a checkout nor a local directory or wheel was recorded by pip); run --python "
        "from a checkout, or install loopbench from a directory or a .whl file")


# ---------------------------------------------------------------- venvs
def venv_dir(interpreter: Interpreter, source: Source, root: Path = VENVS) -> Path:
    """``<root>/<tag>-<key>``: the key follows the dependencies and the interpreter's path."""
    digest = hashlib.sha256(source.dependency_key())
    digest.update(b"\0" + os.path.realpath(interpreter.executable).encode())
    return Path(root).absolute() / f"{interpreter.tag}-{digest.hexdigest()[:12]}"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


READY = ".loopbench-ready"          # written once loopbench and its dependencies are in
BARE = ".loopbench-bare"            # written for a venv built with install=False
CODE = ".loopbench-code"            # the code_key of the loopbench installed


def ensure_venv(interpreter: Interpreter, source: Source, root: Path = VENVS, *, install: bool = True,
                log: Callable[[str], None] = lambda line: None) -> Path:
    """The interpreter's venv with loopbench installed, built or refreshed as needed; its python.

    ``install=False`` builds the bare venv only (``--without-pip``): the cheap part, for tests.
    Raises ``InterpreterError`` naming the interpreter when a step fails (the steps'
    output is in ``<venv>.build.log``, beside the venv).
    """
    venv = venv_dir(interpreter, source, root)
    python = venv_python(venv)
    done = [venv / READY] if install else [venv / READY, venv / BARE]
    if not any(marker.exists() for marker in done):
        _remove_stale(interpreter, Path(root), keep=venv)
        log(f"building a venv for {interpreter.label} in {venv}")
        _step(interpreter, venv, [interpreter.executable, "-m", "venv"]
              + ([] if install else ["--without-pip"]) + [str(venv)], "create the venv")
        if install:
            if not source.is_wheel:
                build_requires = tomllib.loads((source.path / "pyproject.toml").read_text()).get(
                    "build-system", {}).get("requires", [])
                if build_requires:
                    _pip(interpreter, venv, ["install", *build_requires], "install the build requirements")
            _install(interpreter, source, venv, deps=True)
        facts = {"interpreter": os.path.realpath(interpreter.executable), "version": interpreter.version}
        (venv / (READY if install else BARE)).write_text(json.dumps(facts))
    elif install and _read(venv / CODE) != source.code_key():
        log(f"reinstalling loopbench in {venv} (its code changed)")
        _install(interpreter, source, venv, deps=False)
    return python


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _remove_stale(interpreter: Interpreter, root: Path, keep: Path) -> None:
    """Remove ``keep`` (a build that stopped half-way) and this interpreter's venvs for older dependencies."""
    shutil.rmtree(keep, ignore_errors=True)
    _log_path(keep).unlink(missing_ok=True)
    mine = os.path.realpath(interpreter.executable)
    for other in root.glob(f"{interpreter.tag}-*"):
        if other == keep or not other.is_dir():
            continue
        facts = _read(other / READY) or _read(other / BARE)
        if facts and json.loads(facts).get("interpreter") == mine:
            shutil.rmtree(other, ignore_errors=True)
            _log_path(other).unlink(missing_ok=True)


def _log_path(venv: Path) -> Path:
    return venv.parent / f"{venv.name}.build.log"


def _install(interpreter: Interpreter, source: Source, venv: Path, deps: bool) -> None:
    key = source.code_key()
    with tempfile.TemporaryDirectory(prefix="loopbench-src-") as tmp:
        target = _copy(source, Path(tmp))
        args = ["install", "--force-reinstall"] + ([] if deps else ["--no-deps"])
        if not source.is_wheel:
            args.append("--no-build-isolation")     # the build requirements are in the venv already
        _pip(interpreter, venv, args + [str(target)], "install loopbench")
    (venv / CODE).write_text(key)


def _copy(source: Source, into: Path) -> Path:
    """The project's files (``Source.files``) copied to ``into``: a build leaves the checkout untouched."""
    if source.is_wheel:
        return source.path
    project = into / source.path.name
    for f in source.files():
        dest = project / f.relative_to(source.path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    return project


def _pip(interpreter: Interpreter, venv: Path, args: list[str], what: str) -> None:
    _step(interpreter, venv, [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check", *args], what)


def _step(interpreter: Interpreter, venv: Path, cmd: list[str], what: str) -> None:
    log_path = _log_path(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        try:
            proc = run_in_session(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT,
                                  env=_clean_env())
        except (OSError, subprocess.SubprocessError) as exc:
            raise InterpreterError(f"{interpreter.label} ({interpreter.spec}): could not {what}: {exc}") from exc
    if proc.returncode != 0:
        tail = log_path.read_text().strip().splitlines()[-3:]
        raise InterpreterError(f"{interpreter.label} ({interpreter.spec}): could not {what} "
                               f"(exit status {proc.returncode}; log: {log_path}): " + " / ".join(tail))


def _clean_env() -> dict[str, str]:
    """The environment for another interpreter: none of this one's path settings."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


# ---------------------------------------------------------------- one bench per interpreter
@dataclass
class Outcome:
    """What became of one interpreter in a run: its run directory, or the error."""
    spec: str
    interpreter: Interpreter | None = None
    run_dir: Path | None = None
    error: str | None = None
    load: tuple[float, float] | None = None     #: the 1-minute load average before and after its bench

    @property
    def tag(self) -> str:
        """The run's directory name (``py3.12.1``, ``py3.12.1-2`` for a second 3.12.1), else the spec."""
        return self.run_dir.name if self.run_dir else self.interpreter.tag if self.interpreter else self.spec


def run_bench(interpreter: Interpreter, python: str, out_dir: Path, quick: bool, console: Console, *,
              resume: bool = False, options: tuple[str, ...] = ()) -> None:
    """``python -m harness bench --out out_dir`` as a subprocess, its output shown and kept in bench.log;
    with ``resume``, an interpreter whose bench had started continues it (``--resume``);
    ``options``: more of ``bench``'s options, passed as given (``--precision 3``, ``--rigorous``)."""
    resume = resume and (out_dir / "results.jsonl").exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    if os.sep in python:
        python = os.path.abspath(python)      # it runs in out_dir
    cmd = ([python, "-m", "harness", "bench", "--out", str(out_dir.resolve())] + (["--quick"] if quick else [])
           + (["--resume"] if resume else []) + list(options))
    env = _clean_env()
    if interpreter.is_running:          # this interpreter imports loopbench from where it runs now
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                          os.environ.get("PYTHONPATH")]))
    env.update(COLUMNS=str(console.width), PYTHONUNBUFFERED="1")     # its progress as it happens
    timeout = BENCH_TIMEOUT["quick" if quick else "default"]
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        os.killpg(proc.pid, signal.SIGKILL)     # the bench and every cell it started

    with open(out_dir / "bench.log", "a" if resume else "w") as log:
        proc = subprocess.Popen(cmd, cwd=out_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            for line in proc.stdout:
                log.write(line)
                console.out(f"  {interpreter.tag} | {line.rstrip()}", highlight=False)
        except BaseException:                   # Ctrl-C reaches us, not its own session: stop it too
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            timer.cancel()
            returncode = proc.wait()
    if returncode != 0:
        why = f"stopped after {timeout} s" if timed_out.is_set() else f"exit status {returncode}"
        raise InterpreterError(f"{interpreter.label} ({interpreter.spec}): loopbench bench failed ({why}; "
                               f"log: {out_dir / 'bench.log'})")


def prepare(spec: str, source_of: Callable[[], Source] = project_source, root: Path = VENVS,
            log: Callable[[str], None] = lambda line: None) -> tuple[Interpreter, str]:
    """The interpreter ``spec`` names and the python that runs loopbench for it (its venv's, built if needed)."""
    interpreter = find(spec)
    if interpreter.is_running:
        return interpreter, sys.executable
    return interpreter, str(ensure_venv(interpreter, source_of(), root, log=log))


def bench_all(specs: list[str], quick: bool, run_dir: Path, console: Console,
              measure: Callable[[Interpreter, str, Path, bool, Console], None] = run_bench,
              prepare_one: Callable[..., tuple[Interpreter, str]] = prepare) -> list[Outcome]:
    """Each interpreter in turn: find it, build its venv, run its bench into ``run_dir/<tag>``.

    An interpreter that fails leaves its error in its ``Outcome`` and the others still run.
    """
    outcomes: list[Outcome] = []
    taken: set[str] = set()
    for spec in specs:
        outcome = Outcome(spec)
        outcomes.append(outcome)
        console.print(f"[bold]interpreter {spec}[/]")
        try:
            interpreter, python = prepare_one(spec, log=lambda line: console.print(f"  {escape(line)}"))
            outcome.interpreter = interpreter
            tag, n = interpreter.tag, 2
            while tag in taken:                 # two interpreters of the same version
                tag, n = f"{interpreter.tag}-{n}", n + 1
            taken.add(tag)
            outcome.run_dir = run_dir / tag
            before = _load()
            measure(interpreter, python, outcome.run_dir, quick, console)
            outcome.load = (before, _load()) if before is not None else None
        except InterpreterError as exc:
            outcome.error = str(exc)
        except Exception as exc:                # anything else: still this interpreter's alone
            outcome.error = f"{spec}: {type(exc).__name__}: {exc}"
        if outcome.error:
            console.print(f"  [bold red]{escape(outcome.error)}[/]")
    return outcomes


def _load() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def plugins_here() -> dict[str, list[str]]:
    """Distribution -> the loopbench entry points it installs here (implementations, asyncio loops),
    loopbench's own left out: what another interpreter's venv does not have."""
    import importlib.metadata

    from ..runtimes import ASYNCIO_LOOPS_GROUP
    from impls.registry import ENTRY_POINT_GROUP

    found: dict[str, list[str]] = {}
    for group in (ENTRY_POINT_GROUP, ASYNCIO_LOOPS_GROUP):
        for ep in importlib.metadata.entry_points(group=group):
            dist = ep.dist.name if ep.dist is not None else "?"
            if dist.replace("_", "-").lower() not in (DISTRIBUTION, "loopbench"):
                found.setdefault(dist, []).append(ep.name)
    return found


def warn_plugins_not_carried(specs: list[str], err: Console) -> list[str]:
    """Say which installed plugins the other interpreters' venvs lack (they get loopbench alone)."""
    plugins = plugins_here()
    others = [spec for spec in specs if not _is_running_spec(spec)]
    if not plugins or not others:
        return []
    named = ", ".join(f"{dist} ({', '.join(names)})" for dist, names in sorted(plugins.items()))
    err.print(f"loopbench: warning: installed plugins are not carried over to the venvs of "
              f"{', '.join(others)}: {named}; those interpreters measure without them "
              "(install them into the venv under .loopbench/venvs to include them)",
              markup=False, highlight=False, soft_wrap=True)
    return sorted(plugins)


def _is_running_spec(spec: str) -> bool:
    try:
        return find(spec).is_running
    except InterpreterError:
        return False


def bench_interpreters(specs: list[str], quick: bool, out: str | None, console: Console,
                       resume: bool = False, options: tuple[str, ...] = ()) -> int:
    """``loopbench bench --python ...``: every interpreter's bench, then one report; 1 if any failed.
    ``resume``: continue the benches of ``out`` (each interpreter's own ``--resume``);
    ``options``: ``bench`` options every interpreter's bench gets (``run_bench``)."""
    import functools
    from . import profile
    from ..report.interpreters import render_across, write_manifest
    from ..results.rundir import point_latest, utc_stamp

    profile_name = "quick" if quick else "rigorous" if "--rigorous" in options else "default"
    os.environ[profile.ENV_VAR] = profile_name          # the workloads' sizes in the report's titles
    run_dir = Path(out) if out else Path("reports") / utc_stamp()
    run_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]loopbench bench[/] ({profile_name} profile) under {len(specs)} interpreters -> {run_dir}")
    warn_plugins_not_carried(specs, Console(stderr=True))
    outcomes = bench_all(specs, quick, run_dir, console, measure=functools.partial(run_bench, resume=resume, options=options))
    write_manifest(run_dir, profile_name, [
        {"spec": o.spec, "tag": o.tag, "label": o.interpreter.label if o.interpreter else None,
         "executable": o.interpreter.executable if o.interpreter else None, "error": o.error,
         "load": list(o.load) if o.load else None}
        for o in outcomes])
    written = render_across(run_dir)
    if out is None or run_dir.absolute().parent == Path("reports").absolute():
        point_latest(run_dir.absolute())
    failed = [o for o in outcomes if o.error]
    console.print(f"report: {written['md']}\n        {written['html']}")
    err = Console(stderr=True)
    for o in failed:
        err.print(f"loopbench: warning: not measured: {o.spec}: {o.error}", markup=False, highlight=False,
                  soft_wrap=True)
    return 1 if failed else 0
