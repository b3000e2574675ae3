"""Onboarding assets (metrics.md §8): progress and milestones per account, completion per program.

They read `intermediate.int_onboarding_accounts_started` and `int_onboarding_steps_completed`, check
them against their contracts, call `transforms/onboarding.py` with config/onboarding.yml and write
schema `transforms`, one snapshot per as_of_date, replaced when a day is run again.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from data_contracts.transform_contracts import (
    OnboardingAccountInput,
    OnboardingProgressOutput,
    OnboardingStepInput,
)
from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    intermediate_key,
    table_key,
)
from orchestration.config import load_onboarding_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_days
from transforms.onboarding import (
    OnboardingConfig,
    onboarding_progress,
    onboarding_tables,
    startable_accounts,
)

ONBOARDING_TABLES = {
    "onboarding_progress": "Onboarding progress per account and day (metrics.md §8).",
    "onboarding_milestones": "Onboarding milestones per account and day (§8).",
    "onboarding_completion": "Onboarding completion rate per program and day (§8).",
}


def build_onboarding(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: OnboardingConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """onboarding_progress, onboarding_milestones and onboarding_completion as of `as_of`, and how
    many accounts were left out because they have no onboarding start (no Stripe subscription) or
    no segment."""
    accounts = read_frame(
        con, "select * from intermediate.int_onboarding_accounts_started order by account_id"
    )
    startable = startable_accounts(accounts)
    steps = read_frame(
        con,
        "select account_id, step, completed_on from intermediate.int_onboarding_steps_completed",
    )
    OnboardingAccountInput.validate(startable)
    OnboardingStepInput.validate(steps)
    progress = OnboardingProgressOutput.validate(
        onboarding_progress(startable, steps, as_of, config)
    )
    tables = onboarding_tables(progress, startable, steps, as_of, config)
    return *tables, accounts.height - startable.height


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The three onboarding tables, written together."""
    model_keys = [
        intermediate_key("int_onboarding_accounts_started"),
        intermediate_key("int_onboarding_steps_completed"),
    ]

    @dg.multi_asset(
        name="onboarding_progress_and_milestones",
        specs=[
            dg.AssetSpec(table_key(table), deps=model_keys, description=text, **SPEC_OPTIONS)
            for table, text in ONBOARDING_TABLES.items()
        ],
        partitions_def=partitions_def,
        **RUN_OPTIONS,
    )
    def onboarding_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_onboarding_config()
        with warehouse.connect() as con:
            progress, milestones, completion, left_out = build_onboarding(con, as_of, config)
            replace_days(con, SCHEMA, "onboarding_progress", progress, [as_of])
            replace_days(con, SCHEMA, "onboarding_milestones", milestones, [as_of])
            replace_days(con, SCHEMA, "onboarding_completion", completion, [as_of])
        yield dg.MaterializeResult(
            asset_key=table_key("onboarding_progress"),
            metadata={
                "rows": progress.height,
                "accounts_without_onboarding_start": left_out,
                "stalled": progress["stalled"].sum(),
            },
        )
        yield dg.MaterializeResult(
            asset_key=table_key("onboarding_milestones"), metadata={"rows": milestones.height}
        )
        yield dg.MaterializeResult(
            asset_key=table_key("onboarding_completion"), metadata={"rows": completion.height}
        )

    return [onboarding_assets]
