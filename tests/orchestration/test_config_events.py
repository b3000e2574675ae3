"""config/events.yml: the delivery settings csw notify reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.config import CONFIG_DIR, ConfigError, load_events_config


def test_the_shipped_config_loads() -> None:
    config = load_events_config()
    assert config.give_up_after_seconds == 300 and config.max_event_age_days == 14


def test_a_bad_setting_names_the_file_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "events.yml"
    text = (CONFIG_DIR / "events.yml").read_text()
    bad.write_text(text.replace("give_up_after_seconds: 300", "give_up_after_seconds: 0"))
    with pytest.raises(ConfigError, match=r"events.yml at `delivery`: give_up_after_seconds"):
        load_events_config(bad)
