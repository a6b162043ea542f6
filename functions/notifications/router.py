"""Routes of the notifications context: your preferences, devices and notifications."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from functions.notifications.schemas import (
    DeviceIn,
    DeviceOut,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    QuietHoursOut,
)
from shared.domain.notifications import Status
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute, PrincipalDep
from shared.services.notifications import Device, Preferences, PreferencesChange

router = APIRouter(prefix="/v1", route_class=FluxoRoute, tags=["notifications"])


@router.get(
    "/notifications", summary="Your notifications in the workspace, newest first, with their status"
)
def list_notifications(
    container: ContainerDep,
    caller: CallerDep,
    status_: Annotated[
        Status | None, Query(alias="status", description="Only this status, e.g. failed.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NotificationOut]:
    rows = container.notifications.sent_to(caller, status=status_, limit=limit)
    return [NotificationOut.model_validate(row) for row in rows]


@router.get("/notifications/preferences", summary="Your notification preferences (any workspace)")
def get_preferences(container: ContainerDep, principal: PrincipalDep) -> PreferencesOut:
    return _preferences(container.notifications.preferences(principal))


@router.put("/notifications/preferences", summary="Replace your notification preferences")
def put_preferences(
    body: PreferencesIn, container: ContainerDep, principal: PrincipalDep
) -> PreferencesOut:
    change = PreferencesChange(
        events=tuple(body.events),
        channels=tuple(body.channels),
        email=str(body.email) if body.email else None,
        phone=body.phone,
        language=body.language,
        quiet_start=body.quiet_hours.start if body.quiet_hours else None,
        quiet_end=body.quiet_hours.end if body.quiet_hours else None,
    )
    return _preferences(container.notifications.update_preferences(principal, change))


@router.post(
    "/notifications/devices",
    status_code=status.HTTP_201_CREATED,
    summary="Register a device's push endpoint (200 if it was already registered)",
)
def register_device(
    body: DeviceIn, response: Response, container: ContainerDep, principal: PrincipalDep
) -> DeviceOut:
    device, created = container.notifications.register_device(
        principal, body.endpoint_arn, body.label
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _device(device)


@router.delete(
    "/notifications/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop pushing to a device",
)
def remove_device(device_id: UUID, container: ContainerDep, principal: PrincipalDep) -> None:
    container.notifications.remove_device(principal, device_id)


def _device(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        endpoint_arn=device.endpoint_arn,
        platform=device.platform,
        label=device.label,
        registered_at=device.registered_at,
    )


def _preferences(preferences: Preferences) -> PreferencesOut:
    quiet = preferences.quiet_hours
    return PreferencesOut(
        events=list(preferences.events),
        channels=list(preferences.channels),
        email=preferences.email,
        email_address=preferences.email_address,
        phone=preferences.phone,
        devices=[_device(device) for device in preferences.devices],
        language=preferences.language,
        effective_language=preferences.effective_language,
        quiet_hours=(
            QuietHoursOut(start=quiet.start, end=quiet.end, timezone=preferences.timezone)
            if quiet
            else None
        ),
        updated_at=preferences.updated_at,
    )
