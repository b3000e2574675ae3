"""`python -m tests.e2e.faults.crash_at POINT CSW-ARGS…`: the real `csw`, killed with SIGKILL at a
chosen point of its run (fault injection for the crash tests; nothing else is changed).

- `ingest`: the whole process group, while stripe's drop is being written (inside its transaction,
  its raw rows in, its log row not yet).
- `dbt`: the csw process alone, once its dbt child runs: the child's pid is written to
  $CSW_FAULT_CHILD_PID_FILE, and the kill waits for $CSW_FAULT_GO_FILE to exist (so a test can try
  a second run against the held warehouse first). The child must then die on its own.
- `publish`: the whole process group, when the new publication is complete under its temporary
  name and about to be renamed over the published file.

Run it in a session of its own (start_new_session), or the group kill takes the caller with it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path


def _kill_group() -> None:
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _at_ingest() -> None:
    import ingest.loader

    original = ingest.loader.insert_log

    def insert_log(con, result, entry, loaded_at):
        if result.source == "stripe":
            _kill_group()
        return original(con, result, entry, loaded_at)

    ingest.loader.insert_log = insert_log


def _dbt_children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parent = stat.rsplit(")", 1)[1].split()[1]
        if parent == me and "csw-dbt" in cmdline:
            found.append(int(entry.name))
    return found


def _at_dbt() -> None:
    pid_file = Path(os.environ["CSW_FAULT_CHILD_PID_FILE"])
    go_file = Path(os.environ["CSW_FAULT_GO_FILE"])

    def watch() -> None:
        while not (children := _dbt_children()):
            time.sleep(0.1)
        pid_file.write_text(str(children[0]))
        while not go_file.exists():
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _at_publish() -> None:
    import orchestration.publish

    real_os = orchestration.publish.os

    class _Os:
        def __getattr__(self, name):
            return getattr(real_os, name)

        @staticmethod
        def replace(source, target):
            if Path(source).name.endswith(".partial") and "rollback" not in Path(source).name:
                _kill_group()
            return real_os.replace(source, target)

    orchestration.publish.os = _Os()


POINTS = {"ingest": _at_ingest, "dbt": _at_dbt, "publish": _at_publish}

if __name__ == "__main__":
    point, *arguments = sys.argv[1:]
    POINTS[point]()
    from orchestration.cli import main

    main(arguments)
