"""Hand-made drops: quarantine, unreadable files, idempotence, re-delivery, missing drops, manifests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data_contracts.raw_tables_doc import DOC_PATH, render
from ingest.errors import ExtractFileError
from ingest.loader import ingest_source_drop

D1 = dt.date(2025, 3, 4)
D2 = dt.date(2025, 3, 5)
T1 = dt.datetime(2025, 3, 5, 6, 0)
T2 = dt.datetime(2025, 3, 6, 6, 0)


def customer(cid: str, name: str = "Acme") -> dict:
    return {"id": cid, "object": "customer", "created": 1700000000, "name": name, "currency": "usd"}


def subscription(sid: str, status: str = "active", start: int = 1740000000) -> dict:
    return {
        "id": sid,
        "object": "subscription",
        "customer": "cus_A1",
        "status": status,
        "created": 1700000000,
        "currency": "usd",
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_" + sid[4:],
                    "object": "subscription_item",
                    "quantity": 3,
                    "current_period_start": start,
                    "current_period_end": start + 2_678_400,
                    "price": {
                        "id": "price_Pro",
                        "object": "price",
                        "currency": "usd",
                        "unit_amount": 4900,
                        "type": "recurring",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
        },
    }


def write(root: Path, source: str, day: dt.date, name: str, text: str | bytes) -> Path:
    folder = root / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def jsonl(*objects: dict) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


def stripe_drop(root: Path, day: dt.date, customers: str, subscriptions: str = "") -> None:
    write(root, "stripe", day, "customers.jsonl", customers)
    for stem in ("subscriptions", "invoices", "charges"):
        write(
            root, "stripe", day, f"{stem}.jsonl", subscriptions if stem == "subscriptions" else ""
        )


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def assert_nothing_lost(con) -> None:
    bad = con.execute(
        "SELECT file FROM audit.ingest_log WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall()
    assert bad == []


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_malformed_json_line_is_quarantined_and_the_rest_loads(tmp_path: Path, con) -> None:
    good = jsonl(customer("cus_A1"), customer("cus_A2"))
    truncated = json.dumps(customer("cus_A3"))[:25]
    stripe_drop(tmp_path, D1, good.splitlines()[0] + "\n" + truncated + "\n" + good.splitlines()[1])
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    f = result.file("customers.jsonl")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    assert con.execute("SELECT id, _line FROM raw.stripe__customers ORDER BY _line").fetchall() == [
        ("cus_A1", 1),
        ("cus_A2", 3),
    ]
    assert con.execute("SELECT line, rule, raw_text FROM raw.quarantine").fetchall() == [
        (2, "json_malformed", truncated)
    ]
    assert_nothing_lost(con)


def test_enum_value_outside_the_contract(tmp_path: Path, con) -> None:
    stripe_drop(
        tmp_path,
        D1,
        jsonl(customer("cus_A1")),
        jsonl(subscription("sub_S1"), subscription("sub_S2", status="almost_active")),
    )
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert result.rows_quarantined == 1
    assert con.execute(
        'SELECT line, record_id, rule, "column", value FROM raw.quarantine'
    ).fetchall() == [(2, "sub_S2", "stripe.subscriptions.status_enum", "status", "almost_active")]
    # The whole line is out: neither the subscription nor its item is in raw.
    assert con.execute(
        "SELECT subscription_id, id, quantity FROM raw.stripe__subscription_items"
    ).fetchall() == [("sub_S1", "si_S1", 3)]


def test_duplicate_id_within_a_drop_loads_the_first(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1", "First"), customer("cus_A1", "Second")))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute("SELECT name FROM raw.stripe__customers").fetchall() == [("First",)]
    assert con.execute("SELECT line, rule FROM raw.quarantine").fetchall() == [
        (2, "duplicate_id_in_drop")
    ]


def test_deleted_customer_loads_as_a_deletion(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl({"id": "cus_A1", "object": "customer", "deleted": True}))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute("SELECT id, deleted, created FROM raw.stripe__customers").fetchall() == [
        ("cus_A1", True, None)
    ]


def test_newer_shapes_invoice_subscription_and_line_price(tmp_path: Path, con) -> None:
    invoice = {
        "id": "in_N1",
        "object": "invoice",
        "customer": "cus_A1",
        "status": "paid",
        "currency": "eur",
        "created": 1740000000,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_S1"},
        },
        "lines": {
            "data": [
                {
                    "id": "il_N1",
                    "amount": 14700,
                    "currency": "eur",
                    "period": {"start": 1740000000, "end": 1742678400},
                    "discount_amounts": [{"amount": 700, "discount": "di_X"}],
                    "pricing": {"type": "price_details", "price_details": {"price": "price_Pro"}},
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": "sub_S1",
                            "subscription_item": "si_S1",
                            "proration": False,
                        },
                    },
                }
            ]
        },
    }
    write(tmp_path, "stripe", D1, "customers.jsonl", "")
    write(tmp_path, "stripe", D1, "subscriptions.jsonl", "")
    write(tmp_path, "stripe", D1, "charges.jsonl", "")
    write(tmp_path, "stripe", D1, "invoices.jsonl", jsonl(invoice))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute("SELECT subscription FROM raw.stripe__invoices").fetchall() == [("sub_S1",)]
    assert con.execute(
        "SELECT subscription, subscription_item, price_id, proration, discount_amount, amount "
        "FROM raw.stripe__invoice_lines"
    ).fetchall() == [("sub_S1", "si_S1", "price_Pro", False, 700, 14700)]


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


def test_csv_values_typed_and_bad_ones_quarantined(tmp_path: Path, con) -> None:
    header = "response_id,send_id,account_id,user_id,score,comment,submitted_at,followed_up_at\n"
    rows = (
        "r1,s1,acc_1,u1,9,great,2025-03-04T10:15:00Z,\n"  # line 2: loads, empty field = NULL
        "r2,s2,acc_1,u2,11,,2025-03-04T11:00:00Z,\n"  # line 3: score out of range
        "r3,s3,acc_2,u3,7,,yesterday,\n"  # line 4: unparseable timestamp
        "r4,s4,acc_2,u4,0,meh,2025-03-04T12:00:00+01:00,2025-03-05T09:00:00Z\n"  # line 5: loads
    )
    write(tmp_path, "app_db", D1, "nps_responses.csv", header + rows)
    result = ingest_source_drop(con, "app_db", tmp_path, D1, T1)
    f = result.file("nps_responses.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 2, 2)
    assert con.execute(
        "SELECT response_id, score, comment, submitted_at, followed_up_at, _line "
        "FROM raw.app_db__nps_responses ORDER BY _line"
    ).fetchall() == [
        ("r1", 9, "great", dt.datetime(2025, 3, 4, 10, 15), None, 2),
        ("r4", 0, "meh", dt.datetime(2025, 3, 4, 11, 0), dt.datetime(2025, 3, 5, 9, 0), 5),
    ]
    assert con.execute(
        'SELECT line, record_id, rule, "column", value FROM raw.quarantine ORDER BY line'
    ).fetchall() == [
        (3, "r2", "app_db.nps_responses.score_range", "score", "11"),
        (4, "r3", "app_db.nps_responses.submitted_at_type", "submitted_at", "yesterday"),
    ]
    # Every other app_db table is absent from the drop: "not extracted", logged per table.
    missing = con.execute(
        "SELECT file FROM audit.ingest_log WHERE status = 'missing_file' ORDER BY file"
    ).fetchall()
    assert ("accounts.csv|parquet",) in missing and len(missing) == 7


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


def test_manifest_mismatch_is_reported_and_synthetic_flag_kept(tmp_path: Path, con) -> None:
    write(tmp_path, "fx_rates", D1, "fx_rates.csv", "date,currency,rate\n2025-03-04,EUR,1.08\n")
    manifest = {
        "extracted_at": "2025-03-05T06:00:00Z",
        "row_counts": {"fx_rates.csv": 2},
        "synthetic": True,
    }
    write(tmp_path, "fx_rates", D1, "_manifest.json", json.dumps(manifest))
    result = ingest_source_drop(con, "fx_rates", tmp_path, D1, T1)
    assert result.synthetic
    assert [f.file for f in result.manifest_mismatches] == ["fx_rates.csv"]
    assert con.execute(
        "SELECT rows_read, manifest_rows, manifest_mismatch, synthetic, extracted_at, status "
        "FROM audit.ingest_log"
    ).fetchall() == [(1, 2, True, True, dt.datetime(2025, 3, 5, 6, 0), "loaded")]


def test_empty_file_and_header_only_csv_load_zero_rows(tmp_path: Path, con) -> None:
    write(tmp_path, "ticketing", D1, "tickets.jsonl", "")
    write(tmp_path, "ticketing", D1, "satisfaction_ratings.jsonl", "\n")
    write(tmp_path, "ticketing", D1, "organizations.jsonl", "")
    write(tmp_path, "fx_rates", D1, "fx_rates.csv", "date,currency,rate\n")
    for source in ("ticketing", "fx_rates"):
        result = ingest_source_drop(con, source, tmp_path, D1, T1)
        assert {(f.status, f.rows_read) for f in result.files} == {("loaded", 0)}


def test_zendesk_ratings_accept_score_or_rating(tmp_path: Path, con) -> None:
    ratings = jsonl(
        {"id": 1, "ticket_id": 10, "score": "good", "created_at": "2025-03-04T10:00:00Z"},
        {"id": 2, "ticket_id": 11, "rating": 4, "created_at": "2025-03-04T10:00:00Z"},
        {"id": 3, "ticket_id": 12, "rating": 6, "created_at": "2025-03-04T10:00:00Z"},
        {"id": 4, "ticket_id": 13, "created_at": "2025-03-04T10:00:00Z"},
    )
    write(tmp_path, "ticketing", D1, "satisfaction_ratings.jsonl", ratings)
    ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert con.execute(
        "SELECT id, score, rating FROM raw.ticketing__satisfaction_ratings ORDER BY id"
    ).fetchall() == [(1, "good", None), (2, None, 4)]
    assert con.execute("SELECT line, rule FROM raw.quarantine ORDER BY line").fetchall() == [
        (3, "ticketing.satisfaction_ratings.rating_range"),
        (4, "ticketing.satisfaction_ratings.score_or_rating"),
    ]


def test_raw_tables_doc_matches_the_layout() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render()
