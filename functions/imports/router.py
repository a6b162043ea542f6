"""Routes of the imports context: upload a statement file, read its import report."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile, status

from functions.imports.schemas import ImportOut
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute

router = APIRouter(prefix="/v1", route_class=FluxoRoute, tags=["imports"])


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    summary="Import a bank statement (CSV, OFX/QFX or Open Finance JSON) into an account",
)
async def create_import(
    container: ContainerDep,
    caller: CallerDep,
    account_id: Annotated[UUID, Form(description="The account the statement belongs to.")],
    file: Annotated[UploadFile, File(description="The file as the bank gave it.")],
    profile: Annotated[str | None, Form(max_length=60, description="Force a CSV profile.")] = None,
) -> ImportOut:
    data = await file.read()
    record = container.imports.import_file(
        caller, account_id, data, filename=file.filename or "statement", profile=profile
    )
    return ImportOut.model_validate(record)


@router.get("/imports/{import_id}", summary="An import's report")
def get_import(import_id: UUID, container: ContainerDep, caller: CallerDep) -> ImportOut:
    return ImportOut.model_validate(container.imports.get(caller, import_id))
