"""A frame: one step of a walk-through, as the talk draws it, in four boxes (five with I/O).

The slides of "Discover asyncio event loop" show, for every step, the **Code** run
so far, the **Timers** armed, the **Callbacks** ready, and the **Output** printed.
A walk-through with I/O adds a fifth box the talk did not draw, the **Selector**:
the fds the loop watches, and which are ready. A ``Frame`` is that picture as plain
data (strings), so the terminal view, the HTML page and the tests all read the same
thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Frame:
    step: int                                       # 1-based
    time: float                                     # the loop's time when drawn
    caption: str                                    # what happened in this step
    code: list[str] = field(default_factory=list)   # the calls so far; the last one is current
    timers: list[str] = field(default_factory=list)
    timers_note: str = ""                           # how the loop looked for due timers
    callbacks: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # suspended tasks and what they wait on
    output: list[str] = field(default_factory=list)
    selector: list[str] = field(default_factory=list)   # watched fds: "fd 7 read → wake main()"
    selector_note: str = ""                          # how the loop looked at them

    def to_dict(self) -> dict:
        return asdict(self)

    def boxes(self) -> tuple:
        """The four boxes, for comparing frames: (code, timers, callbacks, output)."""
        return (tuple(self.code), tuple(self.timers), tuple(self.callbacks), tuple(self.output))


@dataclass(frozen=True)
class Walk:
    """A walk-through run on one implementation: its frames and how it was watched."""

    walkthrough: str
    title: str
    impl: str
    source: str                                     # the program, as shown above the frames
    frames: list[Frame]
    traced: bool                                    # loop events (True) or only the protocol (False)
    supported: bool = True

    @property
    def uses_selector(self) -> bool:
        """Does any frame watch an fd? Then the views draw the Selector box."""
        return any(f.selector or f.selector_note for f in self.frames)

    def to_dict(self) -> dict:
        return {"walkthrough": self.walkthrough, "title": self.title, "impl": self.impl,
                "source": self.source, "traced": self.traced, "supported": self.supported,
                "uses_selector": self.uses_selector,
                "frames": [f.to_dict() for f in self.frames]}
