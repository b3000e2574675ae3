"""Publishing swaps a whole new file in atomically and keeps the previous one for rollback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import NothingToRollBack, publish_build, rollback


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
