"""loopbench's own tests. ``--impl`` and the ``impl`` parameter come from the conformance
kit's pytest plugin (``impls.conformance.plugin``, loaded through its entry point), which
acts on tests marked ``loopbench``: every test here is. The loop fixtures under their
short names (``loop``, ``clock``, ``real_loop``, ``errors``) are imported here, so they
exist for these tests alone."""

import pytest

from impls.conformance.fixtures import clock, errors, loop, real_loop  # noqa: F401


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """Every test here is one the plugin parametrizes over the implementations (before it looks)."""
    metafunc.definition.add_marker(pytest.mark.loopbench)
