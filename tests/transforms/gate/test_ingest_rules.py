"""Rules 8 and 11 (transforms/gate/ingest_rules.py) on hand-made ingest logs and counts."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import ingest_rules, results

AS_OF = dt.date(2026, 11, 20)


def _log(rows: list[dict]) -> pl.DataFrame:
    base = {
        "file": "x.jsonl",
        "status": "loaded",
        "rows_read": 1,
        "rows_loaded": 1,
        "rows_quarantined": 0,
        "manifest_rows": 1,
        "loaded_at": dt.datetime(2026, 11, 21, 6),
    }
    return pl.DataFrame([{**base, **row} for row in rows])


def _by_target(results: list[results.RuleResult]) -> dict[str, results.RuleResult]:
    return {r.target: r for r in results}


def test_freshness_thresholds_in_hours() -> None:
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF},  # 0 h
            {"source": "app_db", "drop_date": AS_OF - dt.timedelta(days=2)},  # 48 h: not over 48
            {
                "source": "ticketing",
                "drop_date": AS_OF - dt.timedelta(days=3),
            },  # 72 h: warn, not over 72
            {"source": "fx_rates", "drop_date": AS_OF - dt.timedelta(days=4)},  # 96 h: error
            {
                "source": "stripe",
                "drop_date": AS_OF + dt.timedelta(days=1),
            },  # after as-of: not seen
        ]
    )
    results = {
        r.target: r
        for r in ingest_rules.freshness(log, AS_OF, ["stripe", "app_db", "ticketing"], 48, 72)
    }
    assert results["stripe"].status == "pass" and results["stripe"].observed == "0 h"
    assert results["app_db"].status == "pass" and results["app_db"].observed == "48 h"
    assert results["ticketing"].status == "warn" and results["ticketing"].observed == "72 h"
    assert results["fx_rates"].status == "fail" and results["fx_rates"].observed == "96 h"


def test_freshness_missing_drop_is_not_a_delivery() -> None:
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF - dt.timedelta(days=5)},
            {"source": "stripe", "drop_date": AS_OF, "status": "missing_drop"},
        ]
    )
    results = {
        r.target: r for r in ingest_rules.freshness(log, AS_OF, ["stripe", "app_db"], 48, 72)
    }
    assert results["stripe"].status == "fail" and results["stripe"].observed == "120 h"
    assert results["app_db"].status == "fail" and results["app_db"].observed == "no drop"


def test_nothing_lost_flags_unreconciled_files_and_warns_on_quarantine() -> None:
    log = _log(
        [
            {
                "source": "stripe",
                "drop_date": AS_OF,
                "rows_read": 10,
                "rows_loaded": 9,
                "rows_quarantined": 1,
                "manifest_rows": 10,
            },
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "file": "events.parquet",
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 5,
            },
        ]
    )
    results = ingest_rules.nothing_lost(log, AS_OF)
    assert [(r.target, r.status) for r in results] == [("all files", "warn")]
    assert results[0].observed == "2 files, 15 rows read, 1 quarantined, 0 unreconciled"

    lossy = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 3,
                "rows_quarantined": 1,
                "manifest_rows": 5,
            }
        ]
    )
    results = ingest_rules.nothing_lost(lossy, AS_OF)
    assert [r.status for r in results] == ["fail", "fail"]
    assert results[0].target == "app_db/2026-11-20/x.jsonl"

    short_manifest = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 6,
            }
        ]
    )
    assert ingest_rules.nothing_lost(short_manifest, AS_OF)[0].status == "fail"

    # A re-ingest logs the file again: only its latest delivery counts.
    redelivered = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 3,
                "rows_quarantined": 1,
            },
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 5,
                "status": "replaced",
                "loaded_at": dt.datetime(2026, 11, 22),
            },
        ]
    )
    assert [r.status for r in ingest_rules.nothing_lost(redelivered, AS_OF)] == ["pass"]

    clean = _log([{"source": "app_db", "drop_date": AS_OF}])
    assert [r.status for r in ingest_rules.nothing_lost(clean, AS_OF)] == ["pass"]


def test_staged_counts_against_raw_deduplicated() -> None:
    counts = pl.DataFrame(
        {
            "raw_table": ["raw.x", "raw.y"],
            "staging_model": ["stg_x", "stg_y"],
            "raw_deduplicated": [5, 3],
            "staged": [5, 2],
        }
    )
    results = _by_target(ingest_rules.staged_counts(counts))
    assert results["staging.stg_y"].status == "fail" and "staging.stg_x" not in results
    assert results["staging models"].observed == "2 models compared, 1 differ"


def test_a_declared_file_not_read_is_lost_an_undeclared_one_is_not_extracted() -> None:
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF, "file": "customers.jsonl"},
            # declared (3 rows) but delivered as "subscriptions (1).jsonl": lost
            {"source": "stripe", "drop_date": AS_OF, "file": "subscriptions.jsonl",
             "status": "missing_file", "rows_read": 0, "rows_loaded": 0, "manifest_rows": 3,
             "message": "declared by the manifest (3 rows) but not in the drop"},
            {"source": "stripe", "drop_date": AS_OF, "file": "subscriptions (1).jsonl",
             "status": "ignored_file", "rows_read": 0, "rows_loaded": 0, "manifest_rows": None},
            # not declared, not delivered: "not extracted" (sources.md), nothing lost
            {"source": "app_db", "drop_date": AS_OF, "file": "csms.csv|parquet",
             "status": "missing_file", "rows_read": 0, "rows_loaded": 0, "manifest_rows": None},
        ]
    )  # fmt: skip
    results = _by_target(ingest_rules.nothing_lost(log, AS_OF))
    lost = results["stripe/2026-11-20/subscriptions.jsonl"]
    assert lost.status == "fail"
    assert lost.message.startswith("declared by the manifest (3 rows) but not read")
    assert results["stripe/2026-11-20/subscriptions (1).jsonl"].status == "warn"
    assert "app_db/2026-11-20/csms.csv|parquet" not in results
    assert results["all files"].status == "fail"
    assert results["all files"].observed.endswith("1 unreconciled")


def test_only_the_latest_ingest_of_a_drop_counts() -> None:
    """The first ingest saw the declared file missing and a misnamed one; the drop was fixed and
    ingested again: nothing is reported of the first."""
    first, second = dt.datetime(2026, 11, 21, 6), dt.datetime(2026, 11, 21, 9)
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF, "file": "subscriptions.jsonl",
             "status": "missing_file", "rows_read": 0, "rows_loaded": 0, "manifest_rows": 3,
             "loaded_at": first},
            {"source": "stripe", "drop_date": AS_OF, "file": "subscriptions (1).jsonl",
             "status": "ignored_file", "rows_read": 0, "rows_loaded": 0, "manifest_rows": None,
             "loaded_at": first},
            {"source": "stripe", "drop_date": AS_OF, "file": "subscriptions.jsonl",
             "rows_read": 3, "rows_loaded": 3, "manifest_rows": 3, "loaded_at": second},
        ]
    )  # fmt: skip
    assert [(r.target, r.status) for r in ingest_rules.nothing_lost(log, AS_OF)] == [
        ("all files", "pass")
    ]


def _quarantine_log(rows_read: int, quarantined: int, day: dt.date = AS_OF) -> pl.DataFrame:
    return _log(
        [
            {"source": "stripe", "drop_date": day, "file": "subscriptions.jsonl",
             "rows_read": rows_read, "rows_loaded": rows_read - quarantined,
             "rows_quarantined": quarantined, "manifest_rows": rows_read},
        ]
    )  # fmt: skip


QUARANTINE = pl.DataFrame(
    {
        "source": ["stripe"],
        "drop_date": [AS_OF],
        "file": ["subscriptions.jsonl"],
        "rule": ["stripe.subscriptions.id_format"],
        "rows": [12],
    }
)


def test_a_quarantine_above_its_share_blocks_naming_files_and_rules() -> None:
    # 12 of 200 = 6% > 5%: blocks, naming the file and the rule that rejected its rows
    (result,) = ingest_rules.quarantine_within_bounds(
        _quarantine_log(200, 12), QUARANTINE, {}, AS_OF, AS_OF, 0.05, 100
    )
    assert (result.target, result.status, result.observed) == (
        "stripe quarantine share",
        "fail",
        "12 of 200 rows (6.0%)",
    )
    assert "2026-11-20/subscriptions.jsonl 12 of 200 (stripe.subscriptions.id_format ×12)" in (
        result.message
    )
    # 10 of 200 = 5%: not above the share
    assert [
        r.status
        for r in ingest_rules.quarantine_within_bounds(
            _quarantine_log(200, 10), QUARANTINE, {}, AS_OF, AS_OF, 0.05, 100
        )
    ] == ["pass"]
    # 12 of 99 rows read: below the minimum the share is judged from
    assert [
        r.status
        for r in ingest_rules.quarantine_within_bounds(
            _quarantine_log(99, 12), QUARANTINE, {}, AS_OF, AS_OF, 0.05, 100
        )
    ] == ["pass"]
    # a drop before the run's first date is not this run's: not judged again
    earlier = AS_OF - dt.timedelta(days=1)
    assert [
        r.status
        for r in ingest_rules.quarantine_within_bounds(
            _quarantine_log(200, 12, earlier), QUARANTINE, {}, AS_OF, AS_OF, 0.05, 100
        )
    ] == ["pass"]


def test_a_quarantine_that_empties_a_table_blocks_whatever_its_share() -> None:
    emptied = {"raw.stripe__subscriptions": "subscriptions"}
    (result,) = ingest_rules.quarantine_within_bounds(
        _quarantine_log(12, 12), QUARANTINE, emptied, AS_OF, AS_OF, 0.05, 100
    )
    assert (result.target, result.status) == ("raw.stripe__subscriptions", "fail")
    assert result.message == (
        "raw.stripe__subscriptions is empty: every row delivered was quarantined "
        "(stripe/2026-11-20/subscriptions.jsonl (stripe.subscriptions.id_format ×12))"
    )
