"""``python -m harness.runtimes [NAME ...]``: how each runtime maps each operation, and what it built.

One line per runtime and operation that is not plainly native: native operations with
a label (``trio: call_soon = native: TrioToken.run_sync_soon ...``), every emulated one
with what the harness built, every unsupported one with why. Controls are marked.
"""

from __future__ import annotations

import sys

from . import create, names
from .interface import NATIVE, Unavailable


def main(argv: list[str]) -> int:
    for name in argv or names():
        try:
            rt = create(name)
        except Unavailable as exc:
            print(f"{name}: unavailable ({exc})")
            continue
        suffix = " (control)" if rt.control else ""
        for op, row in rt.operations().items():
            if row["how"] != NATIVE or row["note"]:
                print(f"{name}{suffix}: {op} = {row['how']}" + (f": {row['note']}" if row["note"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
