"""The public API: API Gateway (REST) → one Lambda per bounded context, behind Cognito and WAF."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from shared.http.headers import CORS_METHODS, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS
from stacks.config import StageConfig
from stacks.constructs.function import FluxoFunction, FunctionDefaults, Sizing
from stacks.constructs.identity import Identity
from stacks.constructs.nag import acknowledge

# The product's limits per signed-in client: 100 requests a minute, 1,000 an hour (WAF, by token).
REQUESTS_PER_MINUTE = 100
REQUESTS_PER_HOUR = 1_000
# Each app (PWA, mobile) as a whole, through its API key: a ceiling, not the per-person limit.
APP_REQUESTS_PER_SECOND = 200
STAGE_REQUESTS_PER_SECOND = 500
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
)


class Api(Construct):
    """``contexts`` maps a context (a package under ``functions/``) to the first path segments
    under ``/v1`` it serves; each gets one function and ``/v1/<segment>`` plus everything below.
    ``sizing`` gives a context's function more memory or time than the house default (for work
    it also does outside the API, such as consuming a queue)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        identity: Identity,
        defaults: FunctionDefaults,
        contexts: Mapping[str, tuple[str, ...]],
        sizing: Mapping[str, Sizing] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = set(sizing or {}) - set(contexts)
        if unknown:
            raise ValueError(f"sizing names contexts that do not exist: {sorted(unknown)}")
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            encryption_key=defaults.key,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "Rest",
            description=f"Fluxo API ({config.stage})",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigateway.StageOptions(
                stage_name=config.stage,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=STAGE_REQUESTS_PER_SECOND,
                throttling_burst_limit=2 * STAGE_REQUESTS_PER_SECOND,
            ),
            default_cors_preflight_options=apigateway.CorsOptions(
                allow_origins=list(config.cors_origins),
                allow_methods=list(CORS_METHODS),
                allow_headers=list(CORS_REQUEST_HEADERS),
                expose_headers=list(CORS_RESPONSE_HEADERS),
                max_age=Duration.hours(1),
            )
            if config.cors_origins
            else None,
            min_compression_size=None,
        )
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[identity.user_pool],
            results_cache_ttl=Duration.minutes(5),
        )
        self.functions = {
            context: FluxoFunction(
                self,
                context.capitalize(),
                defaults=defaults,
                context=context,
                description=f"Fluxo API: the {context} context",
                asynchronous=False,
                memory_mb=(sizing or {}).get(context, Sizing()).memory_mb,
                timeout=(sizing or {}).get(context, Sizing()).timeout,
            )
            for context in contexts
        }
        self._route(contexts)
        self._usage_plan()
        self.web_acl = _web_acl(self, self.rest_api)
        acknowledge(
            self.rest_api,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]": (
                    "API Gateway's account-level CloudWatch role uses the AWS-managed "
                    "AmazonAPIGatewayPushToCloudWatchLogs policy, the documented way to log"
                ),
                "AwsSolutions-APIG2": (
                    "each function validates its request with the pydantic models that also "
                    "generate docs/openapi.json; API Gateway copies of them would drift"
                ),
            },
        )

    def _route(self, contexts: Mapping[str, tuple[str, ...]]) -> None:
        signed_in = apigateway.MethodOptions(
            authorizer=self.authorizer,
            authorization_type=apigateway.AuthorizationType.COGNITO,
            api_key_required=True,
        )
        version = self.rest_api.root.add_resource("v1")
        for context, segments in contexts.items():
            # One invoke permission per function for this API (any stage, method and path of
            # it), not one per method and another per test-invoke: the stack stays under
            # CloudFormation's 500 resources, and the API can reach a function only through
            # the routes defined here anyway.
            integration = apigateway.LambdaIntegration(
                self.functions[context].function, scope_permission_to_method=False
            )
            for segment in segments:
                resource = version.add_resource(segment)
                resource.add_method(
                    "ANY",
                    integration,
                    authorizer=self.authorizer,
                    authorization_type=apigateway.AuthorizationType.COGNITO,
                    api_key_required=True,
                )
                resource.add_proxy(
                    default_integration=integration,
                    any_method=True,
                    default_method_options=signed_in,
                )
        health_function = next(iter(self.functions.values())).function
        health = self.rest_api.root.add_resource("health")
        health.add_method(
            "GET",
            apigateway.LambdaIntegration(health_function, scope_permission_to_method=False),
        )
        probe = "/health is for probes and load balancers; it returns no data"
        acknowledge(health, {"AwsSolutions-APIG4": probe, "AwsSolutions-COG4": probe})

    def _usage_plan(self) -> None:
        """One API key per app, metered and capped by a usage plan; a leaked key can be revoked
        without touching people's sign-ins. The per-person limits are WAF rules on the token."""
        plan = self.rest_api.add_usage_plan(
            "PerApp",
            description="Ceiling for each client app",
            throttle=apigateway.ThrottleSettings(
                rate_limit=APP_REQUESTS_PER_SECOND, burst_limit=2 * APP_REQUESTS_PER_SECOND
            ),
        )
        plan.add_api_stage(stage=self.rest_api.deployment_stage)
        self.api_keys = {
            app: self.rest_api.add_api_key(f"{app}Key", description=f"The {app} app")
            for app in ("Pwa", "Mobile")
        }
        for key in self.api_keys.values():
            plan.add_api_key(key)


def _web_acl(scope: Construct, rest_api: apigateway.RestApi) -> wafv2.CfnWebACL:
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=priority,
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group
                )
            ),
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=_visibility(group),
        )
        for priority, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        _rate_rule("PerTokenPerMinute", len(rules), REQUESTS_PER_MINUTE, 60, header="authorization")
    )
    rules.append(
        _rate_rule(
            "PerTokenPerTenMinutes", len(rules), REQUESTS_PER_HOUR // 6, 600, header="authorization"
        )
    )
    rules.append(_rate_rule("PerAddress", len(rules), 2_000, 300, header=None))
    acl = wafv2.CfnWebACL(
        scope,
        "Firewall",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility("FluxoApi"),
        rules=rules,
    )
    wafv2.CfnWebACLAssociation(
        scope,
        "FirewallOnApi",
        web_acl_arn=acl.attr_arn,
        resource_arn=rest_api.deployment_stage.stage_arn,
    )
    return acl


def _rate_rule(
    name: str, priority: int, limit: int, window_seconds: int, *, header: str | None
) -> wafv2.CfnWebACL.RuleProperty:
    if header is None:
        statement = wafv2.CfnWebACL.RateBasedStatementProperty(
            limit=limit, aggregate_key_type="IP", evaluation_window_sec=window_seconds
        )
    else:
        statement = wafv2.CfnWebACL.RateBasedStatementProperty(
            limit=limit,
            aggregate_key_type="CUSTOM_KEYS",
            evaluation_window_sec=window_seconds,
            custom_keys=[
                wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                    header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                        name=header,
                        text_transformations=[
                            wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                        ],
                    )
                )
            ],
        )
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        visibility_config=_visibility(name),
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
