"""The search consumer reaches one index of the OpenSearch domain, from inside the VPC, and no
other function may write there."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.constructs.consumers import CONSUMERS
from stacks.region import SEARCH_INDEX

SEARCH = next(spec for spec in CONSUMERS if spec.name == "search")
ES_WRITES = {"es:ESHttpPut", "es:ESHttpDelete"}


def _function(template: Any, handler: str) -> tuple[str, dict[str, Any]]:
    [(logical, resource)] = [
        (logical, resource)
        for logical, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == handler
    ]
    return logical, resource["Properties"]


def _es_statements(template: Any, role: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if role in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                if any(action.startswith("es:") for action in actions):
                    statements.append(statement)
    return statements


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_the_search_consumer_may_read_and_write_only_the_transactions_index(dev, stack):
    template = dev.template(stack)
    _, function = _function(template, f"functions.{SEARCH.context}.{SEARCH.handler}")
    [statement] = _es_statements(template, {"Ref": function["Role"]["Fn::GetAtt"][0]})

    assert set(statement["Action"]) == {
        "es:ESHttpGet",
        "es:ESHttpHead",
        "es:ESHttpPost",
        "es:ESHttpPut",
        "es:ESHttpDelete",
    }
    resources = [str(resource) for resource in statement["Resource"]]
    assert len(resources) == 2
    assert all(f"/{SEARCH_INDEX}" in resource for resource in resources)
    assert "VpcConfig" in function
    variables = function["Environment"]["Variables"]
    assert "FLUXO_OPENSEARCH_URL" in variables


def test_no_other_function_may_write_to_the_domain(dev):
    template = dev.template("primary")
    search_role = _function(template, f"functions.{SEARCH.context}.{SEARCH.handler}")[1]["Role"]
    for function in template.find_resources("AWS::Lambda::Function").values():
        role = function["Properties"]["Role"]
        if role == search_role or "Fn::GetAtt" not in role:
            continue
        for statement in _es_statements(template, {"Ref": role["Fn::GetAtt"][0]}):
            actions = statement["Action"]
            assert not ES_WRITES & set(actions if isinstance(actions, list) else [actions])
