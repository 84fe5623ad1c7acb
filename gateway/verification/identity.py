"""The knowledge check asked before an SMS code: something the patient knows and the sender's number does not say.

The default is the date of birth registered with the clinic. The last 4 digits of the registered phone
remain for clinics that insist, though anyone who knows the number (every impersonator does) knows them.
"""

from __future__ import annotations

import hmac
from datetime import date
from enum import StrEnum


class KnowledgeCheck(StrEnum):
    """What the patient is asked to prove who they are (setting KNOWLEDGE_CHECK)."""

    DATE_OF_BIRTH = "date_of_birth"
    LAST4 = "last4"


def birth_date_matches(on_file: date | None, offered: date) -> bool:
    """Whether `offered` is the date of birth on file, compared in constant time; never when none is on file."""
    expected = on_file.isoformat() if on_file is not None else "----------"
    return hmac.compare_digest(expected.encode(), offered.isoformat().encode()) and on_file is not None
