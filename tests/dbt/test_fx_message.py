"""A missing FX rate stops the build naming the currency, the date and what it leaves unvalued
(issue #29, item 10): `fx_rate_found` stores its failures and the runner quotes them.

The drop of 2025-03-04 holds one EUR subscription; the only EUR rate is of 2025-01-02, more than 7
days before any valuation date, so every valuation date of the subscription has no rate.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.loader import ingest_source_drop
from orchestration.runner import dbt_test_failures, dbt_tests_failed
from tests.ingest.drops import D1, T1, customer, jsonl, stripe_drop, subscription, write
from tests.raw_rows import run_dbt


@pytest.mark.slow
def test_missing_rate_names_currency_date_and_subscription(tmp_path: Path) -> None:
    euro = subscription("sub_Eur1")
    euro["currency"] = "eur"
    euro["start_date"] = 1740000000  # 2025-02-19: valued at the end of February and on D1
    euro["items"]["data"][0]["price"]["currency"] = "eur"
    stripe_drop(tmp_path, D1, jsonl({**customer("cus_A1"), "currency": "eur"}), jsonl(euro))
    write(tmp_path, "fx_rates", D1, "fx_rates.csv", "date,currency,rate\n2025-01-02,EUR,1.04\n")
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    for source in ("stripe", "fx_rates"):
        ingest_source_drop(con, source, tmp_path, D1, T1)
    con.close()

    result = run_dbt(
        [
            "build",
            "--select",
            "+int_subscription_items_normalised_to_mrr",
            "--indirect-selection",
            "cautious",
        ],
        db,
        tmp_path / "dbt",
        D1.isoformat(),
    )
    assert result.returncode != 0, result.stdout[-3000:]
    assert dbt_tests_failed(result.stdout), result.stdout[-3000:]
    message = dbt_test_failures(db, result.stdout)
    assert message.startswith(
        "dbt test fx_rate_found_int_subscription_items_normalised_to_mrr_fx_rate failed: "
    )
    assert f"no EUR rate for {D1.isoformat()} (nor in the 7 days before)" in message
    assert "e.g. sub_Eur1 of customer cus_A1" in message
    assert "deliver the rate in fx_rates.csv" in message


def test_an_error_of_dbt_itself_is_not_a_data_stop() -> None:
    stopped_by_tests = "Failure in test not_null_x_y (models/x.yml)\n  Got 1 result"
    crashed = "Runtime Error in model x (models/x.sql)\n  IO Error: Could not set lock on file"
    assert dbt_tests_failed(stopped_by_tests)
    assert not dbt_tests_failed(crashed)
    assert not dbt_tests_failed(stopped_by_tests + "\n" + crashed)
