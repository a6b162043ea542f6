"""Notifications on AWS: the SES identity and configuration set e-mails go out through, and the
permissions to send: e-mail from that identity with that configuration set only, SMS, and push
to the endpoints of one SNS platform application.

The SNS platform application (FCM for Android, APNs for iOS) is created outside CDK: it needs the
push providers' credentials (an FCM service-account key, an APNs key or certificate), which do
not belong in a template. Its name comes from the ``pushApplication`` context; the functions may
publish only to ``endpoint/*/<name>/*``. The SES domain comes from ``notificationsDomain`` (no
lookup): CDK creates the identity with Easy DKIM; its DNS records are published by whoever owns
the zone, and the account leaves the SES sandbox by request (README, "Deploy to AWS").
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.domain = config.notifications_domain
        self.push_application = config.push_application
        self.identity = ses.EmailIdentity(
            self, "Identity", identity=ses.Identity.domain(self.domain)
        )
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        self.sender = f"Fluxo <{config.notifications_sender}@{self.domain}>"

    @property
    def environment(self) -> dict[str, str]:
        return {
            "FLUXO_NOTIFICATIONS_SENDER": self.sender,
            "FLUXO_NOTIFICATIONS_CONFIGURATION_SET": self.configuration_set.configuration_set_name,
        }

    def grant_send(self, role: iam.IRole) -> None:
        """E-mail from the identity through the configuration set, SMS, and push to the
        platform application's endpoints: nothing else of SES or SNS."""
        stack = Stack.of(self)
        identity_arn = stack.format_arn(
            service="ses", resource="identity", resource_name=self.domain
        )
        configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SendEmailFromTheIdentity",
                actions=["ses:SendEmail"],
                resources=[identity_arn, configuration_set_arn],
                conditions={"StringLike": {"ses:FromAddress": f"*@{self.domain}"}},
            )
        )
        endpoints = stack.format_arn(
            service="sns", resource=f"endpoint/*/{self.push_application}/*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PushToTheApplicationsEndpoints",
                actions=["sns:Publish"],
                resources=[endpoints],
            )
        )
        # An SMS to a phone number has no resource ARN: IAM evaluates it against "*", and SNS
        # has no condition key naming the number or telling SMS from a topic, so this right
        # cannot be narrowed in IAM (a Deny on topic ARNs would match the endpoints too). What
        # the function publishes is decided by its code: numbers and the endpoints above.
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"])
        )
        if isinstance(role, Construct):
            acknowledge(
                role,
                {
                    "AwsSolutions-IAM5[Resource::*]": (
                        "sns:Publish to a phone number (SMS) takes no resource ARN and SNS has "
                        "no condition key for the number; every other sns:Publish right is "
                        "scoped to the push application's endpoints"
                    ),
                    f"AwsSolutions-IAM5[Resource::{_nag_name(stack, endpoints)}]": (
                        "push goes to the endpoints devices register at run time, each with "
                        "its own id, of this one platform application"
                    ),
                },
            )


def _nag_name(stack: Stack, arn: str) -> str:
    """How cdk-nag writes a resource in a finding: resolved where the stack's environment is
    known, pseudo parameters as ``<AWS::Region>`` otherwise."""
    resolved = stack.resolve(arn)
    if isinstance(resolved, str):
        return resolved
    parts = resolved["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)
