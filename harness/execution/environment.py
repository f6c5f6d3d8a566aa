"""The environment block recorded with every result: machine, Python, library versions, git
revision, and the run profile (``harness.execution.profile``) the numbers were measured in.

The git revision is the one of the checkout this package was imported from, when it
was imported from a git checkout that tracks it; an installed package has none.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from impls import DISTRIBUTION

from . import profile

#: The tools whose versions are recorded beside the peers' (the peers' come from their descriptions).
TOOLS = (DISTRIBUTION, "pytest-benchmark", "pyperf", "hypothesis")


def libraries() -> tuple[str, ...]:
    """Every distribution whose version a run records: loopbench, each peer's library, the tools."""
    from ..runtimes import described

    peers = dict.fromkeys(d.distribution for d in described().values() if d.distribution)
    return (TOOLS[0], *peers, *TOOLS[1:])


PACKAGE_DIR = Path(__file__).resolve().parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(PACKAGE_DIR), *args], capture_output=True, text=True, timeout=5)


def _git_revision() -> str | None:
    try:
        # Only a checkout that tracks this very file: not a repository the venv happens to sit in.
        if _git("ls-files", "--error-unmatch", Path(__file__).name).returncode != 0:
            return None
        out = _git("rev-parse", "--short", "HEAD")
        if out.returncode != 0:
            return None
        dirty = _git("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict:
    """Facts about this machine and software, and the profile the run is measured in."""
    return dict(_machine(), profile=profile.current())


def write_environment(path: Path, env: dict) -> None:
    path.write_text(json.dumps(env, indent=2))


@lru_cache(maxsize=1)
def _machine() -> dict:
    """What does not change during a process (computed once)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "loadavg": list(load) if load else None,
        "switch_interval_s": sys.getswitchinterval(),
        "libraries": {dist: _version(dist) for dist in libraries()},
        "git_revision": _git_revision(),
    }
