"""Merchant category codes (ISO 18245) to the taxonomy, with a pt-BR name for each group.

Card networks send a four-digit MCC with a card purchase (Open Finance's ``payeeMCC``). The table
maps the code ranges whose meaning is one category of the taxonomy; codes that could be many
things (department stores, wholesale, financial institutions, government services, direct
marketing) are left out rather than guessed. The pt-BR names are the trade names acquirers print
for the groups, written for this table; the codes themselves are public (ISO 18245).

Where a group's place in the taxonomy is a choice, it follows the base lexicon's choices:
confectioners and toy shops are gifts (Cacau Show, Ri Happy), pet shops and vets are "other",
sporting goods shops are clothing (the shops sell mostly apparel and shoes).
"""

from __future__ import annotations

# (first code, last code, leaf slug, pt-BR name)
MCC_GROUPS: tuple[tuple[int, int, str, str], ...] = (
    (742, 742, "other", "clinica veterinaria"),
    (780, 780, "home_maintenance", "paisagismo e jardinagem"),
    (1520, 1799, "home_maintenance", "empreiteiros construcao e reformas"),
    (2741, 2741, "books", "editora e grafica"),
    (3000, 3350, "flights", "companhia aerea"),
    (3351, 3500, "travel_other", "locadora de veiculos"),
    (3501, 3999, "lodging", "hoteis e pousadas"),
    (4111, 4112, "public_transport", "transporte publico metro trem barca"),
    (4121, 4121, "ride_hailing", "taxi e transporte por aplicativo"),
    (4131, 4131, "public_transport", "onibus e viacao"),
    (4411, 4411, "travel_other", "cruzeiros"),
    (4457, 4457, "outings", "aluguel de barcos"),
    (4511, 4511, "flights", "companhia aerea"),
    (4582, 4582, "travel_other", "aeroporto"),
    (4722, 4723, "travel_other", "agencia de viagens e turismo"),
    (4784, 4784, "parking_tolls", "pedagio"),
    (4812, 4812, "electronics", "aparelhos de telefonia"),
    (4814, 4814, "phone", "telefonia e celular"),
    (4816, 4816, "internet", "provedor de internet"),
    (4899, 4899, "internet", "tv por assinatura"),
    (5044, 5045, "electronics", "informatica e equipamentos"),
    (5111, 5111, "books", "papelaria"),
    (5122, 5122, "pharmacy", "medicamentos"),
    (5192, 5192, "books", "livros e revistas"),
    (5200, 5200, "home_goods", "home center"),
    (5211, 5211, "home_maintenance", "material de construcao"),
    (5231, 5231, "home_maintenance", "tintas e vidracaria"),
    (5251, 5251, "home_maintenance", "ferragens e ferramentas"),
    (5261, 5261, "home_goods", "jardinagem e plantas"),
    (5300, 5300, "supermarket", "atacarejo clube de compras"),
    (5411, 5411, "supermarket", "supermercado e mercearia"),
    (5422, 5422, "butcher_market", "acougue e frios"),
    (5441, 5441, "gifts", "chocolates e doces"),
    (5451, 5451, "supermarket", "laticinios"),
    (5462, 5462, "bakery", "padaria e confeitaria"),
    (5499, 5499, "supermarket", "conveniencia e emporio"),
    (5531, 5533, "vehicle_maintenance", "autopecas e pneus"),
    (5541, 5542, "fuel", "posto de combustivel"),
    (5611, 5699, "clothing", "roupas calcados e acessorios"),
    (5712, 5719, "home_goods", "moveis e decoracao"),
    (5722, 5722, "electronics", "eletrodomesticos"),
    (5732, 5732, "electronics", "eletronicos"),
    (5733, 5733, "games_hobbies", "instrumentos musicais"),
    (5734, 5734, "software", "software"),
    (5735, 5735, "games_hobbies", "discos e musica"),
    (5811, 5812, "dining_out", "restaurante"),
    (5813, 5813, "bars", "bar e casa noturna"),
    (5814, 5814, "dining_out", "lanchonete e fast food"),
    (5815, 5815, "streaming", "midia digital filmes e musica"),
    (5816, 5816, "games_hobbies", "jogos digitais"),
    (5817, 5818, "software", "aplicativos digitais"),
    (5912, 5912, "pharmacy", "farmacia e drogaria"),
    (5921, 5921, "bars", "adega e bebidas"),
    (5932, 5932, "home_goods", "antiquario"),
    (5940, 5940, "games_hobbies", "bicicletaria"),
    (5941, 5941, "clothing", "artigos esportivos"),
    (5942, 5942, "books", "livraria"),
    (5943, 5943, "books", "papelaria e material escolar"),
    (5944, 5944, "gifts", "joalheria e relojoaria"),
    (5945, 5945, "gifts", "brinquedos e jogos"),
    (5946, 5946, "electronics", "foto e cameras"),
    (5947, 5947, "gifts", "presentes e souvenirs"),
    (5950, 5950, "home_goods", "utilidades domesticas cristais"),
    (5970, 5970, "games_hobbies", "artesanato e armarinho"),
    (5976, 5976, "pharmacy", "ortopedia"),
    (5977, 5977, "personal_care", "cosmeticos e perfumaria"),
    (5983, 5983, "gas", "gas de cozinha glp"),
    (5992, 5992, "gifts", "floricultura"),
    (5994, 5994, "books", "banca de jornal"),
    (5995, 5995, "other", "pet shop"),
    (6513, 6513, "rent", "imobiliaria aluguel"),
    (7011, 7011, "lodging", "hotel"),
    (7012, 7012, "lodging", "multipropriedade"),
    (7032, 7032, "outings", "acampamento e recreacao"),
    (7033, 7033, "lodging", "camping"),
    (7210, 7217, "home_maintenance", "lavanderia"),
    (7230, 7230, "personal_care", "salao de beleza e barbearia"),
    (7297, 7298, "personal_care", "estetica e spa"),
    (7342, 7349, "home_maintenance", "limpeza e dedetizacao"),
    (7372, 7372, "software", "servicos de software"),
    (7512, 7512, "travel_other", "locadora de veiculos"),
    (7523, 7523, "parking_tolls", "estacionamento"),
    (7531, 7549, "vehicle_maintenance", "oficina mecanica funilaria lava rapido"),
    (7623, 7629, "home_maintenance", "conserto de eletrodomesticos"),
    (7641, 7641, "home_maintenance", "marcenaria e estofados"),
    (7692, 7699, "home_maintenance", "servicos de reparo"),
    (7800, 7802, "games_hobbies", "loteria e apostas"),
    (7832, 7832, "cinema_shows", "cinema"),
    (7841, 7841, "streaming", "locadora de filmes"),
    (7911, 7911, "outings", "danceteria"),
    (7922, 7929, "cinema_shows", "ingressos teatro e shows"),
    (7932, 7933, "outings", "boliche e sinuca"),
    (7941, 7941, "outings", "eventos esportivos"),
    (7991, 7991, "outings", "atracoes turisticas"),
    (7992, 7992, "outings", "campo de golfe"),
    (7993, 7994, "games_hobbies", "fliperama e videogames"),
    (7995, 7995, "games_hobbies", "apostas e loterias"),
    (7996, 7996, "outings", "parque de diversoes"),
    (7997, 7997, "memberships", "clube recreativo"),
    (7998, 7998, "outings", "aquario e zoologico"),
    (7999, 7999, "outings", "recreacao e lazer"),
    (8011, 8011, "doctors", "consultorio medico"),
    (8021, 8021, "doctors", "dentista e odontologia"),
    (8031, 8049, "doctors", "clinica de saude"),
    (8050, 8050, "doctors", "casa de repouso"),
    (8062, 8062, "doctors", "hospital"),
    (8071, 8071, "doctors", "laboratorio de analises clinicas"),
    (8099, 8099, "doctors", "servicos medicos"),
    (8211, 8211, "school", "escola"),
    (8220, 8220, "school", "faculdade e universidade"),
    (8241, 8299, "courses", "cursos e treinamentos"),
    (8351, 8351, "school", "creche"),
    (8641, 8641, "memberships", "associacao"),
    (8651, 8651, "memberships", "partido politico"),
    (8675, 8675, "memberships", "associacao automobilistica"),
    (8699, 8699, "memberships", "associacao de classe"),
    (9222, 9222, "interest_charges", "multas"),
)


def mcc_slug(code: int) -> tuple[str, str] | None:
    """``(slug, pt-BR name)`` for a code the table maps, else None."""
    for first, last, slug, name in MCC_GROUPS:
        if first <= code <= last:
            return slug, name
    return None


def codes_by_slug() -> dict[str, list[int]]:
    """Representative codes of each slug: every code of a group up to 12 per group (the airline
    and hotel ranges hold hundreds of codes that all mean the same)."""
    found: dict[str, list[int]] = {}
    for first, last, slug, _ in MCC_GROUPS:
        span = range(first, last + 1)
        step = max(1, len(span) // 12)
        found.setdefault(slug, []).extend(span[::step])
    return found
