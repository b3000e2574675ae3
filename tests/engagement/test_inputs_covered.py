"""The hand-made rows of test_inputs_and_transforms, once the events file of the as-of day
(11-10) has arrived: the extract now reaches the as-of day, so November's counts and the 30-day
expansion windows are measured, zeros included."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from orchestration.transform_assets.engagement_expansion import build_engagement
from tests.engagement.test_inputs_and_transforms import AS_OF, MODELS, build_raw, rows
from transforms.config import load_engagement_config


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    work = tmp_path_factory.mktemp("engagement_inputs_covered")
    db = work / "warehouse.duckdb"
    setup = duckdb.connect(str(db))
    build_raw(setup)
    setup.execute(
        "update audit.ingest_log set status = 'loaded' where file = 'events.csv' and drop_date = ?",
        [AS_OF],
    )
    setup.close()
    args = [
        DBT_EXECUTABLE, "run",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--select", *(f"+{m}" for m in MODELS),
        "--vars", json.dumps({"as_of_date": AS_OF.isoformat()}),
    ]  # fmt: skip
    env = {**os.environ, "CSW_DUCKDB_PATH": str(db)}
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    connection = duckdb.connect(str(Path(db)))
    yield connection
    connection.close()


def test_november_is_measured_once_the_as_of_day_is_extracted(con) -> None:
    engagement, _ = build_engagement(con, load_engagement_config())
    (nov_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 11, 1))
    # One login (u1, 11-09), nothing else; ratings covered, none in November.
    assert [nov_a[c] for c in ("logins", "active_users", "features_used", "actions")] == [
        1,
        1,
        0,
        0,
    ]
    assert nov_a["automation_rate_null_reason"] == "no_handled_conversations"
    assert nov_a["csat_ratings"] == 0 and nov_a["csat_null_reason"] == "no_1_5_ratings"
    # logins 1/30·100 = 3.333…, users 1/5·100 = 20, features 0, actions 0; coverage
    # .15 + .15 + .20 + .20 = .70; (.15·3.333… + .15·20) / .70 = (0.5 + 3) / .7 = 5.0.
    assert nov_a["coverage"] == pytest.approx(0.70)
    assert nov_a["score"] == pytest.approx(5.0)
    (nov_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 11, 1))
    assert nov_b["logins"] == 0 and nov_b["score"] == pytest.approx(0.0)


def test_expansion_windows_are_measured(con) -> None:
    inputs = pl.from_arrow(
        con.sql("select * from intermediate.int_account_expansion_inputs").to_arrow_table()
    )
    (a,) = rows(inputs, account_id="acc_a")
    # Window 10-12 … 11-10: the handled conversations (10-04 … 10-07) are outside it, so usage
    # is a measured 0 / 1000; the two blocked attempts (10-25, 10-26) on one feature are inside;
    # users with an event in it: u1 and u2.
    assert a["conversations_30d"] == 0 and a["usage_vs_limit"] == 0.0
    assert (a["blocked_feature_attempts"], a["blocked_features"]) == (2, 1)
    assert a["active_users_30d"] == 2
    # acc_a was created 09-10, less than 120 days before: no earlier window to grow from.
    assert a["active_users_30d_90_days_ago"] is None and a["active_user_growth_90d"] is None
    (b,) = rows(inputs, account_id="acc_b")
    assert (b["usage_vs_limit"], b["blocked_feature_attempts"], b["active_users_30d"]) == (
        0.0,
        0,
        0,
    )
