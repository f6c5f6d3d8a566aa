"""The asyncio event loops the judges run on, and the features each declares missing.

A judge (CPython's test_asyncio, anyio's test suite) runs code nobody here wrote on an
asyncio event loop. This module names those loops and installs one in a test process:

* ``asyncio``: asyncio's own default loop, untouched (the reference);
* ``asyncio-eager``: the same with ``asyncio.eager_task_factory`` (Python 3.12+);
* ``uvloop``, ``rloop``: their ``new_event_loop``;
* any of our loops by its ``impls`` name (``heap``, ``list``...): ``impls.asyncio_loop(NAME)``;
* ``NAME=module:factory`` (``--asyncio-loop``): any other loop, made by calling ``factory()``.

A loop is installed the way uvloop installs itself: an event-loop policy whose
``new_event_loop()`` returns it, so ``asyncio.run``, ``asyncio.Runner``,
``IsolatedAsyncioTestCase`` and ``asyncio.new_event_loop()`` all get it. The policy
counts the loops it makes (``LOOPS_MADE``), so a judge can tell a test that ran on the
loop under test from one that never asked for a loop (a test of asyncio's own classes).

**Declared missing.** Our asyncio loop says which asyncio methods it does not implement
(``impls.asyncio_host.NOT_IMPLEMENTED``); ``FEATURES`` groups those methods into features
(UDP, subprocess, signals...) and says which tests exercise each, by name. A loop from
elsewhere declares nothing: its failures count like any other.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from dataclasses import asdict, dataclass

#: Loops known by name, beside ours: name -> "module:factory" (None: asyncio's own).
PEERS: dict[str, str | None] = {
    "asyncio": None,
    "asyncio-eager": None,
    "uvloop": "uvloop:new_event_loop",
    "rloop": "rloop:new_event_loop",
}

#: The environment variable a test process reads its loop from (a LoopSpec as JSON).
SPEC_VAR = "LOOPBENCH_JUDGE_LOOP"


@dataclass(frozen=True)
class Feature:
    """A feature of the asyncio loop API: the loop methods that provide it, and the tests
    that exercise it (``tests``: a regex searched in a test's id, lower-cased)."""

    name: str
    methods: tuple[str, ...]
    tests: str


#: Features a loop can declare missing, in the order a test id is matched against them
#: (the first match names a test's feature).
FEATURES: tuple[Feature, ...] = (
    Feature("subprocess", ("subprocess_exec", "subprocess_shell"),
            r"test_subprocess\.|subprocess|child_?watcher|process_?exit|to_process"),
    Feature("signals", ("add_signal_handler", "remove_signal_handler"), r"signal"),
    Feature("UDP", ("create_datagram_endpoint", "sock_recvfrom", "sock_recvfrom_into", "sock_sendto"),
            r"datagram|udp|recvfrom|sendto"),
    Feature("unix sockets", ("create_unix_connection", "create_unix_server"),
            r"unix_(connection|server|sock|stream|socket)|create_unix|open_unix|start_unix"),
    Feature("pipes", ("connect_read_pipe", "connect_write_pipe"), r"(read|write|unclosed)_pipe|pipe_(reader|writer)|_pty\b|_pty_"),
    Feature("start_tls", ("start_tls",), r"start_tls|starttls"),
    Feature("sendfile", ("sendfile", "sock_sendfile"), r"test_sendfile\.|sendfile"),
)


@dataclass(frozen=True)
class LoopSpec:
    """How to make one loop in a test process: ``kind`` is "asyncio", "eager", "ours"
    (``impls.asyncio_loop(impl)``) or "factory" (``module:factory``)."""

    name: str
    kind: str
    factory: str | None = None
    impl: str | None = None
    missing: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoopSpec:
        data = json.loads(text)
        return cls(**{**data, "missing": tuple(data.get("missing", ()))})

    @property
    def virtual_time(self) -> bool:
        """Whether the loop can stand in for asyncio's virtual-time ``TestLoop``: asyncio's
        own loops are that class's base; ours run on a ``VirtualClock``."""
        return self.kind in ("asyncio", "eager", "ours")


def names() -> list[str]:
    """Every loop known by name here: asyncio's, the peers, then ours."""
    import impls

    return [*PEERS, *impls.names()]


def resolve(name: str, extra: dict[str, str] | None = None) -> LoopSpec:
    """The spec of the loop called ``name``; ``extra`` maps more names to "module:factory".
    Raises ValueError, naming the choices, for a name nothing here knows, and for
    asyncio-eager on a Python without eager tasks."""
    import impls

    extra = extra or {}
    if name in extra:
        return LoopSpec(name, "factory", factory=extra[name])
    if name == "asyncio":
        return LoopSpec(name, "asyncio")
    if name == "asyncio-eager":
        if sys.version_info < (3, 12):
            raise ValueError("asyncio-eager needs asyncio.eager_task_factory, new in Python 3.12 "
                             f"(this is {sys.version.split()[0]})")
        return LoopSpec(name, "eager")
    if name in PEERS:
        return LoopSpec(name, "factory", factory=PEERS[name])
    if name in impls.names():
        return LoopSpec(name, "ours", impl=name, missing=declared_missing(name))
    raise ValueError(f"unknown loop {name!r}; choose from {', '.join(names() + list(extra))}, "
                     f"or name another with --asyncio-loop NAME=module:factory")


def declared_missing(impl: str) -> tuple[str, ...]:
    """The features our asyncio loop on ``impl`` does not implement, by its own declaration."""
    import impls
    from impls.asyncio_host import NOT_IMPLEMENTED

    loop = impls.create(impl)
    try:
        has_io = "io" in loop.capabilities
    finally:
        loop.close()
    missing = [f.name for f in FEATURES if any(m in NOT_IMPLEMENTED for m in f.methods)]
    if not has_io:
        missing.append("I/O")
    return tuple(missing)


def feature_of(test_id: str) -> str | None:
    """The feature of ``FEATURES`` a test exercises, by its id, or None."""
    lowered = test_id.lower()
    for feature in FEATURES:
        if re.search(feature.tests, lowered):
            return feature.name
    return None


# ------------------------------------------------------------ in the test process
#: Loops the installed policy has made (and test loops made in their stead), by kind.
LOOPS_MADE = {"loop": 0, "test_loop": 0}


def make_factory(spec: LoopSpec):
    """A zero-argument callable making a new loop of ``spec``."""
    import asyncio

    if spec.kind in ("asyncio", "eager"):
        default = asyncio.SelectorEventLoop if sys.platform != "win32" else asyncio.ProactorEventLoop
        if spec.kind == "asyncio":
            return default

        def eager():
            loop = default()
            loop.set_task_factory(asyncio.eager_task_factory)
            return loop
        return eager
    if spec.kind == "ours":
        import impls

        return lambda: impls.asyncio_loop(spec.impl)
    module_name, _, attr = (spec.factory or "").partition(":")
    target = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def install(spec: LoopSpec):
    """Make ``spec``'s loop the one asyncio's policy hands out, counting each in ``LOOPS_MADE``.
    Returns the policy (install it again after a test module resets the policy)."""
    import asyncio

    factory = make_factory(spec)

    class CountingPolicy(asyncio.DefaultEventLoopPolicy):
        """asyncio's default policy, whose new loops are the loop under test."""

        def new_event_loop(self):
            LOOPS_MADE["loop"] += 1
            if factory is asyncio.new_event_loop:     # "asyncio:new_event_loop" asks the policy: this one
                return super().new_event_loop()
            return factory()

    policy = CountingPolicy()
    asyncio.set_event_loop_policy(policy)
    return policy
