"""POST /v1/imports and GET /v1/imports/{id}: a statement file in, an import report out."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from shared.domain.access import Role
from tests.support.api import Actor, ok, problem, token_for

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "statements"


def _account(actor: Actor, kind: str = "checking") -> str:
    return ok(actor.post("/v1/accounts", {"name": "Conta", "kind": kind}), 201)["id"]


def _upload(actor: Actor, account_id: str, path: Path, **form: str):
    return actor.client.post(
        "/v1/imports",
        headers=actor.headers(),
        data={"account_id": account_id, **form},
        files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
    )


def test_an_uploaded_statement_is_imported_and_its_report_can_be_read(owner):
    account = _account(owner)
    created = ok(_upload(owner, account, FIXTURES / "ofx" / "itau_est_padded.ofx"), 201)
    assert (created["status"], created["format"], created["imported"]) == ("completed", "ofx", 3)
    assert ok(owner.get(f"/v1/imports/{created['id']}")) == created
    page = ok(owner.get("/v1/transactions", params={"account_id": account}))
    assert len(page["items"]) == 3


def test_the_same_file_twice_creates_nothing_the_second_time(owner):
    account = _account(owner)
    path = FIXTURES / "csv" / "nuconta.csv"
    ok(_upload(owner, account, path), 201)
    again = ok(_upload(owner, account, path), 201)
    assert (again["imported"], again["duplicates"]) == (0, again["rows_read"])
    assert [issue["kind"] for issue in again["issues"]] == ["duplicate"] * again["duplicates"]
    assert all(issue["reason"] and issue["matched_transaction_id"] for issue in again["issues"])


def test_rows_that_cannot_be_read_are_reported_with_their_line(owner):
    report = ok(
        _upload(owner, _account(owner, "credit_card"), FIXTURES / "csv" / "broken_rows.csv"), 201
    )
    assert report["status"] == "completed"
    assert report["rejected"] == 4
    rejected = [issue for issue in report["issues"] if issue["kind"] == "rejected"]
    assert [row["line"] for row in rejected] == [3, 4, 5, 7]
    assert all(row["reason"] for row in rejected)


def test_every_issue_of_a_large_import_is_a_page_away(owner, tmp_path):
    rows = [f"2024-01-{day:02d},Compra {n},x{n}" for n in range(130) for day in (5,)]
    path = tmp_path / "nubank.csv"
    path.write_text("date,title,amount\n2024-01-05,Café,5.00\n" + "\n".join(rows) + "\n")
    report = ok(_upload(owner, _account(owner, "credit_card"), path), 201)
    assert (report["imported"], report["rejected"]) == (1, 130)
    assert len(report["issues"]) == 100  # the report shows the first ones

    seen: list[int] = []
    cursor = None
    while True:
        params = {"kind": "rejected", "limit": 50, **({"cursor": cursor} if cursor else {})}
        page = ok(owner.get(f"/v1/imports/{report['id']}/issues", params=params))
        seen.extend(issue["line"] for issue in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(3, 133))
    problem(owner.get(f"/v1/imports/{report['id']}/issues", params={"cursor": "x"}), 422)


def test_a_file_no_reader_understands_fails_with_a_reason_and_imports_nothing(owner, tmp_path):
    junk = tmp_path / "statement.csv"
    junk.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    report = ok(_upload(owner, _account(owner), junk), 201)
    assert (report["status"], report["imported"]) == ("failed", 0)
    assert report["error"]


def test_a_file_above_the_upload_limit_is_refused_before_it_is_read(owner, settings, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (settings.import_max_bytes + 1))
    problem(_upload(owner, _account(owner), big), 413)


def test_a_two_gigabyte_upload_is_refused_by_its_declared_size_without_being_read(owner):
    def body():
        # The first of the 2 GiB a client would stream; the size it declares decides.
        for _ in range(4):
            yield b"x" * 65_536

    response = owner.client.post(
        "/v1/imports",
        headers={
            **owner.headers(),
            "content-type": "multipart/form-data; boundary=fluxo",
            "content-length": str(2 * 2**30),
        },
        content=body(),
    )

    assert problem(response, 413)["detail"].startswith("the body must be at most")
    assert ok(owner.get("/v1/transactions"))["items"] == []


def test_a_viewer_cannot_import(owner, container, client):
    account = _account(owner)
    ok(
        owner.post(
            f"/v1/workspaces/{owner.tenant_id}/members",
            {"email": "vera@example.com", "role": "viewer"},
        ),
        201,
    )
    members = ok(owner.get(f"/v1/workspaces/{owner.tenant_id}/members"))
    vera_id = next(m["user_id"] for m in members if m["email"] == "vera@example.com")
    vera = Actor(
        client,
        token_for(container, vera_id, owner.tenant_id, Role.VIEWER),
        vera_id,
        owner.tenant_id,
    )
    problem(_upload(vera, account, FIXTURES / "csv" / "itau.csv"), 403)


def test_another_workspace_sees_neither_the_account_nor_the_report(owner, new_actor):
    account = _account(owner)
    report = ok(_upload(owner, account, FIXTURES / "csv" / "itau.csv"), 201)
    stranger = new_actor("Zeca")
    problem(stranger.get(f"/v1/imports/{report['id']}"), 404)
    problem(_upload(stranger, account, FIXTURES / "csv" / "itau.csv"), 404)


def test_the_account_and_the_file_are_required(owner):
    response = owner.client.post("/v1/imports", headers=owner.headers(), data={})
    body = problem(response, 422)
    assert {error["pointer"] for error in body["errors"]} >= {"/account_id", "/file"}


# -- a saved CSV mapping per account -----------------------------------------------------------

ODD_CSV = (
    "Exportado em 05/02/2024\n"
    "Quando|O que|Onde|Quanto\n"
    "05/01/2024|Compra|PADARIA|7,50\n"
    "06/01/2024|Compra|MERCADO|1.234,00\n"
)
"""A layout no profile knows: a pipe separator, a preamble line, purchases written positive."""


def _upload_text(actor: Actor, account_id: str, text: str, tmp_path: Path, **form: str):
    path = tmp_path / "extrato.csv"
    path.write_text(text, encoding="utf-8")
    return _upload(actor, account_id, path, **form)


def test_a_saved_mapping_reads_the_accounts_files_no_profile_knows(owner, tmp_path):
    account = _account(owner, "credit_card")
    refused = ok(_upload_text(owner, account, ODD_CSV, tmp_path), 201)
    assert (refused["status"], refused["imported"]) == ("failed", 0)

    mapping = {
        "date": "Quando",
        "description": ["Onde", "O que"],
        "amount": "Quanto",
        "sign": "inverted",
        "skip_rows": 1,
        "delimiter": "|",
        "date_format": "%d/%m/%Y",
    }
    saved = ok(owner.put(f"/v1/imports/mappings/{account}", mapping))
    assert saved == {**mapping, **{k: v for k, v in saved.items() if k not in mapping}}
    assert ok(owner.get(f"/v1/imports/mappings/{account}")) == saved

    report = ok(_upload_text(owner, account, ODD_CSV, tmp_path), 201)
    assert (report["status"], report["profile"], report["imported"]) == (
        "completed",
        "saved mapping",
        2,
    )
    page = ok(owner.get("/v1/transactions", params={"account_id": account, "sort": "amount"}))
    assert [(t["description"], t["amount"]) for t in page["items"]] == [
        ("MERCADO - Compra", "-1234.00"),
        ("PADARIA - Compra", "-7.50"),
    ]

    # A forced profile still wins; forgetting the mapping goes back to detection.
    assert owner.delete(f"/v1/imports/mappings/{account}").status_code == 204
    problem(owner.get(f"/v1/imports/mappings/{account}"), 404)
    problem(owner.delete(f"/v1/imports/mappings/{account}"), 404)


@pytest.mark.parametrize(
    ("mapping", "pointer"),
    [
        ({"date": "Quando", "description": "Onde"}, ""),  # neither amount nor debit/credit
        ({"date": "Quando", "description": "Onde", "amount": "Q", "decimal_separator": ";"}, None),
        ({"date": "Quando", "description": "Onde", "amount": "Q", "colour": "blue"}, "/colour"),
        ({"date": 0, "description": "Onde", "amount": 2, "has_header": False}, "/description"),
    ],
)
def test_a_mapping_that_cannot_read_a_file_is_refused_with_the_reason(
    owner, mapping: dict, pointer: str | None
):
    body = problem(owner.put(f"/v1/imports/mappings/{_account(owner)}", mapping), 422)
    if pointer is not None:
        assert pointer in {error["pointer"] for error in body["errors"]}


def test_mappings_belong_to_the_workspace_and_viewers_cannot_save_them(owner, new_actor):
    account = _account(owner)
    mapping = {"date": "Data", "description": "Historico", "amount": "Valor"}
    ok(owner.put(f"/v1/imports/mappings/{account}", mapping))
    stranger = new_actor("Zeca")
    problem(stranger.get(f"/v1/imports/mappings/{account}"), 404)
    problem(stranger.put(f"/v1/imports/mappings/{account}", mapping), 404)
    problem(owner.put(f"/v1/imports/mappings/{uuid4()}", mapping), 404)
