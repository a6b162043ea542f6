"""One dashboard and one alarm topic per region: the API, the functions, the queues, the
database and the scheduled model training at a glance, and an e-mail when something needs a
person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct, IConstruct

from stacks.config import StageConfig
from stacks.constructs.events import ConsumerQueue, DeadLetterQueue
from stacks.constructs.function import FluxoFunction

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING

API_5XX_RATE = 0.02
"""Share of requests answered 5XX (the Average of API Gateway's 0/1 5XXError metric)."""
API_P99_LATENCY_MS = 3000
ACU_UTILIZATION_PERCENT = 90
"""ACUUtilization is capacity as a percentage of the cluster's maximum ACUs."""
CONNECTIONS_SHARE = 0.8
DEFAULT_MAX_ACU = 16.0
ACU_MEMORY_BYTES = 2 * 1024**3
"""One Aurora capacity unit is about 2 GiB of memory."""


class HasRestApi(Protocol):
    @property
    def rest_api(self) -> apigateway.RestApi: ...


class HasCluster(Protocol):
    @property
    def cluster(self) -> rds.DatabaseCluster: ...


class Monitoring(Construct):
    """A CloudWatch dashboard and alarms to an SNS topic encrypted with ``key``.

    ``queues`` may hold working queues and dead-letter queues: a queue's own dead-letter queue
    (``sqs.Queue.dead_letter_queue``) is graphed with it, and every queue that has no
    dead-letter queue of its own is treated as one (Fluxo gives every working queue a DLQ), so
    it gets a not-empty alarm. Queues of a :class:`ConsumerQueue` or
    :class:`DeadLetterQueue` already have alarms; those are routed to the topic, not repeated.

    ``state_machines`` are graphed (executions started, succeeded, failed, timed out); ``alarms``
    made elsewhere (such as :class:`~stacks.constructs.training.ScheduledTraining`'s on failed
    executions) are routed to the topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        api: HasRestApi,
        functions: list[FluxoFunction],
        database: HasCluster,
        queues: list[sqs.IQueue],
        state_machines: Sequence[sfn.IStateMachine] = (),
        alarms: Sequence[cloudwatch.Alarm] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.alarms: list[cloudwatch.Alarm] = []
        self._watched: set[str] = set()
        self.topic = self._topic(key)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            default_interval=Duration.hours(6),
            period_override=cloudwatch.PeriodOverride.AUTO,
        )
        self._api(api.rest_api)
        self._functions(functions)
        self._queues(_with_dead_letter_queues(queues))
        self._database(database.cluster)
        self._state_machines(state_machines)
        for alarm in alarms:
            self.watch(alarm)

    # -- the topic ------------------------------------------------------------------------------

    def _topic(self, key: kms.IKey) -> sns.Topic:
        stack = Stack.of(self)
        topic = sns.Topic(
            self,
            "Alarms",
            display_name=f"Fluxo {self._config.stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        # CloudWatch alarms of this account and region, and nothing else, may publish.
        from_our_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_our_alarms,
            )
        )
        # An encrypted topic needs the publisher to use its key: CloudWatch has to be allowed
        # in the key policy (AWS's "compatibility with encrypted topics"), for our alarms only.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsUseKeyForAlarmTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_our_alarms,
            )
        )
        return topic

    def _alarm(
        self,
        construct_id: str,
        *,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> cloudwatch.Alarm:
        """An alarm at or above ``threshold`` that notifies the topic; no data is not a breach."""
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator=GTE,
            treat_missing_data=NOT_BREACHING,
        )
        self.watch(alarm)
        return alarm

    def watch(self, alarm: cloudwatch.Alarm) -> None:
        """Routes ``alarm`` (made elsewhere, in this region) to the topic, once."""
        if alarm.node.path in self._watched:
            return
        self._watched.add(alarm.node.path)
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    # -- what is watched ------------------------------------------------------------------------

    def _api(self, rest_api: apigateway.RestApi) -> None:
        p50 = rest_api.metric_latency(statistic=cloudwatch.Stats.p(50), period=FIVE_MINUTES)
        p99 = rest_api.metric_latency(statistic=cloudwatch.Stats.p(99), period=FIVE_MINUTES)
        client_errors = rest_api.metric_client_error(statistic=cloudwatch.Stats.SUM)
        server_errors = rest_api.metric_server_error(statistic=cloudwatch.Stats.SUM)
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown="# API", width=24, height=1),
            cloudwatch.GraphWidget(
                title="API latency (ms)",
                left=[p50.with_(label="p50"), p99.with_(label="p99")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API errors",
                left=[client_errors.with_(label="4XX"), server_errors.with_(label="5XX")],
                width=12,
            ),
        )
        self._alarm(
            "Api5xxRate",
            description=f"Fluxo: over {API_5XX_RATE:.0%} of API requests answered 5XX",
            metric=rest_api.metric_server_error(
                statistic=cloudwatch.Stats.AVERAGE, period=FIVE_MINUTES
            ),
            threshold=API_5XX_RATE,
            evaluation_periods=3,
            datapoints_to_alarm=2,
        )
        self._alarm(
            "ApiLatencyP99",
            description=f"Fluxo: API p99 latency above {API_P99_LATENCY_MS} ms",
            metric=p99,
            threshold=API_P99_LATENCY_MS,
            evaluation_periods=3,
            datapoints_to_alarm=3,
        )

    def _functions(self, functions: Sequence[FluxoFunction]) -> None:
        if not functions:
            return
        errors, throttles, durations = [], [], []
        for fluxo in functions:
            function, label = fluxo.function, _label(fluxo)
            error = function.metric_errors(statistic=cloudwatch.Stats.SUM, period=FIVE_MINUTES)
            throttle = function.metric_throttles(
                statistic=cloudwatch.Stats.SUM, period=FIVE_MINUTES
            )
            errors.append(error.with_(label=label))
            throttles.append(throttle.with_(label=label))
            durations.append(
                function.metric_duration(
                    statistic=cloudwatch.Stats.p(99), period=FIVE_MINUTES
                ).with_(label=label)
            )
            self._alarm(
                f"{_construct_id(label)}Errors",
                description=f"Fluxo: function {label} failed (unhandled error or timeout)",
                metric=error,
                threshold=1,
                evaluation_periods=1,
            )
            self._alarm(
                f"{_construct_id(label)}Throttles",
                description=f"Fluxo: function {label} was throttled",
                metric=throttle,
                threshold=1,
                evaluation_periods=1,
            )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown="# Functions", width=24, height=1),
            cloudwatch.GraphWidget(title="Function errors", left=errors, width=8),
            cloudwatch.GraphWidget(title="Function throttles", left=throttles, width=8),
            cloudwatch.GraphWidget(title="Function duration p99 (ms)", left=durations, width=8),
        )

    def _queues(self, queues: Sequence[sqs.IQueue]) -> None:
        if not queues:
            return
        visible, ages = [], []
        for queue in queues:
            label = _label(queue)
            visible.append(
                queue.metric_approximate_number_of_messages_visible(
                    statistic=cloudwatch.Stats.MAXIMUM, period=ONE_MINUTE
                ).with_(label=label)
            )
            ages.append(
                queue.metric_approximate_age_of_oldest_message(
                    statistic=cloudwatch.Stats.MAXIMUM, period=ONE_MINUTE
                ).with_(label=label)
            )
            owner = queue.node.scope
            if isinstance(owner, ConsumerQueue | DeadLetterQueue):
                existing = owner.alarms if isinstance(owner, ConsumerQueue) else [owner.alarm]
                for alarm in existing:
                    self.watch(alarm)
            elif _is_dead_letter_queue(queue):
                self._alarm(
                    f"{_construct_id(label)}NotEmpty",
                    description=f"Fluxo: dead-letter queue {label} has messages",
                    metric=queue.metric_approximate_number_of_messages_visible(
                        statistic=cloudwatch.Stats.MAXIMUM, period=ONE_MINUTE
                    ),
                    threshold=1,
                    evaluation_periods=1,
                )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown="# Queues", width=24, height=1),
            cloudwatch.GraphWidget(title="Messages visible", left=visible, width=12),
            cloudwatch.GraphWidget(title="Age of oldest message (s)", left=ages, width=12),
        )

    def _database(self, cluster: rds.DatabaseCluster) -> None:
        capacity = cluster.metric_serverless_database_capacity(
            statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
        )
        utilization = cluster.metric_acu_utilization(
            statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
        )
        connections = cluster.metric_database_connections(
            statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown="# Database", width=24, height=1),
            cloudwatch.GraphWidget(title="Aurora capacity (ACU)", left=[capacity], width=8),
            cloudwatch.GraphWidget(
                title="Aurora ACU utilization (%)",
                left=[utilization],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
                width=8,
            ),
            cloudwatch.GraphWidget(title="Aurora connections", left=[connections], width=8),
        )
        self._alarm(
            "AuroraCapacityNearMax",
            description=(
                f"Fluxo: Aurora has run above {ACU_UTILIZATION_PERCENT}% of its maximum "
                "capacity for 15 minutes: raise the maximum ACUs or find the heavy queries"
            ),
            metric=utilization,
            threshold=ACU_UTILIZATION_PERCENT,
            evaluation_periods=3,
            datapoints_to_alarm=3,
        )
        limit = _max_connections(cluster)
        threshold = round(limit * CONNECTIONS_SHARE)
        self._alarm(
            "AuroraConnectionsHigh",
            description=(
                f"Fluxo: Aurora connections above {threshold} ({CONNECTIONS_SHARE:.0%} of about "
                f"{limit} allowed at maximum capacity): check RDS Proxy pinning and leaks"
            ),
            metric=connections,
            threshold=threshold,
            evaluation_periods=3,
            datapoints_to_alarm=2,
        )

    def _state_machines(self, state_machines: Sequence[sfn.IStateMachine]) -> None:
        if state_machines:
            self.dashboard.add_widgets(*training_widgets(state_machines))


def training_widgets(state_machines: Sequence[sfn.IStateMachine]) -> list[cloudwatch.IWidget]:
    """A "Model training" section: each state machine's executions, hour by hour."""
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.TextWidget(markdown="# Model training", width=24, height=1)
    ]
    for machine in state_machines:
        label = _label(machine)
        period = Duration.hours(1)
        widgets.append(
            cloudwatch.GraphWidget(
                title=f"{label} executions",
                left=[
                    machine.metric_started(period=period).with_(label="started"),
                    machine.metric_succeeded(period=period).with_(label="succeeded"),
                    machine.metric_failed(period=period).with_(label="failed"),
                    machine.metric_timed_out(period=period).with_(label="timed out"),
                ],
                width=12,
            )
        )
    return widgets


def _with_dead_letter_queues(queues: Iterable[sqs.IQueue]) -> list[sqs.IQueue]:
    """The queues, each followed by its dead-letter queue, without repeats."""
    seen: set[str] = set()
    result: list[sqs.IQueue] = []
    for queue in queues:
        dead = getattr(queue, "dead_letter_queue", None)
        for candidate in (queue, dead.queue if dead else None):
            if candidate is not None and candidate.node.path not in seen:
                seen.add(candidate.node.path)
                result.append(candidate)
    return result


def _is_dead_letter_queue(queue: sqs.IQueue) -> bool:
    return getattr(queue, "dead_letter_queue", None) is None


def _label(construct: IConstruct) -> str:
    """A short readable name: the construct path below the stack, without an L2 ``Queue``."""
    parts = construct.node.path.split("/")[1:]
    if len(parts) > 1 and parts[-1] == "Queue":
        parts = parts[:-1]
    return "/".join(parts)


def _construct_id(label: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in label.replace("-", "/").split("/"))


def _max_connections(cluster: rds.DatabaseCluster) -> int:
    """PostgreSQL's max_connections on Aurora: LEAST(DBInstanceClassMemory/9531392, 5000),
    with memory at the cluster's maximum ACUs (about 2 GiB each)."""
    max_acu = DEFAULT_MAX_ACU
    # DatabaseCluster keeps its Serverless v2 maximum as a protected property (jsii exposes it
    # with a leading underscore); the L1 resource only has it lazily.
    value = getattr(cluster, "_serverless_v2_max_capacity", None)
    if isinstance(value, int | float) and value > 0:
        max_acu = float(value)
    return int(min(max_acu * ACU_MEMORY_BYTES / 9531392, 5000))
