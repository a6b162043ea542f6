"""The stacks of one deployment: the service in the primary region, a warm standby in the
secondary region, and the standby's copy of the lake (deployed first, as replication's target).

Deployment order: ``ReplicaLake`` (secondary) → ``Primary`` → ``Standby`` (secondary), which the
stacks' dependencies encode; ``cdk deploy --all`` follows it.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration, Environment, Stack, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.config import ROOT, StageConfig
from stacks.constructs.api import Api
from stacks.constructs.database import Database
from stacks.constructs.events import Events
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.identity import Identity
from stacks.constructs.lake import Lake, ReplicaLake
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.network import Network
from stacks.constructs.search import Search

# The bounded contexts that exist, each one Lambda behind the API: path prefix → package.
API_CONTEXTS: dict[str, tuple[str, ...]] = {
    "users": ("workspaces", "profile"),
    "transactions": ("accounts", "categories", "tags", "transactions"),
    "imports": ("imports",),
}


class ReplicaLakeStack(Stack):
    """The secondary region's lake bucket, target of the primary's replication."""

    def __init__(self, scope: Construct, config: StageConfig) -> None:
        super().__init__(
            scope,
            config.stack_name("ReplicaLake"),
            env=Environment(account=config.account, region=config.secondary_region),
            cross_region_references=True,
            description=f"Fluxo {config.stage}: the lake's replica in {config.secondary_region}",
        )
        _tag(self, config)
        self.lake = ReplicaLake(self, "Lake", config=config)


class ServiceStack(Stack):
    """Everything that serves requests in one region. ``primary`` decides who writes: the
    primary region runs the database writer and the source lake; the standby runs a secondary
    cluster of the global database and reads the replica lake, ready to be promoted."""

    def __init__(
        self,
        scope: Construct,
        config: StageConfig,
        *,
        primary: bool,
        replica: ReplicaLake,
        global_cluster_id: str,
    ) -> None:
        region = config.primary_region if primary else config.secondary_region
        super().__init__(
            scope,
            config.stack_name("Primary" if primary else "Standby"),
            env=Environment(account=config.account, region=region),
            cross_region_references=True,
            description=f"Fluxo {config.stage}: the service in {region}"
            + ("" if primary else " (warm standby)"),
        )
        _tag(self, config)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="Fluxo: data, logs, queues and function settings",
        )
        self.network = Network(self, "Network", config=config)
        self.database = Database(
            self,
            "Database",
            config=config,
            network=self.network,
            key=self.key,
            global_cluster_id=global_cluster_id,
            primary=primary,
        )
        self.search = Search(self, "Search", config=config, network=self.network, key=self.key)
        self.lake = (
            Lake(self, "Lake", config=config, key=self.key, replica=replica) if primary else None
        )
        self.events = Events(self, "Events", config=config, key=self.key)
        self.identity = Identity(self, "Identity", config=config)
        layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(config.layer_path)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Fluxo's third-party packages (make layers)",
        )
        self.defaults = FunctionDefaults(
            stage=config.stage,
            layer=layer,
            staging=ROOT / "build" / "functions" / self.stack_name,
            key=self.key,
            vpc=self.network.vpc,
            security_groups=(self.network.functions_security_group,),
            environment={
                **self.database.environment,
                "FLUXO_IDENTITY_PROVIDER": "apigateway",
                "FLUXO_COGNITO_REGION": region,
                "FLUXO_COGNITO_USER_POOL_ID": self.identity.user_pool.user_pool_id,
                "FLUXO_COGNITO_CLIENT_IDS": self.identity.client_ids_json,
                "FLUXO_EVENT_BUS_NAME": self.events.bus.event_bus_name,
                "FLUXO_LAKE_BUCKET": (
                    self.lake.bucket.bucket_name if self.lake else replica.bucket.bucket_name
                ),
            },
        )
        self.database.add_migrations(self.defaults)
        self.api = Api(
            self,
            "Api",
            config=config,
            identity=self.identity,
            defaults=self.defaults,
            contexts=API_CONTEXTS,
        )
        self.outbox_sweep = FluxoFunction(
            self,
            "OutboxSweep",
            defaults=self.defaults,
            context="outbox",
            description="Publishes committed events that were never delivered",
            timeout=Duration.minutes(2),
            reserved_concurrency=1,
        )
        sweep = self.events.add_schedule(
            "OutboxSweepSchedule",
            schedule=events.Schedule.rate(Duration.minutes(5)),
            target_function=self.outbox_sweep.function,
            description="Fluxo: publish what the outbox still holds",
        )
        if not primary:
            # A secondary cluster has no writer: the standby sweeps once promoted (runbook).
            cast(events.CfnRule, sweep.node.default_child).state = "DISABLED"
        # Invitations create the invitee in the user pool (or find them there).
        self.identity.user_pool.grant(
            self.api.functions["users"].role,
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminCreateUser",
        )
        for function in [*self.api.functions.values(), self.outbox_sweep]:
            self.database.grant_connect(function.role)
            self.events.bus.grant_put_events_to(function.role)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            key=self.key,
            api=self.api,
            functions=[*self.api.functions.values(), self.outbox_sweep],
            database=self.database,
            queues=[
                *(function.dead_letters for function in self.api.functions.values()),
                *self.events.dead_letter_queues,
            ],
        )


# CDK offers tags to these, but their CloudFormation schema refuses them.
_UNTAGGABLE = ["AWS::RDS::DBProxyTargetGroup"]


def _tag(stack: Stack, config: StageConfig) -> None:
    Tags.of(stack).add("project", "fluxo", exclude_resource_types=_UNTAGGABLE)
    Tags.of(stack).add("stage", config.stage, exclude_resource_types=_UNTAGGABLE)
