"""What the reply gate says of a reply: sendable, or the reason it is not."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Reason(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_SPANISH = "not_spanish"
    REPETITIVE = "repetitive"
    CONTACT_DETAILS = "contact_details"
    PHONE_NUMBER = "phone_number"
    MEDICAL_ADVICE = "medical_advice"
    FOREIGN_NAME = "foreign_name"
    NUMBER = "number"
    PRICE = "price"
    DAY_OR_DATE = "day_or_date"
    CLOCK_TIME = "clock_time"
    PAYMENT_OR_INSURER = "payment_or_insurer"
    CLINIC_FACT = "clinic_fact"
    ACTION_CLAIM = "action_claim"
    YES_NO_ANSWER = "yes_no_answer"
    GENDERED_ADDRESS = "gendered_address"
    WRONG_GREETING = "wrong_greeting"
    BROKEN_PUNCTUATION = "broken_punctuation"
    BROKEN_GRAMMAR = "broken_grammar"
    UNKNOWN_WORD = "unknown_word"
    UNFINISHED = "unfinished"
    UNPAIRED_MARK = "unpaired_mark"
    LOWERCASE_START = "lowercase_start"
    REPEATED_CLAUSE = "repeated_clause"
    BARE_ANSWER = "bare_answer"
    RELIGIOUS = "religious"
    CHEERFUL_TO_DISTRESS = "cheerful_to_distress"
    IGNORES_FEELING = "ignores_feeling"
    LOW_LOGPROB = "low_logprob"
    PERSONAL = "personal"  # fit for one patient, not to be cached for others (see `is_impersonal`)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # a `Reason` when not ok


PASSED: Final = Verdict(ok=True, reason=None)
