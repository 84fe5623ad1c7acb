"""How personal data is shortened before it is written anywhere (logs, the audit log). No dependencies, so every
layer, the console's domain included, can use it without pulling in the web stack."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """`+59170123456` → `+591*****456`: enough to correlate, not enough to identify."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:4]}{'*' * (len(phone) - 7)}{phone[-3:]}"
