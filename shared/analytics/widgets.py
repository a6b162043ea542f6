"""The widgets a dashboard can hold, their settings, and the default dashboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import FieldIssue, InvalidInput

SETTINGS: dict[str, dict[str, tuple[int, int, int]]] = {
    "kpis": {},
    "income_vs_expenses": {"months": (1, 36, 12)},
    "category_breakdown": {"limit": (1, 50, 8)},
    "top_merchants": {"limit": (1, 50, 5)},
    "cash_flow_sankey": {},
    "balance_over_time": {"months": (1, 36, 12)},
    "budget_progress": {},
    "recent_transactions": {"limit": (1, 50, 10)},
    "largest_transactions": {"limit": (1, 50, 5)},
}
"""Widget type → setting → (least, most, default)."""
MOST_WIDGETS = 30
LONGEST_ID = 40


@dataclass(frozen=True)
class Widget:
    id: str
    type: str
    settings: Mapping[str, int] = field(default_factory=dict)

    def setting(self, name: str) -> int:
        return self.settings.get(name, SETTINGS[self.type][name][2])

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "settings": dict(self.settings)}


DEFAULT_NAME = "Visão geral"
DEFAULT_WIDGETS: tuple[Widget, ...] = tuple(
    Widget(kind, kind)
    for kind in (
        "kpis",
        "income_vs_expenses",
        "category_breakdown",
        "top_merchants",
        "cash_flow_sankey",
        "balance_over_time",
        "budget_progress",
        "recent_transactions",
        "largest_transactions",
    )
)


def check_widgets(raw: Sequence[Mapping[str, Any]], where: tuple[str | int, ...]) -> list[Widget]:
    """Widgets from their JSON form; every problem reported with its place."""
    issues: list[FieldIssue] = []
    if len(raw) > MOST_WIDGETS:
        issues.append(FieldIssue(where, f"at most {MOST_WIDGETS} widgets", "too_many"))
    widgets: list[Widget] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        spot = (*where, index)
        widget = _widget(item, spot, issues)
        if widget is None:
            continue
        if widget.id in seen:
            issues.append(FieldIssue((*spot, "id"), f"id {widget.id!r} is used twice", "duplicate"))
        seen.add(widget.id)
        widgets.append(widget)
    if issues:
        raise InvalidInput("the dashboard's widgets are not valid", issues=issues)
    return widgets


def _widget(
    item: Mapping[str, Any], spot: tuple[str | int, ...], issues: list[FieldIssue]
) -> Widget | None:
    kind = item.get("type")
    if kind not in SETTINGS:
        known = ", ".join(sorted(SETTINGS))
        issues.append(FieldIssue((*spot, "type"), f"unknown widget {kind!r}; one of {known}"))
        return None
    identifier = str(item.get("id") or kind)
    if len(identifier) > LONGEST_ID:
        issues.append(FieldIssue((*spot, "id"), f"at most {LONGEST_ID} characters", "too_long"))
    settings: dict[str, int] = {}
    for name, value in dict(item.get("settings") or {}).items():
        bounds = SETTINGS[kind].get(name)
        place = (*spot, "settings", name)
        if bounds is None:
            known = ", ".join(sorted(SETTINGS[kind])) or "none"
            issues.append(FieldIssue(place, f"{kind} has no setting {name!r} (has: {known})"))
        elif not isinstance(value, int) or isinstance(value, bool):
            issues.append(FieldIssue(place, "must be a whole number", "type"))
        elif not bounds[0] <= value <= bounds[1]:
            issues.append(FieldIssue(place, f"must be from {bounds[0]} to {bounds[1]}", "range"))
        else:
            settings[name] = value
    return Widget(identifier, kind, settings)
