"""The model endpoint of one region: the serving image (``ml/serving/Dockerfile``, staged by
``stacks/packaging.py``'s ``serving_context`` and built by CDK at deploy time; ``cdk synth``
needs no Docker), a SageMaker model, an endpoint configuration with one variant and an endpoint
with a stable name (``fluxo-<stage>-models``, what ``FLUXO_MODEL_ENDPOINT`` names), scaled by
Application Auto Scaling on invocations per instance.

What the endpoint's role may do: pull the serving image, write the endpoint's log streams and
metrics; nothing in the lake, no key. The container runs with network isolation: the artefacts
are in the image, and it calls nothing. Its storage volume and log group are encrypted with the
stage key, which SageMaker uses with the deployer's permissions and CloudWatch Logs through the
key policy, not through this role.

Alarms made here have no actions: :class:`~stacks.constructs.monitoring.Monitoring` routes them
to its topic (``watch``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.config import ModelServing, StageConfig
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.lake import acknowledge_wildcard_resources
from stacks.constructs.nag import acknowledge
from stacks.constructs.network import allow_logs_service
from stacks.packaging import SERVING_DOCKERFILE, serving_context

VARIANT = "AllTraffic"
"""The endpoint's one production variant (SageMaker's conventional name)."""
ENDPOINT_LOG_GROUPS = "/aws/sagemaker/Endpoints"
"""SageMaker writes an endpoint's container log to ``<this>/<endpoint name>``, and its
container's metrics to this CloudWatch namespace."""
SCALING_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
"""The service-linked role Application Auto Scaling uses for SageMaker variants (created by AWS
when the first target is registered); CDK's default would be a new role with no permissions."""
SCALE_OUT_COOLDOWN = Duration.minutes(1)
SCALE_IN_COOLDOWN = Duration.minutes(10)
"""Scale out fast (a new instance takes minutes to be in service), in slowly."""
ERRORS_THRESHOLD = 1
"""5XX answers per five minutes, in two of three periods: the caller then fails over."""
LATENCY_P99_MS = 250
"""The model's own p99 latency (``ModelLatency``, in microseconds in CloudWatch)."""


class ModelEndpoint(Construct):
    """The serving image, model, endpoint configuration, endpoint, auto scaling and alarms of
    one region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        staging: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        serving = config.serving
        self.endpoint_name = config.models_endpoint
        self.image = ecr_assets.DockerImageAsset(
            self,
            "Image",
            directory=str(serving_context(staging)),
            file=SERVING_DOCKERFILE,
            # SageMaker's hosting instances of the configured family are x86-64.
            platform=ecr_assets.Platform.LINUX_AMD64,
            display_name="Fluxo model server image",
        )
        allow_logs_service(key)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            # SageMaker's fixed name for the endpoint's container log: made here, it is
            # encrypted and expires instead of being created by SageMaker without either.
            log_group_name=f"{ENDPOINT_LOG_GROUPS}/{self.endpoint_name}",
            retention=logs.RetentionDays.THREE_MONTHS,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker endpoint {self.endpoint_name}: pulls its image, writes logs",
        )
        self._grant()
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=self.image.image_uri, mode="SingleModel"
            ),
            # The artefacts are in the image: the container needs no network at all.
            enable_network_isolation=True,
        )
        # SageMaker checks the role when the model is created: its policy must exist by then.
        self.model.node.add_dependency(self.role)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=self.model.attr_model_name,
                    instance_type=serving.instance_type,
                    initial_instance_count=serving.min_instances,
                    initial_variant_weight=1.0,
                )
            ],
            kms_key_id=key.key_arn,
        )
        # The model and its configuration are replaced on every change of image or size (both
        # immutable, so CloudFormation names them); the endpoint keeps its name and is updated.
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            # A deploy keeps the instance count auto scaling has reached, not the initial one.
            retain_all_variant_properties=True,
        )
        # Otherwise SageMaker could create the log group first, unencrypted and kept forever.
        self.endpoint.node.add_dependency(self.log_group)
        self.scaling = self._scaling(serving)
        self.alarms = self._alarms()
        self._acknowledge()

    def metric(
        self, name: str, statistic: str, namespace: str = "AWS/SageMaker"
    ) -> cloudwatch.Metric:
        """One of the variant's metrics over five minutes."""
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT},
            statistic=statistic,
            period=Duration.minutes(5),
        )

    def _grant(self) -> None:
        stack = Stack.of(self)
        self.image.repository.grant_pull(self.role)
        log_group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{ENDPOINT_LOG_GROUPS}/{self.endpoint_name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self._log_group_and_streams = f"{log_group}:*"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EndpointLogGroup",
                actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                resources=[log_group, self._log_group_and_streams],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EndpointLogStreams",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_group_and_streams],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EndpointMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": ENDPOINT_LOG_GROUPS}},
            )
        )

    def _scaling(self, serving: ModelServing) -> appscaling.ScalableTarget:
        target = appscaling.ScalableTarget(
            self,
            "Scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT}",
            scalable_dimension=SCALING_DIMENSION,
            min_capacity=serving.min_instances,
            max_capacity=serving.max_instances,
            role=iam.Role.from_role_arn(
                self,
                "ScalingRole",
                Stack.of(self).format_arn(
                    service="iam", region="", resource="role", resource_name=SCALING_ROLE
                ),
                mutable=False,
            ),
        )
        # The variant exists only once the endpoint does.
        target.node.add_dependency(self.endpoint)
        target.scale_to_track_metric(
            "InvocationsPerInstance",
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            target_value=serving.invocations_per_instance,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
        )
        return target

    def _alarms(self) -> list[cloudwatch.Alarm]:
        gte = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        errors = cloudwatch.Alarm(
            self,
            "Errors",
            alarm_description=(
                f"Fluxo: model endpoint {self.endpoint_name} answers 5XX (a missing artefact or "
                "a crash; callers fail over to the other region)"
            ),
            metric=self.metric("Invocation5XXErrors", cloudwatch.Stats.SUM),
            threshold=ERRORS_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            comparison_operator=gte,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        latency = cloudwatch.Alarm(
            self,
            "LatencyP99",
            alarm_description=(
                f"Fluxo: model endpoint {self.endpoint_name} p99 model latency above "
                f"{LATENCY_P99_MS} ms for 15 minutes: more instances or a slower model"
            ),
            metric=self.metric("ModelLatency", cloudwatch.Stats.p(99)),
            threshold=LATENCY_P99_MS * 1000,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            comparison_operator=gte,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return [errors, latency]

    def _acknowledge(self) -> None:
        acknowledge(
            self.role,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "ecr:GetAuthorizationToken (to pull the serving image) and "
                    "cloudwatch:PutMetricData (only in SageMaker's endpoint namespace, by "
                    "condition) take no resource ARN"
                ),
            },
        )
        acknowledge_wildcard_resources(
            self.role,
            [self._log_group_and_streams],
            reason=f"SageMaker names the streams of {self.endpoint_name}'s log group after the "
            "variant and instance at run time; the role may write only in that one group",
        )


class ModelRelay(Construct):
    """The relay to the other region's model endpoint (``functions/ai/relay.py``): the ``ai``
    API's subnets reach only their own region's endpoint, so it invokes this function (through
    the Lambda interface endpoint), which runs outside the VPC and may invoke that one endpoint
    and nothing else. Named ``config.models_relay`` in each region, so the service stack grants
    the call without a reference to this stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        defaults: FunctionDefaults,
        region: str,
    ) -> None:
        super().__init__(scope, construct_id)
        _own, other = config.model_regions(region)
        self.function = FluxoFunction(
            self,
            "Function",
            # The relay reads no database, identity or lake: none of the service's settings.
            defaults=replace(defaults, environment={}),
            context="ai",
            handler="relay.handler",
            description=f"Fluxo: the model endpoint of {other}, for the ai API of {region}",
            environment={
                "FLUXO_MODEL_ENDPOINT": config.models_endpoint,
                "FLUXO_MODEL_REGION": other,
            },
            memory_mb=256,
            timeout=Duration.seconds(10),
            in_vpc=False,
            function_name=config.models_relay,
        )
        # Its own failures (not the endpoint's answers, which it passes back): the fallback
        # path is broken while this fires.
        self.alarm = cloudwatch.Alarm(
            self,
            "Errors",
            alarm_description=(
                f"Fluxo: the model relay to {other} fails; forecasts have no fallback region"
            ),
            metric=self.function.function.metric_errors(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeTheOtherRegionsEndpoint",
                actions=["sagemaker:InvokeEndpoint"],
                resources=[
                    Stack.of(self).format_arn(
                        service="sagemaker",
                        region=other,
                        resource="endpoint",
                        resource_name=config.models_endpoint,
                    )
                ],
            )
        )
