"""The floor: the pipeline's heavy work done by hand-written DuckDB SQL, straight from the extracts.

    .venv/bin/python benchmarks/floor.py EXTRACTS DATABASE TIMINGS_JSON

Three stages, each one SQL script on one connection, with none of the pipeline's guarantees (no
contracts, no quarantine, no version history, no lineage, no checks):

- read extracts: every file of every drop into a table per extract (DuckDB's CSV, JSON and Parquet
  readers, all drops of a table in one statement);
- daily usage metrics: events → account × day counts → a dense account × day grid from each
  account's creation to the last drop with the 28/30-day windowed sums, the last login and the
  distinct users and features of the last 30 days, kept for the last 400 days as the pipeline keeps
  them: the heavy part of `int_account_events_daily`, `int_account_activity_windows` and
  `int_account_daily_metrics` (without tickets, NPS, payments and coverage);
- monthly MRR: each month-end valued from the newest subscription version of a drop on or before
  it (items × quantity × monthly factor, live statuses), months before the first drop from paid
  invoice lines covering the month-end, summed per customer and month.

Writes each stage's start and end (epoch seconds) and the row counts to TIMINGS_JSON, which
bench_pipeline.py pairs with its memory samples.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

TABLES = {
    # extract file name: (table, reader)
    "accounts.csv": ("accounts", "read_csv"),
    "users.csv": ("users", "read_csv"),
    "csms.csv": ("csms", "read_csv"),
    "cs_activities.csv": ("cs_activities", "read_csv"),
    "nps_responses.csv": ("nps_responses", "read_csv"),
    "nps_survey_sends.csv": ("nps_survey_sends", "read_csv"),
    "onboarding_steps.csv": ("onboarding_steps", "read_csv"),
    "events.parquet": ("events", "read_parquet"),
    "fx_rates.csv": ("fx_rates", "read_csv"),
    "customers.jsonl": ("customers", "read_json"),
    "subscriptions.jsonl": ("subscriptions", "read_json"),
    "invoices.jsonl": ("invoices", "read_json"),
    "charges.jsonl": ("charges", "read_json"),
    "refunds.jsonl": ("refunds", "read_json"),
    "organizations.jsonl": ("organizations", "read_json"),
    "tickets.jsonl": ("tickets", "read_json"),
    "satisfaction_ratings.jsonl": ("satisfaction_ratings", "read_json"),
}


def read_extracts(con: duckdb.DuckDBPyConnection, extracts: Path) -> None:
    for file_name, (table, reader) in TABLES.items():
        files = sorted(str(p) for p in extracts.glob(f"*/*/{file_name}") if p.stat().st_size > 0)
        if not files:
            continue
        options = "union_by_name = true, filename = true"
        if reader != "read_parquet":
            # Rows the injected flaws break are skipped, not quarantined: the floor checks nothing.
            options += ", ignore_errors = true"
        if reader == "read_json":
            options += ", format = 'newline_delimited', maximum_object_size = 104857600"
        elif reader == "read_csv":
            options += ", header = true, all_varchar = true"
        con.execute(
            f"create or replace table {table} as select * from {reader}({files!r}, {options})"
        )


DAILY_USAGE = """
create or replace table events_daily as
select
    account_id,
    cast(occurred_at as date) as day,
    count(*) filter (where event_type = 'login') as logins,
    count(*) filter (where event_type like 'conversation%') as conversations,
    count(distinct user_id) as active_users,
    count(*) filter (where event_type = 'feature_used') as features_used,
    count(*) filter (where event_type = 'blocked_feature_attempt') as blocked_attempts,
    max(occurred_at) filter (where event_type = 'login') as last_login_at
from events
group by all;

create or replace table usage_metrics as
with account_days as (
    select account_id, min(cast(created_at as timestamp)::date) as created_on
    from accounts group by account_id
),
bounds as (
    select max(cast(regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})', 1) as date)) as last_drop
    from accounts
),
grid as (
    select account_days.account_id, cast(days.day as date) as day
    from account_days, bounds,
        range(cast(account_days.created_on as timestamp), cast(bounds.last_drop as timestamp) + interval 1 day, interval 1 day) as days(day)
),
windowed as (
    select
        grid.account_id,
        grid.day,
        sum(coalesce(events_daily.logins, 0)) over last_28 as logins_28d,
        sum(coalesce(events_daily.conversations, 0)) over last_30 as conversations_30d,
        sum(coalesce(events_daily.conversations, 0)) over previous_30 as conversations_prev_30d,
        sum(coalesce(events_daily.active_users, 0)) over last_30 as active_user_days_30d,
        sum(coalesce(events_daily.features_used, 0)) over last_30 as features_used_30d,
        sum(coalesce(events_daily.blocked_attempts, 0)) over last_30 as blocked_attempts_30d,
        max(events_daily.last_login_at) over since_creation as last_login_at
    from grid
    left join events_daily on events_daily.account_id = grid.account_id and events_daily.day = grid.day
    window
        last_28 as (partition by grid.account_id order by grid.day rows between 27 preceding and current row),
        last_30 as (partition by grid.account_id order by grid.day rows between 29 preceding and current row),
        previous_30 as (partition by grid.account_id order by grid.day rows between 59 preceding and 30 preceding),
        since_creation as (partition by grid.account_id order by grid.day rows unbounded preceding)
),
-- Distinct users and features of the last 30 days, over the published range (the last 400 days).
use_days as (
    select distinct account_id, 'user' as kind, user_id as key, cast(occurred_at as date) as day
    from events where user_id is not null
    union all
    select distinct account_id, 'feature', feature_key, cast(occurred_at as date)
    from events where event_type = 'feature_used' and feature_key is not null
),
-- A key used on days less than 30 apart stays "in the last 30 days" from its first use of the run
-- to 29 days after its last: one interval per run, so a day's distinct count is a range join.
runs as (
    select *, sum(case when day - lag_day < 30 then 0 else 1 end)
        over (partition by account_id, kind, key order by day) as run
    from (
        select *, lag(day) over (partition by account_id, kind, key order by day) as lag_day
        from use_days
    )
),
intervals as (
    select account_id, kind, key, min(day) as first_day, max(day) + 29 as last_day
    from runs group by all
),
distinct_30d as (
    select grid.account_id, grid.day,
        count(*) filter (where intervals.kind = 'user') as monthly_active_users,
        count(*) filter (where intervals.kind = 'feature') as features_used_30d_count
    from grid
    join intervals
        on intervals.account_id = grid.account_id
        and grid.day between intervals.first_day and intervals.last_day
    where grid.day > (select last_drop from bounds) - 400
    group by all
)
select windowed.*, distinct_30d.monthly_active_users, distinct_30d.features_used_30d_count
from windowed
left join distinct_30d using (account_id, day)
where windowed.day > (select last_drop from bounds) - 400;
"""

MONTHLY_MRR = """
create or replace table subscription_versions as
select
    id as subscription_id,
    customer as customer_id,
    status,
    cast(regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})', 1) as date) as drop_date,
    items
from subscriptions;

create or replace table month_ends as
select cast(month_start + interval 1 month - interval 1 day as date) as valuation_date,
       cast(month_start as date) as month
from range(
    (select date_trunc('month', min(to_timestamp(created))) from subscriptions),
    (select max(drop_date) from subscription_versions) + interval 1 day,
    interval 1 month
) as months(month_start);

create or replace table mrr_from_versions as
with first_drop as (select min(drop_date) as first_drop from subscription_versions),
valued as (
    select month_ends.month, v.customer_id, v.status, v.items,
        row_number() over (
            partition by month_ends.month, v.subscription_id order by v.drop_date desc
        ) as newest
    from month_ends, first_drop
    join subscription_versions v on v.drop_date <= month_ends.valuation_date
    where month_ends.valuation_date >= first_drop.first_drop
),
items as (
    select month, customer_id, unnest(items.data) as item
    from valued
    where newest = 1 and status in ('active', 'past_due')
)
select month, customer_id,
    sum(
        item.price.unit_amount * item.quantity
        * case item.price.recurring.interval
            when 'month' then 1.0 when 'year' then 1.0 / 12 when 'week' then 52.0 / 12
            when 'day' then 365.0 / 12 end
        / item.price.recurring.interval_count
    ) as mrr_minor
from items
group by all;

create or replace table mrr_from_invoices as
with first_drop as (select min(drop_date) as first_drop from subscription_versions),
lines as (
    select customer as customer_id, unnest(lines.data) as line
    from invoices
    where status = 'paid'
)
select month_ends.month, lines.customer_id,
    sum(
        line.amount * 30.4375 * 86400.0
        / greatest(line.period."end" - line.period.start, 86400)
    ) as mrr_minor
from lines, first_drop
join month_ends
    on epoch(cast(month_ends.valuation_date as timestamp) + interval 1 day) > line.period.start
    and epoch(cast(month_ends.valuation_date as timestamp) + interval 1 day) <= line.period."end"
where month_ends.valuation_date < first_drop.first_drop
group by all;

create or replace table mrr_monthly as
select * from mrr_from_versions
union all
select * from mrr_from_invoices;
"""


def main() -> None:
    extracts, database, timings = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    # The same memory budget as the pipeline's runs (bench_pipeline.py sets it).
    limit = os.environ.get("CSW_DUCKDB_MEMORY_LIMIT") or "80%"
    con = duckdb.connect(str(database), config={"memory_limit": limit})
    stages: dict[str, list[float]] = {}

    def stage(name: str, work) -> None:
        start = time.time()
        work()
        stages[name] = [start, time.time()]
        print(f"{name}: {stages[name][1] - start:.1f} s", flush=True)

    stage("read extracts", lambda: read_extracts(con, extracts))
    stage("daily usage metrics", lambda: con.execute(DAILY_USAGE))
    stage("monthly MRR", lambda: con.execute(MONTHLY_MRR))
    rows = {
        table: con.execute(f"select count(*) from {table}").fetchall()[0][0]
        for table in ("events", "usage_metrics", "mrr_monthly")
    }
    con.close()
    timings.write_text(json.dumps({"stages": stages, "rows": rows}, indent=2))
    print(json.dumps(rows), flush=True)


if __name__ == "__main__":
    main()
