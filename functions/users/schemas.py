"""Request and response bodies of the users context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import EmailStr, Field, StringConstraints

from shared.domain.access import Role
from shared.http.schemas import CurrencyCode, Name, PatchBody, RequestBody, ResponseBody

LocaleTag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WorkspaceIn(RequestBody):
    name: Name
    base_currency: CurrencyCode = "BRL"
    locale: LocaleTag = "pt-BR"
    timezone: TimeZone = "America/Sao_Paulo"


class WorkspacePatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"name", "base_currency", "locale", "timezone"}
    )
    name: Name | None = None
    base_currency: CurrencyCode | None = None
    locale: LocaleTag | None = None
    timezone: TimeZone | None = None


class WorkspaceOut(ResponseBody):
    id: UUID
    name: str
    base_currency: str
    locale: str
    timezone: str
    role: Role = Field(description="Your role here, as the API enforces it.")
    created_at: datetime


class MemberInvite(RequestBody):
    email: EmailStr
    role: Role = Role.MEMBER
    name: Name | None = None


class MemberPatch(RequestBody):
    role: Role


class MemberOut(ResponseBody):
    user_id: UUID
    email: str | None
    display_name: str | None
    role: Role
    invited_by: UUID | None
    joined_at: datetime


class ProfilePatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"locale", "timezone"})
    display_name: Name | None = None
    locale: LocaleTag | None = None
    timezone: TimeZone | None = None


class ProfileOut(ResponseBody):
    id: UUID
    email: str | None
    display_name: str | None
    locale: str
    timezone: str
