"""A reference model of one loop iteration, for the property test.

It simulates, on virtual time, exactly the iteration every built-in loop documents
(``impls/base.py``): (1) if nothing is ready, jump time to the earliest live
deadline; (2) move due timers to the back of the ready queue in (when, sequence)
order; (3) run the callbacks ready at that point, skipping cancelled ones.

A *program* is a list of actions; running an action schedules something, and a
scheduled callback, when it runs, logs itself and performs its own child actions:

    ("soon", children)                 call_soon
    ("later", delay, children)         call_later(delay)
    ("at", when, children)             call_at(when)
    ("cancel", k)                      cancel the k-th handle created so far (mod count)

Callbacks are labelled by creation order, so the model and a real loop agree on
labels as long as they agree on order. The log is [(label, time fired)].
"""

from __future__ import annotations

from collections import deque

STOP_AT = 1000.0        # after every deadline a program can produce


class Model:
    def __init__(self) -> None:
        self.now = 0.0
        self.ready: deque[int] = deque()
        self.timers: list[tuple[float, int, int]] = []     # (when, seq, label)
        self.cancelled: set[int] = set()
        self.children: dict[int, list] = {}
        self.handles: list[int] = []
        self.log: list[tuple[int, float]] = []
        self.seq = 0

    def perform(self, actions) -> None:
        for action in actions:
            kind = action[0]
            if kind == "cancel":
                if self.handles:
                    self.cancelled.add(self.handles[action[1] % len(self.handles)])
                continue
            label = len(self.handles)
            self.handles.append(label)
            self.children[label] = action[-1]
            if kind == "soon":
                self.ready.append(label)
            else:
                when = self.now + action[1] if kind == "later" else float(action[1])
                self.timers.append((when, self.seq, label))
                self.seq += 1

    def run(self, program) -> list[tuple[int, float]]:
        self.perform(program)
        while True:
            live = [t for t in self.timers if t[2] not in self.cancelled]
            if not self.ready:
                if not live:
                    return self.log
                self.now = max(self.now, min(live)[0])
            due = sorted(t for t in live if t[0] <= self.now)
            self.timers = [t for t in live if t[0] > self.now]
            self.ready.extend(label for _, _, label in due)
            for _ in range(len(self.ready)):
                label = self.ready.popleft()
                if label in self.cancelled:
                    continue
                self.log.append((label, self.now))
                self.perform(self.children[label])


def run_on_loop(loop, program) -> list[tuple[int, float]]:
    """Run ``program`` on a real loop (on a VirtualClock) and return its log."""
    handles: list = []
    log: list[tuple[int, float]] = []

    def perform(actions):
        for action in actions:
            kind = action[0]
            if kind == "cancel":
                if handles:
                    handles[action[1] % len(handles)].cancel()
                continue
            label = len(handles)
            handles.append(None)
            if kind == "soon":
                handles[label] = loop.call_soon(fire, label, action[-1])
            elif kind == "later":
                handles[label] = loop.call_later(action[1], fire, label, action[-1])
            else:
                handles[label] = loop.call_at(action[1], fire, label, action[-1])

    def fire(label, children):
        log.append((label, loop.time()))
        perform(children)

    perform(program)
    loop.call_at(STOP_AT, loop.stop)
    loop.run_forever()
    return log
