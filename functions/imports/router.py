"""Routes of the imports context: upload a statement file, read its import report."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from functions.imports.schemas import (
    CsvMapping,
    ImportIssueOut,
    ImportIssuePage,
    ImportOut,
    IssueKindName,
)
from shared.db.models import ImportRecord
from shared.domain.errors import FieldIssue, InvalidInput, NotFound
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.imports.profiles import mapping_from_json, mapping_to_json
from shared.services.access import Caller
from shared.services.imports import ImportService

router = APIRouter(prefix="/v1", route_class=FluxoRoute, tags=["imports"])

REPORT_ISSUES = 100
"""Issues shown with the report itself; the rest are a page away."""


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    summary="Import a bank statement (CSV, OFX/QFX or Open Finance JSON) into an account",
)
def create_import(
    container: ContainerDep,
    caller: CallerDep,
    account_id: Annotated[UUID, Form(description="The account the statement belongs to.")],
    file: Annotated[UploadFile, File(description="The file as the bank gave it.")],
    profile: Annotated[str | None, Form(max_length=60, description="Force a CSV profile.")] = None,
) -> ImportOut:
    # The upload is already spooled to a temporary file: it is read from there as a stream.
    record = container.imports.import_file(
        caller, account_id, file.file, filename=file.filename or "statement", profile=profile
    )
    return _report(container.imports, caller, record)


@router.get("/imports/{import_id}", summary="An import's report")
def get_import(import_id: UUID, container: ContainerDep, caller: CallerDep) -> ImportOut:
    return _report(container.imports, caller, container.imports.get(caller, import_id))


@router.get("/imports/{import_id}/issues", summary="Every rejected and duplicate line of an import")
def list_import_issues(
    import_id: UUID,
    container: ContainerDep,
    caller: CallerDep,
    kind: IssueKindName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ImportIssuePage:
    after = _position(cursor)
    issues = container.imports.issues(caller, import_id, kind=kind, after=after, limit=limit + 1)
    more = len(issues) > limit
    items = issues[:limit]
    return ImportIssuePage(
        items=[ImportIssueOut.model_validate(issue) for issue in items],
        next_cursor=str(items[-1].position) if more else None,
    )


@router.put(
    "/imports/mappings/{account_id}",
    summary="Save how this account's CSV files are read when no bank profile fits",
)
def save_csv_mapping(
    account_id: UUID, body: CsvMapping, container: ContainerDep, caller: CallerDep
) -> CsvMapping:
    try:
        mapping = mapping_from_json(body.model_dump(exclude_defaults=True))
    except ValueError as error:
        message = str(error)
        field = message.split(":", 1)[0]
        where = ("body", field) if field in CsvMapping.model_fields else ("body",)
        raise InvalidInput(message, issues=[FieldIssue(where, message)]) from error
    container.imports.save_mapping(caller, account_id, mapping)
    return CsvMapping.model_validate(mapping_to_json(mapping))


@router.get(
    "/imports/mappings/{account_id}",
    summary="The CSV mapping saved for this account",
)
def get_csv_mapping(account_id: UUID, container: ContainerDep, caller: CallerDep) -> CsvMapping:
    mapping = container.imports.mapping(caller, account_id)
    if mapping is None:
        raise NotFound(f"account {account_id} has no CSV mapping", resource="csv mapping")
    return CsvMapping.model_validate(mapping_to_json(mapping))


@router.delete(
    "/imports/mappings/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Forget the CSV mapping: files are detected again",
)
def delete_csv_mapping(account_id: UUID, container: ContainerDep, caller: CallerDep) -> None:
    container.imports.forget_mapping(caller, account_id)


def _report(imports: ImportService, caller: Caller, record: ImportRecord) -> ImportOut:
    issues = imports.issues(caller, record.id, limit=REPORT_ISSUES)
    return ImportOut.model_validate(
        {
            **{name: getattr(record, name) for name in ImportOut.model_fields if name != "issues"},
            "issues": [ImportIssueOut.model_validate(issue) for issue in issues],
        }
    )


def _position(cursor: str | None) -> int:
    if cursor is None:
        return -1
    if not cursor.isdigit():
        message = "the cursor is not one this API gave"
        raise InvalidInput(message, issues=[FieldIssue(("query", "cursor"), message)])
    return int(cursor)
