"""Rule 13's anomalies (transforms/gate/anomalies.py) and their review, on hand-made frames."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import anomalies as detection
from transforms.gate import publication_rules


def test_anomalies_and_annotations() -> None:
    changes = [10.0, -10.0, 12.0, -12.0, 11.0, 500.0, 9000.0]
    mrr = pl.DataFrame(
        {
            "stripe_customer_id": [f"c{i}" for i in range(7)],
            "month": [dt.date(2026, 10, 1)] * 7,
            # c6 is a new customer (previous 0): its whole MRR is a movement, not a change measured.
            "previous_mrr": [100.0] * 6 + [0.0],
            "mrr": [100.0 + c for c in changes[:6]] + [9000.0],
            "mrr_change": changes,
        }
    )
    # median of the six = (10 + 11)/2 = 10.5; |x − 10.5| = 0.5, 20.5, 1.5, 22.5, 0.5, 489.5 → MAD = (1.5 + 20.5)/2 = 11;
    # c5: 0.6745 × 489.5 / 11 = 30.0 > 3.5; c3: 0.6745 × −22.5 / 11 = −1.38, not an anomaly.
    negatives = pl.DataFrame(
        {"table_name": ["staging.stg_stripe__charges"], "entity_id": ["ch_1"], "amount": [-5.0]}
    )
    usage = pl.DataFrame(
        {
            "account_id": ["a"] * 5,
            "date": [dt.date(2026, 11, d) for d in range(1, 6)],
            "events": [5, 6, 5, 7, 200],
        }
    )  # median 6; 200 > 10 × 6 and ≥ 50
    duplicates = pl.DataFrame(
        {
            "table_name": ["raw.stripe__customers"],
            "entity_id": ["cus_1"],
            "drop_date": [dt.date(2026, 11, 2)],
            "copies": [2],
        }
    )
    anomalies = detection.detect_anomalies(mrr, negatives, usage, duplicates, 3.5, 10, 50)
    assert sorted(anomalies["anomaly_id"].to_list()) == [
        "duplicate_id:raw.stripe__customers:cus_1:2026-11-02",
        "mrr_change:marts.mrr_monthly:c5:2026-10-01",
        "negative_amount:staging.stg_stripe__charges:ch_1:",
        "usage_spike:staging.stg_app_db__events:a:2026-11-05",
    ]
    annotations = [
        {
            "anomaly_id": "mrr_change:marts.mrr_monthly:c5:2026-10-01",
            "reviewer": "ana",
            "note": "annual upgrade",
            "date": "2026-11-21",
        },
        {
            "anomaly_id": "negative_amount:staging.stg_stripe__charges:ch_1:",
            "reviewer": "ana",
            "note": "",
            "date": "2026-11-21",
        },
    ]
    closed = detection.close_annotated(anomalies, annotations)
    # The second annotation has no note: it closes nothing.
    assert closed.filter(pl.col("status") == "closed")["entity_id"].to_list() == ["c5"]
    result = publication_rules.outliers_investigated(closed)[0]
    assert result.status == "warn" and result.observed.startswith("3 open of 4")


def test_revenue_history_disagreements_are_anomalies_until_reviewed() -> None:
    # Two rows of audit.revenue_history_disagreements: a line valued at a twelfth of its own
    # monthly price (an anomaly) and a line whose current price changed since (explained).
    history = pl.DataFrame(
        {
            "month": [dt.date(2026, 3, 1), dt.date(2026, 3, 1)],
            "stripe_customer_id": ["cus_1", "cus_2"],
            "subscription_item_id": ["si_1", "si_2"],
            "comparison": ["own_price", "current_price"],
            "likely_reason": ["line_differs_from_its_price", "price_changed"],
            "is_anomaly": [True, False],
            "invoice_line_mrr": [8.25, 99.0],
            "compared_mrr": [99.0, 199.0],
        }
    )
    empty = pl.DataFrame(
        schema={"table_name": pl.String, "entity_id": pl.String, "amount": pl.Float64}
    )
    no_duplicates = pl.DataFrame(
        schema={
            "table_name": pl.String,
            "entity_id": pl.String,
            "drop_date": pl.Date,
            "copies": pl.Int64,
        }
    )
    found = detection.detect_anomalies(
        None, empty, None, no_duplicates, 3.5, 10, 50, history_disagreements=history
    )
    assert found.select("anomaly_id", "observed").rows() == [
        (
            "revenue_history_disagreement:audit.revenue_history_disagreements:cus_1/si_1:2026-03-01",
            "invoice line 8.25 vs own_price 99.0 (line_differs_from_its_price)",
        )
    ]
    (result,) = publication_rules.outliers_investigated(detection.close_annotated(found, []))
    assert result.status == "warn" and "revenue_history_disagreement 1" in result.observed
