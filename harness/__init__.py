"""The loopbench harness: the same scenarios on every loop, compared (see the harness issue)."""
