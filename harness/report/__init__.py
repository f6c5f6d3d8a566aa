"""Reports: turn a run directory (results.jsonl, benchmark.json, environment.json) into
``report.md``, a self-contained ``report.html`` and PNG plots; compare two runs."""
