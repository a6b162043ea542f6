"""The stacks of one deployment: the service in the primary region, a warm standby in the
secondary region, and the standby's copy of the lake (deployed first, as replication's target).
Each region's models (endpoint, and retraining in the primary) are in ``stacks/models.py``.

Deployment order: ``ReplicaLake`` (secondary) → ``Primary`` → ``PrimaryModels`` and ``Standby``
(secondary) → ``StandbyModels``, which the stacks' dependencies encode; ``cdk deploy --all``
follows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from aws_cdk import ArnFormat, Duration, Environment, Stack, Stage, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.api import Api
from stacks.constructs.cache import AnalyticsCache
from stacks.constructs.consumers import CONSUMERS, EventConsumer
from stacks.constructs.database import Database
from stacks.constructs.events import Events
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.identity import Identity
from stacks.constructs.imports import IMPORTS_SIZING, StatementDrops
from stacks.constructs.lake import BANK_STATEMENTS, IMPORT_REPORTS, Lake, ReplicaLake
from stacks.constructs.lake_export import LakeExport
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.network import Network
from stacks.constructs.notifications import Notifications
from stacks.constructs.reports import ScheduledReports
from stacks.constructs.search import Search
from stacks.packaging import LAYERS

SEARCH_INDEX = "fluxo-transactions"
"""The OpenSearch index of transactions (FLUXO_OPENSEARCH_INDEX's default)."""
# The bounded contexts that exist, each one Lambda behind the API: path prefix → package.
API_CONTEXTS: dict[str, tuple[str, ...]] = {
    "users": ("workspaces", "profile"),
    "transactions": ("accounts", "categories", "tags", "transactions", "rules", "merchants"),
    "imports": ("imports",),
    "budgets": ("budgets", "goals"),
    "notifications": ("notifications",),
    "analytics": ("analytics", "search", "reports"),
    "ai": ("ai", "recurring"),
}
# The imports function also imports statements dropped into the lake (StatementDrops), which
# takes minutes for a large file; its API calls stay limited to 29 s by API Gateway.
API_SIZING = {"imports": IMPORTS_SIZING}


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
        tag_stack(self, config)
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
        tag_stack(self, config)
        self.primary = primary
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
        # One layer per group of libraries (make layers): a function takes only the ones it
        # imports from, so it fits Lambda's 250 MB and starts faster (stacks/packaging.py).
        layers = {
            name: lambda_.LayerVersion(
                self,
                f"Dependencies{name.title()}",
                code=lambda_.Code.from_asset(str(config.layer_path / name)),
                compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
                compatible_architectures=[lambda_.Architecture.ARM_64],
                description=f"Fluxo's third-party packages: {name} (make layers)",
            )
            for name in LAYERS
        }
        self.defaults = FunctionDefaults(
            stage=config.stage,
            layers=layers,
            # Inside this synthesis's output: two synths at once (parallel test workers, or a
            # test run beside `make synth`) never copy code into the same directory.
            staging=Path(outdir(self)) / ".functions" / self.stack_name,
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
            sizing=API_SIZING,
        )
        # A secondary cluster has no writer: the standby's sweeps wait disabled until it is
        # promoted (runbook).
        self.outbox_sweep = self._sweep(
            "OutboxSweep",
            every=Duration.minutes(5),
            schedule_description="Fluxo: publish what the outbox still holds",
            context="outbox",
            description="Publishes committed events that were never delivered",
            timeout=Duration.minutes(2),
        )
        # Dashboards' snapshots hold for their workspace's local day: after each midnight
        # (within 15 minutes: midnights fall on different hours and half hours) they are
        # computed again, before anyone looks.
        self.snapshots_refresh = self._sweep(
            "SnapshotsRefresh",
            every=Duration.minutes(15),
            schedule_description="Fluxo: dashboards' snapshots for the new day, every 15 minutes",
            context="analytics",
            handler="snapshots_schedule.handler",
            description="Computes dashboards' snapshots again where a new day has begun",
            memory_mb=1024,
            timeout=Duration.minutes(15),
        )
        # Invitations create the invitee in the user pool (or find them there).
        self.identity.user_pool.grant(
            self.api.functions["users"].role,
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminCreateUser",
        )
        # Event consumers: a rule, a queue with its dead-letter queue and a function each.
        # The standby's run too once it is promoted (its bus gets events only then).
        self.consumers = [
            EventConsumer(
                self,
                f"Consumer{spec.name.title().replace('-', '')}",
                spec=spec,
                defaults=self.defaults,
                events_=self.events,
            )
            for spec in CONSUMERS
        ]
        for consumer in self.consumers:
            self.database.grant_connect(consumer.function.role)
        for function in self.api.functions.values():
            self.database.grant_connect(function.role)
        for function in [*self.api.functions.values(), self.outbox_sweep]:
            self.events.bus.grant_put_events_to(function.role)
        # Notifications: the consumer sends what an alert causes, the sweep every five minutes
        # what is due (retries, the end of quiet hours); only those two may send.
        self.notifications = Notifications(self, "Notifications", config=config)
        self.notifications_sweep = self._sweep(
            "NotificationsSweep",
            every=Duration.minutes(5),
            schedule_description="Fluxo: send the notifications that are due",
            context="notifications",
            handler="sweep.handler",
            description="Sends due notifications: retries, quiet hours ended, dead attempts",
            environment=self.notifications.environment,
            timeout=Duration.minutes(5),
        )
        senders = [self.notifications_sweep.role]
        for consumer in self.consumers:
            if consumer.spec.name == "notifications":
                for name, value in self.notifications.environment.items():
                    consumer.function.function.add_environment(name, value)
                senders.append(consumer.function.role)
        for role in senders:
            self.notifications.grant_send(role)
        # Search: the search consumer keeps the transactions' index in the OpenSearch domain
        # and the analytics API (GET /v1/search) reads it; nothing else may reach it.
        search_url = f"https://{self.search.domain.domain_endpoint}"
        for consumer in self.consumers:
            if consumer.spec.name == "search":
                self.search.grant_index(consumer.function.role, SEARCH_INDEX, write=True)
                consumer.function.function.add_environment("FLUXO_OPENSEARCH_URL", search_url)
        analytics_api = self.api.functions.get("analytics")
        if analytics_api is not None:
            self.search.grant_index(analytics_api.role, SEARCH_INDEX, write=False)
            analytics_api.function.add_environment("FLUXO_OPENSEARCH_URL", search_url)
            # Dashboards computed by one instance serve the next request on any other.
            self.analytics_cache = AnalyticsCache(
                self, "AnalyticsCache", config=config, network=self.network, key=self.key
            )
            for name, value in self.analytics_cache.environment.items():
                analytics_api.function.add_environment(name, value)
        imports = self.api.functions["imports"]
        self.statement_drops: StatementDrops | None = None
        if self.lake:
            # The imports function keeps the originals of uploads under raw/bank_statements/,
            # reads the files dropped there, and writes one report per import under
            # processed/import_reports/: nothing else in the lake, and no delete.
            self.lake.grant_objects(
                imports.role, read=[BANK_STATEMENTS], write=[BANK_STATEMENTS, IMPORT_REPORTS]
            )
            self.statement_drops = StatementDrops(
                self, "StatementDrops", lake=self.lake, key=self.key, consumer=imports
            )
        # The standby has no writable lake: its functions name the replica bucket, which only
        # replication writes. Its imports function gets no grant there and no S3 trigger (a
        # trigger on the replica would import every replicated drop a second time): a file
        # dropped into the replica is not imported, and uploads cannot keep their original, so
        # imports wait for failback (docs/runbooks/disaster-recovery.md, gap V).
        # Reports are written where the lake is: the primary region only (the standby's
        # replica takes no writes); they reach the database and the bus like the API.
        self.reports: ScheduledReports | None = None
        if self.lake:
            self.reports = ScheduledReports(
                self, "Reports", defaults=self.defaults, events_=self.events, lake=self.lake
            )
            self.database.grant_connect(self.reports.function.role)
            self.events.bus.grant_put_events_to(self.reports.function.role)
        # The daily aggregates for Athena are written where the lake is, like the reports;
        # the function reads the database and publishes nothing.
        self.lake_export: LakeExport | None = None
        if self.lake:
            self.lake_export = LakeExport(
                self,
                "LakeExport",
                defaults=self.defaults,
                events_=self.events,
                lake=self.lake,
                key=self.key,
                stage=config.stage,
            )
            self.database.grant_connect(self.lake_export.function.role)
        # The ai API forecasts through the model endpoint of its own region first, then the
        # other's (stacks/models.py): the same name in both.
        ai_api = self.api.functions.get("ai")
        if ai_api is not None:
            self._call_models(ai_api, config, region)
        scheduled = [
            self.outbox_sweep,
            self.notifications_sweep,
            self.snapshots_refresh,
            *([self.reports.function] if self.reports else []),
            *([self.lake_export.function] if self.lake_export else []),
        ]
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            key=self.key,
            api=self.api,
            functions=[
                *self.api.functions.values(),
                *scheduled,
                *(consumer.function for consumer in self.consumers),
            ],
            database=self.database,
            queues=[
                *(
                    function.dead_letters
                    for function in scheduled
                    if function.dead_letters is not None
                ),
                *self.events.dead_letter_queues,
                *([self.statement_drops.queue.queue] if self.statement_drops else []),
                *(consumer.queue.queue for consumer in self.consumers),
            ],
            alarms=[consumer.depth_alarm for consumer in self.consumers],
        )

    def _sweep(
        self,
        construct_id: str,
        *,
        every: Duration,
        schedule_description: str,
        **function: Any,
    ) -> FluxoFunction:
        """A function run on a schedule, one run at a time, connected to the database: enabled
        in the primary, deployed disabled in the standby (a secondary cluster has no writer)."""
        sweep = FluxoFunction(
            self, construct_id, defaults=self.defaults, reserved_concurrency=1, **function
        )
        self.database.grant_connect(sweep.role)
        rule = self.events.add_schedule(
            f"{construct_id}Schedule",
            schedule=events.Schedule.rate(every),
            target_function=sweep.function,
            description=schedule_description,
        )
        if not self.primary:
            cast(events.CfnRule, rule.node.default_child).state = "DISABLED"
        return sweep

    def _call_models(self, function: FluxoFunction, config: StageConfig, region: str) -> None:
        regions = config.model_regions(region)
        function.function.add_environment("FLUXO_MODEL_ENDPOINT", config.models_endpoint)
        function.function.add_environment("FLUXO_MODEL_REGIONS", ",".join(regions))
        function.function.add_environment("FLUXO_MODEL_RELAY_FUNCTION", config.models_relay)
        # Its own region's endpoint through the SageMaker Runtime interface endpoint; the
        # other region's through the relay (stacks/models.py), which may invoke only that one.
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeTheModelEndpoint",
                actions=["sagemaker:InvokeEndpoint"],
                resources=[
                    self.format_arn(
                        service="sagemaker",
                        resource="endpoint",
                        resource_name=config.models_endpoint,
                    )
                ],
            )
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeTheModelRelay",
                actions=["lambda:InvokeFunction"],
                resources=[
                    self.format_arn(
                        service="lambda",
                        resource="function",
                        resource_name=config.models_relay,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )


def outdir(scope: Construct) -> str:
    """The synthesis's output directory, where assets are staged."""
    stage = Stage.of(scope)
    if stage is None:
        raise RuntimeError("a ServiceStack must be inside a CDK App")
    return stage.outdir


# CDK offers tags to these, but their CloudFormation schema refuses them.
_UNTAGGABLE = ["AWS::RDS::DBProxyTargetGroup"]


def tag_stack(stack: Stack, config: StageConfig) -> None:
    Tags.of(stack).add("project", "fluxo", exclude_resource_types=_UNTAGGABLE)
    Tags.of(stack).add("stage", config.stage, exclude_resource_types=_UNTAGGABLE)
