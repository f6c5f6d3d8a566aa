"""One outside test suite run in a session of its own, with a time limit.

A suite nobody here wrote may hang, or leave processes behind (servers, children of its
subprocess tests). So it runs in a new session, its output goes to a file (a pipe could
fill, or outlive it), and when it ends or its time is up the whole session is killed:
whatever it started goes with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import IO


def run_in_session(cmd: list[str], output: IO, timeout: float, **popen) -> tuple[int, bool]:
    """Run ``cmd`` with stdout and stderr to ``output``; (its exit status, whether it ran
    past ``timeout`` and was killed). Its session is killed either way."""
    proc = subprocess.Popen(cmd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    hung = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        hung = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)              # and whatever its tests left behind
    except ProcessLookupError:
        pass
    return proc.wait(), hung
