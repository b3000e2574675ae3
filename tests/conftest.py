"""Session fixtures more than one test package reads."""

from __future__ import annotations

import pytest

from tests.warehouses import DailyOperation, operate


@pytest.fixture(scope="session")
def daily_operation(tmp_path_factory: pytest.TempPathFactory) -> DailyOperation:
    """The daily-operation history, published (tests/warehouses.py); read it, never write to it."""
    return operate(tmp_path_factory.mktemp("operations"))
