"""The one exception family of the project.

The CLI prints a `PerseveranceError` as one line and exits with code 2; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class PerseveranceError(Exception):
    """Base of every error the user can cause and fix."""


class ConfigError(PerseveranceError):
    """A data or config file is missing, malformed or out of range."""


class ScenarioError(PerseveranceError):
    """A scenario or run request cannot be flown as asked (e.g. N <= 0)."""


class ClusterError(PerseveranceError):
    """A Dask scheduler cannot be reached or a distributed run failed."""


class StoreError(PerseveranceError):
    """The mission database cannot be opened, read or written as asked."""


class LandingFailedError(PerseveranceError):
    """The simulation ran, and the vehicle did not land safely (the CLI exits with 1)."""


class PerseveranceWarning(UserWarning):
    """Something the user should know that did not stop the work (the CLI prints one line)."""
