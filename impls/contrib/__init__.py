"""Implementations added through the public extension path (entry points), as a user would."""
