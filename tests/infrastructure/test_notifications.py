"""Notifications in the CDK app: the SES identity and configuration set, and the two functions
that may send (the consumer and the sweep), each only from that identity through that set, by
SMS, and to the push application's endpoints; no other function can send anything."""

from __future__ import annotations

import json
from typing import Any

import pytest

STACKS = ("primary", "standby")
CONSUMER = "functions.notifications.notifications.handler"
SWEEP = "functions.notifications.sweep.handler"


def _function(template: Any, handler: str) -> tuple[str, dict[str, Any]]:
    found = [
        (logical, resource["Properties"])
        for logical, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == handler
    ]
    assert len(found) == 1, handler
    return found[0]


def _role_statements(template: Any, function: dict[str, Any]) -> list[dict[str, Any]]:
    role = function["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def _sending(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        s for s in statements if any(a.startswith(("ses:", "sns:Publish")) for a in _actions(s))
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_the_ses_identity_and_configuration_set_exist(dev, stack):
    template = dev.template(stack)
    (identity,) = template.find_resources("AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "fluxo.example.com"
    (config_set,) = template.find_resources("AWS::SES::ConfigurationSet").values()
    assert config_set["Properties"]["SuppressionOptions"]["SuppressedReasons"] == [
        "BOUNCE",
        "COMPLAINT",
    ]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("handler", [CONSUMER, SWEEP])
def test_the_senders_send_only_from_the_identity_through_the_set(dev, stack, handler):
    template = dev.template(stack)
    _, function = _function(template, handler)
    variables = function["Environment"]["Variables"]
    assert variables["FLUXO_NOTIFICATIONS_SENDER"] == "Fluxo <alertas@fluxo.example.com>"
    assert "Ref" in variables["FLUXO_NOTIFICATIONS_CONFIGURATION_SET"]
    sending = {s.get("Sid"): s for s in _sending(_role_statements(template, function))}
    assert set(sending) == {"SendEmailFromTheIdentity", "PushToTheApplicationsEndpoints", "SendSms"}
    email = sending["SendEmailFromTheIdentity"]
    assert _actions(email) == ["ses:SendEmail"]
    resources = json.dumps(email["Resource"])
    assert "identity/fluxo.example.com" in resources
    assert "configuration-set/" in resources
    assert email["Condition"] == {"StringLike": {"ses:FromAddress": "*@fluxo.example.com"}}
    push = sending["PushToTheApplicationsEndpoints"]
    assert ":endpoint/*/fluxo/*" in json.dumps(push["Resource"])
    assert sending["SendSms"]["Resource"] == "*"
    assert _actions(sending["SendSms"]) == ["sns:Publish"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_other_function_can_send(dev, stack):
    template = dev.template(stack)
    senders = {_function(template, CONSUMER)[1]["Role"]["Fn::GetAtt"][0]}
    senders.add(_function(template, SWEEP)[1]["Role"]["Fn::GetAtt"][0])
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = {ref["Ref"] for ref in policy["Properties"].get("Roles", [])}
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if _sending(statements) and not roles <= senders:
            # The alarm topic's own publishers (CloudWatch) are resource policies, not roles.
            raise AssertionError(f"{roles - senders} may send notifications")


@pytest.mark.parametrize(("stack", "state"), [("primary", "ENABLED"), ("standby", "DISABLED")])
def test_the_sweep_runs_every_five_minutes_where_the_database_is_written(dev, stack, state):
    template = dev.template(stack)
    logical, _ = _function(template, SWEEP)
    rules = [
        rule["Properties"]
        for rule in template.find_resources("AWS::Events::Rule").values()
        if any(
            target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}
            for target in rule["Properties"].get("Targets", [])
        )
    ]
    assert [(r["ScheduleExpression"], r["State"]) for r in rules] == [("rate(5 minutes)", state)]
