"""What counts as income and as expense: one rule for metrics, dashboards, reports and search.

A category's kind decides (the taxonomy's ``income``, ``expense`` and ``transfer``):

- an ``income`` category counts its net amount as income (a reversed salary lowers income);
- an ``expense`` category counts its net amount out as expense (a refund lowers spending);
- a ``transfer`` category (between own accounts, card bill payments, investments, PIX to and
  from people) is money moving, neither income nor expense: a card purchase is spent once, when
  it is bought, not again when the bill is paid;
- an uncategorised amount counts by its sign: in is income, out is expense.

The overall budget measures spending with the same rule (``shared.services.budgets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

INCOME = "income"
EXPENSE = "expense"
TRANSFER = "transfer"


class Flow(StrEnum):
    INCOME = "income"
    EXPENSE = "expense"
    TRANSFER = "transfer"
    UNCATEGORISED = "uncategorised"


def flow_of(category_id: UUID | None, kinds: Mapping[UUID, str]) -> Flow:
    """The flow of a category's amounts; a category the workspace no longer has counts as
    uncategorised."""
    return flow_of_kind(kinds.get(category_id) if category_id is not None else None)


def flow_of_kind(kind: str | None) -> Flow:
    """The flow of a category kind; no kind (no category) is uncategorised."""
    return Flow.UNCATEGORISED if kind is None else Flow(kind)


@dataclass(frozen=True)
class Cell:
    """Aggregated transactions of one category (None: uncategorised): how many came in and went
    out, and how much (``outflow`` ≤ 0)."""

    category_id: UUID | None
    credits: int
    debits: int
    inflow: Decimal
    outflow: Decimal


@dataclass(frozen=True)
class Totals:
    income: Decimal = Decimal(0)
    expenses: Decimal = Decimal(0)
    """Positive: money spent."""
    transactions: int = 0
    """Income and expense transactions; transfers are not counted."""
    expense_transactions: int = 0
    transfers_in: Decimal = Decimal(0)
    transfers_out: Decimal = Decimal(0)
    """Negative, like the amounts."""

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses

    @property
    def movement(self) -> Decimal:
        """Everything in minus everything out, transfers included: how a balance changed."""
        return self.income - self.expenses + self.transfers_in + self.transfers_out

    @property
    def savings_rate(self) -> Decimal | None:
        """Net over income (0.25: a quarter of income kept); None without income."""
        if self.income <= 0:
            return None
        return self.net / self.income

    @property
    def average_ticket(self) -> Decimal | None:
        """Spending per expense transaction; None without one."""
        if self.expense_transactions == 0:
            return None
        return self.expenses / self.expense_transactions

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.income + other.income,
            self.expenses + other.expenses,
            self.transactions + other.transactions,
            self.expense_transactions + other.expense_transactions,
            self.transfers_in + other.transfers_in,
            self.transfers_out + other.transfers_out,
        )


def cell_totals(cell: Cell, kinds: Mapping[UUID, str]) -> Totals:
    return flow_totals(
        flow_of(cell.category_id, kinds), cell.credits, cell.debits, cell.inflow, cell.outflow
    )


def flow_totals(flow: Flow, credits: int, debits: int, inflow: Decimal, outflow: Decimal) -> Totals:
    """What money of one flow adds to the totals."""
    net = inflow + outflow
    if flow is Flow.INCOME:
        return Totals(income=net, transactions=credits + debits)
    if flow is Flow.EXPENSE:
        return Totals(expenses=-net, transactions=credits + debits, expense_transactions=debits)
    if flow is Flow.TRANSFER:
        return Totals(transfers_in=inflow, transfers_out=outflow)
    return Totals(
        income=inflow,
        expenses=-outflow,
        transactions=credits + debits,
        expense_transactions=debits,
    )


def totals(cells: Iterable[Cell], kinds: Mapping[UUID, str]) -> Totals:
    """The income, expenses and counts of ``cells`` by the rule of this module."""
    result = Totals()
    for cell in cells:
        result = result + cell_totals(cell, kinds)
    return result
