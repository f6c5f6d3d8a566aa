"""The exceptions of the loopbench protocol."""


class CancelledError(BaseException):
    """Raised inside a task, at its current await, when the task is cancelled.

    A ``BaseException`` (as asyncio's is since 3.8) so that a bare
    ``except Exception`` in user code does not swallow a cancellation by accident.
    Awaiting a cancelled task, or calling its ``result()``, raises it too.
    """


class InvalidStateError(Exception):
    """A task's result or exception was asked for before the task finished."""
