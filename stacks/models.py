"""The models of one region, in a stack of their own beside the service stack: the model
endpoint the ``ai`` API calls (both regions), and in the primary region the scheduled retraining
that writes into the lake.

They are apart because the primary service stack is close to CloudFormation's 500 resources per
stack. The models stack reads the service stack's lake, stage key, event schedules and alarm
topic; the service stack reads nothing of it (the functions name the endpoint by its fixed name),
so the models stack deploys after its service stack.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.models import ModelEndpoint, ModelRelay
from stacks.constructs.monitoring import training_widgets
from stacks.constructs.training import ScheduledTraining
from stacks.region import ServiceStack, outdir, tag_stack


class ModelsStack(Stack):
    """The model endpoint of ``service``'s region, and the retraining where the lake is
    written (``service.lake``: the primary region). Alarms go to ``service``'s topic; a
    dashboard of its own graphs the endpoint and the training executions."""

    def __init__(self, scope: Construct, config: StageConfig, *, service: ServiceStack) -> None:
        primary = service.lake is not None
        region = service.region
        super().__init__(
            scope,
            config.stack_name("PrimaryModels" if primary else "StandbyModels"),
            env=Environment(account=config.account, region=region),
            description=f"Fluxo {config.stage}: model endpoint"
            + (" and retraining" if primary else "")
            + f" in {region}",
        )
        tag_stack(self, config)
        self.endpoint = ModelEndpoint(
            self,
            "Endpoint",
            config=config,
            key=service.key,
            staging=Path(outdir(self)) / ".serving" / self.stack_name,
        )
        self.relay = ModelRelay(
            self, "Relay", config=config, defaults=service.defaults, region=region
        )
        # Models are retrained where the lake is written: the primary region only. The standby
        # has no schedule, no training image and no state machine (after a failover the models
        # in production stay as deployed until failback).
        self.training: ScheduledTraining | None = None
        if service.lake is not None and config.trained_models:
            self.training = ScheduledTraining(
                self,
                "Training",
                config=config,
                models=config.trained_models,
                lake=service.lake,
                key=service.key,
                events_=service.events,
                staging=Path(outdir(self)) / ".training" / self.stack_name,
            )
        for alarm in [
            *self.endpoint.alarms,
            self.relay.alarm,
            *(self.training.alarms if self.training else []),
        ]:
            service.monitoring.watch(alarm)
        self.dashboard = self._dashboard()

    def _dashboard(self) -> cloudwatch.Dashboard:
        endpoint = self.endpoint
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            default_interval=Duration.hours(6),
            period_override=cloudwatch.PeriodOverride.AUTO,
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Model endpoint {endpoint.endpoint_name}", width=24, height=1
            ),
            cloudwatch.GraphWidget(
                title="Invocations",
                left=[
                    endpoint.metric("Invocations", cloudwatch.Stats.SUM).with_(label="all"),
                    endpoint.metric("Invocation4XXErrors", cloudwatch.Stats.SUM).with_(label="4XX"),
                    endpoint.metric("Invocation5XXErrors", cloudwatch.Stats.SUM).with_(label="5XX"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Model latency (µs)",
                left=[
                    endpoint.metric("ModelLatency", cloudwatch.Stats.p(50)).with_(label="p50"),
                    endpoint.metric("ModelLatency", cloudwatch.Stats.p(99)).with_(label="p99"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Instances and CPU (%)",
                left=[
                    endpoint.metric(
                        "CPUUtilization",
                        cloudwatch.Stats.MAXIMUM,
                        namespace="/aws/sagemaker/Endpoints",
                    ).with_(label="CPU max")
                ],
                right=[
                    endpoint.metric("InvocationsPerInstance", cloudwatch.Stats.SUM).with_(
                        label="invocations per instance"
                    )
                ],
                width=8,
            ),
        )
        if self.training:
            dashboard.add_widgets(*training_widgets(self.training.state_machines))
        return dashboard
