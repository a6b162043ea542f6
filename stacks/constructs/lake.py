"""The S3 lake: every original file as received, Parquet aggregates, model artefacts, reports.

The primary region's bucket replicates everything to a bucket in the secondary region (its own
key, its own access logs), so the standby has the lake when the primary region is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Acknowledgment, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces import aws_s3 as s3_refs
from constructs import Construct, IConstruct, IValidation

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge

RAW = "raw/"
"""Files exactly as users dropped or uploaded them (bank statements, OFX)."""
PROCESSED = "processed/"
"""Daily aggregates as Parquet, read by Athena."""
MODELS = "models/"
"""Model artefacts with their metrics."""
REPORTS = "reports/"
"""Monthly and weekly reports as sent."""
ATHENA_RESULTS = "athena-results/"
"""What Athena queries of the lake answered (the workgroup's output), kept a short while."""
PREFIXES = (RAW, PROCESSED, MODELS, REPORTS, ATHENA_RESULTS)

BANK_STATEMENTS = f"{RAW}bank_statements/"
"""Bank statements: ``{tenant}/{user}/{account}/{file}`` dropped to be imported, and the
originals of files uploaded through the API (``{tenant}/{user}/{import}/{file}``)."""
IMPORT_REPORTS = f"{PROCESSED}import_reports/"
"""One JSON report per imported file."""
DAILY_AGGREGATIONS = f"{PROCESSED}daily_aggregations/"
"""The daily rollups of every workspace as Parquet, ``date=YYYY-MM-DD/part-00000.parquet``
(``shared/analytics/lake_export.py``), read by Athena through a Glue table."""

# Log delivery is authorised by a bucket policy for logging.s3.amazonaws.com, never by the
# LogDeliveryWrite ACL (ACLs stay disabled); set here so it holds without cdk.json's context.
_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"

ACCESS_LOG_DAYS = 365
NONCURRENT_VERSION_DAYS = 90
ATHENA_RESULT_DAYS = 30
"""Query results are for reading once, and can hold any workspace's numbers: kept a month."""


def _access_logs_bucket(scope: Construct, construct_id: str) -> s3.Bucket:
    """Where S3 writes server access logs. Log delivery supports only SSE-S3 on the target, so
    this bucket is SSE-S3; it is private, TLS-only and versioned (an overwritten or deleted log
    stays recoverable for a month), and its logs expire after a year."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-access-logs",
                expiration=Duration.days(ACCESS_LOG_DAYS),
                noncurrent_version_expiration=Duration.days(30),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ],
    )


def _lifecycle_rules() -> list[s3.LifecycleRule]:
    """Raw files cool down (IA at 30 days, Glacier at 90); old versions of anything expire."""
    return [
        s3.LifecycleRule(
            id="raw-to-cold-storage",
            prefix=RAW,
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(30),
                ),
                s3.Transition(
                    storage_class=s3.StorageClass.GLACIER, transition_after=Duration.days(90)
                ),
            ],
        ),
        s3.LifecycleRule(
            id="expire-athena-results",
            prefix=ATHENA_RESULTS,
            expiration=Duration.days(ATHENA_RESULT_DAYS),
        ),
        s3.LifecycleRule(
            id="expire-old-versions",
            noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
            expired_object_delete_marker=True,
            abort_incomplete_multipart_upload_after=Duration.days(7),
        ),
    ]


class ReplicaLake(Construct):
    """The lake's copy in the secondary region: the target of the primary's replication, and
    the lake the standby reads after a failover. Its own key: a KMS key never leaves its region.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context(_LOGS_USE_BUCKET_POLICY, True)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description=f"Fluxo {config.stage}: the lake replica's objects",
        )
        self.access_logs = _access_logs_bucket(self, "AccessLogs")
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            versioned=True,  # replication needs it on both sides
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="replica/",
            lifecycle_rules=_lifecycle_rules(),
            removal_policy=RemovalPolicy.RETAIN,
        )


class Lake(Construct):
    """The primary lake bucket: versioned, SSE-KMS with the stage key (bucket key on), TLS-only,
    private, access-logged, with ``raw/`` cooling to IA and Glacier, and replicated in full to
    the secondary region's :class:`ReplicaLake` (re-encrypted there with the replica's key).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        replica: ReplicaLake,
    ) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context(_LOGS_USE_BUCKET_POLICY, True)
        self._key = key
        self.access_logs = _access_logs_bucket(self, "AccessLogs")
        self.replication_role = iam.Role(
            self,
            "ReplicationRole",
            assumed_by=iam.ServicePrincipal(
                "s3.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="S3 replication of the Fluxo lake to the secondary region, nothing else",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            versioned=True,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="lake/",
            lifecycle_rules=_lifecycle_rules(),
            removal_policy=RemovalPolicy.RETAIN,
            replication_role=self.replication_role,
            replication_rules=[
                s3.ReplicationRule(
                    id="everything-to-secondary-region",
                    destination=replica.bucket,
                    priority=1,
                    kms_key=replica.key,
                    sse_kms_encrypted_objects=True,
                    delete_marker_replication=True,
                    # Replication Time Control (15-minute SLA, metrics) costs per GB: prod only.
                    replication_time_control=(
                        s3.ReplicationTimeValue.FIFTEEN_MINUTES if config.is_prod else None
                    ),
                    metrics=s3.ReplicationTimeValue.FIFTEEN_MINUTES if config.is_prod else None,
                )
            ],
        )
        self._grant_replication(replica)

    def _grant_replication(self, replica: ReplicaLake) -> None:
        """Exactly what S3 replication needs (AWS's documented replication policy), each
        statement on one bucket or one key, KMS use only through S3 for the bucket in question.
        With bucket keys on, S3's encryption context is the bucket ARN (object ARNs for objects
        written before), so both are allowed."""
        source, target = self.bucket, replica.bucket
        statements = [
            iam.PolicyStatement(
                sid="ReadReplicationConfiguration",
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                resources=[source.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ReadSourceVersions",
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[source.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="WriteReplicas",
                actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                resources=[target.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="DecryptSourceObjects",
                actions=["kms:Decrypt"],
                resources=[self._key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            source.bucket_arn,
                            source.arn_for_objects("*"),
                        ]
                    },
                },
            ),
            iam.PolicyStatement(
                sid="EncryptReplicas",
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[replica.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"s3.{Stack.of(replica).region}.amazonaws.com"
                    },
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            target.bucket_arn,
                            target.arn_for_objects("*"),
                        ]
                    },
                },
            ),
        ]
        policy = iam.Policy(self, "ReplicationPolicy", statements=statements)
        policy.attach_to_role(self.replication_role)
        acknowledge_wildcard_resources(
            policy,
            [source.arn_for_objects("*"), target.arn_for_objects("*")],
            reason="replication reads every object version of the lake and writes every replica "
            "into the replica bucket: each '/*' is the objects of exactly one bucket",
        )

    def grant_read_write(self, grantable: iam.IGrantable, prefix: str) -> iam.Grant:
        """Lets ``grantable`` read, write and delete objects under ``prefix`` (one of the
        prefix constants, or a folder below one, ending in ``/``) and list only that prefix;
        the key may be used only through S3 for this bucket."""
        _check_prefix(prefix)
        grant = iam.Grant.add_to_principal(
            grantee=grantable,
            actions=[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:PutObject",
                "s3:PutObjectTagging",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            resource_arns=[self.bucket.arn_for_objects(f"{prefix}*")],
        )
        listing = iam.Grant.add_to_principal(
            grantee=grantable,
            actions=["s3:ListBucket"],
            resource_arns=[self.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
        keys = self._grant_key_through_s3(grantable, ["kms:Decrypt", "kms:GenerateDataKey"])
        _acknowledge_objects(
            grantable,
            [self.bucket.arn_for_objects(f"{prefix}*")],
            reason=f"the objects under {prefix} in the lake, which this function works on; "
            "nothing else in the bucket",
        )
        return grant.combine(listing).combine(keys)

    def grant_objects(
        self,
        grantable: iam.IGrantable,
        *,
        read: Sequence[str] = (),
        write: Sequence[str] = (),
    ) -> iam.Grant:
        """Lets ``grantable`` read (``s3:GetObject``, ``s3:GetObjectVersion``) the objects under
        each ``read`` prefix and list those keys (without ``s3:ListBucket`` S3 answers a
        missing key with 403, not 404, and a file gone before its import would look like a
        failure worth retrying); create or overwrite (``s3:PutObject``) those under each
        ``write`` prefix, and abort its own failed multipart uploads; nothing else: no
        delete, no tags, no other prefix. Prefixes are folders under one of the prefix
        constants, ending in ``/``.

        The key may be used only through S3 for this bucket: ``kms:Decrypt`` to read (and to
        finish a multipart upload), ``kms:GenerateDataKey`` to write."""
        if not read and not write:
            raise ValueError("grant_objects needs at least one read or write prefix")
        for prefix in (*read, *write):
            _check_prefix(prefix)
        grant: iam.Grant | None = None
        for actions, prefixes in (
            (["s3:GetObject", "s3:GetObjectVersion"], read),
            (["s3:PutObject", "s3:AbortMultipartUpload"], write),
        ):
            if prefixes:
                added = iam.Grant.add_to_principal(
                    grantee=grantable,
                    actions=actions,
                    resource_arns=[self.bucket.arn_for_objects(f"{p}*") for p in prefixes],
                )
                grant = added if grant is None else grant.combine(added)
        if read:
            listing = iam.Grant.add_to_principal(
                grantee=grantable,
                actions=["s3:ListBucket"],
                resource_arns=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in read]}},
            )
            grant = listing if grant is None else grant.combine(listing)
        key_actions = (["kms:Decrypt"] if read else []) + (
            ["kms:Decrypt", "kms:GenerateDataKey"] if write else []
        )
        keys = self._grant_key_through_s3(grantable, sorted(set(key_actions)))
        prefixes = list(dict.fromkeys((*read, *write)))
        _acknowledge_objects(
            grantable,
            [self.bucket.arn_for_objects(f"{p}*") for p in prefixes],
            reason="the objects under one prefix of the lake that this principal reads or "
            "writes (" + ", ".join(prefixes) + "); no delete, and nothing else in the bucket",
        )
        assert grant is not None
        return grant.combine(keys)

    def grant_replace(self, grantable: iam.IGrantable, prefix: str) -> iam.Grant:
        """Lets ``grantable`` create, overwrite (``s3:PutObject``) and delete
        (``s3:DeleteObject``) the objects under ``prefix``, and nothing else: no read, no list,
        no other prefix. For a writer that replaces whole files it never reads back (the lake
        export's day files); the key may be used only through S3 for this bucket, to write."""
        _check_prefix(prefix)
        objects = self.bucket.arn_for_objects(f"{prefix}*")
        grant = iam.Grant.add_to_principal(
            grantee=grantable,
            actions=["s3:PutObject", "s3:DeleteObject"],
            resource_arns=[objects],
        )
        keys = self._grant_key_through_s3(grantable, ["kms:GenerateDataKey"])
        _acknowledge_objects(
            grantable,
            [objects],
            reason=f"the objects under {prefix} in the lake, which this principal replaces or "
            "deletes; no read, and nothing else in the bucket",
        )
        return grant.combine(keys)

    def _grant_key_through_s3(self, grantable: iam.IGrantable, actions: list[str]) -> iam.Grant:
        """The stage key, only through S3 in this region, only for this bucket's objects (with
        bucket keys on, S3's encryption context is the bucket ARN; object ARNs for objects
        written before)."""
        return iam.Grant.add_to_principal(
            grantee=grantable,
            actions=actions,
            resource_arns=[self._key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"},
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [
                        self.bucket.bucket_arn,
                        self.bucket.arn_for_objects("*"),
                    ]
                },
            },
        )

    def notify_queue(self, queue: sqs.Queue, *, prefix: str) -> None:
        """Sends an S3 event notification to ``queue`` for every object created under
        ``prefix``. Only this bucket, in this account, may send to the queue (its queue
        policy), and S3 may use the queue's key to do so (its key policy).

        Not CDK's ``SqsDestination``: for a queue encrypted with the key that also encrypts
        this bucket, it puts the bucket's ARN into the key policy (a dependency cycle, key →
        bucket → key, that CloudFormation refuses) and adds an unconditioned statement letting
        any S3 request use the key. Here the key policy cannot name the bucket for the same
        reason; it allows S3 only for requests from this account, and only through SQS queues
        of this account and region (SQS's encryption context is the queue ARN)."""
        _check_prefix(prefix)
        key = queue.encryption_master_key
        if not isinstance(key, kms.Key):
            raise ValueError("notify_queue needs a queue encrypted with a key of this app")
        stack = Stack.of(self)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3NotifiesEncryptedQueues",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "kms:EncryptionContext:aws:sqs:arn": stack.format_arn(
                            service="sqs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME
                        )
                    },
                },
            )
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            _QueueDestination(queue),
            s3.NotificationKeyFilter(prefix=prefix),
        )
        _acknowledge_notifications_handler(stack)


@jsii.implements(s3.IBucketNotificationDestination)
class _QueueDestination:
    """An SQS queue as a notification target: the queue policy lets S3 send for this bucket
    of this account only (``aws:SourceArn`` and ``aws:SourceAccount``, the confused-deputy
    guard AWS recommends), and the notification waits for that policy (S3 checks it)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, scope: Construct, bucket: s3_refs.IBucketRef
    ) -> s3.BucketNotificationDestinationConfig:
        added = self._queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3SendsNotificationsOfTheLake",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self._queue.queue_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_ref.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Stack.of(scope).account},
                },
            )
        )
        return s3.BucketNotificationDestinationConfig(
            arn=self._queue.queue_arn,
            type=s3.BucketNotificationDestinationType.QUEUE,
            dependencies=[added.policy_dependable] if added.policy_dependable else None,
        )


# CDK's single function per stack behind Custom::S3BucketNotifications (aws-s3's
# BucketNotificationsHandler, a fixed id).
_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


def _acknowledge_notifications_handler(stack: Stack) -> None:
    handler = stack.node.try_find_child(_NOTIFICATIONS_HANDLER)
    if handler is None:
        raise RuntimeError(f"CDK's bucket notifications handler is not {_NOTIFICATIONS_HANDLER}")
    acknowledge(
        handler,
        {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": (
                "CDK's deploy-time handler for the lake's event notifications writes only its "
                "own logs with the basic execution policy; its one other permission is "
                "s3:PutBucketNotification on the lake bucket"
            ),
        },
    )


def _check_prefix(prefix: str) -> None:
    if not prefix.endswith("/") or not prefix.startswith(PREFIXES):
        raise ValueError(f"prefix must be under one of {PREFIXES} and end in '/': {prefix!r}")


def _acknowledge_objects(grantable: iam.IGrantable, resources: list[str], reason: str) -> None:
    """The IAM5 finding is on the principal's policy: acknowledged next to the principal (the
    function's role when given a function), else next to what was given."""
    principal = grantable.grant_principal
    holder = principal if isinstance(principal, Construct) else grantable
    if isinstance(holder, Construct):
        acknowledge_wildcard_resources(holder, resources, reason=reason)


def acknowledge_wildcard_resources(scope: IConstruct, resources: list[str], reason: str) -> None:
    """Acknowledges cdk-nag's IAM5 finding for exactly these resource ARNs in policies under
    ``scope``, with ``reason``; other wildcards there are still reported.

    cdk-nag 3 names each finding by the resolved resource (``<LakeBucketB1D32E10.Arn>/*``),
    and a bucket in another region resolves only once CDK has wired the cross-region reference
    (an ``ExportsReader``), so the ids are computed when the tree is validated, after that."""
    scope.node.add_validation(_WildcardAcknowledgement(scope, resources, reason))


@jsii.implements(IValidation)
class _WildcardAcknowledgement:
    def __init__(self, scope: IConstruct, resources: list[str], reason: str) -> None:
        self._scope, self._resources, self._reason = scope, resources, reason

    def validate(self) -> list[str]:
        stack = Stack.of(self._scope)
        for resource in self._resources:
            finding = _flatten(stack.resolve(resource))
            Validations.of(self._scope).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{finding}]", reason=self._reason
                )
            )
        return []


def _flatten(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in a finding id."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in value:
            return _flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return _flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{_flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))
