"""The config reader accepts the shipped files and rejects broken ones with a message naming the
file and the setting."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from orchestration.config import (
    CONFIG_DIR,
    ConfigError,
    load_calibration_config,
    load_churn_signals_config,
    load_engagement_config,
    load_expansion_config,
    load_health_config,
    load_lifecycle_config,
    load_nps_config,
    load_onboarding_config,
    load_support_config,
    parse_nps_config,
)
from transforms.support import competitor_pattern


def test_shipped_health_config_matches_the_spec() -> None:
    config = load_health_config()
    assert config.version == "2026.12.1"
    assert [(c.name, c.weight) for c in config.components] == [
        ("product_usage", 0.30),
        ("engagement", 0.25),
        ("support", 0.15),
        ("relationship", 0.15),
        ("financial", 0.15),
    ]
    assert len(config.metrics) == 15
    worsts = {m.name: m.worst for m in config.metrics if m.direction == "inverse"}
    assert worsts == {"days_since_last_login": 30, "open_tickets": 5, "escalations": 3}
    assert config.minimum_coverage == 0.6
    assert config.grades == (("A", 80), ("B", 60), ("C", 40), ("D", 20))
    assert config.trend_lookback_days == 7
    assert dict(config.core_features)["starter"] == (
        "chatbot_builder",
        "live_chat",
        "knowledge_base",
        "analytics_dashboard",
    )


def test_other_shipped_configs_load() -> None:
    assert len(load_churn_signals_config().signals) == 8
    assert load_lifecycle_config().at_risk_exit_health_at_least == 60
    assert sum(i.weight for i in load_engagement_config().inputs) == pytest.approx(1.0)
    assert load_expansion_config().advocacy_top_n == 20
    assert [p.id for p in load_onboarding_config().programs] == ["self-serve-v1", "mid-market-v1"]


def _broken_health(tmp_path: Path, edit: Callable[[dict], None]) -> Path:
    raw = yaml.safe_load((CONFIG_DIR / "health.yml").read_text())
    raw = copy.deepcopy(raw)
    edit(raw)
    path = tmp_path / "health.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_metric_weights_not_summing_to_one_name_the_file_and_component(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["components"]["support"]["metrics"]["escalations"]["weight"] = 0.1  # 0.4+0.4+0.1=0.9

    path = _broken_health(tmp_path, edit)
    with pytest.raises(ConfigError) as error:
        load_health_config(path)
    message = str(error.value)
    assert str(path) in message
    assert "component `support`" in message
    assert "sum to 0.9" in message


def test_component_weights_not_summing_to_one_are_rejected(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["components"]["financial"]["weight"] = 0.25  # 0.30+0.25+0.15+0.15+0.25 = 1.1

    path = _broken_health(tmp_path, edit)
    with pytest.raises(ConfigError, match=r"health\.yml at `components`.*sum to 1\.1"):
        load_health_config(path)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            lambda raw: raw["components"]["support"]["metrics"]["open_tickets"].pop("worst"),
            "inverse metric `open_tickets` needs a `worst`",
        ),
        (
            lambda raw: raw["components"]["relationship"]["metrics"]["nps_score"].pop("ideal"),
            "components.relationship.metrics.nps_score`: missing required setting `ideal`",
        ),
        (
            lambda raw: raw["components"]["relationship"]["metrics"]["nps_score"].pop("direction"),
            "missing required setting `direction`",
        ),
        (
            lambda raw: raw["components"]["relationship"]["metrics"]["nps_score"].pop("weight"),
            "missing required setting `weight`",
        ),
        (
            lambda raw: raw["components"]["engagement"]["metrics"]["days_since_last_login"].update(
                worst=1
            ),
            "worst (1) must be greater than ideal (1)",
        ),
        (
            lambda raw: raw["risk_factors"]["rules"][0].update(op="=>"),
            "unknown operator '=>'",
        ),
        (lambda raw: raw.update(version=2026.11), "the version must be a quoted string"),
        (lambda raw: raw.update(grades={"A": 60, "B": 80}), "from the highest to the lowest"),
    ],
)
def test_invalid_health_settings_are_rejected(tmp_path: Path, edit, fragment: str) -> None:
    path = _broken_health(tmp_path, edit)
    with pytest.raises(ConfigError) as error:
        load_health_config(path)
    assert str(path) in str(error.value)
    assert fragment in str(error.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yml: config file not found"):
        load_health_config(tmp_path / "nope.yml")


def test_engagement_weights_must_sum_to_one(tmp_path: Path) -> None:
    raw = yaml.safe_load((CONFIG_DIR / "engagement.yml").read_text())
    raw["inputs"]["csat"]["weight"] = 0.2
    path = tmp_path / "engagement.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"engagement\.yml at `inputs`: engagement input weights"):
        load_engagement_config(path)


def test_nps_config_errors_name_the_file_and_setting() -> None:
    raw = {
        "version": "x",
        "min_responses": 30,
        "min_sends_for_response_rate": 30,
        "warn_below_responses": {"month": 50, "quarter": 100},
        "fatigue_days": 90,
        "follow_up_hours": 72,
        "confidence": 0.95,
    }
    with pytest.raises(ValueError, match=r"config/nps.yml: missing settings \['min_responses'\]"):
        parse_nps_config({k: v for k, v in raw.items() if k != "min_responses"})
    with pytest.raises(ValueError, match="`fatigue_days` must be a positive whole number"):
        parse_nps_config({**raw, "fatigue_days": "90"})
    with pytest.raises(ValueError, match="config/nps.yml: confidence 0.9 is not supported"):
        parse_nps_config({**raw, "confidence": 0.9})


def test_shipped_nps_config_loads() -> None:
    config = load_nps_config()
    assert (config.min_responses, config.fatigue_days, config.follow_up_hours) == (30, 90, 72)
    assert (config.warn_below_responses_month, config.warn_below_responses_quarter) == (50, 100)
    assert config.z == 1.96 and config.alpha == 0.05


def test_shipped_competitor_config_matches_the_brief() -> None:
    names = load_support_config().competitors
    assert {"Intercom", "Drift", "Ada", "Zendesk Answer Bot"} <= set(names)
    competitor_pattern(names)  # every configured name has word edges


def test_shipped_calibration_config_matches_the_spec() -> None:
    # metrics.md §2: churn within 90 days of a month-end; the pooled row takes a year of month ends.
    config = load_calibration_config()
    assert (config.horizon_days, config.pooled_dates) == (90, 12)


def test_calibration_horizon_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "calibration.yml"
    path.write_text('version: "x"\nhorizon_days: 0\npooled_dates: 12\n')
    with pytest.raises(
        ConfigError, match=r"calibration\.yml at `horizon_days`: must be at least 1"
    ):
        load_calibration_config(path)
