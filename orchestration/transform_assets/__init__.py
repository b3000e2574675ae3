"""Dagster assets that run the pure Polars transforms between the two dbt steps.

Each module here exposes `build_assets(partitions_def) -> list[AssetsDefinition]`; an asset reads dbt
models from the build database, calls functions of `transforms/`, and writes a table in schema
`transforms`, which dbt declares as the source `transforms` (so its key is transforms/<table>).
"""

import importlib

import dagster as dg

# Modules of this package, in no particular order: Dagster orders the assets by their dependencies.
MODULES: tuple[str, ...] = ("nps_support", "engagement_expansion", "health")


def build_transform_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    assets: list[dg.AssetsDefinition] = []
    for module in MODULES:
        assets += importlib.import_module(f"{__name__}.{module}").build_assets(partitions_def)
    return assets
