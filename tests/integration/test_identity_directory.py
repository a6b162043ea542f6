"""Inviting a person gives them the id their tokens will carry: Cognito (moto server) and local."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import pytest
from botocore.exceptions import EndpointConnectionError

from shared.adapters.aws.cognito_directory import CognitoDirectory
from shared.adapters.local.directory import LocalDirectory, local_user_id
from shared.domain.access import Role
from shared.domain.errors import StoreUnavailable
from tests.support.api import Actor, ok, token_for
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()


@pytest.fixture
def directory(moto_server: MotoServer) -> tuple[CognitoDirectory, object, str]:
    client = moto_server.client("cognito-idp")
    pool_id = client.create_user_pool(PoolName="fluxo", UsernameAttributes=["email"])["UserPool"][
        "Id"
    ]
    return CognitoDirectory(client, pool_id), client, pool_id


def test_given_a_new_email_when_invited_then_cognito_has_a_user_with_that_subject(directory):
    cognito, client, pool_id = directory
    subject = cognito.find_or_invite("Bia@Example.com", "Bia")
    user = client.admin_get_user(UserPoolId=pool_id, Username="bia@example.com")
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert UUID(attributes["sub"]) == subject
    assert attributes["email"] == "bia@example.com"
    assert attributes["name"] == "Bia"


def test_given_an_existing_pool_user_when_invited_again_then_the_same_subject_comes_back(
    directory,
):
    cognito, client, pool_id = directory
    first = cognito.find_or_invite("caio@example.com", None)
    assert cognito.find_or_invite("caio@example.com", "Caio") == first
    users = client.list_users(UserPoolId=pool_id)["Users"]
    assert len(users) == 1


class _InvitedMeanwhile:
    """A cognito-idp client where another request invites the person right after this one's
    lookup missed them: the create then finds the username taken."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.subject: UUID | None = None

    def admin_get_user(self, **kwargs: Any) -> Any:
        try:
            return self._client.admin_get_user(**kwargs)
        finally:
            if self.subject is None:
                created = self._client.admin_create_user(
                    UserPoolId=kwargs["UserPoolId"],
                    Username=kwargs["Username"],
                    UserAttributes=[{"Name": "email", "Value": kwargs["Username"]}],
                    MessageAction="SUPPRESS",
                )
                attributes = {item["Name"]: item["Value"] for item in created["User"]["Attributes"]}
                self.subject = UUID(attributes["sub"])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_given_a_concurrent_invitation_when_the_username_is_taken_then_its_subject_comes_back(
    directory,
):
    _, client, pool_id = directory
    racing = _InvitedMeanwhile(client)

    subject = CognitoDirectory(racing, pool_id).find_or_invite("duda@example.com", "Duda")

    assert subject == racing.subject
    assert len(client.list_users(UserPoolId=pool_id)["Users"]) == 1


class _Down:
    """A cognito-idp client whose every call fails, the way an unreachable endpoint does."""

    def __init__(self, client: Any) -> None:
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        def fail(**_kwargs: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://cognito-idp.invalid")

        return fail


def test_when_cognito_fails_then_the_log_names_a_digest_never_the_email(
    directory, caplog: pytest.LogCaptureFixture
):
    _, client, pool_id = directory
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailable):
        CognitoDirectory(_Down(client), pool_id).find_or_invite("Eva.Secreta@Example.com", None)

    assert "sha256:" in caplog.text
    assert "eva.secreta" not in caplog.text.lower()


def test_the_local_directory_derives_a_stable_id_from_an_unknown_email(container):
    directory = LocalDirectory(container.db)
    assert directory.find_or_invite(" Dani@Example.com ", None) == local_user_id("dani@example.com")
    assert local_user_id("a@example.com") != local_user_id("b@example.com")


def test_the_local_directory_finds_a_person_who_signed_in_under_another_id(new_actor, container):
    ana = new_actor("Ana")
    email = ok(ana.get("/v1/profile"))["email"]
    assert LocalDirectory(container.db).find_or_invite(email.upper(), None) == ana.user_id


def test_given_an_invitation_when_the_invitee_signs_in_then_they_act_in_the_workspace(
    owner: Actor, container, client
):
    ok(
        owner.post(
            f"/v1/workspaces/{owner.tenant_id}/members",
            {"email": "edu@example.com", "role": "member"},
        ),
        201,
    )
    invitee_id = local_user_id("edu@example.com")
    invitee = Actor(
        client,
        token_for(container, invitee_id, owner.tenant_id, Role.MEMBER, email="edu@example.com"),
        invitee_id,
        owner.tenant_id,
    )

    assert ok(invitee.get("/v1/profile"))["email"] == "edu@example.com"
    workspaces = ok(invitee.get("/v1/workspaces"))
    assert [(item["id"], item["role"]) for item in workspaces] == [(owner.tenant_id, "member")]
    ok(invitee.post("/v1/accounts", {"name": "Conta do Edu", "kind": "checking"}), 201)
