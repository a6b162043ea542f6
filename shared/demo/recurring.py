"""Lines that come back on a calendar: pay, housing, bills, plans, taxes, savings and bank fees."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from shared.demo.book import (
    BOLETO,
    CARD,
    CARTAO,
    CHECKING,
    DEBITO,
    OUTROS,
    PIX,
    SAVINGS,
    TARIFA,
    TED,
    Book,
    cents_of,
)
from shared.demo.catalog import (
    CAR_INSURERS,
    CAR_SERVICE,
    CONDOS,
    EMPLOYERS,
    FREELANCE_CLIENTS,
    GYMS,
    HEALTH_PLANS,
    INTERNET,
    LANDLORDS,
    MOBILE,
    SCHOOL_SUPPLIES,
    SCHOOLS,
    SOFTWARE,
    STREAMING,
    Plan,
    proper_name,
)
from shared.demo.dates import (
    business_day_on_or_after,
    business_day_on_or_before,
    nth_business_day,
)
from shared.demo.documents import cnpj_for
from shared.demo.models import AnomalyKind
from shared.forecasting.calendar import add_months, day_in_month

CARD_DUE_DAYS = (5, 7, 10, 12, 15, 17, 20, 25)
CARD_CLOSES_BEFORE_DUE = timedelta(days=7)

# Percent of an average month's electricity: air conditioning and fans run Dec–Mar.
ELECTRICITY_SEASON: dict[int, int] = {
    1: 145, 2: 140, 3: 128, 4: 104, 5: 94, 6: 88, 7: 88, 8: 90, 9: 95, 10: 100, 11: 112, 12: 135,
}  # fmt: skip

# The first part of the 13th salary has no deductions; the second carries the year's INSS and
# income tax on the whole 13th, so it is the smaller one.
THIRTEENTH_FIRST_PERCENT = 58

SALARY_LABELS: dict[str, tuple[str, ...]] = {
    TED: ("TED RECEBIDA", "SALARIO", "REMUNERACAO/SALARIO", "CRED SALARIO"),
    PIX: ("PIX RECEBIDO", "PIX RECEBIDO SALARIO"),
}


def round_to(cents: int, step: int) -> int:
    return max(step, cents - cents % step)


def is_anniversary(book: Book, year: int, month: int, anniversary: int) -> bool:
    """Yearly changes land in ``anniversary``, but never in the first month of the history,
    where nobody could see them as a change."""
    return month == anniversary and (year, month) != book.window.months[0]


def _rise(rose: bool) -> AnomalyKind | None:
    """A fixed charge's first month at a higher price is what a subscriber wants to hear of."""
    return AnomalyKind.PRICE_RISE if rose else None


def income(book: Book) -> None:
    rng = book.rng
    employer_text, employer = rng.choice(EMPLOYERS)
    cnpj = cnpj_for(employer_text)
    kind = TED if book.chance(60) else PIX
    label = f"{rng.choice(SALARY_LABELS[kind])} {employer_text}"
    raise_month, raise_pct = rng.randint(1, 12), rng.randint(3, 6)
    pay = book.profile.salary
    for year, month in book.window.months:
        if is_anniversary(book, year, month, raise_month):
            pay = pay * (100 + raise_pct) // 100
        book.pay[year, month] = pay
        # CLT: a month's pay is due by the 5th business day of the next one.
        payday = nth_business_day(year, month, 5)
        book.add(CHECKING, payday, pay, label, employer, "salary", kind, document=cnpj)
    _thirteenth(book, employer_text, employer, kind)
    _profit_sharing(book, employer_text, employer, kind)
    _freelance(book)


def _thirteenth(book: Book, text: str, employer: str, kind: str) -> None:
    cnpj = cnpj_for(text)
    for year in book.window.years():
        pay = book.pay.get((year, 11), book.profile.salary)
        first = pay * THIRTEENTH_FIRST_PERCENT // 100
        # Law 4.749/65: first part by 30 November, second part by 20 December.
        parts = (
            (business_day_on_or_before(date(year, 11, 30)), first, "1A PARC"),
            (business_day_on_or_before(date(year, 12, 19)), pay - first, "2A PARC"),
        )
        for day, cents, label in parts:
            text_line = f"13 SALARIO {label} {text}"
            category = "thirteenth_salary"
            book.add(CHECKING, day, cents, text_line, employer, category, kind, document=cnpj)


def _profit_sharing(book: Book, text: str, employer: str, kind: str) -> None:
    if not book.chance(35):
        return
    month, multiple = book.rng.choice((2, 3, 8)), book.rng.randint(50, 180)
    for year in book.window.years():
        cents = book.pay.get((year, month), book.profile.salary) * multiple // 100
        day = nth_business_day(year, month, 10)
        book.add(
            CHECKING, day, cents, f"PLR {text}", employer, "bonus", kind, document=cnpj_for(text)
        )


def _freelance(book: Book) -> None:
    if not book.chance(20):
        return
    text, client = book.rng.choice(FREELANCE_CLIENTS)
    line = f"PIX RECEBIDO {text[:20]}"
    for year, month in book.window.months:
        for _ in range(book.rng.choice((0, 0, 1, 1, 2))):
            day = day_in_month(year, month, book.rng.randint(1, 28))
            cents = round_to(book.rng.randint(40_000, 300_000), 1000)
            book.add(CHECKING, day, cents, line, client, "freelance", PIX, document=cnpj_for(text))


def housing(book: Book) -> None:
    _rent(book)
    _condo(book)
    _property_tax(book)


def _rent(book: Book) -> None:
    rng = book.rng
    payee, landlord = rng.choice(LANDLORDS)
    rent = round_to(max(90_000, book.profile.salary * rng.randint(15, 28) // 100), 1000)
    due_day, adjust_month, adjust_pct = rng.randint(1, 10), rng.randint(1, 12), rng.randint(3, 6)
    for year, month in book.window.months:
        rose = is_anniversary(book, year, month, adjust_month)
        if rose:
            rent = rent * (100 + adjust_pct) // 100  # the lease's yearly IGP-M/IPCA update
        book.boleto(
            day_in_month(year, month, due_day), rent, payee, landlord, "rent", anomaly=_rise(rose)
        )


def _condo(book: Book) -> None:
    if not book.chance(70):
        return
    rng = book.rng
    building = rng.choice(CONDOS)
    base = book.profile.salary * rng.randint(3, 7) // 100
    due_day = rng.randint(5, 10)
    merchant, text = f"Condomínio {proper_name(building)}", f"PAG BOLETO COND {building}"
    for year, month in book.window.months:
        # The monthly apportionment moves a little with the building's water and repairs.
        fee = base * rng.randint(97, 104) // 100
        book.boleto(day_in_month(year, month, due_day), fee, building, merchant, "condo_fee", text)


def _property_tax(book: Book) -> None:
    rng = book.rng
    city_hall, merchant = book.profile.city.city_hall
    parts = rng.choice((1, 1, 3, 10))
    annual = round_to(book.profile.salary * rng.randint(8, 22) // 100, 100)
    # Leases pass IPTU to the tenant. A carnê starts in Q1 and may run into the year; the year
    # before the window matters because its late parts can still fall inside it.
    for year in range(book.window.start.year - 1, book.window.end.year + 1):
        first = date(year, 1 if parts == 3 else 2, rng.randint(7, 15))
        text = f"{city_hall} IPTU {year}"
        if parts == 1:
            single = annual * 97 // 100  # the cota única discount
            book.boleto(first, single, city_hall, merchant, "property_tax", f"{text} COTA UNICA")
        else:
            book.instalments(
                CHECKING,
                business_day_on_or_after(first),
                annual,
                parts,
                text,
                merchant,
                "property_tax",
                BOLETO,
                document=cnpj_for(city_hall),
                style="suffix",
            )
        annual = annual * 105 // 100


def utilities(book: Book) -> None:
    rng = book.rng
    city = book.profile.city
    people = 160 if book.profile.has_kids else 100
    power = rng.randint(9_000, 20_000) * people // 100 * book.profile.scale // 100
    water = rng.randint(5_000, 11_000) * people // 100 * (50 + book.profile.scale // 2) // 100
    _metered(book, city.power, power, "electricity", ELECTRICITY_SEASON)
    _metered(book, city.water, water, "water", None)
    _telecom(book, rng.choice(INTERNET), "internet")
    _telecom(book, rng.choice(MOBILE), "phone")
    _cooking_gas(book)


def _metered(
    book: Book, who: tuple[str, str], base: int, category: str, season: dict[int, int] | None
) -> None:
    rng = book.rng
    payee, name = who
    autopay = book.chance(50)
    due_day = rng.randint(8, 25)
    for year, month in book.window.months:
        factor = season[month] if season else 100
        cents = base * factor // 100 * rng.randint(92, 108) // 100
        day = day_in_month(year, month, due_day)
        if autopay:
            book.add(CHECKING, day, -cents, f"DEB AUT {payee}", name, category, DEBITO)
        else:
            book.boleto(day, cents, payee, name, category)


def _telecom(book: Book, row: tuple[str, str, int], category: str) -> None:
    text, name, price = row
    plan = Plan(text, name, category, price, book.rng.randint(5, 10) * 100)
    on_card = book.chance(50)
    monthly_plan(book, plan, CARD if on_card else CHECKING, CARTAO if on_card else DEBITO)


def _cooking_gas(book: Book) -> None:
    # Most homes outside the big gas grids cook on bottled gas, bought every six-odd weeks.
    if not book.chance(55):
        return
    text, name = book.rng.choice((("ULTRAGAZ", "Ultragaz"), ("LIQUIGAS", "Liquigás")))
    day = book.window.start + timedelta(days=book.rng.randint(0, 30))
    while day <= book.window.end:
        book.add(CARD, day, -book.rng.randint(11_000, 14_500), text, name, "gas", CARTAO)
        day += timedelta(days=book.rng.randint(35, 60))


def monthly_plan(book: Book, plan: Plan, account: str, kind: str) -> None:
    """A fixed monthly charge on one day of the month; its price rises once a year."""
    day_of_month, rise_month = book.rng.randint(1, 28), book.rng.randint(1, 12)
    price = plan.price
    for year, month in book.window.months:
        rose = is_anniversary(book, year, month, rise_month)
        if rose:
            price += plan.rise
        day = day_in_month(year, month, day_of_month)
        book.add(
            account, day, -price, plan.text, plan.name, plan.category, kind, anomaly=_rise(rose)
        )


def subscriptions(book: Book) -> None:
    rng = book.rng
    most = min(len(STREAMING), 1 + book.profile.scale // 50)
    chosen = rng.sample(STREAMING, rng.randint(1, most)) + rng.sample(SOFTWARE, rng.randint(0, 2))
    for plan in chosen:
        monthly_plan(book, plan, CARD, CARTAO)
    if book.chance(45):
        monthly_plan(book, rng.choice(GYMS), CARD, CARTAO)


def family(book: Book) -> None:
    pay_in_reais = book.profile.salary // 100
    if book.profile.has_kids:
        children = book.rng.choice((1, 1, 2))
        _school_supplies(book, children)
        # Public school is free; the better-off a family is, the likelier a private one.
        if book.chance(15 + pay_in_reais // 300):
            _school(book, children)
    if book.chance(20 + pay_in_reais // 400):
        _health_plan(book)


def _school(book: Book, children: int) -> None:
    rng = book.rng
    school = rng.choice(SCHOOLS)
    fee = round_to(book.profile.salary * rng.randint(8, 15) // 100 * children, 100)
    due_day = rng.randint(5, 10)
    for year, month in book.window.months:
        rose = is_anniversary(book, year, month, 1)
        if rose:
            fee = fee * rng.randint(106, 110) // 100
        book.boleto(
            day_in_month(year, month, due_day),
            fee,
            school,
            proper_name(school),
            "school",
            anomaly=_rise(rose),
        )


def _school_supplies(book: Book, children: int) -> None:
    # The supplies list arrives with the new school year, in January or February.
    for year in book.window.years():
        month = book.rng.choice((1, 2))
        day = day_in_month(year, month, book.rng.randint(10, 28))
        cents = book.price(SCHOOL_SUPPLIES) * children * 3
        book.spend(CARD, day, SCHOOL_SUPPLIES, cents)


def _health_plan(book: Book) -> None:
    rng = book.rng
    payee, name = rng.choice(HEALTH_PLANS)
    lives = 3 if book.profile.has_kids else rng.choice((1, 2))
    fee = round_to(book.profile.salary * rng.randint(2, 5) // 100 * lives, 100)
    due_day, anniversary = rng.randint(5, 20), rng.randint(1, 12)
    for year, month in book.window.months:
        rose = is_anniversary(book, year, month, anniversary)
        if rose:
            fee = fee * rng.randint(108, 115) // 100  # around the regulator's yearly cap
        book.boleto(
            day_in_month(year, month, due_day),
            fee,
            payee,
            name,
            "health_insurance",
            anomaly=_rise(rose),
        )


def car(book: Book) -> None:
    if not book.profile.has_car:
        return
    rng = book.rng
    uf = book.profile.city.uf
    value = rng.randint(35_000, 60_000) * book.profile.scale  # centavos: R$ 35–60k at scale 100
    single = book.chance(45)
    licence_month, renewal = rng.randint(4, 9), rng.randint(1, 12)
    insurer_text, insurer = rng.choice(CAR_INSURERS)
    detran = f"DETRAN {uf}"
    for year in range(book.window.start.year - 1, book.window.end.year + 1):
        _vehicle_tax(book, year, value * 3 // 100, single)
        notice = date(year, licence_month, rng.randint(5, 25))
        text = f"{detran} LICENCIAMENTO {year}"
        fee = rng.randint(15_000, 17_500)
        book.boleto(notice, fee, detran, f"Detran {uf}", "vehicle_tax", text)
        renewal_day = date(year, renewal, rng.randint(1, 28))
        premium = value * rng.randint(4, 7) // 100
        book.instalments(CARD, renewal_day, premium, 10, insurer_text, insurer, "vehicle_insurance")
        value = value * 92 // 100  # cars lose value every year, and IPVA follows them
    for year, month in book.window.months:
        if book.chance(12):
            spec = rng.choice(CAR_SERVICE)
            book.spend(CARD, day_in_month(year, month, rng.randint(1, 28)), spec, book.price(spec))


def _vehicle_tax(book: Book, year: int, tax: int, single: bool) -> None:
    uf = book.profile.city.uf
    payee, merchant = f"SEFAZ {uf}", f"Sefaz {uf}"
    text = f"IPVA {uf} {year}"
    first = business_day_on_or_after(date(year, 1, book.rng.randint(10, 20)))
    if single:
        book.boleto(first, tax * 97 // 100, payee, merchant, "vehicle_tax", f"{text} COTA UNICA")
        return
    book.instalments(
        CHECKING,
        first,
        tax,
        3,
        text,
        merchant,
        "vehicle_tax",
        BOLETO,
        document=cnpj_for(payee),
        style="suffix",
    )


def savings(book: Book) -> None:
    rate = book.profile.savings_rate
    if not rate:
        return
    bank = book.profile.bank
    deposit_text, interest_text, _ = bank.savings_text
    balance = book.rng.randint(1_000, 30_000) * book.profile.scale
    for year, month in book.window.months:
        interest = balance * bank.savings_rate_bp // 10_000
        line = (interest_text, bank.institution, "investment_income", OUTROS)
        book.add(SAVINGS, date(year, month, 1), interest, *line)
        cents = round_to(book.pay[year, month] * rate // 100, 5000)
        day = business_day_on_or_after(nth_business_day(year, month, 5) + timedelta(days=1))
        line = (deposit_text, bank.institution, "investment_deposit", OUTROS)
        book.add(CHECKING, day, -cents, *line)
        book.add(SAVINGS, day, cents, *line)
        balance += interest + cents


def bank_fees(book: Book) -> None:
    bank = book.profile.bank
    overdraft = book.profile.salary < 600_000 and book.chance(60)
    for year, month in book.window.months:
        first = nth_business_day(year, month, 1)
        if bank.package_fee:
            line = (bank.fee_text, bank.institution, "bank_fees", TARIFA)
            book.add(CHECKING, first, -bank.package_fee, *line)
        if overdraft and book.chance(25):
            _overdraft(book, first)


def _overdraft(book: Book, day: date) -> None:
    # Cheque especial: interest for last month's days in the red, and IOF on the same balance.
    institution = book.profile.bank.institution
    interest = book.rng.randint(1_500, 16_000)
    book.add(
        CHECKING, day, -interest, "JUROS CHEQUE ESPECIAL", institution, "interest_charges", TARIFA
    )
    book.add(
        CHECKING, day, -(interest // 8 + 38), "IOF CHEQUE ESPECIAL", institution, "iof", TARIFA
    )


def card_bills(book: Book) -> None:
    """Pay each month's card bill from checking on its due date, and credit the card."""
    due_day = book.rng.choice(CARD_DUE_DAYS)
    card = sorted(
        (line.booked_on, cents_of(line.amount)) for line in book.lines if line.account_key == CARD
    )
    days = [day for day, _ in card]
    running = [0, *accumulate(cents for _, cents in card)]
    cycles: list[tuple[date, int, bool]] = []
    for year, month in book.window.months:
        due = day_in_month(year, month, due_day)
        opened = day_in_month(*add_months(year, month, -1), due_day) - CARD_CLOSES_BEFORE_DUE
        closed = due - CARD_CLOSES_BEFORE_DUE
        # Purchases after last month's closing day up to and including this month's.
        spent = running[bisect_right(days, closed)] - running[bisect_right(days, opened)]
        cycles.append((due, -spent, opened + timedelta(days=1) < book.window.start))
    complete = sorted(cents for _, cents, partial in cycles if not partial)
    typical = complete[len(complete) // 2] if complete else 0
    bank = book.profile.bank
    for due, cents, partial in cycles:
        # A cycle that began before the history has purchases we never saw: bill it as usual.
        bill = typical * book.rng.randint(90, 110) // 100 if partial and typical else cents
        if bill <= 0:
            continue
        day = business_day_on_or_after(due)
        book.add(CHECKING, day, -bill, bank.bill_text, bank.institution, "card_payment", OUTROS)
        book.add(CARD, day, bill, "PAGAMENTO RECEBIDO", bank.institution, "card_payment", OUTROS)
