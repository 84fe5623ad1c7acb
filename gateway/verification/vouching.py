"""Who vouches for the sender of a message, and so for whom a verification holds.

A chat API key holder vouches that it authenticated the sender (Meta's signature or equivalent);
the WhatsApp webhook vouches for messages Meta signed for one of the clinic's numbers. A phone that
passes verification through one of them is verified only for that one: another key (or another
WhatsApp number) that claims the same phone must verify it again.
"""

from __future__ import annotations

from typing import NewType

VouchedBy = NewType("VouchedBy", str)


def by_api_key(key_id: int) -> VouchedBy:
    """The chat API key with id `key_id`."""
    return VouchedBy(f"api_key:{key_id}")


def by_whatsapp(phone_number_id: str) -> VouchedBy:
    """The clinic's WhatsApp number `phone_number_id`, whose webhook deliveries Meta signs."""
    return VouchedBy(f"whatsapp:{phone_number_id}")
