"""Models retrained on a schedule: for each model of ``stacks/config.py``'s ``TRAINED_MODELS``,
an EventBridge schedule starts a Step Functions state machine whose task is a SageMaker training
job, which writes the new artefact into the lake under ``models/<model>/``.

One training image serves every model: ``ml/training/Dockerfile``, staged by
``stacks/packaging.py`` (``training_context``) and built by CDK at deploy time (``cdk synth``
only copies the folder; no Docker needed). The job runs ``<command> --out /opt/ml/model``
(``ml/training/entry.py``); SageMaker uploads that folder as
``models/<model>/<job>/output/model.tar.gz``, encrypted with the stage key.

What a model's job may do, through its own role: write objects under ``models/<model>/`` (no
read, no delete, no other prefix), use the stage key only through S3 for the lake (plus
``kms:Encrypt`` and AWS-resource grants for its storage volume, which SageMaker requires), pull
the training image, write its own logs and metrics. It runs with network isolation. The state
machine's role may start and stop that model's training jobs and pass that role, nothing else.

It is built in the primary region's models stack (``stacks/models.py``), next to the model
endpoint, with the lake, the stage key and the event schedules of the service stack. Alarms made
here (failed and timed-out executions, the schedule's dead letters) have no actions:
:class:`~stacks.constructs.monitoring.Monitoring` routes them to its topic
(:attr:`ScheduledTraining.alarms`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ml.training.entry import COMMAND_VARIABLE
from stacks.config import StageConfig, TrainedModel
from stacks.constructs.events import Events
from stacks.constructs.lake import MODELS, Lake, acknowledge_wildcard_resources
from stacks.constructs.nag import acknowledge
from stacks.packaging import TRAINING_DOCKERFILE, training_context

SAGEMAKER_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
"""Where SageMaker writes every training job's log (one stream per job and instance, named
after the job), and the CloudWatch namespace of the jobs' metrics."""
QUEUE_MARGIN = Duration.hours(1)
"""How long an execution may wait beyond the job's own limit: for an instance, for the image."""


def model_prefix(model: TrainedModel) -> str:
    """The only place in the lake a model's training job writes."""
    return f"{MODELS}{model.name}/"


class ScheduledTraining(Construct):
    """The training image and one :class:`ModelTraining` per model (``models``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        models: Sequence[TrainedModel],
        lake: Lake,
        key: kms.IKey,
        events_: Events,
        staging: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        names = [model.name for model in models]
        if len(set(names)) != len(names):
            raise ValueError(f"two trained models share a name: {names}")
        self.image = ecr_assets.DockerImageAsset(
            self,
            "Image",
            directory=str(training_context(staging)),
            file=TRAINING_DOCKERFILE,
            # SageMaker's training instances are x86-64, whatever machine builds the image.
            platform=ecr_assets.Platform.LINUX_AMD64,
            display_name="Fluxo training image",
        )
        self.models = {
            model.name: ModelTraining(
                self,
                _construct_id(model.name),
                config=config,
                model=model,
                image=self.image,
                lake=lake,
                key=key,
                events_=events_,
            )
            for model in models
        }

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return [alarm for training in self.models.values() for alarm in training.alarms]

    @property
    def state_machines(self) -> list[sfn.StateMachine]:
        return [training.state_machine for training in self.models.values()]


class ModelTraining(Construct):
    """One model: schedule → state machine → SageMaker training job (waited for: the execution
    fails when the job fails), with the job's role, the state machine's log group and alarms on
    failed and timed-out executions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        model: TrainedModel,
        image: ecr_assets.DockerImageAsset,
        lake: Lake,
        key: kms.IKey,
        events_: Events,
    ) -> None:
        super().__init__(scope, construct_id)
        self.model = model
        self.prefix = model_prefix(model)
        self.role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker training of the Fluxo {model.name}: writes {self.prefix} only",
        )
        self._grant_job(image, lake, key)
        job = tasks.SageMakerCreateTrainingJob(
            self,
            "Train",
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            # One job per execution, named after it (an execution the schedule starts is named
            # with a UUID), so a job and the execution that started it are found by each other.
            training_job_name=sfn.JsonPath.format(
                f"{model.name}-{{}}", sfn.JsonPath.execution_name
            ),
            # The role's policies are written here, exactly: the task would otherwise add
            # writes and deletes to the whole output prefix and kms:ReEncrypt*/GenerateDataKey*.
            role=self.role.without_policy_updates(),
            algorithm_specification=tasks.AlgorithmSpecification(
                training_image=tasks.DockerImage.from_ecr_repository(
                    image.repository, image.image_tag
                ),
                training_input_mode=tasks.InputMode.FILE,
                metric_definitions=[
                    tasks.MetricDefinition(name=name, regex=regex)
                    for name, regex in model.metrics.items()
                ]
                or None,
            ),
            output_data_config=tasks.OutputDataConfig(
                s3_output_location=_S3Uri(lake.bucket, self.prefix),
                encryption_key=key,
            ),
            resource_config=tasks.ResourceConfig(
                instance_count=1,
                instance_type=ec2.InstanceType(model.instance_type.removeprefix("ml.")),
                volume_size=Size.gibibytes(model.volume_gb),
                volume_encryption_key=key,
            ),
            stopping_condition=tasks.StoppingCondition(
                max_runtime=Duration.minutes(model.max_runtime_minutes)
            ),
            hyperparameters=dict(model.hyperparameters) or None,
            environment={COMMAND_VARIABLE: json.dumps(list(model.command))},
            # The training commands read only the repository's own data: no network at all.
            enable_network_isolation=True,
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.THREE_MONTHS,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment=f"Fluxo: retrain the {model.name} into the lake ({self.prefix})",
            definition_body=sfn.DefinitionBody.from_chainable(
                job.next(sfn.Succeed(self, "Trained"))
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=Duration.minutes(model.max_runtime_minutes).plus(QUEUE_MARGIN),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL),
        )
        # The schedule lives here, beside its state machine: in the models stack, whose
        # references to the service stack (lake, key, topic) go one way only.
        self.rule = events_.add_state_machine_schedule(
            f"{_construct_id(model.name)}TrainingSchedule",
            schedule=events.Schedule.expression(model.schedule),
            state_machine=self.state_machine,
            description=f"Fluxo: retrain the {model.name} ({model.schedule}, UTC)",
            scope=self,
        )
        self.alarms = [*self._alarms(), events_.dead_letters_of(self.rule).alarm]
        self._acknowledge()

    def _grant_job(self, image: ecr_assets.DockerImageAsset, lake: Lake, key: kms.IKey) -> None:
        stack = Stack.of(self)
        # Writes under models/<name>/ (s3:PutObject, s3:AbortMultipartUpload), and the stage
        # key through S3 for the lake only: no read, no delete, no other prefix.
        lake.grant_objects(self.role, write=[self.prefix])
        # SageMaker's documented needs for a customer key on the output (kms:Encrypt) and on
        # the instance's storage volume (grants, which only AWS services may use).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptTheModelOutput",
                actions=["kms:Encrypt"],
                resources=[key.key_arn],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptTheTrainingVolume",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        image.repository.grant_pull(self.role)
        log_group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=SAGEMAKER_LOG_GROUP,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self._log_streams = f"{log_group}:log-stream:{self.model.name}-*"
        self._log_group_and_streams = f"{log_group}:*"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SageMakerLogGroup",
                actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                resources=[log_group, self._log_group_and_streams],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OwnJobsLogStreams",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_streams],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TrainingMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": SAGEMAKER_LOG_GROUP}},
            )
        )

    def _alarms(self) -> list[cloudwatch.Alarm]:
        what = f"retraining of the {self.model.name}"
        checks = (
            ("ExecutionsFailed", self.state_machine.metric_failed, "failed (see the job's log)"),
            ("ExecutionsTimedOut", self.state_machine.metric_timed_out, "timed out"),
        )
        return [
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=(
                    f"Fluxo: the {what} {verb}; the artefact in production is unchanged"
                ),
                metric=metric(statistic=cloudwatch.Stats.SUM, period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for construct_id, metric, verb in checks
        ]

    def _acknowledge(self) -> None:
        name = self.model.name
        acknowledge(
            self.role,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "ecr:GetAuthorizationToken (to pull the training image) and "
                    "cloudwatch:PutMetricData (only in SageMaker's training namespace, by "
                    "condition) take no resource ARN"
                ),
            },
        )
        acknowledge_wildcard_resources(
            self.role,
            [self._log_streams, self._log_group_and_streams],
            reason=f"SageMaker writes each {name} job's log to streams named after the job "
            f"({name}-<execution>/algo-1-…) in its fixed log group {SAGEMAKER_LOG_GROUP}; the "
            "role may create and write only those streams, and describe that group's streams",
        )
        acknowledge(
            self.state_machine,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "Step Functions' log delivery (logs:*LogDelivery, PutResourcePolicy, "
                    "Describe*) and X-Ray's PutTraceSegments/PutTelemetryRecords/"
                    "GetSampling* take no resource ARN, nor does sagemaker:ListTags"
                ),
            },
        )
        acknowledge_wildcard_resources(
            self.state_machine,
            [
                Stack.of(self).format_arn(
                    service="sagemaker", resource="training-job", resource_name="*"
                )
            ],
            reason="the training job's name is made at run time from the execution's name, so "
            "CDK cannot name it in the policy: create, describe, stop and tag training jobs of "
            f"this account and region; the only role it may pass them is the {name}'s job role",
        )


class _S3Uri(tasks.S3Location):
    """``s3://<bucket>/<prefix>``, the form SageMaker's ``S3OutputPath`` documents.

    ``S3Location.from_bucket`` renders the path-style ``https://s3.<region>.…/<bucket>/…`` URL
    and grants writes and deletes on the prefix; the grants here are the construct's own."""

    def __init__(self, bucket: s3.IBucket, prefix: str) -> None:
        super().__init__()
        self._uri = bucket.s3_url_for_object(prefix)

    def bind(
        self,
        task: tasks.ISageMakerTask,
        *,
        for_reading: bool | None = None,
        for_writing: bool | None = None,
    ) -> tasks.S3LocationConfig:
        return tasks.S3LocationConfig(uri=self._uri)


def _construct_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
