"""One construct gives every function the house defaults, so no stack repeats them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.constructs.nag import acknowledge
from stacks.packaging import function_code, function_layers

RUNTIME = lambda_.Runtime.PYTHON_3_12
POWERTOOLS_NAMESPACE = "Fluxo"


@dataclass(frozen=True)
class FunctionDefaults:
    """What every function of one stage shares."""

    stage: str
    layers: Mapping[str, lambda_.ILayerVersion]
    """The dependency layers by name (:data:`stacks.packaging.LAYERS`); each function takes
    the ones :func:`~stacks.packaging.function_layers` names for it."""
    staging: Path
    key: kms.IKey
    """Encrypts the functions' environment, logs and dead-letter queues."""
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    vpc: ec2.IVpc | None = None
    security_groups: tuple[ec2.ISecurityGroup, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sizing:
    """Memory and timeout of one function, where the house default (512 MB, 29 s) is not enough."""

    memory_mb: int = 512
    timeout: Duration | None = None
    """None: 29 s, API Gateway's own limit for a synchronous call."""


class FluxoFunction(Construct):
    """A Python function on arm64 with Powertools settings, JSON logs kept for a set time,
    X-Ray tracing, its own role (no managed policies), and a dead-letter queue for asynchronous
    calls unless it is only ever called synchronously (``asynchronous=False``).

    ``context`` names the package under ``functions/``; ``handler`` is relative to it. Its
    layers are core, models for a context that runs a model, and ``extra_layers``
    (:func:`~stacks.packaging.function_layers`): no function loads libraries it never imports.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        context: str,
        handler: str = "handler.handler",
        description: str,
        environment: Mapping[str, str] | None = None,
        memory_mb: int = 512,
        timeout: Duration | None = None,
        reserved_concurrency: int | None = None,
        in_vpc: bool = True,
        extra_layers: Sequence[str] = (),
        function_name: str | None = None,
        asynchronous: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.layer_names = function_layers(context, extra_layers)
        service = f"fluxo-{context}"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=defaults.log_retention,
            encryption_key=defaults.key,
            removal_policy=RemovalPolicy.DESTROY
            if defaults.stage != "prod"
            else RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{service}: only what this function does",
        )
        # Only an asynchronous invocation (a schedule, an S3 notification) has events left to
        # dead-letter; a request API Gateway waits for failed with its answer.
        self.dead_letters = (
            sqs.Queue(
                self,
                "AsyncDeadLetters",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=defaults.key,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            if asynchronous
            else None
        )
        vpc = defaults.vpc if in_vpc else None
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=lambda_.Code.from_asset(str(function_code(context, defaults.staging))),
            handler=f"functions.{context}.{handler}",
            description=description,
            function_name=function_name,
            layers=[defaults.layers[name] for name in self.layer_names],
            memory_size=memory_mb,
            timeout=timeout or Duration.seconds(29),
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            environment_encryption=defaults.key,
            dead_letter_queue=self.dead_letters,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            if vpc
            else None,
            security_groups=list(defaults.security_groups) if vpc else None,
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "FLUXO_ENVIRONMENT": "aws",
                **defaults.environment,
                **(environment or {}),
            },
        )
        self.log_group.grant_write(self.role)
        # What its settings, logs and dead-letter queue need of the key; no ReEncrypt.
        defaults.key.grant(self.role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        self._acknowledge(in_vpc=vpc is not None)

    def _acknowledge(self, *, in_vpc: bool) -> None:
        reasons = {
            "IAM5[Resource::*]": (
                "X-Ray PutTraceSegments/PutTelemetryRecords take no resource ARN, and Lambda's "
                "VPC network interfaces (ec2:CreateNetworkInterface…) are not resource-scoped"
            ),
            "L1": (
                "Python 3.12 is the version the dependency layer is built for (make layers); "
                "the runtime and the layer move to a newer Python together"
            ),
            "SQS3": "this queue is itself the dead-letter queue",
        }
        if in_vpc:
            reasons[
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaVPCAccessExecutionRole]"
            ] = (
                "the AWS-managed policy Lambda needs to attach to the VPC; CDK adds it to "
                "functions in a VPC"
            )
        acknowledge(self, {f"AwsSolutions-{rule}": reason for rule, reason in reasons.items()})
