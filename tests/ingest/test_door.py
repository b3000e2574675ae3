"""What ingest refuses at the door (issue #29): impossible timestamps, events out of order, older
versions of a record in the same file, declared files it cannot find, links out of the root.

Every expected rule, line and count below is read off the hand-made drop by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from data_contracts.plausibility import Plausibility
from ingest import staging
from ingest.errors import ExtractFileError
from ingest.loader import ingest_source_drop
from tests.ingest.drops import (
    D1,
    T1,
    assert_nothing_lost,
    customer,
    jsonl,
    stripe_drop,
    subscription,
    write,
)

# D1 is 2025-03-04: its drop was extracted by the end of 2025-03-05; plus the default 2 days of
# tolerance, a happened timestamp may be as late as 2025-03-07 00:00:00 (exclusive).
LATEST_HAPPENED = dt.datetime(2025, 3, 7)


def _quarantine(con) -> list[tuple]:
    return con.execute(
        "select file, line, rule, rules from raw.quarantine order by file, line"
    ).fetchall()


def _ticket(tid: int, updated: str, status: str = "open", **extra) -> dict:
    return {
        "id": tid,
        "organization_id": 5,
        "status": status,
        "priority": "normal",
        "created_at": "2025-03-01T10:00:00Z",
        "updated_at": updated,
        **extra,
    }


def test_stripe_times_outside_the_window_are_quarantined(tmp_path: Path, con) -> None:
    future = subscription("sub_F1")
    future["created"] = int(LATEST_HAPPENED.replace(tzinfo=dt.UTC).timestamp())  # just too late
    far = subscription("sub_F2")
    far["items"]["data"][0]["current_period_end"] = 4_070_908_800  # 2099-01-01, past 2038
    canceled = subscription("sub_F3", status="canceled")
    canceled["canceled_at"] = canceled["created"] - 1  # a second before it was created
    fine = subscription("sub_F4")
    fine["created"] = int(dt.datetime(2025, 3, 6, 23, tzinfo=dt.UTC).timestamp())  # in time
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1")), jsonl(future, far, canceled, fine))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)

    assert _quarantine(con) == [
        ("subscriptions.jsonl", 1, "stripe.subscriptions.created_plausible",
         ["stripe.subscriptions.created_plausible"]),
        ("subscriptions.jsonl", 2, "stripe.subscription_items.current_period_end_plausible",
         ["stripe.subscription_items.current_period_end_plausible"]),
        ("subscriptions.jsonl", 3, "stripe.subscriptions.canceled_after_created",
         ["stripe.subscriptions.canceled_after_created"]),
    ]  # fmt: skip
    messages = [
        m for (m,) in con.execute("select message from raw.quarantine order by line").fetchall()
    ]
    assert "2025-03-07 00:00:00 UTC) is after the drop of 2025-03-04 was extracted" in messages[0]
    assert "4070908800 (2099-01-01 00:00:00 UTC) is more than 1830 days after" in messages[1]
    assert con.execute("select id from raw.stripe__subscriptions").fetchall() == [("sub_F4",)]
    assert_nothing_lost(con)


def test_app_db_and_helpdesk_times_outside_the_window(tmp_path: Path, con) -> None:
    header = (
        "account_id,name,stripe_customer_id,segment,plan,csm_id,created_at,seats,"
        "plan_conversation_limit,advocacy_status\n"
    )
    write(
        tmp_path, "app_db", D1, "accounts.csv",
        header
        + "acc_1,Now,,smb,starter,,2025-03-01T00:00:00Z,1,10,\n"
        + "acc_2,Future,,smb,starter,,2099-01-01T00:00:00Z,1,10,\n"
        + "acc_3,Epoch,,smb,starter,,1970-01-01T00:00:00Z,1,10,\n",
    )  # fmt: skip
    ingest_source_drop(con, "app_db", tmp_path, D1, T1, Plausibility(dt.date(2015, 1, 1)))
    assert [(line, rule) for _, line, rule, _ in _quarantine(con)] == [
        (3, "app_db.accounts.created_at_plausible"),
        (4, "app_db.accounts.created_at_plausible"),
    ]
    message = con.execute("select message from raw.quarantine where line = 4").fetchall()[0][0]
    assert "before the company's first date 2015-01-01" in message

    write(
        tmp_path, "ticketing", D1, "tickets.jsonl",
        jsonl(_ticket(1, "2025-03-02T10:00:00Z", "solved", solved_at="2025-02-28T10:00:00Z"),
              _ticket(2, "2025-03-02T10:00:00Z", "solved", solved_at="2025-03-02T10:00:00Z")),
    )  # fmt: skip
    ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert con.execute(
        "select line, rule from raw.quarantine where file = 'tickets.jsonl'"
    ).fetchall() == [(1, "ticketing.tickets.solved_after_created")]
    assert con.execute("select id from raw.ticketing__tickets").fetchall() == [(2,)]


def test_within_a_drop_the_newest_version_wins_and_ties_are_duplicates(tmp_path: Path, con) -> None:
    # Ticket 7: the older version (line 1) before the newest (line 2); line 3 repeats line 2.
    # Ticket 8: two lines with the same updated_at: the first stays.
    write(
        tmp_path, "ticketing", D1, "tickets.jsonl",
        jsonl(_ticket(7, "2025-03-02T10:00:00Z", "open"),
              _ticket(7, "2025-03-03T10:00:00Z", "solved", solved_at="2025-03-03T10:00:00Z"),
              _ticket(7, "2025-03-03T10:00:00Z", "solved", solved_at="2025-03-03T10:00:00Z"),
              _ticket(8, "2025-03-02T10:00:00Z", "open", priority="high"),
              _ticket(8, "2025-03-02T10:00:00Z", "open", priority="low")),
    )  # fmt: skip
    result = ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert con.execute(
        "select id, status, priority, _line from raw.ticketing__tickets order by id"
    ).fetchall() == [(7, "solved", "normal", 2), (8, "open", "high", 4)]
    assert [(line, rule) for _, line, rule, _ in _quarantine(con)] == [
        (1, "superseded_in_drop"),
        (3, "duplicate_id_in_drop"),
        (5, "duplicate_id_in_drop"),
    ]
    message = con.execute("select message from raw.quarantine where line = 1").fetchall()[0][0]
    assert "a newer version (updated_at 2025-03-03 10:00:00) is on line 2" in message
    tickets = result.file("tickets.jsonl")
    assert (tickets.rows_read, tickets.rows_loaded, tickets.rows_quarantined) == (5, 2, 3)


def test_the_newest_version_wins_across_chunks_of_a_large_file(
    tmp_path: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 2 lines: ticket 7's newest version (line 4) is in the second chunk, its older one
    (line 1) already staged from the first: the older leaves raw, quarantined as superseded."""
    monkeypatch.setattr(staging, "JSONL_CHUNK_LINES", 2)
    write(
        tmp_path, "ticketing", D1, "tickets.jsonl",
        jsonl(_ticket(7, "2025-03-02T10:00:00Z", "open"),
              _ticket(9, "2025-03-02T10:00:00Z"),
              _ticket(10, "2025-03-02T10:00:00Z"),
              _ticket(7, "2025-03-03T10:00:00Z", "pending")),
    )  # fmt: skip
    ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert con.execute(
        "select id, status, _line from raw.ticketing__tickets order by id"
    ).fetchall() == [(7, "pending", 4), (9, "open", 2), (10, "open", 3)]
    assert [(line, rule) for _, line, rule, _ in _quarantine(con)] == [(1, "superseded_in_drop")]
    assert_nothing_lost(con)


def test_declared_files_are_accounted_for(tmp_path: Path, con) -> None:
    """The manifest declares subscriptions.jsonl (3 rows) and cs_tasks.csv (2 rows); the drop has
    `subscriptions (1).jsonl` and cs_tasks.csv, and a stray notes.txt."""
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1")))
    folder = tmp_path / "stripe" / D1.isoformat()
    (folder / "subscriptions.jsonl").rename(folder / "subscriptions (1).jsonl")
    (folder / "notes.txt").write_text("hello")
    counts = {
        "customers.jsonl": 1,
        "subscriptions.jsonl": 3,
        "invoices.jsonl": 0,
        "charges.jsonl": 0,
    }
    (folder / "_manifest.json").write_text(json.dumps({"row_counts": counts}))
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)

    logged = con.execute(
        "select file, status, manifest_rows, message from audit.ingest_log "
        "where status in ('missing_file', 'ignored_file') order by file"
    ).fetchall()
    assert [row[:3] for row in logged] == [
        ("notes.txt", "ignored_file", None),
        ("subscriptions (1).jsonl", "ignored_file", None),
        ("subscriptions.jsonl", "missing_file", 3),
    ]
    assert logged[2][3] == (
        "declared by the manifest (3 rows) but not in the drop; "
        "files in the drop not read: notes.txt, subscriptions (1).jsonl"
    )
    assert "subscriptions (1).jsonl" in result.describe()


def test_a_declared_file_of_an_unknown_name_is_logged_with_its_count(tmp_path: Path, con) -> None:
    write(tmp_path, "app_db", D1, "cs_playbooks.csv", "playbook_id\np1\np2\n")
    folder = tmp_path / "app_db" / D1.isoformat()
    (folder / "_manifest.json").write_text(json.dumps({"row_counts": {"cs_playbooks.csv": 2}}))
    ingest_source_drop(con, "app_db", tmp_path, D1, T1)
    assert con.execute(
        "select status, manifest_rows from audit.ingest_log where file = 'cs_playbooks.csv'"
    ).fetchall() == [("ignored_file", 2)]


def test_links_out_of_the_root_are_refused_by_name(tmp_path: Path, con) -> None:
    root = tmp_path / "extracts"
    stripe_drop(root, D1, jsonl(customer("cus_A1")))
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps(customer("cus_Z9")) + "\n")
    charges = root / "stripe" / D1.isoformat() / "charges.jsonl"
    charges.unlink()
    charges.symlink_to(secret)
    with pytest.raises(ExtractFileError, match=f"charges.jsonl.*leads to {re.escape(str(secret))}"):
        ingest_source_drop(con, "stripe", root, D1, T1)
    assert con.execute("select count(*) from raw.stripe__customers").fetchall() == [(0,)]

    # A drop folder linked elsewhere is refused too; a link inside the root is read.
    elsewhere = tmp_path / "elsewhere"
    write(tmp_path, "elsewhere", D1, "organizations.jsonl", "")
    (root / "ticketing").mkdir()
    (root / "ticketing" / D1.isoformat()).symlink_to(elsewhere / D1.isoformat())
    with pytest.raises(ExtractFileError, match="ticketing/2025-03-04"):
        ingest_source_drop(con, "ticketing", root, D1, T1)
    charges.unlink()
    charges.symlink_to(root / "stripe" / D1.isoformat() / "invoices.jsonl")
    ingest_source_drop(con, "stripe", root, D1, T1)
    assert con.execute("select id from raw.stripe__customers").fetchall() == [("cus_A1",)]
