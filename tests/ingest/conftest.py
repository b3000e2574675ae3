"""The ingest tests' DuckDB: in memory, one per test."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()
