"""A drop through the loader: unreadable files, idempotence, re-delivery, missing drops, empty files.

The slow test runs the default synthetic extracts through ingest: nothing lost, and the quarantine is
exactly the injected violations. The generator logs each flaw it injects (kind, source, drop_date,
file, line, record_id); the kinds ending in "malformed" break a contract, so those lines, and only
those, must be quarantined.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.errors import ExtractFileError
from ingest.loader import ingest_source_drop
from ingest.sources import SOURCES
from tests.ingest.drops import (
    D1,
    D2,
    T1,
    T2,
    assert_nothing_lost,
    count,
    customer,
    jsonl,
    stripe_drop,
    write,
)


def test_unreadable_files_raise_and_load_nothing(tmp_path: Path, con) -> None:
    good_accounts = (
        "account_id,name,stripe_customer_id,segment,plan,csm_id,created_at,seats,"
        "plan_conversation_limit,advocacy_status\n"
        "acc_1,Acme,cus_A1,smb,growth,csm_1,2025-03-04T10:15:00Z,5,1000,\n"
    )
    write(tmp_path, "app_db", D1, "accounts.csv", good_accounts)
    frame = pl.DataFrame({"event_id": ["e1"], "account_id": ["acc_1"]})
    events = write(tmp_path, "app_db", D1, "events.parquet", b"")
    frame.write_parquet(events)
    events.write_bytes(events.read_bytes()[:-20])  # truncated: footer gone
    with pytest.raises(ExtractFileError) as exc:
        ingest_source_drop(con, "app_db", tmp_path, D1, T1)
    assert "events.parquet" in str(exc.value)
    assert "Parquet" in str(exc.value)
    assert count(con, "raw.app_db__accounts") == 0  # the readable file of the drop is not loaded
    assert count(con, "audit.ingest_log") == 0

    (tmp_path / "app_db" / D1.isoformat() / "events.parquet").unlink()
    write(tmp_path, "app_db", D1, "users.csv", "user_id,account_id,mail\nu1,acc_1,a@b.c\n")
    with pytest.raises(ExtractFileError) as exc:
        ingest_source_drop(con, "app_db", tmp_path, D1, T1)
    assert "users.csv" in str(exc.value)
    assert "missing email, role, created_at, deactivated_at" in str(exc.value)
    assert count(con, "raw.app_db__accounts") == 0

    write(tmp_path, "ticketing", D1, "tickets.jsonl", b'{"id": 1}\n\xff\xfe\n')
    with pytest.raises(ExtractFileError) as exc:
        ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert "tickets.jsonl" in str(exc.value) and "UTF-8" in str(exc.value)


def test_reingest_same_drop_changes_nothing(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1"), customer("cus_A1")))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    before = (count(con, "raw.stripe__customers"), count(con, "raw.quarantine"))
    again = ingest_source_drop(con, "stripe", tmp_path, D1, T2)
    assert {f.status for f in again.files} == {"unchanged"}
    assert again.file("customers.jsonl").rows_quarantined == 1
    assert (count(con, "raw.stripe__customers"), count(con, "raw.quarantine")) == before == (1, 1)
    assert_nothing_lost(con)


def test_redelivered_drop_replaces_the_earlier_delivery(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1", "Old"), customer("cus_A1")))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1", "New"), customer("cus_A2")))
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T2)
    assert result.file("customers.jsonl").status == "replaced"
    assert result.file("invoices.jsonl").status == "unchanged"
    assert con.execute("SELECT id, name FROM raw.stripe__customers ORDER BY id").fetchall() == [
        ("cus_A1", "New"),
        ("cus_A2", "Acme"),
    ]
    assert count(con, "raw.quarantine") == 0  # the earlier delivery's quarantine went with it
    log = con.execute(
        "SELECT status, rows_loaded, message LIKE 're-delivered%' FROM audit.ingest_log "
        "WHERE file = 'customers.jsonl' ORDER BY loaded_at"
    ).fetchall()
    assert log == [("loaded", 1, None), ("replaced", 2, True)]


def test_same_record_in_two_drops_keeps_both_versions(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1", "Old name")))
    stripe_drop(tmp_path, D2, jsonl(customer("cus_A1", "New name")))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    ingest_source_drop(con, "stripe", tmp_path, D2, T2)
    assert con.execute(
        "SELECT _drop_date, name FROM raw.stripe__customers ORDER BY _drop_date"
    ).fetchall() == [(D1, "Old name"), (D2, "New name")]


def test_missing_drop_folder_is_logged_not_treated_as_no_activity(tmp_path: Path, con) -> None:
    result = ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert result.missing_drop
    assert con.execute(
        "SELECT source, drop_date, file, status FROM audit.ingest_log"
    ).fetchall() == [("ticketing", D1, None, "missing_drop")]


def test_empty_file_and_header_only_csv_load_zero_rows(tmp_path: Path, con) -> None:
    write(tmp_path, "ticketing", D1, "tickets.jsonl", "")
    write(tmp_path, "ticketing", D1, "satisfaction_ratings.jsonl", "\n")
    write(tmp_path, "ticketing", D1, "organizations.jsonl", "")
    write(tmp_path, "fx_rates", D1, "fx_rates.csv", "date,currency,rate\n")
    for source in ("ticketing", "fx_rates"):
        result = ingest_source_drop(con, source, tmp_path, D1, T1)
        assert {(f.status, f.rows_read) for f in result.files} == {("loaded", 0)}


@pytest.mark.slow
def test_synthetic_drops_nothing_lost_and_quarantine_matches_flaws(tmp_path: Path) -> None:
    from synthetic import generate_drops

    out = tmp_path / "extracts"
    generate_drops(out, accounts=300, months=14, seed=7)
    flaws_files = sorted(tmp_path.rglob("flaws.csv"))
    assert flaws_files, "the generator writes flaws.csv next to the drops"
    flaws = pl.read_csv(flaws_files[0], infer_schema=False)

    con = duckdb.connect()
    loaded_at = dt.datetime(2030, 1, 1)
    for source in SOURCES:
        source_dir = out / source
        if not source_dir.is_dir():
            continue
        for drop in sorted(p for p in source_dir.iterdir() if p.is_dir()):
            ingest_source_drop(con, source, out, dt.date.fromisoformat(drop.name), loaded_at)

    assert con.execute(
        "SELECT count(*) FROM audit.ingest_log WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall() == [(0,)]
    quarantined = {
        (s, d.isoformat(), f, line)
        for s, d, f, line in con.execute(
            "SELECT source, drop_date, file, line FROM raw.quarantine"
        ).fetchall()
    }
    expected = {
        (r["source"], r["drop_date"], r["file"], int(r["line"]))
        for r in flaws.filter(pl.col("kind").str.ends_with("malformed")).iter_rows(named=True)
    }
    assert quarantined == expected
