"""The publication the report's end-to-end tests read: the daily-operation history
(tests/warehouses.py: 200 accounts, 14 months, seed 5, a full drop and three daily drops), shared
with the end-to-end tests of daily operation, engagement and the KPI scorecard."""

from __future__ import annotations

import pytest

from orchestration.settings import Settings
from tests.warehouses import DailyOperation


@pytest.fixture(scope="session")
def published_warehouse(daily_operation: DailyOperation) -> Settings:
    """The settings of a warehouse whose published file holds the generated history."""
    return daily_operation.settings
