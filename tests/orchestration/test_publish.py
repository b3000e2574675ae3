"""Publishing swaps a whole new file in atomically and keeps the previous one for rollback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import (
    NothingToRollBack,
    PublicationRecord,
    publish_build,
    recover_publications,
    rollback,
)
from orchestration.run_lock import clean_leftovers


def _build(path: Path, value: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts; create schema if not exists audit")
    con.execute("create or replace table marts.mrr as select * from range(?) t(month)", [value])
    con.execute("create or replace table audit.check_results as select 'r01' as rule")
    con.execute(
        "create schema if not exists staging; create or replace table staging.hidden as select 1 x"
    )
    con.close()
    return path


def _rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from marts.mrr").fetchone()[0]
    finally:
        con.close()


def test_publishes_only_marts_and_audit(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    publication = publish_build(build, tmp_path / "published", "run1")

    assert publication.tables == {"audit.check_results": 1, "marts.mrr": 3}
    con = duckdb.connect(str(publication.path), read_only=True)
    schemas = {
        row[0]
        for row in con.execute(
            "select distinct table_schema from information_schema.tables"
        ).fetchall()
    }
    con.close()
    assert schemas == {"marts", "audit"}


def test_republish_keeps_one_published_file_and_history(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    publish_build(build, published, "run1")
    _build(build, 5)
    publication = publish_build(build, published, "run2")

    assert [p.name for p in published.glob("*.duckdb")] == ["analytics.duckdb"]
    assert _rows(published / "analytics.duckdb") == 5
    assert publication.previous_kept_as is not None
    assert _rows(publication.previous_kept_as) == 3

    rollback(published)
    assert _rows(published / "analytics.duckdb") == 3


def test_reader_keeps_its_snapshot_while_a_new_publication_lands(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    publish_build(build, published, "run1")

    # A separate process, as an analyst would be: opens the file, then reads again after the swap.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                con = duckdb.connect({str(published / "analytics.duckdb")!r}, read_only=True)
                print(con.execute("select count(*) from marts.mrr").fetchone()[0], flush=True)
                sys.stdin.readline()
                print(con.execute("select count(*) from marts.mrr").fetchone()[0], flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "3"
    _build(build, 7)
    publish_build(build, published, "run2")
    out, _ = reader.communicate("go\n", timeout=60)
    assert out.strip() == "3", "the open reader must keep the old snapshot"
    assert _rows(published / "analytics.duckdb") == 7


def test_failed_copy_leaves_previous_publication(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    publish_build(build, published, "run1")
    before = (published / "analytics.duckdb").read_bytes()

    with pytest.raises(duckdb.Error):
        publish_build(tmp_path / "no-such-build.duckdb", published, "run2")

    assert (published / "analytics.duckdb").read_bytes() == before
    assert sorted(p.name for p in published.iterdir() if p.is_file()) == ["analytics.duckdb"]


def test_rollback_without_history_says_so(tmp_path: Path) -> None:
    with pytest.raises(NothingToRollBack, match="no earlier publication"):
        rollback(tmp_path)


def _record(run_id: str, day: str) -> PublicationRecord:
    return PublicationRecord(
        run_id, dt.date.fromisoformat(day), dt.datetime(2026, 11, 21, 6), False, "published", 0
    )


def _publications(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select run_id, as_of_date from audit.publications order by 1"
        ).fetchall()
    finally:
        con.close()


def test_a_publication_carries_its_own_record_and_a_lost_record_is_recovered(
    tmp_path: Path,
) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    publish_build(build, published, "run1", _record("run1", "2026-11-20"))
    # the record is in the published file; the build database gets it only after the rename (the
    # publish asset writes it), so a crash between the two leaves it only in the file
    assert _publications(published / "analytics.duckdb") == [("run1", dt.date(2026, 11, 20))]
    con = duckdb.connect(str(build))
    try:
        assert recover_publications(con, published / "analytics.duckdb") == ["run1"]
        assert recover_publications(con, published / "analytics.duckdb") == []
        assert con.execute("select run_id from audit.publications").fetchall() == [("run1",)]
    finally:
        con.close()


def test_a_kill_before_the_rename_leaves_the_publication_and_no_record(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    publish_build(build, published, "run1", _record("run1", "2026-11-19"))
    before = (published / "analytics.duckdb").read_bytes()
    _build(build, 5)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import datetime as dt, os, signal
            from pathlib import Path
            import orchestration.publish as publish
            real = os.replace
            def replace(source, target):
                os.kill(os.getpid(), signal.SIGKILL)
            publish.os.replace = replace
            publish.publish_build(
                Path({str(build)!r}), Path({str(published)!r}), "run2",
                publish.PublicationRecord("run2", dt.date(2026, 11, 20), dt.datetime(2026, 11, 21),
                                          False, "published", 0),
            )
            """)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    assert (published / "analytics.duckdb").read_bytes() == before
    assert _publications(published / "analytics.duckdb") == [("run1", dt.date(2026, 11, 19))]
    # left behind: the complete new file under its temporary name, and the history link to the
    # current one; the next run removes both
    assert [p.name for p in published.glob("*.partial")] == ["analytics.duckdb.run2.partial"]
    assert len(list((published / "history").glob("*.duckdb"))) == 1
    removed = clean_leftovers(published)
    assert len(removed) == 2
    assert sorted(p.name for p in published.rglob("*") if p.is_file()) == ["analytics.duckdb"]


def test_each_rollback_is_recorded_and_past_the_oldest_is_a_message(tmp_path: Path) -> None:
    build = _build(tmp_path / "build.duckdb", 3)
    published = tmp_path / "published"
    for number, day in enumerate(["2026-11-18", "2026-11-19", "2026-11-20"], start=1):
        _build(build, number)
        publish_build(build, published, f"run{number}", _record(f"run{number}", day))
    rollback(published, build)
    assert _rows(published / "analytics.duckdb") == 2
    rollback(published, build)
    assert _rows(published / "analytics.duckdb") == 1
    before = (published / "analytics.duckdb").read_bytes()
    with pytest.raises(NothingToRollBack, match="no earlier publication"):
        rollback(published, build)
    assert (published / "analytics.duckdb").read_bytes() == before
    con = duckdb.connect(str(build), read_only=True)
    try:
        recorded = con.execute(
            "select replaced_run_id, replaced_as_of_date, restored_run_id, restored_as_of_date "
            "from audit.rollbacks order by rolled_back_at"
        ).fetchall()
    finally:
        con.close()
    assert recorded == [
        ("run3", dt.date(2026, 11, 20), "run2", dt.date(2026, 11, 19)),
        ("run2", dt.date(2026, 11, 19), "run1", dt.date(2026, 11, 18)),
    ]
