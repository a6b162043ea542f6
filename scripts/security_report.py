"""Counts of the three infrastructure scanners over cdk.out (``make security`` runs it).

- cdk-nag (AwsSolutions, on every synth): unacknowledged and acknowledged findings by rule, from
  ``cdk.out/validation-report.json``, where cdk-nag 3 records each finding with the
  acknowledgement (``Validations.of(...).acknowledge``) that accepted it.
- cfn-lint: errors, warnings and informational matches by rule, from its ``--format json``.
- checkov: passed and failed checks, the failed ones by check id, from its ``-o json``.

Prints a report and exits 1 when an input is missing or unreadable, 0 otherwise: whether
findings fail the build is the Makefile's call (cfn-lint's exit code), not this script's.

    python scripts/security_report.py --cdk-out cdk.out \
        --cfn-lint build/security/cfn-lint.json --checkov build/security/results_json.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CFN_LINT_LEVELS = {"Error": "errors", "Warning": "warnings", "Informational": "informational"}


class ReportError(Exception):
    """An input is missing or not in the shape the scanner writes."""


@dataclass(frozen=True)
class Finding:
    rule: str
    where: str
    detail: str = ""


@dataclass
class NagCounts:
    unacknowledged: list[Finding] = field(default_factory=list)
    acknowledged: list[Finding] = field(default_factory=list)
    """``detail`` is the acknowledgement's reason."""


@dataclass
class CfnLintCounts:
    by_level: dict[str, list[Finding]] = field(default_factory=dict)

    def of(self, level: str) -> list[Finding]:
        return self.by_level.get(level, [])


@dataclass
class CheckovCounts:
    passed: int
    failed: list[Finding]
    skipped: int
    parsing_errors: int
    version: str


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ReportError(f"{path}: missing (did the scanner run?)") from error
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not JSON ({error})") from error


def read_cdk_nag(cdk_out: Path) -> NagCounts:
    """Every plugin's violations (unacknowledged) and suppressed violations (acknowledged), one
    finding per violating construct."""
    report = _load(cdk_out / "validation-report.json")
    counts = NagCounts()
    try:
        for plugin in report["pluginReports"]:
            for violation in plugin.get("violations", []):
                counts.unacknowledged.extend(
                    Finding(violation["ruleName"], construct["constructPath"])
                    for construct in violation["violatingConstructs"]
                )
            for violation in plugin.get("suppressedViolations", []):
                counts.acknowledged.extend(
                    Finding(
                        violation["ruleName"],
                        construct["constructPath"],
                        violation.get("reason", ""),
                    )
                    for construct in violation["violatingConstructs"]
                )
    except (KeyError, TypeError) as error:
        raise ReportError(f"{cdk_out / 'validation-report.json'}: unexpected shape") from error
    return counts


def read_cfn_lint(path: Path) -> CfnLintCounts:
    matches = _load(path)
    if not isinstance(matches, list):
        raise ReportError(f"{path}: expected cfn-lint's JSON list of matches")
    counts = CfnLintCounts()
    try:
        for match in matches:
            location = "/".join(str(part) for part in match["Location"]["Path"][:2])
            line = match["Location"]["Start"]["LineNumber"]
            finding = Finding(
                match["Rule"]["Id"], f"{match['Filename']}:{line} {location}", match["Message"]
            )
            counts.by_level.setdefault(match["Level"], []).append(finding)
    except (KeyError, TypeError) as error:
        raise ReportError(f"{path}: unexpected shape") from error
    return counts


def read_checkov(path: Path) -> CheckovCounts:
    """checkov writes one object for one framework, a list of them for several; an object without
    results when it found nothing to scan."""
    data = _load(path)
    reports: list[Mapping[str, Any]] = data if isinstance(data, list) else [data]
    passed = skipped = parsing_errors = 0
    failed: list[Finding] = []
    version = "?"
    try:
        for report in reports:
            summary = report.get("summary", {})
            passed += int(summary.get("passed", 0))
            skipped += int(summary.get("skipped", 0))
            parsing_errors += int(summary.get("parsing_errors", 0))
            version = str(summary.get("checkov_version", version))
            failed.extend(
                Finding(
                    check["check_id"],
                    f"{check['file_path'].lstrip('/')} {check['resource']}",
                    check["check_name"],
                )
                for check in report.get("results", {}).get("failed_checks", [])
            )
    except (KeyError, TypeError, ValueError) as error:
        raise ReportError(f"{path}: unexpected shape") from error
    return CheckovCounts(passed, failed, skipped, parsing_errors, version)


def _by_rule(findings: Iterable[Finding]) -> list[tuple[str, int]]:
    return sorted(Counter(finding.rule for finding in findings).items())


def _table(rows: Sequence[tuple[str, int]], indent: str = "    ") -> list[str]:
    return [f"{indent}{count:>3}  {rule}" for rule, count in rows]


def render(nag: NagCounts, lint: CfnLintCounts, checkov: CheckovCounts) -> str:
    lines = ["cdk-nag (AwsSolutions)"]
    lines.append(f"  unacknowledged: {len(nag.unacknowledged)}")
    lines.extend(f"    {f.rule}  {f.where}" for f in nag.unacknowledged)
    lines.append(f"  acknowledged:   {len(nag.acknowledged)}")
    lines.extend(_table(_by_rule(nag.acknowledged)))

    lines.append("")
    lines.append("cfn-lint")
    for level, label in CFN_LINT_LEVELS.items():
        found = lint.of(level)
        lines.append(f"  {label}: {len(found)}")
        if level == "Error":
            lines.extend(f"    {f.rule}  {f.where}: {f.detail}" for f in found)
        else:
            lines.extend(_table(_by_rule(found)))

    lines.append("")
    lines.append(f"checkov {checkov.version}")
    lines.append(
        f"  passed: {checkov.passed}  failed: {len(checkov.failed)}  skipped: {checkov.skipped}"
        f"  parsing errors: {checkov.parsing_errors}"
    )
    names: dict[str, str] = {}
    where: defaultdict[str, list[str]] = defaultdict(list)
    for finding in checkov.failed:
        names[finding.rule] = finding.detail
        where[finding.rule].append(finding.where)
    for rule, count in sorted(Counter(f.rule for f in checkov.failed).items()):
        lines.append(f"    {count:>3}  {rule}: {names[rule]}")
        lines.extend(f"           {resource}" for resource in sorted(where[rule]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--cfn-lint", type=Path, required=True, help="cfn-lint --format json")
    parser.add_argument("--checkov", type=Path, required=True, help="checkov -o json")
    args = parser.parse_args(argv)
    try:
        report = render(
            read_cdk_nag(args.cdk_out), read_cfn_lint(args.cfn_lint), read_checkov(args.checkov)
        )
    except ReportError as error:
        print(f"security report: {error}", file=sys.stderr)
        return 1
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
