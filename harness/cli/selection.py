"""Choosing scenarios and runtimes by name, as a user types them on the command line.

A **pattern** picks names three ways: the exact name (``timers.slides``), a group
(``timers``: every ``timers.*``), or a shell glob (``'timers.*'``, ``'*lateness'``,
``'anyio-*'``). Every pattern must pick something: one that picks nothing is an error
that suggests the closest names (``difflib``), never a silent no-op.

A **keyword expression** (``-k``) works as pytest's: words matched as
case-insensitive substrings of the name, combined with ``and``, ``or``, ``not`` and
parentheses, e.g. ``-k 'timers and not slides'``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence

GLOB_CHARS = frozenset("*?[")


class SelectionError(ValueError):
    """A pattern that picks nothing, or a keyword expression that does not parse."""


def match_names(patterns: Sequence[str], names: Iterable[str], what: str = "name") -> list[str]:
    """The ``names`` picked by any of ``patterns``, once each, in the patterns' order (and, for one
    pattern, in the order of ``names``); ``SelectionError`` if a pattern picks none."""
    names = list(names)
    groups = {n.split(".", 1)[0] for n in names if "." in n}
    chosen: dict[str, None] = {}
    for pattern in patterns:
        picked = [n for n in names if _picks(pattern, n)]
        if not picked:
            raise SelectionError(_unknown(pattern, names, groups, what))
        chosen.update(dict.fromkeys(picked))
    return list(chosen)


def _picks(pattern: str, name: str) -> bool:
    if GLOB_CHARS & set(pattern):
        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern or name.startswith(pattern.rstrip(".") + ".")


def _unknown(pattern: str, names: list[str], groups: set[str], what: str) -> str:
    close = difflib.get_close_matches(pattern, sorted(set(names) | groups), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"no {what} matches {pattern!r}{hint} (`loopbench list` shows them all)"


# -- keyword expressions ---------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = ("and", "or", "not")


def keyword_filter(expression: str) -> Callable[[str], bool]:
    """A predicate on names for a pytest-style ``-k`` expression; ``SelectionError`` if it does not parse.

    Grammar: ``expr := and_expr ("or" and_expr)*``, ``and_expr := not_expr ("and" not_expr)*``,
    ``not_expr := "not" not_expr | "(" expr ")" | word``.
    """
    tokens = _tokenize(expression)
    if not tokens:
        raise SelectionError("empty -k expression")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise SelectionError(f"-k {expression!r}: the expression ends too early")
        position += 1
        return token

    def parse_joined(operator: str, parse_term, combine):
        """``term (operator term)*``: a predicate that ``combine``s (any, all) the terms' answers."""
        terms = [parse_term()]
        while peek() == operator:
            take()
            terms.append(parse_term())
        return lambda name: combine(t(name) for t in terms)

    def parse_or():
        return parse_joined("or", parse_and, any)

    def parse_and():
        return parse_joined("and", parse_not, all)

    def parse_not():
        token = take()
        if token == "not":
            inner = parse_not()
            return lambda name: not inner(name)
        if token == "(":
            inner = parse_or()
            if peek() != ")":
                raise SelectionError(f"-k {expression!r}: a '(' is not closed")
            take()
            return inner
        if token in _OPERATORS or token == ")":
            raise SelectionError(f"-k {expression!r}: a word was expected where {token!r} is")
        word = token.lower()
        return lambda name: word in name.lower()

    predicate = parse_or()
    if peek() is not None:
        raise SelectionError(f"-k {expression!r}: unexpected {peek()!r}")
    return predicate


def _tokenize(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if not match:                           # only trailing blanks are left
            break
        tokens.append(match.group(1))
        position = match.end()
    return tokens


# -- scenarios --------------------------------------------------------------------------------

def select_scenarios(patterns: Sequence[str] | None = None, keyword: str | None = None, *,
                     quick: bool = False, available: dict | None = None) -> list:
    """The scenarios picked by ``patterns`` (all if None) and ``keyword``, quick ones only if ``quick``.

    ``SelectionError`` if a pattern picks nothing or if nothing is left at all.
    """
    if available is None:
        from ..scenarios.registry import all_scenarios
        available = all_scenarios()
    names = list(available)
    if patterns is not None:
        names = match_names(patterns, names, "scenario")
    if keyword is not None:
        test = keyword_filter(keyword)
        names = [n for n in names if test(n)]
    chosen = [available[n] for n in names if not quick or available[n].quick]
    if not chosen:
        asked = " and ".join(filter(None, [patterns and ",".join(patterns), keyword and f"-k {keyword!r}"]))
        raise SelectionError(f"no {'quick ' if quick else ''}scenario matches {asked or 'the selection'}")
    return chosen
