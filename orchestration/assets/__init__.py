"""Dagster assets by area: each module reads the warehouse, calls a pure function of `transforms/` and
writes its tables (ingest and dbt are the two that run other engines)."""
