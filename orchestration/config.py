"""Reading config/*.yml: the publish gate's files.

The gate's thresholds (gate.yml), the Great Expectations suites (gx_suites.yml), the reviewed
anomalies (anomaly_annotations.yml) and the health-score file as rule 4 judges it. Each reader names
the file at fault when it cannot be used.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from data_contracts.gx_suites import SuiteConfig, parse_suites
from orchestration.settings import CONFIG_DIR


def _gate_yaml(path: Path) -> dict | list | None:
    """A gate YAML file's contents; None when the file does not exist."""
    if not path.exists():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc


def load_gate_config(rules: Iterable[str], path: Path = CONFIG_DIR / "gate.yml") -> dict:
    """The gate's settings (version, and per rule its thresholds); every rule of `rules` must
    have its section."""
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the gate's thresholds: {exc}") from exc
    missing = sorted(set(rules) - set(config.get("rules", {})))
    if missing:
        raise ValueError(f"{path}: no thresholds for rules {', '.join(missing)}")
    return config


def load_gx_suites(path: Path = CONFIG_DIR / "gx_suites.yml") -> SuiteConfig:
    """The Great Expectations suites of the published tables; a malformed entry is reported with
    the file and table."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the Great Expectations suites: {exc}") from exc
    return parse_suites(raw, path)


def load_anomaly_annotations(path: Path) -> list[dict]:
    """The reviewed anomalies that close rule 13's open ones (none when the file is absent)."""
    return (_gate_yaml(path) or {}).get("annotations") or []


def load_health_config_mapping(path: Path) -> dict | None:
    """The health-score configuration as written, for rule 4 to judge whether it documents its
    factors and weights (None when the file is absent: the rule reports it)."""
    return _gate_yaml(path)
