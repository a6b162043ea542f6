"""Lambda entry of the model relay: the other region's model endpoint, for the ``ai`` API whose
subnets cannot reach it (``shared.adapters.aws.model_relay``). Runs outside the VPC; its role
may invoke that one endpoint and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from shared.adapters.aws.model_relay import RelaySettings, relay_from_settings


@cache
def _relay() -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    return relay_from_settings(RelaySettings())


def handler(event: Mapping[str, Any], _context: object) -> dict[str, Any]:
    return _relay()(event)
