"""Great Expectations suites on the published tables, and their results readable offline.

The suites are data (`config/gx_suites.yml`): keys, value ranges, enumerations, ordered pairs and the
row-count change versus the last publication. GX's SQL datasource fails on DuckDB, so each table is
read into pandas and validated as a dataframe: whole, or a slice of accounts at a time when it is large
(`GX_ROWS_PER_SLICE`) and every uniqueness it checks includes `account_id`, so a table of 32M health
scores at 100k accounts is never in memory at once; the slices' outcomes are added up. Results go to `audit.gx_results`
(`GxReport.to_frame`) and to a self-contained HTML fragment (`GxReport.to_html`), because GX's own
Data Docs load their CSS and JavaScript from CDNs and look broken offline.
"""

from __future__ import annotations

import datetime as dt
import gc
import html
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import polars as pl
import yaml

if TYPE_CHECKING:
    import pandas as pd

SUITES_PATH = Path(__file__).resolve().parent.parent / "config" / "gx_suites.yml"
MISSING_COLUMN = "missing column"
_EXAMPLES = 5

#: Rows of a published table validated at once. A table with more rows is read and validated a slice
#: of accounts (hash of account_id) at a time when its key and every unique set include account_id
#: (rows that could collide then land in the same slice); its row count is judged on the whole table.
GX_ROWS_PER_SLICE = 2_000_000
# A frame of at least this many rows is freed right after its validation (`_GxSession._run`).
COLLECT_AFTER_ROWS = 100_000

TableStatus = Literal["pass", "fail", "not_applicable"]


@dataclass(frozen=True)
class RowCountChange:
    """How far a table's row count may move from its previous publication (fractions; None: no limit)."""

    max_decrease: float | None = 0.5
    max_increase: float | None = 0.5
    min_previous_rows: int = 10

    def bounds(self, previous: int) -> tuple[int, int | None]:
        """Allowed row counts given the previous publication's count."""
        # Rounded before ceil/floor so that 100 × (1 − 0.1) = 90.00000000000001 still allows 90.
        low = (
            0
            if self.max_decrease is None
            else math.ceil(round(previous * (1 - self.max_decrease), 9))
        )
        high = (
            None
            if self.max_increase is None
            else math.floor(round(previous * (1 + self.max_increase), 9))
        )
        return max(low, 0), high

    def describe(self) -> str:
        down = "any" if self.max_decrease is None else f"{self.max_decrease:.0%}"
        up = "any" if self.max_increase is None else f"{self.max_increase:.0%}"
        return f"−{down} / +{up}"


@dataclass(frozen=True)
class TableSuite:
    """The expectations of one published table, as configured."""

    table: str
    grain: str = ""
    key: tuple[str, ...] = ()
    nullable_key: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    in_set: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    ordered: tuple[tuple[str, str], ...] = ()
    row_count_change: RowCountChange = field(default_factory=RowCountChange)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.key, *self.required)))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column an expectation of this suite reads."""
        named = [
            *self.key,
            *self.required,
            *self.not_null,
            *(c for cols in self.unique for c in cols),
            *self.ranges,
            *self.in_set,
            *(c for pair in self.ordered for c in pair),
        ]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class SuiteConfig:
    version: str
    float_tolerance: float
    suites: Mapping[str, TableSuite]


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's outcome on one table."""

    table: str
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    observed: str


@dataclass(frozen=True)
class TableResult:
    """One table's suite: its status, every expectation's result, and what could not be checked."""

    table: str
    status: TableStatus
    grain: str = ""
    rows: int | None = None
    results: tuple[ExpectationResult, ...] = ()
    unchecked_columns: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class GxReport:
    """The suites' results over the published tables; `success` is what the publish gate reads."""

    tables: tuple[TableResult, ...]
    suites_version: str = ""
    tables_without_suite: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return all(t.status != "fail" for t in self.tables)

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for t in self.tables for r in t.results if not r.success]

    def table(self, name: str) -> TableResult:
        for result in self.tables:
            if result.table == name:
                return result
        raise KeyError(f"no suite result for table {name!r}")

    def to_frame(self) -> pl.DataFrame:
        """One row per expectation (and one per not_applicable table), ready for audit.gx_results."""
        rows: list[dict[str, Any]] = []
        for table in self.tables:
            if table.status == "not_applicable":
                rows.append(
                    {
                        "table": table.table,
                        "expectation": None,
                        "column": None,
                        "success": None,
                        "unexpected_count": None,
                        "details": f"not_applicable: {table.message}",
                    }
                )
            for r in table.results:
                rows.append(
                    {
                        "table": r.table,
                        "expectation": r.expectation,
                        "column": r.column,
                        "success": r.success,
                        "unexpected_count": r.unexpected_count,
                        "details": r.observed,
                    }
                )
        return pl.DataFrame(
            rows,
            schema={
                "table": pl.String,
                "expectation": pl.String,
                "column": pl.String,
                "success": pl.Boolean,
                "unexpected_count": pl.Int64,
                "details": pl.String,
            },
        )

    def to_html(self) -> str:
        """A self-contained HTML fragment (inline styles only, no external assets) of every suite's results."""
        return _render_html(self)


def load_suites(path: Path = SUITES_PATH) -> SuiteConfig:
    """Read the suites' configuration; a malformed entry is reported with the file and table."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the Great Expectations suites: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'tables' section")
    default_change = _row_count_change(path, "row_count_change", raw.get("row_count_change") or {})
    suites = {
        table: _table_suite(path, table, spec or {}, default_change)
        for table, spec in raw["tables"].items()
    }
    return SuiteConfig(
        version=str(raw.get("version", "")),
        float_tolerance=float(raw.get("float_tolerance", 0.0)),
        suites=suites,
    )


_TABLE_KEYS = {
    "grain",
    "key",
    "nullable_key",
    "required",
    "not_null",
    "unique",
    "ranges",
    "in_set",
    "ordered",
    "row_count_change",
}


def _table_suite(path: Path, table: str, spec: dict, default_change: RowCountChange) -> TableSuite:
    where = f"{path}: table {table}"
    if table.count(".") != 1:
        raise ValueError(f"{where}: name it schema.table")
    unknown = sorted(set(spec) - _TABLE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; expected {', '.join(sorted(_TABLE_KEYS))}"
        )
    key = tuple(spec.get("key") or ())
    nullable_key = tuple(spec.get("nullable_key") or ())
    if set(nullable_key) - set(key):
        raise ValueError(f"{where}: nullable_key names columns that are not in key")
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for column, bounds in (spec.get("ranges") or {}).items():
        if not isinstance(bounds, dict) or not set(bounds) <= {"min", "max"} or not bounds:
            raise ValueError(f"{where}: range of {column} must be {{min: …, max: …}}")
        ranges[column] = (bounds.get("min"), bounds.get("max"))
    ordered = []
    for pair in spec.get("ordered") or ():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{where}: ordered entries are [low, high] column pairs, got {pair!r}")
        ordered.append((pair[0], pair[1]))
    change = default_change
    if "row_count_change" in spec:
        overrides = {**asdict(default_change), **(spec["row_count_change"] or {})}
        change = _row_count_change(path, f"{table}.row_count_change", overrides)
    return TableSuite(
        table=table,
        grain=str(spec.get("grain", "")),
        key=key,
        nullable_key=nullable_key,
        required=tuple(spec.get("required") or ()),
        not_null=tuple(spec.get("not_null") or ()),
        unique=tuple((u,) if isinstance(u, str) else tuple(u) for u in (spec.get("unique") or ())),
        ranges=ranges,
        in_set={column: tuple(values) for column, values in (spec.get("in_set") or {}).items()},
        ordered=tuple(ordered),
        row_count_change=change,
    )


def _row_count_change(path: Path, where: str, spec: dict) -> RowCountChange:
    unknown = set(spec) - {"max_decrease", "max_increase", "min_previous_rows"}
    if unknown:
        raise ValueError(f"{path}: {where}: unknown setting(s) {', '.join(sorted(unknown))}")
    return RowCountChange(
        max_decrease=spec.get("max_decrease", 0.5),
        max_increase=spec.get("max_increase", 0.5),
        min_previous_rows=int(spec.get("min_previous_rows", 10)),
    )


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
    config = config or load_suites()
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
        expectations, unchecked, derived = _expectations(
            suite, frame, previous_count, float_tolerance
        )
        if derived:
            frame = frame.assign(**derived)
        ordered = self._run(suite.table.replace(".", "__"), expectations, frame)
        return _table_result(
            suite, len(frame), [_result(suite.table, r) for r in ordered], unchecked
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
        merged: list[_Merged] = []
        unchecked: tuple[str, ...] = ()
        for index, frame in enumerate(frames):
            expectations, unchecked, derived = _expectations(
                suite, frame, previous_count, float_tolerance
            )
            row_count = expectations.pop()
            if derived:
                frame = frame.assign(**derived)
            ordered = self._run(f"{name}__slice_{index}", expectations, frame)
            if not merged:
                merged = [_Merged(r.expectation_config) for r in ordered]
            for outcome, validation in zip(merged, ordered, strict=True):
                outcome.add(validation)
        # A frame of `rows` rows and no columns: GX counts it without holding the table.
        counted = self._run(
            f"{name}__row_count", [row_count], pd.DataFrame(index=pd.RangeIndex(rows))
        )
        results = [_result(suite.table, m) for m in merged] + [
            _result(suite.table, r) for r in counted
        ]
        return _table_result(suite, rows, results, unchecked)


def _table_result(
    suite: TableSuite, rows: int, results: list[ExpectationResult], unchecked: tuple[str, ...]
) -> TableResult:
    return TableResult(
        table=suite.table,
        status="pass" if all(r.success for r in results) else "fail",
        grain=suite.grain,
        rows=rows,
        results=tuple(results),
        unchecked_columns=unchecked,
    )


class _Merged:
    """One expectation's outcomes on every slice, added up into the shape `_result` reads: success
    on every slice; the counts summed; the examples (GX keeps a slice's first 20 unexpected values)
    counted together and ordered as GX orders them, by count, then value."""

    def __init__(self, expectation_config: Any) -> None:
        self.expectation_config = expectation_config
        self.success = True
        self.result: dict[str, Any] = {}
        self.exception_info: dict[str, Any] = {}
        self._examples: Counter = Counter()

    def add(self, validation: Any) -> None:
        self.success = self.success and bool(validation.success)
        outcome = validation.result or {}
        for key in ("element_count", "missing_count", "unexpected_count"):
            if outcome.get(key) is not None:
                self.result[key] = self.result.get(key, 0) + outcome[key]
        for example in outcome.get("partial_unexpected_counts") or []:
            if "value" in example:
                self._examples[example["value"]] += example["count"]
        if self._examples:
            try:
                ordered = sorted(self._examples.items(), key=lambda e: (-e[1], e[0]))
            except TypeError:
                ordered = self._examples.most_common()
            self.result["partial_unexpected_counts"] = [
                {"value": value, "count": count} for value, count in ordered[:20]
            ]
        exception = (validation.exception_info or {}).get("exception_message")
        if exception and not self.exception_info:
            self.exception_info = {"exception_message": exception}


def _expectations(
    suite: TableSuite,
    frame: pd.DataFrame,
    previous_count: int | None,
    float_tolerance: float,
) -> tuple[list[Any], tuple[str, ...], dict[str, pd.Series]]:
    """The GX expectations for the columns present (required ones that are absent fail to exist),
    the optional columns left unchecked, and the derived columns the ordered pairs compare with."""
    import great_expectations.expectations as gxe
    from pandas.api.types import is_float_dtype

    present = set(frame.columns)
    missing_required = [c for c in suite.required_columns if c not in present]
    unchecked = tuple(c for c in suite.columns if c not in present and c not in missing_required)
    out: list[Any] = [
        gxe.ExpectColumnToExist(column=c, meta={"details": MISSING_COLUMN})
        for c in missing_required
    ]

    def has(*columns: str) -> bool:
        return all(c in present for c in columns)

    key_not_null = [c for c in suite.key if c not in suite.nullable_key]
    for column in dict.fromkeys((*key_not_null, *suite.not_null)):
        if has(column):
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=column))
    if suite.key and has(*suite.key):
        if len(suite.key) == 1:
            out.append(gxe.ExpectColumnValuesToBeUnique(column=suite.key[0]))
        else:
            # "never": rows whose nullable key part is NULL still take part (NULLs compare equal).
            out.append(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=list(suite.key), ignore_row_if="never"
                )
            )
    for columns in suite.unique:
        if not has(*columns):
            continue
        if len(columns) == 1:
            out.append(gxe.ExpectColumnValuesToBeUnique(column=columns[0]))
        else:
            out.append(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=list(columns), ignore_row_if="any_value_is_missing"
                )
            )
    for column, (low, high) in suite.ranges.items():
        if not has(column):
            continue
        slack = float_tolerance if is_float_dtype(frame[column].dtype) else 0.0
        expected = (
            f"expected ≥ {low}"
            if high is None
            else f"expected ≤ {high}"
            if low is None
            else f"expected {low}..{high}"
        )
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=None if low is None else low - slack,
                max_value=None if high is None else high + slack,
                meta={"expected": expected},
            )
        )
    for column, values in suite.in_set.items():
        if has(column):
            out.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    derived: dict[str, pd.Series] = {}
    for low, high in suite.ordered:
        if not has(low, high):
            continue
        upper = high
        if float_tolerance and (
            is_float_dtype(frame[low].dtype) or is_float_dtype(frame[high].dtype)
        ):
            # The pair expectation has no tolerance: compare with a column that carries it, named
            # as the expression it is (a Wilson bound at p = 1 comes out as 0.9999999999999998).
            upper = f"{high} + {float_tolerance:g}"
            derived[upper] = frame[high] + float_tolerance
        out.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=upper,
                column_B=low,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    # Last: validate_slices judges it on the whole table, not on each slice.
    out.append(_row_count_expectation(suite.row_count_change, previous_count))
    return out, unchecked, derived


def _row_count_expectation(change: RowCountChange, previous: int | None) -> Any:
    import great_expectations.expectations as gxe

    if previous is None or previous < change.min_previous_rows:
        reason = (
            "no previous publication"
            if previous is None
            else f"previous publication had {previous} rows (< {change.min_previous_rows}): not compared"
        )
        return gxe.ExpectTableRowCountToBeBetween(
            min_value=0, max_value=None, meta={"details": reason}
        )
    low, high = change.bounds(previous)
    allowed = f"{low}..{'' if high is None else high}"
    return gxe.ExpectTableRowCountToBeBetween(
        min_value=low,
        max_value=high,
        meta={
            "details": f"previous publication {previous} rows; allowed {allowed} ({change.describe()})"
        },
    )


def _result(table: str, validation: Any) -> ExpectationResult:
    config = validation.expectation_config
    kwargs = config.kwargs
    columns = (
        kwargs.get("column_list")
        or [kwargs[k] for k in ("column_B", "column_A") if kwargs.get(k)]
        or ([kwargs["column"]] if kwargs.get("column") else [])
    )
    outcome = validation.result or {}
    exception = (validation.exception_info or {}).get("exception_message")
    note = (config.meta or {}).get("details")
    if config.type == "expect_column_to_exist":
        details = MISSING_COLUMN if not validation.success else "column present"
    elif config.type == "expect_table_row_count_to_be_between":
        details = f"{outcome.get('observed_value')} rows" + (f"; {note}" if note else "")
    elif "observed_value" in outcome:
        details = f"observed {_plain(outcome['observed_value'])}" + (f"; {note}" if note else "")
    elif "unexpected_count" in outcome:
        details = _unexpected_details(config, outcome)
    else:
        details = note or ""
    if exception:
        details = f"{details}; error: {exception}" if details else f"error: {exception}"
    return ExpectationResult(
        table=table,
        expectation=config.type,
        column=", ".join(columns) or None,
        success=bool(validation.success),
        unexpected_count=outcome.get("unexpected_count"),
        observed=details,
    )


def _unexpected_details(config: Any, outcome: dict) -> str:
    count = outcome["unexpected_count"]
    checked = outcome.get("element_count", 0) - outcome.get("missing_count", 0)
    expected = _expected(config)
    text = f"{count} of {checked} rows unexpected ({expected})"
    examples = outcome.get("partial_unexpected_counts") or []
    if count and examples:
        shown = ", ".join(
            f"{_plain(e['value'])} ×{e['count']}" for e in examples[:_EXAMPLES] if "value" in e
        )
        text += f"; e.g. {shown}"
    return text


def _expected(config: Any) -> str:
    kwargs = config.kwargs
    kind = config.type
    if (config.meta or {}).get("expected"):
        return config.meta["expected"]
    if kind == "expect_column_values_to_be_in_set":
        return "expected one of " + ", ".join(str(v) for v in kwargs["value_set"])
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"expected {kwargs['column_B']} ≤ {kwargs['column_A']}"
    if kind == "expect_column_values_to_not_be_null":
        return "expected no NULL"
    return "expected unique"


def _plain(value: Any) -> str:
    """A value as a reader would write it: 1.2 not np.float64(1.2), (a, b) for a pair."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date().isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_STYLE = {
    "wrap": "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;color:#1f2933;",
    "table": "border-collapse:collapse;width:100%;margin:4px 0 16px 0;",
    "th": "text-align:left;border-bottom:2px solid #cbd2d9;padding:4px 8px;background:#f5f7fa;",
    "td": "border-bottom:1px solid #e4e7eb;padding:4px 8px;vertical-align:top;",
    "pass": "color:#1e7e34;font-weight:600;",
    "fail": "color:#b00020;font-weight:600;",
    "not_applicable": "color:#616e7c;font-weight:600;",
    "note": "color:#616e7c;margin:2px 0;",
}


def _render_html(report: GxReport) -> str:
    e = html.escape
    verdict = "pass" if report.success else "fail"
    failed = [t.table for t in report.tables if t.status == "fail"]
    parts = [
        f'<section style="{_STYLE["wrap"]}">',
        "<h2>Great Expectations: published tables</h2>",
        f'<p>Verdict: <span style="{_STYLE[verdict]}">{verdict.upper()}</span> — '
        f"{len(report.tables)} suites, {len(failed)} failing"
        + (f" ({e(', '.join(failed))})" if failed else "")
        + (f"; suites version {e(report.suites_version)}" if report.suites_version else "")
        + "</p>",
    ]
    for table in report.tables:
        rows = "" if table.rows is None else f", {table.rows:,} rows"
        parts.append(
            f'<h3>{e(table.table)} <span style="{_STYLE[table.status]}">{e(table.status)}</span>'
            f'<span style="{_STYLE["note"]}font-weight:normal;font-size:13px;">'
            f" {e(table.grain)}{rows}</span></h3>"
        )
        if table.message:
            parts.append(f'<p style="{_STYLE["note"]}">{e(table.message)}</p>')
        if table.unchecked_columns:
            parts.append(
                f'<p style="{_STYLE["note"]}">Not in the table, not checked: '
                f"{e(', '.join(table.unchecked_columns))}</p>"
            )
        if not table.results:
            continue
        header = "".join(
            f'<th style="{_STYLE["th"]}">{h}</th>'
            for h in ("", "expectation", "column", "unexpected", "details")
        )
        body = []
        for r in table.results:
            mark = "pass" if r.success else "fail"
            cells = (
                f'<span style="{_STYLE[mark]}">{"&#10003;" if r.success else "&#10007;"}</span>',
                e(r.expectation),
                e(r.column or ""),
                "" if r.unexpected_count is None else f"{r.unexpected_count:,}",
                e(r.observed),
            )
            body.append(
                "<tr>" + "".join(f'<td style="{_STYLE["td"]}">{c}</td>' for c in cells) + "</tr>"
            )
        parts.append(
            f'<table style="{_STYLE["table"]}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    if report.tables_without_suite:
        parts.append(
            f'<p style="{_STYLE["note"]}">Published without a suite: '
            f"{e(', '.join(report.tables_without_suite))}</p>"
        )
    parts.append("</section>")
    # Character references only, so the fragment reads the same whatever the page's encoding.
    return "\n".join(parts).encode("ascii", "xmlcharrefreplace").decode("ascii")
