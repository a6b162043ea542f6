"""Inviting a person gives them the id their tokens will carry: Cognito (moto server) and local."""

from __future__ import annotations

from uuid import UUID

import pytest

from shared.adapters.aws.cognito_directory import CognitoDirectory
from shared.adapters.local.directory import LocalDirectory, local_user_id
from shared.domain.access import Role
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


def test_the_local_directory_derives_a_stable_id_from_the_email():
    assert LocalDirectory().find_or_invite(" Dani@Example.com ", None) == local_user_id(
        "dani@example.com"
    )
    assert local_user_id("a@example.com") != local_user_id("b@example.com")


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
