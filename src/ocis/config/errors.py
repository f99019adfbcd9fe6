"""The one error type for bad configuration.

Raised by the loader, the bootstrap (certificates, ``ocis.yaml``) and the server (bind failures).
The message names the setting (env var, ``ocis.yaml`` key or CLI flag) and is meant to be shown to
the operator as one line: ``ocis: <message>``.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A setting has a bad value or a file it points to is unusable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
