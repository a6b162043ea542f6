"""What matters in the synthesised templates: both regions, encryption, no public access, DLQs,
scoped IAM, the authorizer on every route, replication and backups, alarms. cdk-nag already ran
during synthesis (an unacknowledged finding fails it)."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

STACKS = ("replica", "primary", "standby")


def _all(synth, kind):
    return {
        (name, logical): resource
        for name in STACKS
        for logical, resource in synth.resources(name, kind).items()
    }


def test_both_regions_are_present(dev):
    regions = {name: stack.region for name, stack in dev.stacks.items()}
    assert regions == {
        "replica": "us-west-2",
        "primary": "us-east-1",
        "standby": "us-west-2",
        "primary_models": "us-east-1",
        "standby_models": "us-west-2",
    }


def test_every_bucket_is_private_tls_only_and_versioned_where_data_lives(dev):
    buckets = _all(dev, "AWS::S3::Bucket")
    assert buckets
    for key, bucket in buckets.items():
        properties = bucket["Properties"]
        block = properties["PublicAccessBlockConfiguration"]
        assert all(block.values()), key
        assert "BucketEncryption" in properties, key
    policies = json.dumps(list(_all(dev, "AWS::S3::BucketPolicy").values()))
    assert '"aws:SecureTransport": "false"' in policies


def test_the_lake_is_kms_encrypted_replicated_and_tiers_raw_files(dev):
    lake = [
        b
        for b in dev.resources("primary", "AWS::S3::Bucket").values()
        if "ReplicationConfiguration" in b["Properties"]
    ]
    assert len(lake) == 1
    properties = lake[0]["Properties"]
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert properties["VersioningConfiguration"]["Status"] == "Enabled"
    raw = [
        rule
        for rule in properties["LifecycleConfiguration"]["Rules"]
        if rule.get("Prefix") == "raw/" or rule.get("Filter", {}).get("Prefix") == "raw/"
    ]
    transitions = {
        (t["StorageClass"], t["TransitionInDays"])
        for rule in raw
        for t in rule.get("Transitions", [])
    }
    assert {("STANDARD_IA", 30), ("GLACIER", 90)} <= transitions


def test_every_queue_is_encrypted(dev):
    queues = _all(dev, "AWS::SQS::Queue")
    assert queues
    for key, queue in queues.items():
        properties = queue["Properties"]
        assert properties.get("KmsMasterKeyId") or properties.get("SqsManagedSseEnabled"), key


def test_every_function_is_arm64_traced_with_json_logs_and_dead_letters_if_async(dev):
    functions = {
        key: f
        for key, f in _all(dev, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler", "").startswith("functions.")
    }
    assert len(functions) >= 5  # 2 API contexts × 2 regions + migrations
    for key, function in functions.items():
        properties = function["Properties"]
        assert properties["Architectures"] == ["arm64"], key
        assert properties["Runtime"].startswith("python3.1"), key
        assert properties["TracingConfig"] == {"Mode": "Active"}, key
        assert properties["LoggingConfig"]["LogFormat"] == "JSON", key
        # API Gateway waits for the API functions: nothing of theirs is left to dead-letter.
        synchronous = properties.get("Description", "").startswith("Fluxo API:")
        assert ("DeadLetterConfig" in properties) is not synchronous, key
        assert "KmsKeyArn" in properties, key


def test_every_api_route_but_health_needs_the_cognito_authorizer_and_an_app_key(dev):
    for name in ("primary", "standby"):
        for logical, method in dev.resources(name, "AWS::ApiGateway::Method").items():
            properties = method["Properties"]
            if properties["HttpMethod"] == "OPTIONS" or "health" in logical.lower():
                continue
            assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", logical
            assert properties["ApiKeyRequired"] is True, logical


def test_the_api_has_waf_with_managed_rules_and_per_token_rate_limits(dev):
    template = dev.template("primary")
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    acl = next(iter(dev.resources("primary", "AWS::WAFv2::WebACL").values()))
    names = {rule["Name"] for rule in acl["Properties"]["Rules"]}
    assert {"AWSManagedRulesCommonRuleSet", "PerTokenPerMinute", "PerAddress"} <= names
    per_minute = next(r for r in acl["Properties"]["Rules"] if r["Name"] == "PerTokenPerMinute")
    statement = per_minute["Statement"]["RateBasedStatement"]
    assert (statement["Limit"], statement["EvaluationWindowSec"]) == (100, 60)


def test_the_user_pool_signs_in_by_email_with_mfa_and_clients_cannot_write_the_tenant(prod):
    pool = next(iter(prod.resources("primary", "AWS::Cognito::UserPool").values()))["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["MfaConfiguration"] == "ON"
    clients = prod.resources("primary", "AWS::Cognito::UserPoolClient").values()
    for client in clients:
        properties = client["Properties"]
        assert properties["GenerateSecret"] is False
        assert properties["AllowedOAuthFlows"] == ["code"]
        assert "custom:tenant_id" not in properties.get("WriteAttributes", [])
        assert "custom:tenant_id" in properties["ReadAttributes"]


def test_aurora_is_encrypted_backed_up_for_30_days_and_protected_in_prod(prod):
    cluster = next(iter(prod.resources("primary", "AWS::RDS::DBCluster").values()))
    properties = cluster["Properties"]
    assert properties["StorageEncrypted"] is True
    assert "KmsKeyId" in properties
    assert properties["BackupRetentionPeriod"] == 30
    assert properties["DeletionProtection"] is True
    assert properties["EnableIAMDatabaseAuthentication"] is True
    prod.template("primary").resource_count_is("AWS::RDS::GlobalCluster", 1)
    standby = next(iter(prod.resources("standby", "AWS::RDS::DBCluster").values()))
    assert "GlobalClusterIdentifier" in standby["Properties"]
    assert "MasterUsername" not in standby["Properties"]


def test_functions_may_connect_to_the_database_only_as_the_app_user(dev):
    policies = json.dumps(list(_all(dev, "AWS::IAM::Policy").values()))
    assert "rds-db:connect" in policies
    for (_, _), policy in _all(dev, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if "rds-db:connect" in actions:
                assert "fluxo_app" in json.dumps(statement["Resource"])


@pytest.mark.parametrize("action", ["s3:*", "dynamodb:*", "sqs:*", "rds:*", "kms:*", "*"])
def test_no_policy_grants_a_whole_service_on_data(dev, action):
    for key, policy in _all(dev, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert action not in actions, key


def test_the_event_bus_has_an_archive(dev):
    dev.template("primary").resource_count_is("AWS::Events::EventBus", 1)
    dev.template("primary").resource_count_is("AWS::Events::Archive", 1)


def test_alarms_go_to_an_encrypted_topic_and_a_dashboard_exists(prod):
    template = prod.template("primary")
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@fluxo.example"}
    )
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    alarms = prod.resources("primary", "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 10
    for logical, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions"), logical


def test_the_vpc_has_no_internet_path(dev):
    for name in ("primary", "standby"):
        template = dev.template(name)
        template.resource_count_is("AWS::EC2::InternetGateway", 0)
        template.resource_count_is("AWS::EC2::NatGateway", 0)
        endpoints = dev.resources(name, "AWS::EC2::VPCEndpoint")
        assert len(endpoints) >= 8


def test_opensearch_is_in_the_vpc_encrypted_with_fine_grained_access(prod):
    domain = next(iter(prod.resources("primary", "AWS::OpenSearchService::Domain").values()))
    properties = domain["Properties"]
    assert properties["EncryptionAtRestOptions"]["Enabled"] is True
    assert properties["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert properties["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert properties["AdvancedSecurityOptions"]["Enabled"] is True
    assert "VPCOptions" in properties
    assert properties["ClusterConfig"]["ZoneAwarenessEnabled"] is True


def test_the_schema_is_migrated_at_deploy_time_in_the_primary_only(dev):
    assert dev.resources("primary", "Custom::Trigger")
    assert not dev.resources("standby", "Custom::Trigger")


def _scheduled(dev, name: str, handler: str) -> list[dict]:
    """The schedule rules of stack ``name`` that invoke a function with ``handler``."""
    rules = dev.resources(name, "AWS::Events::Rule").values()
    functions = dev.resources(name, "AWS::Lambda::Function")
    return [
        rule["Properties"]
        for rule in rules
        if "ScheduleExpression" in rule["Properties"]
        and any(
            functions.get(target["Arn"].get("Fn::GetAtt", [None])[0], {})
            .get("Properties", {})
            .get("Handler", "")
            .startswith(handler)
            for target in rule["Properties"]["Targets"]
        )
    ]


@pytest.mark.parametrize(
    ("handler", "expression"),
    [
        ("functions.outbox.", "rate(5 minutes)"),
        ("functions.analytics.snapshots_schedule.", "rate(15 minutes)"),
    ],
)
def test_sweeps_run_in_the_primary_and_wait_disabled_in_the_standby(dev, handler, expression):
    for name, state in (("primary", "ENABLED"), ("standby", "DISABLED")):
        (rule,) = _scheduled(dev, name, handler)
        assert rule.get("State", "ENABLED") == state
        assert rule["ScheduleExpression"] == expression


def test_the_dead_letters_of_every_scheduled_function_alarm(dev):
    template = dev.template("primary")
    functions = template.find_resources("AWS::Lambda::Function")
    alarmed = {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"].get("AlarmActions")
        for dimension in alarm["Properties"].get("Dimensions", [])
        if dimension["Name"] == "QueueName" and "Fn::GetAtt" in dimension["Value"]
    }
    targets = {
        target["Arn"]["Fn::GetAtt"][0]
        for rule in template.find_resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
        for target in rule["Properties"]["Targets"]
        if "Fn::GetAtt" in target["Arn"] and target["Arn"]["Fn::GetAtt"][0] in functions
    }
    assert len(targets) >= 5  # the sweeps, the snapshots' refresh, reports, lake export
    for function in targets:
        dead = functions[function]["Properties"]["DeadLetterConfig"]["TargetArn"]
        assert dead["Fn::GetAtt"][0] in alarmed, function


def test_only_the_users_function_may_create_people_in_the_user_pool(dev):
    granted = [
        logical
        for logical, policy in dev.resources("primary", "AWS::IAM::Policy").items()
        if "cognito-idp:AdminCreateUser" in json.dumps(policy)
    ]
    assert len(granted) == 1
    assert "Users" in granted[0]
