"""Rule 7's orphans: records of one source that name an account, organisation or ticket that the
source of truth for it does not know (an NPS response of an account app_db never had, a ticket of
an organisation the helpdesk never delivered). They are counted and named here; the models leave
them out of every segment, so they are never published as if they belonged to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.gate.results import RuleResult, Status, listed, not_applicable

R07 = "r07_cross_source"


@dataclass(frozen=True)
class Orphans:
    """One category: records naming an unknown parent, out of all records of the category, and
    the unknown parents (the most frequent first) with their record counts."""

    orphans: int
    records: int
    parents: list[tuple[str, int]]


def orphans(
    categories: dict[str, Orphans], warn_share: float, error_share: float
) -> list[RuleResult]:
    """Rule 7 on orphans: per category, the share of records naming an unknown parent."""
    threshold = f"warn > {warn_share:.0%}, error > {error_share:.0%}"
    results: list[RuleResult] = []
    for category, found in sorted(categories.items()):
        if found.records == 0:
            results.append(not_applicable(R07, category, "no records"))
            continue
        share = found.orphans / found.records
        status: Status = "fail" if share > error_share else "warn" if share > warn_share else "pass"
        if found.orphans == 0:
            message = f"{category}: none"
        else:
            named = listed([f"{parent} ({n})" for parent, n in found.parents])
            message = (
                f"{category}: {found.orphans}, by unknown id {named}; "
                "left out of every segment and total"
            )
        results.append(
            RuleResult(
                R07,
                category,
                status,
                f"{found.orphans} of {found.records} ({share:.2%})",
                threshold,
                message,
            )
        )
    return results
