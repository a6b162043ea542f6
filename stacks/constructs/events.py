"""Domain events: the custom bus with its replay archive, schedules on the default bus (of
functions and of state machines), and the queue every consumer reads from (encrypted, TLS-only,
with a dead-letter queue and alarms).

Alarms made here have no actions: :class:`~stacks.constructs.monitoring.Monitoring` routes
them to its topic when it is given the queues they watch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import StageConfig

DEAD_LETTER_RETENTION = Duration.days(14)  # SQS's maximum: two weeks to look and redrive
DEFAULT_MAX_MESSAGE_AGE = Duration.minutes(15)
DEFAULT_RETENTION = Duration.days(4)  # SQS's own default, written out rather than implied

_DEAD_LETTER_REASON = "this queue is itself a dead-letter queue: nothing is redriven from it"


class DeadLetterQueue(Construct):
    """Where messages land that could not be processed or delivered: encrypted, TLS-only, kept
    14 days, with an alarm as soon as one message is visible."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey | None,
        what: str,
    ) -> None:
        """``key`` None means SQS-managed encryption (SSE-SQS), for the one queue that must not
        depend on the KMS key: the bus's dead letters for events the key failed on."""
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS if key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "NotEmpty",
            alarm_description=f"Fluxo: {what} has messages: look at them and redrive or discard",
            metric=self.queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        Validations.of(self.queue).acknowledge(
            Acknowledgment(id="AwsSolutions::AwsSolutions-SQS3", reason=_DEAD_LETTER_REASON)
        )


class ConsumerQueue(Construct):
    """The queue between an EventBridge rule (or an S3 notification) and one consumer function:
    KMS-encrypted, TLS-only, a message moves to its own dead-letter queue after
    ``max_receive_count`` failed receives. Alarms: the dead-letter queue has a message; the
    oldest message waited longer than ``max_message_age`` (the consumer is stuck or too slow).

    ``visibility_timeout`` should be at least six times the consumer's timeout (AWS's advice for
    Lambda event source mappings), so a batch is not received twice while it is processed.
    ``retention_period`` is how long an unprocessed message waits (its dead-letter queue keeps
    messages 14 days, counted from when they were first sent).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        visibility_timeout: Duration,
        max_receive_count: int = 5,
        max_message_age: Duration = DEFAULT_MAX_MESSAGE_AGE,
        retention_period: Duration = DEFAULT_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        path = self.node.path
        dead = DeadLetterQueue(self, "DeadLetters", key=key, what=f"{path} dead-letter queue")
        self.dead_letters = dead.queue
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            retention_period=retention_period,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=max_receive_count
            ),
        )
        self.age_alarm = cloudwatch.Alarm(
            self,
            "OldestMessageAge",
            alarm_description=(
                f"Fluxo: {path} has a message older than {max_message_age.to_minutes()} minutes: "
                "its consumer is failing or cannot keep up"
            ),
            metric=self.queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=max_message_age.to_seconds(),
            evaluation_periods=5,
            datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms: list[cloudwatch.Alarm] = [dead.alarm, self.age_alarm]


class Events(Construct):
    """The stage's custom event bus (encrypted with the stage key), an archive of every event it
    carries for replay (a year in prod, a month in dev), and schedules on the default bus."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        # Events the bus cannot encrypt or decrypt land here; it must not depend on that key.
        self._bus_dead_letters = DeadLetterQueue(
            self, "BusDeadLetters", key=None, what="the event bus's dead-letter queue"
        )
        self.bus = events.EventBus(
            self,
            "Bus",
            description=f"Fluxo {config.stage}: domain events published from the outbox",
            kms_key=key,
            dead_letter_queue=self._bus_dead_letters.queue,
        )
        self.archive = events.Archive(
            self,
            "Archive",
            source_event_bus=self.bus,
            description=f"Fluxo {config.stage}: every domain event, for replay",
            # Every event on the bus comes from this account (PutEvents by the relay).
            event_pattern=events.EventPattern(account=[Aws.ACCOUNT_ID]),
            retention=Duration.days(365 if config.is_prod else 30),
        )
        self._encrypt_archive(key)
        self.dead_letter_queues: list[sqs.IQueue] = [self._bus_dead_letters.queue]
        self.alarms: list[cloudwatch.Alarm] = [self._bus_dead_letters.alarm]
        self._delivery_allowed = False
        self._schedule_dead_letters: dict[str, DeadLetterQueue] = {}

    def _encrypt_archive(self, key: kms.IKey) -> None:
        """The archive keeps events with the stage key too. ``Archive(kms_key=...)`` would
        write the bus's ARN (an attribute) into the key policy while the bus names the key: a
        circular dependency. The bus's name is fixed at synthesis, so its ARN is written out."""
        archive = self.archive.node.default_child
        assert isinstance(archive, events.CfnArchive)
        archive.add_property_override("KmsKeyIdentifier", key.key_arn)
        bus = self.bus.node.default_child
        assert isinstance(bus, events.CfnEventBus)
        bus_arn = Stack.of(self).format_arn(
            service="events", resource="event-bus", resource_name=bus.name
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeArchivesTheBus",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:EncryptionContext:aws:events:event-bus:arn": bus_arn}
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDescribesTheKey",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
            )
        )

    def add_schedule(
        self,
        construct_id: str,
        *,
        schedule: events.Schedule,
        target_function: lambda_.IFunction,
        description: str,
        retry_attempts: int = 4,
        max_event_age: Duration = Duration.hours(1),
        payload: Mapping[str, Any] | None = None,
    ) -> events.Rule:
        """A rule on the default bus (where schedules live) that invokes ``target_function``
        with the scheduled event, or with ``payload`` when given (which of a function's
        schedules fired); EventBridge retries a failed delivery ``retry_attempts`` times within
        ``max_event_age``, then puts the event in the schedule's own dead-letter queue (alarmed).

        Delivery failures are invocation failures (throttling, permissions); errors raised by
        the function go to the function's own asynchronous dead-letter queue."""
        return self._schedule(
            construct_id,
            schedule=schedule,
            description=description,
            target=lambda dead: targets.LambdaFunction(
                target_function,
                event=events.RuleTargetInput.from_object(dict(payload)) if payload else None,
                dead_letter_queue=dead,
                retry_attempts=retry_attempts,
                max_event_age=max_event_age,
            ),
        )

    def add_state_machine_schedule(
        self,
        construct_id: str,
        *,
        schedule: events.Schedule,
        state_machine: sfn.IStateMachine,
        description: str,
        retry_attempts: int = 4,
        max_event_age: Duration = Duration.hours(1),
        scope: Construct | None = None,
    ) -> events.Rule:
        """A rule on the default bus that starts an execution of ``state_machine``, with the
        same retries and dead-letter queue as :meth:`add_schedule`. EventBridge may start
        executions only of that state machine (the role CDK gives the target).

        ``scope`` puts the rule and its dead-letter queue next to a state machine of another
        stack of the region (the stage key still encrypts the queue); their alarm is then not in
        :attr:`alarms` but in :meth:`dead_letters_of` the rule, for that stack to route.

        Delivery failures are ``StartExecution`` failures; an execution that fails is the state
        machine's own (its metrics, its alarms)."""
        return self._schedule(
            construct_id,
            schedule=schedule,
            description=description,
            scope=scope,
            target=lambda dead: targets.SfnStateMachine(
                state_machine,
                dead_letter_queue=dead,
                retry_attempts=retry_attempts,
                max_event_age=max_event_age,
            ),
        )

    def _schedule(
        self,
        construct_id: str,
        *,
        schedule: events.Schedule,
        description: str,
        target: Callable[[sqs.IQueue], events.IRuleTarget],
        scope: Construct | None = None,
    ) -> events.Rule:
        holder = Construct(scope or self, construct_id)
        dead = DeadLetterQueue(
            holder, "DeadLetters", key=self._key, what=f"schedule {construct_id}'s dead letters"
        )
        self._allow_delivery_to_encrypted_queues()
        rule = events.Rule(
            holder,
            "Rule",
            schedule=schedule,
            description=description,
            targets=[target(dead.queue)],
        )
        self._schedule_dead_letters[rule.node.path] = dead
        if scope is None:
            self.dead_letter_queues.append(dead.queue)
            self.alarms.append(dead.alarm)
        return rule

    def dead_letters_of(self, rule: events.Rule) -> DeadLetterQueue:
        """The dead-letter queue of a schedule made here."""
        return self._schedule_dead_letters[rule.node.path]

    def add_consumer_rule(
        self,
        construct_id: str,
        *,
        event_types: Sequence[str],
        queue: ConsumerQueue,
        description: str,
        retry_attempts: int = 8,
        max_event_age: Duration = Duration.hours(24),
    ) -> events.Rule:
        """A rule on the stage's bus sending the domain events of ``event_types`` (published by
        the relay: sources ``fluxo.*``) to one consumer's ``queue``. SQS's queue policy lets
        EventBridge send only for this rule; an event EventBridge cannot deliver after
        ``retry_attempts`` within ``max_event_age`` goes to the queue's dead-letter queue."""
        self._allow_delivery_to_encrypted_queues()
        return events.Rule(
            self,
            construct_id,
            event_bus=self.bus,
            description=description,
            event_pattern=events.EventPattern(
                source=events.Match.prefix("fluxo."), detail_type=sorted(event_types)
            ),
            targets=[
                targets.SqsQueue(
                    queue.queue,
                    dead_letter_queue=queue.dead_letters,
                    retry_attempts=retry_attempts,
                    max_event_age=max_event_age,
                )
            ],
        )

    def _allow_delivery_to_encrypted_queues(self) -> None:
        """EventBridge writes dead letters into queues encrypted with the stage key, so SQS
        must be able to use the key on EventBridge's behalf. KMS key policies for EventBridge
        delivery do not support aws:SourceArn/SourceAccount; the statement is limited to calls
        made through SQS in this region instead."""
        if self._delivery_allowed:
            return
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDeliversToEncryptedQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"sqs.{Stack.of(self).region}.amazonaws.com"}
                },
            )
        )
        self._delivery_allowed = True
