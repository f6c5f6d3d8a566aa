"""The run directory: its name, the ``latest`` pointer beside it, and its manifest.

A run directory is named by the UTC time its run started (``utc_stamp``); a bench
into ``reports/`` points ``reports/latest`` at the newest (``point_latest``). The
manifest ``run.json`` (``write_manifest``, ``read_manifest``) makes the directory
describe itself: the runtimes in their order, which are controls, the scenarios' docs
and flags, the clock each measure used, and why a runtime was skipped. The report
reads only the run directory, never the live registries, so a run keeps its meaning
after the code that made it has changed.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "run.json"
MANIFEST_SCHEMA = 1


def utc_stamp() -> str:
    """The name of a run directory started now: ``20261207T130045Z``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def point_latest(out_dir: Path) -> None:
    """Point ``latest`` beside ``out_dir`` at it (a relative symlink, replaced)."""
    latest = out_dir.parent / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(out_dir.name, target_is_directory=True)


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write ``run.json`` into ``out_dir`` atomically (a reader never sees half of it)."""
    path = Path(out_dir) / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"schema": MANIFEST_SCHEMA, **manifest}, indent=2, ensure_ascii=False))
    os.replace(tmp, path)
    return path


def read_document(out_dir: Path, name: str) -> dict | None:
    """The JSON object a run wrote as ``name`` (run.json, realworld.json, judges.json...),
    or None when it is absent, torn, or not an object."""
    try:
        found = json.loads((Path(out_dir) / name).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def read_manifest(out_dir: Path) -> dict:
    """The run's manifest, or ``{}`` for a run directory written before manifests (or a torn one)."""
    return read_document(out_dir, MANIFEST) or {}
