"""Errors a user can cause while extracting, each with what went wrong, where, and what to do."""

from __future__ import annotations

# Exit codes of `csw extract`: 0 a drop was written; 2 something the user must fix (a setting, a
# credential, a table or column the source lacks); 4 the source could not be reached or gave up
# (network, timeout, rate limits): the same command can simply be run again later.
EXIT_MUST_FIX = 2
EXIT_TRY_AGAIN = 4


class ExtractError(Exception):
    """An extraction stopped; nothing of its drop was left behind. `message` says what to do."""

    exit_code = EXIT_MUST_FIX

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceUnavailable(ExtractError):
    """The source could not be reached, timed out or kept refusing: running again later may work."""

    exit_code = EXIT_TRY_AGAIN
