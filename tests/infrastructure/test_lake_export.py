"""The lake export in the CDK app: a function with the core and parquet layers (not models) on a
daily cron at 04:00 UTC, allowed to replace and delete objects under
processed/daily_aggregations/ and nothing else of the lake; a Glue table over that prefix with
partition projection on ``date``; an Athena workgroup writing encrypted results into the lake;
all in the primary region only."""

from __future__ import annotations

import json
from typing import Any

from stacks.constructs.lake_export import COLUMNS

HANDLER = "functions.analytics.lake_export.handler"
PREFIX = "processed/daily_aggregations/"


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


def _layer_descriptions(template: Any, function: dict[str, Any]) -> list[str]:
    layers = template.find_resources("AWS::Lambda::LayerVersion")
    return [layers[layer["Ref"]]["Properties"]["Description"] for layer in function["Layers"]]


def _table(template: Any) -> dict[str, Any]:
    (table,) = template.find_resources("AWS::Glue::Table").values()
    properties: dict[str, Any] = table["Properties"]["TableInput"]
    return properties


def test_the_function_has_the_core_and_parquet_layers_and_runs_daily_at_4_utc(dev):
    template = dev.template("primary")
    logical, function = _function(template)
    assert _layer_descriptions(template, function) == [
        "Fluxo's third-party packages: core (make layers)",
        "Fluxo's third-party packages: parquet (make layers)",
    ]
    assert function["Timeout"] == 900
    assert function["Architectures"] == ["arm64"]
    schedules = [
        rule["Properties"]
        for rule in template.find_resources("AWS::Events::Rule").values()
        for target in rule["Properties"].get("Targets", [])
        if target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}
    ]
    assert [rule["ScheduleExpression"] for rule in schedules] == ["cron(0 4 * * ? *)"]
    assert schedules[0].get("State", "ENABLED") == "ENABLED"


def test_only_the_categorising_functions_carry_the_models_layer(dev):
    template = dev.template("primary")
    layers = template.find_resources("AWS::Lambda::LayerVersion")
    names = {
        logical: layer["Properties"]["Description"].split(": ")[1].split(" ")[0]
        for logical, layer in layers.items()
    }
    with_models = set()
    for function in template.find_resources("AWS::Lambda::Function").values():
        carried = [names[layer["Ref"]] for layer in function["Properties"].get("Layers", [])]
        if not carried:
            continue  # CDK's own deploy-time handlers
        assert carried[0] == "core"
        if "models" in carried:
            with_models.add(function["Properties"]["Handler"].split(".")[1])
        if "parquet" in carried:
            assert function["Properties"]["Handler"] == HANDLER
    assert with_models == {"imports", "transactions"}


def test_the_lake_rights_are_put_and_delete_under_the_daily_aggregations_only(dev):
    template = dev.template("primary")
    _, function = _function(template)
    s3 = [
        s for s in _statements(template, function) if any(a.startswith("s3:") for a in _actions(s))
    ]
    granted = sorted({action for statement in s3 for action in _actions(statement)})
    assert granted == ["s3:DeleteObject", "s3:PutObject"]
    for statement in s3:
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        assert len(resources) == 1
        assert json.dumps(resources[0]).endswith(f'"/{PREFIX}*"]]}}'), resources
    kms = [s for s in _statements(template, function) if "kms:GenerateDataKey" in _actions(s)]
    assert any("kms:ViaService" in s.get("Condition", {}).get("StringEquals", {}) for s in kms)


def test_the_function_reaches_the_database_like_the_others(dev):
    template = dev.template("primary")
    _, function = _function(template)
    connects = [s for s in _statements(template, function) if "rds-db:connect" in _actions(s)]
    assert connects
    assert function["VpcConfig"]["SubnetIds"]


def test_the_glue_table_reads_parquet_under_the_prefix_with_projected_dates(dev):
    template = dev.template("primary")
    table = _table(template)
    descriptor = table["StorageDescriptor"]
    location = json.dumps(descriptor["Location"])
    assert location.startswith('{"Fn::Join": ["", ["s3://", {"Ref": "Lake')
    assert location.endswith(f'"/{PREFIX}"]]}}')
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        (name, kind) for name, kind, _ in COLUMNS
    ]
    assert ("inflow", "decimal(16,4)") in [(c["Name"], c["Type"]) for c in descriptor["Columns"]]
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("date", "string")]
    parameters = table["Parameters"]
    assert {
        key: parameters[key]
        for key in (
            "projection.enabled",
            "projection.date.type",
            "projection.date.format",
            "projection.date.range",
        )
    } == {
        "projection.enabled": "true",
        "projection.date.type": "date",
        "projection.date.format": "yyyy-MM-dd",
        "projection.date.range": "2020-01-01,NOW",
    }
    template_location = json.dumps(parameters["storage.location.template"])
    assert template_location.endswith(f'"/{PREFIX}date=${{date}}/"]]}}')


def test_the_columns_are_those_the_export_writes():
    from shared.analytics.lake_export import SCHEMA

    glue_types = {"string": "string", "int32": "int", "decimal128(16, 4)": "decimal(16,4)"}
    assert [(field.name, glue_types[str(field.type)]) for field in SCHEMA] == [
        (name, kind) for name, kind, _ in COLUMNS
    ]


def test_athena_writes_encrypted_results_into_the_lake_and_clients_cannot_change_that(dev):
    template = dev.template("primary")
    (workgroup,) = template.find_resources("AWS::Athena::WorkGroup").values()
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert json.dumps(results["OutputLocation"]).endswith('"/athena-results/"]]}')


def test_the_standby_has_no_export_no_table_and_no_workgroup(dev):
    template = dev.template("standby")
    functions = template.find_resources("AWS::Lambda::Function").values()
    assert HANDLER not in [f["Properties"].get("Handler") for f in functions]
    assert not template.find_resources("AWS::Glue::Table")
    assert not template.find_resources("AWS::Athena::WorkGroup")
