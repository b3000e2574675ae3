"""Errors a user's data can cause. The CLI maps them to exit code 2 ("the data stopped publication")."""

from __future__ import annotations

from pathlib import Path


class DataStopError(Exception):
    """The data, not the code, stopped the run: publication must not happen."""


class ExtractFileError(DataStopError):
    """An extract file could not be read at all; nothing of it was loaded."""

    def __init__(self, path: Path | str, expected: str, detail: str = "") -> None:
        self.path = Path(path)
        self.expected = expected
        self.detail = detail
        message = f"{self.path}: cannot be read ({expected})"
        if detail:
            message += f": {detail}"
        super().__init__(message)
