"""Demo data: deterministic households with a year or more of Brazilian bank statements."""

from shared.demo.generator import DEFAULT_END, generate_household, generate_households
from shared.demo.models import AnomalyKind, DemoAccount, DemoHousehold, DemoTransaction

__all__ = [
    "DEFAULT_END",
    "AnomalyKind",
    "DemoAccount",
    "DemoHousehold",
    "DemoTransaction",
    "generate_household",
    "generate_households",
]
