"""Rule 13's anomaly detection: outliers of MRR change, negative amounts, usage spikes, duplicate ids,
and revenue history whose sources disagree.

An independent recomputation over the marts and staging it checks: it shares no code with the models
or transforms that produced them (tests/transforms/gate/test_independence.py).
"""

from __future__ import annotations

import polars as pl

ANOMALY_SCHEMA = {
    "anomaly_id": pl.String,
    "kind": pl.String,
    "table_name": pl.String,
    "entity_id": pl.String,
    "period": pl.String,
    "observed": pl.String,
    "threshold": pl.String,
}


def _robust_z(values: pl.Expr) -> pl.Expr:
    """0.6745 (x − median) / MAD; NULL where the MAD is zero (no spread to measure against)."""
    median = values.median()
    mad = (values - median).abs().median()
    return pl.when(mad > 0).then(0.6745 * (values - median) / mad)


def _mrr_change_outliers(mrr_monthly: pl.DataFrame, mrr_z_threshold: float) -> pl.DataFrame:
    """Account-months whose MRR change has a robust z-score beyond the threshold."""
    # Changes of revenue that continues (expansion, contraction): a new or churned customer's
    # whole MRR is a movement, not an outlier of change.
    changes = mrr_monthly.filter(
        (pl.col("mrr_change") != 0) & (pl.col("previous_mrr") > 0) & (pl.col("mrr") > 0)
    ).with_columns(change=pl.col("mrr_change").cast(pl.Float64))
    flagged = changes.with_columns(z=_robust_z(pl.col("change"))).filter(
        pl.col("z").abs() > mrr_z_threshold
    )
    return flagged.select(
        kind=pl.lit("mrr_change"),
        table_name=pl.lit("marts.mrr_monthly"),
        entity_id=pl.col("stripe_customer_id"),
        period=pl.col("month").cast(pl.String),
        observed=pl.format("change {} (robust z {})", "change", pl.col("z").round(2)),
        threshold=pl.lit(f"|robust z| > {mrr_z_threshold:g}"),
    )


def _usage_spikes(
    daily_usage: pl.DataFrame, usage_spike_ratio: float, usage_min_events: int
) -> pl.DataFrame:
    """Account-days whose events exceed the ratio × the account's median day and the minimum."""
    spikes = daily_usage.with_columns(typical=pl.col("events").median().over("account_id")).filter(
        (pl.col("events") > usage_spike_ratio * pl.col("typical"))
        & (pl.col("events") >= usage_min_events)
    )
    return spikes.select(
        kind=pl.lit("usage_spike"),
        table_name=pl.lit("staging.stg_app_db__events"),
        entity_id=pl.col("account_id"),
        period=pl.col("date").cast(pl.String),
        observed=pl.format("{} events (median day {})", "events", "typical"),
        threshold=pl.lit(f"> {usage_spike_ratio:g} × median and ≥ {usage_min_events}"),
    )


def _history_disagreements(disagreements: pl.DataFrame) -> pl.DataFrame:
    """Item-months before the first drop whose invoice line disagrees with its own price, or with
    an unchanged current price (the rows audit.revenue_history_disagreements marks anomalies)."""
    return disagreements.filter(pl.col("is_anomaly")).select(
        kind=pl.lit("revenue_history_disagreement"),
        table_name=pl.lit("audit.revenue_history_disagreements"),
        entity_id=pl.concat_str("stripe_customer_id", "subscription_item_id", separator="/"),
        period=pl.col("month").cast(pl.String),
        observed=pl.format(
            "invoice line {} vs {} {} ({})",
            "invoice_line_mrr",
            "comparison",
            "compared_mrr",
            "likely_reason",
        ),
        threshold=pl.lit("an invoice line agrees with its own price (metrics.md §1 History)"),
    )


def detect_anomalies(
    mrr_monthly: pl.DataFrame | None,
    negative_amounts: pl.DataFrame,
    daily_usage: pl.DataFrame | None,
    duplicate_ids: pl.DataFrame,
    mrr_z_threshold: float,
    usage_spike_ratio: float,
    usage_min_events: int,
    history_disagreements: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rule 13: the anomalies to investigate, each with a stable id an annotation can close.

    - `mrr_change`: an account-month whose MRR change has a robust z-score beyond the threshold,
      measured over every expansion and contraction (stripe_customer_id, month, previous_mrr, mrr,
      mrr_change);
    - `negative_amount`: table_name, entity_id, amount;
    - `usage_spike`: a day whose events exceed usage_spike_ratio × the account's median day and
      usage_min_events (account_id, date, events);
    - `duplicate_id`: table_name, entity_id, drop_date, copies (an id delivered more than once in one drop);
    - `revenue_history_disagreement`: a month before the first drop where an item's invoice line
      disagrees with its own price or its unchanged current price (audit.revenue_history_
      disagreements: month, stripe_customer_id, subscription_item_id, comparison, likely_reason,
      is_anomaly, invoice_line_mrr, compared_mrr): metrics.md §1 says such a disagreement is an
      anomaly, not silently resolved.
    """
    parts: list[pl.DataFrame] = []
    if mrr_monthly is not None:
        parts.append(_mrr_change_outliers(mrr_monthly, mrr_z_threshold))
    parts.append(
        negative_amounts.select(
            kind=pl.lit("negative_amount"),
            table_name=pl.col("table_name"),
            entity_id=pl.col("entity_id"),
            period=pl.lit(None, pl.String),
            observed=pl.format("amount {}", "amount"),
            threshold=pl.lit("amount < 0"),
        )
    )
    if daily_usage is not None and not daily_usage.is_empty():
        parts.append(_usage_spikes(daily_usage, usage_spike_ratio, usage_min_events))
    parts.append(
        duplicate_ids.select(
            kind=pl.lit("duplicate_id"),
            table_name=pl.col("table_name"),
            entity_id=pl.col("entity_id"),
            period=pl.col("drop_date").cast(pl.String),
            observed=pl.format("{} copies", "copies"),
            threshold=pl.lit("one row per id and drop"),
        )
    )
    if history_disagreements is not None:
        parts.append(_history_disagreements(history_disagreements))
    anomalies = pl.concat(
        [p.cast({k: v for k, v in ANOMALY_SCHEMA.items() if k != "anomaly_id"}) for p in parts],
        how="vertical",
    )
    return (
        anomalies.with_columns(
            anomaly_id=pl.concat_str(
                "kind", "table_name", "entity_id", pl.col("period").fill_null(""), separator=":"
            )
        )
        .select(list(ANOMALY_SCHEMA))
        .unique("anomaly_id", keep="first")
        .sort("anomaly_id")
    )


def close_annotated(anomalies: pl.DataFrame, annotations: list[dict]) -> pl.DataFrame:
    """Mark anomalies closed by a reviewed annotation (anomaly_id, reviewer, note, date all given)."""
    reviewed = [
        {
            "anomaly_id": str(a["anomaly_id"]),
            "reviewer": str(a["reviewer"]),
            "note": str(a["note"]),
            "reviewed_on": str(a["date"]),
        }
        for a in annotations
        if all(a.get(k) not in (None, "") for k in ("anomaly_id", "reviewer", "note", "date"))
    ]
    notes = pl.DataFrame(
        reviewed,
        schema={
            "anomaly_id": pl.String,
            "reviewer": pl.String,
            "note": pl.String,
            "reviewed_on": pl.String,
        },
    ).unique("anomaly_id", keep="last")
    return anomalies.join(notes, on="anomaly_id", how="left").with_columns(
        status=pl.when(pl.col("reviewer").is_not_null())
        .then(pl.lit("closed"))
        .otherwise(pl.lit("open"))
    )
