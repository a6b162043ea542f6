"""scripts/security_report.py reads the three scanners' outputs as they write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import security_report as report


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _nag_report(tmp_path: Path) -> Path:
    violation = {
        "ruleName": "AwsSolutions-IAM5[Resource::*]",
        "violatingConstructs": [{"constructPath": "S/A/Resource"}, {"constructPath": "S/B"}],
    }
    _write(
        tmp_path / "validation-report.json",
        {
            "pluginReports": [
                {
                    "pluginName": "AwsSolutions",
                    "violations": [
                        {
                            "ruleName": "AwsSolutions-S1",
                            "violatingConstructs": [{"constructPath": "S/C"}],
                        }
                    ],
                    "suppressedViolations": [{**violation, "reason": "no ARN for this call"}],
                }
            ]
        },
    )
    return tmp_path


def _cfn_lint_match(rule: str, level: str) -> dict[str, object]:
    return {
        "Filename": "cdk.out/S.template.json",
        "Level": level,
        "Location": {"Path": ["Resources", "Bucket", "Properties"], "Start": {"LineNumber": 7}},
        "Message": "something",
        "Rule": {"Id": rule},
    }


def _checkov(failed: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "check_type": "cloudformation",
        "results": {
            "failed_checks": [
                {
                    "check_id": check,
                    "check_name": f"Ensure {check}",
                    "file_path": "/S.template.json",
                    "resource": resource,
                }
                for check, resource in failed
            ]
        },
        "summary": {"passed": 5, "failed": len(failed), "skipped": 0, "checkov_version": "3"},
    }


def test_cdk_nag_counts_one_finding_per_construct(tmp_path: Path) -> None:
    counts = report.read_cdk_nag(_nag_report(tmp_path))

    assert [f.where for f in counts.unacknowledged] == ["S/C"]
    assert [(f.rule, f.where, f.detail) for f in counts.acknowledged] == [
        ("AwsSolutions-IAM5[Resource::*]", "S/A/Resource", "no ARN for this call"),
        ("AwsSolutions-IAM5[Resource::*]", "S/B", "no ARN for this call"),
    ]


def test_cfn_lint_matches_grouped_by_level(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "lint.json",
        [_cfn_lint_match("W3005", "Warning"), _cfn_lint_match("E3002", "Error")],
    )

    counts = report.read_cfn_lint(path)

    assert [f.rule for f in counts.of("Error")] == ["E3002"]
    assert counts.of("Error")[0].where == "cdk.out/S.template.json:7 Resources/Bucket"
    assert [f.rule for f in counts.of("Warning")] == ["W3005"]
    assert counts.of("Informational") == []


@pytest.mark.parametrize("as_list", [False, True])
def test_checkov_reads_one_framework_or_several(tmp_path: Path, as_list: bool) -> None:
    data = _checkov([("CKV_AWS_27", "AWS::SQS::Queue.Q"), ("CKV_AWS_27", "AWS::SQS::Queue.R")])
    path = _write(tmp_path / "checkov.json", [data] if as_list else data)

    counts = report.read_checkov(path)

    assert counts.passed == 5
    assert [f.where for f in counts.failed] == [
        "S.template.json AWS::SQS::Queue.Q",
        "S.template.json AWS::SQS::Queue.R",
    ]


def test_report_prints_counts_by_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lint = _write(tmp_path / "lint.json", [_cfn_lint_match("W3005", "Warning")] * 3)
    checkov = _write(tmp_path / "checkov.json", _checkov([("CKV_AWS_18", "AWS::S3::Bucket.L")]))

    code = report.main(
        [
            "--cdk-out",
            str(_nag_report(tmp_path)),
            "--cfn-lint",
            str(lint),
            "--checkov",
            str(checkov),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "unacknowledged: 1" in out
    assert "acknowledged:   2" in out
    assert "  3  W3005" in out
    assert "passed: 5  failed: 1" in out
    assert "CKV_AWS_18: Ensure CKV_AWS_18" in out


def test_a_missing_input_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lint = _write(tmp_path / "lint.json", [])

    code = report.main(
        ["--cdk-out", str(_nag_report(tmp_path)), "--cfn-lint", str(lint), "--checkov", "nope.json"]
    )

    assert code == 1
    assert "nope.json: missing" in capsys.readouterr().err
