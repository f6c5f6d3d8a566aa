"""A warm interpreter that forks one process per cell.

A fresh interpreter per cell pays for its imports every time (the harness, trio,
curio, anyio, uvloop, rloop...: about a quarter of a second), and a default run has
hundreds of cells: more time than most cells take to run. The prefork server pays
them once. It imports what a cell may need, starts no thread and runs no loop; then,
for each cell, it forks a child that runs ``harness.execution.worker.main`` exactly as
``python -m harness.execution.worker`` would. The isolation is the same as a fresh process:

* the child calls ``setsid()``: it is its own process group, which the runner kills
  whole at the time limit (the server only reaps it and reports how it ended);
* its output goes to the cell's own log file, its input is ``/dev/null``;
* it watches the runner's pipe (``--parent-pipe``) and dies with the runner;
* a crash, a hang or a ``sys.exit`` ends the child, never the server.

What a child shares with its siblings is only what the server imported (modules,
not state: no loop, no thread, no open socket). ``random`` reseeds itself in every
child (``os.register_at_fork``).

Protocol, one JSON object per line. The runner writes ``{"argv": [...], "log": PATH}``;
the server answers ``{"pid": N}`` once the child exists, then ``{"pid": N,
"returncode": C}`` when it has ended (``C`` as ``subprocess`` reports it: negative for
a signal). End of input ends the server.

``Servers`` is the runner's side: one server per (thread, interpreter), started on
first use. Where ``os.fork`` is not safe to use (not Linux) or ``LOOPBENCH_PREFORK=0``,
the runner starts a fresh interpreter per cell instead, as it does whenever a server
cannot be started or dies.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

ENV_VAR = "LOOPBENCH_PREFORK"
#: How long a server may take to import everything and fork the first child, and to
#: answer at all after that (fork a child, report how one ended).
START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 10.0


def enabled() -> bool:
    """True where cells are forked from a warm server (Linux, unless ``LOOPBENCH_PREFORK=0``)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and os.environ.get(ENV_VAR, "1") != "0"


# ----------------------------------------------------------------- the server
def _preload() -> None:
    """Import what cells need: the worker, every scenario, every runtime's adapter and library.

    A runtime whose library cannot be imported here is simply not preloaded: its cells
    import it themselves and report it, as in a fresh interpreter. Plugins (user code)
    are not imported here: each cell loads them after the fork. The installed metadata
    every cell reads (the asyncio loops' entry points, the libraries' versions) is read
    here once: 35 ms of every cell's CPU before, a third of a quick behaviour cell."""
    import importlib
    import warnings

    import impls

    from .. import runtimes  # noqa: F401
    from ..scenarios import registry as scenario
    from . import worker  # noqa: F401  (imported warm, for every fork)
    from ..runtimes import CONTROLS, PEERS

    scenario.select()
    for spec in (*PEERS.values(), *CONTROLS.values()):
        try:
            importlib.import_module(f"{runtimes.__name__}.{spec.split(':')[0]}")
        except Exception:
            pass
    for module in ("harness.runtimes.ours", "harness.runtimes.emulation", "harness.workloads.microbench"):
        try:
            importlib.import_module(module)
        except Exception:
            pass
    from ..runtimes.interface import distribution_version

    with warnings.catch_warnings():          # a cell warns about a misnamed loop itself
        warnings.simplefilter("ignore")
        try:
            runtimes.asyncio_loops()
        except Exception:                    # a malformed variable: each cell reports it
            pass
    for distribution in {impls.DISTRIBUTION, *(d.distribution for d in runtimes.described().values())}:
        distribution_version(distribution)


def serve(parent_pipe: int | None) -> int:
    """Answer requests from stdin until it closes."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)                                   # stray prints go to the server's log
    os.close(null)
    _preload()
    # What the server imported lives as long as every child: frozen, the children's
    # collections never walk it, so they never copy its pages (as the gc module advises
    # before a fork).
    gc.collect()
    gc.freeze()
    for line in requests:
        request = json.loads(line)
        argv = list(request["argv"]) + (["--parent-pipe", str(parent_pipe)] if parent_pipe is not None else [])
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            requests.close()
            answers.close()
            _child(argv, request["log"])
        answers.write(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"pid": pid, "returncode": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
    return 0


def _child(argv: list[str], log: str) -> None:
    """Become the cell: a session of its own, output to its log; never returns."""
    code = 1
    try:
        os.setsid()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        from .worker import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.execution.prefork")
    parser.add_argument("--parent-pipe", type=int, default=None,
                        help="read end of a pipe from the runner, handed to every cell")
    try:
        return serve(parser.parse_args(argv).parent_pipe)
    except BrokenPipeError:                 # the runner is gone: nobody to answer
        return 0


# ---------------------------------------------------------------- the runner's side
class ServerGone(Exception):
    """The server died or stopped answering: run the cell in a fresh interpreter instead."""


class ChildEnded(Exception):
    """The cell's process ended before its server reported it."""


#: ``Server.run``'s answer for a cell that ended while its server stopped answering: how it
#: ended is unknown, what it wrote (its record) is not.
UNREPORTED = "unreported"


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` ends (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class Server:
    """One prefork server, used by one thread at a time."""

    def __init__(self, python: str, log_path: Path, start) -> None:
        watch_read, self._watch_write = os.pipe()
        try:
            with open(log_path, "ab") as log:
                self.proc = start([python, "-m", "harness.execution.prefork", "--parent-pipe", str(watch_read)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                  pass_fds=(watch_read,))
        except BaseException:
            os.close(self._watch_write)
            raise
        finally:
            os.close(watch_read)
        self._buffer = b""
        self._started = False

    def run(self, argv: list[str], log: Path, timeout: float, on_pid) -> int | str | None:
        """Run one cell; its return code, None if it ran past ``timeout`` (its group killed),
        or ``UNREPORTED`` if it ended but the server stopped answering before it said how.

        ``on_pid(pid)`` is called as soon as the child exists (so an interrupted run can
        kill it). The child's end is watched directly (a pidfd), not only through the
        server: a server that stops answering (stopped, swapped out) must not turn a cell
        that has finished into a timeout; such a server is ended after ``ANSWER_TIMEOUT``
        and the caller reads the record the cell wrote. Raises ServerGone if the server
        does not start the cell."""
        try:
            self.proc.stdin.write(json.dumps({"argv": argv, "log": str(log)}).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise ServerGone(f"cannot write to the server: {exc}") from exc
        try:
            pid = self._answer(START_TIMEOUT if not self._started else ANSWER_TIMEOUT)["pid"]
        except TimeoutError:
            self.kill()
            raise ServerGone("the server did not start the cell") from None
        self._started = True
        on_pid(pid)
        child = _pidfd(pid)
        try:
            try:
                return self._answer(timeout, child=child)["returncode"]
            except ChildEnded:
                try:                                # ended: the server has ANSWER_TIMEOUT to say how
                    return self._answer(ANSWER_TIMEOUT)["returncode"]
                except (TimeoutError, ServerGone):
                    self.kill()                     # it did not: the next cell gets another
                    return UNREPORTED
            except TimeoutError:
                kill_group(pid)
            try:
                self._answer(ANSWER_TIMEOUT)        # the server reaps it and says so
            except (TimeoutError, ServerGone):
                self.kill()                         # it did not: the next cell gets another
            return None
        finally:
            if child is not None:
                os.close(child)

    def kill(self) -> None:
        """End a server that stopped answering; ``Servers.get`` replaces it."""
        kill_group(self.proc.pid)
        self.proc.wait()

    def _answer(self, timeout: float, child: int | None = None) -> dict:
        """The server's next line; TimeoutError after ``timeout``, ServerGone if it is gone,
        ``ChildEnded`` if the process of the pidfd ``child`` ends before the server says so."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if child is not None:
                sel.register(child, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                ready = sel.select(left) if left > 0 else []
                if not ready:
                    if self.proc.poll() is not None:
                        raise ServerGone(f"the server exited ({self.proc.returncode})")
                    raise TimeoutError
                if not any(key.fileobj is self.proc.stdout for key, _ in ready):
                    sel.unregister(child)           # the child ended; the answer is due now
                    raise ChildEnded
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise ServerGone("the server closed its output")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        for closing in (self.proc.stdin.close, lambda: os.close(self._watch_write)):
            try:
                closing()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=ANSWER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc.stdout.close()


class Servers:
    """The runner's servers: one per (thread, interpreter), started on first use."""

    def __init__(self, log_dir: Path) -> None:
        self._lock = threading.Lock()
        self._servers: dict[tuple[int, str], Server] = {}
        self._log_dir = Path(log_dir)

    def get(self, python: str, start) -> Server:
        key = (threading.get_ident(), python)
        with self._lock:
            server = self._servers.get(key)
        if server is None or server.proc.poll() is not None:
            if server is not None:
                server.close()                      # dead: its pipes are closed, its exit reaped
            self._log_dir.mkdir(parents=True, exist_ok=True)
            server = Server(python, self._log_dir / f"prefork-{len(self._servers) + 1}.log", start)
            with self._lock:
                self._servers[key] = server
        return server

    def drop(self, python: str) -> None:
        """Forget this thread's server (it failed); the next cell starts another."""
        with self._lock:
            server = self._servers.pop((threading.get_ident(), python), None)
        if server is not None:
            server.kill()
            server.close()

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, if it still exists."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(main())
