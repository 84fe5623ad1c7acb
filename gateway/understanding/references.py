"""The appointment references patients are shown and write back ("ref. 3F2A91C0"), found in a message.

A reference is an opaque code: read as words it becomes "acb 0 de 8 b 0", and "acb" is close to "acv" (a stroke).
`understand` reads a message with its references set aside; the conversation matches them to appointments.
"""

from __future__ import annotations

import re
from typing import Final
from uuid import UUID

UUID_PATTERN: Final = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
# The short reference shown next to each appointment: its id's first 8 hex digits (letters and digits both, or
# eight digits).
SHORT_PATTERN: Final = re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8}\b|\b\d{8}\b")
# What `without_references` leaves in a reference's place: a word no pattern reads.
_PLACEHOLDER: Final = " referencia "
# Only the references with a letter in them: eight digits alone may be a date ("21051987") and read as one.
_CODES: Final = re.compile(UUID_PATTERN.pattern + r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8}\b")


def appointment_reference(text: str) -> str | None:
    """A full appointment id, or the 8-digit reference shown to patients, lower-case; None if absent."""
    full = UUID_PATTERN.search(text)
    if full is not None:
        return str(UUID(full.group(0)))
    short = SHORT_PATTERN.search(text)
    return short.group(0).lower() if short is not None else None


def without_references(text: str) -> str:
    """`text` with every reference that has a letter in it replaced by the word "referencia"."""
    return _CODES.sub(_PLACEHOLDER, text)
