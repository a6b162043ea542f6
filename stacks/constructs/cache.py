"""The analytics cache shared by every analytics function: ElastiCache Serverless for Redis in
the isolated subnets, TLS only, encrypted with the stage's key.

Each function instance also keeps its own in-process cache; this one lets a dashboard computed
by one instance serve the next request whichever instance takes it. Nothing is lost if it is
empty or down: the functions compute the answer (``shared.adapters.aws.redis_cache``).
"""

from __future__ import annotations

from aws_cdk import Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.network import Network

REDIS_PORT = 6379
MAX_DATA_GB = 1
"""Dashboards' data is small (a few kB each) and expires after minutes."""
MAX_ECPU_PER_SECOND = 5000


class AnalyticsCache(Construct):
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
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=network.vpc,
            description="Fluxo analytics cache (ElastiCache Serverless)",
            allow_all_outbound=False,
        )
        network.functions_security_group.connections.allow_to(
            self.security_group, ec2.Port.tcp(REDIS_PORT), "functions to the analytics cache"
        )
        subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.cache = elasticache.CfnServerlessCache(
            self,
            "Cache",
            engine="redis",
            serverless_cache_name=f"fluxo-{config.stage}-analytics-{Stack.of(self).region}",
            description="Fluxo: computed dashboards, keyed by what they depend on",
            kms_key_id=key.key_arn,
            security_group_ids=[self.security_group.security_group_id],
            subnet_ids=subnets.subnet_ids,
            cache_usage_limits=elasticache.CfnServerlessCache.CacheUsageLimitsProperty(
                data_storage=elasticache.CfnServerlessCache.DataStorageProperty(
                    unit="GB", maximum=MAX_DATA_GB
                ),
                ecpu_per_second=elasticache.CfnServerlessCache.ECPUPerSecondProperty(
                    maximum=MAX_ECPU_PER_SECOND
                ),
            ),
        )
        # Serverless caches speak TLS only: rediss.
        self.url = Fn.join(
            "",
            ["rediss://", self.cache.attr_endpoint_address, ":", self.cache.attr_endpoint_port],
        )

    @property
    def environment(self) -> dict[str, str]:
        return {"FLUXO_REDIS_URL": self.url}
