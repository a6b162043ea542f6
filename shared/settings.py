"""Every setting Fluxo reads, validated once (prefix ``FLUXO_``)."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    EMBEDDED = "embedded"
    AWS = "aws"


class IdentityProvider(StrEnum):
    LOCAL = "local"
    """Dev tokens signed with a key in FLUXO_HOME."""
    COGNITO = "cognito"
    """Cognito tokens verified here against the pool's published keys."""
    APIGATEWAY = "apigateway"
    """Cognito tokens already verified by API Gateway's authorizer; its claims are read."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLUXO_", extra="ignore", frozen=True)

    environment: Environment = Environment.EMBEDDED
    home: Path = Field(default=Path(".fluxo"), description="Folder for local state.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite in FLUXO_HOME when unset."
    )
    database_app_role: str = Field(
        default="fluxo_app",
        description="PostgreSQL role every request runs as, so row-level security applies.",
    )
    database_relay_role: str = Field(
        default="fluxo_relay",
        description="PostgreSQL role of the outbox relay: every tenant's outbox, nothing else.",
    )
    database_pool_size: int = 5
    database_echo: bool = False
    database_iam_auth: bool = Field(
        default=False,
        description="Authenticate to PostgreSQL (RDS Proxy or Aurora) with an IAM token made "
        "for each new connection instead of a password; the connection then requires TLS.",
    )
    database_iam_region: str | None = Field(
        default=None,
        description="Region that signs IAM database tokens; the SDK's default region "
        "(AWS_REGION in a Lambda) when unset.",
    )
    database_admin_secret_arn: str | None = Field(
        default=None,
        description="Secrets Manager secret of the database's master user: only the "
        "deploy-time migrations read it.",
    )
    database_admin_host: str | None = Field(
        default=None,
        description="Host the migrations connect to (the cluster, not the proxy); the "
        "secret's host when unset.",
    )

    identity_provider: IdentityProvider = IdentityProvider.LOCAL
    local_issuer: str = "https://fluxo.local/dev"
    local_audience: str = "fluxo-dev"
    cognito_region: str = "us-east-1"
    cognito_user_pool_id: str | None = None
    cognito_client_ids: list[str] = Field(default_factory=list)
    cognito_jwks_url: str | None = Field(
        default=None, description="Override for the JWKS address (a local Cognito stand-in)."
    )
    jwks_cache_seconds: int = 3600

    outbox_sweep_grace_seconds: float = Field(
        default=60, ge=0, description="The sweep leaves younger events to their own delivery."
    )
    event_bus_name: str | None = Field(
        default=None, description="EventBridge bus for domain events; in-process when unset."
    )
    lake_path: Path | None = Field(
        default=None, description="Local lake; FLUXO_HOME/lake if unset."
    )
    lake_bucket: str | None = Field(
        default=None,
        description="S3 bucket of the lake (set by the CDK stack); the local folder when unset.",
    )

    opensearch_url: str | None = Field(
        default=None,
        description="OpenSearch domain endpoint (https://…) that holds the search index; the "
        "database's own full-text search (PostgreSQL or SQLite FTS5) when unset.",
    )
    opensearch_index: str = Field(
        default="fluxo-transactions",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,254}$",
        description="The index of transactions in the OpenSearch domain.",
    )
    opensearch_region: str | None = Field(
        default=None,
        description="Region requests to OpenSearch are signed for; the SDK's default region "
        "(AWS_REGION in a Lambda) when unset.",
    )
    opensearch_sign_requests: bool = Field(
        default=True,
        description="Sign requests to OpenSearch with SigV4 (the domain's IAM access); off only "
        "for a local, unsecured cluster.",
    )

    redis_url: str | None = Field(
        default=None,
        description="Redis (ElastiCache) for the analytics cache shared by every process; "
        "without it each process caches for itself.",
    )
    analytics_cache_seconds: int = Field(
        default=600,
        ge=0,
        description="How long a computed dashboard is kept (0: not cached). Any change to the "
        "workspace's rollups, budgets, accounts or categories makes it unreachable sooner.",
    )
    api_max_body_bytes: int = 1_048_576
    import_max_bytes: int = Field(
        default=20 * 1_048_576, description="Largest statement file an upload may carry."
    )
    api_page_size_default: int = 50
    api_page_size_max: int = 500
    cors_origins: list[str] = Field(default_factory=list)
    categoriser_model: Path | None = Field(
        default=None,
        description="The trained categoriser's ONNX artefact; the one shipped in ml/artifacts "
        "if unset.",
    )
    model_endpoint: str | None = Field(
        default=None,
        description="Name of the SageMaker endpoint that serves forecasts (the same name in "
        "every region of FLUXO_MODEL_REGIONS); the models run in this process when unset.",
    )
    model_regions: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Regions whose endpoint is asked, in order, comma-separated (the next one "
        "when a region fails or times out); the SDK's default region when empty.",
    )
    model_relay_function: str | None = Field(
        default=None,
        description="A relay function (its name) through which every region of "
        "FLUXO_MODEL_REGIONS after the first is asked: set in AWS, where the ai API's subnets "
        "reach only their own region's endpoint.",
    )
    model_timeout_seconds: float = Field(
        default=4.0,
        gt=0,
        le=60,
        description="How long one region's endpoint may take to answer before the next region "
        "is asked.",
    )
    model_connect_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How long connecting to one region's endpoint may take.",
    )
    model_directory: Path | None = Field(
        default=None,
        description="Folder of the model artefacts the in-process models load; ml/artifacts "
        "if unset.",
    )

    notifications_sender: str | None = Field(
        default=None,
        description="From address of notification e-mails (an SES-verified identity): SES and "
        "SNS send notifications when set; the local outbox keeps them when unset.",
    )
    notifications_configuration_set: str | None = Field(
        default=None, description="SES configuration set every notification e-mail uses."
    )
    notifications_sms_sender_id: str | None = Field(
        default=None, description="SNS SMS sender id, where the destination country allows one."
    )
    notifications_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Attempts per notification before it is failed."
    )
    notifications_retry_seconds: float = Field(
        default=60, ge=0, description="Backoff after the first failed attempt; doubles after each."
    )
    notifications_lease_seconds: float = Field(
        default=300,
        ge=0,
        description="An attempt not finished after this long died with its process: the "
        "sweep tries again (the message may then be sent twice).",
    )

    @field_validator("model_regions", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``us-east-1,sa-east-1`` as the stacks set it; a JSON list is read too."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _aws_needs_real_adapters(self) -> Settings:
        """In AWS nothing may fall back to a local default: a SQLite file in a read-only
        package, or dev tokens anyone with the key file could mint."""
        if self.environment is Environment.AWS:
            if not self.database_url:
                raise ValueError("FLUXO_DATABASE_URL is required in AWS")
            if self.identity_provider is IdentityProvider.LOCAL:
                raise ValueError("the local identity provider cannot run in AWS")
            if not self.lake_bucket:
                raise ValueError("FLUXO_LAKE_BUCKET is required in AWS: no local folder lake")
        return self

    @model_validator(mode="after")
    def _iam_auth_needs_postgres(self) -> Settings:
        if self.database_iam_auth and not (self.database_url or "").startswith("postgresql"):
            raise ValueError("FLUXO_DATABASE_IAM_AUTH needs a postgresql FLUXO_DATABASE_URL")
        return self

    @model_validator(mode="after")
    def _cognito_needs_a_pool(self) -> Settings:
        if self.identity_provider is not IdentityProvider.LOCAL and not self.cognito_user_pool_id:
            raise ValueError(
                f"FLUXO_COGNITO_USER_POOL_ID is required with the {self.identity_provider} provider"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'fluxo.db').resolve()}"

    @property
    def resolved_lake_path(self) -> Path:
        return self.lake_path or self.home / "lake"

    @property
    def cognito_issuer(self) -> str:
        return (
            f"https://cognito-idp.{self.cognito_region}.amazonaws.com/{self.cognito_user_pool_id}"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
