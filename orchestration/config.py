"""The one reader of `config/`: each versioned YAML file in, the typed settings its transforms take out.

Each `load_<area>_config` reads `config/<area>.yml`, checks it against the rules the transforms rely
on (weights that sum to 1, an ideal, direction and weight for every metric, a worst for inverse
metrics, known operators) and returns the frozen dataclass of that area's transforms module. Every
error names the file and the setting at fault. Assets load a config once per run and pass it in;
nothing under `transforms/` reads a file.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from data_contracts.gx_suites import SuiteConfig, parse_suites
from data_contracts.plausibility import Plausibility
from transforms import stats
from transforms.calibration import CalibrationConfig
from transforms.churn_signals import ChurnSignalConfig, ChurnSignalRule
from transforms.comparisons import OPERATORS, Operator, ThresholdRule
from transforms.engagement import EngagementConfig, EngagementInput
from transforms.events import DeliveryConfig
from transforms.expansion import ExpansionConfig, ExpansionSignalRule
from transforms.health import ComponentSpec, HealthScoreConfig, MetricSpec
from transforms.lifecycle import STAGES, LifecycleConfig
from transforms.nps import NpsConfig
from transforms.onboarding import OnboardingConfig, OnboardingMilestone, OnboardingProgram
from transforms.risk_cases import PlaybookAction, RiskCaseConfig, SavePlaybook
from transforms.support import SupportConfig

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"

WEIGHT_SUM_TOLERANCE = 1e-9
SEVERITIES = ("low", "medium", "high", "critical")


class ConfigError(ValueError):
    """A config file that the transforms cannot use as written."""


class _Reader:
    """Typed access to a parsed YAML mapping that reports the file and key path on failure."""

    def __init__(self, source: str, data: Any, where: str = "") -> None:
        self.source = source
        self.data = data
        self.where = where

    def fail(self, message: str) -> ConfigError:
        location = f" at `{self.where}`" if self.where else ""
        return ConfigError(f"{self.source}{location}: {message}")

    def mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.data, Mapping):
            raise self.fail(f"expected a mapping, found {type(self.data).__name__}")
        return self.data

    def child(self, key: str) -> _Reader:
        data = self.mapping()
        if key not in data:
            raise self.fail(f"missing required setting `{key}`")
        where = f"{self.where}.{key}" if self.where else key
        return _Reader(self.source, data[key], where)

    def optional(self, key: str, default: Any) -> _Reader:
        data = self.mapping()
        where = f"{self.where}.{key}" if self.where else key
        return _Reader(self.source, data.get(key, default), where)

    def items(self) -> list[tuple[str, _Reader]]:
        return [(str(k), self.child(str(k))) for k in self.mapping()]

    def elements(self) -> list[_Reader]:
        if not isinstance(self.data, list):
            raise self.fail(f"expected a list, found {type(self.data).__name__}")
        return [_Reader(self.source, v, f"{self.where}[{i}]") for i, v in enumerate(self.data)]

    def number(self) -> float:
        if isinstance(self.data, bool) or not isinstance(self.data, int | float):
            raise self.fail(f"expected a number, found {self.data!r}")
        if not math.isfinite(float(self.data)):
            raise self.fail(f"expected a finite number, found {self.data!r}")
        return float(self.data)

    def integer(self) -> int:
        if isinstance(self.data, bool) or not isinstance(self.data, int):
            raise self.fail(f"expected a whole number, found {self.data!r}")
        return int(self.data)

    def text(self) -> str:
        if not isinstance(self.data, str) or not self.data:
            raise self.fail(f"expected a non-empty string, found {self.data!r}")
        return self.data

    def flag(self) -> bool:
        if not isinstance(self.data, bool):
            raise self.fail(f"expected true or false, found {self.data!r}")
        return self.data

    def texts(self) -> tuple[str, ...]:
        return tuple(e.text() for e in self.elements())

    def operator(self) -> Operator:
        if self.data not in OPERATORS:
            raise self.fail(f"unknown operator {self.data!r}; use one of {', '.join(OPERATORS)}")
        return self.data  # type: ignore[return-value]


def _read_yaml(path: Path) -> _Reader:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    return _Reader(str(path), data)


def _version(root: _Reader) -> str:
    version = root.child("version")
    if not isinstance(version.data, str):
        raise version.fail('the version must be a quoted string, e.g. "2026.11.1"')
    return version.text()


def _threshold_rule(name: str, node: _Reader) -> ThresholdRule:
    return ThresholdRule(
        name=name,
        input=node.child("input").text(),
        op=node.child("op").operator(),
        threshold=node.child("threshold").number(),
    )


def _check_weight_sum(node: _Reader, weights: list[float], what: str) -> None:
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise node.fail(
            f"{what} weights sum to {total:.6g}, not 1; adjust them so they add up to 1"
        )


def _check_positive(node: _Reader, value: float, name: str) -> None:
    if value <= 0:
        raise node.fail(f"{name} must be greater than 0, found {value:g}")


# --------------------------------------------------------------------------- health score


def _metric(name: str, node: _Reader) -> MetricSpec:
    direction = node.child("direction").text()
    if direction not in ("higher", "inverse"):
        raise node.child("direction").fail(
            f"direction must be `higher` or `inverse`, found {direction!r}"
        )
    ideal = node.child("ideal").number()
    weight = node.child("weight").number()
    _check_positive(node, weight, "weight")
    worst: float | None = None
    if direction == "inverse":
        if "worst" not in node.mapping():
            raise node.fail(
                f"inverse metric `{name}` needs a `worst` (the value that scores 0), "
                "e.g. days_since_last_login 30, open_tickets 5, escalations 3"
            )
        worst = node.child("worst").number()
        if worst <= ideal:
            raise node.fail(f"worst ({worst:g}) must be greater than ideal ({ideal:g})")
    else:
        _check_positive(node, ideal, "ideal of a higher-is-better metric")
    return MetricSpec(name=name, ideal=ideal, weight=weight, direction=direction, worst=worst)


def _components(components_node: _Reader) -> tuple[ComponentSpec, ...]:
    components: list[ComponentSpec] = []
    seen_metrics: set[str] = set()
    for comp_name, comp in components_node.items():
        metrics_node = comp.child("metrics")
        metrics = tuple(_metric(name, node) for name, node in metrics_node.items())
        if not metrics:
            raise metrics_node.fail(f"component `{comp_name}` has no metrics")
        for m in metrics:
            if m.name in seen_metrics:
                raise metrics_node.fail(f"metric `{m.name}` appears in more than one component")
            seen_metrics.add(m.name)
        _check_weight_sum(
            metrics_node, [m.weight for m in metrics], f"component `{comp_name}`: metric"
        )
        weight = comp.child("weight").number()
        _check_positive(comp, weight, "weight")
        label = comp.optional("label", comp_name).text()
        components.append(ComponentSpec(comp_name, label, weight, metrics))
    if not components:
        raise components_node.fail("no components")
    _check_weight_sum(components_node, [c.weight for c in components], "component")
    return tuple(components)


def _health_config(root: _Reader) -> HealthScoreConfig:
    version = _version(root)
    minimum_coverage = root.child("minimum_coverage").number()
    if not 0 < minimum_coverage <= 1:
        raise root.child("minimum_coverage").fail("must lie in (0, 1]")
    components = _components(root.child("components"))

    grades_node = root.child("grades")
    grades = tuple((g, node.number()) for g, node in grades_node.items())
    minima = [m for _, m in grades]
    if not grades or minima != sorted(minima, reverse=True) or len(set(minima)) != len(minima):
        raise grades_node.fail("grade minima must be listed from the highest to the lowest")

    trend = root.child("trend")
    lookback = trend.child("lookback_days").integer()
    if lookback < 1:
        raise trend.child("lookback_days").fail("must be at least 1")
    improving = trend.child("improving_at_least").number()
    declining = trend.child("declining_at_most").number()
    if not declining < 0 < improving:
        raise trend.fail("improving_at_least must be > 0 and declining_at_most < 0")

    risk = root.child("risk_factors")
    risk_rules = tuple(
        _threshold_rule(r.child("name").text(), r) for r in risk.child("rules").elements()
    )
    opportunity_rules = tuple(
        _threshold_rule(r.child("name").text(), r)
        for r in root.child("opportunities").child("rules").elements()
    )

    alerts = root.child("alerts")
    drop = alerts.child("score_drop")
    at_risk = alerts.child("entered_at_risk_grade")
    at_risk_grades = at_risk.child("grades").texts()
    known_grades = {g for g, _ in grades} | {"F"}
    unknown = [g for g in at_risk_grades if g not in known_grades]
    if unknown:
        raise at_risk.child("grades").fail(f"unknown grades {unknown}")

    stake = alerts.child("mrr_at_stake")
    raise_at = stake.child("raise_severity_at_least").number()
    _check_positive(stake, raise_at, "raise_severity_at_least")

    core = root.child("core_features")
    return HealthScoreConfig(
        version=version,
        minimum_coverage=minimum_coverage,
        components=components,
        grades=grades,
        fallback_grade="F",
        trend_lookback_days=lookback,
        trend_improving_at_least=improving,
        trend_declining_at_most=declining,
        risk_component_score_below=risk.child("component_score_below").number(),
        risk_component_trend_down=risk.child("component_trend_down").flag(),
        risk_rules=risk_rules,
        opportunity_rules=opportunity_rules,
        alert_score_drop_more_than=drop.child("more_than").number(),
        alert_score_drop_severity=drop.child("severity").text(),
        alert_at_risk_grades=at_risk_grades,
        alert_at_risk_severity=at_risk.child("severity").text(),
        alert_mrr_raise_severity_at_least=raise_at,
        core_features=tuple((plan, node.texts()) for plan, node in core.items()),
    )


def load_health_config(path: Path = CONFIG_DIR / "health.yml") -> HealthScoreConfig:
    """The health score settings of metrics.md §2, validated."""
    return _health_config(_read_yaml(path))


# --------------------------------------------------------------------------- churn signals


def _severity(node: _Reader) -> str:
    severity = node.text()
    if severity not in SEVERITIES:
        raise node.fail(f"severity must be one of {', '.join(SEVERITIES)}, found {severity!r}")
    return severity


def load_churn_signals_config(
    path: Path = CONFIG_DIR / "churn_signals.yml",
) -> ChurnSignalConfig:
    """The churn-signal rules of metrics.md §4, validated."""
    root = _read_yaml(path)
    signals = []
    for name, node in root.child("signals").items():
        rule = _threshold_rule(name, node)
        signals.append(
            ChurnSignalRule(
                name, rule.input, rule.op, rule.threshold, _severity(node.child("severity"))
            )
        )
    window = root.child("competitor_mention_window_days").integer()
    return ChurnSignalConfig(
        version=_version(root),
        signals=tuple(signals),
        competitors=root.child("competitors").texts(),
        competitor_mention_window_days=window,
    )


# --------------------------------------------------------------------------- lifecycle

# fmt: off
#: LifecycleConfig field ← (rule under `rules`, its setting, how the setting is read).
_LIFECYCLE_RULE_SETTINGS = {
    "trial_to_onboarding_state":                    ("trial_to_onboarding", "subscription_state", "text"),
    "onboarding_to_adopting_completion_at_least":   ("onboarding_to_adopting", "onboarding_completion_at_least", "number"),
    "onboarding_window_ended_completion_at_least":  ("onboarding_to_adopting", "window_ended_completion_at_least", "number"),
    "onboarding_to_at_risk_completion_below":       ("onboarding_to_at_risk", "onboarding_completion_below", "number"),
    "onboarding_window_days_without_program":       ("onboarding_to_at_risk", "window_days_without_program", "integer"),
    "adopting_to_growing_health_at_least":          ("adopting_to_growing", "health_at_least", "number"),
    "adopting_to_growing_tenure_days_over":         ("adopting_to_growing", "tenure_days_over", "integer"),
    "growing_to_renewing_days_to_term_end_at_most": ("growing_to_renewing", "days_to_term_end_at_most", "integer"),
    "growing_to_renewing_term_months_at_least":     ("growing_to_renewing", "term_months_at_least", "integer"),
    "growing_to_advocating_nps_at_least":           ("growing_to_advocating", "nps_at_least", "number"),
    "growing_to_advocating_health_at_least":        ("growing_to_advocating", "health_at_least", "number"),
    "expanding_to_growing_days_in_stage_over":      ("expanding_to_growing", "days_in_stage_over", "integer"),
    "churned_to_onboarding_state":                  ("churned_to_onboarding", "subscription_state", "text"),
    "advocating_to_growing_health_below":           ("advocating_to_growing", "health_below", "number"),
    "advocating_to_growing_nps_below":              ("advocating_to_growing", "nps_below", "number"),
}
# fmt: on
#: Rules of metrics.md §5 that a flag names but may not turn off.
_LIFECYCLE_FIXED_RULES = (
    ("growing_to_expanding", "expansion_opportunity"),
    ("renewing_to_growing", "term_end_moved_later"),
    ("expanding_to_growing", "mrr_rose"),
)


def load_lifecycle_config(path: Path = CONFIG_DIR / "lifecycle.yml") -> LifecycleConfig:
    """The lifecycle stage rules of metrics.md §5, validated."""
    root = _read_yaml(path)
    stages = root.child("stages").texts()
    if set(stages) != set(STAGES):
        raise root.child("stages").fail(f"stages must be exactly {sorted(STAGES)}")
    entry = tuple((state, node.text()) for state, node in root.child("entry_stage").items())
    for state, stage in entry:
        if stage not in STAGES:
            raise root.child("entry_stage").fail(f"`{state}` maps to unknown stage {stage!r}")
    at_risk = root.child("at_risk")
    enter = at_risk.child("enter_when_any")
    rules = root.child("rules")
    exit_to = at_risk.child("exit_to").text()
    if exit_to not in STAGES:
        raise at_risk.child("exit_to").fail(f"unknown stage {exit_to!r}")
    for name, key in _LIFECYCLE_FIXED_RULES:
        if not rules.child(name).child(key).flag():
            raise (
                rules.child(name)
                .child(key)
                .fail("this rule is part of metrics.md §5 and cannot be disabled")
            )
    if not enter.child("cancellation_requested").flag():
        raise enter.child("cancellation_requested").fail(
            "an open cancellation request puts an account at risk (metrics.md §5 rule 2); "
            "it cannot be disabled"
        )
    rule_settings = {
        field: getattr(rules.child(name).child(key), kind)()
        for field, (name, key, kind) in _LIFECYCLE_RULE_SETTINGS.items()
    }
    return LifecycleConfig(
        version=_version(root),
        stages=stages,
        live_subscription_states=root.child("live_subscription_states").texts(),
        entry_stage=entry,
        at_risk_health_below=enter.child("health_below").number(),
        at_risk_days_without_login_over=enter.child("days_without_login_over").number(),
        at_risk_high_urgent_open_tickets_over=enter.child("high_urgent_open_tickets_over").number(),
        at_risk_nps_at_most=enter.child("nps_at_most").number(),
        at_risk_exit_health_at_least=at_risk.child("exit_health_at_least").number(),
        at_risk_exit_to=exit_to,
        **rule_settings,
    )


# --------------------------------------------------------------------------- calibration


def load_calibration_config(path: Path = CONFIG_DIR / "calibration.yml") -> CalibrationConfig:
    """The backtest of the health score against churn (metrics.md §2): horizon and pooling."""
    root = _read_yaml(path)
    horizon = root.child("horizon_days").integer()
    if horizon < 1:
        raise root.child("horizon_days").fail("must be at least 1")
    pooled = root.child("pooled_dates").integer()
    if pooled < 1:
        raise root.child("pooled_dates").fail("must be at least 1")
    return CalibrationConfig(version=_version(root), horizon_days=horizon, pooled_dates=pooled)


# --------------------------------------------------------------------------- engagement


def load_engagement_config(path: Path = CONFIG_DIR / "engagement.yml") -> EngagementConfig:
    """The monthly engagement score settings of metrics.md §3, validated."""
    root = _read_yaml(path)
    inputs_node = root.child("inputs")
    inputs = []
    for name, node in inputs_node.items():
        target = node.child("target").number()
        weight = node.child("weight").number()
        _check_positive(node, target, "target")
        _check_positive(node, weight, "weight")
        inputs.append(EngagementInput(name, target, weight))
    _check_weight_sum(inputs_node, [i.weight for i in inputs], "engagement input")
    levels = root.child("levels")
    high, medium = levels.child("high").number(), levels.child("medium").number()
    if not high > medium:
        raise levels.fail("the `high` level must be above `medium`")
    return EngagementConfig(_version(root), tuple(inputs), high, medium)


# --------------------------------------------------------------------------- expansion, advocacy


def load_expansion_config(path: Path = CONFIG_DIR / "expansion.yml") -> ExpansionConfig:
    """The expansion signals, opportunity values and advocacy rules of metrics.md §9, validated."""
    root = _read_yaml(path)
    signals = []
    for name, node in root.child("signals").items():
        rule = _threshold_rule(name, node)
        weight = node.child("weight").number()
        _check_positive(node, weight, "weight")
        signals.append(ExpansionSignalRule(name, rule.input, rule.op, rule.threshold, weight))
    signal_names = {s.name for s in signals}
    opportunities = root.child("opportunities")

    def opportunity_signal(kind: str) -> str:
        node = opportunities.child(kind).child("signal")
        if node.text() not in signal_names:
            raise node.fail(f"unknown signal {node.data!r}; known: {sorted(signal_names)}")
        return node.text()

    advocacy = root.child("advocacy")
    tiers = tuple((name, node.integer()) for name, node in advocacy.child("tiers").items())
    if [p for _, p in tiers] != sorted(p for _, p in tiers) or not tiers or tiers[0][1] != 0:
        raise advocacy.child("tiers").fail("tiers must start at 0 points and rise")
    return ExpansionConfig(
        version=_version(root),
        signals=tuple(signals),
        plan_ladder=root.child("plan_ladder").texts(),
        upsell_signal=opportunity_signal("upsell"),
        upsell_share_of_mrr=opportunities.child("upsell").child("share_of_mrr").number(),
        upsell_timing=opportunities.child("upsell").child("timing").text(),
        seats_signal=opportunity_signal("add_seats"),
        seats_timing=opportunities.child("add_seats").child("timing").text(),
        features_signal=opportunity_signal("add_features"),
        price_per_blocked_feature=opportunities.child("add_features")
        .child("price_per_blocked_feature")
        .number(),
        features_timing=opportunities.child("add_features").child("timing").text(),
        advocacy_nps_at_least=advocacy.child("nps_at_least").number(),
        advocacy_health_at_least=advocacy.child("health_at_least").number(),
        advocacy_top_n=advocacy.child("top_n").integer(),
        advocacy_tiers=tiers,
    )


# --------------------------------------------------------------------------- onboarding


def _onboarding_program(program_id: str, node: _Reader) -> OnboardingProgram:
    step_nodes = node.child("steps").elements()
    steps = tuple(s.child("id").text() for s in step_nodes)
    required = tuple(s.child("id").text() for s in step_nodes if s.child("required").flag())
    if not required:
        raise node.child("steps").fail(f"program `{program_id}` has no required step")
    first_value = node.child("first_value_step").text()
    if first_value not in steps:
        raise node.child("first_value_step").fail(f"{first_value!r} is not a step")
    milestones = []
    for m in node.child("milestones").elements():
        all_required = m.optional("all_required", False).flag()
        m_steps = required if all_required else m.child("steps").texts()
        unknown = [s for s in m_steps if s not in steps]
        if unknown:
            raise m.fail(f"unknown steps {unknown}")
        milestones.append(
            OnboardingMilestone(m.child("id").text(), m.child("target_day").integer(), m_steps)
        )
    return OnboardingProgram(
        id=program_id,
        segments=node.child("segments").texts(),
        duration_days=node.child("duration_days").integer(),
        first_value_step=first_value,
        steps=steps,
        required_steps=required,
        milestones=tuple(milestones),
    )


def load_onboarding_config(path: Path = CONFIG_DIR / "onboarding.yml") -> OnboardingConfig:
    """The onboarding programs of metrics.md §8, validated."""
    root = _read_yaml(path)
    programs = []
    seen_segments: set[str] = set()
    for program_id, node in root.child("programs").items():
        program = _onboarding_program(program_id, node)
        overlap = seen_segments & set(program.segments)
        if overlap:
            raise node.child("segments").fail(f"segments {sorted(overlap)} belong to two programs")
        seen_segments |= set(program.segments)
        programs.append(program)
    return OnboardingConfig(
        version=_version(root),
        stalled_after_days=root.child("stalled_after_days").integer(),
        programs=tuple(programs),
    )


# --------------------------------------------------------------------------- NPS, support

_NPS_SETTINGS = frozenset(
    {
        "version",
        "min_responses",
        "min_sends_for_response_rate",
        "warn_below_responses",
        "fatigue_days",
        "follow_up_hours",
        "confidence",
    }
)


def _positive_int(raw: Mapping[str, Any], key: str, source: str) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{source}: `{key}` must be a positive whole number, got {value!r}")
    return value


def parse_nps_config(raw: Mapping[str, Any], source: str = "config/nps.yml") -> NpsConfig:
    """NpsConfig from the parsed YAML mapping: exactly the expected settings, each valid."""
    missing = sorted(_NPS_SETTINGS - set(raw))
    unknown = sorted(set(raw) - _NPS_SETTINGS)
    if missing or unknown:
        raise ConfigError(
            f"{source}: missing settings {missing or 'none'}, unknown settings "
            f"{unknown or 'none'}; expected exactly {sorted(_NPS_SETTINGS)}"
        )
    warn = raw["warn_below_responses"]
    if not isinstance(warn, Mapping) or set(warn) != {"month", "quarter"}:
        raise ConfigError(
            f"{source}: warn_below_responses must map `month` and `quarter` to response "
            f"counts, got {warn!r}"
        )
    config = NpsConfig(
        version=str(raw["version"]),
        min_responses=_positive_int(raw, "min_responses", source),
        min_sends_for_response_rate=_positive_int(raw, "min_sends_for_response_rate", source),
        warn_below_responses_month=_positive_int(warn, "month", source),
        warn_below_responses_quarter=_positive_int(warn, "quarter", source),
        fatigue_days=_positive_int(raw, "fatigue_days", source),
        follow_up_hours=_positive_int(raw, "follow_up_hours", source),
        confidence=float(raw["confidence"]),
    )
    try:
        stats.z_for_confidence(config.confidence)
    except ValueError as error:
        raise ConfigError(f"{source}: {error}") from None
    return config


def load_nps_config(path: Path = CONFIG_DIR / "nps.yml") -> NpsConfig:
    """The NPS statistics settings of metrics.md §7, validated."""
    root = _read_yaml(path)
    return parse_nps_config(root.mapping(), source=root.source)


def load_support_config(path: Path = CONFIG_DIR / "support.yml") -> SupportConfig:
    """The support mart settings of metrics.md §6: the competitor names counted in tickets."""
    root = _read_yaml(path)
    return SupportConfig(version=_version(root), competitors=root.child("competitors").texts())


def load_ingest_config(path: Path = CONFIG_DIR / "ingest.yml") -> Plausibility:
    """The window a drop's timestamps must fall in (the company's first date, the tolerance and
    horizon past a drop's date), validated."""
    root = _read_yaml(path)
    _version(root)
    start = root.child("company_start_date")
    try:
        company_start = dt.date.fromisoformat(start.text())
    except ValueError as exc:
        raise start.fail(f"is not a date (YYYY-MM-DD): {exc}") from exc
    tolerance = root.child("happened_tolerance_days").integer()
    horizon = root.child("scheduled_horizon_days").integer()
    if tolerance < 0 or horizon < tolerance:
        raise root.fail(
            "happened_tolerance_days must be ≥ 0 and scheduled_horizon_days at least as large"
        )
    return Plausibility(company_start, tolerance, horizon)


# --------------------------------------------------------------------------- the publish gate


def _gate_yaml(path: Path) -> dict | list | None:
    """A gate YAML file's contents; None when the file does not exist."""
    if not path.exists():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def load_gate_config(rules: Iterable[str], path: Path = CONFIG_DIR / "gate.yml") -> dict:
    """The gate's settings (version, and per rule its thresholds); every rule of `rules` must
    have its section."""
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the gate's thresholds: {exc}") from exc
    missing = sorted(set(rules) - set(config.get("rules", {})))
    if missing:
        raise ConfigError(f"{path}: no thresholds for rules {', '.join(missing)}")
    return config


def load_gx_suites(path: Path = CONFIG_DIR / "gx_suites.yml") -> SuiteConfig:
    """The Great Expectations suites of the published tables; a malformed entry is reported with
    the file and table."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the Great Expectations suites: {exc}") from exc
    return parse_suites(raw, path)


def load_anomaly_annotations(path: Path) -> list[dict]:
    """The reviewed anomalies that close rule 13's open ones (none when the file is absent)."""
    return (_gate_yaml(path) or {}).get("annotations") or []


def load_health_config_mapping(path: Path) -> dict | None:
    """The health-score configuration as written, for rule 4 to judge whether it documents its
    factors and weights (None when the file is absent: the rule reports it)."""
    return _gate_yaml(path)


# --------------------------------------------------------------------------- risk cases


def _playbook(trigger: str, node: _Reader) -> SavePlaybook:
    actions = tuple(
        PlaybookAction(
            order=a.child("order").integer(),
            action=a.child("action").text(),
            channel=a.child("channel").text(),
            timing=a.child("timing").text(),
            due_after_hours=a.child("due_after_hours").number(),
        )
        for a in node.child("actions").elements()
    )
    orders = [a.order for a in actions]
    if orders != list(range(1, len(actions) + 1)):
        raise node.child("actions").fail(f"action orders must run 1, 2, 3, … in order: {orders}")
    for action in actions:
        if action.due_after_hours <= 0:
            raise node.child("actions").fail(f"action {action.order}: due_after_hours must be > 0")
    return SavePlaybook(
        trigger=trigger,
        origin=node.child("origin").text(),
        timeline=node.child("timeline").text(),
        owner=node.child("owner").text(),
        escalation_path=node.child("escalation_path").texts(),
        actions=actions,
    )


def load_risk_cases_config(path: Path = CONFIG_DIR / "risk_cases.yml") -> RiskCaseConfig:
    """The risk-case rules and save playbooks of metrics.md §12, validated: every trigger has a
    playbook, and the completion thresholds are ordered critical < warning ≤ target."""
    root = _read_yaml(path)
    playbooks = tuple(_playbook(name, node) for name, node in root.child("playbooks").items())
    priority = root.child("trigger_priority").texts()
    missing = [t for t in priority if t not in {p.trigger for p in playbooks}]
    if missing:
        raise root.child("playbooks").fail(f"no playbook for the triggers {', '.join(missing)}")
    completion = root.child("completion")
    target = completion.child("target").number()
    warning = completion.child("warning_below").number()
    critical = completion.child("critical_below").number()
    if not 0 <= critical < warning <= target <= 1:
        raise completion.fail("expected 0 ≤ critical_below < warning_below ≤ target ≤ 1")
    quiet = root.child("quiet_days_to_close").integer()
    if quiet < 1:
        raise root.child("quiet_days_to_close").fail("must be at least 1 day")
    return RiskCaseConfig(
        version=_version(root),
        quiet_days_to_close=quiet,
        opening_signal_severity=_severity(root.child("opening_signal_severity")),
        opening_grades=root.child("opening_grades").texts(),
        trigger_priority=priority,
        completion_target=target,
        completion_warning_below=warning,
        completion_critical_below=critical,
        min_actions=completion.child("min_actions").integer(),
        min_closed_cases=root.child("save_rate").child("min_closed_cases").integer(),
        playbooks=playbooks,
    )


def load_events_config(path: Path = CONFIG_DIR / "events.yml") -> DeliveryConfig:
    """How `csw notify` delivers marts.cs_events (timeouts, backoff, give-up time), validated."""
    root = _read_yaml(path)
    node = root.child("delivery")
    values = {
        name: node.child(name).number()
        for name in (
            "connect_timeout_seconds",
            "read_timeout_seconds",
            "backoff_factor_seconds",
            "backoff_max_seconds",
            "give_up_after_seconds",
        )
    }
    for name, value in values.items():
        _check_positive(node, value, name)
    max_age = node.child("max_event_age_days")
    if max_age.integer() < 1:
        raise max_age.fail("expected at least 1 day")
    return DeliveryConfig(**values, max_event_age_days=max_age.integer(), version=_version(root))
