"""Scheduled retraining: in the primary region only (its models stack), a weekly EventBridge
schedule starts a Step Functions state machine whose task is a SageMaker training job running
the image built from ml/training/Dockerfile; the job writes its model under models/<model>/ in
the lake and may write nothing else there; failed or timed-out executions alarm to the stage's
topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import TRAINED_MODELS, TrainedModel
from stacks.packaging import TRAINING_DOCKERFILE

CATEGORISER = next(model for model in TRAINED_MODELS if model.name == "categoriser")
MODELS = "primary_models"
"""Retraining is in the primary region's models stack, beside the model endpoint."""
SAGEMAKER_RUN_JOB = ":states:::sagemaker:createTrainingJob.sync"


@pytest.fixture(params=["dev", "prod"])
def synth(request):
    return request.getfixturevalue(request.param)


def _text(value: object) -> str:
    """A CloudFormation value as one string: ``<Logical>`` for a Ref, ``<Logical.Attr>``."""
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


def _state_machines(synth, stack: str = MODELS) -> dict[str, dict]:
    found: dict[str, dict] = synth.resolved(stack, "AWS::StepFunctions::StateMachine")
    return found


def _training(synth) -> tuple[str, dict, dict]:
    """The categoriser's state machine: logical id, properties, and its one task's state."""
    machines = {
        logical: machine
        for logical, machine in _state_machines(synth).items()
        if "createTrainingJob" in _text(machine["Properties"]["DefinitionString"])
    }
    assert len(machines) == len(TRAINED_MODELS), machines
    for logical, machine in machines.items():
        definition = json.loads(_text(machine["Properties"]["DefinitionString"]))
        tasks = [s for s in definition["States"].values() if s["Type"] == "Task"]
        assert len(tasks) == 1
        name = tasks[0]["Parameters"]["TrainingJobName.$"]
        if f"'{CATEGORISER.name}-{{}}'" in name:
            return logical, machine["Properties"], tasks[0]
    raise AssertionError("no state machine trains the categoriser")


def _lake_bucket(synth) -> str:
    lakes = [
        logical
        for logical, bucket in synth.resources("primary", "AWS::S3::Bucket").items()
        if "ReplicationConfiguration" in bucket["Properties"]
    ]
    assert len(lakes) == 1
    return lakes[0]


def _stage_key(synth) -> str:
    """The key that encrypts the lake (the stage key)."""
    lake = synth.resources("primary", "AWS::S3::Bucket")[_lake_bucket(synth)]
    encryption = lake["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    key = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    logical: str = key["Fn::GetAtt"][0]
    return logical


def _role_statements(synth, role_logical: str) -> list[dict]:
    statements = []
    for policy in synth.resolved(MODELS, "AWS::IAM::Policy").values():
        if {"Ref": role_logical} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    role = synth.resolved(MODELS, "AWS::IAM::Role")[role_logical]
    for inline in role["Properties"].get("Policies", []):
        statements += inline["PolicyDocument"]["Statement"]
    assert not role["Properties"].get("ManagedPolicyArns"), role_logical
    return statements


def _job_role(synth) -> str:
    _, _, task = _training(synth)
    role = task["Parameters"]["RoleArn"]
    assert role.startswith("<"), role
    assert role.endswith(".Arn>"), role
    return role[1:].removesuffix(".Arn>")


def _schedules(synth, stack: str) -> list[dict]:
    return [
        rule["Properties"]
        for rule in synth.resolved(stack, "AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    ]


# -- the schedule ---------------------------------------------------------------------------------


def test_a_weekly_schedule_starts_the_training_state_machine(synth):
    logical, _, _ = _training(synth)
    starting = [
        rule
        for rule in _schedules(synth, MODELS)
        if any(target["Arn"] == {"Ref": logical} for target in rule["Targets"])
    ]
    assert len(starting) == 1
    rule = starting[0]
    assert rule["ScheduleExpression"] == CATEGORISER.schedule
    assert rule["ScheduleExpression"].startswith("cron(")
    assert "SUN" in rule["ScheduleExpression"]  # weekly
    assert rule.get("State", "ENABLED") == "ENABLED"
    (target,) = rule["Targets"]
    # EventBridge retries, then keeps the event in an encrypted dead-letter queue.
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    dead = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    queue = synth.resolved(MODELS, "AWS::SQS::Queue")[dead]["Properties"]
    assert queue.get("KmsMasterKeyId")
    # EventBridge's role may start this state machine and nothing else.
    role = target["RoleArn"]["Fn::GetAtt"][0]
    statements = _role_statements(synth, role)
    assert statements == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": logical}}
    ]


def test_retraining_exists_in_the_primary_region_only(synth):
    # The standby's model endpoint runs its own image, but trains nothing.
    standby_images = json.loads(
        (synth.outdir / f"{synth.stacks['standby_models'].artifact_id}.assets.json").read_text()
    )["dockerImages"]
    assert [image["source"]["dockerFile"] for image in standby_images.values()] == [
        "ml/serving/Dockerfile"
    ]
    assert not _state_machines(synth, "standby_models")
    assert not _schedules(synth, "standby_models")
    for stack in ("standby", "replica", "primary"):
        assert not _state_machines(synth, stack), stack
        roles = synth.resources(stack, "AWS::IAM::Role").values()
        assert not any(
            "sagemaker.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
            for role in roles
        ), stack
        targets = [t for rule in _schedules(synth, stack) for t in rule.get("Targets", [])]
        assert all("StateMachine" not in json.dumps(target) for target in targets), stack
        artifact = synth.stacks[stack].artifact_id
        manifest = json.loads((synth.outdir / f"{artifact}.assets.json").read_text())
        assert not manifest.get("dockerImages"), stack


def test_every_model_entry_in_config_gets_its_own_state_machine_and_schedule(synth):
    schedules = {rule["ScheduleExpression"] for rule in _schedules(synth, MODELS)}
    for model in TRAINED_MODELS:
        assert model.schedule in schedules, model.name
    assert len(_state_machines(synth)) == len(TRAINED_MODELS)


def test_a_model_entry_is_checked_before_it_reaches_a_template():
    with pytest.raises(ValueError, match="lowercase"):
        TrainedModel(name="Categoriser", command=("fluxo",), schedule="rate(7 days)")
    with pytest.raises(ValueError, match="at most"):
        TrainedModel(name="a" * 27, command=("fluxo",), schedule="rate(7 days)")
    with pytest.raises(ValueError, match="schedule"):
        TrainedModel(name="forecaster", command=("fluxo",), schedule="weekly")
    with pytest.raises(ValueError, match="instance type"):
        TrainedModel(
            name="forecaster", command=("fluxo",), schedule="rate(7 days)", instance_type="m5"
        )
    with pytest.raises(ValueError, match="--out"):
        TrainedModel(
            name="forecaster",
            command=("fluxo",),
            schedule="rate(7 days)",
            hyperparameters={"out": "/tmp"},
        )


# -- the training job -----------------------------------------------------------------------------


def test_the_state_machine_waits_for_a_sagemaker_training_job(synth):
    _, properties, task = _training(synth)
    assert task["Resource"].endswith(SAGEMAKER_RUN_JOB)
    parameters = task["Parameters"]
    # One job per execution, named after it.
    assert parameters["TrainingJobName.$"] == "States.Format('categoriser-{}', $$.Execution.Name)"
    assert parameters["ResourceConfig"]["InstanceType"] == CATEGORISER.instance_type
    assert parameters["ResourceConfig"]["InstanceCount"] == 1
    assert (
        parameters["StoppingCondition"]["MaxRuntimeInSeconds"]
        == CATEGORISER.max_runtime_minutes * 60
    )
    # The execution outlives the job's own limit (waiting for an instance), not forever.
    definition = json.loads(_text(properties["DefinitionString"]))
    assert (
        parameters["StoppingCondition"]["MaxRuntimeInSeconds"]
        < definition["TimeoutSeconds"]
        <= 3 * parameters["StoppingCondition"]["MaxRuntimeInSeconds"]
    )
    assert parameters["EnableNetworkIsolation"] is True
    assert "InputDataConfig" not in parameters  # it reads nothing from the lake


def test_the_job_runs_the_training_command_of_the_config_entry(synth):
    _, _, task = _training(synth)
    parameters = task["Parameters"]
    command = json.loads(parameters["Environment"]["FLUXO_TRAINING_COMMAND"])
    assert command == ["fluxo", "ml", "train-categoriser"] == list(CATEGORISER.command)
    metrics = {
        m["Name"]: m["Regex"] for m in parameters["AlgorithmSpecification"]["MetricDefinitions"]
    }
    assert metrics == dict(CATEGORISER.metrics)


def test_the_job_runs_the_image_built_from_the_repositorys_dockerfile(synth):
    _, _, task = _training(synth)
    image = task["Parameters"]["AlgorithmSpecification"]["TrainingImage"]
    stack = synth.stacks[MODELS]
    manifest = json.loads((synth.outdir / f"{stack.artifact_id}.assets.json").read_text())
    ((asset_hash, asset),) = [
        (asset_hash, asset)
        for asset_hash, asset in manifest["dockerImages"].items()
        if asset["source"]["dockerFile"] == TRAINING_DOCKERFILE
    ]
    assert image.endswith(f":{asset_hash}")
    assert "container-assets" in image
    source = asset["source"]
    assert source["dockerFile"] == TRAINING_DOCKERFILE == "ml/training/Dockerfile"
    assert source["platform"] == "linux/amd64"
    context = synth.outdir / source["directory"]
    assert (context / "ml" / "training" / "Dockerfile").is_file()
    assert (context / "ml" / "training" / "entry.py").is_file()
    assert (context / "pyproject.toml").is_file()
    assert (context / "shared" / "demo").is_dir()  # training generates its data
    assert not (context / "ml" / "artifacts").exists()
    assert not list(context.rglob("__pycache__"))
    for heavy in (".venv", "node_modules", "cdk.out", "tests", "layers"):
        assert not (context / heavy).exists(), heavy


def test_the_model_lands_in_the_lake_under_its_own_prefix_encrypted_with_the_stage_key(synth):
    _, _, task = _training(synth)
    parameters = task["Parameters"]
    output = parameters["OutputDataConfig"]
    assert output["S3OutputPath"] == f"s3://<{_lake_bucket(synth)}>/models/categoriser/"
    assert output["KmsKeyId"] == f"<{_stage_key(synth)}.Arn>"
    assert parameters["ResourceConfig"]["VolumeKmsKeyId"] == f"<{_stage_key(synth)}.Arn>"


def test_the_job_role_writes_only_under_models_of_its_model_and_reads_nothing(synth):
    lake = _lake_bucket(synth)
    statements = _role_statements(synth, _job_role(synth))
    s3 = [s for s in statements if any(a.startswith("s3:") for a in _listed(s["Action"]))]
    assert s3, statements
    for statement in s3:
        assert set(_listed(statement["Action"])) <= {"s3:PutObject", "s3:AbortMultipartUpload"}
        resources = [_text(r) for r in _listed(statement["Resource"])]
        assert resources == [f"<{lake}.Arn>/models/categoriser/*"], resources
        assert all(r.split(".Arn>")[1].startswith("/models/") for r in resources)
    granted = {a for s in statements for a in _listed(s["Action"])}
    for forbidden in ("s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "s3:PutObjectAcl"):
        assert forbidden not in granted, forbidden
    assert not any(a.endswith("*") for a in granted), granted


def test_the_job_role_uses_the_stage_key_through_s3_for_the_lake_or_for_its_volume(synth):
    key = _stage_key(synth)
    lake = _lake_bucket(synth)
    statements = _role_statements(synth, _job_role(synth))
    kms = [s for s in statements if any(a.startswith("kms:") for a in _listed(s["Action"]))]
    assert kms
    for statement in kms:
        assert statement["Resource"] == {"Fn::GetAtt": [key, "Arn"]}
        actions = set(_listed(statement["Action"]))
        conditions = statement.get("Condition", {})
        if actions & {"kms:Decrypt", "kms:GenerateDataKey"}:
            assert actions == {"kms:Decrypt", "kms:GenerateDataKey"}
            assert conditions["StringEquals"]["kms:ViaService"].startswith("s3.")
            contexts = [
                _text(c) for c in conditions["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
            ]
            assert contexts == [f"<{lake}.Arn>", f"<{lake}.Arn>/*"]
        elif actions == {"kms:CreateGrant"}:
            assert conditions == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        else:
            # SageMaker's documented requirement for a customer key on the model output.
            assert actions == {"kms:Encrypt"}
    # Nothing in the key policy names the job's role: what it may do is in its own policy.
    key_policy = json.dumps(synth.resources("primary", "AWS::KMS::Key")[key])
    assert _job_role(synth) not in key_policy


def test_the_job_role_pulls_only_the_asset_repository_and_writes_only_its_jobs_logs(synth):
    statements = _role_statements(synth, _job_role(synth))
    ecr = [s for s in statements if any(a.startswith("ecr:") for a in _listed(s["Action"]))]
    for statement in ecr:
        actions = set(_listed(statement["Action"]))
        if actions == {"ecr:GetAuthorizationToken"}:
            assert statement["Resource"] == "*"
        else:
            assert actions == {
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            }
            assert "repository/cdk-" in _text(statement["Resource"])
    writes = [s for s in statements if "logs:PutLogEvents" in _listed(s["Action"])]
    assert len(writes) == 1
    assert _text(writes[0]["Resource"]).endswith(
        ":log-group:/aws/sagemaker/TrainingJobs:log-stream:categoriser-*"
    )
    metrics = [s for s in statements if "cloudwatch:PutMetricData" in _listed(s["Action"])]
    assert len(metrics) == 1
    assert metrics[0]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    }


def test_only_sagemaker_assumes_the_job_role_and_only_the_state_machine_passes_it(synth):
    job_role = _job_role(synth)
    role = synth.resolved(MODELS, "AWS::IAM::Role")[job_role]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    passing = [
        (logical, statement)
        for logical, policy in synth.resolved(MODELS, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "iam:PassRole" in _listed(statement["Action"])
        and job_role in json.dumps(statement["Resource"])
    ]
    assert len(passing) == 1
    _, statement = passing[0]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    _, properties, _ = _training(synth)
    machine_role = properties["RoleArn"]["Fn::GetAtt"][0]
    machine_statements = _role_statements(synth, machine_role)
    assert statement in machine_statements
    granted = {a for s in machine_statements for a in _listed(s["Action"])}
    assert not any(a.startswith(("s3:", "kms:")) for a in granted), granted


# -- observability --------------------------------------------------------------------------------


def test_the_state_machine_logs_every_event_to_an_encrypted_group_and_is_traced(synth):
    _, properties, _ = _training(synth)
    assert properties["TracingConfiguration"] == {"Enabled": True}
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    (destination,) = logging["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    log_group = synth.resolved(MODELS, "AWS::Logs::LogGroup")[group]["Properties"]
    assert log_group["KmsKeyId"] == {"Fn::GetAtt": [_stage_key(synth), "Arn"]}
    assert log_group["RetentionInDays"] >= 30


def test_failed_and_timed_out_executions_alarm_to_the_topic(synth):
    logical, _, _ = _training(synth)
    topics = list(synth.resources("primary", "AWS::SNS::Topic"))
    assert len(topics) == 1
    alarms = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in synth.resolved(MODELS, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/States"
        and {"Name": "StateMachineArn", "Value": {"Ref": logical}}
        in alarm["Properties"].get("Dimensions", [])
    }
    assert set(alarms) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in alarms.values():
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": topics[0]}]
        assert alarm["OKActions"] == [{"Ref": topics[0]}]


def test_a_schedule_that_cannot_start_the_state_machine_alarms_to_the_topic(synth):
    logical, _, _ = _training(synth)
    (rule,) = [
        rule
        for rule in _schedules(synth, MODELS)
        if any(target["Arn"] == {"Ref": logical} for target in rule["Targets"])
    ]
    dead = rule["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    topics = list(synth.resources("primary", "AWS::SNS::Topic"))
    watching = [
        alarm["Properties"]
        for alarm in synth.resolved(MODELS, "AWS::CloudWatch::Alarm").values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [dead, "QueueName"]}}
        in alarm["Properties"].get("Dimensions", [])
    ]
    assert len(watching) == 1
    assert watching[0]["AlarmActions"] == [{"Ref": topics[0]}]


def test_the_dashboard_graphs_the_training_executions(synth):
    (dashboard,) = synth.resolved(MODELS, "AWS::CloudWatch::Dashboard").values()
    body = _text(dashboard["Properties"]["DashboardBody"])
    assert "# Model training" in body
    assert "ExecutionsFailed" in body


def test_the_training_image_context_is_staged_next_to_the_synthesis(synth):
    staged = Path(synth.outdir) / ".training" / synth.stacks[MODELS].stack_name / "training"
    assert (staged / TRAINING_DOCKERFILE).is_file()
