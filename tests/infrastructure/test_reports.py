"""Scheduled reports in the CDK app: one function on a monthly and a weekly EventBridge cron
(06:00 in São Paulo), which may write and read objects under reports/ of the lake and nothing
else of it, may not send e-mail itself (the notifications consumer does, on ReportGenerated),
and exists only where the lake is written (the primary region)."""

from __future__ import annotations

import json
from typing import Any

HANDLER = "functions.analytics.reports_schedule.handler"


def _function(template: Any) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical, resource["Properties"])
        for logical, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == HANDLER
    ]
    return found


def _statements(template: Any, function: dict[str, Any]) -> list[dict[str, Any]]:
    role = function["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_function_runs_on_a_monthly_and_a_weekly_cron(dev):
    template = dev.template("primary")
    logical, function = _function(template)
    assert function["Timeout"] == 900
    assert function["Architectures"] == ["arm64"]
    schedules = {}
    for rule in template.find_resources("AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            if target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}:
                schedules[rule["Properties"]["ScheduleExpression"]] = json.loads(target["Input"])
                assert "DeadLetterConfig" in target
                assert rule["Properties"].get("State", "ENABLED") == "ENABLED"
    assert schedules == {
        "cron(0 9 1 * ? *)": {"frequency": "monthly"},
        "cron(0 9 ? * MON *)": {"frequency": "weekly"},
    }


def test_the_lake_rights_are_objects_under_reports_only(dev):
    template = dev.template("primary")
    _, function = _function(template)
    s3 = [
        s for s in _statements(template, function) if any(a.startswith("s3:") for a in _actions(s))
    ]
    objects = [s for s in s3 if "s3:PutObject" in _actions(s) or "s3:GetObject" in _actions(s)]
    assert objects, s3
    for statement in objects:
        resources = json.dumps(statement["Resource"])
        assert resources.count("/reports/*") == len(
            statement["Resource"] if isinstance(statement["Resource"], list) else [1]
        ), resources
        assert not {a for a in _actions(statement) if "Delete" in a}
    granted = {action for statement in s3 for action in _actions(statement)}
    assert {"s3:PutObject", "s3:GetObject"} <= granted
    assert not {a for a in granted if a.startswith("s3:Delete") or a == "s3:*"}
    listing = [s for s in s3 if "s3:ListBucket" in _actions(s)]
    for statement in listing:
        assert statement["Condition"]["StringLike"]["s3:prefix"] == ["reports/*"]


def test_the_function_sends_nothing_itself(dev):
    template = dev.template("primary")
    _, function = _function(template)
    for statement in _statements(template, function):
        assert not [a for a in _actions(statement) if a.startswith(("ses:", "sns:"))]


def test_the_lake_key_is_used_only_through_s3(dev):
    template = dev.template("primary")
    _, function = _function(template)
    through_s3 = [
        s
        for s in _statements(template, function)
        if "kms:GenerateDataKey" in _actions(s) and "Condition" in s
    ]
    assert through_s3
    assert any("s3." in json.dumps(s["Condition"]) for s in through_s3)


def test_the_notifications_consumer_hears_report_generated(dev):
    template = dev.template("primary")
    patterns = [
        rule["Properties"]["EventPattern"]
        for rule in template.find_resources("AWS::Events::Rule").values()
        if "EventPattern" in rule["Properties"]
    ]
    assert any("ReportGenerated" in p.get("detail-type", []) for p in patterns)


def test_the_standby_has_no_report_schedule(dev):
    template = dev.template("standby")
    handlers = [
        resource["Properties"].get("Handler")
        for resource in template.find_resources("AWS::Lambda::Function").values()
    ]
    assert HANDLER not in handlers
