"""Great Expectations on the tables to publish: the gate's GX check.

GX's SQL datasource fails on DuckDB, so each table is read into pandas and validated as a dataframe:
whole, or a slice of accounts at a time when it is large (`GX_ROWS_PER_SLICE`) and every uniqueness
it checks includes `account_id`, so a table of 32M health scores at 100k accounts is never in memory
at once; the slices' outcomes are added up. Results go to audit.gx_results and audit.gx_report.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from data_contracts.gx_suites import SuiteConfig, TableSuite
from orchestration.config import load_gx_suites
from orchestration.gate.gx_expectations import (
    MergedOutcome,
    expectation_result,
    suite_expectations,
    table_result,
)
from orchestration.gate.gx_report import GxReport, TableResult
from orchestration.gate.registry import GX_CHECK
from orchestration.warehouse_io import table_exists
from transforms.gate.results import RuleResult

if TYPE_CHECKING:
    import pandas as pd


#: Rows of a published table validated at once. A table with more rows is read and validated a slice
#: of accounts (hash of account_id) at a time when its key and every unique set include account_id
#: (rows that could collide then land in the same slice); its row count is judged on the whole table.
GX_ROWS_PER_SLICE = 2_000_000
# A frame of at least this many rows is freed right after its validation (`_GxSession._run`).
COLLECT_AFTER_ROWS = 100_000


def validate_published_tables(
    con: duckdb.DuckDBPyConnection,
    schemas: Sequence[str] = ("marts", "audit"),
    previous_counts: Mapping[str, int] | None = None,
    config: SuiteConfig | None = None,
    rows_per_slice: int = GX_ROWS_PER_SLICE,
) -> GxReport:
    """Run the suite of every published table in `schemas` of the connection's database.

    `previous_counts` maps "schema.table" to its row count in the last publication (None: no
    publication yet). A table with a suite that is absent from the database is `not_applicable`.
    A table of more than `rows_per_slice` rows is validated a slice of accounts at a time when its
    suite allows it (`_sliceable`).
    """
    config = config or load_gx_suites()
    previous_counts = previous_counts or {}
    present = {
        f"{schema}.{name}": (schema, name)
        for schema, name in con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = current_database() and table_schema in (select unnest(?::varchar[]))
            """,
            [list(schemas)],
        ).fetchall()
    }
    results: list[TableResult] = []
    session: _GxSession | None = None
    for table, suite in sorted(config.suites.items()):
        if table.split(".", 1)[0] not in schemas:
            continue
        if table not in present:
            results.append(
                TableResult(
                    table,
                    "not_applicable",
                    grain=suite.grain,
                    message="table absent from the build database",
                )
            )
            continue
        schema, name = present[table]
        session = session or _GxSession()
        rows = con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
        slices = -(-rows // max(rows_per_slice, 1)) if _sliceable(suite) else 1
        if slices <= 1:
            frame = _read_table(con, schema, name, suite.columns)
            results.append(
                session.validate(suite, frame, previous_counts.get(table), config.float_tolerance)
            )
            continue
        frames = (
            _read_table(con, schema, name, suite.columns, f"hash(account_id) % {slices} = {index}")
            for index in range(slices)
        )
        results.append(
            session.validate_slices(
                suite, frames, rows, previous_counts.get(table), config.float_tolerance
            )
        )
    return GxReport(
        tables=tuple(results),
        suites_version=config.version,
        tables_without_suite=tuple(sorted(set(present) - set(config.suites))),
    )


def published_row_counts(
    published_db: Path, schemas: Sequence[str] = ("marts", "audit")
) -> dict[str, int]:
    """Row count of every table of a published file, keyed "schema.table" ({} when there is none yet)."""
    if not Path(published_db).exists():
        return {}
    with duckdb.connect(str(published_db), read_only=True) as con:
        tables = con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = current_database() and table_schema in (select unnest(?::varchar[]))
            """,
            [list(schemas)],
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
            for schema, name in tables
        }


def _sliceable(suite: TableSuite) -> bool:
    """Whether the suite can be judged a slice of accounts at a time: every uniqueness it checks
    includes account_id, so rows that could collide are in the same slice."""
    return "account_id" in suite.key and all("account_id" in columns for columns in suite.unique)


def _read_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    wanted: Sequence[str],
    where: str = "true",
) -> pd.DataFrame:
    """The rows `where` selects of the whole table (key uniqueness cannot be judged on a sample, only
    on every row or on slices that keep colliding rows together), only the columns the suite reads."""
    existing = [
        row[0]
        for row in con.execute(
            """
            select column_name from information_schema.columns
            where table_catalog = current_database() and table_schema = ? and table_name = ?
            order by ordinal_position
            """,
            [schema, name],
        ).fetchall()
    ]
    wanted = set(wanted)
    columns = [c for c in existing if c in wanted]
    if not columns:
        # Still one row per table row, so the row count is right.
        return (
            con.execute(f'select 1 as _row from {schema}."{name}" where {where}').df().iloc[:, 0:0]
        )
    select = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f'select {select} from {schema}."{name}" where {where}').df()


def validate_frame(
    suite: TableSuite,
    frame: pd.DataFrame | pl.DataFrame,
    previous_count: int | None = None,
    float_tolerance: float = 0.0,
) -> TableResult:
    """Build the table's GX suite for the columns the frame has, run it on the frame, collect results."""
    if isinstance(frame, pl.DataFrame):
        frame = frame.to_pandas()
    return _GxSession().validate(suite, frame, previous_count, float_tolerance)


class _GxSession:
    """One ephemeral GX context for a batch of tables (setting one up per table costs more than
    validating a small table)."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)

    def _run(self, name: str, expectations: list[Any], frame: pd.DataFrame) -> list[Any]:
        """GX's results of `expectations` on the frame, in the order given.

        The frame's data source, suite and validation definition are deleted after the run: a GX
        data source's execution engine keeps every batch it loaded, so one shared source held each
        validated frame (and each slice of a sliced table) until the session ended, 5 GiB more at
        100k accounts. A large frame is collected at once (COLLECT_AFTER_ROWS)."""
        gx = self._gx
        context = self._context
        source = context.data_sources.add_pandas(f"{name}_source")
        try:
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
                "whole_table"
            )
            # Given whole to the constructor: adding expectations one by one re-serialises the suite.
            gx_suite = context.suites.add(
                gx.ExpectationSuite(name=f"{name}_suite", expectations=expectations)
            )
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=gx_suite)
            )
            run = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        finally:
            if f"{name}_validation" in {d.name for d in context.validation_definitions.all()}:
                context.validation_definitions.delete(f"{name}_validation")
            if f"{name}_suite" in {s.name for s in context.suites.all()}:
                context.suites.delete(f"{name}_suite")
            context.data_sources.delete(f"{name}_source")
        # GX returns results grouped by metric; the report follows the suite's order instead.
        order = {e.id: i for i, e in enumerate(gx_suite.expectations)}
        results = sorted(run.results, key=lambda r: order.get(r.expectation_config.id, len(order)))
        if len(frame) >= COLLECT_AFTER_ROWS:
            # GX's objects hold the batch in reference cycles, which CPython frees only when its
            # cyclic collector runs, and that counts objects, not bytes: without this the slices
            # of health_scores_daily piled up 0.3 GiB each at 100k accounts.
            del run, definition, batch, source
            gc.collect()
        return results

    def validate(
        self,
        suite: TableSuite,
        frame: pd.DataFrame,
        previous_count: int | None,
        float_tolerance: float,
    ) -> TableResult:
        """The suite on a whole table."""
        expectations, unchecked, derived = suite_expectations(
            suite, frame, previous_count, float_tolerance
        )
        if derived:
            frame = frame.assign(**derived)
        ordered = self._run(suite.table.replace(".", "__"), expectations, frame)
        return table_result(
            suite, len(frame), [expectation_result(suite.table, r) for r in ordered], unchecked
        )

    def validate_slices(
        self,
        suite: TableSuite,
        frames: Iterable[pd.DataFrame],
        rows: int,
        previous_count: int | None,
        float_tolerance: float,
    ) -> TableResult:
        """The suite on a table read a slice at a time: each slice's outcomes added up, and the row
        count (the last expectation) judged on the table's `rows`."""
        import pandas as pd

        name = suite.table.replace(".", "__")
        merged: list[MergedOutcome] = []
        unchecked: tuple[str, ...] = ()
        for index, frame in enumerate(frames):
            expectations, unchecked, derived = suite_expectations(
                suite, frame, previous_count, float_tolerance
            )
            row_count = expectations.pop()
            if derived:
                frame = frame.assign(**derived)
            ordered = self._run(f"{name}__slice_{index}", expectations, frame)
            if not merged:
                merged = [MergedOutcome(r.expectation_config) for r in ordered]
            for outcome, validation in zip(merged, ordered, strict=True):
                outcome.add(validation)
        # A frame of `rows` rows and no columns: GX counts it without holding the table.
        counted = self._run(
            f"{name}__row_count", [row_count], pd.DataFrame(index=pd.RangeIndex(rows))
        )
        results = [expectation_result(suite.table, m) for m in merged] + [
            expectation_result(suite.table, r) for r in counted
        ]
        return table_result(suite, rows, results, unchecked)


def run_gx_suites(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, published_db: Path
) -> RuleResult:
    """Validate the tables to publish with the Great Expectations suites; write audit.gx_results and
    audit.gx_report (the offline HTML fragment) for this run."""
    previous_counts: dict[str, int] | None = None
    if published_db.exists():
        with duckdb.connect(str(published_db), read_only=True) as published:
            last = (
                published.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
                if table_exists(published, "audit", "publications")
                else None
            )
        # Row counts compare with the last publication only when this run moves forward from it.
        if last is None or as_of >= last:
            previous_counts = published_row_counts(published_db)
    report = validate_published_tables(con, previous_counts=previous_counts)
    frame = report.to_frame().with_columns(run_id=pl.lit(run_id), as_of_date=pl.lit(as_of))
    con.execute("create schema if not exists audit")
    con.register("gx_frame", frame.to_arrow())
    con.execute("create table if not exists audit.gx_results as select * from gx_frame where false")
    con.execute("delete from audit.gx_results where run_id = ?", [run_id])
    con.execute("insert into audit.gx_results by name select * from gx_frame")
    con.unregister("gx_frame")
    con.execute("create table if not exists audit.gx_report (run_id varchar, html varchar)")
    con.execute("delete from audit.gx_report where run_id = ?", [run_id])
    con.execute("insert into audit.gx_report values (?, ?)", [run_id, report.to_html()])
    failures = report.failures
    failed_tables = sorted({f.table for f in failures})
    figures = [f"{f.table} {f.expectation}({f.column or ''}): {f.observed}" for f in failures[:3]]
    return RuleResult(
        GX_CHECK,
        ", ".join(failed_tables) if failed_tables else "published tables",
        "pass" if report.success else "fail",
        f"{len(failures)} failed expectations over {len(report.tables)} tables"
        + (f": {'; '.join(figures)}" if figures else ""),
        "error on any failed expectation",
        "Great Expectations suites failed (see audit.gx_results)"
        if failures
        else "every suite passed",
    )
