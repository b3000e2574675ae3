"""A real PostgreSQL server for the extractor tests, started once per test session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.ingest.extract.pg_server import PostgresServer

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app_dsn(pg_server: PostgresServer) -> str:
    """A fresh, empty database for one test."""
    return pg_server.create_database(f"app_{next(_databases)}")
