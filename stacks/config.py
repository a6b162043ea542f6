"""What varies between deployments, read once from CDK context (cdk.json or ``-c key=value``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from constructs import Node

STAGES = ("dev", "prod")
ROOT = Path(__file__).resolve().parent.parent

_MODEL_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_MAX_MODEL_NAME = 26
"""A training job's name is ``<model>-<execution name>`` (63 characters at most) and an
execution started by the schedule is named with a 36-character UUID."""
_SCHEDULE = re.compile(r"^(cron|rate)\(.+\)$")


@dataclass(frozen=True)
class TrainedModel:
    """One model retrained on a schedule by a SageMaker training job
    (:class:`~stacks.constructs.training.ScheduledTraining`). Adding a model is one more entry
    in :data:`TRAINED_MODELS`, not code.

    The job runs the training image (``ml/training/Dockerfile``) as ``command --out
    /opt/ml/model`` plus ``--<name> <value>`` for each hyperparameter (``ml/training/entry.py``);
    what the command writes there lands in the lake as
    ``models/<name>/<job>/output/model.tar.gz``, and the training role may write nothing else.
    """

    name: str
    """The artefact's stem (``ml/artifacts/<name>.onnx``) and the lake prefix ``models/<name>/``."""
    command: tuple[str, ...]
    """The CLI command that trains the model and takes ``--out DIR``."""
    schedule: str
    """An EventBridge schedule expression, in UTC (``cron(min hour day month weekday year)``)."""
    instance_type: str = "ml.m5.large"
    """A SageMaker training instance type. Its storage volume is encrypted with the stage key,
    which instance types with local NVMe storage only (``ml.*d.*``, ``ml.g4dn``…) refuse."""
    hyperparameters: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Extra options of ``command``: ``{"epochs": "10"}`` becomes ``--epochs 10``."""
    max_runtime_minutes: int = 60
    volume_gb: int = 10
    metrics: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Metric name → regular expression with one group, read from the job's log by SageMaker
    and shown with the job (and in CloudWatch) next to its artefact."""

    def __post_init__(self) -> None:
        if not _MODEL_NAME.match(self.name) or len(self.name) > _MAX_MODEL_NAME:
            raise ValueError(
                f"model name must be lowercase words joined by '-', at most {_MAX_MODEL_NAME} "
                f"characters: {self.name!r}"
            )
        if not self.command:
            raise ValueError(f"{self.name}: the training command is empty")
        if not _SCHEDULE.match(self.schedule):
            raise ValueError(f"{self.name}: not an EventBridge schedule: {self.schedule!r}")
        if not self.instance_type.startswith("ml."):
            raise ValueError(f"{self.name}: not a SageMaker instance type: {self.instance_type!r}")
        if "out" in self.hyperparameters:
            raise ValueError(f"{self.name}: --out is the training contract's, not a parameter")


TRAINED_MODELS: tuple[TrainedModel, ...] = (
    TrainedModel(
        name="categoriser",
        command=("fluxo", "ml", "train-categoriser"),
        # Weekly, Sundays 06:00 UTC (03:00 in São Paulo): a quiet hour.
        schedule="cron(0 6 ? * SUN *)",
        # ≈ 1.5 min on 2 cores (docs/ml.md); the hour is for a slow start or a larger data set.
        instance_type="ml.m5.large",
        max_runtime_minutes=60,
        # The summary line `fluxo ml train-categoriser` prints last (docs/ml.md).
        metrics={
            "heldout:accuracy": r"\baccuracy=([0-9.]+)",
            "heldout:macro_f1": r"\bmacro_f1=([0-9.]+)",
            "heldout:base_accuracy": r"\bbase_accuracy=([0-9.]+)",
        },
    ),
    TrainedModel(
        name="forecaster",
        command=("fluxo", "ml", "train", "--model", "forecaster"),
        # An hour after the categoriser: the two jobs never wait for instances together.
        schedule="cron(0 7 ? * SUN *)",
        instance_type="ml.m5.large",
        max_runtime_minutes=60,
        # The back-test summary `fluxo ml train --model forecaster` prints (docs/ml.md).
        metrics={
            "heldout:forecast_mase_30d": r"\bforecast_mase_30d=([0-9.]+)",
            "heldout:coverage80": r"\bcoverage80=([0-9.]+)",
        },
    ),
)
"""The models retrained on a schedule, in the primary region (the lake's writable copy)."""

_SERVING_INSTANCE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")


@dataclass(frozen=True)
class ModelServing:
    """The SageMaker endpoint serving the forecaster and the anomaly detector in each region
    (:class:`~stacks.constructs.models.ModelEndpoint`): one variant of ``instance_type``
    instances, scaled between ``min_instances`` and ``max_instances`` to keep about
    ``invocations_per_instance`` calls per instance and minute."""

    instance_type: str = "ml.m5.large"
    """A SageMaker hosting instance type. Its storage volume is encrypted with the stage key,
    which instance types with local NVMe storage only (``ml.*d.*``, ``ml.g4dn``…) refuse.
    Changing it on a deployed endpoint fails while auto scaling is registered on the variant:
    deregister the scalable target first (AWS's documented order)."""
    min_instances: int = 1
    max_instances: int = 2
    invocations_per_instance: int = 600
    """Target tracking's target (``SageMakerVariantInvocationsPerInstance``, per minute): ten
    forecasts a second, a fraction of what one instance answers (docs/benchmarks.md)."""

    def __post_init__(self) -> None:
        if not _SERVING_INSTANCE.match(self.instance_type):
            raise ValueError(f"not a SageMaker instance type: {self.instance_type!r}")
        if not 1 <= self.min_instances <= self.max_instances:
            raise ValueError(
                "serving needs 1 <= min_instances <= max_instances, not "
                f"{self.min_instances}..{self.max_instances}"
            )
        if self.invocations_per_instance < 1:
            raise ValueError("invocations_per_instance must be positive")


MODEL_SERVING: Mapping[str, ModelServing] = {
    "dev": ModelServing(min_instances=1, max_instances=2),
    # Two instances at least: SageMaker spreads a variant's instances over availability zones.
    "prod": ModelServing(min_instances=2, max_instances=6),
}
"""The endpoint's size per stage."""


@dataclass(frozen=True)
class StageConfig:
    stage: str
    primary_region: str
    secondary_region: str
    account: str | None
    cors_origins: tuple[str, ...]
    alarm_email: str | None
    layer_path: Path
    """Where ``make layers`` built the dependency layers: ``<name>/python`` for each name of
    :data:`stacks.packaging.LAYERS`."""
    trained_models: tuple[TrainedModel, ...] = TRAINED_MODELS
    """Models retrained on a schedule (:data:`TRAINED_MODELS`)."""
    serving: ModelServing = field(default_factory=ModelServing)
    """The model endpoint's size (:data:`MODEL_SERVING` for the stage)."""
    notifications_domain: str = "fluxo.example.com"
    """The SES identity notification e-mails are sent from (context ``notificationsDomain``)."""
    notifications_sender: str = "alertas"
    """The sender's local part (context ``notificationsSender``): ``alertas@<domain>``."""
    push_application: str = "fluxo"
    """The SNS platform application's name, created outside CDK (context ``pushApplication``)."""

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def title(self) -> str:
        return self.stage.capitalize()

    def stack_name(self, role: str) -> str:
        return f"Fluxo-{self.title}-{role}"

    @property
    def models_endpoint(self) -> str:
        """The model endpoint's name, the same in both regions (``FLUXO_MODEL_ENDPOINT``)."""
        return f"fluxo-{self.stage}-models"

    @property
    def models_relay(self) -> str:
        """The name of each region's relay to the other region's endpoint
        (``FLUXO_MODEL_RELAY_FUNCTION``; ``functions/ai/relay.py``)."""
        return f"fluxo-{self.stage}-model-relay"

    def model_regions(self, region: str) -> tuple[str, str]:
        """The regions whose endpoint a function in ``region`` calls, its own first."""
        other = self.secondary_region if region == self.primary_region else self.primary_region
        return region, other

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        def context(key: str, default: object = None) -> object:
            value = node.try_get_context(key)
            return default if value is None else value

        stage = str(context("stage", "dev"))
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        raw_origins = context("corsOrigins", [])
        if isinstance(raw_origins, str):
            origins = [origin for origin in raw_origins.split(",") if origin]
        elif isinstance(raw_origins, list | tuple):
            origins = [str(origin) for origin in raw_origins]
        else:
            raise ValueError(
                f"corsOrigins must be a list or a comma-separated string: {raw_origins!r}"
            )
        account = context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
        return cls(
            stage=stage,
            primary_region=str(context("primaryRegion", "us-east-1")),
            secondary_region=str(context("secondaryRegion", "us-west-2")),
            account=str(account) if account else None,
            cors_origins=tuple(origins),
            alarm_email=str(context("alarmEmail")) if context("alarmEmail") else None,
            layer_path=ROOT / str(context("layerPath", "layers/build")),
            serving=MODEL_SERVING[stage],
            notifications_domain=str(context("notificationsDomain", "fluxo.example.com")),
            notifications_sender=str(context("notificationsSender", "alertas")),
            push_application=str(context("pushApplication", "fluxo")),
        )
