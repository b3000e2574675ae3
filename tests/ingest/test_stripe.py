"""Stripe objects flattened into raw rows: Stripe's own published example objects (both API shapes),
a deletion record and the newer invoice shape, through the real ingest.

For the published examples,
Expected outcomes were read off the fixture files by hand:
- fixtures3.json (2025-03-31+ shape): the subscription's item has current_period_start 1896570518
  and current_period_end 976287773 (ends before it starts) and a plan with interval_count
  797691627 and currency "currency"; the invoice's subscription is the placeholder "subscription"
  (parent.subscription_details) and its line points at "subscription_item" / "invoice_item"; the
  charge's outcome.type is "type". Customer, price and refund are plausible.
- fixtures3.pre-2025-03-31.json: the subscription has current_period_start = end = 1234567890 (a
  zero-length period is possible) but its item carries the same impossible plan; the invoice has
  no subscription and one one_time-price line with invoice_item ii_…; the charge's outcome is null.
- Both: the customer's discount starts at 109757538 (1270 days and 29,538 s after the epoch:
  1973-06-24 08:12:18), before any company's first date:
  the default window quarantines the customer; the shape tests use a window from 1970 to see the
  rest of the object loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from data_contracts.plausibility import Plausibility
from ingest.loader import ensure_raw_tables, ingest_source_drop
from tests.ingest.drops import D1, T1, jsonl, stripe_drop, write

FIXTURES = Path("/work/shared/reference/real_inputs/stripe_openapi_fixtures")
DROP = dt.date(2025, 5, 1)
LOADED_AT = dt.datetime(2025, 5, 2, 6, 0)


def _resources(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())["resources"]


def _write_drop(root: Path, res: dict) -> None:
    """One line per object; standalone item / line objects embedded in a plausible parent."""
    folder = root / "stripe" / DROP.isoformat()
    folder.mkdir(parents=True)
    envelope_sub = {
        "id": "sub_Envelope1",
        "object": "subscription",
        "customer": "cus_Envelope1",
        "status": "active",
        "created": 1700000000,
        "currency": "usd",
        "items": {"object": "list", "data": [res["subscription_item"]], "has_more": False},
    }
    envelope_inv = {
        "id": "in_Envelope1",
        "object": "invoice",
        "customer": "cus_Envelope1",
        "status": "paid",
        "currency": "usd",
        "created": 1700000000,
        "lines": {"object": "list", "data": [res["line_item"]], "has_more": False},
    }
    files = {
        "customers": [res["customer"]],
        "subscriptions": [res["subscription"], envelope_sub],
        "invoices": [res["invoice"], envelope_inv],
        "charges": [res["charge"]],
        "refunds": [res["refund"]],
        "prices": [res["price"]],
    }
    for stem, objects in files.items():
        (folder / f"{stem}.jsonl").write_text("".join(json.dumps(o) + "\n" for o in objects))


# Stripe's placeholder values date from 1973 on; the shapes are what these tests look at.
SINCE_1970 = Plausibility(company_start=dt.date(1970, 1, 1))


def _ingest(
    tmp_path: Path, fixture: str, plausibility: Plausibility = SINCE_1970
) -> duckdb.DuckDBPyConnection:
    _write_drop(tmp_path, _resources(fixture))
    con = duckdb.connect()
    result = ingest_source_drop(con, "stripe", tmp_path, DROP, LOADED_AT, plausibility)
    for f in result.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined, f
    return con


def _quarantine(con) -> dict[tuple[str, int], list[str]]:
    rows = con.execute("SELECT file, line, rules, message FROM raw.quarantine").fetchall()
    for _, _, rules, message in rows:
        for rule in rules:
            assert rule in message  # the message names every rule broken
    return {(f, line): rules for f, line, rules, _ in rows}


def _ids(con, table: str) -> list[str]:
    return sorted(r[0] for r in con.execute(f"SELECT id FROM raw.stripe__{table}").fetchall())


def test_current_api_shape_fixtures(tmp_path: Path) -> None:
    con = _ingest(tmp_path, "fixtures3.json")
    q = _quarantine(con)
    assert set(q) == {
        ("subscriptions.jsonl", 1),
        ("subscriptions.jsonl", 2),
        ("invoices.jsonl", 1),
        ("invoices.jsonl", 2),
        ("charges.jsonl", 1),
    }
    impossible_item = {
        "stripe.subscription_items.period_end_after_start",
        "stripe.subscription_items.plan_interval_count_range",
        "stripe.subscription_items.plan_currency_format",
    }
    assert set(q[("subscriptions.jsonl", 1)]) == impossible_item
    assert set(q[("subscriptions.jsonl", 2)]) == impossible_item  # standalone item, same values
    assert set(q[("invoices.jsonl", 1)]) == {
        "stripe.invoices.subscription_format",
        "stripe.invoice_lines.subscription_format",
        "stripe.invoice_lines.subscription_item_format",
        "stripe.invoice_lines.invoice_item_format",
    }
    assert set(q[("invoices.jsonl", 2)]) == {
        "stripe.invoice_lines.subscription_format",
        "stripe.invoice_lines.subscription_item_format",
        "stripe.invoice_lines.invoice_item_format",
    }
    assert q[("charges.jsonl", 1)] == ["stripe.charges.outcome_type_enum"]

    assert _ids(con, "customers") == ["cus_QXg1o8vcGmoR32"]
    assert _ids(con, "prices") == ["price_1PgafmB7WZ01zgkW6dKueIc5"]
    assert _ids(con, "refunds") == ["re_1Pgc72B7WZ01zgkWqPvrRrPE"]
    for table in ("subscriptions", "subscription_items", "invoices", "invoice_lines", "charges"):
        assert _ids(con, table) == []
    # The customer's embedded discount (new shape: source.coupon) becomes a child row.
    assert con.execute(
        "SELECT parent_id, id, start, coupon_id FROM raw.stripe__customer_discounts"
    ).fetchall() == [("cus_QXg1o8vcGmoR32", "obj_123", 109757538, None)]
    # Source values unchanged: unix seconds and minor units stay integers.
    assert con.execute(
        "SELECT created, unit_amount, recurring_interval, recurring_interval_count, _line, _file "
        "FROM raw.stripe__prices"
    ).fetchall() == [(1234567890, 2000, "month", 1, 1, "prices.jsonl")]


def test_pre_2025_api_shape_fixtures(tmp_path: Path) -> None:
    con = _ingest(tmp_path, "fixtures3.pre-2025-03-31.json")
    q = _quarantine(con)
    assert set(q) == {("subscriptions.jsonl", 1), ("subscriptions.jsonl", 2)}
    plan_rules = {
        "stripe.subscription_items.plan_interval_count_range",
        "stripe.subscription_items.plan_currency_format",
    }
    assert set(q[("subscriptions.jsonl", 1)]) == plan_rules
    assert set(q[("subscriptions.jsonl", 2)]) == plan_rules

    assert _ids(con, "customers") == ["cus_QXg1o8vcGmoR32"]
    assert _ids(con, "invoices") == ["in_1Pgc6tB7WZ01zgkWu9fdqL6I", "in_Envelope1"]
    assert _ids(con, "charges") == ["ch_1PgafuB7WZ01zgkWXYmPNZs8"]
    assert _ids(con, "refunds") == ["re_1Pgc72B7WZ01zgkWqPvrRrPE"]
    lines = con.execute(
        "SELECT invoice_id, id, amount, invoice_item, price_id, price_type, subscription "
        "FROM raw.stripe__invoice_lines ORDER BY invoice_id"
    ).fetchall()
    assert lines == [
        (
            "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
            "il_1Pgc6sB7WZ01zgkWFnxLrLCq",
            1000,
            "ii_1Pgc6sB7WZ01zgkWSUrArSku",
            "price_1PgafmB7WZ01zgkW02Hf9z6c",
            "one_time",
            None,
        ),
        (
            "in_Envelope1",
            "il_tmp_1Pgc6sB7WZ01zgkWrG16hkdl",
            1000,
            "ii_1Pgc6sB7WZ01zgkWrG16hkdl",
            "price_1PgafmB7WZ01zgkW02Hf9z6c",
            "one_time",
            None,
        ),
    ]
    # Older charges carry `invoice`; a null outcome leaves outcome_type NULL.
    assert con.execute(
        "SELECT invoice, outcome_type, amount FROM raw.stripe__charges"
    ).fetchall() == [(None, None, 100)]


@pytest.mark.parametrize("fixture", ["fixtures3.json", "fixtures3.pre-2025-03-31.json"])
def test_raw_json_keeps_the_original_line(tmp_path: Path, fixture: str) -> None:
    con = _ingest(tmp_path, fixture)
    raw = con.execute("SELECT _raw_json FROM raw.stripe__customers").fetchall()[0][0]
    assert json.loads(raw) == _resources(fixture)["customer"]


def test_placeholder_discount_start_is_quarantined_by_the_default_window(tmp_path: Path) -> None:
    """The default company start (2000-01-01) rejects the 1973 discount start, naming the rule."""
    con = _ingest(tmp_path, "fixtures3.json", Plausibility())
    rows = con.execute(
        "SELECT line, rules, message FROM raw.quarantine WHERE file = 'customers.jsonl'"
    ).fetchall()
    assert [(line, rules) for line, rules, _ in rows] == [
        (1, ["stripe.customer_discounts.start_plausible"])
    ]
    assert "109757538 (1973-06-24 08:12:18 UTC) is before the company's first date" in rows[0][2]
    assert _ids(con, "customers") == []


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


def _line_invoice(invoice_id: str, line: dict) -> dict:
    """A paid invoice of sub_S1 holding one subscription line (newer API shape)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_A1",
        "status": "paid",
        "currency": "usd",
        "created": 1740000000,
        "lines": {
            "data": [
                {
                    "id": f"il_{invoice_id[3:]}",
                    "amount": 9900,
                    "currency": "usd",
                    "period": {"start": 1740000000, "end": 1742678400},
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": "price_Pro"},
                        "unit_amount_decimal": "9900",
                    },
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": "sub_S1",
                            "subscription_item": "si_S1",
                            "proration": False,
                        },
                    },
                    **line,
                }
            ]
        },
    }


def test_a_discount_entry_without_an_amount_quarantines_its_invoice(tmp_path: Path, con) -> None:
    # A discount that took something off but does not say how much: summing it as 0 would value
    # the line at its full amount. The invoice (a JSON line) is quarantined whole, with the rule.
    whole = _line_invoice("in_OK1", {"discount_amounts": [{"amount": 1980, "discount": "di_X"}]})
    broken = _line_invoice("in_NO1", {"discount_amounts": [{"discount": "di_X"}]})
    write(tmp_path, "stripe", D1, "customers.jsonl", "")
    write(tmp_path, "stripe", D1, "subscriptions.jsonl", "")
    write(tmp_path, "stripe", D1, "charges.jsonl", "")
    write(tmp_path, "stripe", D1, "invoices.jsonl", jsonl(whole, broken))
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute(
        "SELECT invoice_id, discount_amount, pricing_unit_amount_decimal FROM raw.stripe__invoice_lines"
    ).fetchall() == [("in_OK1", 1980, "9900")]
    file = result.file("invoices.jsonl")
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (2, 1, 1)
    ((line, rules, message),) = con.execute(
        "SELECT line, rules, message FROM raw.quarantine"
    ).fetchall()
    assert line == 2
    assert "stripe.invoice_lines.discount_amount_type" in rules
    assert "every entry must carry an integer amount" in message


def test_a_raw_table_created_before_a_column_was_added_gains_it(tmp_path: Path, con) -> None:
    # A warehouse built before the layout gained pricing_unit_amount_decimal keeps loading.
    ensure_raw_tables(con)
    con.execute("ALTER TABLE raw.stripe__invoice_lines DROP COLUMN pricing_unit_amount_decimal")
    write(tmp_path, "stripe", D1, "customers.jsonl", "")
    write(tmp_path, "stripe", D1, "subscriptions.jsonl", "")
    write(tmp_path, "stripe", D1, "charges.jsonl", "")
    write(tmp_path, "stripe", D1, "invoices.jsonl", jsonl(_line_invoice("in_OK1", {})))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute(
        "SELECT pricing_unit_amount_decimal FROM raw.stripe__invoice_lines"
    ).fetchall() == [("9900",)]
