"""A delivered drop with no rows in any source is a quiet day, not a lost one (issues #21 and #29).

sources.md calls an empty file "no rows today", and metrics.md ("coverage") says a delivered drop
covers its day whatever it holds: states carry on and activity counts are true zeros. Before the
fix, coverage came from the newest changed row, so such a day published every health score NULL and
every tracked account as churned (rule no_live_subscription), exit 0.

Two warehouses read the same generated drops (60 accounts, full drop 2026-11-19, daily 2026-11-20):
- attacked: an empty drop of every source on 2026-11-21 (every file the day before delivered,
  empty, the manifest declaring 0 rows), then a normal drop on 2026-11-22;
- control: on 2026-11-21 a normal day with nothing new instead (Stripe's customer objects
  re-delivered unchanged: rows, nothing new; empty files elsewhere), then the same 2026-11-22 drop.
Nothing happened on 2026-11-21 in either history, so the two must agree. Both run on 2026-11-21:
a day's history holds what the run of that day saw (the MRR valued on its as-of date, the lifecycle
step taken from it), so a history that skipped the day is no control (docs/ENGINEERING_NOTES.md,
"run cadence").
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.cli import cmd_run
from orchestration.compare import compare_publications
from orchestration.settings import Settings
from synthetic.generator import generate_drops

pytestmark = pytest.mark.slow

END = dt.date(2026, 11, 20)
QUIET = END + dt.timedelta(days=1)
NEXT = END + dt.timedelta(days=2)
SOURCES = ("app_db", "stripe", "ticketing", "fx_rates")


def write_empty_drop(extracts: Path, source: str, template: Path, day: dt.date) -> None:
    """Every table file of `template` (a drop folder) delivered empty on `day`, with a manifest of
    zero rows: a CSV keeps its header, a Parquet file its schema, a JSON Lines file is empty."""
    target = extracts / source / day.isoformat()
    target.mkdir(parents=True)
    counts = {}
    for path in sorted(template.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.suffix == ".csv":
            header = path.read_text().splitlines()[0]
            (target / path.name).write_text(header + "\n")
        elif path.suffix == ".parquet":
            pq.write_table(pq.read_schema(path).empty_table(), target / path.name)
        else:
            (target / path.name).write_text("")
        counts[path.name] = 0
    manifest = {
        "source": source,
        "drop_date": day.isoformat(),
        "extracted_at": f"{(day + dt.timedelta(days=1)).isoformat()}T06:00:00Z",
        "row_counts": counts,
        "synthetic": True,
    }
    (target / "_manifest.json").write_text(json.dumps(manifest))


def write_next_drop(extracts: Path, first: dt.date, day: dt.date) -> None:
    """A normal day with nothing new: Stripe's customers re-delivered as they were, the rest empty."""
    for source in SOURCES:
        write_empty_drop(extracts, source, extracts / source / END.isoformat(), day)
    customers = extracts / "stripe" / first.isoformat() / "customers.jsonl"
    target = extracts / "stripe" / day.isoformat()
    shutil.copy(customers, target / "customers.jsonl")
    manifest = json.loads((target / "_manifest.json").read_text())
    manifest["row_counts"]["customers.jsonl"] = len(customers.read_text().splitlines())
    (target / "_manifest.json").write_text(json.dumps(manifest))


@dataclass(frozen=True)
class QuietDay:
    attacked: Settings
    control: Settings
    quiet_exit: int
    next_exits: tuple[int, int]
    quiet_publication: Path


@pytest.fixture(scope="module")
def quiet_day(tmp_path_factory: pytest.TempPathFactory) -> QuietDay:
    root = tmp_path_factory.mktemp("quiet_day")
    summary = generate_drops(
        root / "generated",
        accounts=60,
        months=8,
        seed=11,
        end_date=END,
        incremental_days=1,
        # no injected flaws: two deliberate plan mismatches are over 5% of 39 billed accounts, and
        # rule 7 would block the day this test is about
        flaw_rate=0.0,
    )
    first = summary.drop_dates[0]
    runs: dict[str, Settings] = {}
    for name in ("attacked", "control"):
        extracts = root / name / "extracts"
        shutil.copytree(summary.out_dir, extracts)
        runs[name] = Settings(
            extracts_dir=extracts, warehouse_dir=root / name / "warehouse", partitions_start=first
        )
    attacked, control = runs["attacked"], runs["control"]
    # Both histories are the same up to END: one backfill, copied (the marts compared at the end
    # hold no path of the extracts).
    assert cmd_run(attacked, first, END) == 0
    shutil.copytree(attacked.warehouse_dir, control.warehouse_dir)
    for source in SOURCES:
        write_empty_drop(
            attacked.extracts_dir, source, attacked.extracts_dir / source / END.isoformat(), QUIET
        )
    quiet_exit = cmd_run(attacked, QUIET, QUIET)
    quiet_publication = root / "quiet_publication.duckdb"
    shutil.copy(attacked.published_db, quiet_publication)
    write_next_drop(control.extracts_dir, first, QUIET)
    assert cmd_run(control, QUIET, QUIET) == 0
    for settings in (attacked, control):
        write_next_drop(settings.extracts_dir, first, NEXT)
    next_exits = (cmd_run(attacked, NEXT, NEXT), cmd_run(control, NEXT, NEXT))
    return QuietDay(attacked, control, quiet_exit, next_exits, quiet_publication)


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_the_empty_drop_is_published_with_exit_0_and_nothing_lost(quiet_day: QuietDay) -> None:
    assert quiet_day.quiet_exit == 0
    (as_of,) = _query(
        quiet_day.quiet_publication, "select max(as_of_date) from audit.publications"
    )[0]
    assert as_of == QUIET
    files = _query(
        quiet_day.quiet_publication,
        "select source, file, status, rows_read, rows_loaded, rows_quarantined, manifest_rows "
        "from audit.ingest_log where drop_date = ? order by source, file",
        [QUIET],
    )
    assert {f[0] for f in files} == set(SOURCES)
    for source, file, status, read, loaded, quarantined, declared in files:
        assert status == "loaded", (source, file, status)
        assert read == loaded + quarantined == declared == 0, (source, file)


def test_the_quiet_day_scores_as_many_live_accounts_as_the_day_before(
    quiet_day: QuietDay,
) -> None:
    """Nothing changed, so every status carries on and every live account keeps a score."""
    db = quiet_day.quiet_publication
    by_day = dict(
        _query(
            db,
            "select as_of_date, count(score) from marts.health_scores_daily "
            "where as_of_date in (?, ?) and customer_status in ('paying', 'trialing') "
            "group by as_of_date",
            [END, QUIET],
        )
    )
    assert by_day[END] > 20
    assert by_day[QUIET] == by_day[END]
    statuses = {
        day: sorted(
            _query(
                db,
                "select account_id, customer_status from marts.health_scores_daily "
                "where as_of_date = ? and customer_status <> 'churned'",
                [day],
            )
        )
        for day in (END, QUIET)
    }
    assert statuses[QUIET] == statuses[END]
    churned = _query(
        db,
        "select count(*) from marts.lifecycle_transitions "
        "where as_of_date = ? and to_stage = 'churned'",
        [QUIET],
    )[0][0]
    assert churned == 0


def test_the_next_clean_day_publishes_what_a_run_without_the_empty_drop_publishes(
    quiet_day: QuietDay,
) -> None:
    assert quiet_day.next_exits == (0, 0)
    differences = [
        d
        for d in compare_publications(
            quiet_day.control.published_db, quiet_day.attacked.published_db
        )
        if d.table.startswith("marts.")
    ]
    assert differences == [], "\n".join(d.describe() for d in differences)
