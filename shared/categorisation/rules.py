"""A tenant's own categorisation rules: conditions on a line, actions when they all hold.

A rule tests a line's description or merchant (contains, equals, starts with, a regular
expression), its amount (between two bounds, its sign), its account, its Open Finance type
(PIX, TED, BOLETO, CARTAO…), the other side's document (CPF/CNPJ) and the card's MCC. Every
condition must hold. Its actions set the category, add tags, rename the merchant or mark the
line as a transfer between the person's own accounts (the ``own_accounts`` category).

Rules run in order of position. The first rule that sets the category (or marks a transfer)
decides it, and the first that renames the merchant names it: the rule at the top has the
last word, so a specific rule goes above a general one. Tags add up over every matching rule.
A matching rule with ``stop_processing`` ends the run: no rule below it applies at all.

Text comparisons ignore accents and case: both sides go through ``merchant.fold`` (``"Café
São João"`` contains ``"sao joao"``). A regular expression is searched in the text with only
its accents removed (punctuation kept, case ignored), so ``IFD\\*`` still reads the star.

Regular expressions are the one condition a tenant could make slow on purpose or by mistake:
Python's ``re`` backtracks, and ``(a+)+$`` takes exponential time on ``"aaaa…!"``, while two
overlapping repetitions such as ``\\s*\\s*x$`` already take seconds on a line of 1,000 spaces.
``re`` cannot be interrupted by a timeout (and the ``regex`` package that can is not a
dependency), so the time is bounded before a pattern is accepted, in three ways:

1. a pattern has at most ``MAX_PATTERN_LENGTH`` characters and must compile;
2. ``pattern_problem`` reads it and refuses backreferences, conditionals, a repeated group that
   can match in more than one way (nested quantifiers, ``(a|aa)+``), and any pattern whose
   worst case is above ``WORK_BUDGET`` steps. The worst case is estimated from the pattern's
   shape (``_Estimate``): the ways each element can match multiply along a sequence, and a
   repetition counts as many ways as the text is long unless what follows it cannot match its
   characters (``\\d+/``: only one length of the digits lets the match go on). In practice a
   pattern keeps one repetition that overlaps what follows it (two when it starts with ``^``);
3. a pattern is only ever searched in the first ``MATCHED_TEXT`` characters of a text, so the
   estimate holds for a description of any length (one of 10,000 characters included).

The estimate is conservative (it assumes every choice is retried): a refused pattern can always
be split into several conditions, which must all hold anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any
from uuid import UUID

from shared.categorisation.merchant import fold, normalise_merchant
from shared.categorisation.model import LineToCategorise, Verdict
from shared.domain.errors import FieldIssue
from shared.ports import Categoriser

SOURCE = "rule"
CONFIDENCE = 1.0
OWN_ACCOUNTS = "own_accounts"
"""The category of a transfer between the person's own accounts (taxonomy slug)."""

MAX_PATTERN_LENGTH = 300
MAX_TEXT_VALUE = 500
MATCHED_TEXT = 1_000
"""Characters of a description or merchant a condition reads: the bound on matching time."""
WORK_BUDGET = MATCHED_TEXT * MATCHED_TEXT * 4
"""Backtracking steps a pattern may need at worst on ``MATCHED_TEXT`` characters: about a tenth
of a second for ``re`` (measured on random patterns the estimate accepts, on adversarial text)."""
MAX_CONDITIONS = 20
MAX_VALUES = 100


class ConditionField(StrEnum):
    DESCRIPTION = "description"
    MERCHANT = "merchant"
    AMOUNT = "amount"
    ACCOUNT = "account"
    TYPE = "type"
    COUNTERPARTY_DOCUMENT = "counterparty_document"
    MCC = "mcc"


class Operator(StrEnum):
    CONTAINS = "contains"
    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    REGEX = "regex"
    BETWEEN = "between"
    """Amount within ``min`` and ``max`` (inclusive, signed: a debit of 50 is -50)."""
    SIGN = "sign"
    """``credit`` (money in, > 0) or ``debit`` (money out, < 0)."""
    IN = "in"
    """One of ``values``."""


TEXT_FIELDS = frozenset({ConditionField.DESCRIPTION, ConditionField.MERCHANT})
KEYED_FIELDS = frozenset(
    {
        ConditionField.ACCOUNT,
        ConditionField.TYPE,
        ConditionField.COUNTERPARTY_DOCUMENT,
        ConditionField.MCC,
    }
)
_TEXT_OPERATORS = (Operator.CONTAINS, Operator.EQUALS, Operator.STARTS_WITH, Operator.REGEX)
OPERATORS: dict[ConditionField, tuple[Operator, ...]] = {
    **dict.fromkeys(TEXT_FIELDS, _TEXT_OPERATORS),
    ConditionField.AMOUNT: (Operator.BETWEEN, Operator.SIGN),
    **dict.fromkeys(KEYED_FIELDS, (Operator.EQUALS, Operator.IN)),
}
SIGNS = ("credit", "debit")


@dataclass(frozen=True)
class Condition:
    field: ConditionField
    operator: Operator
    value: str | None = None
    """Text, regular expression, sign, or the single value of ``equals``."""
    values: tuple[str, ...] = ()
    """For ``in``."""
    min: Decimal | None = None
    max: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field.value, "operator": self.operator.value}
        if self.value is not None:
            data["value"] = self.value
        if self.values:
            data["values"] = list(self.values)
        if self.min is not None:
            data["min"] = str(self.min)
        if self.max is not None:
            data["max"] = str(self.max)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(
            field=ConditionField(data["field"]),
            operator=Operator(data["operator"]),
            value=data.get("value"),
            values=tuple(data.get("values") or ()),
            min=None if data.get("min") is None else Decimal(str(data["min"])),
            max=None if data.get("max") is None else Decimal(str(data["max"])),
        )


@dataclass(frozen=True)
class Actions:
    category_id: UUID | None = None
    tags: tuple[str, ...] = ()
    merchant: str | None = None
    """The merchant's new name."""
    own_transfer: bool = False
    """A transfer between the person's own accounts: the category becomes ``own_accounts``."""

    @property
    def sets_category(self) -> bool:
        return self.category_id is not None or self.own_transfer

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.category_id is not None:
            data["category_id"] = str(self.category_id)
        if self.tags:
            data["tags"] = list(self.tags)
        if self.merchant is not None:
            data["merchant"] = self.merchant
        if self.own_transfer:
            data["own_transfer"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Actions:
        category = data.get("category_id")
        return cls(
            category_id=None if category is None else UUID(str(category)),
            tags=tuple(data.get("tags") or ()),
            merchant=data.get("merchant"),
            own_transfer=bool(data.get("own_transfer", False)),
        )


@dataclass(frozen=True)
class Subject:
    """What rules read of a statement line or a stored transaction. The texts a condition
    compares are derived once per subject, however many rules read them."""

    description: str
    amount: Decimal
    merchant_name: str | None = None
    """The merchant as the line or transaction names it; read from the description if None."""
    account_id: UUID | None = None
    type: str | None = None
    counterparty_document: str | None = None
    mcc: str | None = None

    @classmethod
    def of_line(cls, line: LineToCategorise) -> Subject:
        return cls(
            description=line.description,
            amount=line.amount,
            merchant_name=line.counterparty_name,
            account_id=line.account_id,
            type=line.type,
            counterparty_document=line.counterparty_document,
            mcc=line.mcc,
        )

    @cached_property
    def merchant(self) -> str:
        return self.merchant_name or _merchant_name(self.description)

    @cached_property
    def folded_description(self) -> str:
        return _folded(self.description)

    @cached_property
    def folded_merchant(self) -> str:
        return _folded(self.merchant)

    @cached_property
    def plain_description(self) -> str:
        return _plain(self.description)

    @cached_property
    def plain_merchant(self) -> str:
        return _plain(self.merchant)


# Statements repeat their descriptors: each text is derived once per process.
@lru_cache(maxsize=1 << 15)
def _merchant_name(description: str) -> str:
    return normalise_merchant(description).name


@lru_cache(maxsize=1 << 15)
def _folded(text: str) -> str:
    return fold(text[:MATCHED_TEXT])


@lru_cache(maxsize=1 << 15)
def _plain(text: str) -> str:
    return unaccented(text[:MATCHED_TEXT])[:MATCHED_TEXT]


Test = Callable[[Subject], bool]


@dataclass(frozen=True)
class Rule:
    id: UUID
    name: str
    position: int
    enabled: bool
    stop_processing: bool
    conditions: tuple[Condition, ...]
    actions: Actions

    @cached_property
    def _tests(self) -> tuple[Test, ...]:
        return tuple(_test(condition) for condition in self.conditions)

    @cached_property
    def _text_tests(self) -> tuple[Test, ...]:
        return tuple(
            _test(condition) for condition in self.conditions if condition.field in TEXT_FIELDS
        )

    @cached_property
    def _other_tests(self) -> tuple[Test, ...]:
        return tuple(
            _test(condition) for condition in self.conditions if condition.field not in TEXT_FIELDS
        )

    def matches(self, subject: Subject) -> bool:
        """Every condition holds; a rule without conditions matches nothing (it would match
        everything, which no one means)."""
        return bool(self._tests) and all(test(subject) for test in self._tests)

    def matches_text(self, subject: Subject) -> bool:
        """Its conditions on the description and merchant hold (a rule without any: yes)."""
        return bool(self._tests) and all(test(subject) for test in self._text_tests)

    def matches_the_rest(self, subject: Subject) -> bool:
        """Its other conditions hold, the text ones known to hold."""
        return all(test(subject) for test in self._other_tests)

    def narrowing(self) -> Narrowing:
        return Narrowing.of(self.conditions)


@dataclass(frozen=True)
class Narrowing:
    """What a database can filter on before the rule's own tests: every transaction the rule
    matches passes it (the reverse need not hold). None: no restriction."""

    account_ids: frozenset[UUID] | None = None
    types: frozenset[str] | None = None
    """Upper case."""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    credit: bool | None = None

    @classmethod
    def of(cls, conditions: Iterable[Condition]) -> Narrowing:
        found = cls()
        for condition in conditions:
            if condition.field is ConditionField.ACCOUNT:
                parsed = (_uuid(value) for value in _listed(condition))
                ids = frozenset(item for item in parsed if item is not None)
                wanted = ids if found.account_ids is None else found.account_ids & ids
                found = replace(found, account_ids=wanted)
            elif condition.field is ConditionField.TYPE:
                types = frozenset(value.strip().upper() for value in _listed(condition))
                found = replace(found, types=types if found.types is None else found.types & types)
            elif condition.operator is Operator.BETWEEN:
                low, high = found.amount_min, found.amount_max
                if condition.min is not None:
                    low = condition.min if low is None else max(low, condition.min)
                if condition.max is not None:
                    high = condition.max if high is None else min(high, condition.max)
                found = replace(found, amount_min=low, amount_max=high)
            elif condition.operator is Operator.SIGN and condition.value in SIGNS:
                found = replace(found, credit=condition.value == "credit")
        return found


@dataclass(frozen=True)
class Outcome:
    """What the matching rules do to one line."""

    category_id: UUID | None = None
    own_transfer: bool = False
    category_rule: str | None = None
    """The name of the rule that decided the category."""
    category_rule_id: UUID | None = None
    """The id of the rule that decided the category."""
    merchant: str | None = None
    tags: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    """Names of the rules that matched, in order."""

    @property
    def sets_category(self) -> bool:
        return self.category_id is not None or self.own_transfer

    def evidence(self) -> str:
        names = ", ".join(repr(name) for name in self.matched)
        return f"rule {names}" if len(self.matched) == 1 else f"rules {names}"


def decide(
    rules: Iterable[Rule], subject: Subject, *, text_matched: bool = False
) -> Outcome | None:
    """The outcome of ``rules`` (in the order given) on one subject; None when none matches.
    ``text_matched``: the rules given are those whose text conditions hold for the subject."""
    outcome: Outcome | None = None
    for rule in rules:
        if not (rule.matches_the_rest(subject) if text_matched else rule.matches(subject)):
            continue
        outcome = _then(outcome or Outcome(), rule)
        if rule.stop_processing:
            break
    return outcome


def _then(outcome: Outcome, rule: Rule) -> Outcome:
    actions = rule.actions
    decided = outcome.sets_category
    return Outcome(
        category_id=outcome.category_id if decided else actions.category_id,
        own_transfer=outcome.own_transfer if decided else actions.own_transfer,
        category_rule=outcome.category_rule
        if decided
        else (rule.name if actions.sets_category else None),
        category_rule_id=outcome.category_rule_id
        if decided
        else (rule.id if actions.sets_category else None),
        merchant=outcome.merchant or actions.merchant,
        tags=tuple(dict.fromkeys([*outcome.tags, *actions.tags])),
        matched=(*outcome.matched, rule.name),
    )


_TEXTS_REMEMBERED = 1 << 15


class RuleCategoriser:
    """A tenant's enabled rules ahead of another categoriser (the ``fallback``).

    A line whose category a rule decides gets a verdict of source ``rule``, fully confident,
    naming the rule; every other line goes to the fallback, all of them in one call, and keeps
    the tags and merchant the rules gave it. ``category_slugs`` turns a rule's category id into
    the slug a verdict carries; a rule whose category is not there (archived since) decides
    nothing.
    """

    def __init__(
        self,
        rules: Iterable[Rule],
        category_slugs: Mapping[UUID, str],
        fallback: Categoriser | None = None,
    ) -> None:
        self._rules = sorted(
            (rule for rule in rules if rule.enabled), key=lambda rule: rule.position
        )
        self._slugs = category_slugs
        self._fallback = fallback
        self._by_text: dict[tuple[str, str | None], tuple[Rule, ...]] = {}

    @property
    def tag_names(self) -> list[str]:
        """Every tag a rule may add, each once."""
        return list(dict.fromkeys(tag for rule in self._rules for tag in rule.actions.tags))

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        decided: list[Verdict | None] = []
        pending: list[tuple[int, Subject, Outcome | None]] = []
        for index, line in enumerate(lines):
            subject = Subject.of_line(line)
            candidates = self._candidates(subject)
            outcome = decide(candidates, subject, text_matched=True) if candidates else None
            slug = self._slug(outcome)
            if outcome is not None and slug is not None:
                decided.append(
                    Verdict(
                        slug,
                        outcome.merchant or subject.merchant,
                        SOURCE,
                        CONFIDENCE,
                        outcome.evidence(),
                        outcome.tags,
                        outcome.merchant,
                        outcome.category_rule_id,
                    )
                )
            else:
                decided.append(None)
                pending.append((index, subject, outcome))
        if pending:
            others = self._others([lines[index] for index, _, _ in pending])
            for (index, subject, outcome), other in zip(pending, others, strict=True):
                decided[index] = _merged(subject, outcome, other)
        return [verdict for verdict in decided if verdict is not None]

    def _candidates(self, subject: Subject) -> tuple[Rule, ...]:
        """The rules whose text conditions hold for the subject's description and merchant,
        in order: found once per distinct text (statements repeat theirs), so each line only
        runs the cheap tests (amount, type, account…) of the few rules that may match it."""
        key = (subject.description, subject.merchant_name)
        found = self._by_text.get(key)
        if found is None:
            if len(self._by_text) >= _TEXTS_REMEMBERED:
                self._by_text.clear()
            found = self._by_text[key] = tuple(
                rule for rule in self._rules if rule.matches_text(subject)
            )
        return found

    def _slug(self, outcome: Outcome | None) -> str | None:
        if outcome is None:
            return None
        if outcome.own_transfer:
            return OWN_ACCOUNTS
        return None if outcome.category_id is None else self._slugs.get(outcome.category_id)

    def _others(self, lines: Sequence[LineToCategorise]) -> Sequence[Verdict | None]:
        if self._fallback is None:
            return [None] * len(lines)
        return self._fallback.categorise(lines)


def _merged(subject: Subject, outcome: Outcome | None, other: Verdict | None) -> Verdict:
    if outcome is None:
        if other is not None:
            return other
        return Verdict(None, subject.merchant, SOURCE, 0.0, "no rule matched")
    if other is None:
        evidence = f"{outcome.evidence()}: no category"
        return Verdict(
            None,
            outcome.merchant or subject.merchant,
            SOURCE,
            0.0,
            evidence,
            outcome.tags,
            outcome.merchant,
        )
    return replace(
        other,
        merchant=outcome.merchant or other.merchant,
        evidence=f"{other.evidence}; {outcome.evidence()}",
        tags=outcome.tags,
        merchant_override=outcome.merchant,
    )


# -- validation ------------------------------------------------------------------------------


def definition_issues(
    conditions: Sequence[Condition], actions: Actions, *, at: tuple[str | int, ...] = ("body",)
) -> list[FieldIssue]:
    """What is wrong with a rule's conditions and actions, each problem located in the request
    (``at`` is where the rule is: the body). Nothing here needs the database: whether the
    category exists is the service's question."""
    issues: list[FieldIssue] = []
    if not conditions:
        issues.append(FieldIssue((*at, "conditions"), "a rule needs at least one condition"))
    elif len(conditions) > MAX_CONDITIONS:
        issues.append(
            FieldIssue((*at, "conditions"), f"a rule has at most {MAX_CONDITIONS} conditions")
        )
    for index, condition in enumerate(conditions):
        issues.extend(condition_issues(condition, at=(*at, "conditions", index)))
    if not (actions.sets_category or actions.tags or actions.merchant):
        issues.append(
            FieldIssue(
                (*at, "actions"),
                "a rule needs an action: category_id, tags, merchant or own_transfer",
            )
        )
    if actions.category_id is not None and actions.own_transfer:
        issues.append(
            FieldIssue(
                (*at, "actions", "own_transfer"),
                "a transfer between own accounts has its own category: leave category_id out",
            )
        )
    return issues


def condition_issues(condition: Condition, *, at: tuple[str | int, ...]) -> list[FieldIssue]:
    allowed = OPERATORS[condition.field]
    if condition.operator not in allowed:
        names = ", ".join(operator.value for operator in allowed)
        return [FieldIssue((*at, "operator"), f"{condition.field.value} takes {names}", "operator")]
    used = _USES[condition.operator]
    issues = [
        FieldIssue((*at, name), f"not used with {condition.operator.value}", "extra")
        for name in ("value", "values", "min", "max")
        if name not in used and _given(condition, name)
    ]
    if issues:
        return issues
    if condition.field in TEXT_FIELDS:
        return _text_issues(condition, at)
    if condition.operator is Operator.BETWEEN:
        return _between_issues(condition, at)
    if condition.operator is Operator.SIGN:
        if condition.value not in SIGNS:
            return [FieldIssue((*at, "value"), "must be credit or debit")]
        return []
    return _keyed_issues(condition, at)


_USES: dict[Operator, frozenset[str]] = {
    Operator.CONTAINS: frozenset({"value"}),
    Operator.EQUALS: frozenset({"value"}),
    Operator.STARTS_WITH: frozenset({"value"}),
    Operator.REGEX: frozenset({"value"}),
    Operator.SIGN: frozenset({"value"}),
    Operator.BETWEEN: frozenset({"min", "max"}),
    Operator.IN: frozenset({"values"}),
}


def _given(condition: Condition, name: str) -> bool:
    value = getattr(condition, name)
    return bool(value) if name == "values" else value is not None


def _text_issues(condition: Condition, at: tuple[str | int, ...]) -> list[FieldIssue]:
    value = condition.value
    where = (*at, "value")
    if not value:
        return [FieldIssue(where, "the text to compare is missing")]
    if condition.operator is Operator.REGEX:
        problem = pattern_problem(value)
        return [] if problem is None else [FieldIssue(where, problem, "unsafe_pattern")]
    if len(value) > MAX_TEXT_VALUE:
        return [FieldIssue(where, f"at most {MAX_TEXT_VALUE} characters")]
    if not fold(value):
        return [FieldIssue(where, "has no letter or digit to compare")]
    return []


def _between_issues(condition: Condition, at: tuple[str | int, ...]) -> list[FieldIssue]:
    low, high = condition.min, condition.max
    if low is None and high is None:
        return [FieldIssue((*at, "min"), "give min, max or both")]
    if low is not None and high is not None and low > high:
        return [FieldIssue((*at, "min"), "is above max")]
    return []


_DOCUMENT = re.compile(r"[0-9A-Za-z./-]{1,20}")
_MCC = re.compile(r"[0-9]{4}")
_TYPE = re.compile(r"[0-9A-Za-z_]{1,40}")


def _keyed_issues(condition: Condition, at: tuple[str | int, ...]) -> list[FieldIssue]:
    if condition.operator is Operator.EQUALS:
        if condition.value is None:
            return [FieldIssue((*at, "value"), "the value to compare is missing")]
        places: list[tuple[tuple[str | int, ...], str]] = [((*at, "value"), condition.value)]
    else:
        if not condition.values:
            return [FieldIssue((*at, "values"), "give at least one value")]
        if len(condition.values) > MAX_VALUES:
            return [FieldIssue((*at, "values"), f"at most {MAX_VALUES} values")]
        places = [((*at, "values", index), value) for index, value in enumerate(condition.values)]
    problem = _KEYED_PROBLEMS[condition.field]
    return [FieldIssue(where, problem[1]) for where, value in places if not problem[0](value)]


_KEYED_PROBLEMS: dict[ConditionField, tuple[Callable[[str], bool], str]] = {
    ConditionField.ACCOUNT: (lambda value: _uuid(value) is not None, "not an account id"),
    ConditionField.TYPE: (
        lambda value: _TYPE.fullmatch(value.strip()) is not None,
        "a transaction type such as PIX, TED, BOLETO or CARTAO",
    ),
    ConditionField.COUNTERPARTY_DOCUMENT: (
        lambda value: _DOCUMENT.fullmatch(value.strip()) is not None and bool(_digits(value)),
        "a CPF/CNPJ: up to 20 letters, digits, dots, dashes and slashes",
    ),
    ConditionField.MCC: (
        lambda value: _MCC.fullmatch(value.strip()) is not None,
        "a merchant category code: four digits",
    ),
}


# -- regular expressions ---------------------------------------------------------------------


class _Unsafe(Exception):
    """A pattern whose matching time cannot be bounded."""


@lru_cache(maxsize=1_024)
def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused as a rule's regular expression, or None when it is safe to
    search in any text of ``MATCHED_TEXT`` characters (see the module's docstring)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"a regular expression has at most {MAX_PATTERN_LENGTH} characters"
    plain = unaccented(pattern)
    try:
        re.compile(plain, re.IGNORECASE)
    except re.error as error:
        return f"not a valid regular expression: {error.msg} (at position {error.pos})"
    except (RecursionError, OverflowError):
        return "not a valid regular expression: too deeply nested or too large"
    try:
        work = _Estimate(plain).worst_case()
    except _Unsafe as unsafe:
        return str(unsafe)
    if work > WORK_BUDGET:
        return (
            "this regular expression could take too long to match: a repetition (*, +, {n,}) "
            "that can match what follows it is retried at every length, and several of them "
            "multiply. Keep one such repetition (two if the pattern starts with ^), or split "
            "the pattern into several conditions"
        )
    return None


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The compiled pattern, or None for one ``pattern_problem`` refuses (a stored rule from
    before a stricter check matches nothing rather than risk the time)."""
    if pattern_problem(pattern) is not None:
        return None
    return re.compile(unaccented(pattern), re.IGNORECASE)


def unaccented(text: str) -> str:
    """Without combining marks (canonical decomposition: nothing else changes, so a pattern
    keeps its meaning): ``"São"`` → ``"Sao"``."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_CAP = WORK_BUDGET + 1
_REPEAT = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_ZERO_WIDTH_ESCAPES = frozenset("bBAZ")
_SAMPLE = frozenset(
    [chr(code) for code in range(0x20, 0x7F)] + list("\t\n\r\x0b\x0c\u00a0\u2028ßøæıжд中٣①Ω")
)
"""Characters standing for every other: which an atom matches tells whether two overlap."""


def _cap(value: int) -> int:
    return min(value, _CAP)


@lru_cache(maxsize=4_096)
def _chars(atom: str) -> frozenset[str]:
    """The sample characters a one-character atom (``a``, ``\\d``, ``[^/]``, ``.``) matches."""
    if atom == ".":
        return _SAMPLE  # whatever the flags say about line breaks
    try:
        compiled = re.compile(atom, re.IGNORECASE)
    except re.error:
        return _SAMPLE
    return frozenset(char for char in _SAMPLE if compiled.fullmatch(char))


@dataclass(frozen=True)
class _Item:
    """One element of a sequence, as the estimate sees it."""

    work: int
    """Ways it can match at one place."""
    chars: frozenset[str]
    """What it may consume (sample characters)."""
    optional: bool
    """It can match nothing."""
    zero_width: bool = False
    loops: bool = False
    """A repetition of a one-way atom with a choice of lengths (``\\d+``, ``a{1,3}``)."""


class _Estimate:
    """Recursive descent over a pattern ``re`` has already compiled: the worst-case number of
    steps a search can take on ``MATCHED_TEXT`` characters.

    A sequence multiplies the ways of its elements; an alternation adds its branches'; a
    repetition of ``lo`` to ``hi`` offers ``hi - lo + 1`` lengths (``MATCHED_TEXT`` when
    unbounded). A repetition whose characters nothing after it can match up to the next
    mandatory element (``\\d+/``, ``\\s*x``) has only one length that lets the match go on:
    it costs a scan of its run, not a factor on the rest. A repeated group that itself matches
    in several ways is refused outright: its cost grows exponentially (``(a+)+``, ``(a|aa)+``).
    Then a search tries every start position, unless the pattern starts with ``^``.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0
        self.branches_at_top = 1

    def worst_case(self) -> int:
        work = self._alternation(top=True).work
        anchored = self.branches_at_top == 1 and self.pattern.startswith(("^", "\\A"))
        return work if anchored else _cap(work * MATCHED_TEXT)

    def _peek(self, offset: int = 0) -> str:
        index = self.at + offset
        return self.pattern[index] if index < len(self.pattern) else ""

    def _alternation(self, *, top: bool = False) -> _Item:
        branches = [self._sequence(top=top)]
        while self._peek() == "|":
            self.at += 1
            if top:
                self.branches_at_top += 1
            branches.append(self._sequence(top=top))
        work = 0
        for branch in branches:
            work = _cap(work + branch.work)
        chars = frozenset().union(*(branch.chars for branch in branches))
        return _Item(work, chars, any(branch.optional for branch in branches))

    def _sequence(self, *, top: bool) -> _Item:
        items: list[_Item] = []
        while self._peek() not in ("", "|", ")"):
            atom = self._atom()
            if atom is not None:  # None: a comment or an inline flag, nothing to repeat
                items.append(self._repeated(atom))
        product, scans = 1, 0
        for index, item in enumerate(items):
            if item.loops and _settles(item, items[index + 1 :], at_the_end=top):
                scans = _cap(scans + item.work)
            else:
                product = _cap(product * item.work)
        chars = frozenset().union(*(item.chars for item in items))
        optional = all(item.optional for item in items)
        return _Item(_cap(product * max(scans, 1)), chars, optional)

    def _atom(self) -> _Item | None:
        start, char = self.at, self._peek()
        if char == "\\":
            following = self._peek(1)
            if following in "123456789":
                raise _Unsafe("backreferences (\\1…) are not allowed in a rule's pattern")
            self.at += 2
            if following in _ZERO_WIDTH_ESCAPES:
                return _Item(1, frozenset(), optional=True, zero_width=True)
            if following == "N" and self._peek() == "{":
                self.at = self.pattern.index("}", self.at) + 1
            elif following in ("x", "u", "U", "0"):
                digits = {"x": 2, "u": 4, "U": 8, "0": 2}[following]
                allowed = "01234567" if following == "0" else "0123456789abcdefABCDEF"
                while digits and self._peek() and self._peek() in allowed:
                    self.at, digits = self.at + 1, digits - 1
            return _Item(1, _chars(self.pattern[start : self.at]), optional=False)
        if char == "[":
            self._skip_class()
            return _Item(1, _chars(self.pattern[start : self.at]), optional=False)
        if char == "(":
            return self._group()
        self.at += 1
        if char in ("^", "$"):
            return _Item(1, frozenset(), optional=True, zero_width=True)
        return _Item(1, _chars(char), optional=False)

    def _skip_class(self) -> None:
        self.at += 1
        if self._peek() == "^":
            self.at += 1
        if self._peek() == "]":
            self.at += 1
        while self._peek() not in ("", "]"):
            self.at += 2 if self._peek() == "\\" else 1
        self.at += 1

    def _group(self) -> _Item | None:
        rest = self.pattern[self.at + 1 :]
        self.at += 1
        lookaround = False
        if rest.startswith("?#"):
            self.at = self.pattern.index(")", self.at) + 1
            return None
        if rest.startswith(("?P=", "?(")):
            raise _Unsafe(
                "backreferences and conditionals ((?P=name), (?(1)…)) are not allowed in a "
                "rule's pattern"
            )
        if rest.startswith("?P<"):
            self.at = self.pattern.index(">", self.at) + 1
        elif rest.startswith(("?<=", "?<!")):
            self.at += 3
            lookaround = True
        elif rest.startswith(("?=", "?!")):
            self.at += 2
            lookaround = True
        elif rest.startswith(("?:", "?>")):
            self.at += 2
        elif rest.startswith("?"):
            flags = re.match(r"\?([a-zA-Z-]*)([:)])", rest)
            assert flags is not None  # re compiled it
            if set(flags.group(1)) & {"x", "m"}:
                raise _Unsafe("the x and m flags are not supported in a rule's pattern")
            self.at += flags.end()
            if flags.group(2) == ")":
                return None
        inner = self._alternation()
        self.at += 1  # the closing parenthesis
        if lookaround:  # tried where it stands, consumes nothing
            return _Item(inner.work, frozenset(), optional=True, zero_width=True)
        return inner

    def _repeated(self, atom: _Item) -> _Item:
        bounds = self._quantifier()
        if bounds is None:
            return atom
        low, high = bounds
        if self._peek() in ("?", "+"):  # lazy or possessive: the same lengths, or fewer
            self.at += 1
        optional = low == 0 or atom.optional
        if high == 0:
            return _Item(1, frozenset(), optional=True)
        if high == 1:
            return _Item(_cap(atom.work + (1 if low == 0 else 0)), atom.chars, optional)
        if high == low:
            work = 1
            for _ in range(low):
                work = _cap(work * atom.work)
                if atom.work == 1 or work >= _CAP:
                    break
            return _Item(work, atom.chars, optional)
        if atom.work > 1:
            raise _Unsafe(
                "a repeated group that can itself match in several ways (nested quantifiers "
                "such as (a+)+ or (a|aa)*) risks catastrophic backtracking"
            )
        lengths = MATCHED_TEXT if high is None else min(high - low + 1, MATCHED_TEXT)
        return _Item(lengths, atom.chars, optional, loops=True)

    def _quantifier(self) -> tuple[int, int | None] | None:
        char = self._peek()
        if char in ("*", "+", "?"):
            self.at += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        if char == "{":
            found = _REPEAT.match(self.pattern, self.at)
            if found is None or found.group(0) == "{}":
                return None
            self.at = found.end()
            low = int(found.group(1) or 0)
            if found.group(2) is None:
                return low, low
            return low, int(found.group(3)) if found.group(3) else None
        return None


def _settles(item: _Item, following: Sequence[_Item], *, at_the_end: bool) -> bool:
    """Whether only one length of the repetition ``item`` lets a match go on: what follows,
    up to and including the next element that must consume something, cannot match any of
    its characters (or nothing follows at all, in the whole pattern)."""
    for after in following:
        if after.zero_width:
            continue
        if after.chars & item.chars:
            return False
        if not after.optional:
            return True
    return at_the_end


# -- matching --------------------------------------------------------------------------------


def _test(condition: Condition) -> Test:
    if condition.field in TEXT_FIELDS:
        return _text_test(condition)
    if condition.operator is Operator.BETWEEN:
        low, high = condition.min, condition.max
        return lambda subject: (
            (low is None or subject.amount >= low) and (high is None or subject.amount <= high)
        )
    if condition.operator is Operator.SIGN:
        credit = condition.value == "credit"
        return lambda subject: subject.amount > 0 if credit else subject.amount < 0
    return _keyed_test(condition)


def _text_test(condition: Condition) -> Test:
    description = condition.field is ConditionField.DESCRIPTION
    if condition.operator is Operator.REGEX:
        compiled = compile_pattern(condition.value or "")
        if compiled is None:
            return _never

        def plain(subject: Subject) -> str:
            return subject.plain_description if description else subject.plain_merchant

        return lambda subject: compiled.search(plain(subject)) is not None
    wanted = fold(condition.value or "")
    if not wanted:
        return _never

    def folded(subject: Subject) -> str:
        return subject.folded_description if description else subject.folded_merchant

    if condition.operator is Operator.EQUALS:
        return lambda subject: folded(subject) == wanted
    if condition.operator is Operator.STARTS_WITH:
        return lambda subject: folded(subject).startswith(wanted)
    return lambda subject: wanted in folded(subject)


def _never(_: Subject) -> bool:
    return False


def _keyed_test(condition: Condition) -> Test:
    key = _KEYS[condition.field]
    wanted = frozenset(key(value) for value in _listed(condition)) - {None}

    def test(subject: Subject) -> bool:
        return key(_READ[condition.field](subject)) in wanted

    return test


def _listed(condition: Condition) -> tuple[str, ...]:
    if condition.operator is Operator.EQUALS:
        return () if condition.value is None else (condition.value,)
    return condition.values


def _uuid(value: object) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _digits(value: str) -> str:
    """A document compared by its letters and digits: 123.456.789-09 is 12345678909."""
    return "".join(char for char in value if char.isalnum()).upper()


def _upper(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip().upper() or None


def _document(value: object) -> str | None:
    if value is None:
        return None
    return _digits(str(value)) or None


def _account(value: object) -> str | None:
    found = _uuid(value) if value is not None else None
    return None if found is None else str(found)


_KEYS: dict[ConditionField, Callable[[object], str | None]] = {
    ConditionField.ACCOUNT: _account,
    ConditionField.TYPE: _upper,
    ConditionField.COUNTERPARTY_DOCUMENT: _document,
    ConditionField.MCC: _upper,
}
_READ: dict[ConditionField, Callable[[Subject], object]] = {
    ConditionField.ACCOUNT: lambda subject: subject.account_id,
    ConditionField.TYPE: lambda subject: subject.type,
    ConditionField.COUNTERPARTY_DOCUMENT: lambda subject: subject.counterparty_document,
    ConditionField.MCC: lambda subject: subject.mcc,
}
