"""The model endpoints: in each region a models stack with a SageMaker endpoint of a stable name
serving the image built from ml/serving/Dockerfile, scaled on invocations per instance; the ai
API function may invoke exactly the two endpoints, its own region's first; the forecaster is
retrained on a schedule; every stack stays under CloudFormation's resource limit."""

from __future__ import annotations

import json
import re

import pytest

from stacks.config import MODEL_SERVING, TRAINED_MODELS, ModelServing
from stacks.constructs.models import VARIANT
from stacks.packaging import SERVING_DOCKERFILE

REGIONS = {"primary": "us-east-1", "standby": "us-west-2"}
MAX_RESOURCES = 500
"""CloudFormation's limit of resources in one stack."""
FORECASTER = next(model for model in TRAINED_MODELS if model.name == "forecaster")


@pytest.fixture(params=["dev", "prod"])
def synth(request):
    return request.getfixturevalue(request.param)


def _stage(synth) -> str:
    return synth.stacks["primary"].node.try_get_context("stage")


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _one(synth, stack: str, kind: str) -> tuple[str, dict]:
    found = synth.resolved(stack, kind)
    assert len(found) == 1, (stack, kind, list(found))
    ((logical, resource),) = found.items()
    return logical, resource


def _stage_key(synth, service: str) -> str:
    """The service stack's own key (data, logs, queues), not the flow logs' key."""
    (key,) = [
        logical
        for logical, key in synth.resources(service, "AWS::KMS::Key").items()
        if key["Properties"]["Description"].startswith("Fluxo: data")
    ]
    return key


def _statements(synth, stack: str, role: str) -> list[dict]:
    return [
        statement
        for policy in synth.resolved(stack, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_each_region_has_an_endpoint_of_the_stable_name_encrypted_with_its_stage_key(
    synth, service
):
    stack = f"{service}_models"
    stage = _stage(synth)
    serving = MODEL_SERVING[stage]
    assert synth.stacks[stack].region == REGIONS[service]
    _, endpoint = _one(synth, stack, "AWS::SageMaker::Endpoint")
    config_logical, config = _one(synth, stack, "AWS::SageMaker::EndpointConfig")
    model_logical, model = _one(synth, stack, "AWS::SageMaker::Model")
    assert endpoint["Properties"]["EndpointName"] == f"fluxo-{stage}-models"
    assert endpoint["Properties"]["EndpointConfigName"] == {
        "Fn::GetAtt": [config_logical, "EndpointConfigName"]
    }
    (variant,) = config["Properties"]["ProductionVariants"]
    assert variant["VariantName"] == VARIANT
    assert variant["ModelName"] == {"Fn::GetAtt": [model_logical, "ModelName"]}
    assert variant["InstanceType"] == serving.instance_type
    assert variant["InitialInstanceCount"] == serving.min_instances
    assert config["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [_stage_key(synth, service), "Arn"]}
    assert model["Properties"]["EnableNetworkIsolation"] is True


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_model_runs_the_serving_image_built_from_its_staged_context(synth, service):
    stack = f"{service}_models"
    _, model = _one(synth, stack, "AWS::SageMaker::Model")
    image = json.dumps(model["Properties"]["PrimaryContainer"]["Image"])
    manifest = json.loads(
        (synth.outdir / f"{synth.stacks[stack].artifact_id}.assets.json").read_text()
    )
    serving = {
        asset_hash: asset
        for asset_hash, asset in manifest["dockerImages"].items()
        if asset["source"]["dockerFile"] == SERVING_DOCKERFILE
    }
    assert len(serving) == 1
    ((asset_hash, asset),) = serving.items()
    assert f":{asset_hash}" in image
    assert REGIONS[service] in image  # each region pulls from its own registry
    assert asset["source"]["platform"] == "linux/amd64"
    context = synth.outdir / asset["source"]["directory"]
    assert (context / SERVING_DOCKERFILE).is_file()
    assert (context / "ml" / "artifacts" / "forecaster.onnx").is_file()
    assert (context / "ml" / "artifacts" / "forecaster.json").is_file()
    assert (context / "shared" / "forecasting").is_dir()
    assert not list(context.rglob("__pycache__"))
    for heavy in (".venv", "node_modules", "cdk.out", "tests", "layers", "functions"):
        assert not (context / heavy).exists(), heavy


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_variant_scales_on_invocations_per_instance_between_the_configured_bounds(
    synth, service
):
    stack = f"{service}_models"
    serving = MODEL_SERVING[_stage(synth)]
    endpoint_logical, _ = _one(synth, stack, "AWS::SageMaker::Endpoint")
    target_logical, target = _one(synth, stack, "AWS::ApplicationAutoScaling::ScalableTarget")
    properties = target["Properties"]
    assert properties["ServiceNamespace"] == "sagemaker"
    assert properties["ResourceId"] == f"endpoint/fluxo-{_stage(synth)}-models/variant/{VARIANT}"
    assert properties["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (
        serving.min_instances,
        serving.max_instances,
    )
    # The service-linked role, not a new role without permissions.
    assert properties["RoleARN"].endswith(
        ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    assert endpoint_logical in target["DependsOn"]
    _, policy = _one(synth, stack, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert policy["Properties"]["ScalingTargetId"] == {"Ref": target_logical}
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert tracking["TargetValue"] == serving.invocations_per_instance
    assert tracking["ScaleOutCooldown"] < tracking["ScaleInCooldown"]


def test_prod_keeps_two_instances_at_least():
    assert MODEL_SERVING["prod"].min_instances >= 2
    assert MODEL_SERVING["dev"].min_instances >= 1


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"instance_type": "m5.large"}, "instance type"),
        ({"min_instances": 0}, "min_instances"),
        ({"min_instances": 3, "max_instances": 2}, "max_instances"),
        ({"invocations_per_instance": 0}, "positive"),
    ],
)
def test_a_serving_size_is_checked_before_it_reaches_a_template(arguments, reason):
    with pytest.raises(ValueError, match=reason):
        ModelServing(**arguments)


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_endpoint_role_pulls_its_image_and_writes_its_logs_only(synth, service):
    stack = f"{service}_models"
    _, model = _one(synth, stack, "AWS::SageMaker::Model")
    role = model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    trust = synth.resources(stack, "AWS::IAM::Role")[role]["Properties"]
    (assume,) = trust["AssumeRolePolicyDocument"]["Statement"]
    assert assume["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert not trust.get("ManagedPolicyArns")
    statements = _statements(synth, stack, role)
    granted = {action for s in statements for action in _listed(s["Action"])}
    assert granted == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogGroup",
        "logs:DescribeLogStreams",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
    }
    log_group = f"log-group:/aws/sagemaker/Endpoints/fluxo-{_stage(synth)}-models"
    for statement in statements:
        actions = set(_listed(statement["Action"]))
        resources = [json.dumps(r) for r in _listed(statement["Resource"])]
        if actions & {"logs:CreateLogStream", "logs:PutLogEvents"}:
            assert resources == [json.dumps(f"{_arn(synth, service, 'logs')}:{log_group}:*")]
        elif any(a.startswith("logs:") for a in actions):
            assert all(log_group in r for r in resources), resources
        elif "cloudwatch:PutMetricData" in actions:
            assert statement["Condition"] == {
                "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}
            }
        elif actions != {"ecr:GetAuthorizationToken"}:
            assert all("repository/cdk-" in r for r in resources), resources


def _arn(synth, service: str, kind: str) -> str:
    return f"arn:aws:{kind}:{REGIONS[service]}:{synth.stacks[service].account}"


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_endpoint_log_group_is_encrypted_and_expires(synth, service):
    stack = f"{service}_models"
    group = next(
        g["Properties"]
        for g in synth.resolved(stack, "AWS::Logs::LogGroup").values()
        if g["Properties"].get("LogGroupName", "").startswith("/aws/sagemaker/Endpoints/")
    )
    assert group["LogGroupName"] == f"/aws/sagemaker/Endpoints/fluxo-{_stage(synth)}-models"
    assert group["KmsKeyId"] == {"Fn::GetAtt": [_stage_key(synth, service), "Arn"]}
    assert group["RetentionInDays"] >= 30


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_endpoint_errors_and_latency_alarm_to_the_regions_topic(synth, service):
    stack = f"{service}_models"
    (topic,) = synth.resources(service, "AWS::SNS::Topic")
    alarms = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in synth.resolved(stack, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SageMaker"
    }
    assert set(alarms) == {"Invocation5XXErrors", "ModelLatency"}
    for alarm in alarms.values():
        assert {"Name": "EndpointName", "Value": f"fluxo-{_stage(synth)}-models"} in alarm[
            "Dimensions"
        ]
        assert alarm["AlarmActions"] == [{"Ref": topic}]


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_ai_function_reaches_exactly_the_two_endpoints_its_own_region_first(synth, service):
    """Its own region's endpoint directly, the other's through its region's relay, which may
    invoke that endpoint only."""
    stage = _stage(synth)
    own, other = REGIONS[service], next(r for s, r in REGIONS.items() if s != service)
    account = synth.stacks[service].account
    functions = {
        logical: function["Properties"]
        for logical, function in synth.resources(service, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler", "").startswith("functions.ai.")
    }
    api = {
        logical: properties
        for logical, properties in functions.items()
        if "FLUXO_MODEL_ENDPOINT" in properties["Environment"]["Variables"]
    }
    assert len(api) == 1, list(functions)
    ((_, properties),) = api.items()
    variables = properties["Environment"]["Variables"]
    assert variables["FLUXO_MODEL_ENDPOINT"] == f"fluxo-{stage}-models"
    assert variables["FLUXO_MODEL_REGIONS"] == f"{own},{other}"
    assert variables["FLUXO_MODEL_RELAY_FUNCTION"] == f"fluxo-{stage}-model-relay"
    assert _granted(synth, service, properties["Role"]["Fn::GetAtt"][0]) == {
        "sagemaker:InvokeEndpoint": [
            f"arn:aws:sagemaker:{own}:{account}:endpoint/fluxo-{stage}-models"
        ],
        "lambda:InvokeFunction": [
            f"arn:aws:lambda:{own}:{account}:function:fluxo-{stage}-model-relay"
        ],
    }

    models = f"{service}_models"
    (relay,) = [
        function["Properties"]
        for function in synth.resources(models, "AWS::Lambda::Function").values()
        if function["Properties"].get("Handler") == "functions.ai.relay.handler"
    ]
    assert relay["FunctionName"] == f"fluxo-{stage}-model-relay"
    assert "VpcConfig" not in relay  # outside the VPC: the way to the other region
    relay_variables = relay["Environment"]["Variables"]
    assert relay_variables["FLUXO_MODEL_ENDPOINT"] == f"fluxo-{stage}-models"
    assert relay_variables["FLUXO_MODEL_REGION"] == other
    assert not any(name.startswith(("FLUXO_DATABASE", "FLUXO_COGNITO")) for name in relay_variables)
    assert _granted(synth, models, relay["Role"]["Fn::GetAtt"][0]) == {
        "sagemaker:InvokeEndpoint": [
            f"arn:aws:sagemaker:{other}:{account}:endpoint/fluxo-{stage}-models"
        ]
    }


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_a_failing_relay_alarms_to_the_regions_topic(synth, service):
    models = f"{service}_models"
    (relay,) = [
        logical
        for logical, function in synth.resources(models, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == "functions.ai.relay.handler"
    ]
    alarms = [
        alarm["Properties"]
        for alarm in synth.resolved(models, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
        and {"Name": "FunctionName", "Value": {"Ref": relay}} in alarm["Properties"]["Dimensions"]
    ]
    assert [(a["MetricName"], a["Threshold"]) for a in alarms] == [("Errors", 1)]
    assert alarms[0]["AlarmActions"], "routed to the region's alarm topic"


@pytest.mark.parametrize("service", ["primary", "standby"])
def test_the_functions_reach_lambda_through_an_interface_endpoint(synth, service):
    services = [
        json.dumps(endpoint["Properties"]["ServiceName"])
        for endpoint in synth.resolved(service, "AWS::EC2::VPCEndpoint").values()
    ]
    assert any(".lambda" in name for name in services), services


def _granted(synth, stack: str, role: str) -> dict[str, list[str]]:
    """The sagemaker and lambda actions ``role``'s policies allow, with their resources."""
    granted: dict[str, list[str]] = {}
    for statement in _statements(synth, stack, role):
        for action in _listed(statement["Action"]):
            if action.startswith(("sagemaker:", "lambda:")):
                assert statement["Effect"] == "Allow"
                assert "Condition" not in statement
                resources = _listed(statement["Resource"])
                granted.setdefault(action, []).extend(map(_plain_arn, resources))
    return granted


def _plain_arn(resource: object) -> str:
    """An ARN as CDK may write it (``Fn::Join`` of the partition and the rest) as plain text."""
    if isinstance(resource, str):
        return resource
    assert isinstance(resource, dict), resource
    assert "Fn::Join" in resource, resource
    separator, parts = resource["Fn::Join"]
    return separator.join(
        "aws" if part == {"Ref": "AWS::Partition"} else str(part) for part in parts
    )


def test_the_forecaster_is_retrained_on_a_schedule_with_its_metrics(synth):
    stack = "primary_models"
    machines = [
        machine["Properties"]
        for machine in synth.resolved(stack, "AWS::StepFunctions::StateMachine").values()
        if "'forecaster-{}'" in json.dumps(machine["Properties"]["DefinitionString"])
    ]
    assert len(machines) == 1
    definition = _definition(machines[0]["DefinitionString"])
    (task,) = [state for state in definition["States"].values() if state["Type"] == "Task"]
    parameters = task["Parameters"]
    command = json.loads(parameters["Environment"]["FLUXO_TRAINING_COMMAND"])
    assert command == list(FORECASTER.command)
    metrics = {
        m["Name"]: m["Regex"] for m in parameters["AlgorithmSpecification"]["MetricDefinitions"]
    }
    assert metrics == dict(FORECASTER.metrics)
    assert set(metrics) == {"heldout:forecast_mase_30d", "heldout:coverage80"}
    schedules = [
        rule["Properties"]["ScheduleExpression"]
        for rule in synth.resources(stack, "AWS::Events::Rule").values()
        if "forecaster" in rule["Properties"].get("Description", "")
    ]
    assert schedules == [FORECASTER.schedule]
    assert FORECASTER.command == ("fluxo", "ml", "train", "--model", "forecaster")


def _definition(value: object) -> dict:
    """A state machine's definition, references replaced by a placeholder."""
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        value = delimiter.join(part if isinstance(part, str) else "<ref>" for part in parts)
    assert isinstance(value, str)
    definition: dict = json.loads(value)
    return definition


def test_the_forecaster_metrics_read_the_summary_line_of_its_back_test():
    line = (
        "forecast_mase_30d=0.734 best_baseline_mase_30d=0.912 coverage80=0.801 "
        "anomaly_f1=0.930 zscore_f1=0.512"
    )
    found = {
        name: re.search(regex, line).group(1)  # type: ignore[union-attr]
        for name, regex in FORECASTER.metrics.items()
    }
    assert found == {"heldout:forecast_mase_30d": "0.734", "heldout:coverage80": "0.801"}


def test_every_stack_stays_under_cloudformations_resource_limit(synth):
    counts = {
        name: len(template.to_json()["Resources"]) for name, template in synth.templates.items()
    }
    assert set(counts) == {"replica", "primary", "standby", "primary_models", "standby_models"}
    assert all(count < MAX_RESOURCES for count in counts.values()), counts
