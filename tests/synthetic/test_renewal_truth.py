"""The generator's renewal ground truth (renewals_truth.csv), read back against the drop files with
plain json/csv (tests/synthetic/helpers.py), and its outcomes against the latent health that drives
them.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from synthetic.generator import GenerationSummary
from tests.synthetic.helpers import latest_stripe, unix_day


def _truth(out: Path, name: str) -> list[dict[str, str]]:
    with (out.parent / (out.name + "_ground_truth") / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_annual_term_of_a_paid_or_open_invoice_is_one_renewal(
    small_run: GenerationSummary,
) -> None:
    out = small_run.out_dir
    terms = set()
    for inv in latest_stripe(out, "invoices").values():
        if inv["status"] not in ("paid", "open"):
            continue
        subscription = inv["parent"]["subscription_details"]["subscription"]
        for line in inv["lines"]["data"]:
            period = line["period"]
            days = (period["end"] - period["start"]) / 86_400
            proration = line["parent"]["subscription_item_details"]["proration"]
            if not proration and days >= 365:
                terms.add((subscription, unix_day(period["end"])))
    truth = {(r["subscription_id"], r["term_end"]) for r in _truth(out, "renewals_truth.csv")}
    assert terms, "the generation has no annual terms"
    assert truth == terms


def test_outcomes_follow_the_mrr_truth_and_depend_on_health(small_run: GenerationSummary) -> None:
    out = small_run.out_dir
    renewals = [r for r in _truth(out, "renewals_truth.csv") if r["outcome"]]
    mrr = {(r["stripe_customer_id"], r["month"]): r["mrr"] for r in _truth(out, "mrr_truth.csv")}
    for r in renewals:
        end = dt.date.fromisoformat(r["term_end"])
        before = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1).isoformat()
        # the customer's month-end MRR before the term-end month (0 where it had no row yet)
        assert r["mrr_before"] == mrr.get((r["stripe_customer_id"], before), "0.00"), r
    health = pl.read_parquet(
        out.parent / (out.name + "_ground_truth") / "latent_health.parquet"
    ).with_columns(pl.col("month").cast(pl.Utf8))
    frame = pl.DataFrame(
        {
            "account_id": [r["account_id"] for r in renewals],
            "month": [r["term_end"][:8] + "01" for r in renewals],
            "churned": [r["outcome"] == "churned" for r in renewals],
        }
    ).join(health, on=["account_id", "month"])
    means = frame.group_by("churned").agg(pl.col("latent_health").mean()).sort("churned")
    kept, lost = means["latent_health"].to_list()
    assert {"renewed", "churned"} <= {r["outcome"] for r in renewals}
    assert lost < kept, (lost, kept)
