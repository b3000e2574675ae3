"""dbt staging over hand-made raw rows: newest version per record, as-of filtering, version history.

The raw tables are created from the ingest registry's DDL and filled with a few rows per table whose
expected staged values are worked out by hand below (dates are drop dates, all in November 2026).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from data_contracts.raw_tables import RAW_TABLES
from tests.raw_rows import insert_raw_rows
from tests.raw_rows import run_dbt as run_dbt_as_of

LOADED_AT = dt.datetime(2026, 11, 20, 6, 0)


def unix(day: str) -> int:
    """Unix seconds of midnight UTC of an ISO date, as Stripe gives timestamps."""
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def insert_rows(con: duckdb.DuckDBPyConnection, key: str, rows: list[dict[str, Any]]) -> None:
    """Append rows to raw.<key>; each row names its own _drop_date and _line."""
    insert_raw_rows(con, key, rows, loaded_at=LOADED_AT)


def run_dbt(
    command: str, db_path: Path, work_dir: Path, as_of: str
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <command> --select staging` against db_path."""
    return run_dbt_as_of([command, "--select", "staging"], db_path, work_dir, as_of)


def build_raw(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table in RAW_TABLES.values():
        con.execute(table.ddl())

    # Stripe -----------------------------------------------------------------------------------
    insert_rows(
        con,
        "stripe__customers",
        [
            dict(id="cus_1", email="a@example.com", currency="usd", created=unix("2026-01-15"),
                 _drop_date=d("2026-11-01"), _line=1),
            # a deletion record carries only the id
            dict(id="cus_1", deleted=True, _drop_date=d("2026-11-04"), _line=1),
            dict(id="cus_2", email="", currency="eur", created=unix("2026-01-15"),
                 _drop_date=d("2026-11-01"), _line=2),
        ],
    )  # fmt: skip
    period = dict(current_period_start=unix("2026-11-01"), current_period_end=unix("2026-12-01"))
    sub_1 = dict(id="sub_1", customer="cus_1", currency="usd", cancel_at_period_end=False, **period)
    insert_rows(
        con,
        "stripe__subscriptions",
        [
            dict(sub_1, status="trialing", item_count=2, _drop_date=d("2026-11-01"), _line=1),
            # the same state again: no new version
            dict(sub_1, status="trialing", item_count=2, _drop_date=d("2026-11-03"), _line=1),
            dict(sub_1, status="active", item_count=1, _drop_date=d("2026-11-05"), _line=1),
            dict(sub_1, status="canceled", item_count=1, ended_at=unix("2026-11-12"),
                 _drop_date=d("2026-11-12"), _line=1),
            # 2025-03-31+ API shape: no subscription-level period
            dict(id="sub_2", customer="cus_2", currency="eur", status="active", item_count=1,
                 _drop_date=d("2026-11-03"), _line=2),
        ],
    )  # fmt: skip
    si_a = dict(subscription_id="sub_1", id="si_a", item_index=0, price_id="price_pro",
                price_unit_amount=5000, price_currency="usd", price_recurring_interval="month",
                price_recurring_interval_count=1, price_recurring_usage_type="licensed")  # fmt: skip
    si_b = dict(subscription_id="sub_1", id="si_b", item_index=1, quantity=1, price_id="price_seat",
                price_unit_amount=700, price_currency="usd", price_recurring_interval="month",
                price_recurring_interval_count=1, price_recurring_usage_type="licensed")  # fmt: skip
    insert_rows(
        con,
        "stripe__subscription_items",
        [
            dict(si_a, quantity=1, _drop_date=d("2026-11-01"), _line=1),
            dict(si_b, _drop_date=d("2026-11-01"), _line=1),
            dict(si_a, quantity=1, _drop_date=d("2026-11-03"), _line=1),
            dict(si_b, _drop_date=d("2026-11-03"), _line=1),
            dict(si_a, quantity=2, _drop_date=d("2026-11-05"), _line=1),
            dict(si_a, quantity=2, _drop_date=d("2026-11-12"), _line=1),
            dict(subscription_id="sub_2", id="si_n", item_index=0, quantity=3, price_id="price_eu",
                 price_unit_amount=900, price_currency="eur", price_recurring_interval="month",
                 price_recurring_interval_count=1, price_recurring_usage_type="licensed",
                 current_period_start=unix("2026-10-15"), current_period_end=unix("2026-11-15"),
                 _drop_date=d("2026-11-03"), _line=2),
        ],
    )  # fmt: skip
    discount = dict(parent_object="subscription", parent_id="sub_1", discount_index=0)
    insert_rows(
        con,
        "stripe__subscription_discounts",
        [
            dict(discount, coupon_id="OLD10", coupon_percent_off=10.0,
                 _file="subscriptions.jsonl", _drop_date=d("2026-11-01"), _line=1),
            # the next version of sub_1 still carries it
            dict(discount, coupon_id="OLD10", coupon_percent_off=10.0,
                 _file="subscriptions.jsonl", _drop_date=d("2026-11-03"), _line=1),
            dict(discount, coupon_id="LAUNCH20", coupon_percent_off=20.0,
                 _file="subscriptions.jsonl", _drop_date=d("2026-11-05"), _line=1),
        ],
    )  # fmt: skip
    insert_rows(
        con,
        "stripe__invoices",
        [
            dict(id="in_1", customer="cus_1", subscription="sub_1", status="open", currency="usd",
                 amount_due=5000, paid=False, _drop_date=d("2026-11-01"), _line=1),
            # newer API: no `paid` field
            dict(id="in_1", customer="cus_1", subscription="sub_1", status="paid", currency="usd",
                 amount_due=5000, paid=None, _drop_date=d("2026-11-05"), _line=1),
        ],
    )  # fmt: skip
    insert_rows(
        con,
        "stripe__invoice_lines",
        [
            dict(invoice_id="in_1", id="il_1", line_index=0, type="subscription", amount=5000,
                 currency="usd", proration=False, _file="invoices.jsonl",
                 _drop_date=d("2026-11-01"), _line=1),
            dict(invoice_id="in_1", id="il_1", line_index=0, parent_type="subscription_item_details",
                 amount=5000, currency="usd", proration=False, _file="invoices.jsonl",
                 _drop_date=d("2026-11-05"), _line=1),
            dict(invoice_id="in_1", id="il_2", line_index=1, parent_type="invoice_item_details",
                 amount=-200, currency="usd", proration=True, _file="invoices.jsonl",
                 _drop_date=d("2026-11-05"), _line=1),
        ],
    )  # fmt: skip
    insert_rows(
        con,
        "stripe__charges",
        [
            dict(id="ch_1", status="pending", amount=5000, currency="usd",
                 _drop_date=d("2026-11-01"), _line=1),
            dict(id="ch_1", status="succeeded", amount=5000, currency="usd",
                 _drop_date=d("2026-11-05"), _line=1),
        ],
    )  # fmt: skip

    # Application database ------------------------------------------------------------------------
    account = dict(segment="smb", csm_id="csm_1", created_at=dt.datetime(2026, 1, 15), seats=5)
    insert_rows(
        con,
        "app_db__accounts",
        [
            dict(account, account_id="acc_1", stripe_customer_id="cus_1", plan="starter",
                 _drop_date=d("2026-11-01"), _line=2),
            dict(account, account_id="acc_1", stripe_customer_id="cus_1", plan="growth",
                 _drop_date=d("2026-11-05"), _line=2),
            dict(account, account_id="acc_2", plan="pro", _drop_date=d("2026-11-01"), _line=3),
            dict(account, account_id="acc_2", plan="pro", deleted_at=dt.datetime(2026, 11, 6, 14),
                 _drop_date=d("2026-11-06"), _line=2),
            dict(account, account_id="acc_3", stripe_customer_id="", plan="starter",
                 _drop_date=d("2026-11-01"), _line=4),
        ],
    )  # fmt: skip
    insert_rows(con, "app_db__csms", [dict(csm_id="csm_1", name="Ana", _drop_date=d("2026-11-01"), _line=2)])  # fmt: skip
    event = dict(account_id="acc_1", event_type="login")
    insert_rows(
        con,
        "app_db__events",
        [
            dict(event, event_id="ev_1", occurred_at=dt.datetime(2026, 11, 1, 9),
                 _drop_date=d("2026-11-01"), _line=2),
            # re-sent by a flawed extract
            dict(event, event_id="ev_1", occurred_at=dt.datetime(2026, 11, 1, 9),
                 _drop_date=d("2026-11-04"), _line=7),
            dict(event, event_id="ev_2", occurred_at=dt.datetime(2026, 11, 2, 9),
                 _drop_date=d("2026-11-02"), _line=2),
            dict(event, event_id="ev_2", occurred_at=dt.datetime(2026, 11, 2, 9),
                 deleted_at=dt.datetime(2026, 11, 3, 10), _drop_date=d("2026-11-03"), _line=2),
            dict(event, event_id="ev_3", occurred_at=dt.datetime(2026, 11, 3, 9),
                 _drop_date=d("2026-11-03"), _line=3),
            dict(event, event_id="ev_4", occurred_at=dt.datetime(2026, 11, 12, 9),
                 _drop_date=d("2026-11-12"), _line=2),
        ],
    )  # fmt: skip

    # Ticketing ------------------------------------------------------------------------------------
    insert_rows(
        con,
        "ticketing__organizations",
        [
            dict(id=100, name="Acme", external_id="acc_1", updated_at=dt.datetime(2026, 11, 1),
                 _drop_date=d("2026-11-01"), _line=1),
            # an organisation whose account the database does not know: a warning, not a failure
            dict(id=200, name="Ghost", external_id="acc_999", updated_at=dt.datetime(2026, 11, 1),
                 _drop_date=d("2026-11-01"), _line=2),
        ],
    )  # fmt: skip
    insert_rows(
        con,
        "ticketing__tickets",
        [
            dict(id=1, organization_id=100, status="open", tags=["billing"],
                 updated_at=dt.datetime(2026, 11, 2, 8), _drop_date=d("2026-11-02"), _line=1),
            dict(id=1, organization_id=100, status="solved", tags=["billing"],
                 updated_at=dt.datetime(2026, 11, 3, 16), _drop_date=d("2026-11-03"), _line=1),
            # an older version arriving late, in a later drop
            dict(id=1, organization_id=100, status="open", tags=["billing"],
                 updated_at=dt.datetime(2026, 11, 2, 8), _drop_date=d("2026-11-05"), _line=4),
            dict(id=2, organization_id=100, status="open", tags=["escalated", "outage"],
                 updated_at=dt.datetime(2026, 11, 4, 10), _drop_date=d("2026-11-04"), _line=2),
        ],
    )  # fmt: skip
    insert_rows(
        con,
        "ticketing__satisfaction_ratings",
        [
            dict(id=10, ticket_id=1, score="good", updated_at=dt.datetime(2026, 11, 3, 17),
                 _drop_date=d("2026-11-03"), _line=1),
            dict(id=11, ticket_id=2, rating=4, updated_at=dt.datetime(2026, 11, 4, 11),
                 _drop_date=d("2026-11-04"), _line=1),
        ],
    )  # fmt: skip

    # FX rates -------------------------------------------------------------------------------------
    insert_rows(
        con,
        "fx_rates__fx_rates",
        [
            dict(date=d("2026-11-01"), currency="EUR", rate=1.08, _drop_date=d("2026-11-01"), _line=2),
            dict(date=d("2026-11-01"), currency="eur", rate=1.09, _drop_date=d("2026-11-03"), _line=5),
            dict(date=d("2026-11-01"), currency="GBP", rate=1.27, _drop_date=d("2026-11-01"), _line=3),
        ],
    )  # fmt: skip
    con.close()


def query(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def current_equals_history(db_path: Path) -> bool:
    """The current-state model and the current versions of the history agree, both ways."""
    state = "subscription_id, status, customer_id, item_count, current_period_start_at"
    current = f"SELECT {state} FROM staging.stg_stripe__subscriptions"
    versions = f"SELECT {state} FROM staging.stg_stripe__subscription_versions WHERE is_current"
    differences = query(
        db_path, f"({current} EXCEPT {versions}) UNION ALL ({versions} EXCEPT {current})"
    )
    return differences == []


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("dbt_staging")
    db_path = work / "warehouse.duckdb"
    build_raw(db_path)
    return db_path, work


def test_build_as_of_nov_10(staged: tuple[Path, Path]) -> None:
    db_path, work = staged
    result = run_dbt("build", db_path, work, "2026-11-10")
    assert result.returncode == 0, result.stdout[-4000:]

    # Only the cross-source gaps warn: organisation 200 names an account the database lacks.
    run_results = json.loads((work / "target" / "run_results.json").read_text())
    warned = sorted(
        r["unique_id"].split(".")[2] for r in run_results["results"] if r["status"] == "warn"
    )
    assert warned == ["relationships_stg_ticketing__organizations_account_id__account_id__ref_stg_app_db__accounts_"]  # fmt: skip

    assert query(
        db_path,
        "SELECT customer_id, email, currency, created_at, is_deleted, source_drop_date "
        "FROM staging.stg_stripe__customers ORDER BY 1",
    ) == [
        ("cus_1", "a@example.com", "USD", dt.datetime(2026, 1, 15), True, d("2026-11-04")),
        ("cus_2", None, "EUR", dt.datetime(2026, 1, 15), False, d("2026-11-01")),
    ]
    assert query(
        db_path,
        "SELECT subscription_id, status, current_period_start_at, source_drop_date "
        "FROM staging.stg_stripe__subscriptions ORDER BY 1",
    ) == [
        ("sub_1", "active", dt.datetime(2026, 11, 1), d("2026-11-05")),
        ("sub_2", "active", None, d("2026-11-03")),
    ]
    # sub_1: trialing (11-01, repeated 11-03) then active from 11-05; the 11-12 drop is unseen.
    assert query(
        db_path,
        "SELECT subscription_id, status, valid_from_drop, valid_to_drop, is_current "
        "FROM staging.stg_stripe__subscription_versions ORDER BY 1, 3",
    ) == [
        ("sub_1", "trialing", d("2026-11-01"), d("2026-11-05"), False),
        ("sub_1", "active", d("2026-11-05"), None, True),
        ("sub_2", "active", d("2026-11-03"), None, True),
    ]
    # Items of the newest subscription versions; the period from the subscription (older shape,
    # sub_1) or the item (newer shape, sub_2). si_b left sub_1 on 11-05.
    assert query(
        db_path,
        "SELECT subscription_item_id, quantity, unit_amount, currency, current_period_start_at, "
        "current_period_end_at FROM staging.stg_stripe__subscription_items ORDER BY 1",
    ) == [
        ("si_a", 2, 5000, "USD", dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1)),
        ("si_n", 3, 900, "EUR", dt.datetime(2026, 10, 15), dt.datetime(2026, 11, 15)),
    ]
    assert query(
        db_path,
        "SELECT subscription_item_id, quantity, valid_from_drop, valid_to_drop "
        "FROM staging.stg_stripe__subscription_item_versions ORDER BY 1, 3",
    ) == [
        ("si_a", 1, d("2026-11-01"), d("2026-11-05")),
        ("si_a", 2, d("2026-11-05"), None),
        ("si_b", 1, d("2026-11-01"), d("2026-11-05")),
        ("si_n", 3, d("2026-11-03"), None),
    ]
    assert query(
        db_path,
        "SELECT subscription_id, coupon_id FROM staging.stg_stripe__subscription_discounts",
    ) == [("sub_1", "LAUNCH20")]
    assert query(
        db_path, "SELECT invoice_id, status, is_paid FROM staging.stg_stripe__invoices"
    ) == [("in_1", "paid", True)]
    assert query(
        db_path,
        "SELECT invoice_line_id, line_type, amount, is_proration "
        "FROM staging.stg_stripe__invoice_lines ORDER BY 1",
    ) == [("il_1", "subscription", 5000, False), ("il_2", "invoiceitem", -200, True)]
    assert query(db_path, "SELECT charge_id, status FROM staging.stg_stripe__charges") == [
        ("ch_1", "succeeded")
    ]
    assert current_equals_history(db_path)

    assert query(
        db_path,
        "SELECT account_id, plan, stripe_customer_id FROM staging.stg_app_db__accounts ORDER BY 1",
    ) == [("acc_1", "growth", "cus_1"), ("acc_3", "starter", None)]
    assert query(
        db_path, "SELECT event_id, source_drop_date FROM staging.stg_app_db__events ORDER BY 1"
    ) == [("ev_1", d("2026-11-04")), ("ev_3", d("2026-11-03"))]
    assert query(
        db_path,
        "SELECT ticket_id, status, is_escalated FROM staging.stg_ticketing__tickets ORDER BY 1",
    ) == [(1, "solved", False), (2, "open", True)]
    assert query(
        db_path,
        "SELECT satisfaction_rating_id, score, rating "
        "FROM staging.stg_ticketing__satisfaction_ratings ORDER BY 1",
    ) == [(10, "good", None), (11, None, 4)]
    assert query(
        db_path,
        "SELECT currency, rate_to_reporting FROM staging.stg_fx_rates__fx_rates ORDER BY 1",
    ) == [("EUR", 1.09), ("GBP", 1.27)]


def test_earlier_as_of_does_not_see_later_drops(staged: tuple[Path, Path]) -> None:
    db_path, work = staged
    result = run_dbt("run", db_path, work, "2026-11-03")
    assert result.returncode == 0, result.stdout[-4000:]

    assert query(
        db_path,
        "SELECT subscription_id, status, source_drop_date "
        "FROM staging.stg_stripe__subscriptions ORDER BY 1",
    ) == [("sub_1", "trialing", d("2026-11-03")), ("sub_2", "active", d("2026-11-03"))]
    assert query(
        db_path,
        "SELECT subscription_id, valid_from_drop, valid_to_drop "
        "FROM staging.stg_stripe__subscription_versions WHERE subscription_id = 'sub_1'",
    ) == [("sub_1", d("2026-11-01"), None)]
    assert query(
        db_path,
        "SELECT subscription_item_id, quantity FROM staging.stg_stripe__subscription_items ORDER BY 1",
    ) == [("si_a", 1), ("si_b", 1), ("si_n", 3)]
    assert query(
        db_path, "SELECT customer_id, is_deleted FROM staging.stg_stripe__customers ORDER BY 1"
    ) == [("cus_1", False), ("cus_2", False)]
    assert query(
        db_path, "SELECT subscription_id, coupon_id FROM staging.stg_stripe__subscription_discounts"
    ) == [("sub_1", "OLD10")]
    assert current_equals_history(db_path)
    # acc_2 is deleted only in the 11-06 drop; acc_1's plan changes in the 11-05 drop.
    assert query(
        db_path, "SELECT account_id, plan FROM staging.stg_app_db__accounts ORDER BY 1"
    ) == [("acc_1", "starter"), ("acc_2", "pro"), ("acc_3", "starter")]
    # ev_2 was deleted in the 11-03 drop; ev_1's re-send (11-04) is not seen yet.
    assert query(
        db_path, "SELECT event_id, source_drop_date FROM staging.stg_app_db__events ORDER BY 1"
    ) == [("ev_1", d("2026-11-01")), ("ev_3", d("2026-11-03"))]
    assert query(
        db_path, "SELECT currency, rate_to_reporting FROM staging.stg_fx_rates__fx_rates ORDER BY 1"
    ) == [("EUR", 1.09), ("GBP", 1.27)]


def test_later_as_of_sees_cancellation_as_a_third_version(staged: tuple[Path, Path]) -> None:
    db_path, work = staged
    result = run_dbt("run", db_path, work, "2026-11-12")
    assert result.returncode == 0, result.stdout[-4000:]

    assert query(
        db_path,
        "SELECT status, ended_at, valid_from_drop, valid_to_drop "
        "FROM staging.stg_stripe__subscription_versions WHERE subscription_id = 'sub_1' ORDER BY 3",
    ) == [
        ("trialing", None, d("2026-11-01"), d("2026-11-05")),
        ("active", None, d("2026-11-05"), d("2026-11-12")),
        ("canceled", dt.datetime(2026, 11, 12), d("2026-11-12"), None),
    ]
    # si_a's quantity did not change on 11-12, but its subscription's did: the item keeps one version.
    assert query(
        db_path,
        "SELECT quantity, valid_from_drop, valid_to_drop "
        "FROM staging.stg_stripe__subscription_item_versions "
        "WHERE subscription_item_id = 'si_a' ORDER BY 2",
    ) == [(1, d("2026-11-01"), d("2026-11-05")), (2, d("2026-11-05"), None)]
    assert current_equals_history(db_path)
    assert query(db_path, "SELECT count(*) FROM staging.stg_app_db__events") == [(3,)]


# --------------------------------------------------------------------------- generated drops

# staging model -> (raw table, key columns, rule for the newest version)
CURRENT_STATE_MODELS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "stg_stripe__customers": ("stripe__customers", ("id",), "keep"),
    "stg_stripe__subscriptions": ("stripe__subscriptions", ("id",), "keep"),
    "stg_stripe__invoices": ("stripe__invoices", ("id",), "keep"),
    "stg_stripe__charges": ("stripe__charges", ("id",), "keep"),
    "stg_stripe__refunds": ("stripe__refunds", ("id",), "keep"),
    "stg_stripe__coupons": ("stripe__coupons", ("id",), "keep"),
    "stg_stripe__prices": ("stripe__prices", ("id",), "keep"),
    "stg_app_db__accounts": ("app_db__accounts", ("account_id",), "drop_deleted"),
    "stg_app_db__users": ("app_db__users", ("user_id",), "drop_deleted"),
    "stg_app_db__events": ("app_db__events", ("event_id",), "drop_deleted"),
    "stg_app_db__onboarding_steps": (
        "app_db__onboarding_steps",
        ("account_id", "step_id"),
        "drop_deleted",
    ),
    "stg_app_db__nps_survey_sends": ("app_db__nps_survey_sends", ("send_id",), "drop_deleted"),
    "stg_app_db__nps_responses": ("app_db__nps_responses", ("response_id",), "drop_deleted"),
    "stg_app_db__cs_activities": ("app_db__cs_activities", ("activity_id",), "drop_deleted"),
    "stg_app_db__csms": ("app_db__csms", ("csm_id",), "drop_deleted"),
    "stg_app_db__cs_tasks": ("app_db__cs_tasks", ("task_id",), "drop_deleted"),
    "stg_ticketing__tickets": ("ticketing__tickets", ("id",), "keep"),
    "stg_ticketing__satisfaction_ratings": ("ticketing__satisfaction_ratings", ("id",), "keep"),
    "stg_ticketing__organizations": ("ticketing__organizations", ("id",), "keep"),
}
# child staging model -> (raw child table, raw parent table, child column naming the parent or None)
CHILD_MODELS: dict[str, tuple[str, str, str | None]] = {
    "stg_stripe__subscription_items": (
        "stripe__subscription_items",
        "stripe__subscriptions",
        "subscription_id",
    ),
    "stg_stripe__invoice_lines": ("stripe__invoice_lines", "stripe__invoices", "invoice_id"),
    "stg_stripe__customer_discounts": ("stripe__customer_discounts", "stripe__customers", None),
    "stg_stripe__subscription_discounts": (
        "stripe__subscription_discounts",
        "stripe__subscriptions",
        None,
    ),
    "stg_stripe__invoice_discounts": ("stripe__invoice_discounts", "stripe__invoices", None),
}
METADATA = {"_drop_date", "_file", "_line", "_loaded_at", "_raw_json"}


def raw_rows(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> list[dict]:
    cursor = con.execute(f"SELECT * FROM raw.{table} WHERE _drop_date <= ?", [as_of])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def newest_by_key(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """The row of the latest drop (then line) per key: a second implementation, in Python."""
    newest: dict[tuple, dict] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        seen = newest.get(k)
        if seen is None or (row["_drop_date"], row["_line"]) > (seen["_drop_date"], seen["_line"]):
            newest[k] = row
    return newest


def expected_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, int]:
    """Per staging model, the rows it must hold as of `as_of`, computed from raw in Python."""
    counts: dict[str, int] = {}
    for model, (table, key, rule) in CURRENT_STATE_MODELS.items():
        newest = newest_by_key(raw_rows(con, table, as_of), key)
        if rule == "drop_deleted":
            newest = {k: r for k, r in newest.items() if r["deleted_at"] is None}
        counts[model] = len(newest)
    fx = raw_rows(con, "fx_rates__fx_rates", as_of)
    counts["stg_fx_rates__fx_rates"] = len({(r["date"], r["currency"].upper()) for r in fx})

    for model, (child, parent, parent_column) in CHILD_MODELS.items():
        parents = newest_by_key(raw_rows(con, parent, as_of), ("id",)).values()
        parent_lines = {(p["id"], p["_drop_date"], p["_file"], p["_line"]) for p in parents}
        anonymous_lines = {line[1:] for line in parent_lines}
        counts[model] = sum(
            (r[parent_column], r["_drop_date"], r["_file"], r["_line"]) in parent_lines
            if parent_column
            else (r["_drop_date"], r["_file"], r["_line"]) in anonymous_lines
            for r in raw_rows(con, child, as_of)
        )

    # Subscription versions: a new version whenever a drop's state differs from the previous drop's.
    subscriptions = raw_rows(con, "stripe__subscriptions", as_of)
    by_subscription: dict[str, dict[dt.date, dict]] = {}
    for row in subscriptions:
        by_subscription.setdefault(row["id"], {})[row["_drop_date"]] = row
    versions = 0
    for drops in by_subscription.values():
        previous = None
        for drop in sorted(drops):
            state = {c: v for c, v in drops[drop].items() if c not in METADATA}
            versions += state != previous
            previous = state
    counts["stg_stripe__subscription_versions"] = versions

    # Item versions: over the drops carrying the parent from the item's first appearance, a new
    # version whenever the item is present and differs from the previous drop (or was absent).
    items = raw_rows(con, "stripe__subscription_items", as_of)
    item_states: dict[tuple[str, str], dict[dt.date, dict]] = {}
    for row in items:
        parent = by_subscription[row["subscription_id"]][row["_drop_date"]]
        state = {c: v for c, v in row.items() if c not in METADATA | {"item_index"}}
        for bound in ("current_period_start", "current_period_end"):
            state[bound] = state[bound] if state[bound] is not None else parent[bound]
        item_states.setdefault((row["subscription_id"], row["id"]), {})[row["_drop_date"]] = state
    item_versions = 0
    for (subscription_id, _), states in item_states.items():
        previous = None
        for drop in sorted(d for d in by_subscription[subscription_id] if d >= min(states)):
            state = states.get(drop)
            item_versions += state is not None and state != previous
            previous = state
    counts["stg_stripe__subscription_item_versions"] = item_versions
    return counts


def staged_counts(db_path: Path, models: list[str]) -> dict[str, int]:
    return {m: query(db_path, f"SELECT count(*) FROM staging.{m}")[0][0] for m in models}


@pytest.mark.slow
def test_generated_drops_stage_with_every_test_passing(tmp_path: Path) -> None:
    from ingest.loader import ingest_source_drop
    from ingest.sources import SOURCES
    from synthetic import generate_drops

    extracts = tmp_path / "extracts"
    generate_drops(extracts, accounts=300, months=14, seed=7)
    db_path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db_path))
    drop_dates = set()
    for source in SOURCES:
        for folder in sorted(p for p in (extracts / source).iterdir() if p.is_dir()):
            drop_date = dt.date.fromisoformat(folder.name)
            drop_dates.add(drop_date)
            ingest_source_drop(con, source, extracts, drop_date, LOADED_AT)
    con.close()
    last_drop = max(drop_dates)
    middle = min(drop_dates) + (last_drop - min(drop_dates)) / 2

    result = run_dbt("build", db_path, tmp_path, last_drop.isoformat())
    assert result.returncode == 0, result.stdout[-4000:]
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    failing = [r["unique_id"] for r in run_results["results"] if r["status"] in ("fail", "error")]
    assert failing == []

    for as_of in (last_drop, middle):
        if as_of != last_drop:
            result = run_dbt("run", db_path, tmp_path, as_of.isoformat())
            assert result.returncode == 0, result.stdout[-4000:]
        con = duckdb.connect(str(db_path), read_only=True)
        expected = expected_counts(con, as_of)
        con.close()
        assert staged_counts(db_path, list(expected)) == expected, f"as of {as_of}"
        assert current_equals_history(db_path)
