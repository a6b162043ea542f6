"""The OpenSearch domain behind transaction search (``portuguese`` analyzer), inside the VPC."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.network import (
    Network,
    acknowledge_sdk_call_provider,
    allow_logs_service,
)

ENGINE_VERSION = opensearch.EngineVersion.OPENSEARCH_2_19


class Search(Construct):
    """An OpenSearch domain in the isolated subnets (search security group): encrypted at rest
    with ``key`` and between nodes, HTTPS only with a TLS 1.2 (PFS) policy, fine-grained access
    control whose master user is an IAM role (``admin_role``, no password anywhere), gp3
    volumes, and slow-search, slow-index, application and audit logs to encrypted log groups.

    dev: one data node in one zone. prod: three data nodes across three zones (zone awareness)
    and three dedicated master nodes.

    With fine-grained access control, IAM lets a caller reach the domain
    (``grant_read_write``) and the security plugin decides what it may do there: map the
    caller's role to an OpenSearch role (``_plugins/_security/api/rolesmapping``) as
    ``admin_role`` after the first deployment.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: Network,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        prod = config.is_prod
        removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        subnets = network.vpc.isolated_subnets
        zones = min(3, len(subnets)) if prod else 1

        self.admin_role = iam.Role(
            self,
            "AdminRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="Fluxo OpenSearch: fine-grained access control master user",
        )

        allow_logs_service(key)

        def log_group(name: str, retention: logs.RetentionDays) -> logs.LogGroup:
            return logs.LogGroup(
                self, name, encryption_key=key, retention=retention, removal_policy=removal
            )

        short = logs.RetentionDays.THREE_MONTHS if prod else logs.RetentionDays.ONE_MONTH
        audit = logs.RetentionDays.ONE_YEAR if prod else logs.RetentionDays.ONE_MONTH

        self.domain = opensearch.Domain(
            self,
            "Domain",
            version=ENGINE_VERSION,
            vpc=network.vpc,
            vpc_subnets=[ec2.SubnetSelection(subnets=subnets[:zones])],
            security_groups=[network.search_security_group],
            capacity=opensearch.CapacityConfig(
                data_nodes=3 if prod else 1,
                data_node_instance_type="r7g.large.search" if prod else "t3.small.search",
                master_nodes=3 if prod else None,
                master_node_instance_type="m7g.large.search" if prod else None,
                multi_az_with_standby_enabled=False,
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=True, availability_zone_count=zones
            )
            if prod
            else opensearch.ZoneAwarenessConfig(enabled=False),
            ebs=opensearch.EbsOptions(
                enabled=True,
                volume_type=ec2.EbsDeviceVolumeType.GP3,
                volume_size=100 if prod else 10,
            ),
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True, kms_key=key),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2_PFS,
            fine_grained_access_control=opensearch.AdvancedSecurityOptions(
                master_user_arn=self.admin_role.role_arn
            ),
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=log_group("SlowSearchLogs", short),
                slow_index_log_enabled=True,
                slow_index_log_group=log_group("SlowIndexLogs", short),
                app_log_enabled=True,
                app_log_group=log_group("AppLogs", short),
                audit_log_enabled=True,
                audit_log_group=log_group("AuditLogs", audit),
            ),
            enable_version_upgrade=True,
            enable_auto_software_update=True,
            off_peak_window_enabled=True,
            removal_policy=removal,
        )
        # Who may reach the domain at all: principals of this account whose own IAM policies
        # allow it (grant_read_write); fine-grained access control then decides what they do.
        self.domain.add_access_policies(
            iam.PolicyStatement(
                principals=[iam.AccountRootPrincipal()],
                actions=["es:ESHttp*"],
                resources=[f"{self.domain.domain_arn}/*"],
            )
        )
        acknowledge(
            self.domain,
            {
                "AwsSolutions-OS3": (
                    "the domain is in the VPC (isolated subnets, reachable only from the "
                    "functions' security group); IP allowlists do not apply to VPC domains, and "
                    "every request is IAM-signed and checked by fine-grained access control"
                ),
                "AwsSolutions-IAM5[Resource::*]": (
                    "CDK's deploy-time call that lets OpenSearch write to its log groups: "
                    "logs:PutResourcePolicy/DeleteResourcePolicy support no resource-level "
                    "permissions"
                ),
            },
        )
        acknowledge_sdk_call_provider(
            self,
            {
                f"AwsSolutions-IAM5[Action::kms:{action}]": (
                    "CDK's deploy-time updateDomainConfig call (the access policy) on a domain "
                    "encrypted with the stack key: read-only kms:List*/Describe* on that key only"
                )
                for action in ("List*", "Describe*")
            },
        )
        if not prod:
            acknowledge(
                self.domain,
                {
                    "AwsSolutions-OS4": (
                        "dev only: a single-node domain has no master election to protect; prod "
                        "runs three dedicated master nodes"
                    ),
                    "AwsSolutions-OS7": (
                        "dev only: one node in one zone keeps the dev stage cheap; prod spreads "
                        "three data nodes over three zones"
                    ),
                },
            )

    def grant_read_write(self, grantable: iam.IGrantable) -> iam.Grant:
        """HTTP reads and writes on this domain's indices (``<domain ARN>/*``), nothing else."""
        grant = self.domain.grant_read_write(grantable)
        principal = grantable.grant_principal
        if isinstance(principal, Construct):
            domain_id = Stack.of(self).get_logical_id(self.domain.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                principal,
                {
                    f"AwsSolutions-IAM5[Resource::<{domain_id}.Arn>/*]": (
                        "OpenSearch HTTP permissions name paths under the domain ARN; '/*' is "
                        "this one domain's indices, and fine-grained access control narrows "
                        "them further"
                    )
                },
            )
        return grant

    def grant_index(self, grantable: iam.IGrantable, index: str, *, write: bool) -> None:
        """HTTP access to one index of this domain and nothing else: reads (``HEAD``, ``GET``,
        and ``POST`` for ``_search``), and with ``write`` also ``PUT`` (create it), ``POST``
        ``_bulk`` and ``DELETE``."""
        actions = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"]
        if write:
            actions += ["es:ESHttpPut", "es:ESHttpDelete"]
        arn = f"{self.domain.domain_arn}/{index}"
        grantable.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[arn, f"{arn}/*"])
        )
        principal = grantable.grant_principal
        if isinstance(principal, Construct):
            domain_id = Stack.of(self).get_logical_id(self.domain.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                principal,
                {
                    f"AwsSolutions-IAM5[Resource::<{domain_id}.Arn>/{index}/*]": (
                        "OpenSearch HTTP permissions name paths: '/*' under one index is its "
                        "documents, _search and _bulk, nothing of other indices"
                    )
                },
            )
