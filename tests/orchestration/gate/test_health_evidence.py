"""Rules 4 and 16 read the health tables a slice of accounts at a time (orchestration/gate/
health_evidence.health_tally): the counts must be those of reading the tables whole, whatever the
slicing."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import polars as pl
import pytest

from orchestration.config import CONFIG_DIR, load_gate_config, load_health_config_mapping
from orchestration.gate.health_evidence import health_tally
from orchestration.gate.registry import RULES
from transforms.gate import health_rules

# The health-score file rule 4 names in config/gate.yml.
CONFIG = load_health_config_mapping(
    CONFIG_DIR / load_gate_config(RULES)["rules"]["r04_health_weights"]["config_file"]
)
METRICS = [m for spec in CONFIG["components"].values() for m in spec["metrics"]]
DAYS = [dt.date(2026, 11, 18) + dt.timedelta(days=i) for i in range(3)]


def tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """12 accounts × 3 days of inputs (some missing at random) and scores whose coverage is right
    except for a few rows; plus a score of acc_11 on a day it has no input row (the other accounts
    have that day: judged, not 'outside the days'), and one dated before every input (not judged)."""
    rng = random.Random(20261124)
    metric_rows, score_rows = [], []
    for a in range(12):
        account = f"acc_{a:02d}"
        for day in DAYS:
            if account == "acc_11" and day == DAYS[0]:
                score_rows.append(
                    dict(account_id=account, as_of_date=day, coverage=0.5, config_version="v1")
                )
                continue
            values = {m: (None if rng.random() < 0.3 else rng.random()) for m in METRICS}
            # as in int_account_daily_metrics: feature_adoption is present where the features used
            # are (the plan has core features), and is not a column
            features = None if values["feature_adoption"] is None else ["live_chat"]
            metric_rows.append(
                dict(account_id=account, as_of_date=day, plan="growth", features_used_30d=features)
                | {m: v for m, v in values.items() if m != "feature_adoption"}
            )
            coverage = sum(
                float(spec["weight"]) * float(m["weight"])
                for spec in CONFIG["components"].values()
                for name, m in spec["metrics"].items()
                if values.get(name) is not None
            )
            if (a, day) in {(3, DAYS[1]), (7, DAYS[2])}:
                coverage += 0.1  # scored as if an absent input had been present
            score_rows.append(
                dict(
                    account_id=account,
                    as_of_date=day,
                    coverage=coverage,
                    config_version=None if (a, day) == (5, DAYS[0]) else "v1",
                )
            )
    score_rows.append(
        dict(
            account_id="acc_00",
            as_of_date=dt.date(2025, 1, 1),
            coverage=0.9,
            config_version="v1",
        )
    )
    metrics = pl.DataFrame(
        metric_rows,
        schema={
            "account_id": pl.String,
            "as_of_date": pl.Date,
            "plan": pl.String,
            "features_used_30d": pl.List(pl.String),
        }
        | {m: pl.Float64 for m in METRICS if m != "feature_adoption"},
    )
    scores = pl.DataFrame(
        score_rows,
        schema={
            "account_id": pl.String,
            "as_of_date": pl.Date,
            "coverage": pl.Float64,
            "config_version": pl.String,
        },
    )
    return scores, metrics


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    scores, metrics = tables()
    connection = duckdb.connect()
    connection.execute("create schema marts; create schema intermediate")
    connection.register("scores_frame", scores.to_arrow())
    connection.register("metrics_frame", metrics.to_arrow())
    connection.execute("create table marts.health_scores_daily as select * from scores_frame")
    connection.execute(
        "create table intermediate.int_account_daily_metrics as select * from metrics_frame"
    )
    return connection


def test_the_whole_tables_counted_by_hand() -> None:
    scores, metrics = tables()
    whole = health_rules.tally_health(scores, metrics, CONFIG)
    # 36 score rows + 1 dated before the inputs; acc_11's day without inputs is judged (coverage
    # 0.5 ≠ 0) next to the two mis-scored rows; one score has no config version.
    assert (whole.scores, whole.judged, whole.before_window) == (37, 36, 1)
    assert (whole.wrong, whole.no_inputs, whole.unversioned) == (3, 1, 1)


@pytest.mark.parametrize("rows_per_slice", [1_000_000, 10, 3, 1])
def test_slicing_the_accounts_counts_what_the_whole_tables_count(
    con: duckdb.DuckDBPyConnection, rows_per_slice: int
) -> None:
    scores, metrics = tables()
    whole = health_rules.tally_health(scores, metrics, CONFIG)
    sliced = health_tally(con, CONFIG, rows_per_slice=rows_per_slice)
    assert sliced is not None
    counted = ("scores", "unversioned", "judged", "wrong", "no_inputs", "before_window")
    assert {n: getattr(sliced, n) for n in counted} == {n: getattr(whole, n) for n in counted}
    assert sliced.zero_without_input == whole.zero_without_input and sliced.compared
    rule16 = health_rules.no_defaulted_inputs({}, {}, sliced, None, CONFIG)[0]
    assert rule16.status == "fail" and rule16.observed.startswith("3 of 36 scores")
