"""Statements dropped into the lake under raw/bank_statements/ reach the imports function through
an S3 event notification and an encrypted queue, in the primary region only; the function may
touch exactly two prefixes of the lake and never delete."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import ACCOUNT

IMPORTS_HANDLER = "functions.imports.handler.handler"
RAW = "/raw/bank_statements/*"
REPORTS = "/processed/import_reports/*"
EXPECTED_S3 = {
    ("s3:GetObject", RAW),
    ("s3:GetObjectVersion", RAW),
    ("s3:PutObject", RAW),
    ("s3:AbortMultipartUpload", RAW),
    ("s3:PutObject", REPORTS),
    ("s3:AbortMultipartUpload", REPORTS),
}


def _text(value: object) -> str:
    """A CloudFormation value as one readable string: ``<Logical.Attr>``, ``<Ref>``, joins."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(_text(item) for item in items)
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{resource}.{attribute}>"
        if "Ref" in value:
            return f"<{value['Ref']}>"
    return json.dumps(value, sort_keys=True)


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _statements(policy: dict) -> list[dict]:
    statements: list[dict] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _imports_function(synth, stack: str) -> tuple[str, dict]:
    found = [
        (logical, function)
        for logical, function in synth.resources(stack, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == IMPORTS_HANDLER
    ]
    assert len(found) == 1, found
    return found[0]


def _lake_bucket(synth) -> str:
    lakes = [
        logical
        for logical, bucket in synth.resources("primary", "AWS::S3::Bucket").items()
        if "ReplicationConfiguration" in bucket["Properties"]
    ]
    assert len(lakes) == 1
    return lakes[0]


def _role_policies(synth, stack: str, function: dict) -> list[dict]:
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        policy
        for policy in synth.resources(stack, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
    ]


def _drop_mapping(synth) -> dict:
    """The imports function's mapping (the event consumers have theirs: test_consumers.py)."""
    logical, _ = _imports_function(synth, "primary")
    mappings = [
        mapping
        for mapping in synth.resources("primary", "AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["FunctionName"] == {"Ref": logical}
    ]
    assert len(mappings) == 1, mappings
    return mappings[0]["Properties"]


def _queue_of(arn: object) -> str:
    assert isinstance(arn, dict), arn
    assert "Fn::GetAtt" in arn, arn
    logical, attribute = arn["Fn::GetAtt"]
    assert attribute == "Arn"
    return str(logical)


@pytest.fixture(params=["dev", "prod"])
def synth(request):
    return request.getfixturevalue(request.param)


def test_objects_created_under_raw_bank_statements_notify_the_drop_queue(synth):
    notifications = list(synth.resources("primary", "Custom::S3BucketNotifications").values())
    assert len(notifications) == 1
    notification = notifications[0]
    assert notification["Properties"]["BucketName"] == {"Ref": _lake_bucket(synth)}
    configuration = notification["Properties"]["NotificationConfiguration"]
    assert set(configuration) == {"QueueConfigurations"}
    (queue_configuration,) = configuration["QueueConfigurations"]
    assert queue_configuration["Events"] == ["s3:ObjectCreated:*"]
    assert queue_configuration["Filter"]["Key"]["FilterRules"] == [
        {"Name": "prefix", "Value": "raw/bank_statements/"}
    ]
    # The queue the notification targets is the one the imports function consumes.
    mapping = _drop_mapping(synth)
    assert _queue_of(queue_configuration["QueueArn"]) == _queue_of(mapping["EventSourceArn"])


def test_only_the_lake_in_this_account_may_send_to_the_drop_queue(synth):
    queue = _queue_of(_drop_mapping(synth)["EventSourceArn"])
    policies = [
        policy
        for policy in synth.resources("primary", "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in policy["Properties"]["Queues"]
    ]
    assert len(policies) == 1
    allowed = [s for s in _statements(policies[0]) if s["Effect"] == "Allow"]
    assert len(allowed) == 1
    (statement,) = allowed
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert _listed(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::GetAtt": [_lake_bucket(synth), "Arn"]
    }
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    denied = [s for s in _statements(policies[0]) if s["Effect"] == "Deny"]
    assert denied
    assert denied[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # S3 checks the queue policy when the notification is configured: it must exist first.
    notification = next(iter(synth.resources("primary", "Custom::S3BucketNotifications").values()))
    policy_logical = next(
        logical
        for logical, policy in synth.resources("primary", "AWS::SQS::QueuePolicy").items()
        if {"Ref": queue} in policy["Properties"]["Queues"]
    )
    assert policy_logical in notification["DependsOn"]


def test_s3_may_use_the_stage_key_only_for_this_accounts_queues(synth):
    """CDK's SqsDestination would add an unconditioned statement (and a key → bucket → key
    cycle); the key policy has one S3 statement, with conditions, and no ReEncrypt."""
    statements = [
        statement
        for key in synth.resources("primary", "AWS::KMS::Key").values()
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if "s3.amazonaws.com" in json.dumps(statement.get("Principal", {}))
    ]
    assert len(statements) == 1
    (statement,) = statements
    assert sorted(_listed(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = statement["Condition"]
    assert conditions["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    queues = _text(conditions["ArnLike"]["kms:EncryptionContext:aws:sqs:arn"])
    assert queues == f"arn:aws:sqs:us-east-1:{ACCOUNT}:*"


def test_the_imports_function_consumes_the_drop_queue_reporting_partial_failures(synth):
    mapping = _drop_mapping(synth)
    logical, _ = _imports_function(synth, "primary")
    assert mapping["FunctionName"] == {"Ref": logical}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10
    assert mapping["MaximumBatchingWindowInSeconds"] > 0
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2
    assert mapping.get("Enabled", True) is True


def test_the_drop_queue_outlasts_six_function_timeouts_and_has_an_encrypted_dlq(synth):
    mapping = _drop_mapping(synth)
    queues = synth.resources("primary", "AWS::SQS::Queue")
    queue = queues[_queue_of(mapping["EventSourceArn"])]["Properties"]
    _, function = _imports_function(synth, "primary")
    timeout = function["Properties"]["Timeout"]
    window = mapping["MaximumBatchingWindowInSeconds"]
    assert queue["VisibilityTimeout"] >= 6 * timeout + window
    # Set, not SQS's implied 4 days; no longer than its dead-letter queue keeps messages.
    assert 4 * 24 * 3600 <= queue["MessageRetentionPeriod"] < 14 * 24 * 3600
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [_key(synth), "Arn"]}
    redrive = queue["RedrivePolicy"]
    assert 1 <= redrive["maxReceiveCount"] <= 5
    dead = queues[_queue_of(redrive["deadLetterTargetArn"])]["Properties"]
    assert dead["KmsMasterKeyId"] == {"Fn::GetAtt": [_key(synth), "Arn"]}
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600


def _key(synth) -> str:
    """The stage key: the one that encrypts the lake."""
    lake = synth.resources("primary", "AWS::S3::Bucket")[_lake_bucket(synth)]
    rule = lake["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    return str(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0])


def test_the_imports_function_has_time_for_a_large_file_and_the_others_keep_29_seconds(synth):
    for stack in ("primary", "standby"):
        _, function = _imports_function(synth, stack)
        assert 300 <= function["Properties"]["Timeout"] <= 900
        assert function["Properties"]["MemorySize"] >= 1024
        others = [
            f["Properties"]
            for f in synth.resources(stack, "AWS::Lambda::Function").values()
            if f["Properties"].get("Handler", "").startswith("functions.")
            and f["Properties"]["Handler"].endswith("handler.handler")
            and f["Properties"]["Handler"] != IMPORTS_HANDLER
            and f["Properties"].get("Description", "").startswith("Fluxo API:")
        ]
        assert others
        assert {f["Timeout"] for f in others} == {29}


def test_the_imports_function_may_read_and_write_exactly_two_lake_prefixes(synth):
    _, function = _imports_function(synth, "primary")
    lake = f"<{_lake_bucket(synth)}.Arn>"
    granted = set()
    listed = False
    for policy in _role_policies(synth, "primary", function):
        for statement in _statements(policy):
            assert statement["Effect"] == "Allow"
            for action in _listed(statement["Action"]):
                if not action.startswith("s3:"):
                    continue
                if action == "s3:ListBucket":
                    # Listing (so that a missing key is a 404), only under the read prefix.
                    assert _text(statement["Resource"]) == lake
                    prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
                    assert _listed(prefixes) == ["raw/bank_statements/*"]
                    listed = True
                    continue
                for resource in _listed(statement["Resource"]):
                    text = _text(resource)
                    assert text.startswith(lake + "/"), text
                    granted.add((action, text.removeprefix(lake)))
    assert granted == EXPECTED_S3
    assert listed
    assert not any("Delete" in action for action, _ in granted)


def test_the_imports_function_uses_the_key_for_s3_only_through_s3_for_the_lake(synth):
    _, function = _imports_function(synth, "primary")
    lake = {"Fn::GetAtt": [_lake_bucket(synth), "Arn"]}
    through_s3 = [
        statement
        for policy in _role_policies(synth, "primary", function)
        for statement in _statements(policy)
        if "kms:ViaService" in json.dumps(statement.get("Condition", {}))
    ]
    assert len(through_s3) == 1
    (statement,) = through_s3
    assert sorted(_listed(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    via = statement["Condition"]["StringEquals"]
    assert via == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert lake in statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]


def test_the_imports_function_consumes_only_its_own_queue(synth):
    _, function = _imports_function(synth, "primary")
    queue = _queue_of(_drop_mapping(synth)["EventSourceArn"])
    consuming = [
        statement
        for policy in _role_policies(synth, "primary", function)
        for statement in _statements(policy)
        if "sqs:ReceiveMessage" in _listed(statement["Action"])
    ]
    assert len(consuming) == 1
    assert consuming[0]["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert "sqs:DeleteMessage" in consuming[0]["Action"]


def test_the_drop_queue_and_its_dlq_alarm_to_the_topic(synth):
    mapping = _drop_mapping(synth)
    queues = synth.resources("primary", "AWS::SQS::Queue")
    queue = _queue_of(mapping["EventSourceArn"])
    dead = _queue_of(queues[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
    topics = list(synth.resources("primary", "AWS::SNS::Topic"))
    assert len(topics) == 1
    alarms = synth.resources("primary", "AWS::CloudWatch::Alarm").values()

    def alarm_on(queue_logical: str, metric: str) -> dict:
        found = [
            a["Properties"]
            for a in alarms
            if a["Properties"].get("MetricName") == metric
            and {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_logical, "QueueName"]}}
            in a["Properties"].get("Dimensions", [])
        ]
        assert len(found) == 1, (queue_logical, metric)
        return found[0]

    not_empty = alarm_on(dead, "ApproximateNumberOfMessagesVisible")
    assert not_empty["Threshold"] == 1
    oldest = alarm_on(queue, "ApproximateAgeOfOldestMessage")
    assert oldest["Threshold"] <= 3600
    for alarm in (not_empty, oldest):
        assert alarm["AlarmActions"] == [{"Ref": topics[0]}]
        assert alarm["OKActions"] == [{"Ref": topics[0]}]


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_the_imports_function_has_error_and_throttle_alarms(synth, stack):
    logical, _ = _imports_function(synth, stack)
    topics = list(synth.resources(stack, "AWS::SNS::Topic"))
    metrics = {
        alarm["Properties"]["MetricName"]
        for alarm in synth.resources(stack, "AWS::CloudWatch::Alarm").values()
        if {"Name": "FunctionName", "Value": {"Ref": logical}}
        in alarm["Properties"].get("Dimensions", [])
        and alarm["Properties"].get("AlarmActions") == [{"Ref": topics[0]}]
    }
    assert {"Errors", "Throttles"} <= metrics


def test_the_standby_neither_notifies_nor_consumes_nor_touches_the_replica(synth):
    template = synth.template("standby")
    template.resource_count_is("Custom::S3BucketNotifications", 0)
    logical, function = _imports_function(synth, "standby")
    assert not [
        mapping
        for mapping in synth.resources("standby", "AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["FunctionName"] == {"Ref": logical}
    ]
    actions = {
        action
        for policy in _role_policies(synth, "standby", function)
        for statement in _statements(policy)
        for action in _listed(statement["Action"])
    }
    assert actions
    assert not {action for action in actions if action.startswith("s3:")}
    principals = [
        statement.get("Principal", {})
        for key in synth.resources("standby", "AWS::KMS::Key").values()
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
    ]
    assert principals
    assert "s3.amazonaws.com" not in json.dumps(principals)
