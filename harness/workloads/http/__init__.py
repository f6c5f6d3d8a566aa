"""An HTTP server workload: small servers on any asyncio event loop (``servers``), driven by wrk (``wrk``), cell by cell (``suite``)."""
