"""``make bench``'s micro-suite: pytest-benchmark over the workloads of ``harness.workloads.programs``.

Run it from anywhere (it ships inside the package)::

    python -m pytest --pyargs harness.workloads.microbench -o addopts="" --benchmark-json=out.json
    LOOPBENCH_PROFILE=quick python -m pytest --pyargs harness.workloads.microbench -o addopts="" --benchmark-disable

``test_workloads.py`` times every workload on every runtime (one table per
workload, one row per runtime); ``test_floor.py`` and ``test_million.py`` add the
floors, plain Python doing the least work a measure can take, measured in the same
run. Nothing here defines a workload: the programs, their sizes and their units are
in ``harness/workloads/programs.py``.
"""
