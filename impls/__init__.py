"""loopbench's event loops: one protocol, several interchangeable implementations.

>>> import impls
>>> impls.names()
['list', 'heap', 'thread', 'trampoline']
>>> loop = impls.create("heap", clock=impls.VirtualClock())
>>> async def main():
...     await loop.sleep(3600)           # an hour of virtual time, instantly
...     return loop.time()
>>> loop.run_until_complete(main())
3600.0
>>> loop.close()

The contract every implementation keeps is in ``impls.protocol``; the suite that
checks it is ``tests/``. Each implementation is one module, readable in one sitting:

``list_loop``        the slides' CallbackEventLoop/TimerEventLoop: two plain lists (and select())
``heap_loop``        a ready deque, a timer heap, a selector: asyncio's shape
``thread_loop``      a timer thread and a selector thread wait, the loop thread runs
``trampoline_loop``  tasks as explicit stacks of generators (pyos8)
``readiness``        I/O: add_reader/add_writer and the sock_* coroutines, shared

``asyncio_loop(name)`` (``asyncio_host``) makes any of them an asyncio event loop, so
unmodified asyncio programs run on it.
"""

#: The name pip knows this project by (``pip install loop-workbench``): "loopbench" on the
#: package index is another project. The command stays ``loopbench``, the import packages
#: ``impls`` and ``harness``.
DISTRIBUTION = "loop-workbench"

from .clock import Clock, MonotonicClock, VirtualClock  # noqa: E402
from .errors import CancelledError, InvalidStateError  # noqa: E402
from .protocol import CAPABILITIES, EventLoop, Handle, IOEventLoop, Task, TimerHandle  # noqa: E402
from .registry import create, load_entry_points, names, register, unregister  # noqa: E402

def asyncio_loop(name: str, *, clock=None):
    """A new asyncio event loop backed by a new loopbench loop ``name`` (see ``impls.asyncio_host``).

    Imported on first use: asyncio and its transports cost a quarter of a second to
    import, which every loop that never hosts asyncio code need not pay.
    """
    from .asyncio_host import asyncio_loop as make

    return make(name, clock=clock)


__all__ = [
    "DISTRIBUTION", "asyncio_loop", "CAPABILITIES", "CancelledError", "Clock", "EventLoop", "Handle", "IOEventLoop",
    "InvalidStateError",
    "MonotonicClock", "Task", "TimerHandle", "VirtualClock", "create", "names", "register",
    "unregister", "load_entry_points",
]
