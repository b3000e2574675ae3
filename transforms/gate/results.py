"""What a rule of the publish gate returns: one result per rule and target.

Shared by every rule family (`<family>_rules.py`); the gate records these rows in
audit.check_results and blocks publication on any `fail`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail", "not_applicable"]


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict on one target, with the figures it saw and the threshold it applied."""

    rule: str
    target: str
    status: Status
    observed: str
    threshold: str
    message: str

    @property
    def blocks(self) -> bool:
        """Whether this result stops publication (an ERROR)."""
        return self.status == "fail"


@dataclass(frozen=True)
class Absent:
    """Evidence a rule cannot have yet (a table not built, too few rows): the reason it reports."""

    reason: str


def not_applicable(rule: str, target: str, reason: str) -> RuleResult:
    """A rule whose inputs are absent: recorded with the reason, blocking nothing."""
    return RuleResult(rule, target, "not_applicable", "", "", reason)


def listed(values: list, limit: int = 5) -> str:
    """The first `limit` values for a result's text, and how many more there are."""
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" … (+{len(values) - limit})" if len(values) > limit else "")
