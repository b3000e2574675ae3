"""Where the warehouse's Dagster instance lives (orchestration/instance.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.instance import DAGSTER_YAML, prepare_dagster_home, warehouse_instance
from orchestration.settings import Settings


def _settings(tmp_path: Path) -> Settings:
    return Settings(extracts_dir=tmp_path / "extracts", warehouse_dir=tmp_path / "warehouse")


def test_the_instance_lives_under_the_warehouse_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(_settings(tmp_path))
    assert home == tmp_path / "warehouse" / "dagster_home"
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    with warehouse_instance(_settings(tmp_path)) as instance:
        assert instance.is_persistent
        assert Path(instance.root_directory) == home
        assert instance.get_runs() == []


def test_dagster_home_in_the_environment_wins_and_its_dagster_yaml_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    own = "# the operator's own settings\ntelemetry:\n  enabled: false\n"
    (elsewhere / "dagster.yaml").write_text(own)
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    with warehouse_instance(_settings(tmp_path)) as instance:
        assert Path(instance.root_directory) == elsewhere
    assert (elsewhere / "dagster.yaml").read_text() == own
    assert not (tmp_path / "warehouse" / "dagster_home").exists()
