"""The kit's own tests get the loop fixtures under their short names (only this package)."""

from impls.conformance.fixtures import clock, errors, loop, real_loop  # noqa: F401
