"""The composition root: the only place that chooses adapters.

Nothing here runs at import time; ``bootstrap()`` builds everything from settings once, and a
Lambda keeps the result for its warm invocations. Tests pass their own adapters as arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING
from uuid import UUID

from shared.adapters.local.bus import InProcessEventBus
from shared.adapters.local.cache import MemoryCache, TieredCache
from shared.adapters.local.directory import LocalDirectory
from shared.adapters.local.object_store import FolderObjectStore
from shared.clock import SystemClock
from shared.consumers import Consumer, ConsumerRunner, subscribe_in_process
from shared.db.engine import Database, RdsIamTokens, TokenSource
from shared.db.unit_of_work import UnitOfWork
from shared.identity.gateway import GatewayClaims
from shared.outbox import OutboxRelay
from shared.ports import (
    Cache,
    Categoriser,
    Clock,
    EventBus,
    IdentityDirectory,
    ModelClient,
    Notifier,
    ObjectStore,
    SearchIndex,
    TokenVerifier,
)
from shared.services.activity import count_changes_to_shown_rows
from shared.settings import Environment, IdentityProvider, Settings, get_settings

if TYPE_CHECKING:
    # Only named here, imported where used: the lake export needs pyarrow, the model client
    # boto3.
    from shared.adapters.aws.sagemaker import RegionalEndpoint
    from shared.analytics.lake_export import LakeExportService
    from shared.identity.local import LocalDevIssuer

    # Services are imported by the property that builds them: a function imports only the
    # services it serves (bench/ai_import.py measures an entry's import time).
    from shared.services.accounts import AccountService
    from shared.services.activity import ActivityService
    from shared.services.ai import AiService
    from shared.services.analytics import AnalyticsService
    from shared.services.anomalies import AnomalyService
    from shared.services.budgets import BudgetService
    from shared.services.categories import CategoryService
    from shared.services.goals import GoalService
    from shared.services.imports import ImportService
    from shared.services.insights import InsightService
    from shared.services.learning import LearningService
    from shared.services.notifications import NotificationService
    from shared.services.reports import ReportService
    from shared.services.rules import RuleService
    from shared.services.search import SearchService
    from shared.services.tags import TagService
    from shared.services.transactions import TransactionService
    from shared.services.workspaces import MemberService, ProfileService, WorkspaceService

_log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    clock: Clock
    db: Database
    bus: EventBus
    object_store: ObjectStore
    token_verifier: TokenVerifier
    directory: IdentityDirectory
    dev_issuer: LocalDevIssuer | None
    gateway_claims: GatewayClaims | None = None
    """Set behind API Gateway: the principal comes from its authorizer's verified claims."""
    injected_notifier: Notifier | None = None
    """A notifier passed to ``bootstrap`` (tests); else ``notifier`` builds one from settings."""
    injected_model_client: ModelClient | None = None
    """A model client passed to ``bootstrap`` (tests); else ``model_client`` builds one."""

    @cached_property
    def relay(self) -> OutboxRelay:
        grace = timedelta(seconds=self.settings.outbox_sweep_grace_seconds)
        return OutboxRelay(self.db, self.bus, self.clock, sweep_grace=grace)

    def unit_of_work(self, tenant_id: UUID | None, user_id: UUID | None) -> UnitOfWork:
        return UnitOfWork(self.db, tenant_id, user_id, after_commit=self.relay.deliver)

    @cached_property
    def workspaces(self) -> WorkspaceService:
        from shared.services.workspaces import WorkspaceService

        return WorkspaceService(self.unit_of_work)

    @cached_property
    def members(self) -> MemberService:
        from shared.services.workspaces import MemberService

        return MemberService(self.unit_of_work, self.directory)

    @cached_property
    def profiles(self) -> ProfileService:
        from shared.services.workspaces import ProfileService

        return ProfileService(self.unit_of_work)

    @cached_property
    def accounts(self) -> AccountService:
        from shared.services.accounts import AccountService

        return AccountService(self.unit_of_work)

    @cached_property
    def categories(self) -> CategoryService:
        from shared.services.categories import CategoryService

        return CategoryService(self.unit_of_work)

    @cached_property
    def tags(self) -> TagService:
        from shared.services.tags import TagService

        return TagService(self.unit_of_work, self.clock)

    @cached_property
    def transactions(self) -> TransactionService:
        from shared.services.transactions import TransactionService

        # The categoriser is built on first use: most requests never categorise anything.
        return TransactionService(self.unit_of_work, self.clock, lambda: self.categoriser)

    @cached_property
    def learning(self) -> LearningService:
        from shared.services.learning import LearningService

        return LearningService(self.unit_of_work, self.clock)

    @cached_property
    def rules(self) -> RuleService:
        from shared.services.rules import RuleService

        return RuleService(self.unit_of_work, self.clock)

    @cached_property
    def categoriser(self) -> Categoriser:
        """The trained model, then the built-in base; the base alone when the artefact is
        missing (a checkout that deleted it), which the log says once."""
        from shared.categorisation.base import BaseCategoriser
        from shared.categorisation.chain import model_then_base
        from shared.categorisation.trained import TrainedCategoriser

        base = BaseCategoriser()
        model = TrainedCategoriser(self.settings.categoriser_model)
        if not model.available():
            _log.warning("no trained categoriser at %s: the built-in base decides", model.path)
            return base
        return model_then_base(model, base)

    @cached_property
    def imports(self) -> ImportService:
        from shared.services.imports import ImportService

        return ImportService(
            self.unit_of_work, self.clock, self.object_store, self.relay, self.categoriser
        )

    @cached_property
    def activity(self) -> ActivityService:
        from shared.services.activity import ActivityService

        return ActivityService(
            self.unit_of_work,
            after_change=lambda uow, tenant_id: self.analytics.refresh_snapshots(uow, tenant_id),
        )

    @cached_property
    def budgets(self) -> BudgetService:
        from shared.services.budgets import BudgetService

        return BudgetService(self.unit_of_work, self.clock)

    @cached_property
    def goals(self) -> GoalService:
        from shared.services.goals import GoalService

        return GoalService(self.unit_of_work, self.clock)

    @cached_property
    def anomalies(self) -> AnomalyService:
        from shared.services.anomalies import AnomalyService

        return AnomalyService(self.unit_of_work, self.clock)

    @cached_property
    def notifier(self) -> Notifier:
        """Built on first use: only the functions that send notifications need SES and SNS."""
        return self.injected_notifier or _notifier(self.settings, self.db)

    @cached_property
    def notifications(self) -> NotificationService:
        from shared.services.notifications import NotificationService

        return NotificationService(
            self.unit_of_work,
            self.clock,
            self.db,
            lambda: self.notifier,
            max_attempts=self.settings.notifications_max_attempts,
            retry_seconds=self.settings.notifications_retry_seconds,
            lease_seconds=self.settings.notifications_lease_seconds,
        )

    @cached_property
    def model_client(self) -> ModelClient:
        """The SageMaker endpoints when ``FLUXO_MODEL_ENDPOINT`` names one, else the models in
        this process. Built on first use: only forecasts need it."""
        return self.injected_model_client or _model_client(self.settings)

    @cached_property
    def ai(self) -> AiService:
        from shared.services.ai import AiService

        return AiService(self.unit_of_work, lambda: self.model_client)

    @cached_property
    def cache(self) -> Cache:
        """The process's own cache, in front of Redis when ``FLUXO_REDIS_URL`` is set."""
        near = MemoryCache()
        if self.settings.redis_url is None:
            return near
        from shared.adapters.aws.redis_cache import RedisCache

        return TieredCache(near, RedisCache(self.settings.redis_url))

    @cached_property
    def analytics(self) -> AnalyticsService:
        from shared.analytics.snapshots import DashboardViews
        from shared.services.analytics import AnalyticsService

        return AnalyticsService(
            self.unit_of_work,
            self.clock,
            self.cache,
            cache_seconds=self.settings.analytics_cache_seconds,
            views=DashboardViews(self.db),
        )

    @cached_property
    def insights(self) -> InsightService:
        from shared.services.insights import InsightService

        return InsightService(self.unit_of_work, self.clock)

    @cached_property
    def reports(self) -> ReportService:
        from shared.services.reports import ReportService

        return ReportService(
            self.unit_of_work, self.clock, self.db, self.object_store, lambda: self.analytics
        )

    @cached_property
    def lake_export(self) -> LakeExportService:
        """Imported on first use: it needs pyarrow, which only the lake export function's
        layer and the ``parquet`` extra carry."""
        from shared.analytics.lake_export import LakeExportService

        return LakeExportService(self.unit_of_work, self.db, self.object_store)

    @cached_property
    def search_index(self) -> SearchIndex:
        """OpenSearch when ``FLUXO_OPENSEARCH_URL`` names a domain, else the database's own
        full-text search: PostgreSQL's or SQLite's FTS5 (``search_documents``)."""
        return _search_index(self.settings, self.db)

    @cached_property
    def search(self) -> SearchService:
        from shared.services.search import SearchService

        return SearchService(self.unit_of_work, self.search_index)

    @cached_property
    def consumers(self) -> tuple[Consumer, ...]:
        """Every event consumer, each from the service of its context (docs/architecture.md,
        "Adding a consumer"). The CDK app gives each one a rule, a queue and a function."""
        return (
            self.activity.consumer,
            self.budgets.consumer,
            self.goals.consumer,
            self.anomalies.consumer,
            self.notifications.consumer,
            self.search.consumer,
        )

    def consumer(self, name: str) -> Consumer:
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        raise KeyError(f"no consumer named {name!r}")

    @cached_property
    def consumer_runner(self) -> ConsumerRunner:
        return ConsumerRunner(self.unit_of_work)

    def close(self) -> None:
        self.db.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    bus: EventBus | None = None,
    object_store: ObjectStore | None = None,
    token_verifier: TokenVerifier | None = None,
    directory: IdentityDirectory | None = None,
    dev_issuer: LocalDevIssuer | None = None,
    database_tokens: TokenSource | None = None,
    notifier: Notifier | None = None,
    model_client: ModelClient | None = None,
) -> Container:
    """``database_tokens`` stands in for the RDS signer when ``database_iam_auth`` is on."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    if settings.database_url is None:
        settings.home.mkdir(parents=True, exist_ok=True)  # the SQLite file lives there
    db = Database(
        settings.resolved_database_url,
        clock=clock,
        app_role=settings.database_app_role,
        relay_role=settings.database_relay_role,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        auth_tokens=_database_tokens(settings, database_tokens),
    )
    count_changes_to_shown_rows(db)
    dev_issuer = dev_issuer or _dev_issuer(settings, clock)
    container = Container(
        settings=settings,
        clock=clock,
        db=db,
        bus=bus or _bus(settings),
        object_store=object_store or _object_store(settings),
        token_verifier=token_verifier or _verifier(settings, clock, dev_issuer),
        directory=directory or _directory(settings, db),
        dev_issuer=dev_issuer,
        gateway_claims=_gateway_claims(settings),
        injected_notifier=notifier,
        injected_model_client=model_client,
    )
    if isinstance(container.bus, InProcessEventBus):
        # Embedded: the consumers hear committed events in-process. On AWS they are fed by
        # EventBridge rules and SQS queues instead (shared/consumer_entry.py).
        subscribe_in_process(container.bus, container.consumers, container.consumer_runner)
    return container


def _database_tokens(settings: Settings, injected: TokenSource | None) -> TokenSource | None:
    if not settings.database_iam_auth:
        return None
    return injected or RdsIamTokens(region=settings.database_iam_region)


def _dev_issuer(settings: Settings, clock: Clock) -> LocalDevIssuer | None:
    if settings.identity_provider is not IdentityProvider.LOCAL:
        return None
    # Imported only here: JWT signing and cryptography are for the local setup's own tokens.
    from shared.identity.local import LocalDevIssuer

    return LocalDevIssuer(settings.home, settings.local_issuer, settings.local_audience, clock)


def _directory(settings: Settings, db: Database) -> IdentityDirectory:
    if settings.identity_provider is IdentityProvider.LOCAL:
        return LocalDirectory(db)
    import boto3

    from shared.adapters.aws.cognito_directory import CognitoDirectory

    assert settings.cognito_user_pool_id is not None  # the settings validator guarantees it
    client = boto3.client("cognito-idp", region_name=settings.cognito_region)
    return CognitoDirectory(client, settings.cognito_user_pool_id)


def _bus(settings: Settings) -> EventBus:
    if settings.event_bus_name is None:
        return InProcessEventBus()
    import boto3

    from shared.adapters.aws.eventbridge import EventBridgeBus

    return EventBridgeBus(boto3.client("events"), settings.event_bus_name)


def _object_store(settings: Settings) -> ObjectStore:
    if settings.lake_bucket is None:
        return FolderObjectStore(settings.resolved_lake_path)
    import boto3

    from shared.adapters.aws.s3_object_store import S3ObjectStore

    return S3ObjectStore(settings.lake_bucket, boto3.client("s3"))


def _notifier(settings: Settings, db: Database) -> Notifier:
    if settings.notifications_sender is None:
        if settings.environment is Environment.AWS:
            raise RuntimeError("FLUXO_NOTIFICATIONS_SENDER is required to notify in AWS")
        from shared.adapters.local.notifier import LocalOutboxNotifier

        return LocalOutboxNotifier(db)
    import boto3

    from shared.adapters.aws.notifier import AwsNotifier

    return AwsNotifier(
        ses=boto3.client("ses"),
        sns=boto3.client("sns"),
        sender=settings.notifications_sender,
        configuration_set=settings.notifications_configuration_set,
        sms_sender_id=settings.notifications_sms_sender_id,
    )


def _model_client(settings: Settings) -> ModelClient:
    if settings.model_endpoint is None:
        from shared.adapters.local.models import InProcessModelClient

        return InProcessModelClient(settings.model_directory)
    import boto3

    from shared.adapters.aws.sagemaker import (
        RegionalEndpoint,
        SageMakerModelClient,
        client_config,
    )

    config = client_config(settings.model_connect_timeout_seconds, settings.model_timeout_seconds)
    regions: list[str | None] = list(settings.model_regions) or [None]  # None: the SDK's region
    endpoints = []
    for number, region in enumerate(regions):
        if number > 0 and region is not None and settings.model_relay_function is not None:
            endpoints.append(_relayed(settings, settings.model_relay_function, region))
            continue
        client = boto3.client("sagemaker-runtime", region_name=region, config=config)
        endpoints.append(RegionalEndpoint(client.meta.region_name, client))
    return SageMakerModelClient(settings.model_endpoint, endpoints)


def _relayed(settings: Settings, function: str, region: str) -> RegionalEndpoint:
    """Another region's endpoint, asked through the relay function of this one."""
    import boto3

    from shared.adapters.aws.model_relay import RelayedRuntime
    from shared.adapters.aws.sagemaker import RegionalEndpoint, client_config

    # The relay may spend the whole endpoint timeout on its own call, plus its connection.
    connect = settings.model_connect_timeout_seconds
    config = client_config(connect, connect + settings.model_timeout_seconds + 1)
    runtime = RelayedRuntime(boto3.client("lambda", config=config), function, region)
    return RegionalEndpoint(region, runtime)


def _search_index(settings: Settings, db: Database) -> SearchIndex:
    if settings.opensearch_url is not None:
        from shared.adapters.aws.opensearch import HttpTransport, OpenSearchIndex

        transport = HttpTransport(
            settings.opensearch_url,
            region=settings.opensearch_region,
            sign=settings.opensearch_sign_requests,
        )
        return OpenSearchIndex(transport, settings.opensearch_index)
    from shared.adapters.local.sql_search import PostgresSearchIndex, SqliteSearchIndex

    if db.engine.dialect.name == "postgresql":
        return PostgresSearchIndex()
    return SqliteSearchIndex()


def _gateway_claims(settings: Settings) -> GatewayClaims | None:
    if settings.identity_provider is not IdentityProvider.APIGATEWAY:
        return None
    return GatewayClaims(settings.cognito_issuer, settings.cognito_client_ids)


def _verifier(settings: Settings, clock: Clock, dev_issuer: LocalDevIssuer | None) -> TokenVerifier:
    if dev_issuer is not None:
        return dev_issuer
    if settings.identity_provider is IdentityProvider.APIGATEWAY:
        gateway = _gateway_claims(settings)
        assert gateway is not None
        return gateway  # refuses raw tokens: they were verified by API Gateway
    from shared.identity.cognito import CognitoVerifier

    assert settings.cognito_user_pool_id is not None  # the settings validator guarantees it
    return CognitoVerifier(
        settings.cognito_user_pool_id,
        settings.cognito_region,
        settings.cognito_client_ids,
        jwks_url=settings.cognito_jwks_url,
        cache_seconds=settings.jwks_cache_seconds,
        clock=clock,
    )
