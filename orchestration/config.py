"""Load and validate the versioned YAML settings of the customer-health transforms.

Each loader reads one file of `config/`, checks it against the rules the scoring relies on (weights
that sum to 1, an ideal, direction and weight for every metric, a worst for inverse metrics, known
operators) and returns frozen dataclasses. Every error names the file and the setting at fault.
The transforms never read files themselves: the caller loads a config once and passes it in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from transforms.comparisons import OPERATORS, Operator

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"

WEIGHT_SUM_TOLERANCE = 1e-9

Direction = Literal["higher", "inverse"]


class ConfigError(ValueError):
    """A config file that the transforms cannot use as written."""


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class ThresholdRule:
    """`name` holds for a row when `input op threshold` holds (never where the input is NULL)."""

    name: str
    input: str
    op: Operator
    threshold: float


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


@dataclass(frozen=True)
class MetricSpec:
    """One health metric: its ideal, weight within its component, direction and (inverse) worst."""

    name: str
    ideal: float
    weight: float
    direction: Direction
    worst: float | None


@dataclass(frozen=True)
class ComponentSpec:
    """A health component: the weighted mean of its metrics, weighted in turn in the score."""

    name: str
    label: str
    weight: float
    metrics: tuple[MetricSpec, ...]


@dataclass(frozen=True)
class HealthScoreConfig:
    version: str
    minimum_coverage: float
    components: tuple[ComponentSpec, ...]
    #: (grade, minimum rounded score) from best to worst; below the last, `fallback_grade`.
    grades: tuple[tuple[str, float], ...]
    fallback_grade: str
    trend_lookback_days: int
    trend_improving_at_least: float
    trend_declining_at_most: float
    risk_component_score_below: float
    risk_component_trend_down: bool
    risk_rules: tuple[ThresholdRule, ...]
    opportunity_rules: tuple[ThresholdRule, ...]
    alert_score_drop_more_than: float
    alert_score_drop_severity: str
    alert_at_risk_grades: tuple[str, ...]
    alert_at_risk_severity: str
    core_features: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def metrics(self) -> tuple[MetricSpec, ...]:
        return tuple(m for c in self.components for m in c.metrics)

    @property
    def rule_inputs(self) -> tuple[str, ...]:
        """Input columns the risk and opportunity rules read, beyond the scored metrics."""
        scored = {m.name for m in self.metrics}
        names = [r.input for r in (*self.risk_rules, *self.opportunity_rules)]
        return tuple(dict.fromkeys(n for n in names if n not in scored))


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


def parse_health_score_config(root: _Reader) -> HealthScoreConfig:
    version = _version(root)
    minimum_coverage = root.child("minimum_coverage").number()
    if not 0 < minimum_coverage <= 1:
        raise root.child("minimum_coverage").fail("must lie in (0, 1]")

    components: list[ComponentSpec] = []
    seen_metrics: set[str] = set()
    components_node = root.child("components")
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

    core = root.child("core_features")
    core_features = tuple((plan, node.texts()) for plan, node in core.items())

    return HealthScoreConfig(
        version=version,
        minimum_coverage=minimum_coverage,
        components=tuple(components),
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
        core_features=core_features,
    )


def load_health_score_config(path: Path = CONFIG_DIR / "health_score.yml") -> HealthScoreConfig:
    """The health score settings of metrics.md §2, validated."""
    return parse_health_score_config(_read_yaml(path))


# --------------------------------------------------------------------------- churn signals


@dataclass(frozen=True)
class ChurnSignalRule:
    name: str
    input: str
    op: Operator
    threshold: float
    severity: str


@dataclass(frozen=True)
class ChurnSignalConfig:
    version: str
    signals: tuple[ChurnSignalRule, ...]
    competitors: tuple[str, ...]
    competitor_mention_window_days: int


SEVERITIES = ("low", "medium", "high", "critical")


def _severity(node: _Reader) -> str:
    severity = node.text()
    if severity not in SEVERITIES:
        raise node.fail(f"severity must be one of {', '.join(SEVERITIES)}, found {severity!r}")
    return severity


def load_churn_signal_config(path: Path = CONFIG_DIR / "churn_signals.yml") -> ChurnSignalConfig:
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


@dataclass(frozen=True)
class LifecycleConfig:
    version: str
    stages: tuple[str, ...]
    live_subscription_states: tuple[str, ...]
    entry_stage: tuple[tuple[str, str], ...]
    at_risk_health_below: float
    at_risk_days_without_login_over: float
    at_risk_high_urgent_open_tickets_over: float
    at_risk_nps_at_most: float
    at_risk_exit_health_at_least: float
    at_risk_exit_to: str
    trial_to_onboarding_state: str
    onboarding_to_adopting_completion_at_least: float
    onboarding_to_at_risk_days_in_stage_over: int
    onboarding_to_at_risk_completion_below: float
    adopting_to_growing_health_at_least: float
    adopting_to_growing_tenure_days_over: int
    growing_to_renewing_days_to_term_end_at_most: int
    growing_to_renewing_term_months_at_least: int
    growing_to_advocating_nps_at_least: float
    growing_to_advocating_health_at_least: float
    expanding_to_growing_days_in_stage_over: int
    churned_to_onboarding_state: str
    advocating_to_growing_health_below: float
    advocating_to_growing_nps_below: float


def load_lifecycle_config(path: Path = CONFIG_DIR / "lifecycle.yml") -> LifecycleConfig:
    """The lifecycle stage rules of metrics.md §5, validated."""
    root = _read_yaml(path)
    stages = root.child("stages").texts()
    expected = {
        "trial",
        "onboarding",
        "adopting",
        "growing",
        "renewing",
        "expanding",
        "advocating",
        "at_risk",
        "churned",
    }
    if set(stages) != expected:
        raise root.child("stages").fail(f"stages must be exactly {sorted(expected)}")
    entry = tuple((state, node.text()) for state, node in root.child("entry_stage").items())
    for state, stage in entry:
        if stage not in expected:
            raise root.child("entry_stage").fail(f"`{state}` maps to unknown stage {stage!r}")
    at_risk = root.child("at_risk")
    enter = at_risk.child("enter_when_any")
    rules = root.child("rules")

    def rule(name: str, key: str) -> _Reader:
        return rules.child(name).child(key)

    exit_to = at_risk.child("exit_to").text()
    if exit_to not in expected:
        raise at_risk.child("exit_to").fail(f"unknown stage {exit_to!r}")
    for name, key in (
        ("growing_to_expanding", "expansion_opportunity"),
        ("renewing_to_growing", "term_end_moved_later"),
        ("expanding_to_growing", "mrr_rose"),
    ):
        if not rule(name, key).flag():
            raise rule(name, key).fail("this rule is part of metrics.md §5 and cannot be disabled")
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
        trial_to_onboarding_state=rule("trial_to_onboarding", "subscription_state").text(),
        onboarding_to_adopting_completion_at_least=rule(
            "onboarding_to_adopting", "onboarding_completion_at_least"
        ).number(),
        onboarding_to_at_risk_days_in_stage_over=rule(
            "onboarding_to_at_risk", "days_in_stage_over"
        ).integer(),
        onboarding_to_at_risk_completion_below=rule(
            "onboarding_to_at_risk", "onboarding_completion_below"
        ).number(),
        adopting_to_growing_health_at_least=rule("adopting_to_growing", "health_at_least").number(),
        adopting_to_growing_tenure_days_over=rule(
            "adopting_to_growing", "tenure_days_over"
        ).integer(),
        growing_to_renewing_days_to_term_end_at_most=rule(
            "growing_to_renewing", "days_to_term_end_at_most"
        ).integer(),
        growing_to_renewing_term_months_at_least=rule(
            "growing_to_renewing", "term_months_at_least"
        ).integer(),
        growing_to_advocating_nps_at_least=rule("growing_to_advocating", "nps_at_least").number(),
        growing_to_advocating_health_at_least=rule(
            "growing_to_advocating", "health_at_least"
        ).number(),
        expanding_to_growing_days_in_stage_over=rule(
            "expanding_to_growing", "days_in_stage_over"
        ).integer(),
        churned_to_onboarding_state=rule("churned_to_onboarding", "subscription_state").text(),
        advocating_to_growing_health_below=rule("advocating_to_growing", "health_below").number(),
        advocating_to_growing_nps_below=rule("advocating_to_growing", "nps_below").number(),
    )


# --------------------------------------------------------------------------- engagement


@dataclass(frozen=True)
class EngagementInput:
    name: str
    target: float
    weight: float


@dataclass(frozen=True)
class EngagementConfig:
    version: str
    inputs: tuple[EngagementInput, ...]
    level_high_at_least: float
    level_medium_at_least: float


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


@dataclass(frozen=True)
class ExpansionSignalRule:
    name: str
    input: str
    op: Operator
    threshold: float
    weight: float


@dataclass(frozen=True)
class ExpansionConfig:
    version: str
    signals: tuple[ExpansionSignalRule, ...]
    plan_ladder: tuple[str, ...]
    upsell_signal: str
    upsell_share_of_mrr: float
    upsell_timing: str
    seats_signal: str
    seats_timing: str
    features_signal: str
    price_per_blocked_feature: float
    features_timing: str
    advocacy_nps_at_least: float
    advocacy_health_at_least: float
    advocacy_top_n: int
    advocacy_tiers: tuple[tuple[str, int], ...]


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


@dataclass(frozen=True)
class OnboardingMilestone:
    id: str
    target_day: int
    #: Steps that must all be done; for an `all_required` milestone, the program's required steps.
    steps: tuple[str, ...]


@dataclass(frozen=True)
class OnboardingProgram:
    id: str
    segments: tuple[str, ...]
    duration_days: int
    first_value_step: str
    steps: tuple[str, ...]
    required_steps: tuple[str, ...]
    milestones: tuple[OnboardingMilestone, ...]


@dataclass(frozen=True)
class OnboardingConfig:
    version: str
    stalled_after_days: int
    programs: tuple[OnboardingProgram, ...]


def load_onboarding_config(path: Path = CONFIG_DIR / "onboarding.yml") -> OnboardingConfig:
    """The onboarding programs of metrics.md §8, validated."""
    root = _read_yaml(path)
    programs = []
    seen_segments: set[str] = set()
    for program_id, node in root.child("programs").items():
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
        segments = node.child("segments").texts()
        overlap = seen_segments & set(segments)
        if overlap:
            raise node.child("segments").fail(f"segments {sorted(overlap)} belong to two programs")
        seen_segments |= set(segments)
        programs.append(
            OnboardingProgram(
                id=program_id,
                segments=segments,
                duration_days=node.child("duration_days").integer(),
                first_value_step=first_value,
                steps=steps,
                required_steps=required,
                milestones=tuple(milestones),
            )
        )
    return OnboardingConfig(
        version=_version(root),
        stalled_after_days=root.child("stalled_after_days").integer(),
        programs=tuple(programs),
    )
