"""Contract building blocks: pandera schemas made from the raw table layout plus named rules.

Every rule has a stable name (`<source>.<table>.<column>_<kind>` or `<source>.<table>.<rule>`) and a
human description; a failing row is reported with the rule's name, the column and the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from data_contracts.plausibility import TimeWindow
from data_contracts.raw_tables import RAW_TABLES
from data_contracts.raw_tables.layout import RawTable

POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
    "DATE": pl.Date(),
    "VARCHAR[]": pl.List(pl.String()),
}

CURRENCY_PATTERN = r"^[A-Za-z]{3}$"

# The smallest plausible unix-seconds value is 0; the largest, year 2100. Stripe's placeholder
# values (1234567890, …) fall inside, so only absurd values (negative, milliseconds) are rejected.
UNIX_SECONDS_MAX = 4_102_444_800

# interval_count bounds per interval: Stripe allows at most one year between billings.
INTERVAL_COUNT_MAX = {"day": 365, "week": 52, "month": 12, "year": 3}


@dataclass(frozen=True)
class ColumnRule:
    """A check on one column, with the rule name it reports."""

    kind: str
    check: pa.Check
    description: str


@dataclass(frozen=True)
class FrameRule:
    """A cross-field rule over a row: `ok` is a Polars expression true where the row passes."""

    name: str
    ok: pl.Expr
    column: str | None
    description: str


@dataclass
class Contract:
    """The contract of one raw table: its pandera schema and the names behind each check.

    `happened` names the timestamps of things that happened (created, occurred, solved), which
    must fall between the company's first date and the drop's extraction; `scheduled` those that
    may lie ahead (period ends, trial ends), within a horizon (data_contracts/plausibility.py).
    `version` names the source's version timestamp, by which the newest of a record's versions in
    one file wins (None: the source has none, and the first line wins).
    """

    table: RawTable
    required: tuple[str, ...]
    column_rules: dict[str, list[ColumnRule]]
    frame_rules: list[FrameRule] = field(default_factory=list)
    happened: tuple[str, ...] = ()
    scheduled: tuple[str, ...] = ()
    version: str | None = None

    def __post_init__(self) -> None:
        columns = {}
        for name, dtype, _ in self.table.columns:
            rules = self.column_rules.get(name, [])
            columns[name] = pa.Column(
                POLARS_TYPES[dtype],
                checks=[r.check for r in rules],
                nullable=name not in self.required,
                required=True,
            )
        checks = [pa.Check(_frame_check(rule.ok), name=rule.name) for rule in self.frame_rules]
        self.schema = pa.DataFrameSchema(columns, checks=checks, strict=False, name=self.prefix)
        self.frame_rule_by_name = {r.name: r for r in self.frame_rules}

    @property
    def prefix(self) -> str:
        return f"{self.table.source}.{self.table.table}"

    def rule_name(self, column: str, kind: str) -> str:
        return f"{self.prefix}.{column}_{kind}"

    def failures(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows of `frame` that break the contract: (index, rule, column, value, message)."""
        try:
            self.schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return self._translate(exc.failure_cases, frame)
        return _EMPTY_FAILURES.clone()

    def implausible_times(self, frame: pl.DataFrame, window: TimeWindow) -> pl.DataFrame:
        """Rows of `frame` whose timestamps fall outside the drop's window, as `failures` gives
        them; the rule is `<source>.<table>.<column>_plausible`."""
        rows = []
        types = {name: dtype for name, dtype, _ in self.table.columns}
        kinds = [(c, True) for c in self.happened] + [(c, False) for c in self.scheduled]
        for column, happened in kinds:
            latest = window.latest_happened if happened else window.latest_scheduled
            values = _as_datetimes(frame[column], types[column])
            early = values < window.earliest
            late = values >= latest
            for index in (early | late).fill_null(False).arg_true().to_list():
                shown = _shown(frame[column][index], values[index])
                rows.append(
                    (
                        index,
                        self.rule_name(column, "plausible"),
                        column,
                        str(frame[column][index]),
                        _implausible_message(column, shown, bool(early[index]), happened, window),
                    )
                )
        return pl.DataFrame(rows, schema=_EMPTY_FAILURES.schema, orient="row")

    def _translate(self, cases: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
        rows = []
        for case in cases.iter_rows(named=True):
            column, check, number = case["column"], case["check"], case["check_number"]
            if case["index"] is None:
                raise ValueError(f"{self.prefix}: contract failure without a row: {case}")
            if check in self.frame_rule_by_name:
                rule = self.frame_rule_by_name[check]
                value = None if rule.column is None else frame[rule.column][case["index"]]
                value = None if value is None else str(value)
                rows.append((case["index"], rule.name, rule.column, value, rule.description))
                continue
            if check == "not_nullable":
                rule_name = self.rule_name(column, "required")
                description = f"{column} is required"
            elif column in self.column_rules and number is not None:
                col_rule = self.column_rules[column][number]
                rule_name = self.rule_name(column, col_rule.kind)
                description = col_rule.description
            else:
                rule_name = self.rule_name(column or "row", "type")
                description = f"{check}"
            rows.append((case["index"], rule_name, column, case["failure_case"], description))
        return pl.DataFrame(rows, schema=_EMPTY_FAILURES.schema, orient="row")


_EMPTY_FAILURES = pl.DataFrame(
    schema={
        "index": pl.Int64,
        "rule": pl.String,
        "column": pl.String,
        "value": pl.String,
        "message": pl.String,
    }
)


def _as_datetimes(series: pl.Series, dtype: str) -> pl.Series:
    """A timestamp column as naive UTC datetimes: Stripe's unix seconds converted, others as is."""
    if dtype == "BIGINT":
        # Beyond ±10^11 s (year 5138) the unix_seconds range rule already rejects the value, and
        # its microseconds would overflow Int64.
        seconds = series.cast(pl.Int64)
        seconds = pl.select(pl.when(seconds.abs() < 10**11).then(seconds)).to_series()
        return (seconds * 1_000_000).cast(pl.Datetime("us"))
    return series.cast(pl.Datetime("us"))


def _shown(raw: object, moment: dt.datetime) -> str:
    text = moment.isoformat(sep=" ")
    return text if isinstance(raw, dt.datetime) else f"{raw} ({text} UTC)"


def _implausible_message(
    column: str, shown: str, early: bool, happened: bool, window: TimeWindow
) -> str:
    settings = window.settings
    if early:
        return (
            f"{column} {shown} is before the company's first date {settings.company_start} "
            "(company_start_date in config/ingest.yml)"
        )
    if happened:
        return (
            f"{column} {shown} is after the drop of {window.drop_date} was extracted (its end plus "
            f"{settings.happened_tolerance_days} days): a time in the future"
        )
    return (
        f"{column} {shown} is more than {settings.scheduled_horizon_days} days after the drop of "
        f"{window.drop_date} (scheduled_horizon_days in config/ingest.yml)"
    )


def _frame_check(ok: pl.Expr):
    def check(data):
        return data.lazyframe.select(ok.fill_null(True))

    return check


# ------------------------------------------------------------------ rule constructors


def enum(values: list[str] | tuple[str, ...]) -> ColumnRule:
    return ColumnRule("enum", pa.Check.isin(list(values)), f"must be one of {', '.join(values)}")


def id_format(pattern: str, what: str) -> ColumnRule:
    return ColumnRule("format", pa.Check.str_matches(pattern), f"must be {what}")


def non_empty() -> ColumnRule:
    return ColumnRule("format", pa.Check.str_length(min_value=1), "must not be empty")


def currency() -> ColumnRule:
    return ColumnRule(
        "format", pa.Check.str_matches(CURRENCY_PATTERN), "must be a 3-letter ISO currency code"
    )


def at_least(value: float) -> ColumnRule:
    return ColumnRule("range", pa.Check.ge(value), f"must be ≥ {value}")


def above(value: float) -> ColumnRule:
    return ColumnRule("range", pa.Check.gt(value), f"must be > {value}")


def between(low: float, high: float) -> ColumnRule:
    return ColumnRule("range", pa.Check.in_range(low, high), f"must be between {low} and {high}")


def unix_seconds() -> ColumnRule:
    return ColumnRule(
        "range",
        pa.Check.in_range(0, UNIX_SECONDS_MAX),
        "must be unix seconds between 1970 and 2100",
    )


def not_before(prefix: str, start: str, end: str) -> FrameRule:
    """A period that ends before it starts is impossible."""
    return FrameRule(
        f"{prefix}.period_end_after_start",
        pl.col(end) >= pl.col(start),
        end,
        f"{end} must not be before {start}",
    )


def interval_count_sane(prefix: str, interval: str, count: str) -> FrameRule:
    """interval_count within what Stripe allows for the interval (≤ 1 year between billings), and
    present wherever an interval is: a recurring price always carries both, and a count taken as 1
    would value a quarterly price as monthly."""
    limit = pl.col(interval).replace_strict(INTERVAL_COUNT_MAX, default=None)
    return FrameRule(
        f"{prefix}.{count}_range",
        (pl.col(count) >= 1) & (pl.col(count) <= limit).fill_null(False)
        | (pl.col(count).is_null() & pl.col(interval).is_null()),
        count,
        f"{count} must be 1–12 for month, 1–3 for year, 1–52 for week, 1–365 for day, "
        f"and present wherever {interval} is",
    )


def not_earlier(prefix: str, first: str, later: str, what: str) -> FrameRule:
    """`later` records something that cannot precede `first` (solved before created)."""
    return FrameRule(
        f"{prefix}.{what}",
        pl.col(later) >= pl.col(first),
        later,
        f"{later} must not be before {first}",
    )


def contract(
    key: str,
    required: tuple[str, ...] = (),
    rules: dict[str, list[ColumnRule]] | None = None,
    frame_rules: list[FrameRule] | None = None,
    happened: tuple[str, ...] = (),
    scheduled: tuple[str, ...] = (),
    version: str | None = None,
) -> Contract:
    """The contract of raw table `key` (e.g. 'stripe__subscriptions')."""
    return Contract(
        RAW_TABLES[key], required, rules or {}, frame_rules or [], happened, scheduled, version
    )
