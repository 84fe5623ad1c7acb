"""Which phones may be sent a code: the clinic's countries, valid numbers, lines that take an SMS.

SMS pumping lives on premium-rate and far-away numbers the sender pays for; a clinic verifies its
own patients, so anything outside its countries, or not a mobile line, is refused before any send.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

# A number of the North American plan is FIXED_LINE_OR_MOBILE: its metadata cannot tell them apart.
_TEXTABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def country_codes(values: Iterable[str]) -> frozenset[int]:
    """Calling codes (`591`, `+54`) as numbers; ValueError for one that no country uses."""
    codes: set[int] = set()
    for value in values:
        text = value.strip().removeprefix("+")
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise ValueError(f"{value!r} is not a country calling code, e.g. 591")
        if phonenumbers.region_code_for_country_code(int(text)) == phonenumbers.UNKNOWN_REGION:
            raise ValueError(f"+{text} is no country's calling code")
        codes.add(int(text))
    if not codes:
        raise ValueError("name at least one country calling code, e.g. 591")
    return frozenset(codes)


def textable(phone: str, allowed_country_codes: Collection[int]) -> bool:
    """Whether `phone` (E.164) is a valid mobile number of an allowed country.

    The calling code is read from the numbering plan, not from a prefix of the text: `+1264…`
    (Anguilla) has calling code 1, and `+591…` is not `+59`.
    """
    country_code = _mobile_country_code(phone)
    return country_code is not None and country_code in allowed_country_codes


@lru_cache(maxsize=4096)
def _mobile_country_code(phone: str) -> int | None:
    """The calling code of `phone` when it is a valid number that takes texts; None otherwise. Remembered: patients
    write again and again from the same phones."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _TEXTABLE_TYPES:
        return None
    code: int | None = number.country_code
    return code
