"""The gate's config readers (orchestration/config.py): each names the file at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.config import (
    load_anomaly_annotations,
    load_gate_config,
    load_gx_suites,
    load_health_config_mapping,
)
from orchestration.gate.registry import RULES


def test_malformed_suite_config_names_file_and_table(tmp_path: Path) -> None:
    path = tmp_path / "gx_suites.yml"
    path.write_text("tables:\n  marts.nps_summary:\n    key: [segment]\n    rnages: {}\n")

    with pytest.raises(
        ValueError, match=r"gx_suites.yml: table marts.nps_summary: unknown setting"
    ):
        load_gx_suites(path)


def test_the_shipped_gate_config_has_every_rule() -> None:
    config = load_gate_config(RULES)
    assert set(RULES) <= set(config["rules"]) and config["version"]


def test_a_rule_without_thresholds_is_named_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gate.yml"
    path.write_text("version: '1'\nrules:\n  r01_nps_formula: {}\n")

    with pytest.raises(ValueError, match=r"gate.yml: no thresholds for rules r02_churn_method"):
        load_gate_config(RULES, path)


def test_absent_annotations_and_health_file_read_as_nothing(tmp_path: Path) -> None:
    assert load_anomaly_annotations(tmp_path / "none.yml") == []
    assert load_health_config_mapping(tmp_path / "none.yml") is None
    empty = tmp_path / "anomaly_annotations.yml"
    empty.write_text("version: '1'\nannotations: []\n")
    assert load_anomaly_annotations(empty) == []


def test_invalid_yaml_is_named_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "health_score.yml"
    path.write_text("components: [unclosed\n")

    with pytest.raises(ValueError, match=r"health_score.yml: not valid YAML"):
        load_health_config_mapping(path)
