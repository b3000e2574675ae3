"""`csw-dbt`: dbt's own command line, run as a child that dies with the process that started it.

The daily job runs dbt as a child process (dagster-dbt). When the job's process is killed
(kill -9, the OOM killer), a plain dbt child would live on, keep writing and keep DuckDB's lock on
the build database, so the next run could not open it. This entry point watches its parent: when
the parent is gone (the child has been handed to another process), it kills itself at once. DuckDB
replays or discards what the write-ahead log holds when the next run opens the file.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

POLL_SECONDS = 0.2


def _die_with(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    """Run dbt with this process's arguments, watching the parent for as long as dbt runs."""
    threading.Thread(target=_die_with, args=(os.getppid(),), daemon=True).start()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
