"""Helpers shared by the conformance tests (a module of its own: ``conftest`` is not importable by name)."""


def run_soon(loop, *callbacks) -> None:
    """Schedule the callbacks, then a stop, and run one batch of iterations to it."""
    for cb in callbacks:
        loop.call_soon(cb)
    loop.call_soon(loop.stop)
    loop.run_forever()
