"""PostgreSQL row-level security: the second wall between tenants.

Two tenants' data is loaded through the services; then raw SQL without any tenant filter is run
in sessions scoped the way the application scopes them (``Database.tenant_session``). The
database alone must keep each tenant to its own rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.bootstrap import Container, bootstrap
from shared.categorisation.rules import Actions, Condition, ConditionField, Operator
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.db.models import TENANT_TABLES
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.imports.profiles import ColumnMapping
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.budgets import BudgetSpec
from shared.services.categories import NewCategory
from shared.services.goals import GoalSpec
from shared.services.idempotency import IdempotencyRequest
from shared.services.rules import RuleSpec
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings
from tests.support.databases import truncate_postgres

pytestmark = pytest.mark.postgres

APP_ROLE = "fluxo_app"
POLICY_VIOLATION = "row-level security policy"


@dataclass(frozen=True)
class Tenant:
    id: UUID
    user_id: UUID
    account_id: UUID
    category_id: UUID
    tag_id: UUID
    spare_tag_id: UUID
    """A tag no transaction carries yet: linking it is a valid insert for its own tenant."""
    transaction_id: UUID
    import_id: UUID
    rule_id: UUID
    budget_id: UUID
    goal_id: UUID


@dataclass(frozen=True)
class Loaded:
    container: Container
    a: Tenant
    b: Tenant


def _load_tenant(container: Container, name: str) -> Tenant:
    user_id = uuid4()
    principal = Principal(user_id, None, frozenset({Role.OWNER}), email=f"{name}@example.com")
    key = IdempotencyRequest.of(f"create-{name}", "POST /v1/workspaces@-", {"name": name})
    view, _ = container.workspaces.create(principal, NewWorkspace(name=f"Casa {name}"), key)
    tenant_id = view.tenant.id
    caller = Caller(Principal(user_id, tenant_id, frozenset({Role.OWNER})), tenant_id)
    account, _ = container.accounts.create(
        caller, NewAccount(name=f"Conta {name}", kind=AccountKind.CHECKING)
    )
    category, _ = container.categories.create(caller, NewCategory(name=f"Categoria {name}"))
    spare, _ = container.tags.create(caller, f"livre-{name}")
    # Before the transaction, which exceeds it: the budgets consumer records its alerts.
    budget, _ = container.budgets.create(
        caller,
        BudgetSpec(
            name=f"Orçamento {name}",
            amount=Decimal(10),
            category_id=category.id,
            starts_on=date(2026, 10, 1),
        ),
    )
    # Likewise the goals consumer: the transaction reaches every milestone of this goal.
    goal, _ = container.goals.create(
        caller,
        GoalSpec(
            name=f"Meta {name}",
            target_amount=Decimal(10),
            category_id=category.id,
            starts_on=date(2026, 10, 1),
        ),
    )
    transaction, _ = container.transactions.create(
        caller,
        NewTransaction(
            account_id=account.id,
            amount=Decimal("-12.34"),
            booked_on=date(2026, 10, 1),
            description=f"COMPRA {name.upper()}",
            category_id=category.id,
            tags=(f"tag-{name}",),
        ),
    )
    # The same charge again the same day: the anomalies consumer flags it as a duplicate.
    container.transactions.create(
        caller,
        NewTransaction(
            account_id=account.id,
            amount=Decimal("-12.34"),
            booked_on=date(2026, 10, 1),
            description=f"COMPRA {name.upper()}",
        ),
    )
    container.members.invite(caller, f"convidado-{name}@example.com", Role.VIEWER)
    # Recategorised by hand: the workspace learns the merchant's category.
    chosen, _ = container.categories.create(caller, NewCategory(name=f"Escolhida {name}"))
    container.transactions.update(caller, transaction.id, {"category_id": chosen.id}, 1)
    # Before the import: the import reads the tenant's rules under row-level security too.
    rule, _ = container.rules.create(
        caller,
        RuleSpec(
            name=f"Padaria {name}",
            conditions=(Condition(ConditionField.DESCRIPTION, Operator.CONTAINS, "padaria"),),
            actions=Actions(category_id=category.id),
        ),
    )
    # The second line cannot be read: an issue of the import.
    statement = f"date,title,amount\n2026-10-02,Padaria {name},7.50\n2026-10-03,X,?\n".encode()
    record = container.imports.import_file(caller, account.id, statement, filename="extrato.csv")
    mapping = ColumnMapping(date="Data", description="Historico", amount="Valor")
    container.imports.save_mapping(caller, account.id, mapping)
    dashboard, _ = container.analytics.save_dashboard(
        caller, uuid4(), f"Painel {name}", [{"type": "kpis"}], None
    )
    container.analytics.dashboard_data(caller, dashboard.id)  # stores its snapshot
    return Tenant(
        id=tenant_id,
        user_id=user_id,
        account_id=account.id,
        category_id=category.id,
        tag_id=transaction.tag_links[0].tag_id,
        spare_tag_id=spare.id,
        transaction_id=transaction.id,
        import_id=record.id,
        rule_id=rule.id,
        budget_id=budget.id,
        goal_id=goal.id,
    )


@pytest.fixture(scope="module")
def loaded(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    truncate_postgres(postgres_url)
    home: Path = tmp_path_factory.mktemp("rls-home")
    container = bootstrap(Settings(database_url=postgres_url, home=home))
    try:
        yield Loaded(container, _load_tenant(container, "ana"), _load_tenant(container, "bruno"))
    finally:
        container.close()
        truncate_postgres(postgres_url)


def _rows(loaded: Loaded, tenant_id: UUID | None, user_id: UUID | None, sql: str) -> list[Any]:
    with loaded.container.db.tenant_session(tenant_id, user_id) as session:
        return list(session.execute(text(sql)).all())


def _admin_count(loaded: Loaded, table: str, tenant_id: UUID) -> int:
    with loaded.container.db.admin_session() as session:
        statement = text(f"SELECT count(*) FROM {table} WHERE tenant_id = :tenant")
        return int(session.execute(statement, {"tenant": tenant_id}).scalar_one())


def _side(loaded: Loaded, name: str) -> tuple[Tenant, Tenant]:
    return (loaded.a, loaded.b) if name == "a" else (loaded.b, loaded.a)


# Reading


def test_given_both_tenants_loaded_when_counted_by_an_admin_then_every_table_has_rows_of_each(
    loaded,
):
    """The precondition of the tests below: there is something of B for A not to see."""
    for table in TENANT_TABLES:
        assert _admin_count(loaded, table, loaded.a.id) > 0, table
        assert _admin_count(loaded, table, loaded.b.id) > 0, table


@pytest.mark.parametrize("side", ["a", "b"])
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_scoped_to_a_tenant_when_selecting_without_a_filter_then_only_its_rows(
    loaded, table, side
):
    mine, _ = _side(loaded, side)
    rows = _rows(loaded, mine.id, mine.user_id, f"SELECT * FROM {table}")
    tenants = {row.tenant_id for row in rows}
    assert tenants == {mine.id}
    assert len(rows) == _admin_count(loaded, table, mine.id)


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_with_no_tenant_when_selecting_then_nothing_comes_back(loaded, table):
    assert _rows(loaded, None, None, f"SELECT * FROM {table}") == []


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_user_but_no_tenant_when_selecting_tenant_data_then_nothing_comes_back(
    loaded, table
):
    assert _rows(loaded, None, loaded.a.user_id, f"SELECT * FROM {table}") == []


def test_given_a_session_scoped_to_a_when_selecting_bs_transaction_by_id_then_nothing(loaded):
    sql = f"SELECT * FROM transactions WHERE id = '{loaded.b.transaction_id}'"
    assert _rows(loaded, loaded.a.id, loaded.a.user_id, sql) == []


def test_given_a_session_scoped_to_a_when_joining_transactions_to_accounts_then_only_a_appears(
    loaded,
):
    rows = _rows(
        loaded,
        loaded.a.id,
        loaded.a.user_id,
        "SELECT t.tenant_id, a.tenant_id AS account_tenant FROM transactions t "
        "JOIN accounts a ON a.id = t.account_id",
    )
    assert rows
    assert {(row.tenant_id, row.account_tenant) for row in rows} == {(loaded.a.id, loaded.a.id)}


def test_given_a_session_scoped_to_a_when_selecting_tenants_then_only_workspace_a(loaded):
    rows = _rows(loaded, loaded.a.id, loaded.a.user_id, "SELECT id FROM tenants")
    assert [row.id for row in rows] == [loaded.a.id]


def test_given_a_user_and_no_tenant_when_selecting_tenants_then_only_their_workspaces(loaded):
    rows = _rows(loaded, None, loaded.b.user_id, "SELECT id FROM tenants")
    assert [row.id for row in rows] == [loaded.b.id]


def test_given_a_session_scoped_to_a_when_selecting_memberships_then_only_a_members(loaded):
    rows = _rows(loaded, loaded.a.id, loaded.a.user_id, "SELECT tenant_id, role FROM memberships")
    assert sorted((row.tenant_id, row.role) for row in rows) == [
        (loaded.a.id, "owner"),
        (loaded.a.id, "viewer"),
    ]


def test_given_a_user_when_selecting_idempotency_keys_then_only_their_own(loaded):
    rows = _rows(loaded, None, loaded.a.user_id, "SELECT user_id, key FROM idempotency_keys")
    assert [(row.user_id, row.key) for row in rows] == [(loaded.a.user_id, "create-ana")]


def test_given_no_user_and_no_tenant_when_selecting_anything_scoped_then_nothing(loaded):
    for table in ("tenants", "memberships", "idempotency_keys"):
        assert _rows(loaded, None, None, f"SELECT * FROM {table}") == [], table


# Writing


def _insert(table: str, target: Tenant) -> tuple[str, dict[str, Any]]:
    """An INSERT of a row into ``target``'s data, valid in every way except whose it is."""
    values: dict[str, Any] = {"id": uuid4(), "tenant": target.id, "now": "2026-10-01T00:00:00Z"}
    statements = {
        "accounts": "INSERT INTO accounts (id, tenant_id, name, kind, currency, opening_balance, "
        "archived, created_at, updated_at) VALUES (:id, :tenant, 'Intrusa', "
        "'checking', 'BRL', 0, false, :now, :now)",
        "categories": "INSERT INTO categories (id, tenant_id, slug, name, labels, kind, archived, "
        "position, created_at, updated_at) VALUES (:id, :tenant, :slug, "
        "'Intrusa', '{}', 'expense', false, 0, :now, :now)",
        "tags": "INSERT INTO tags (id, tenant_id, name, created_at, updated_at) "
        "VALUES (:id, :tenant, :slug, :now, :now)",
        "transactions": "INSERT INTO transactions (id, tenant_id, account_id, amount, currency, "
        "booked_on, description, status, needs_review, version, created_at, updated_at) VALUES "
        "(:id, :tenant, :account, -1, 'BRL', '2026-10-01', 'INTRUSA', 'booked', false, "
        "1, :now, :now)",
        "transaction_tags": "INSERT INTO transaction_tags (tenant_id, transaction_id, tag_id) "
        "VALUES (:tenant, :transaction, :tag)",
        "outbox": "INSERT INTO outbox (id, tenant_id, aggregate_type, aggregate_id, version, "
        "type, occurred_at, envelope) VALUES (:id, :tenant, 'Transaction', "
        ":transaction, 99, 'TransactionUpdated', :now, '{}')",
        "imports": "INSERT INTO imports (id, tenant_id, account_id, filename, lake_key, status, "
        "rows_read, imported, duplicates, rejected, started_at) VALUES "
        "(:id, :tenant, :account, 'intrusa.csv', 'raw/intrusa.csv', 'completed', 0, 0, 0, "
        "0, :now)",
        # The account has its mapping already: the valid write is a replacement.
        "csv_mappings": "INSERT INTO csv_mappings (account_id, tenant_id, mapping, updated_at) "
        "VALUES (:account, :tenant, '{}', :now) ON CONFLICT (account_id) "
        "DO UPDATE SET mapping = excluded.mapping",
        "import_issues": "INSERT INTO import_issues (import_id, position, tenant_id, kind, line, "
        "reason) VALUES (:import_, 99, :tenant, 'rejected', 1, 'intrusa')",
        "categorisation_rules": "INSERT INTO categorisation_rules (id, tenant_id, name, position, "
        "enabled, stop_processing, conditions, actions, created_at, updated_at, version) VALUES "
        "(:id, :tenant, 'Intrusa', 99, true, false, '[]', '{}', :now, :now, 1)",
        "learned_merchants": "INSERT INTO learned_merchants (id, tenant_id, merchant_key, "
        "merchant, enabled, choices, created_at, updated_at) VALUES (:id, :tenant, :slug, "
        "'Intrusa', true, '[]', :now, :now)",
        "processed_events": "INSERT INTO processed_events (consumer, event_id, tenant_id, "
        "event_type, processed_at) VALUES ('intrusa', :id, :tenant, 'TransactionCreated', :now)",
        # A day no transaction of the tests touches (the consumer keeps the others).
        "rollups": "INSERT INTO rollups (tenant_id, grain, period_start, account_id, "
        "category_id, currency, credits, debits, inflow, outflow, updated_at) VALUES (:tenant, "
        "'d', '1999-01-01', :account, :id, 'BRL', 0, 1, 0, -1, :now)",
        "merchant_rollups": "INSERT INTO merchant_rollups (tenant_id, month, merchant, "
        "category_id, currency, credits, debits, inflow, outflow, updated_at) VALUES (:tenant, "
        "'1999-01-01', :slug, :id, 'BRL', 0, 1, 0, -1, :now)",
        # One row per workspace: the valid write is an increment.
        "analytics_generations": "INSERT INTO analytics_generations (tenant_id, generation, "
        "updated_at) VALUES (:tenant, 1, :now) ON CONFLICT (tenant_id) "
        "DO UPDATE SET generation = analytics_generations.generation + 1",
        "dashboards": "INSERT INTO dashboards (id, tenant_id, user_id, name, widgets, version, "
        "created_at, updated_at) VALUES (:id, :tenant, :user, 'Intrusa', '[]', 1, :now, :now)",
        "dashboard_snapshots": "INSERT INTO dashboard_snapshots (tenant_id, user_id, "
        'dashboard_id, shape, today, generation, start, "end", currency, widgets, expires_at, '
        "opened_on, computed_at) VALUES (:tenant, :user, :id, 'x', '1999-01-01', 0, "
        "'1999-01-01', '1999-01-31', 'BRL', '{}', :now, '1999-01-01', :now)",
        "budgets": "INSERT INTO budgets (id, tenant_id, name, amount, currency, frequency, "
        "period_starts, rollover, thresholds, starts_on, event_version, created_at, updated_at, "
        "version) VALUES (:id, :tenant, 'Intrusa', 1, 'BRL', 'monthly', 'calendar', false, "
        "'[80]', '2026-10-01', 0, :now, :now, 1)",
        # A period no transaction of the tests touches.
        "budget_alerts": "INSERT INTO budget_alerts (budget_id, period_start, threshold, "
        "tenant_id, fired, times_fired, spent, period_limit, updated_at) VALUES (:budget, "
        "'1999-01-01', 80, :tenant, true, 1, 1, 1, :now)",
        "goals": "INSERT INTO goals (id, tenant_id, name, account_id, target_amount, currency, "
        "starts_on, milestones, event_version, created_at, updated_at, version) VALUES (:id, "
        ":tenant, 'Intrusa', :account, 1, 'BRL', '2026-10-01', '[100]', 0, :now, :now, 1)",
        # A milestone no goal of the tests has.
        "goal_milestones": "INSERT INTO goal_milestones (goal_id, milestone, tenant_id, fired, "
        "times_fired, saved, target, updated_at) VALUES (:goal, 1, :tenant, true, 1, 1, 1, :now)",
        # A kind the tests' first transaction was not flagged for (its copy was).
        "anomalies": "INSERT INTO anomalies (id, tenant_id, transaction_id, account_id, kind, "
        "booked_on, score, evidence, detected_at) VALUES (:id, :tenant, :transaction, :account, "
        "'outlier', '2026-10-01', 1, '{}', :now)",
        # A period key no alert of the tests has.
        "notifications": "INSERT INTO notifications (id, tenant_id, user_id, event_id, "
        "event_type, period_key, channel, address, language, subject, body, status, attempts, "
        "not_before, created_at, updated_at) VALUES (:id, :tenant, :user, :id, "
        "'BudgetExceeded', :slug, 'email', 'intrusa@example.com', 'pt-BR', 'Intrusa', "
        "'Intrusa', 'sent', 1, :now, :now, :now)",
        "notification_outbox": "INSERT INTO notification_outbox (id, tenant_id, notification_id, "
        "user_id, channel, address, subject, body, sent_at) VALUES (:id, :tenant, :id, :user, "
        "'email', 'intrusa@example.com', 'Intrusa', 'Intrusa', :now)",
        # A transaction id of its own: the consumer keeps the documents of the others.
        "search_documents": "INSERT INTO search_documents (tenant_id, transaction_id, "
        "account_id, booked_on, amount, currency, document) VALUES (:tenant, :id, :account, "
        "'2026-10-01', -1, 'BRL', to_tsvector('simple', 'intrusa'))",
    }
    values.update(
        slug=f"intrusa_{uuid4().hex[:8]}",
        account=target.account_id,
        transaction=target.transaction_id,
        tag=target.spare_tag_id,
        import_=target.import_id,
        budget=target.budget_id,
        goal=target.goal_id,
        user=target.user_id,
    )
    assert set(statements) == set(TENANT_TABLES)
    return statements[table], values


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_scoped_to_a_when_inserting_a_row_of_b_then_the_policy_refuses_it(
    loaded, table
):
    sql, values = _insert(table, loaded.b)
    before = _admin_count(loaded, table, loaded.b.id)
    with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
        with pytest.raises(DBAPIError) as refused:
            session.execute(text(sql), values)
        session.rollback()
    assert POLICY_VIOLATION in str(refused.value.orig)
    assert _admin_count(loaded, table, loaded.b.id) == before


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_scoped_to_b_when_inserting_the_same_row_then_it_is_accepted(loaded, table):
    """The control: the statements above fail because of the tenant, not because they are bad."""
    sql, values = _insert(table, loaded.b)
    with loaded.container.db.tenant_session(loaded.b.id, loaded.b.user_id) as session:
        assert session.execute(text(sql), values).rowcount == 1
        session.rollback()


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_with_no_tenant_when_inserting_any_tenant_row_then_it_is_refused(
    loaded, table
):
    sql, values = _insert(table, loaded.a)
    with loaded.container.db.tenant_session(None, loaded.a.user_id) as session:
        with pytest.raises(DBAPIError) as refused:
            session.execute(text(sql), values)
        session.rollback()
    assert POLICY_VIOLATION in str(refused.value.orig)


def test_given_a_session_scoped_to_a_when_moving_an_a_row_to_b_then_the_policy_refuses_it(
    loaded,
):
    with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
        with pytest.raises(DBAPIError) as refused:
            session.execute(
                text("UPDATE tags SET tenant_id = :b WHERE id = :tag"),
                {"b": loaded.b.id, "tag": loaded.a.spare_tag_id},
            )
        session.rollback()
    assert POLICY_VIOLATION in str(refused.value.orig)
    assert _admin_count(loaded, "tags", loaded.a.id) == 2


@pytest.mark.parametrize("table", ["accounts", "categories", "tags", "transactions", "outbox"])
def test_given_a_session_scoped_to_a_when_updating_every_row_then_b_rows_are_untouched(
    loaded, table
):
    with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
        touched = session.execute(
            text(f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :b"),
            {"b": loaded.b.id},
        ).rowcount
        session.rollback()
    assert touched == 0


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_given_a_session_scoped_to_a_when_deleting_b_rows_then_nothing_is_deleted(loaded, table):
    before = _admin_count(loaded, table, loaded.b.id)
    with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
        deleted = session.execute(
            text(f"DELETE FROM {table} WHERE tenant_id = :b"), {"b": loaded.b.id}
        ).rowcount
        session.commit()
    assert deleted == 0
    assert _admin_count(loaded, table, loaded.b.id) == before


def test_given_a_session_scoped_to_a_when_adding_a_membership_in_b_then_it_is_refused(loaded):
    """Joining another workspace (here as its owner) is no less a write into another tenant."""
    with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
        with pytest.raises(DBAPIError) as refused:
            session.execute(
                text(
                    "INSERT INTO memberships (tenant_id, user_id, role, created_at, updated_at) "
                    "VALUES (:b, :me, 'owner', now(), now())"
                ),
                {"b": loaded.b.id, "me": loaded.a.user_id},
            )
        session.rollback()
    assert POLICY_VIOLATION in str(refused.value.orig)


def test_given_a_session_scoped_to_a_when_deleting_its_own_membership_in_b_then_it_stays(loaded):
    caller = Caller(Principal(loaded.b.user_id, loaded.b.id, frozenset({Role.OWNER})), loaded.b.id)
    loaded.container.members.invite(caller, "ana@example.com", Role.VIEWER)
    try:
        with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
            deleted = session.execute(
                text("DELETE FROM memberships WHERE tenant_id = :b AND user_id = :me"),
                {"b": loaded.b.id, "me": loaded.a.user_id},
            ).rowcount
            session.commit()
        assert deleted == 0
        assert [m.user_id for m in loaded.container.members.list(caller)].count(
            loaded.a.user_id
        ) == 1
    finally:
        loaded.container.members.remove(caller, loaded.a.user_id)


def test_given_a_user_member_of_two_workspaces_when_scoped_to_one_then_both_memberships_read(
    loaded,
):
    """Reading stays as wide as before: a person sees where they belong, to pick a workspace."""
    caller = Caller(Principal(loaded.b.user_id, loaded.b.id, frozenset({Role.OWNER})), loaded.b.id)
    loaded.container.members.invite(caller, "ana@example.com", Role.VIEWER)
    try:
        rows = _rows(
            loaded,
            None,
            loaded.a.user_id,
            "SELECT tenant_id FROM memberships WHERE user_id = current_setting("
            "'app.user_id')::uuid",
        )
        assert {row.tenant_id for row in rows} == {loaded.a.id, loaded.b.id}
        tenants = _rows(loaded, None, loaded.a.user_id, "SELECT id FROM tenants")
        assert {row.id for row in tenants} == {loaded.a.id, loaded.b.id}
    finally:
        loaded.container.members.remove(caller, loaded.a.user_id)


def test_given_a_session_scoped_to_a_when_raising_its_own_role_in_b_then_nothing_changes(loaded):
    """A row of B reachable through ``user_id`` may be read, not rewritten from A's session."""
    caller = Caller(Principal(loaded.b.user_id, loaded.b.id, frozenset({Role.OWNER})), loaded.b.id)
    membership, _ = loaded.container.members.invite(caller, "ana@example.com", Role.VIEWER)
    assert membership.user_id == loaded.a.user_id
    try:
        with loaded.container.db.tenant_session(loaded.a.id, loaded.a.user_id) as session:
            updated = session.execute(
                text(
                    "UPDATE memberships SET role = 'owner' WHERE tenant_id = :b AND user_id = :me"
                ),
                {"b": loaded.b.id, "me": loaded.a.user_id},
            ).rowcount
            session.commit()
        assert updated == 0
        roles = {m.user_id: m.role for m in loaded.container.members.list(caller)}
        assert roles[loaded.a.user_id] == "viewer"
    finally:
        loaded.container.members.remove(caller, loaded.a.user_id)


# Who the session is


def test_given_a_tenant_session_when_asking_who_it_is_then_it_is_the_app_role(loaded):
    [row] = _rows(
        loaded,
        loaded.a.id,
        loaded.a.user_id,
        "SELECT current_user AS who, current_setting('app.tenant_id') AS tenant",
    )
    assert row.who == APP_ROLE
    assert row.tenant == str(loaded.a.id)


def test_given_the_app_role_when_inspected_then_it_neither_bypasses_rls_nor_is_superuser(loaded):
    with loaded.container.db.admin_session() as session:
        row = session.execute(
            text("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = :role"),
            {"role": APP_ROLE},
        ).one()
    assert (row.rolbypassrls, row.rolsuper) == (False, False)


@pytest.mark.parametrize("table", [*TENANT_TABLES, "tenants", "memberships", "idempotency_keys"])
def test_given_a_scoped_table_when_inspected_then_rls_is_enabled_and_forced(loaded, table):
    with loaded.container.db.admin_session() as session:
        row = session.execute(
            text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"),
            {"t": table},
        ).one()
    assert (row.relrowsecurity, row.relforcerowsecurity) == (True, True)


def test_given_a_finished_tenant_session_when_its_connection_is_reused_then_no_scope_remains(
    loaded, postgres_url
):
    """SET LOCAL: role and tenant end with the transaction, never stay on a pooled connection."""
    database = Database(postgres_url, clock=SystemClock(), app_role=APP_ROLE, pool_size=1)
    try:
        with database.tenant_session(loaded.a.id, loaded.a.user_id) as session:
            scoped = session.execute(
                text("SELECT pg_backend_pid() AS pid, current_user AS who")
            ).one()
            session.commit()
        with database.engine.connect() as connection:
            reused = connection.execute(
                text(
                    "SELECT pg_backend_pid() AS pid, current_user AS who, "
                    "coalesce(current_setting('app.tenant_id', true), '') AS tenant"
                )
            ).one()
            leaked = connection.execute(text("SELECT count(*) FROM transactions")).scalar_one()
    finally:
        database.dispose()
    assert scoped.who == APP_ROLE
    assert reused.pid == scoped.pid  # the same connection, back from the pool
    assert (reused.who, reused.tenant) != (APP_ROLE, str(loaded.a.id))
    assert reused.who != APP_ROLE
    assert reused.tenant == ""
    assert leaked == _admin_count(loaded, "transactions", loaded.a.id) + _admin_count(
        loaded, "transactions", loaded.b.id
    )
