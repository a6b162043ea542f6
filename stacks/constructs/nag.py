"""cdk-nag acknowledgements: every finding accepted next to its resource, with its reason."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledges AwsSolutions findings on ``scope`` (and what it contains), each with its
    reason; ``reasons`` is keyed by rule, with its finding in brackets where cdk-nag names one
    (``AwsSolutions-IAM5[Resource::*]``): cdk-nag 3 matches those exactly, not by prefix."""
    for rule, reason in reasons.items():
        # One rule per call: several acknowledgements in one call are not all recorded.
        Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
