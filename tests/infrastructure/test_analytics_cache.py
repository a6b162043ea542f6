"""The analytics cache: ElastiCache Serverless for Redis in the isolated subnets, encrypted with
the stage's key, reachable on 6379 from the functions only, named to the analytics API."""

from __future__ import annotations

from typing import Any

import pytest


def _only(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(logical, resource)] = resources.items()
    return logical, resource["Properties"]


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_one_serverless_redis_encrypted_in_the_isolated_subnets(dev, stack):
    _, cache = _only(dev.resources(stack, "AWS::ElastiCache::ServerlessCache"))

    assert cache["Engine"] == "redis"
    assert "KmsKeyId" in cache
    assert len(cache["SubnetIds"]) >= 2
    assert cache["CacheUsageLimits"]["DataStorage"] == {"Maximum": 1, "Unit": "GB"}


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_only_the_functions_reach_it_on_6379(dev, stack):
    template = dev.template(stack)
    _, cache = _only(dev.resources(stack, "AWS::ElastiCache::ServerlessCache"))
    [group] = cache["SecurityGroupIds"]
    group_id = group["Fn::GetAtt"][0]
    ingress = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"]["Fn::GetAtt"][0] == group_id
    ]
    assert [(rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) for rule in ingress] == [
        (6379, 6379, "tcp")
    ]
    assert "Functions" in ingress[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    group_resource = template.find_resources("AWS::EC2::SecurityGroup")[group_id]["Properties"]
    assert group_resource.get("SecurityGroupEgress", [{}])[0].get("CidrIp") != "0.0.0.0/0"


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_the_analytics_api_and_only_it_is_told_where_it_is(dev, stack):
    functions = dev.resources(stack, "AWS::Lambda::Function").values()
    told = [
        f["Properties"]["Handler"]
        for f in functions
        if "FLUXO_REDIS_URL" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert told == ["functions.analytics.handler.handler"]
