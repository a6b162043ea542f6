"""Sign-in: a Cognito user pool with e-mail sign-in and MFA, and the apps' clients."""

from __future__ import annotations

from aws_cdk import Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge

TENANT_ATTRIBUTE = "tenant_id"
MOBILE_CALLBACK = "fluxo://auth/callback"


class Identity(Construct):
    """Clients can read ``custom:tenant_id`` but never write it: only the backend assigns a person
    to a workspace (``AdminUpdateUserAttributes``)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=True,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            custom_attributes={
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=36, max_len=36, mutable=True)
            },
            mfa=cognito.Mfa.REQUIRED if config.is_prod else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.is_prod,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        reasons = {
            "AwsSolutions-IAM5[Resource::*]": (
                "Cognito's SMS role must publish to any phone number (sns:Publish on *), "
                "limited by the external-id condition CDK sets"
            )
        }
        if not config.is_prod:
            reasons["AwsSolutions-COG2"] = (
                "dev pools let testers sign in without a second factor; prod requires MFA"
            )
        acknowledge(self.user_pool, reasons)
        self.domain = self.user_pool.add_domain(
            "HostedSignIn",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=f"fluxo-{config.stage}-{Names.unique_id(self)[-8:].lower()}"
            ),
        )
        origins = list(config.cors_origins) or ["http://localhost:5173"]
        self.pwa_client = self._client(
            "Pwa",
            callbacks=[f"{origin}/auth/callback" for origin in origins],
            logouts=[f"{origin}/" for origin in origins],
        )
        self.mobile_client = self._client(
            "Mobile", callbacks=[MOBILE_CALLBACK], logouts=[MOBILE_CALLBACK]
        )
        self.client_ids_json = Stack.of(self).to_json_string(
            [self.pwa_client.user_pool_client_id, self.mobile_client.user_pool_client_id]
        )

    def _client(
        self, name: str, *, callbacks: list[str], logouts: list[str]
    ) -> cognito.UserPoolClient:
        """Public clients: authorization code with PKCE, no secret; no client writes the tenant."""
        readable = (
            cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(TENANT_ATTRIBUTE)
        )
        writable = cognito.ClientAttributes().with_standard_attributes(fullname=True)
        return self.user_pool.add_client(
            name,
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=callbacks,
                logout_urls=logouts,
            ),
            read_attributes=readable,
            write_attributes=writable,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
