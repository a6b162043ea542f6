"""The CDK app: Fluxo in a primary and a secondary region (``cdk synth``, ``make synth``):
per region a service stack and a models stack, plus the lake's replica in the secondary.

Context (cdk.json or ``-c key=value``): ``stage`` (dev|prod), ``primaryRegion``,
``secondaryRegion``, ``account`` (else CDK_DEFAULT_ACCOUNT), ``corsOrigins``, ``alarmEmail``,
``layerPath``. cdk-nag's AWS Solutions checks run on every synth; an unacknowledged finding
fails it.
"""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import StageConfig
from stacks.models import ModelsStack
from stacks.region import ReplicaLakeStack, ServiceStack


def build(app: App) -> dict[str, object]:
    config = StageConfig.from_context(app.node)
    global_cluster_id = f"fluxo-{config.stage}"
    replica = ReplicaLakeStack(app, config)
    primary = ServiceStack(
        app, config, primary=True, replica=replica.lake, global_cluster_id=global_cluster_id
    )
    standby = ServiceStack(
        app, config, primary=False, replica=replica.lake, global_cluster_id=global_cluster_id
    )
    primary.add_stack_dependency(replica)
    standby.add_stack_dependency(primary)
    # Each region's model endpoint (and the primary's retraining) beside its service stack.
    primary_models = ModelsStack(app, config, service=primary)
    standby_models = ModelsStack(app, config, service=standby)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return {
        "replica": replica,
        "primary": primary,
        "standby": standby,
        "primary_models": primary_models,
        "standby_models": standby_models,
    }


def main() -> None:
    app = App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
