"""loopbench's own tests. The loop fixtures (``impl``, ``loop``, ``clock``, ``real_loop``,
``errors``) and ``--impl`` come from the conformance kit's pytest plugin,
``impls.conformance.plugin``, loaded through its entry point."""
