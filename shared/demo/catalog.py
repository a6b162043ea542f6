"""The tables the demo generator draws from: people, cities, banks, merchants and plans.

Statement texts imitate what Brazilian banks print (upper case, no accents, processor prefixes
such as ``IFD*`` or ``PAG*``, card descriptors cut at 22 characters with a city tail). Amounts
are in centavos at a household's reference spending level; the generator scales them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Merchant:
    text: str  # statement text, before any city tail
    name: str  # canonical merchant name
    category: str
    low: int  # centavos
    high: int  # centavos
    tail: bool = False  # card descriptor ends with "CITY BR"


def _m(text: str, name: str, category: str, low: int, high: int, tail: bool = False) -> Merchant:
    """Ranges are written in reais to keep the tables readable."""
    return Merchant(text, name, category, low * 100, high * 100, tail)


_PARTICLES = frozenset({"DA", "DAS", "DE", "DO", "DOS", "E"})


def proper_name(text: str) -> str:
    """A statement's upper case as a display name: "PREFEITURA DE SAO PAULO" becomes
    "Prefeitura de Sao Paulo" (Portuguese keeps its particles in lower case)."""
    words = text.split()
    return " ".join(
        word.lower() if i and word in _PARTICLES else word.capitalize()
        for i, word in enumerate(words)
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """A monthly subscription whose price goes up by ``rise`` once a year."""

    text: str
    name: str
    category: str
    price: int  # centavos
    rise: int  # centavos


@dataclass(frozen=True, slots=True)
class City:
    name: str  # as card descriptors print it
    uf: str
    power: tuple[str, str]  # (statement text, canonical name)
    water: tuple[str, str]
    transit: tuple[str, str]
    city_hall: tuple[str, str]  # (statement text, canonical name)


@dataclass(frozen=True, slots=True)
class Bank:
    institution: str
    checking: str
    card: str
    savings: str
    savings_kind: str  # savings | investment
    savings_text: tuple[str, str, str]  # (deposit, interest, withdrawal) statement texts
    savings_rate_bp: int  # monthly yield in basis points
    package_fee: int  # centavos a month; digital banks charge none
    fee_text: str
    bill_text: str
    split_style: str  # how the card statement prints instalments: "prefix" or "suffix"


FIRST_NAMES: tuple[str, ...] = (
    "Ana", "João", "Maria", "Pedro", "Juliana", "Lucas", "Fernanda", "Rafael", "Camila",
    "Bruno", "Patrícia", "Gustavo", "Larissa", "Thiago", "Beatriz", "Felipe", "Aline",
    "Rodrigo", "Mariana", "Diego", "Carla", "Marcelo", "Letícia", "André", "Renata",
    "Vinícius", "Gabriela", "Leonardo", "Priscila", "Eduardo", "Tatiane", "Ricardo",
)  # fmt: skip

SURNAMES: tuple[str, ...] = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
    "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade",
    "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Teixeira",
)  # fmt: skip

CITIES: tuple[City, ...] = (
    City("SAO PAULO", "SP", ("ENEL SP", "Enel"), ("SABESP", "Sabesp"),
         ("SPTRANS BILHETE UNICO", "SPTrans"),
         ("PREFEITURA DE SAO PAULO", "Prefeitura de São Paulo")),
    City("RIO DE JANEIRO", "RJ", ("LIGHT SESA", "Light"), ("AGUAS DO RIO", "Águas do Rio"),
         ("RIOCARD MAIS", "RioCard"),
         ("PREFEITURA DO RIO", "Prefeitura do Rio de Janeiro")),
    City("BELO HORIZONTE", "MG", ("CEMIG DISTRIBUICAO", "Cemig"), ("COPASA MG", "Copasa"),
         ("BHBUS RECARGA", "BHBus"),
         ("PREFEITURA DE BELO HORIZONTE", "Prefeitura de Belo Horizonte")),
    City("CURITIBA", "PR", ("COPEL DISTRIBUICAO", "Copel"), ("SANEPAR", "Sanepar"),
         ("URBS CARTAO TRANSPORTE", "URBS"),
         ("PREFEITURA DE CURITIBA", "Prefeitura de Curitiba")),
    City("PORTO ALEGRE", "RS", ("CEEE EQUATORIAL", "CEEE Equatorial"), ("DMAE POA", "DMAE"),
         ("TRI CARTAO POA", "TRI"),
         ("PREFEITURA DE PORTO ALEGRE", "Prefeitura de Porto Alegre")),
    City("RECIFE", "PE", ("NEOENERGIA PERNAMBUCO", "Neoenergia"), ("COMPESA", "Compesa"),
         ("VEM RECIFE RECARGA", "VEM"),
         ("PREFEITURA DO RECIFE", "Prefeitura do Recife")),
    City("SALVADOR", "BA", ("NEOENERGIA COELBA", "Coelba"), ("EMBASA", "Embasa"),
         ("SALVADOR CARD", "Salvador Card"),
         ("PREFEITURA DE SALVADOR", "Prefeitura de Salvador")),
    City("FORTALEZA", "CE", ("ENEL CE", "Enel"), ("CAGECE", "Cagece"),
         ("BILHETE UNICO FORTALEZA", "Bilhete Único Fortaleza"),
         ("PREFEITURA DE FORTALEZA", "Prefeitura de Fortaleza")),
    City("BRASILIA", "DF", ("NEOENERGIA BRASILIA", "Neoenergia"), ("CAESB", "Caesb"),
         ("BRB MOBILIDADE", "BRB Mobilidade"),
         ("GDF SEFAZ", "Secretaria de Economia do DF")),
    City("CAMPINAS", "SP", ("CPFL PAULISTA", "CPFL"), ("SANASA CAMPINAS", "Sanasa"),
         ("TRANSURC CAMPINAS", "Transurc"),
         ("PREFEITURA DE CAMPINAS", "Prefeitura de Campinas")),
    City("FLORIANOPOLIS", "SC", ("CELESC DISTRIBUICAO", "Celesc"), ("CASAN", "Casan"),
         ("FLORIPA CARD", "Floripa Card"),
         ("PREFEITURA DE FLORIANOPOLIS", "Prefeitura de Florianópolis")),
    City("GOIANIA", "GO", ("EQUATORIAL GOIAS", "Equatorial"), ("SANEAGO", "Saneago"),
         ("SITPASS RECARGA", "SitPass"),
         ("PREFEITURA DE GOIANIA", "Prefeitura de Goiânia")),
)  # fmt: skip

BANKS: tuple[Bank, ...] = (
    Bank("Nubank", "Nubank Conta", "Nubank Mastercard", "Nubank Caixinha", "investment",
         ("APLICACAO RDB", "RENDIMENTO RDB", "RESGATE RDB"), 95, 0, "",
         "PAGAMENTO DE FATURA", "prefix"),
    Bank("Itaú", "Itaú Conta Corrente", "Itaucard Visa Platinum", "Itaú Poupança", "savings",
         ("APLICACAO POUPANCA", "REND PAGO APLIC AUT", "RESGATE POUPANCA"), 62, 6290,
         "TAR PACOTE ITAU", "ITAUCARD FATURA", "suffix"),
    Bank("Bradesco", "Bradesco Conta Corrente", "Bradesco Visa Gold", "Bradesco Poupança",
         "savings", ("TRANSF P/ POUPANCA", "RENDIMENTO POUPANCA", "TRANSF DA POUPANCA"), 62,
         5195, "TARIFA BANCARIA CESTA EXCLUSIVE", "PAGTO CARTAO CREDITO", "suffix"),
    Bank("Banco do Brasil", "BB Conta Corrente", "Ourocard Visa", "BB Poupança", "savings",
         ("APLICACAO POUPANCA OURO", "RENDIMENTO POUPANCA", "RESGATE POUPANCA"), 62, 3890,
         "TARIFA PACOTE DE SERVICOS", "PAGTO OUROCARD", "suffix"),
    Bank("Santander", "Santander Conta", "Santander SX Visa", "Santander Poupança", "savings",
         ("APLICACAO POUPANCA", "REMUNERACAO POUPANCA", "RESGATE POUPANCA"), 62, 4550,
         "TARIFA MENSALIDADE PACOTE SERVICOS", "PAGAMENTO CARTAO CREDITO", "prefix"),
    Bank("Inter", "Inter Conta Digital", "Inter Mastercard Gold", "Inter Meu Porquinho",
         "investment", ("APLICACAO CDB", "RENDIMENTO CDB", "RESGATE CDB"), 92, 0, "",
         "PAGAMENTO FATURA INTER", "prefix"),
    Bank("Caixa", "Caixa Conta Corrente", "Caixa Elo Mais", "Caixa Poupança", "savings",
         ("CRED POUP", "CRED JUROS POUP", "DEB POUP"), 62, 2980, "CESTA DE SERVICOS",
         "PAG FATURA CARTAO CAIXA", "suffix"),
    Bank("C6 Bank", "C6 Conta Global", "C6 Carbon Mastercard", "C6 CDB", "investment",
         ("APLICACAO CDB C6", "RENDIMENTO CDB C6", "RESGATE CDB C6"), 93, 0, "",
         "PAGAMENTO FATURA C6", "prefix"),
)  # fmt: skip

EMPLOYERS: tuple[tuple[str, str], ...] = (
    ("AMBEV SA", "Ambev"),
    ("NATURA COSMETICOS SA", "Natura"),
    ("TOTVS SA", "Totvs"),
    ("LOCALIZA RENT A CAR SA", "Localiza"),
    ("WEG SA", "WEG"),
    ("HOSPITAL SANTA CRUZ LTDA", "Hospital Santa Cruz"),
    ("CONSTRUTORA HORIZONTE LTDA", "Construtora Horizonte"),
    ("COLEGIO ALFA EDUCACIONAL", "Colégio Alfa"),
    ("LOGISTICA TRANSBRASIL LTDA", "Transbrasil Logística"),
    ("TECNOLOGIA NUVEM BR LTDA", "Nuvem BR"),
    ("SUPERMERCADOS BOA COMPRA", "Boa Compra"),
    ("ESCRITORIO CONTABIL RAMOS", "Contábil Ramos"),
    ("STONE PAGAMENTOS SA", "Stone"),
    ("CLINICA VIDA PLENA LTDA", "Clínica Vida Plena"),
)

FREELANCE_CLIENTS: tuple[tuple[str, str], ...] = (
    ("AGENCIA CRIATIVA PIXEL LTDA", "Agência Pixel"),
    ("STUDIO DESIGN NORTE ME", "Studio Design Norte"),
    ("CONSULTORIA ALVES EIRELI", "Consultoria Alves"),
    ("EVENTOS PRIME LTDA", "Eventos Prime"),
)

LANDLORDS: tuple[tuple[str, str], ...] = (
    ("QUINTOANDAR ALUGUEL", "QuintoAndar"),
    ("LELLO IMOVEIS ALUGUEL", "Lello Imóveis"),
    ("AUXILIADORA PREDIAL", "Auxiliadora Predial"),
    ("APSA ADM IMOVEIS", "APSA"),
    ("LOFT ALUGUEL", "Loft"),
    ("IMOBILIARIA CENTRAL ALUGUEL", "Imobiliária Central"),
)

CONDOS: tuple[str, ...] = (
    "EDIFICIO SOLAR DAS FLORES", "RESIDENCIAL PARQUE VERDE", "EDIFICIO MIRANTE",
    "RESIDENCIAL VILA BELA", "EDIFICIO ATLANTICO", "RESIDENCIAL JARDIM DAS ACACIAS",
)  # fmt: skip

INTERNET: tuple[tuple[str, str, int], ...] = (
    ("VIVO FIBRA", "Vivo", 9990),
    ("CLARO NET VIRTUA", "Claro", 11990),
    ("TIM LIVE ULTRAFIBRA", "TIM", 9990),
    ("OI FIBRA", "Oi", 8990),
)

MOBILE: tuple[tuple[str, str, int], ...] = (
    ("VIVO CELULAR", "Vivo", 6500),
    ("CLARO MOVEL", "Claro", 5990),
    ("TIM CONTROLE", "TIM", 5499),
)

SCHOOLS: tuple[str, ...] = (
    "COLEGIO SANTA MARIA", "ESCOLA MONTEIRO LOBATO", "COLEGIO OBJETIVO", "COLEGIO ANGLO",
    "ESCOLA CRESCER", "COLEGIO POSITIVO",
)  # fmt: skip

SCHOOL_SUPPLIES = _m("KALUNGA", "Kalunga", "books", 30, 200, True)

HEALTH_PLANS: tuple[tuple[str, str], ...] = (
    ("UNIMED", "Unimed"),
    ("AMIL ASSISTENCIA MEDICA", "Amil"),
    ("SULAMERICA SAUDE", "SulAmérica"),
    ("BRADESCO SAUDE", "Bradesco Saúde"),
    ("HAPVIDA", "Hapvida"),
)

GYMS: tuple[Plan, ...] = (
    Plan("SMARTFIT", "Smart Fit", "fitness", 11990, 1000),
    Plan("BLUEFIT ACADEMIAS", "Bluefit", "fitness", 9990, 1000),
    Plan("WELLHUB GYMPASS", "Wellhub", "fitness", 14990, 1000),
    Plan("TOTALPASS", "TotalPass", "fitness", 12990, 1000),
)

STREAMING: tuple[Plan, ...] = (
    Plan("NETFLIX.COM", "Netflix", "streaming", 4490, 500),
    Plan("SPOTIFY", "Spotify", "streaming", 2190, 200),
    Plan("DISNEY PLUS", "Disney+", "streaming", 4390, 300),
    Plan("AMAZONPRIME BR", "Amazon Prime", "streaming", 1990, 200),
    Plan("GLOBOPLAY", "Globoplay", "streaming", 2490, 300),
    Plan("HBOMAX", "Max", "streaming", 3390, 300),
    Plan("GOOGLE YOUTUBEPREMIUM", "YouTube Premium", "streaming", 2690, 200),
)

SOFTWARE: tuple[Plan, ...] = (
    Plan("APPLE.COM/BILL", "Apple iCloud", "software", 1490, 200),
    Plan("GOOGLE ONE", "Google One", "software", 999, 100),
    Plan("MICROSOFT*365", "Microsoft 365", "software", 3600, 400),
)

SUPERMARKETS: tuple[Merchant, ...] = (
    _m("CARREFOUR HIPER", "Carrefour", "supermarket", 90, 520, True),
    _m("PAO DE ACUCAR", "Pão de Açúcar", "supermarket", 70, 460, True),
    _m("ASSAI ATACADISTA", "Assaí", "supermarket", 150, 780, True),
    _m("ATACADAO", "Atacadão", "supermarket", 140, 700, True),
    _m("SUPERMERCADO DIA", "Dia", "supermarket", 35, 220, True),
    _m("OXXO", "Oxxo", "supermarket", 12, 70),
    _m("HORTIFRUTI NATURAL DA TERRA", "Natural da Terra", "supermarket", 45, 230, True),
    _m("SUPERMERCADO BOM PRECO", "Bom Preço", "supermarket", 60, 400, True),
)

BAKERIES: tuple[Merchant, ...] = (
    _m("PADARIA PAO QUENTE", "Padaria Pão Quente", "bakery", 8, 45, True),
    _m("PANIFICADORA ESTRELA DO SUL", "Panificadora Estrela do Sul", "bakery", 7, 40, True),
    _m("PADARIA BELLA VISTA", "Padaria Bella Vista", "bakery", 9, 55, True),
    _m("PADARIA SAO DOMINGOS", "Padaria São Domingos", "bakery", 6, 38, True),
)

MARKETS: tuple[Merchant, ...] = (
    _m("PAG*JoseDaSilva", "José da Silva", "butcher_market", 25, 120),
    _m("PAG*FeiraDoTonho", "Feira do Tonho", "butcher_market", 20, 90),
    _m("ACOUGUE BOI DE OURO", "Açougue Boi de Ouro", "butcher_market", 60, 260, True),
    _m("SACOLAO SAO JORGE", "Sacolão São Jorge", "butcher_market", 30, 140, True),
)

RESTAURANTS: tuple[Merchant, ...] = (
    _m("OUTBACK STEAKHOUSE", "Outback", "dining_out", 140, 420, True),
    _m("COCO BAMBU", "Coco Bambu", "dining_out", 180, 520, True),
    _m("MADERO", "Madero", "dining_out", 90, 260, True),
    _m("RESTAURANTE SABOR CASEIRO", "Restaurante Sabor Caseiro", "dining_out", 35, 110, True),
    _m("CHURRASCARIA FOGO DE CHAO", "Fogo de Chão", "dining_out", 220, 650, True),
    _m("SUSHI YAMA", "Sushi Yama", "dining_out", 120, 380, True),
    _m("PIZZARIA BELLA NAPOLI", "Pizzaria Bella Napoli", "dining_out", 80, 240, True),
    _m("SPOLETO", "Spoleto", "dining_out", 35, 90),
    _m("BURGER KING", "Burger King", "dining_out", 30, 110),
    _m("MC DONALDS", "McDonald's", "dining_out", 30, 120),
)

BARS: tuple[Merchant, ...] = (
    _m("BAR DO ZE", "Bar do Zé", "bars", 45, 220, True),
    _m("BOTECO SAO BENTO", "Boteco São Bento", "bars", 60, 260, True),
    _m("PAG*BarDoTonho", "Bar do Tonho", "bars", 30, 150),
    _m("CERVEJARIA DOIS IRMAOS", "Cervejaria Dois Irmãos", "bars", 70, 300, True),
)

COFFEE: tuple[Merchant, ...] = (
    _m("STARBUCKS", "Starbucks", "coffee", 14, 48),
    _m("CAFE CAFEZAL", "Café Cafezal", "coffee", 9, 35, True),
    _m("MP*SORVETERIAGELATO", "Sorveteria Gelato", "coffee", 12, 40),
    _m("CASA DO PAO DE QUEIJO", "Casa do Pão de Queijo", "coffee", 10, 38),
)

DELIVERY: tuple[Merchant, ...] = (
    _m("IFD*RESTAURANTE SABOR", "iFood", "food_delivery", 35, 110),
    _m("IFD*MC DONALDS", "iFood", "food_delivery", 35, 95),
    _m("IFD*PIZZARIA DOM PEPE", "iFood", "food_delivery", 55, 140),
    _m("IFD*SUSHI KAZU", "iFood", "food_delivery", 70, 190),
    _m("IFD*BURGER HOUSE", "iFood", "food_delivery", 40, 110),
    _m("IFD*MARMITARIA DA VO", "iFood", "food_delivery", 25, 60),
    _m("RAPPI*RAPPI BRASIL", "Rappi", "food_delivery", 40, 150),
)

RIDES: tuple[Merchant, ...] = (
    _m("UBER *TRIP", "Uber", "ride_hailing", 9, 58),
    _m("UBER *TRIP HELP.UBER.COM", "Uber", "ride_hailing", 9, 58),
    _m("99APP *99POP", "99", "ride_hailing", 8, 50),
    _m("99 *99POP", "99", "ride_hailing", 8, 50),
)

FUEL: tuple[Merchant, ...] = (
    _m("POSTO SHELL JARDINS", "Shell", "fuel", 120, 330, True),
    _m("AUTO POSTO IPIRANGA CENTRO", "Ipiranga", "fuel", 110, 320, True),
    _m("POSTO PETROBRAS BR MANIA", "Petrobras", "fuel", 100, 310, True),
    _m("AUTO POSTO ALE AVENIDA", "ALE", "fuel", 100, 300, True),
)

PHARMACIES: tuple[Merchant, ...] = (
    _m("DROGASIL", "Drogasil", "pharmacy", 18, 190, True),
    _m("RAIA DROGASIL", "Droga Raia", "pharmacy", 18, 210, True),
    _m("DROGARIA SAO PAULO", "Drogaria São Paulo", "pharmacy", 15, 180, True),
    _m("PAGUE MENOS", "Pague Menos", "pharmacy", 15, 170, True),
    _m("PANVEL FARMACIAS", "Panvel", "pharmacy", 15, 170, True),
)

CAR_EXTRAS: tuple[Merchant, ...] = (
    _m("ESTAPAR ESTACIONAMENTOS", "Estapar", "parking_tolls", 12, 45),
    _m("SEM PARAR", "Sem Parar", "parking_tolls", 25, 140),
    _m("ZONA AZUL DIGITAL", "Zona Azul", "parking_tolls", 5, 20),
    _m("LAVA RAPIDO BRILHO", "Lava Rápido Brilho", "vehicle_maintenance", 40, 90, True),
)

CAR_SERVICE: tuple[Merchant, ...] = (
    _m("AUTO CENTER PNEUS FORTE", "Auto Center Pneus Forte", "vehicle_maintenance", 350, 1600),
    _m("OFICINA MECANICA DO CARLINHOS", "Oficina do Carlinhos", "vehicle_maintenance", 300, 1800),
    _m("CONCESSIONARIA REVISAO", "Concessionária", "vehicle_maintenance", 600, 1500),
)

SHOPPING: tuple[Merchant, ...] = (
    _m("LOJAS RENNER", "Renner", "clothing", 80, 380, True),
    _m("C&A MODAS", "C&A", "clothing", 60, 300, True),
    _m("RIACHUELO", "Riachuelo", "clothing", 60, 280, True),
    _m("CENTAURO", "Centauro", "clothing", 120, 520),
    _m("NETSHOES", "Netshoes", "clothing", 120, 450),
    _m("O BOTICARIO", "O Boticário", "personal_care", 50, 260, True),
    _m("NATURA COSMETICOS", "Natura", "personal_care", 45, 240),
    _m("BARBEARIA CORLEONE", "Barbearia Corleone", "personal_care", 45, 90, True),
    _m("SALAO BELEZA PURA", "Salão Beleza Pura", "personal_care", 60, 280, True),
    _m("LEROY MERLIN", "Leroy Merlin", "home_goods", 60, 480, True),
    _m("TOK&STOK", "Tok&Stok", "home_goods", 80, 600),
    _m("AMAZON BR", "Amazon", "online_marketplaces", 40, 350),
    _m("MERCADOLIVRE*VENDEDOR", "Mercado Livre", "online_marketplaces", 35, 320),
    _m("SHOPEE *SHOPEE", "Shopee", "online_marketplaces", 20, 160),
    _m("KALUNGA", "Kalunga", "books", 30, 200, True),
    _m("LIVRARIA LEITURA", "Livraria Leitura", "books", 40, 180, True),
)

LEISURE: tuple[Merchant, ...] = (
    _m("CINEMARK", "Cinemark", "cinema_shows", 40, 150, True),
    _m("INGRESSO.COM", "Ingresso.com", "cinema_shows", 45, 180),
    _m("SYMPLA *SHOW", "Sympla", "cinema_shows", 80, 450),
    _m("PLAYSTATION NETWORK", "PlayStation Store", "games_hobbies", 30, 300),
    _m("PARQUE AQUATICO ACQUA", "Acqua Park", "outings", 80, 320),
    _m("ZOOLOGICO MUNICIPAL", "Zoológico", "outings", 30, 120),
)

DOCTORS: tuple[Merchant, ...] = (
    _m("LAB FLEURY", "Fleury", "doctors", 80, 450),
    _m("DR CONSULTA", "Dr. Consulta", "doctors", 120, 350),
    _m("CLINICA SORRIR ODONTO", "Clínica Sorrir", "doctors", 150, 700, True),
)

# Foreign merchants: the card adds IOF on the next line, which is how most households meet IOF.
INTERNATIONAL: tuple[Merchant, ...] = (
    _m("STEAM PURCHASE SEATTLE", "Steam", "games_hobbies", 30, 250),
    _m("ALIEXPRESS", "AliExpress", "online_marketplaces", 40, 300),
    _m("OPENAI *CHATGPT SUBSCR", "OpenAI", "software", 105, 125),
    _m("AMAZON.COM US", "Amazon US", "online_marketplaces", 60, 500),
    _m("AIRBNB * HMXQ", "Airbnb", "lodging", 400, 1800),
)

# Purchases big enough to be split on the card ("parcelado sem juros").
BIG_TICKETS: tuple[Merchant, ...] = (
    _m("MAGAZINE LUIZA", "Magazine Luiza", "electronics", 1200, 5200),
    _m("CASAS BAHIA", "Casas Bahia", "home_goods", 900, 4800),
    _m("KABUM", "KaBuM!", "electronics", 900, 6500),
    _m("AMERICANAS", "Americanas", "electronics", 600, 3800),
    _m("MOBLY", "Mobly", "home_goods", 900, 5200),
    _m("SAMSUNG STORE", "Samsung", "electronics", 1400, 7200),
    _m("LATAM AIRLINES", "LATAM", "flights", 900, 4200),
    _m("GOL LINHAS AEREAS", "GOL", "flights", 700, 3600),
    _m("AZUL LINHAS AEREAS", "Azul", "flights", 800, 3900),
    _m("DECOLAR.COM", "Decolar", "lodging", 900, 4500),
)

BLACK_FRIDAY: tuple[Merchant, ...] = (
    _m("AMAZON BR", "Amazon", "electronics", 250, 2600),
    _m("KABUM", "KaBuM!", "electronics", 400, 3800),
    _m("MAGALU", "Magazine Luiza", "electronics", 300, 3500),
    _m("CASAS BAHIA", "Casas Bahia", "home_goods", 300, 3200),
    _m("MERCADOLIVRE*VENDEDOR", "Mercado Livre", "online_marketplaces", 120, 1500),
    _m("NETSHOES", "Netshoes", "clothing", 150, 700),
    _m("CENTAURO", "Centauro", "clothing", 150, 800),
    _m("SAMSUNG STORE", "Samsung", "electronics", 900, 4500),
)

CHRISTMAS: tuple[Merchant, ...] = (
    _m("RI HAPPY BRINQUEDOS", "Ri Happy", "gifts", 90, 450, True),
    _m("PBKIDS BRINQUEDOS", "PBKids", "gifts", 80, 400, True),
    _m("CACAU SHOW", "Cacau Show", "gifts", 40, 260, True),
    _m("KOPENHAGEN", "Kopenhagen", "gifts", 60, 320, True),
    _m("LIVRARIA CULTURA", "Livraria Cultura", "gifts", 60, 250),
    _m("O BOTICARIO", "O Boticário", "gifts", 80, 420, True),
)

CAR_INSURERS: tuple[tuple[str, str], ...] = (
    ("PORTO SEGURO AUTO", "Porto Seguro"),
    ("AZUL SEGUROS AUTO", "Azul Seguros"),
    ("TOKIO MARINE AUTO", "Tokio Marine"),
    ("HDI SEGUROS", "HDI"),
)

# Reserved for the "new merchant, large amount" anomaly: nothing else ever uses them, so the
# labelled line really is the household's first purchase there.
UNSEEN_MERCHANTS: tuple[Merchant, ...] = (
    _m("JOALHERIA VIVARA", "Vivara", "gifts", 2200, 6500, True),
    _m("FAST SHOP", "Fast Shop", "electronics", 2800, 8000),
    _m("CLINICA ESTETICA BELLE PELE", "Belle Pele", "personal_care", 1800, 5200, True),
    _m("CVC VIAGENS", "CVC", "travel_other", 2500, 9000),
    _m("HOSPITAL VETERINARIO PET CARE", "Pet Care", "other", 1500, 4800, True),
    _m("ODONTO EXCELLENCE IMPLANTES", "Odonto Excellence", "doctors", 2400, 7000, True),
    _m("LOJA DE MOVEIS PLANEJADOS ART", "Art Planejados", "home_goods", 3000, 9500),
    _m("CASSINO ONLINE BET*APOSTA", "Bet Aposta", "games_hobbies", 1500, 5000),
)

# People a household sends PIX to or gets PIX from; names as the receipt abbreviates them.
CONTACT_FIRST_NAMES: tuple[str, ...] = (
    "MARIA", "JOAO", "JOSE", "ANA", "CARLOS", "PAULO", "LUCIANA", "FRANCISCO", "SANDRA",
    "ANTONIO", "CLAUDIA", "MARCOS", "VANESSA", "RAIMUNDA", "SEBASTIAO", "CRISTINA",
)  # fmt: skip
