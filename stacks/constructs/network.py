"""The private network: isolated subnets only, VPC endpoints for the AWS APIs, and security
groups that open exactly the paths the service uses."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge

POSTGRES_PORT = 5432
HTTPS_PORT = 443

# What the functions call, reached through PrivateLink because the subnets have no route out.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "Events": ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "XRay": ec2.InterfaceVpcEndpointAwsService.XRAY,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "Sns": ec2.InterfaceVpcEndpointAwsService.SNS,
    "CognitoIdp": ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
    "SageMakerRuntime": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    # The relay to the other region's model endpoint (stacks/constructs/models.py).
    "Lambda": ec2.InterfaceVpcEndpointAwsService.LAMBDA_,
}


class Network(Construct):
    """A VPC of ``PRIVATE_ISOLATED`` subnets (no internet gateway, no NAT) over two AZs in dev
    and three in prod, with flow logs to an encrypted log group.

    Security groups allow no outbound traffic by default; the rules below are the whole map:

    - functions → database 5432, search 443, interface endpoints 443, S3 (gateway prefix
      list) 443;
    - database ← functions 5432 (``Database`` adds proxy → cluster, both in this group, and
      its secret rotation);
    - search ← functions 443;
    - endpoints ← functions 443 (others opt in with ``allow_endpoints_from``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        az_count = 3 if config.is_prod else 2
        zones = _zones(self, az_count)
        retain = config.is_prod
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20
                )
            ],
            restrict_default_security_group=True,
            availability_zones=zones,
            max_azs=None if zones else az_count,
        )
        self.isolated_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        # Flow logs: their own key, so reading network metadata is a separate permission.
        self.flow_logs_key = kms.Key(
            self,
            "FlowLogsKey",
            enable_key_rotation=True,
            description="Fluxo: VPC flow logs",
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        allow_logs_service(self.flow_logs_key)
        self.flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=self.flow_logs_key,
            retention=logs.RetentionDays.ONE_YEAR if retain else logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_logs),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        self.functions_security_group = self._group("Functions", "Fluxo functions")
        self.database_security_group = self._group("Database", "Fluxo Aurora cluster and RDS Proxy")
        self.search_security_group = self._group("Search", "Fluxo OpenSearch domain")
        self.endpoints_security_group = self._group("Endpoints", "Fluxo VPC interface endpoints")

        functions = self.functions_security_group.connections
        functions.allow_to(
            self.database_security_group, ec2.Port.tcp(POSTGRES_PORT), "functions to PostgreSQL"
        )
        functions.allow_to(
            self.search_security_group, ec2.Port.tcp(HTTPS_PORT), "functions to OpenSearch"
        )

        self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.isolated_subnets]
        )
        functions.allow_to(
            ec2.Peer.prefix_list(self._s3_prefix_list_id()),
            ec2.Port.tcp(HTTPS_PORT),
            "functions to S3 through the gateway endpoint",
        )
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {
            name: self.vpc.add_interface_endpoint(
                name,
                service=service,
                private_dns_enabled=True,
                subnets=self.isolated_subnets,
                security_groups=[self.endpoints_security_group],
                open=False,
            )
            for name, service in INTERFACE_ENDPOINTS.items()
        }
        self.allow_endpoints_from(self.functions_security_group)

    def allow_endpoints_from(self, peer: ec2.IConnectable) -> None:
        """Lets ``peer`` (a function or its security group) call AWS APIs over PrivateLink."""
        peer.connections.allow_to(
            self.endpoints_security_group, ec2.Port.tcp(HTTPS_PORT), "AWS APIs over PrivateLink"
        )

    def _group(self, name: str, description: str) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(
            self, name, vpc=self.vpc, description=description, allow_all_outbound=False
        )

    def _s3_prefix_list_id(self) -> str:
        """The region's AWS-managed S3 prefix list, looked up at deploy time (its id differs per
        region, and a synth-time lookup would need credentials)."""
        region = Stack.of(self).region
        lookup = cr.AwsCustomResource(
            self,
            "S3PrefixList",
            on_update=cr.AwsSdkCall(
                service="EC2",
                action="describeManagedPrefixLists",
                parameters={
                    "Filters": [
                        {"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}
                    ]
                },
                physical_resource_id=cr.PhysicalResourceId.of(f"s3-prefix-list-{region}"),
                output_paths=["PrefixLists.0.PrefixListId"],
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])]
            ),
            install_latest_aws_sdk=False,
        )
        acknowledge(
            lookup,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "ec2:DescribeManagedPrefixLists supports no resource-level permissions; the "
                    "statement allows only that read-only call"
                )
            },
        )
        acknowledge_sdk_call_provider(self)
        return lookup.get_response_field("PrefixLists.0.PrefixListId")


def acknowledge_sdk_call_provider(
    scope: Construct, reasons: Mapping[str, str] | None = None
) -> None:
    """The stack's single function behind every ``AwsCustomResource`` (the S3 prefix-list
    lookup here, the OpenSearch domain's log and access policies) is created by CDK at stack
    level; its findings are acknowledged by the constructs whose calls cause them (``reasons``
    for what a caller adds to it)."""
    stack = Stack.of(scope)
    provider = stack.node.try_find_child(
        "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
    )
    if provider is None:
        return
    acknowledge(
        provider,
        {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": (
                "CDK's provider for deploy-time SDK calls writes only its own logs with the "
                "basic execution policy; its SDK permissions are per call, set by each caller"
            ),
            **(reasons or {}),
        },
    )


def allow_logs_service(key: kms.IKey) -> None:
    """Lets CloudWatch Logs use ``key`` for this account's log groups in this region only.
    Idempotent: several constructs encrypt their log groups with the stack's key."""
    if not isinstance(key, Construct) or key.node.try_find_child("AllowCloudWatchLogs"):
        return  # an imported key keeps its own policy; or this one already has the statement
    Construct(key, "AllowCloudWatchLogs")
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )


def _zones(scope: Construct, count: int) -> list[str] | None:
    """None (use ``max_azs``) when the stack knows its account and region: CDK reads the zones
    from ``cdk.json`` context. Otherwise the region's first ``count`` zones at deploy time, so an
    environment-agnostic synth still gets three zones in prod (CDK alone would give two)."""
    stack = Stack.of(scope)
    if Token.is_unresolved(stack.account) or Token.is_unresolved(stack.region):
        return [Fn.select(index, Fn.get_azs()) for index in range(count)]
    return None
