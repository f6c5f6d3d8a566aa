"""The contract's clause numbers agree everywhere they are written: ``impls.protocol.CONTRACT``
is the source; the README, docs/extending.md and the scaffolded loop are checked against it."""

import re
from pathlib import Path

from impls.protocol import CONTRACT
from impls.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[1]
IO = [n for n, text in CONTRACT.items() if "('io')" in text]

#: Words that tell which clause a sentence speaks of; a sentence naming clause N must use
#: one of clause N's (checked below to be words of CONTRACT[N] itself, or its topic).
HINTS = {
    1: ["FIFO", "stop()"],
    2: ["arming order", "deadline order", "deadline"],
    3: ["memory bounded", "compact"],
    4: ["exception handler"],
    5: ["tasks", "Tasks"],
    6: ["input", "Bad input"],
    7: ["reference model", "iteration model", "property test", "random programs"],
    9: ["from any thread"],
    13: ["unwatch", "closing the loop"],
}
REFERENCE = re.compile(r"\b[Cc]lauses? (\d+)(?:(?: to | and |-)(\d+))?")


def _documents(tmp_path) -> dict[str, str]:
    package = scaffold("numbered", tmp_path)
    return {"README.md": (ROOT / "README.md").read_text(),
            "docs/extending.md": (ROOT / "docs" / "extending.md").read_text(),
            "scaffolded loop.py": (package / "loopbench_numbered" / "loop.py").read_text()}


def test_the_hints_are_the_contracts_own_words():
    for n, words in HINTS.items():
        assert any(word.lower() in CONTRACT[n].lower() for word in words), n


def test_the_readme_states_every_clause_as_the_contract_does():
    text = (ROOT / "README.md").read_text()
    block = text.split("The contract every implementation keeps", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    stated = {int(n): " ".join(body.split()) for n, body in re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", block,
                                                                         re.MULTILINE | re.DOTALL)}
    assert stated == {n: " ".join(text.split()) for n, text in CONTRACT.items()}


def test_the_readmes_io_list_uses_the_io_clause_numbers():
    text = (ROOT / "README.md").read_text()
    io_list = text.split("The contract adds four clauses", 1)[1].split("\n\n", 2)[1]
    assert [int(n) for n in re.findall(r"^(\d+)\. ", io_list, re.MULTILINE)] == IO


def test_every_clause_named_in_the_docs_and_the_scaffold_is_the_right_one(tmp_path):
    checked = 0
    for where, text in _documents(tmp_path).items():
        lines = text.splitlines()
        for line_no, line in enumerate(lines, 1):
            for match in REFERENCE.finditer(line):
                first, last = int(match.group(1)), int(match.group(2) or match.group(1))
                assert first in CONTRACT and last in CONTRACT, f"{where}:{line_no}: {line}"
                context = " ".join(lines[max(0, line_no - 2):line_no + 1])     # the line and its neighbours
                if " to " in match.group(0) or "-" in match.group(0):        # a range: the I/O clauses
                    assert list(range(first, last + 1)) == IO, f"{where}:{line_no}: not the I/O clauses: {line}"
                else:
                    for n in {first, last}:
                        assert any(w in context for w in HINTS.get(n, [])), \
                            f"{where}:{line_no}: clause {n} is {CONTRACT[n][:40]!r}...: {line}"
                checked += 1
    assert checked >= 10
