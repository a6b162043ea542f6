"""Merchant normalisation and the built-in base categoriser (cold start)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.categorisation import base
from shared.categorisation.base import BaseCategoriser, load_lexicon
from shared.categorisation.merchant import normalise_merchant
from shared.categorisation.model import LineToCategorise
from shared.domain.taxonomy import PARENT_OF, walk


@pytest.mark.parametrize(
    ("raw", "name", "via", "transfer"),
    [
        ("IFD*PIZZARIA DOM PEPE", "Pizzaria Dom Pepe", "ifood", None),
        ("PAG*BarDoTonho", "Bar do Tonho", None, None),
        ("MP*SORVETERIA GELATO", "Sorveteria Gelato", "mercado pago", None),
        ("PP*NETFLIX.COM", "Netflix", "paypal", None),
        ("EC *LOJA DO ZE", "Loja do Ze", None, None),
        ("UBER *TRIP HELP.UBER.COM", "Uber", None, None),
        ("PICPAY*JOAO SILVA", "Joao Silva", "picpay", None),
        ("PARCELA 3/10 NETSHOES", "Netshoes", None, None),
        ("MAGALU 03/12", "Magalu", None, None),
        ("COMPRA CARTAO DEB MC DONALDS FINAL 1234", "Mc Donalds", None, None),
        ("PADARIA BELLA VISTA RIO DE JANEIR BR", "Padaria Bella Vista", None, None),
        ("AUTO POSTO IPIRANGA CE CURITIBA BR", "Auto Posto Ipiranga", None, None),
        ("PIX ENVIADO CLAUDIA O", "Claudia O", None, "pix_sent"),
        ("Pix recebido - Maria Souza", "Maria Souza", None, "pix_received"),
        ("TED RECEBIDA STONE PAGAMENTOS SA", "Stone Pagamentos", None, "ted_received"),
        ("  farmácia   são  joão  ", "Farmácia São João", None, None),
    ],
)
def test_merchants_come_out_of_their_descriptors(
    raw: str, name: str, via: str | None, transfer: str | None
) -> None:
    merchant = normalise_merchant(raw)

    assert (merchant.name, merchant.via, merchant.transfer) == (name, via, transfer)
    assert merchant.key == merchant.key.lower()


def test_the_key_folds_accents_for_matching_only() -> None:
    merchant = normalise_merchant("PÃO DE AÇÚCAR")
    assert (merchant.name, merchant.key) == ("Pão de Açúcar", "pao de acucar")


def _slug(description: str, amount: str = "-10.00") -> str | None:
    return BaseCategoriser().one(LineToCategorise(description, Decimal(amount))).slug


@pytest.mark.parametrize(
    ("description", "amount", "slug"),
    [
        ("IFD*PIZZARIA DOM PEPE", "-59.90", "food_delivery"),
        ("RAPPI*RAPPI BRASIL", "-32.00", "food_delivery"),
        ("UBER *TRIP HELP.UBER.COM", "-18.40", "ride_hailing"),
        ("99APP *99POP", "-12.00", "ride_hailing"),
        ("POSTO SHELL JARDINS", "-200.00", "fuel"),
        ("AUTO POSTO IPIRANGA", "-150.00", "fuel"),
        ("AUTO POSTO SAO JORGE", "-150.00", "fuel"),
        ("RAIA DROGASIL", "-45.00", "pharmacy"),
        ("PAGUE MENOS 123", "-20.00", "pharmacy"),
        ("PAO DE ACUCAR 1234", "-320.00", "supermarket"),
        ("CARREFOUR HIPER", "-410.00", "supermarket"),
        ("ASSAI ATACADISTA", "-600.00", "supermarket"),
        ("ATACADAO SA", "-500.00", "supermarket"),
        ("NETFLIX.COM", "-55.90", "streaming"),
        ("SPOTIFY BRASIL", "-21.90", "streaming"),
        ("AMAZON BR", "-99.00", "online_marketplaces"),
        ("MERCADOLIVRE*VENDEDOR", "-80.00", "online_marketplaces"),
        ("MAGALU", "-1200.00", "electronics"),
        ("SHOPEE *SHOPEE", "-35.00", "online_marketplaces"),
        ("PAG BOLETO SABESP", "-95.00", "water"),
        ("DEB AUT ENEL CE", "-180.00", "electricity"),
        ("PAG BOLETO CEMIG DISTRIBUICAO", "-210.00", "electricity"),
        ("CLARO MOVEL", "-60.00", "phone"),
        ("VIVO FIBRA", "-120.00", "internet"),
        ("TIM CONTROLE", "-50.00", "phone"),
        ("IOF COMPRA INTERNACIONAL", "-3.50", "iof"),
        ("TARIFA BANCARIA CESTA", "-45.00", "bank_fees"),
        ("JUROS CHEQUE ESPECIAL", "-12.30", "interest_charges"),
        ("IPVA 2026 COTA UNICA", "-1500.00", "vehicle_tax"),
        ("PREFEITURA IPTU 2026", "-900.00", "property_tax"),
        ("DARF RECEITA FEDERAL", "-300.00", "income_tax"),
        ("SALARIO EMPRESA XYZ", "5000.00", "salary"),
        ("PIX RECEBIDO SALARIO CONSTRUTORA", "4200.00", "salary"),
        ("PAGAMENTO FATURA CARTAO", "-2300.00", "card_payment"),
        ("PIX ENVIADO JOAO SILVA", "-100.00", "transfer_sent"),
        ("PIX RECEBIDO MARIA SOUZA", "100.00", "transfer_received"),
        ("ESTORNO RIACHUELO", "89.90", "refunds"),
    ],
)
def test_the_base_knows_well_known_merchants_and_words(
    description: str, amount: str, slug: str
) -> None:
    assert _slug(description, amount) == slug


def test_money_in_is_never_an_expense_and_money_out_never_income() -> None:
    assert _slug("SUPERMERCADO BOM PRECO", "-50.00") == "supermarket"
    assert _slug("SUPERMERCADO BOM PRECO", "50.00") is None
    assert _slug("SALARIO", "-50.00") is None


def test_an_unknown_line_is_undecided_and_says_so() -> None:
    verdict = BaseCategoriser().one(LineToCategorise("XPTO 4471 ZZ", Decimal("-10")))
    assert (verdict.slug, verdict.confidence, verdict.source) == (None, 0.0, "base")
    assert verdict.evidence


def test_a_verdict_explains_itself() -> None:
    verdict = BaseCategoriser().one(LineToCategorise("IFD*PIZZARIA DOM PEPE", Decimal("-5")))
    assert verdict.evidence == "'ifd' names food_delivery"
    assert verdict.merchant == "Pizzaria Dom Pepe"
    assert 0.6 <= verdict.confidence <= 1


def test_the_lexicon_names_only_categories_of_the_taxonomy_and_each_phrase_once() -> None:
    raw = json.loads(Path(base.__file__).with_name("base_lexicon.json").read_text())
    slugs = {seed.slug for seed, _ in walk()}
    owners: dict[str, str] = {}
    for section in ("brands", "keywords"):
        for slug, phrases in raw[section].items():
            assert slug in slugs
            for phrase in phrases:
                assert owners.setdefault(phrase, slug) == slug, phrase
    assert len(load_lexicon()) == len(owners)


def test_top_level_slugs_are_reachable() -> None:
    assert PARENT_OF[_slug("IFD*PIZZARIA", "-1") or ""] == "restaurants"


@given(st.text(max_size=300), st.decimals(allow_nan=False, allow_infinity=False, places=2))
def test_any_text_gets_a_verdict(description: str, amount: Decimal) -> None:
    verdict = BaseCategoriser().one(LineToCategorise(description, amount))
    assert verdict.source == "base"


def test_a_ten_thousand_character_description_is_handled() -> None:
    verdict = BaseCategoriser().one(LineToCategorise("PADARIA " * 1250, Decimal("-1")))
    assert verdict.slug == "bakery"
