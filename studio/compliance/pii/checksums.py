"""Check digits of Chinese identifiers and card numbers."""

from __future__ import annotations

from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def resident_id_valid(value: str) -> bool:
    """18-character resident ID: region, a real birth date, sequence, MOD 11-2 check character."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return False
    if value[0] == "0" or not birth_date_valid(value[6:14]):
        return False
    return resident_id_check_char(value[:17]) == value[17]


def birth_date_valid(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass Luhn (used to build test data)."""
    return next(d for d in "0123456789" if luhn_valid(partial + d))


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17.upper(), _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(value: str) -> bool:
    """GB 32100-2015 unified social credit code: 18 characters of its alphabet, MOD 31 check character."""
    value = value.upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    if not value[2:8].isdigit():  # administrative division code
        return False
    return uscc_check_char(value[:17]) == value[17]
