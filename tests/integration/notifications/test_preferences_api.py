"""``/v1/notifications/preferences`` and devices: the caller's own, validated with pointers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ok, problem

ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/fluxo/0b7e3b1e-5b7a-4d84-9c43-2f7a0d0e9a11"


def _pointers(body: dict[str, Any]) -> list[str]:
    return [error["pointer"] for error in body.get("errors", [])]


def test_the_defaults_are_every_alert_by_email_to_the_profile_in_its_language(new_actor):
    ana = new_actor("Ana")
    preferences = ok(ana.get("/v1/notifications/preferences"))
    assert preferences["events"] == [
        "BudgetThresholdReached",
        "BudgetExceeded",
        "GoalMilestoneReached",
        "GoalReached",
    ]
    assert preferences["channels"] == ["email"]
    assert preferences["email"] is None
    assert preferences["email_address"].startswith("ana.")
    assert preferences["effective_language"] == "pt-BR"
    assert preferences["quiet_hours"] is None
    assert preferences["devices"] == []


def test_preferences_are_replaced_and_read_back(new_actor):
    ana = new_actor("Ana")
    body = {
        "events": ["BudgetExceeded"],
        "channels": ["sms", "email"],
        "email": "Ana.Alertas@Example.com",
        "phone": "+5511987654321",
        "language": "en",
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    saved = ok(ana.put("/v1/notifications/preferences", body))
    assert saved == ok(ana.get("/v1/notifications/preferences"))
    assert saved["email_address"] == "ana.alertas@example.com"
    assert saved["effective_language"] == "en"
    assert saved["quiet_hours"] == {
        "start": "22:00:00",
        "end": "07:00:00",
        "timezone": "America/Sao_Paulo",
    }
    # PUT replaces: what is left out returns to its default.
    reset = ok(ana.put("/v1/notifications/preferences", {}))
    assert (reset["channels"], reset["phone"], reset["quiet_hours"]) == (["email"], None, None)


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"phone": "11 98765-4321"}, ["/phone"]),
        ({"phone": "+0123456789"}, ["/phone"]),
        ({"events": ["TransactionCreated"]}, ["/events/0"]),
        ({"channels": ["fax"]}, ["/channels/0"]),
        ({"language": "fr"}, ["/language"]),
        ({"email": "not-an-address"}, ["/email"]),
        ({"channels": ["sms"]}, ["/phone"]),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, ["/quiet_hours/end"]),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, ["/quiet_hours/start"]),
        ({"sms": True}, ["/sms"]),
    ],
)
def test_bad_preferences_are_refused_with_a_pointer(new_actor, body, pointers):
    ana = new_actor("Ana")
    answer = problem(ana.put("/v1/notifications/preferences", body), 422)
    assert _pointers(answer) == pointers
    assert ok(ana.get("/v1/notifications/preferences"))["updated_at"] is None


def test_a_device_is_registered_once_and_removed(new_actor):
    ana = new_actor("Ana")
    device = ok(ana.post("/v1/notifications/devices", {"endpoint_arn": ARN, "label": "Pixel"}), 201)
    assert (device["platform"], device["label"]) == ("GCM", "Pixel")
    again = ok(ana.post("/v1/notifications/devices", {"endpoint_arn": ARN}), 200)
    assert again["id"] == device["id"]
    assert [d["id"] for d in ok(ana.get("/v1/notifications/preferences"))["devices"]] == [
        device["id"]
    ]
    ok(ana.delete(f"/v1/notifications/devices/{device['id']}"), 204)
    problem(ana.delete(f"/v1/notifications/devices/{device['id']}"), 404)
    assert ok(ana.get("/v1/notifications/preferences"))["devices"] == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:us-east-1:123456789012:alarms",
        "arn:aws:sns:us-east-1:123456789012:app/GCM/fluxo",
        "not an arn",
    ],
)
def test_only_platform_endpoint_arns_are_devices(new_actor, arn):
    ana = new_actor("Ana")
    answer = problem(ana.post("/v1/notifications/devices", {"endpoint_arn": arn}), 422)
    assert _pointers(answer) == ["/endpoint_arn"]


def test_preferences_are_each_persons_own(new_actor):
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    ok(ana.put("/v1/notifications/preferences", {"channels": ["sms"], "phone": "+5511900000001"}))
    ok(ana.post("/v1/notifications/devices", {"endpoint_arn": ARN}), 201)
    theirs = ok(bruno.get("/v1/notifications/preferences"))
    assert (theirs["phone"], theirs["devices"], theirs["channels"]) == (None, [], ["email"])
    device = ok(ana.get("/v1/notifications/preferences"))["devices"][0]
    problem(bruno.delete(f"/v1/notifications/devices/{device['id']}"), 404)


def test_notifications_list_refuses_a_bad_status(new_actor):
    ana = new_actor("Ana")
    problem(ana.get("/v1/notifications", params={"status": "lost"}), 422)
    assert ok(ana.get("/v1/notifications")) == []
