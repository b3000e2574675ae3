"""The new-drop sensor: a run for a complete new drop, nothing for an incomplete one or an old one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.schedules import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    SCHEDULE_NAME,
    SENSOR_NAME,
    build_daily_schedule,
    previous_day_partition,
)
from orchestration.settings import Settings


def _drop(extracts: Path, source: str, day: str, manifest: bool = True) -> None:
    folder = extracts / source / day
    folder.mkdir(parents=True)
    (folder / "data.jsonl").write_text("")
    if manifest:
        (folder / "_manifest.json").write_text(json.dumps({"extracted_at": f"{day}T05:00:00Z"}))


def _evaluate(extracts: Path, cursor: str | None) -> dg.SensorExecutionData:
    settings = Settings(extracts_dir=extracts, warehouse_dir=extracts.parent)
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, definitions=defs))


def test_a_complete_new_drop_starts_one_run_for_its_partition(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    for source in ("stripe", "app_db", "ticketing"):
        _drop(extracts, source, "2026-11-20")
    data = _evaluate(extracts, cursor="2026-11-19")
    (request,) = data.run_requests
    assert request.partition_key == "2026-11-20"
    assert data.cursor == "2026-11-20"


def test_an_incomplete_drop_starts_nothing(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    _drop(extracts, "stripe", "2026-11-20")
    _drop(extracts, "app_db", "2026-11-20")
    # ticketing's folder is there but its manifest (written last) is not: still being written.
    _drop(extracts, "ticketing", "2026-11-20", manifest=False)
    data = _evaluate(extracts, cursor="2026-11-19")
    assert not data.run_requests
    assert data.skip_message and "no complete new drop" in data.skip_message


def test_a_processed_drop_starts_nothing_and_several_new_ones_start_one_range_run(
    tmp_path: Path,
) -> None:
    extracts = tmp_path / "extracts"
    for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
        for source in ("stripe", "app_db", "ticketing"):
            _drop(extracts, source, day)
    assert not _evaluate(extracts, cursor="2026-11-20").run_requests
    data = _evaluate(extracts, cursor="2026-11-18")
    (request,) = data.run_requests
    assert request.partition_key is None
    assert request.tags[RANGE_START_TAG] == "2026-11-19"
    assert request.tags[RANGE_END_TAG] == "2026-11-20"
    assert data.cursor == "2026-11-20"


def test_the_schedule_asks_for_the_day_before_its_tick_at_six_utc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CSW_SCHEDULE_CRON", raising=False)
    defs = build_definitions(Settings(extracts_dir=tmp_path, warehouse_dir=tmp_path))
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"
    # A tick at 00:30 on 2026-03-01 in UTC+2 is 22:30 UTC on 2026-02-28: the day before is the 27th.
    tick = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert previous_day_partition(tick) == "2026-02-27"
    data = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=dt.datetime(2026, 11, 25, 6, tzinfo=dt.UTC),
            repository_def=defs.get_repository_def(),
        )
    )
    (request,) = data.run_requests
    assert request.partition_key == "2026-11-24"
    monkeypatch.setenv("CSW_SCHEDULE_CRON", "30 4 * * *")
    assert build_daily_schedule().cron_schedule == "30 4 * * *"
