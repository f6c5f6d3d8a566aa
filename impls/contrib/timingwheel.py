"""A hashed hierarchical timing wheel: a timer store where arming and cancelling cost O(1).

A drop-in replacement for the heap loop's ``TimerHeap`` (``impls/timerheap.py``):
same methods, same promises. The design is Varghese & Lauck's ("Hashed and
Hierarchical Timing Wheels", 1987). It is also the design behind Linux's timer
wheel (``kernel/time/timer.c``), Kafka's purgatory and Netty's ``HashedWheelTimer``.

**The idea: the deadline is the address.** Cut time into ticks of ``tick`` seconds
(1 ms by default). A timer's tick is ``t = floor(when / tick)``. A ring of 256
slots holds the next 256 ticks: a timer due at tick ``t`` is appended to slot
``t & 255``, and a cursor ``cur`` (a tick) moves around the ring as time passes.
Every slot the cursor leaves behind holds only due timers. Arming is a list append
with no comparisons. A heap makes O(log n) comparisons per push and per pop.

**Levels: more than 256 ticks ahead.** Coarser rings hold later timers, like the
hour hand of a clock (these are the sizes of Linux's classic wheel)::

    level 0   256 slots of 1 tick          the next 256 ticks
    level 1    64 slots of 2**8 ticks      up to 2**14 ticks ahead   (16 s at 1 ms)
    level 2    64 slots of 2**14 ticks     up to 2**20 ticks ahead   (17 minutes)
    level 3    64 slots of 2**20 ticks     up to 2**26 ticks ahead   (18.6 hours)
    overflow   a heap                      anything later

A timer goes to the finest level whose span covers ``t - cur``, in the slot picked by
that level's "digit" of ``t``: ``t & 255`` on level 0, ``(t >> 8) & 63`` on level 1,
``(t >> 14) & 63`` on level 2, and so on.

**Cascading.** When the cursor enters a new block of 256 ticks, the level-1 slot of
that block holds exactly the timers due within it. The slot is emptied and its
timers are inserted again; now they are less than 256 ticks ahead, so they land on
level 0. This is a *cascade*. Entering a new level-2 block does the same for that
block's level-2 slot, whose timers land on level 1 or 0, and likewise for level 3.
When the cursor reaches a multiple of 2**26 ticks, the timers of the overflow that
are now within range move into the wheel. A timer only moves down, so it is
re-inserted at most once per level: O(levels) work over its life, a constant. Most
timers (short timeouts, or timers cancelled first) never cascade at all. The
overflow is a heap, not a list. (Linux's classic wheel had a fifth level instead,
and capped longer timeouts.) Far timers are rare, and a heap hands over exactly the
ones that come within range, where a list would be scanned whole at every
2**26-tick boundary.

**The current tick is a small heap.** When the cursor reaches a tick, that tick's
slot is moved into ``_current``, a heap of ``(when, sequence, timer)`` entries, as
in ``TimerHeap``. Timers armed for the current tick, or for a past deadline, are
pushed onto it directly. The slots proper only ever hold future ticks.

**Exactness: ticks place timers, ``when`` fires them.** A tick is a bucket, not a
deadline. Everything at a tick before ``floor(now / tick)`` is due: those timers
have ``when < now``, because ``floor(x / tick)`` never decreases as ``x`` grows. The
current tick is only partly due, so ``pop_due`` pops its heap while the top's
``when <= now``. No timer ever fires before its ``when``, however coarse the tick,
and a timer 0.3 ticks ahead of ``now`` waits.

**Order.** A slot is an unordered list: its timers may have any deadline within the
tick, and cascades append them in any order. So each entry carries a sequence number
taken at push, and the due timers ``pop_due`` collects from whole ticks are sorted
by ``(when, sequence)`` before they are handed over. The result is deadline order,
FIFO among equal deadlines, whichever slots and cascades the timers went through.
Sorting k due timers costs O(k log k), as k pops from a heap would. The heap of the
current tick keeps the same order. On a virtual clock, where each distinct deadline
in a tick is its own wake-up, that heap also spares a rescan of the whole tick at
every wake-up.

**Idle ticks: the wheel's classic cost, and how it is avoided.** A cursor that steps
one tick at a time does work for every tick, whether or not a timer is due (the
jiffy interrupt of Linux's classic wheel). An hour at 1 ms would be 3.6 million
steps, and a loop that woke at every tick, or at every cascade on the way to a far
timer, would do that work in whole iterations. This wheel does neither:

* each level keeps a bitmap of its non-empty slots (an int: 256 bits for level 0,
  64 for the others), as Linux's current wheel does. The next non-empty slot after
  the cursor costs a rotate and an isolate-lowest-bit, ``x & -x``, with no loop
  over slots, and an empty level is a zero that is skipped at once;
* ``pop_due`` jumps the cursor from event to event: the next non-empty level-0
  slot, the next tick where a cascade has work (the start of the first non-empty
  slot on levels 1..3, or of the overflow's earliest block), or ``now``, whichever
  comes first. It cascades wherever it lands on a block boundary. Boundaries it
  jumps over have empty slots, so skipping them loses nothing. A timer a year
  away is reached in a handful of moves;
* ``deadline()``, which the loop sleeps until, is the earliest deadline and no
  approximation: the minimum of the current tick's top, the smallest live ``when``
  in the first non-empty level-0 slot, the overflow's top, and, for each of levels
  1..3, the smallest ``when`` of its first non-empty slot. Each slot of levels 1..3
  remembers that minimum as timers are appended, and forgets it when the slot is
  emptied by a cascade. So the loop wakes when the earliest timer is due, as the
  heap loop does, and ``pop_due`` then cascades it down all the levels in one call.
  One imprecision remains: a remembered minimum may belong to a timer cancelled
  since. Then ``deadline()`` is early, never late, and that wake-up fires nothing
  and drops the cancelled timer. (The simpler rule, answering with the next
  cascade boundary when the earliest timer is above level 0, also fires every
  timer on time, but it wakes the loop at each boundary on the way: 2.4 iterations
  per timer for timers spread over days.)

**The cursor never runs ahead of the clock.** Ticks before ``cur`` are treated as
done, so ``cur`` must start at or before the first ``now`` that ``pop_due`` will see.
``WheelLoop`` passes its clock's time as ``start``. The default, 0.0, suits a
``VirtualClock``. A later clock only costs a few extra cascades. ``pop_due`` moves
``cur`` only up to ``floor(now / tick)``.

**Cancellation** is lazy, as in the heap: ``TimerHandle.cancel`` sets a flag and, in
O(1), tells the store (``note_cancelled``). The wheel drops flagged entries where
it meets them: in a cascade, in ``deadline()``, or in a due batch. Once there are
more than 100 of them and they are more than half of all stored timers, every slot
is rebuilt without them, at the next ``push`` or ``deadline()``, so arming and
cancelling 100k timers leaves at most a few hundred entries. (Linux unlinks a timer
from its slot's doubly-linked list; flags and an occasional rebuild keep the slots
plain Python lists.) ``cancel()`` may come from any thread (contract clause 9), so
``note_cancelled`` only counts: a rebuild on the cancelling thread would race
``pop_due`` and run a timer twice, or lose one. The slots are changed only by the
thread that arms timers and runs the loop.

**Trade-offs against the heap**, in short:

* arm and cancel: O(1) here, O(log n) for the heap's push. (A timer for the current
  tick, or beyond level 3, goes onto a heap: O(log m) for the m timers there.)
  Firing: amortised O(1) per timer plus the sort of each due batch, against O(log n)
  per heap pop. In CPython the heap's O(log n) runs in C (``heapq``) and the wheel's
  O(1) in bytecode, so the constants decide more than the orders do. Measure before
  you conclude;
* fixed cost: 448 slot lists (about 25 KB) even when empty;
* ``deadline()`` reads a few bitmaps and scans one level-0 slot where the heap
  peeks at one entry. It may answer with a timer cancelled since (one empty wake-up);
* the tick is a tuning knob, not a resolution. A coarse tick puts more timers in
  each tick, so more sorting and more work in the current tick's heap; at the limit,
  the wheel becomes a heap. A fine tick sends the same delays to higher levels, so
  more cascades. When timers fire is exact either way.

Not thread-safe by itself, like ``TimerHeap``: only ``note_cancelled`` may be called
from another thread.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from heapq import heapify, heappop, heappush
from math import floor, inf

from impls.handles import TimerHandle
from impls.timerheap import MIN_CANCELLED_TO_COMPACT     # the heap's threshold: compaction as in TimerHeap

ROOT_SLOTS = 256                 # level 0: one slot per tick
LEVEL_SLOTS = 64                 # levels 1..3
#: Level L slots cover ``1 << SHIFTS[L]`` ticks each.
SHIFTS = (0, 8, 14, 20)
#: Ticks ahead the four levels cover. Anything further goes to the overflow heap.
SPAN = 1 << 26

#: Ticks ahead that levels 1 and 2 cover (level 3 covers up to SPAN).
_LEVEL1_SPAN = 1 << 14
_LEVEL2_SPAN = 1 << 20
_SPAN_MASK = SPAN - 1
_ROOT_MASK = (1 << ROOT_SLOTS) - 1
_LEVEL_MASK = (1 << LEVEL_SLOTS) - 1
_FAR = 1 << 1100                 # the tick of a time whose ``x / tick`` overflows to inf


def _tick_of(x: float, tick: float) -> int:
    """``floor(x / tick)``; a quotient too large for a float maps to a tick past all others."""
    try:
        return floor(x / tick)
    except OverflowError:
        return _FAR if x > 0 else -_FAR


class TimingWheel:
    """Timers in slots by tick on four levels, with a heap for the current tick and one
    for the overflow. Same interface as ``TimerHeap``."""

    __slots__ = ("tick", "entries", "cancelled", "moves", "_cur", "_current", "_root",
                 "_levels", "_bits", "_mins", "_overflow", "_sequence", "_hint")

    def __init__(self, tick: float = 0.001, *, start: float = 0.0) -> None:
        if isinstance(tick, bool) or not isinstance(tick, (int, float)) or not 0 < tick < inf:
            raise ValueError(f"tick must be a positive, finite number of seconds, got {tick!r}")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start):
            raise ValueError(f"start must be a finite time, got {start!r}")
        #: Seconds per tick.
        self.tick = float(tick)
        #: How many timers are stored, cancelled ones included. (``TimerHeap.entries`` is its
        #: list; ``HeapLoop`` only tests it for truth, which this count answers the same way.)
        self.entries = 0
        #: How many stored timers are cancelled.
        self.cancelled = 0
        #: How many times ``pop_due`` moved the cursor (each move is a jump): for tests.
        self.moves = 0
        self._cur = _tick_of(float(start), self.tick)
        # The current tick and past deadlines: a heap of (when, sequence, timer).
        self._current: list = []
        self._root: list[list] = [[] for _ in range(ROOT_SLOTS)]
        self._levels: list[list[list]] = [self._root] + [
            [[] for _ in range(LEVEL_SLOTS)] for _ in range(3)]
        # Per level, bit i is set when slot i is not empty.
        self._bits = [0, 0, 0, 0]
        # Levels 1..3: the smallest when in each slot (cancelled entries included).
        self._mins: list[list[float]] = [[]] + [[inf] * LEVEL_SLOTS for _ in range(3)]
        # Timers beyond level 3: a heap of (when, sequence, timer), like the current tick.
        self._overflow: list = []
        self._sequence = itertools.count()
        # The when of a stored entry that no earlier entry precedes, as far as we
        # know, or None. push() compares with it to answer "is this the earliest?".
        self._hint: float | None = None

    def __len__(self) -> int:
        return self.entries

    # -------------------------------------------------------------- arming
    def push(self, timer: TimerHandle) -> bool:
        """Arm ``timer`` in O(1); True if it is now the earliest deadline.

        The answer is exact whenever the wheel knows its earliest entry (after
        ``deadline()`` found it, and after each push). Otherwise (after ``pop_due``,
        until the next ``deadline()``) it may answer True for a timer that is not the
        earliest, never False for one that is.
        """
        if self.cancelled > MIN_CANCELLED_TO_COMPACT and self.cancelled * 2 > self.entries:
            self._compact()
        when = timer._when
        entry = (when, next(self._sequence), timer)
        try:
            t = floor(when / self.tick)
        except OverflowError:
            t = _FAR if when > 0 else -_FAR
        idx = t - self._cur
        if idx <= 0:
            heappush(self._current, entry)
        elif idx < ROOT_SLOTS:
            i = t & 255
            slot = self._root[i]
            if not slot:                 # a slot's bit is set while it is not empty: set it once
                self._bits[0] |= 1 << i
            slot.append(entry)
        elif idx < SPAN:
            level = 1 if idx < _LEVEL1_SPAN else 2 if idx < _LEVEL2_SPAN else 3
            i = (t >> SHIFTS[level]) & 63
            slot = self._levels[level][i]
            if not slot:
                self._bits[level] |= 1 << i
            slot.append(entry)
            mins = self._mins[level]
            if when < mins[i]:
                mins[i] = when
        else:
            heappush(self._overflow, entry)
        self.entries += 1
        hint = self._hint
        if hint is None or when < hint:
            self._hint = when
            return True
        return False

    def _place(self, entry: tuple, t: int) -> None:
        """Insert an entry of tick ``t`` where it belongs now (``push`` inlines this)."""
        idx = t - self._cur
        if idx <= 0:
            heappush(self._current, entry)
            return
        if idx < ROOT_SLOTS:
            i = t & 255
            self._root[i].append(entry)
            self._bits[0] |= 1 << i
            return
        if idx >= SPAN:
            heappush(self._overflow, entry)
            return
        level = 1 if idx < _LEVEL1_SPAN else 2 if idx < _LEVEL2_SPAN else 3
        i = (t >> SHIFTS[level]) & 63
        self._levels[level][i].append(entry)
        self._bits[level] |= 1 << i
        mins = self._mins[level]
        if entry[0] < mins[i]:
            mins[i] = entry[0]

    # ------------------------------------------------------- finding work
    def _next_root(self, cur: int) -> int | None:
        """The first tick after ``cur`` whose level-0 slot is not empty, or None."""
        bits = self._bits[0]
        if not bits:
            return None
        p = (cur + 1) & 255
        rotated = ((bits >> p) | (bits << (ROOT_SLOTS - p))) & _ROOT_MASK   # bit k: tick cur+1+k
        return cur + (rotated & -rotated).bit_length()

    def _next_cascade(self, cur: int) -> int | None:
        """The first tick after ``cur`` where a cascade has work, or None: the start of
        the first non-empty slot on levels 1..3, or of the overflow's earliest block."""
        bits = self._bits
        best = None
        for level in (1, 2, 3):
            level_bits = bits[level]
            if not level_bits:
                continue
            shift = SHIFTS[level]
            block = cur >> shift
            if best is not None and best <= (block + 1) << shift:
                break                       # this level, and coarser ones, start no earlier
            p = (block + 1) & 63
            rotated = ((level_bits >> p) | (level_bits << (LEVEL_SLOTS - p))) & _LEVEL_MASK
            start = (block + (rotated & -rotated).bit_length()) << shift   # bit k: block+1+k
            if best is None or start < best:
                best = start
        if self._overflow:
            start = (_tick_of(self._overflow[0][0], self.tick) >> 26) << 26
            first = ((cur >> 26) + 1) << 26
            if start < first:
                start = first
            if best is None or start < best:
                best = start
        return best

    def _first_slot(self, level: int, cur: int) -> int:
        """The index of the first non-empty slot of ``level`` (1..3) after the cursor's block."""
        bits = self._bits[level]
        p = ((cur >> SHIFTS[level]) + 1) & 63
        rotated = ((bits >> p) | (bits << (LEVEL_SLOTS - p))) & _LEVEL_MASK
        return (p + (rotated & -rotated).bit_length() - 1) & 63

    # ------------------------------------------------------------- waiting
    def deadline(self) -> float | None:
        """The earliest deadline, or None if the wheel is empty. Cancelled timers still
        in a slot of levels 1..3 may count: then it is early, never late."""
        if not self.entries:
            self._hint = None
            return None
        if self.cancelled > MIN_CANCELLED_TO_COMPACT and self.cancelled * 2 > self.entries:
            self._compact()
        current = self._current
        while current and current[0][2]._cancelled:
            heappop(current)
            self.entries -= 1
            self.cancelled -= 1
        if current:                          # every other timer is in a later tick
            self._hint = current[0][0]
            return self._hint
        cur = self._cur
        bits = self._bits
        best = inf
        # Levels 1..3: the first non-empty slot holds the level's earliest timers.
        for level in (1, 2, 3):
            if bits[level]:
                earliest = self._mins[level][self._first_slot(level, cur)]
                if earliest < best:
                    best = earliest
        overflow = self._overflow
        while overflow and overflow[0][2]._cancelled:
            heappop(overflow)
            self.entries -= 1
            self.cancelled -= 1
        if overflow and overflow[0][0] < best:
            best = overflow[0][0]
        # Level 0: the smallest live when in the first non-empty slot.
        root = self._root
        while bits[0]:
            i = self._next_root(cur) & 255
            slot = root[i]
            earliest = None
            dead = 0
            for entry in slot:
                if entry[2]._cancelled:
                    dead += 1
                elif earliest is None or entry[0] < earliest:
                    earliest = entry[0]
            if dead:
                root[i] = [e for e in slot if not e[2]._cancelled]
                self.entries -= dead
                self.cancelled -= dead
                if earliest is None:
                    bits[0] &= ~(1 << i)
                    continue
            if earliest < best:
                best = earliest
            break
        if best == inf:
            self._hint = None
            return None
        self._hint = best
        return best

    # -------------------------------------------------------------- firing
    def pop_due(self, now: float, append: Callable[[TimerHandle], object]) -> None:
        """Pass every live timer with ``when <= now`` to ``append``, in (when, sequence) order."""
        self._hint = None
        try:
            tnow = floor(now / self.tick)
        except OverflowError:
            tnow = _FAR if now > 0 else -_FAR
        cur = self._cur
        current = self._current
        due: list = []
        if tnow > cur:
            if not self.entries:
                self._cur = tnow
                return
            root = self._root
            bits = self._bits
            moves = 0
            while True:
                # Every timer at tick cur < tnow, or before it, is due.
                if current:
                    due += current
                    current.clear()
                # Jump to the next tick with work: a level-0 slot, a cascade, or tnow.
                nxt = tnow
                if bits[0]:
                    x = self._next_root(cur)
                    if x < nxt:
                        nxt = x
                if (bits[1] or bits[2] or bits[3] or self._overflow) and nxt > ((cur >> 8) + 1) << 8:
                    x = self._next_cascade(cur)
                    if x is not None and x < nxt:
                        nxt = x
                cur = nxt
                self._cur = cur
                moves += 1
                if not cur & 255:
                    self._cascade(cur)       # timers due at cur are pushed onto current
                i = cur & 255
                slot = root[i]
                if slot:                     # tick cur becomes the current tick
                    current += slot
                    root[i] = []
                    bits[0] &= ~(1 << i)
                if cur == tnow:
                    heapify(current)
                    break
            self.moves += moves
        # The current tick is only partly due: pop its heap while ``when <= now``.
        if current and current[0][0] <= now:
            taken = []
            while current and current[0][0] <= now:
                taken.append(heappop(current))
            if due:
                due += taken
                due.sort()
            else:
                due = taken                  # popped from a heap: already in order
        elif len(due) > 1:
            due.sort()
        if not due:
            return
        self.entries -= len(due)
        dropped = 0
        for entry in due:
            timer = entry[2]
            if timer._cancelled:
                dropped += 1
                continue
            timer._scheduled = False
            append(timer)
        self.cancelled -= dropped

    def _cascade(self, cur: int) -> None:
        """The cursor is at ``cur``, a block boundary: re-insert the slots that start here."""
        overflow = self._overflow
        if overflow and not cur & _SPAN_MASK:
            # Take from the overflow heap, earliest first, the timers now within range.
            tick = self.tick
            limit = cur + SPAN
            dropped = 0
            while overflow:
                t = _tick_of(overflow[0][0], tick)
                if t >= limit:
                    break
                entry = heappop(overflow)
                if entry[2]._cancelled:
                    dropped += 1
                else:
                    self._place(entry, t)
            self.entries -= dropped
            self.cancelled -= dropped
        bits = self._bits
        for level in (3, 2, 1):                 # coarse to fine: a timer may drop several levels
            shift = SHIFTS[level]
            if cur & ((1 << shift) - 1):
                continue                        # not a boundary of this level
            i = (cur >> shift) & 63
            if bits[level] >> i & 1:
                slots = self._levels[level]
                moved = slots[i]
                slots[i] = []
                bits[level] &= ~(1 << i)
                self._mins[level][i] = inf
                self._reinsert(moved)

    def _reinsert(self, moved: list) -> None:
        """Place a cascaded slot's live timers again, relative to the cursor (``_place``, inlined)."""
        tick = self.tick
        cur = self._cur
        root, levels, bits, mins = self._root, self._levels, self._bits, self._mins
        dropped = 0
        for entry in moved:
            if entry[2]._cancelled:
                dropped += 1
                continue
            t = _tick_of(entry[0], tick)
            idx = t - cur
            if idx <= 0:
                heappush(self._current, entry)
            elif idx < ROOT_SLOTS:
                i = t & 255
                root[i].append(entry)
                bits[0] |= 1 << i
            else:                        # a cascade moves timers down: never past level 3
                level = 1 if idx < _LEVEL1_SPAN else 2 if idx < _LEVEL2_SPAN else 3
                i = (t >> SHIFTS[level]) & 63
                levels[level][i].append(entry)
                bits[level] |= 1 << i
                if entry[0] < mins[level][i]:
                    mins[level][i] = entry[0]
        if dropped:
            self.entries -= dropped
            self.cancelled -= dropped

    # -------------------------------------------------------- cancellation
    def note_cancelled(self, timer: TimerHandle | None = None) -> None:
        """A stored timer was cancelled: count it, and only that, as ``TimerHeap.note_cancelled``
        does (its docstring says why). Safe from any thread."""
        self.cancelled += 1

    def _compact(self) -> None:
        """Rebuild every slot without its cancelled entries."""
        size = 0
        for level, slots in enumerate(self._levels):
            level_bits = 0
            rest = self._bits[level]
            while rest:                          # only the non-empty slots (their bits)
                low = rest & -rest
                rest ^= low
                i = low.bit_length() - 1
                slots[i] = slot = [e for e in slots[i] if not e[2]._cancelled]
                if slot:
                    level_bits |= low
                    size += len(slot)
                if level:
                    self._mins[level][i] = min((e[0] for e in slot), default=inf)
            self._bits[level] = level_bits
        for heap in (self._current, self._overflow):
            heap[:] = [e for e in heap if not e[2]._cancelled]
            heapify(heap)
        self.entries = size + len(self._current) + len(self._overflow)
        self.cancelled = 0
        self._hint = None

    def clear(self) -> None:
        """Drop every timer (the loop is closing)."""
        for slots in self._levels:
            for slot in slots:
                slot.clear()
        self._bits = [0, 0, 0, 0]
        for mins in self._mins:
            mins[:] = [inf] * len(mins)
        self._current.clear()
        self._overflow.clear()
        self.entries = 0
        self.cancelled = 0
        self._hint = None

    def __repr__(self) -> str:
        sizes = [sum(map(len, slots)) for slots in self._levels]
        return (f"<TimingWheel tick={self.tick!r} cur={self._cur} current={len(self._current)} "
                f"levels={sizes} overflow={len(self._overflow)} cancelled={self.cancelled}>")
