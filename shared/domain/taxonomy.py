"""The category taxonomy every workspace starts with, in Portuguese (Brazil) and English.

Top-level slugs are a stable contract: importers, rules, budgets and models refer to them.
Child slugs are unique across the whole tree as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CategorySeed:
    slug: str
    pt_br: str
    en: str
    kind: str = "expense"  # expense | income | transfer
    children: tuple[CategorySeed, ...] = field(default_factory=tuple)

    def label(self, locale: str) -> str:
        return self.pt_br if locale.lower().startswith("pt") else self.en


def _c(slug: str, pt_br: str, en: str, kind: str = "expense") -> CategorySeed:
    return CategorySeed(slug, pt_br, en, kind)


TAXONOMY: tuple[CategorySeed, ...] = (
    CategorySeed(
        "income",
        "Receitas",
        "Income",
        "income",
        (
            _c("salary", "Salário", "Salary", "income"),
            _c("thirteenth_salary", "13º salário", "13th salary", "income"),
            _c("bonus", "Bônus e PLR", "Bonus and profit sharing", "income"),
            _c("freelance", "Freelance e serviços", "Freelance", "income"),
            _c("refunds", "Reembolsos e estornos", "Refunds", "income"),
            _c("investment_income", "Rendimentos", "Investment income", "income"),
            _c("other_income", "Outras receitas", "Other income", "income"),
        ),
    ),
    CategorySeed(
        "housing",
        "Moradia",
        "Housing",
        "expense",
        (
            _c("rent", "Aluguel", "Rent"),
            _c("condo_fee", "Condomínio", "Condo fee"),
            _c("home_maintenance", "Manutenção da casa", "Home maintenance"),
            _c("home_insurance", "Seguro residencial", "Home insurance"),
        ),
    ),
    CategorySeed(
        "utilities",
        "Contas da casa",
        "Utilities",
        "expense",
        (
            _c("electricity", "Energia elétrica", "Electricity"),
            _c("water", "Água e esgoto", "Water"),
            _c("gas", "Gás", "Gas"),
            _c("internet", "Internet e TV", "Internet and TV"),
            _c("phone", "Telefone e celular", "Phone"),
        ),
    ),
    CategorySeed(
        "groceries",
        "Mercado",
        "Groceries",
        "expense",
        (
            _c("supermarket", "Supermercado", "Supermarket"),
            _c("bakery", "Padaria", "Bakery"),
            _c("butcher_market", "Açougue e feira", "Butcher and market"),
        ),
    ),
    CategorySeed(
        "restaurants",
        "Restaurantes",
        "Restaurants",
        "expense",
        (
            _c("dining_out", "Restaurantes", "Dining out"),
            _c("food_delivery", "Delivery", "Food delivery"),
            _c("bars", "Bares", "Bars"),
            _c("coffee", "Cafés e lanches", "Coffee and snacks"),
        ),
    ),
    CategorySeed(
        "transport",
        "Transporte",
        "Transport",
        "expense",
        (
            _c("fuel", "Combustível", "Fuel"),
            _c("ride_hailing", "Aplicativos de transporte", "Ride hailing"),
            _c("public_transport", "Transporte público", "Public transport"),
            _c("parking_tolls", "Estacionamento e pedágio", "Parking and tolls"),
            _c("vehicle_maintenance", "Manutenção do veículo", "Vehicle maintenance"),
            _c("vehicle_insurance", "Seguro do veículo", "Vehicle insurance"),
        ),
    ),
    CategorySeed(
        "health",
        "Saúde",
        "Health",
        "expense",
        (
            _c("pharmacy", "Farmácia", "Pharmacy"),
            _c("doctors", "Consultas e exames", "Doctors and tests"),
            _c("health_insurance", "Plano de saúde", "Health insurance"),
            _c("fitness", "Academia", "Fitness"),
        ),
    ),
    CategorySeed(
        "education",
        "Educação",
        "Education",
        "expense",
        (
            _c("school", "Escola e faculdade", "School and university"),
            _c("courses", "Cursos", "Courses"),
            _c("books", "Livros e material", "Books and supplies"),
        ),
    ),
    CategorySeed(
        "entertainment",
        "Lazer",
        "Entertainment",
        "expense",
        (
            _c("cinema_shows", "Cinema e shows", "Cinema and shows"),
            _c("games_hobbies", "Jogos e hobbies", "Games and hobbies"),
            _c("outings", "Passeios", "Outings"),
        ),
    ),
    CategorySeed(
        "subscriptions",
        "Assinaturas",
        "Subscriptions",
        "expense",
        (
            _c("streaming", "Streaming", "Streaming"),
            _c("software", "Software e apps", "Software and apps"),
            _c("memberships", "Clubes e associações", "Memberships"),
        ),
    ),
    CategorySeed(
        "shopping",
        "Compras",
        "Shopping",
        "expense",
        (
            _c("clothing", "Roupas e calçados", "Clothing and shoes"),
            _c("electronics", "Eletrônicos", "Electronics"),
            _c("home_goods", "Casa e decoração", "Home goods"),
            _c("gifts", "Presentes", "Gifts"),
            _c("personal_care", "Cuidados pessoais", "Personal care"),
            _c("online_marketplaces", "Marketplaces", "Online marketplaces"),
        ),
    ),
    CategorySeed(
        "travel",
        "Viagens",
        "Travel",
        "expense",
        (
            _c("flights", "Passagens aéreas", "Flights"),
            _c("lodging", "Hospedagem", "Lodging"),
            _c("travel_other", "Outros gastos de viagem", "Other travel"),
        ),
    ),
    CategorySeed(
        "fees_taxes",
        "Taxas e impostos",
        "Fees and taxes",
        "expense",
        (
            _c("bank_fees", "Tarifas bancárias", "Bank fees"),
            _c("iof", "IOF", "IOF"),
            _c("interest_charges", "Juros e multas", "Interest and penalties"),
            _c("property_tax", "IPTU", "Property tax"),
            _c("vehicle_tax", "IPVA e licenciamento", "Vehicle tax"),
            _c("income_tax", "Imposto de renda", "Income tax"),
        ),
    ),
    CategorySeed(
        "transfers",
        "Transferências",
        "Transfers",
        "transfer",
        (
            _c("transfer_sent", "Transferências enviadas", "Transfers sent", "transfer"),
            _c("transfer_received", "Transferências recebidas", "Transfers received", "transfer"),
            _c("own_accounts", "Entre minhas contas", "Between own accounts", "transfer"),
        ),
    ),
    CategorySeed("card_payment", "Pagamento de fatura", "Card bill payment", "transfer"),
    CategorySeed(
        "investments",
        "Investimentos",
        "Investments",
        "transfer",
        (
            _c("investment_deposit", "Aplicações", "Deposits", "transfer"),
            _c("investment_withdrawal", "Resgates", "Withdrawals", "transfer"),
        ),
    ),
    CategorySeed("other", "Outros", "Other", "expense"),
)

TOP_LEVEL_SLUGS: tuple[str, ...] = tuple(seed.slug for seed in TAXONOMY)


def walk() -> list[tuple[CategorySeed, CategorySeed | None]]:
    """Every seed with its parent (``None`` for the top level), parents first."""
    pairs: list[tuple[CategorySeed, CategorySeed | None]] = []
    for top in TAXONOMY:
        pairs.append((top, None))
        pairs.extend((child, top) for child in top.children)
    return pairs


PARENT_OF: dict[str, str | None] = {
    seed.slug: (parent.slug if parent else None) for seed, parent in walk()
}
