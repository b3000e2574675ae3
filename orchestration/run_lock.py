"""One run at a time per warehouse: a lock file naming its holder, released by the kernel when the
holder dies however it dies.

`<warehouse>/.csw-run.lock` is locked with flock(2) for the length of a run and holds the owner's
pid, start time and command. A second run finds the lock taken and stops with that holder named
(exit code 5). The kernel releases a flock when the last descriptor closes, so a run killed with
kill -9 leaves no lock behind: the next run takes it and finds the dead run's note still in the
file, which tells it that the previous run did not finish (a stale lock) and that its leftovers
must be cleaned. The descriptor is not inherited by child processes (dbt), so a child that outlives
its parent cannot keep the warehouse locked.

Within one process the lock is re-entrant: the CLI takes it before loading the job, and the job's
warehouse resource takes it again for runs launched from the Dagster UI.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = ".csw-run.lock"

_held: dict[Path, tuple[int, int]] = {}  # lock path -> (descriptor, depth) in this process
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a warehouse's lock, as the lock file says."""

    pid: int | None
    started_at: str | None
    command: str | None
    host: str | None

    def describe(self) -> str:
        parts = [f"pid {self.pid}" if self.pid else "an unknown process"]
        if self.host and self.host != socket.gethostname():
            parts.append(f"on {self.host}")
        if self.started_at:
            parts.append(f"started {self.started_at}")
        if self.command:
            parts.append(f"({self.command})")
        return " ".join(parts)


class WarehouseBusy(Exception):
    """Another run holds the warehouse."""

    def __init__(self, warehouse_dir: Path, holder: Holder) -> None:
        self.holder = holder
        super().__init__(
            f"another run holds the warehouse {warehouse_dir}: {holder.describe()}; "
            "run again when it has finished (nothing was changed)"
        )


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return Holder(None, None, text[:200], None)
    return Holder(data.get("pid"), data.get("started_at"), data.get("command"), data.get("host"))


@dataclass(frozen=True)
class Acquired:
    """The lock as taken: `first` when this took it (not a re-entry within the process), `stale`
    the holder of a run that died without releasing it, if one did."""

    first: bool
    stale: Holder | None


@contextmanager
def warehouse_lock(warehouse_dir: Path, command: str) -> Iterator[Acquired]:
    """Hold the warehouse's run lock for the block. Raises WarehouseBusy when another process
    holds it."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path = (warehouse_dir / LOCK_FILE).resolve()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield Acquired(first=False, stale=None)
        finally:
            _release(path)
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd) or Holder(None, None, None, None)
        os.close(fd)
        raise WarehouseBusy(warehouse_dir, holder) from None
    stale = _read_holder(fd)
    note = {
        "pid": os.getpid(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "host": socket.gethostname(),
    }
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(note).encode())
    os.fsync(fd)
    with _guard:
        _held[path] = (fd, 1)
    try:
        yield Acquired(first=True, stale=stale)
    finally:
        _release(path)


def _release(path: Path) -> None:
    with _guard:
        fd, depth = _held[path]
        if depth > 1:
            _held[path] = (fd, depth - 1)
            return
        del _held[path]
    # An empty file is a lock released in order; a note left behind marks a run that died.
    os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def clean_leftovers(published_dir: Path) -> list[Path]:
    """Remove what an interrupted publication or rollback left in `published/`: the new file
    written under a temporary `….partial` name and its DuckDB write-ahead log, and a history entry
    that is the published file itself (orchestration/publish.py links the current file into
    history just before the rename). Only while holding the lock: no other run writes them."""
    if not published_dir.is_dir():
        return []
    leftovers = sorted(p for p in published_dir.iterdir() if ".partial" in p.name and p.is_file())
    current = published_dir / "analytics.duckdb"
    history = sorted((published_dir / "history").glob("analytics-*.duckdb"))
    if history and current.exists() and history[-1].samefile(current):
        leftovers.append(history[-1])
    for path in leftovers:
        path.unlink()
    return leftovers


@contextmanager
def exclusive_run(
    warehouse_dir: Path, published_dir: Path, command: str, say: Callable[[str], None]
) -> Iterator[None]:
    """Hold the warehouse for a run: the lock, and on taking it, the leftovers of a run that died
    cleaned (said, with the dead run named)."""
    with warehouse_lock(warehouse_dir, command) as acquired:
        if acquired.first:
            if acquired.stale is not None:
                say(f"the previous run ({acquired.stale.describe()}) did not finish")
            for path in clean_leftovers(published_dir):
                say(f"removed {path}, left by an interrupted run")
        yield
