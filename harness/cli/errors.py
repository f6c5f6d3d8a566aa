"""The command line's own error: a command that asks for something impossible.

Its own module, so that every command (``explain``, ``cpython-tests``, ``realworld``...)
can raise it without importing the command line that catches it.
"""


class UsageError(Exception):
    """A command line that asks for something impossible (exit status 2)."""
