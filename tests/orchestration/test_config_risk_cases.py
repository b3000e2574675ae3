"""config/risk_cases.yml: the shipped playbooks are §7's as written, and a file the transforms
cannot use is rejected with the file and the setting named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.config import CONFIG_DIR, ConfigError, load_risk_cases_config


def test_shipped_playbooks_are_section_7s_with_the_16_thresholds() -> None:
    config = load_risk_cases_config()
    cancel = config.playbook("cancellation_request")
    # §7 as written: four actions, the first an immediate call within 2 hours, escalated to the
    # CS manager then an executive.
    assert [a.action for a in cancel.actions] == [
        "Immediate call to customer",
        "Understand reasons and document",
        "Present save offer if appropriate",
        "Escalate to CS Manager if needed",
    ]
    assert cancel.actions[0].due_after_hours == 2 and cancel.origin == "playbook §7"
    assert config.playbook("nps_detractor").escalation_path == ("csm", "cs_manager", "product")
    assert config.playbook("no_login_14_days").timeline == "24 hours"
    # §16: > 80% target, warning < 70%, critical < 50%
    assert (
        config.completion_target,
        config.completion_warning_below,
        config.completion_critical_below,
    ) == (0.80, 0.70, 0.50)
    assert config.quiet_days_to_close == 14 and config.opening_grades == ("D", "F")
    # every trigger that can open a case has a playbook
    assert {p.trigger for p in config.playbooks} >= set(config.trigger_priority)


def _broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((CONFIG_DIR / "risk_cases.yml").read_text())
    edit(raw)
    path = tmp_path / "risk_cases.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            lambda c: c["playbooks"].pop("failed_payment"),
            "no playbook for the triggers failed_payment",
        ),
        (lambda c: c["completion"].update(warning_below=0.4), "critical_below < warning_below"),
        (
            lambda c: c["playbooks"]["nps_detractor"]["actions"].reverse(),
            "`playbooks.nps_detractor.actions`: action orders must run 1, 2, 3",
        ),
        (lambda c: c.update(quiet_days_to_close=0), "quiet_days_to_close"),
        (lambda c: c.update(version=2026), "quoted string"),
    ],
)
def test_unusable_settings_name_the_file_and_setting(tmp_path: Path, edit, fragment: str) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(ConfigError) as error:
        load_risk_cases_config(path)
    assert str(path) in str(error.value) and fragment in str(error.value)
