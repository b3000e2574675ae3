"""The models are written in SQL both engines read (issue #27): what DuckDB and Spark spell
differently goes through a macro of dbt_project/macros/portable.sql (or dbt's cross-database
macros), never into a model. The tests run on DuckDB, whose SQL would pass them all; this test is
what keeps a DuckDB-only spelling from creeping back into a model between two Spark builds
(tests/spark/test_csw_run_on_spark.py builds them on Spark)."""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

MODELS = DBT_PROJECT_DIR / "models"

# DuckDB-only spelling -> what to write instead.
DUCKDB_ONLY = {
    r"\bvarchar\b": "string (both engines), or csw_string_list_type() for a list",
    r"\blist\s*\(": "csw_sorted_list()",
    r"\blist_\w+\s*\(": "a macro of macros/portable.sql",
    r"\blen\s*\(": "csw_list_length()",
    r"\bignore\s+nulls\b": "csw_last_non_null()",
    r"\*\s*exclude\b": "select * except (...)",
    r"\barg_(?:max|min)\s*\(": "max_by / min_by",
    r"\bstrftime\s*\(": "cast(... as string)",
    r"\bgetvariable\s*\(": "a dispatched macro",
    r"::": "cast(... as type)",
    r"\[\s*\]": "csw_empty_string_list()",
    r"\bstring_agg\s*\(": "csw_string_agg() (the order is spelled differently)",
    r"\bdate_diff\s*\(": "dbt.datediff()",
}


def _code(text: str) -> str:
    """The SQL of a model without its Jinja and SQL comments (which may name DuckDB's spellings)."""
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"--[^\n]*", "", text)


def duckdb_only_spellings(models: Path = MODELS) -> list[str]:
    found = []
    for path in sorted(models.rglob("*.sql")):
        for number, line in enumerate(_code(path.read_text()).splitlines(), start=1):
            for pattern, instead in DUCKDB_ONLY.items():
                if re.search(pattern, line, flags=re.I):
                    found.append(
                        f"{path.relative_to(models)}:{number}: {line.strip()!r}: use {instead}"
                    )
    for path in sorted(models.rglob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"data_type:\s*varchar\b", line):
                found.append(f"{path.relative_to(models)}:{number}: data_type string")
    return found


def test_no_model_uses_a_duckdb_only_spelling() -> None:
    assert duckdb_only_spellings() == []


def test_the_check_finds_a_duckdb_only_spelling(tmp_path: Path) -> None:
    model = tmp_path / "models" / "m.sql"
    model.parent.mkdir()
    model.write_text(
        "{#- a comment may say list(x) -#}\n"
        "select cast(a as varchar) as a, list(b order by b) as bs -- len(x) here is fine\n"
        "from t\n"
    )
    found = duckdb_only_spellings(tmp_path / "models")
    assert len(found) == 2 and "string (both engines)" in found[0] and "csw_sorted_list" in found[1]
