"""Every setting Fluxo reads, validated once (prefix ``FLUXO_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    database_pool_size: int = 5
    database_echo: bool = False

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

    lake_path: Path | None = Field(
        default=None, description="Local lake; FLUXO_HOME/lake if unset."
    )

    api_max_body_bytes: int = 1_048_576
    api_page_size_default: int = 50
    api_page_size_max: int = 500
    cors_origins: list[str] = Field(default_factory=list)

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
