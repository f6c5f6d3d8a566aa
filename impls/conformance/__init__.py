"""The conformance kit: the contract tests every loopbench implementation must pass.

Run them against any registered implementation, yours included::

    pytest --pyargs impls.conformance                 # every registered implementation
    pytest --pyargs impls.conformance --impl mine     # just yours (repeat or comma-separate)

The ``--impl`` option and the fixtures come from ``impls.conformance.plugin``, which
pytest loads by itself once loopbench is installed (entry point ``pytest11``). Every
test is marked with the contract clause it checks (``impls.protocol.CONTRACT``); a
failure report names the clause it broke. Tests run on a ``VirtualClock`` except the
few that are about real threads and real waiting; none asserts a duration.
"""
