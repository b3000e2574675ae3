"""The one exit-code contract of every `csw` command, as `csw --help`, the CLI's docstring and the
README state it (a test keeps the three in step).

A cron wrapper pages on anything but 0; 0 includes "nothing new to do", said plainly, so a quiet day
does not page. Every code but 1 comes with a message naming what happened and what to do; 1 is a
crash and prints its traceback.
"""

from __future__ import annotations

from ingest.extract.errors import EXIT_MUST_FIX, EXIT_TRY_AGAIN

OK = 0
CRASH = 1
DATA_STOPPED = EXIT_MUST_FIX  # 2: `csw extract` uses it for a setting or credential to fix
DIFFERENT = 3
TRY_AGAIN = EXIT_TRY_AGAIN  # 4
WAREHOUSE_BUSY = 5
USAGE = 64  # sysexits.h EX_USAGE

#: (code, meaning), in the words of `csw --help` and the README.
CONTRACT: tuple[tuple[int, str], ...] = (
    (OK, "done: published, a drop written, or nothing new to do (said plainly)"),
    (CRASH, "a crash: an unexpected error (a bug, the disk, memory); its traceback is printed"),
    (
        DATA_STOPPED,
        "the data stopped it: a file, a gate rule or a source's setting to fix, named",
    ),
    (DIFFERENT, "csw compare: the two publications differ"),
    (
        TRY_AGAIN,
        "csw extract, csw notify: the source or endpoint could not be reached or kept refusing; "
        "run again later",
    ),
    (WAREHOUSE_BUSY, "another csw run holds the warehouse (its pid and start named); run later"),
    (
        USAGE,
        "a usage error: a wrong argument, or a request the warehouse cannot carry out "
        "(a date with no drop, earlier drops not loaded, nothing to roll back to); "
        "nothing was changed",
    ),
)


def contract_text() -> str:
    """The contract as the lines `csw --help` prints."""
    return "exit codes:\n" + "\n".join(f"  {code:<3} {meaning}" for code, meaning in CONTRACT)
