"""Error hierarchy. Leaf layer: stdlib only.

Every error raised on purpose subclasses :class:`DriftscopeError`; the CLI maps each class to an
exit code and prints ``str(err)`` as one line on stderr.
"""

from __future__ import annotations


class DriftscopeError(Exception):
    """Base of every error driftscope raises on purpose."""

    exit_code = 2


class InputError(DriftscopeError):
    """Unreadable, empty, binary or otherwise unusable input (message names path:line)."""


class ConfigError(DriftscopeError):
    """An option or configuration value is out of range or inconsistent."""


class EncoderUnavailableError(DriftscopeError):
    """A sentence encoder cannot be loaded (not installed, not cached, no network)."""

    exit_code = 3


class AlignmentError(DriftscopeError):
    """The aligner cannot produce an alignment for the given inputs."""


class OutputError(DriftscopeError):
    """An output cannot be written (unwritable, or it would overwrite an input)."""
