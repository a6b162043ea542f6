"""Aurora PostgreSQL Serverless v2 behind RDS Proxy, one cluster of a global database per region,
and the deploy-time function that migrates its schema."""

from __future__ import annotations

from aws_cdk import Duration, Names, RemovalPolicy, triggers
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.nag import acknowledge
from stacks.constructs.network import (
    POSTGRES_PORT,
    Network,
    allow_logs_service,
)

ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_7
DATABASE_NAME = "fluxo"
ADMIN_USER = "fluxo_admin"
APP_USER = "fluxo_app"
"""The login role the functions connect as, through the proxy, with IAM tokens (no password).
The migrations create it (``rds_iam``); it is also the role row-level security applies to."""
ROTATION_DAYS = 30


class Database(Construct):
    """Aurora PostgreSQL Serverless v2 (a writer, plus a reader in prod), encrypted with ``key``,
    IAM database authentication on, TLS forced, 30-day backups, Performance Insights, PostgreSQL
    logs to an encrypted log group, and RDS Proxy with end-to-end IAM authentication.

    ``primary=True``: the cluster has a master user in Secrets Manager (rotated every 30 days)
    and is the source of the global database ``global_cluster_id``. ``primary=False``: the
    cluster joins that global database as a secondary (read-only until promoted; no master
    credentials of its own — they replicate from the primary).

    Functions connect to the proxy as ``fluxo_app`` with an IAM token (``environment``,
    ``grant_connect``); the proxy connects to the cluster as ``fluxo_app`` with IAM too, so no
    application password exists anywhere.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: Network,
        key: kms.IKey,
        global_cluster_id: str,
        primary: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.primary = primary
        self._network = network
        prod = config.is_prod
        isolated = network.isolated_subnets
        engine = rds.DatabaseClusterEngine.aurora_postgres(version=ENGINE_VERSION)

        # A name CDK derives from the construct path, known at synth time, so the PostgreSQL
        # log group can exist (encrypted, with retention) before Aurora starts writing to it.
        identifier = Names.unique_resource_name(self, max_length=50).lower()
        self.log_group = logs.LogGroup(
            self,
            "PostgresqlLogs",
            log_group_name=f"/aws/rds/cluster/{identifier}/postgresql",
            encryption_key=key,
            retention=logs.RetentionDays.SIX_MONTHS if prod else logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )
        allow_logs_service(key)

        def instance(name: str) -> rds.IClusterInstance:
            return rds.ClusterInstance.serverless_v2(
                name,
                enable_performance_insights=True,
                performance_insight_encryption_key=key,
                performance_insight_retention=rds.PerformanceInsightRetention.DEFAULT,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                scale_with_writer=name == "Reader",
            )

        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=engine,
            cluster_identifier=identifier,
            credentials=rds.Credentials.from_generated_secret(ADMIN_USER, encryption_key=key),
            default_database_name=DATABASE_NAME if primary else None,
            writer=instance("Writer"),
            readers=[instance("Reader")] if prod else None,
            serverless_v2_min_capacity=1 if prod else 0.5,
            serverless_v2_max_capacity=16 if prod else 4,
            vpc=network.vpc,
            vpc_subnets=isolated,
            security_groups=[network.database_security_group],
            storage_encrypted=True,
            storage_encryption_key=key,
            iam_authentication=True,
            parameters={"rds.force_ssl": "1"},
            backup=rds.BackupProps(retention=Duration.days(30), preferred_window="03:00-04:00"),
            preferred_maintenance_window="sun:04:30-sun:05:30",
            cloudwatch_logs_exports=["postgresql"],
            deletion_protection=prod,
            removal_policy=_removal(prod=prod, primary=primary),
            copy_tags_to_snapshot=True,
            monitoring_interval=Duration.seconds(60),
        )
        self.cluster.node.add_dependency(self.log_group)
        acknowledge(
            self.cluster,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonRDSEnhancedMonitoringRole]": (
                    "enhanced monitoring's role must carry this AWS-managed policy: RDS writes "
                    "the OS metrics to CloudWatch Logs through it"
                ),
            },
        )
        if not prod:
            acknowledge(
                self.cluster,
                {
                    "AwsSolutions-RDS10": (
                        "dev only: stacks are torn down and rebuilt freely (a final snapshot is "
                        "kept); prod has deletion protection"
                    ),
                },
            )

        self.secret: secretsmanager.ISecret | None
        self.global_cluster: rds.CfnGlobalCluster | None = None
        if primary:
            assert self.cluster.secret is not None  # generated above
            self.secret = self.cluster.secret
            self._rotate(self.secret)
            self.global_cluster = rds.CfnGlobalCluster(
                self,
                "Global",
                global_cluster_identifier=global_cluster_id,
                source_db_cluster_identifier=self.cluster.cluster_identifier,
                deletion_protection=prod,
            )
            self.global_cluster.apply_removal_policy(
                RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
            )
            # The writer must be up before the cluster can seed a global database.
            self.global_cluster.node.add_dependency(self.cluster)
        else:
            self.secret = None
            self._join_global_database(global_cluster_id)

        # End-to-end IAM: clients present IAM tokens to the proxy, and the proxy presents its
        # own to the cluster as the same user; there is no application password to store.
        proxy_role = iam.Role(
            self,
            "ProxyRole",
            assumed_by=iam.ServicePrincipal("rds.amazonaws.com"),
            description="RDS Proxy: connect to the cluster as the application user",
        )
        self.cluster.grant_connect(proxy_role, APP_USER)
        self.proxy = rds.DatabaseProxy(
            self,
            "Proxy",
            proxy_target=rds.ProxyTarget.from_cluster(self.cluster),
            vpc=network.vpc,
            vpc_subnets=isolated,
            security_groups=[network.database_security_group],
            role=proxy_role,
            db_proxy_name=Names.unique_resource_name(self, max_length=60),
            default_auth_scheme=rds.DefaultAuthScheme.IAM_AUTH,
            iam_auth=True,
            require_tls=True,
            idle_client_timeout=Duration.minutes(30),
            max_connections_percent=90,
            debug_logging=False,
        )
        self.environment: dict[str, str] = {
            "FLUXO_DATABASE_URL": (
                f"postgresql://{APP_USER}@{self.proxy.endpoint}:{POSTGRES_PORT}/{DATABASE_NAME}"
            ),
            "FLUXO_DATABASE_IAM_AUTH": "true",
            "FLUXO_DATABASE_APP_ROLE": APP_USER,
        }
        self.migrations: FluxoFunction | None = None

    def grant_connect(self, role: iam.IGrantable) -> iam.Grant:
        """``rds-db:connect`` to the proxy as ``fluxo_app``, and as no one else."""
        return self.proxy.grant_connect(role, APP_USER)

    def add_migrations(self, defaults: FunctionDefaults) -> FluxoFunction | None:
        """The deploy-time migrations (primary only; the standby receives the schema through
        replication). A CDK trigger runs the function once the cluster, the proxy and the
        network are in place, and again whenever its code — which holds the migrations —
        changes; a failed migration fails the deployment."""
        if not self.primary:
            return None
        assert self.secret is not None
        function = FluxoFunction(
            self,
            "Migrations",
            defaults=defaults,
            context="migrations",
            description="Fluxo: runs the Alembic migrations at deploy time",
            environment={
                "FLUXO_DATABASE_ADMIN_SECRET_ARN": self.secret.secret_arn,
                "FLUXO_DATABASE_ADMIN_HOST": self.cluster.cluster_endpoint.hostname,
            },
            memory_mb=512,
            timeout=Duration.minutes(10),
            reserved_concurrency=1,
        )
        self.secret.grant_read(function.role)
        triggers.Trigger(
            self,
            "Migrate",
            handler=function.function,
            execute_after=[self.cluster, self.proxy, self._network],
            execute_on_handler_change=True,
            invocation_type=triggers.InvocationType.REQUEST_RESPONSE,
            timeout=Duration.minutes(11),
        )
        self.migrations = function
        return function

    def _rotate(self, secret: secretsmanager.ISecret) -> None:
        """Single-user rotation every 30 days by Secrets Manager's hosted function, in the
        isolated subnets, allowed to reach only the cluster and the Secrets Manager endpoint."""
        network = self._network
        group = ec2.SecurityGroup(
            self,
            "RotationSecurityGroup",
            vpc=network.vpc,
            description="Fluxo database secret rotation",
            allow_all_outbound=False,
        )
        group.connections.allow_to(
            network.database_security_group, ec2.Port.tcp(POSTGRES_PORT), "rotation to PostgreSQL"
        )
        network.allow_endpoints_from(group)
        secret.add_rotation_schedule(
            "Rotation",
            hosted_rotation=secretsmanager.HostedRotation.postgre_sql_single_user(
                vpc=network.vpc,
                vpc_subnets=network.isolated_subnets,
                security_groups=[group],
            ),
            automatically_after=Duration.days(ROTATION_DAYS),
        )

    def _join_global_database(self, global_cluster_id: str) -> None:
        """Turns the cluster into a secondary of the global database. A secondary takes its
        users and database from the primary, so the master credentials CDK generated are
        removed from the template, and the secret with them."""
        cluster = self.cluster.node.default_child
        assert isinstance(cluster, rds.CfnDBCluster)
        cluster.add_property_override("GlobalClusterIdentifier", global_cluster_id)
        cluster.add_property_deletion_override("MasterUsername")
        cluster.add_property_deletion_override("MasterUserPassword")
        cluster.add_property_deletion_override("DatabaseName")
        self.cluster.node.try_remove_child("Secret")


def _removal(*, prod: bool, primary: bool) -> RemovalPolicy:
    if prod:
        return RemovalPolicy.RETAIN
    # dev: the primary keeps a final snapshot; the standby holds only a replica of it.
    return RemovalPolicy.SNAPSHOT if primary else RemovalPolicy.DESTROY
