"""One run per warehouse (orchestration/run_lock.py): a second one is refused with the holder
named, a killed holder's lock is found stale, and its leftovers are cleaned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.run_lock import (
    LOCK_FILE,
    WarehouseBusy,
    clean_leftovers,
    exclusive_run,
    warehouse_lock,
)


def _holder(warehouse: Path) -> subprocess.Popen[str]:
    """Another process holding the lock until its stdin closes."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                from pathlib import Path
                from orchestration.run_lock import warehouse_lock
                with warehouse_lock(Path({str(warehouse)!r}), "csw run --date 2026-11-20"):
                    print("held", flush=True)
                    sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    try:
        with pytest.raises(WarehouseBusy) as busy, warehouse_lock(tmp_path, "csw run"):
            pass
        assert busy.value.holder.pid == holder.pid
        assert f"pid {holder.pid}" in str(busy.value)
        assert "(csw run --date 2026-11-20)" in str(busy.value)
    finally:
        holder.communicate("", timeout=30)
    # released in order: the file is empty and the next run finds no stale lock
    assert (tmp_path / LOCK_FILE).read_text() == ""
    with warehouse_lock(tmp_path, "csw run") as acquired:
        assert acquired.first and acquired.stale is None


def test_a_killed_holder_leaves_a_stale_lock_that_the_next_run_takes(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with warehouse_lock(tmp_path, "csw run") as acquired:
        assert acquired.stale is not None and acquired.stale.pid == holder.pid
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with warehouse_lock(tmp_path, "csw run") as outer:
        with warehouse_lock(tmp_path, "dagster run") as inner:
            assert outer.first and not inner.first
        # still held after the inner block: another process is refused
        probe = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(f"""
                from pathlib import Path
                from orchestration.run_lock import WarehouseBusy, warehouse_lock
                try:
                    with warehouse_lock(Path({str(tmp_path)!r}), "probe"):
                        print("taken")
                except WarehouseBusy:
                    print("busy")
                """)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert probe.stdout.strip() == "busy"


def test_leftovers_of_an_interrupted_publication_are_cleaned(tmp_path: Path) -> None:
    published = tmp_path / "published"
    (published / "history").mkdir(parents=True)
    current = published / "analytics.duckdb"
    current.write_bytes(b"current")
    older = published / "history" / "analytics-20261119T060000000000Z.duckdb"
    older.write_bytes(b"older")
    # publish links the current file into history, then renames the new one over it: killed in
    # between, history's newest entry is the published file itself
    duplicate = published / "history" / "analytics-20261120T060000000000Z.duckdb"
    os.link(current, duplicate)
    partial = published / "analytics.duckdb.run-1.partial"
    partial.write_bytes(b"half")
    (published / "analytics.duckdb.run-1.partial.wal").write_bytes(b"log")

    said: list[str] = []
    with exclusive_run(tmp_path, published, "csw run", said.append):
        pass
    assert sorted(p.name for p in published.rglob("*") if p.is_file()) == [
        "analytics-20261119T060000000000Z.duckdb",
        "analytics.duckdb",
    ]
    assert len(said) == 3 and all("left by an interrupted run" in s for s in said)
    assert clean_leftovers(published) == []
