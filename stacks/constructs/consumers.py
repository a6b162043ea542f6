"""Event consumers on AWS: per consumer, one EventBridge rule on the stage's bus, one encrypted
SQS queue with its dead-letter queue (:class:`~stacks.constructs.events.ConsumerQueue`), alarms
on depth, age and dead letters, and one function reading the queue in batches with partial
batch failures (``shared/consumer_entry.py``).

The consumers themselves are runtime code (``Container.consumers``); the stacks know only their
names, packages and event types (:data:`CONSUMERS`), which a test compares with the runtime's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.constructs.events import ConsumerQueue, Events
from stacks.constructs.function import FluxoFunction, FunctionDefaults


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer of ``Container.consumers`` as the infrastructure sees it."""

    name: str
    """The consumer's name: its queue is ``fluxo-<stage>-<name>``, its DLQ ``…-<name>-dlq``."""
    context: str
    """The package under ``functions/`` holding its Lambda entry."""
    handler: str
    """The entry, relative to the package (``activity.handler``)."""
    event_types: tuple[str, ...]
    description: str
    publishes: bool = False
    """Its handler records events of its own: the function may ``PutEvents`` on the bus."""
    timeout_seconds: int = 60
    batch_size: int = 10
    max_receive_count: int = 5
    """Receives before a message moves to the dead-letter queue."""
    max_concurrency: int = 5
    """Concurrent batches at most: each holds a database connection through RDS Proxy."""
    max_depth: int = 1000
    """Alarm when more messages than this wait: the consumer cannot keep up."""


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        name="anomalies",
        context="ai",
        handler="anomalies_consumer.handler",
        event_types=("ImportCompleted", "TransactionCreated"),
        description="Judges new transactions against the workspace's history, keeps the "
        "anomalies and raises AnomalyDetected",
        publishes=True,
        timeout_seconds=120,
    ),
    ConsumerSpec(
        name="activity",
        context="analytics",
        handler="activity.handler",
        event_types=(
            "TransactionCreated",
            "TransactionDeleted",
            "TransactionUpdated",
            "TransactionCategorized",
            "TransactionsImported",
        ),
        description="Keeps the analytics rollups (day, month, merchant) from transaction events",
    ),
    ConsumerSpec(
        name="budgets",
        context="budgets",
        handler="budgets.handler",
        event_types=(
            "TransactionCategorized",
            "TransactionCreated",
            "TransactionDeleted",
            "TransactionUpdated",
            "TransactionsImported",
        ),
        description="Recomputes budgets from transaction events and raises their alerts",
        publishes=True,
    ),
    ConsumerSpec(
        name="goals",
        context="budgets",
        handler="goals_consumer.handler",
        event_types=(
            "TransactionCategorized",
            "TransactionCreated",
            "TransactionDeleted",
            "TransactionUpdated",
            "TransactionsImported",
        ),
        description="Recomputes savings goals from transaction events and announces their "
        "milestones",
        publishes=True,
    ),
    ConsumerSpec(
        name="notifications",
        context="notifications",
        handler="notifications.handler",
        event_types=(
            "BudgetExceeded",
            "BudgetThresholdReached",
            "AnomalyDetected",
            "GoalMilestoneReached",
            "GoalReached",
            "ReportGenerated",
        ),
        description="Tells people of the alerts they asked for, by e-mail, SMS and push, "
        "and e-mails the link to each scheduled report",
    ),
    ConsumerSpec(
        name="search",
        context="analytics",
        handler="search_indexer.handler",
        event_types=(
            "TransactionCategorized",
            "TransactionCreated",
            "TransactionDeleted",
            "TransactionUpdated",
            "TransactionsImported",
        ),
        description="Keeps the transactions' search index (OpenSearch) from transaction events",
    ),
)

BATCHING_WINDOW = Duration.seconds(1)


def queue_name(stage: str, consumer: str) -> str:
    """Physical names, so ``fluxo events redrive fluxo-<stage>-<consumer>`` needs no lookup."""
    return f"fluxo-{stage}-{consumer}"


class EventConsumer(Construct):
    """The rule, queue, dead-letter queue, alarms and function of one consumer. The function's
    role may read and delete from its queue, decrypt with the stage key, connect to the
    database as the application user, write its logs, and publish to the bus only if the
    consumer ``publishes``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: ConsumerSpec,
        defaults: FunctionDefaults,
        events_: Events,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.function = FluxoFunction(
            self,
            "Function",
            defaults=defaults,
            context=spec.context,
            handler=spec.handler,
            description=f"Consumer {spec.name}: {spec.description}",
            timeout=Duration.seconds(spec.timeout_seconds),
        )
        self.queue = ConsumerQueue(
            self,
            "Queue",
            key=defaults.key,
            visibility_timeout=Duration.seconds(
                6 * spec.timeout_seconds + BATCHING_WINDOW.to_seconds()
            ),
            max_receive_count=spec.max_receive_count,
        )
        name = queue_name(defaults.stage, spec.name)
        cast(sqs.CfnQueue, self.queue.queue.node.default_child).queue_name = name
        cast(sqs.CfnQueue, self.queue.dead_letters.node.default_child).queue_name = f"{name}-dlq"
        self.depth_alarm = cloudwatch.Alarm(
            self,
            "Depth",
            alarm_description=(
                f"Fluxo: more than {spec.max_depth} events wait in {name}: the {spec.name} "
                "consumer is failing or cannot keep up"
            ),
            metric=self.queue.queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=spec.max_depth,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms: list[cloudwatch.Alarm] = [*self.queue.alarms, self.depth_alarm]
        self.rule = events_.add_consumer_rule(
            f"{construct_id}Rule",
            event_types=spec.event_types,
            queue=self.queue,
            description=f"Fluxo: {', '.join(sorted(spec.event_types))} to consumer {spec.name}",
        )
        # CDK's target allows EventBridge to send to a KMS-encrypted queue without naming the
        # rule (it cannot add aws:SourceArn there); this keeps every other rule out.
        self.queue.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheConsumersRuleSends",
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue.queue_arn],
                conditions={"ArnNotEquals": {"aws:SourceArn": self.rule.rule_arn}},
            )
        )
        # Grants ReceiveMessage/DeleteMessage/ChangeMessageVisibility/GetQueueAttributes on
        # this queue only (and kms:Decrypt, which the function has for the stage key anyway).
        self.function.function.add_event_source(
            sources.SqsEventSource(
                self.queue.queue,
                batch_size=spec.batch_size,
                max_batching_window=BATCHING_WINDOW,
                report_batch_item_failures=True,
                max_concurrency=spec.max_concurrency,
            )
        )
        if spec.publishes:
            events_.bus.grant_put_events_to(self.function.role)
