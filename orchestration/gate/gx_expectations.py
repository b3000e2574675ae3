"""A suite's Great Expectations expectations for the columns a frame has, and GX's outcomes read
back as `ExpectationResult`s (one table's, or its slices' added up)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from data_contracts.gx_suites import RowCountChange, TableSuite
from orchestration.gate.gx_report import ExpectationResult, TableResult

if TYPE_CHECKING:
    import pandas as pd


#: The details of a required column the table lacks.
MISSING_COLUMN = "missing column"
#: Unexpected values shown per failed expectation.
_EXAMPLES = 5


def table_result(
    suite: TableSuite, rows: int, results: list[ExpectationResult], unchecked: tuple[str, ...]
) -> TableResult:
    """A table's result: failed when any of its expectations failed."""
    return TableResult(
        table=suite.table,
        status="pass" if all(r.success for r in results) else "fail",
        grain=suite.grain,
        rows=rows,
        results=tuple(results),
        unchecked_columns=unchecked,
    )


class MergedOutcome:
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
        """Add one slice's outcome of this expectation."""
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


def _range_expectations(
    suite: TableSuite, frame: pd.DataFrame, float_tolerance: float
) -> list[Any]:
    """The value ranges of the columns present, float columns widened by the tolerance."""
    import great_expectations.expectations as gxe
    from pandas.api.types import is_float_dtype

    out: list[Any] = []
    for column, (low, high) in suite.ranges.items():
        if column not in frame.columns:
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
    return out


def _ordered_expectations(
    suite: TableSuite, frame: pd.DataFrame, float_tolerance: float
) -> tuple[list[Any], dict[str, pd.Series]]:
    """The ordered pairs of columns present, and the derived columns carrying the tolerance."""
    import great_expectations.expectations as gxe
    from pandas.api.types import is_float_dtype

    out: list[Any] = []
    derived: dict[str, pd.Series] = {}
    for low, high in suite.ordered:
        if low not in frame.columns or high not in frame.columns:
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
    return out, derived


def suite_expectations(
    suite: TableSuite,
    frame: pd.DataFrame,
    previous_count: int | None,
    float_tolerance: float,
) -> tuple[list[Any], tuple[str, ...], dict[str, pd.Series]]:
    """The GX expectations for the columns present (required ones that are absent fail to exist),
    the optional columns left unchecked, and the derived columns the ordered pairs compare with."""
    import great_expectations.expectations as gxe

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
    out += _range_expectations(suite, frame, float_tolerance)
    for column, values in suite.in_set.items():
        if has(column):
            out.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    ordered, derived = _ordered_expectations(suite, frame, float_tolerance)
    out += ordered
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


def expectation_result(table: str, validation: Any) -> ExpectationResult:
    """One GX outcome read back: the expectation, its columns, success and the details a reader needs."""
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
