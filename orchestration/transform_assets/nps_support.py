"""NPS and support statistics (metrics.md §6, §7): staging models in, tables of schema `transforms` out.

The NPS asset summarises survey responses and sends per period and segment, lists survey-fatigue
breaches and detractor follow-up, and keeps the responses with their comments redacted; the support
asset counts tickets and ratings per account and month. The dbt marts over these tables are thin.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import yaml

from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.settings import CONFIG_DIR
from transforms import nps, support
from transforms.nps import NpsConfig

NPS_TABLES = ("nps_summary", "nps_responses", "nps_survey_fatigue", "nps_detractor_follow_up")
SUPPORT_TABLES = ("support_monthly",)


def _staging(name: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", name])


def load_yaml(path: Path) -> dict:
    """A configuration file as a mapping; an unreadable file names itself."""
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the configuration: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of settings, got {type(loaded).__name__}")
    return loaded


def load_nps_config(path: Path = CONFIG_DIR / "nps.yml") -> NpsConfig:
    return NpsConfig.from_mapping(load_yaml(path), source=str(path))


def load_competitors(path: Path = CONFIG_DIR / "support.yml") -> tuple[str, list[str]]:
    """(version, competitor names) of config/support.yml."""
    raw = load_yaml(path)
    names = raw.get("competitors")
    if (
        "version" not in raw
        or not isinstance(names, list)
        or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(f"{path}: needs `version` and `competitors` (a list of names)")
    return str(raw["version"]), names


def _read(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    return pl.from_arrow(con.sql(query).to_arrow_table())


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace transforms.<table> with the frame (its Arrow types become the column types)."""
    con.execute("create schema if not exists transforms")
    arrow = frame.to_arrow()
    con.register("_frame", arrow)
    try:
        con.execute(f'create or replace table transforms."{table}" as select * from _frame')
    finally:
        con.unregister("_frame")


def read_nps_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Responses and sends from staging, each with its account's segment (NULL: account unknown)."""
    responses = _read(
        con,
        """
        select r.response_id, r.send_id, r.account_id, r.user_id, a.segment, r.score,
               r.comment, r.submitted_at, r.followed_up_at
        from staging.stg_app_db__nps_responses as r
        left join staging.stg_app_db__accounts as a on a.account_id = r.account_id
        """,
    )
    sends = _read(
        con,
        """
        select s.send_id, s.account_id, s.user_id, a.segment, s.sent_at
        from staging.stg_app_db__nps_survey_sends as s
        left join staging.stg_app_db__accounts as a on a.account_id = s.account_id
        """,
    )
    return responses, sends


def nps_tables(
    responses: pl.DataFrame, sends: pl.DataFrame, config: NpsConfig, as_of: dt.date
) -> dict[str, pl.DataFrame]:
    """Every NPS table of schema `transforms` from staged responses and sends as of a date."""
    # With no survey data at all the source is absent: no period gets a row, rather than rows of
    # zero responses that would claim nobody answered.
    has_data = responses.height > 0 or sends.height > 0
    summary = nps.summarise_nps(responses, sends, config, as_of if has_data else None)
    return {
        "nps_summary": summary,
        "nps_responses": nps.nps_responses(responses).filter(
            pl.col("submitted_at") < dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        ),
        "nps_survey_fatigue": nps.survey_fatigue_violations(sends, config.fatigue_days),
        "nps_detractor_follow_up": nps.detractor_follow_up(
            responses, config.follow_up_hours, as_of
        ),
    }


def read_support_inputs(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Tickets (with the account of their organisation), ratings, and the mapped accounts."""
    tickets = _read(
        con,
        """
        select t.ticket_id, o.account_id, t.status, t.priority, t.subject, t.description,
               t.tags, t.created_at, t.solved_at, t.reply_time_minutes,
               t.full_resolution_time_minutes as full_resolution_minutes
        from staging.stg_ticketing__tickets as t
        left join staging.stg_ticketing__organizations as o
            on o.organization_id = t.organization_id
        """,
    )
    ratings = _read(
        con,
        """
        select satisfaction_rating_id as rating_id, ticket_id, score, rating, created_at
        from staging.stg_ticketing__satisfaction_ratings
        """,
    )
    # Accounts with a Zendesk organisation: their months without tickets are true zeros, from the
    # month the account (or, for an account unknown to app_db, the organisation) was created.
    accounts = _read(
        con,
        """
        select o.account_id,
               cast(date_trunc('month', min(coalesce(a.created_at, o.created_at))) as date)
                   as first_month
        from staging.stg_ticketing__organizations as o
        left join staging.stg_app_db__accounts as a on a.account_id = o.account_id
        where o.account_id is not null
        group by o.account_id
        """,
    )
    return tickets, ratings, accounts


def month_ends(first: dt.date, as_of: dt.date) -> list[dt.date]:
    """The cut-off day of every month from `first`'s to `as_of`'s: month ends, then the as-of date."""
    ends = []
    month = first.replace(day=1)
    while month <= as_of:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        ends.append(min(following - dt.timedelta(days=1), as_of))
        month = following
    return ends


def support_table(
    tickets: pl.DataFrame,
    ratings: pl.DataFrame,
    accounts: pl.DataFrame,
    competitors: list[str],
    as_of: dt.date,
) -> pl.DataFrame:
    """`support_monthly` as of a date: months from the first ticket (or mapped account) on.

    Rows of an account before its first month are left out unless they hold activity (a ticket
    created before the account says so is still counted, not hidden).
    """
    tickets = tickets.filter(pl.col("created_at").dt.date() <= as_of)
    ratings = ratings.filter(pl.col("created_at").dt.date() <= as_of)
    starts = tickets["created_at"].dt.date().to_list() + accounts["first_month"].to_list()
    starts = [s for s in starts if s is not None and s <= as_of]
    if not starts:
        return support.support_monthly(tickets, ratings, [], competitors, [])
    monthly = support.support_monthly(
        tickets,
        ratings,
        month_ends(min(starts), as_of),
        competitors,
        accounts["account_id"].to_list(),
    )
    activity = (
        pl.col("tickets_created")
        + pl.col("open_at_month_end")
        + pl.col("tickets_solved")
        + pl.col("csat_rating_n")
        + pl.col("csat_good")
        + pl.col("csat_bad")
    ) > 0
    return (
        monthly.join(accounts, on="account_id", how="left")
        .filter(
            activity
            | pl.col("first_month").is_null()
            | (pl.col("month_start") >= pl.col("first_month"))
        )
        .drop("first_month")
    )


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    nps_specs = [
        dg.AssetSpec(
            key=dg.AssetKey(["transforms", table]),
            group_name="transforms",
            kinds={"duckdb", "polars"},
            deps=[
                _staging("stg_app_db__nps_responses"),
                _staging("stg_app_db__nps_survey_sends"),
                _staging("stg_app_db__accounts"),
            ],
            description=f"transforms.nps.{table}: NPS statistics as of the run's date (metrics.md §7).",
        )
        for table in NPS_TABLES
    ]

    @dg.multi_asset(
        name="nps_statistics",
        specs=nps_specs,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def nps_statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_nps_config()
        with warehouse.connect() as con:
            responses, sends = read_nps_inputs(con)
            tables = nps_tables(responses, sends, config, as_of)
            for table, frame in tables.items():
                _write(con, table, frame)
        for spec in nps_specs:
            table = spec.key.path[-1]
            yield dg.MaterializeResult(
                asset_key=spec.key,
                metadata={
                    "as_of_date": as_of.isoformat(),
                    "rows": dg.MetadataValue.int(tables[table].height),
                    "config_version": config.version,
                },
            )

    support_spec = dg.AssetSpec(
        key=dg.AssetKey(["transforms", "support_monthly"]),
        group_name="transforms",
        kinds={"duckdb", "polars"},
        deps=[
            _staging("stg_ticketing__tickets"),
            _staging("stg_ticketing__satisfaction_ratings"),
            _staging("stg_ticketing__organizations"),
            _staging("stg_app_db__accounts"),
        ],
        description="transforms.support.support_monthly per account × month as of the run's date "
        "(metrics.md §6).",
    )

    @dg.multi_asset(
        name="support_statistics",
        specs=[support_spec],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def support_statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        version, competitors = load_competitors()
        with warehouse.connect() as con:
            tickets, ratings, accounts = read_support_inputs(con)
            monthly = support_table(tickets, ratings, accounts, competitors, as_of).with_columns(
                config_version=pl.lit(version)
            )
            _write(con, "support_monthly", monthly)
        yield dg.MaterializeResult(
            asset_key=support_spec.key,
            metadata={
                "as_of_date": as_of.isoformat(),
                "rows": dg.MetadataValue.int(monthly.height),
                "config_version": version,
            },
        )

    return [nps_statistics, support_statistics]
