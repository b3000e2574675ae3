"""The Dagster side: $CSW_EXTRACT puts an extraction asset upstream of each listed source's ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from orchestration.assets.extract import ExtractResource, build_extract_assets
from orchestration.definitions import build_definitions
from orchestration.partitions import daily_partitions
from orchestration.settings import Settings
from synthetic.postgres import create_app_tables

DAY = "2026-11-20"


def _settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "extracts", tmp_path / "warehouse", dt.date(2026, 1, 1))


def test_unset_means_no_extraction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSW_EXTRACT", raising=False)
    graph = build_definitions(_settings(tmp_path)).resolve_asset_graph()
    assert not [k for k in graph.get_all_asset_keys() if k.path[0] == "extract"]


def test_listed_sources_come_before_their_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSW_EXTRACT", "app_db")
    monkeypatch.setenv("CSW_APP_DB_DSN", "postgresql://u:p@127.0.0.1:1/app")
    graph = build_definitions(_settings(tmp_path)).resolve_asset_graph()
    extract_key = dg.AssetKey(["extract", "app_db"])
    assert graph.get(dg.AssetKey(["raw", "app_db__events"])).parent_keys == {extract_key}
    assert extract_key not in graph.get(dg.AssetKey(["raw", "stripe__customers"])).parent_keys


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("app_db,hubspot", "unknown source hubspot"),
        ("stripe", "CSW_EXTRACT lists stripe but STRIPE_API_KEY is not set"),
    ],
)
def test_a_wrong_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, message: str
) -> None:
    monkeypatch.setenv("CSW_EXTRACT", value)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.setenv("CSW_APP_DB_DSN", "postgresql://u:p@127.0.0.1:1/app")
    with pytest.raises(SystemExit, match=message):
        build_definitions(_settings(tmp_path))


def _materialize(app_dsn: str, extracts: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CSW_EXTRACT", "app_db")
    monkeypatch.setenv("CSW_APP_DB_DSN", app_dsn)
    [asset] = build_extract_assets(daily_partitions(dt.date(2026, 1, 1)))
    return dg.materialize(
        [asset],
        partition_key=DAY,
        resources={"extract": ExtractResource(extracts_dir=str(extracts), app_db_dsn=app_dsn)},
        raise_on_error=False,
    )


def test_the_asset_writes_the_drop_once(
    app_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        create_app_tables(conn)
        conn.execute("insert into csms values ('csm_001', 'Ada', 'ada@example.com')")
    first = _materialize(app_dsn, tmp_path, monkeypatch)
    assert first.success
    metadata = first.asset_materializations_for_node("extract__app_db")[0].metadata
    assert metadata["extracted"].value is True and metadata["csms.csv"].value == 1
    assert (tmp_path / "app_db" / DAY / "_manifest.json").is_file()
    again = _materialize(app_dsn, tmp_path, monkeypatch)  # a re-run of the same day
    metadata = again.asset_materializations_for_node("extract__app_db")[0].metadata
    assert metadata["extracted"].value is False and metadata["newest_drop"].value == DAY


def test_an_extraction_error_fails_the_step_with_its_message(
    app_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _materialize(app_dsn, tmp_path, monkeypatch)  # the database has no tables
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("extract app_db: table public.csms not found")
