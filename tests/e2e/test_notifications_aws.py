"""Notifications through SES and SNS on a moto server over HTTP: an e-mail with the
configuration set, an SMS to a phone number and a push to a platform endpoint, read back from
moto's ``/moto-api/data.json``; a sender SES refuses makes the notification fail, recorded."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared.adapters.aws.notifier import AwsNotifier
from shared.bootstrap import Container, bootstrap
from shared.db.models import Notification
from shared.domain.access import Role
from shared.http.app import create_app
from shared.settings import Settings
from tests.integration.notifications.conftest import alert
from tests.support.api import Actor, ok, token_for
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

DOMAIN = "alertas.fluxo.example"
PHONE = "+5521999990000"


def _moto_data(server: MotoServer) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json", timeout=10) as answer:
        data: dict[str, Any] = json.load(answer)
    return data


@pytest.fixture
def aws(
    moto_server: MotoServer,
    settings: Settings,
    dev_issuer: Any,
    routers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Container, Actor, str]]:
    moto_server.client("ses").verify_domain_identity(Domain=DOMAIN)
    configuration_set = f"fluxo-e2e-{uuid4().hex[:8]}"
    moto_server.client("ses").create_configuration_set(ConfigurationSet={"Name": configuration_set})
    sns = moto_server.client("sns")
    application = sns.create_platform_application(
        Name=f"fluxo-{uuid4().hex[:8]}", Platform="GCM", Attributes={"PlatformCredential": "k"}
    )["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token=f"token-{uuid4().hex}"
    )["EndpointArn"]
    # The composition root builds SES and SNS clients from settings; they reach moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    aws_settings = settings.model_copy(
        update={
            "notifications_sender": f"Fluxo <avisos@{DOMAIN}>",
            "notifications_configuration_set": configuration_set,
        }
    )
    container = bootstrap(aws_settings, dev_issuer=dev_issuer)
    app = create_app(routers, settings=aws_settings, container_factory=lambda: container)
    with TestClient(app, raise_server_exceptions=False) as client:
        user_id = uuid4()
        email = f"dani.{user_id.hex[:6]}@example.com"
        bare = Actor(client, token_for(container, user_id, None, email=email), user_id, None)
        workspace = ok(bare.post("/v1/workspaces", {"name": "Casa da Dani"}), 201)
        token = token_for(container, user_id, workspace["id"], Role.OWNER, email=email)
        actor = Actor(client, token, user_id, workspace["id"])
        ok(
            actor.put(
                "/v1/notifications/preferences",
                {"channels": ["email", "sms", "push"], "phone": PHONE},
            )
        )
        ok(actor.post("/v1/notifications/devices", {"endpoint_arn": endpoint}), 201)
        yield container, actor, endpoint
    container.close()


def test_an_alert_goes_out_through_ses_and_sns(aws, moto_server):
    container, actor, endpoint = aws
    assert isinstance(container.notifier, AwsNotifier)
    container.consumer_runner.apply(container.notifications.consumer, alert(actor, exceeded=True))

    # The server is shared by the tests: messages are matched by address and message id.
    listed = {n["channel"]: n for n in ok(actor.get("/v1/notifications"))}
    assert {channel: n["status"] for channel, n in listed.items()} == {
        "email": "sent",
        "sms": "sent",
        "push": "sent",
    }
    data = _moto_data(moto_server)
    mails = [
        m
        for m in data["ses"]["Message"]
        if m["destinations"]["ToAddresses"] == [listed["email"]["address"]]
    ]
    assert [m["subject"] for m in mails] == ["Orçamento Mercado estourado"]
    assert mails[0]["source"] == f"Fluxo <avisos@{DOMAIN}>"
    assert "R$ 1.234,56" in mails[0]["body"]
    (sms,) = [m for m in data["sns"]["SMS"] if m["message_id"] == listed["sms"]["provider_id"]]
    assert sms["phone_number"] == PHONE
    assert sms["message"] == "Fluxo: Mercado estourou o limite de R$ 1.000,00 (R$ 1.234,56 gastos)."
    (device,) = [e for e in data["sns"]["PlatformEndpoint"] if e["arn"] == endpoint]
    (pushed,) = device["messages"].values()
    message = json.loads(pushed)
    assert json.loads(message["GCM"])["notification"]["title"] == "Orçamento Mercado estourado"
    # Each notification keeps the provider's message id.
    with container.db.admin_session() as session:
        ids = session.scalars(select(Notification.provider_id)).all()
    assert all(ids)
    assert len(ids) == 3


def test_a_sender_ses_refuses_fails_the_email_and_records_why(aws, moto_server):
    container, actor, _ = aws
    refusing = AwsNotifier(
        ses=moto_server.client("ses"),
        sns=moto_server.client("sns"),
        sender="avisos@unverified.example",
        configuration_set=None,
    )
    container.__dict__["notifier"] = refusing  # the next sends go through this one
    container.consumer_runner.apply(container.notifications.consumer, alert(actor))
    by_channel = {n["channel"]: n for n in ok(actor.get("/v1/notifications"))}
    assert by_channel["email"]["status"] == "failed"
    assert by_channel["email"]["last_error"].startswith("MessageRejected")
    assert by_channel["sms"]["status"] == "sent"
