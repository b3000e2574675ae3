"""Reading the publication: only the report's tables that are present, the latest audit row, and a
missing file named with what to run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from report.published import read_publication


def test_only_the_reports_tables_present_are_read_with_the_latest_publication(
    tmp_path: Path,
) -> None:
    path = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute("create schema audit")
        con.execute("create table marts.nps_summary as select 42.5 as nps")
        # Not a table the report reads: left alone.
        con.execute("create table marts.support_tickets as select 1 as ticket_id")
        con.execute(
            "create table audit.publications as select * from (values "
            "('run-a', timestamp '2026-11-20 06:30'), ('run-b', timestamp '2026-11-21 06:30')) "
            "as t(run_id, published_at)"
        )
    finally:
        con.close()

    tables, publication = read_publication(path)

    assert set(tables) == {"marts.nps_summary"}
    assert tables["marts.nps_summary"]["nps"].to_list() == [42.5]
    assert publication is not None and publication["run_id"] == "run-b"


def test_a_file_without_publications_has_no_audit_row(tmp_path: Path) -> None:
    path = tmp_path / "analytics.duckdb"
    duckdb.connect(str(path)).close()
    assert read_publication(path) == ({}, None)


def test_a_missing_file_is_named_with_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "published" / "analytics.duckdb"
    with pytest.raises(FileNotFoundError, match=r"analytics\.duckdb.*csw run"):
        read_publication(missing)
