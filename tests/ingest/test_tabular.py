"""CSV rows typed column by column: values that cannot be typed or break a contract are quarantined."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.loader import ingest_source_drop
from tests.ingest.drops import D1, T1, write


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
    assert [file for (file,) in missing] == [
        "accounts.csv|parquet",
        "cs_activities.csv|parquet",
        "cs_tasks.csv|parquet",
        "csms.csv|parquet",
        "events.csv|parquet",
        "nps_survey_sends.csv|parquet",
        "onboarding_steps.csv|parquet",
        "users.csv|parquet",
    ]
