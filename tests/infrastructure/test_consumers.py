"""Every event consumer gets its rule on the stage's bus, an encrypted queue with a dead-letter
queue, alarms on depth, age and dead letters routed to the alarm topic, and a function that
reads only its own queue and reports partial batch failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacks.constructs.consumers import CONSUMERS, ConsumerSpec, queue_name

STACKS = ("primary", "standby")


def _find(template: Any, kind: str, **properties: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical, resource)
        for logical, resource in template.find_resources(kind).items()
        if all(resource["Properties"].get(k) == v for k, v in properties.items())
    ]


def _queue(template: Any, name: str) -> tuple[str, dict[str, Any]]:
    found = _find(template, "AWS::SQS::Queue", QueueName=name)
    assert len(found) == 1, name
    return found[0][0], found[0][1]["Properties"]


def _function(template: Any, spec: ConsumerSpec) -> tuple[str, dict[str, Any]]:
    handler = f"functions.{spec.context}.{spec.handler}"
    found = _find(template, "AWS::Lambda::Function", Handler=handler)
    assert len(found) == 1, handler
    return found[0][0], found[0][1]["Properties"]


def _statements(template: Any, role: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_stacks_know_exactly_the_consumers_the_runtime_has(tmp_path: Path):
    from shared.bootstrap import bootstrap
    from shared.settings import Settings

    container = bootstrap(Settings(home=tmp_path))
    try:
        runtime = {c.name: c.event_types for c in container.consumers}
    finally:
        container.close()
    assert {spec.name: frozenset(spec.event_types) for spec in CONSUMERS} == runtime
    for spec in CONSUMERS:
        package = Path(__file__).resolve().parents[2] / "functions" / spec.context
        assert (package / f"{spec.handler.split('.')[0]}.py").is_file()


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda spec: spec.name)
def test_a_rule_sends_the_consumers_event_types_from_the_bus_to_its_queue(dev, stack, spec):
    template = dev.template(stack)
    queue, _ = _queue(template, queue_name("dev", spec.name))
    dead, _ = _queue(template, f"{queue_name('dev', spec.name)}-dlq")
    (bus,) = template.find_resources("AWS::Events::EventBus")
    rules = [
        rule
        for rule in template.find_resources("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [queue, "Arn"]} for t in rule["Properties"]["Targets"])
    ]
    assert len(rules) == 1
    rule = rules[0]["Properties"]
    assert rule["EventBusName"] == {"Ref": bus}
    assert rule["EventPattern"] == {
        "source": [{"prefix": "fluxo."}],
        "detail-type": sorted(spec.event_types),
    }
    (target,) = rule["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dead, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda spec: spec.name)
def test_the_queue_is_encrypted_with_a_dead_letter_queue_and_only_that_rule_may_send(dev, spec):
    template = dev.template("primary")
    name = queue_name("dev", spec.name)
    queue, properties = _queue(template, name)
    dead, dead_properties = _queue(template, f"{name}-dlq")
    assert properties["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]},
        "maxReceiveCount": spec.max_receive_count,
    }
    for queue_properties in (properties, dead_properties):
        assert "KmsMasterKeyId" in queue_properties
    assert dead_properties["MessageRetentionPeriod"] == 14 * 24 * 3600
    sends = [
        statement
        for policy in template.find_resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    rule = next(
        logical
        for logical, resource in template.find_resources("AWS::Events::Rule").items()
        if any(
            t["Arn"] == {"Fn::GetAtt": [queue, "Arn"]} for t in resource["Properties"]["Targets"]
        )
    )
    allowed = [s for s in sends if s["Effect"] == "Allow"]
    denied = [s for s in sends if s["Effect"] == "Deny"]
    assert len(allowed) == 1
    assert [s["Condition"] for s in denied] == [
        {"ArnNotEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}
    ]  # EventBridge may send for this consumer's rule only


@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda spec: spec.name)
def test_depth_age_and_dead_letter_alarms_reach_the_alarm_topic(dev, spec):
    template = dev.template("primary")
    name = queue_name("dev", spec.name)
    queue, _ = _queue(template, name)
    dead, _ = _queue(template, f"{name}-dlq")
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()

    def on(queue_logical: str, metric: str) -> list[dict[str, Any]]:
        return [
            alarm["Properties"]
            for alarm in alarms
            if alarm["Properties"].get("MetricName") == metric
            and {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_logical, "QueueName"]}}
            in alarm["Properties"].get("Dimensions", [])
        ]

    depth = on(queue, "ApproximateNumberOfMessagesVisible")
    age = on(queue, "ApproximateAgeOfOldestMessage")
    dead_letters = on(dead, "ApproximateNumberOfMessagesVisible")
    assert [alarm["Threshold"] for alarm in depth] == [spec.max_depth]
    assert len(age) == 1
    assert [alarm["Threshold"] for alarm in dead_letters] == [1]
    for alarm in (*depth, *age, *dead_letters):
        assert alarm.get("AlarmActions"), alarm["AlarmDescription"]


@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda spec: spec.name)
def test_the_function_reads_its_queue_in_batches_reporting_partial_failures(dev, spec):
    template = dev.template("primary")
    function, properties = _function(template, spec)
    queue, _ = _queue(template, queue_name("dev", spec.name))
    (mapping,) = _find(template, "AWS::Lambda::EventSourceMapping", FunctionName={"Ref": function})
    assert mapping[1]["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert mapping[1]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping[1]["Properties"]["BatchSize"] == spec.batch_size
    assert properties["Architectures"] == ["arm64"]
    assert "FLUXO_DATABASE_URL" in properties["Environment"]["Variables"]


@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda spec: spec.name)
def test_the_functions_role_may_touch_only_its_own_queue_and_publishes_only_if_it_must(dev, spec):
    template = dev.template("primary")
    _, properties = _function(template, spec)
    role = properties["Role"]["Fn::GetAtt"][0]
    queue, _ = _queue(template, queue_name("dev", spec.name))
    statements = _statements(template, role)
    construct = role.split("Role")[0]  # ConsumerActivityFunction
    (async_dead_letters,) = [
        logical
        for logical in template.find_resources("AWS::SQS::Queue")
        if logical.startswith(f"{construct}AsyncDeadLetters")
    ]
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in _actions(s))]
    consume = [s for s in sqs if "sqs:ReceiveMessage" in _actions(s)]
    assert [s["Resource"] for s in consume] == [{"Fn::GetAtt": [queue, "Arn"]}]
    for statement in sqs:
        if statement in consume:
            assert not {"sqs:SendMessage", "sqs:PurgeQueue", "sqs:*"} & set(_actions(statement))
        else:  # Lambda's own dead letters for failed asynchronous invocations
            assert _actions(statement) == ["sqs:SendMessage"]
            assert statement["Resource"] == {"Fn::GetAtt": [async_dead_letters, "Arn"]}
    everything = {action for s in statements for action in _actions(s)}
    assert ("events:PutEvents" in everything) is spec.publishes
    assert "rds-db:connect" in everything
    assert not any(action.endswith(":*") for action in everything)
