"""Brazilian taxpayer numbers (CPF for people, CNPJ for companies) with valid check digits.

Importers and the categoriser validate these, so fake numbers must pass the same modulo-11 test
a real one does.
"""

from __future__ import annotations

import random
from functools import lru_cache

_CNPJ_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def _mod11_digit(total: int) -> int:
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def _cpf_digit(digits: list[int]) -> int:
    weight = len(digits) + 1
    return _mod11_digit(sum(d * (weight - i) for i, d in enumerate(digits)))


def _cnpj_digit(digits: list[int]) -> int:
    weights = _CNPJ_WEIGHTS[-len(digits) :]
    return _mod11_digit(sum(d * w for d, w in zip(digits, weights, strict=True)))


def make_cpf(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    if len(set(digits)) == 1:
        # Repeated digits pass the arithmetic but every validator rejects them.
        digits[0] = (digits[0] + 1) % 10
    digits.append(_cpf_digit(digits))
    digits.append(_cpf_digit(digits))
    return "".join(map(str, digits))


def make_cnpj(rng: random.Random) -> str:
    # Eight root digits, then branch 0001 (the head office), as most payees on a statement are.
    digits = [rng.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    digits.append(_cnpj_digit(digits))
    digits.append(_cnpj_digit(digits))
    return "".join(map(str, digits))


@lru_cache(maxsize=1024)
def cnpj_for(company: str) -> str:
    """The same company gets the same CNPJ in every household, as it would in real data."""
    return make_cnpj(random.Random(f"cnpj:{company}"))  # noqa: S311 - fake data, not secrets


def is_valid_cpf(value: str) -> bool:
    if len(value) != 11 or not value.isdigit() or len(set(value)) == 1:
        return False
    digits = [int(c) for c in value]
    return _cpf_digit(digits[:9]) == digits[9] and _cpf_digit(digits[:10]) == digits[10]


def is_valid_cnpj(value: str) -> bool:
    if len(value) != 14 or not value.isdigit() or len(set(value)) == 1:
        return False
    digits = [int(c) for c in value]
    return _cnpj_digit(digits[:12]) == digits[12] and _cnpj_digit(digits[:13]) == digits[13]
