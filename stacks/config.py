"""What varies between deployments, read once from CDK context (cdk.json or ``-c key=value``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from constructs import Node

STAGES = ("dev", "prod")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StageConfig:
    stage: str
    primary_region: str
    secondary_region: str
    account: str | None
    cors_origins: tuple[str, ...]
    alarm_email: str | None
    layer_path: Path
    """The dependency layer built by ``make layers`` (its ``python/`` folder inside)."""

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def title(self) -> str:
        return self.stage.capitalize()

    def stack_name(self, role: str) -> str:
        return f"Fluxo-{self.title}-{role}"

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        def context(key: str, default: object = None) -> object:
            value = node.try_get_context(key)
            return default if value is None else value

        stage = str(context("stage", "dev"))
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        origins = context("corsOrigins", [])
        if isinstance(origins, str):
            origins = [origin for origin in origins.split(",") if origin]
        account = context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
        return cls(
            stage=stage,
            primary_region=str(context("primaryRegion", "us-east-1")),
            secondary_region=str(context("secondaryRegion", "us-west-2")),
            account=str(account) if account else None,
            cors_origins=tuple(str(origin) for origin in origins),  # type: ignore[union-attr]
            alarm_email=str(context("alarmEmail")) if context("alarmEmail") else None,
            layer_path=ROOT / str(context("layerPath", "layers/build")),
        )
