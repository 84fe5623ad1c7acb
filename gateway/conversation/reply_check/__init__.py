"""Whether a model's reply may go to a patient, and whether a patient asks for medical advice.

The assistant never diagnoses, doses or prescribes, and the model only makes small talk.
`check_generated` judges its text before it is sent: Spanish, not empty, not looping, no phone
numbers, contacts or strangers' names, no medical advice, no clinic facts (numbers, prices, days,
dates, times, insurers, payment methods, the address), no yes or no to a patient's question, no
gendered address ("señorita": the assistant says "usted"), no greeting wrong for the clinic's hour,
no blessing, nothing cheerful or indifferent to a patient who says they feel bad, finished and well
written (every sentence ends in ".", "!" or "?", "¿" and "¡" closed, a capital letter first, no clause
said twice, not only a yes, a no or a thanks), and fluent: every word a Spanish word (wordfreq's
Spanish list) or an allowed name, and the model's own mean log-probability of the reply above a
measured threshold (docs/reply-gate.md). On a failed check the caller sends one of
`replies.GATE_FALLBACKS` instead.
`asks_for_medical_advice` spots the patient questions that get `replies.NO_MEDICAL_ADVICE`.

Heuristics, tuned to refuse when unsure: a harmless reply lost is a template sent, a harmful one
sent cannot be taken back.

One module a job: `verdict` (what the gate says), `people` (contacts, phone numbers, names, and what
may be cached), `language` (Spanish or not, and the dictionary), `writing` (loops, punctuation,
grammar, finished sentences), `medicine` (advice in a reply), `facts` (clinic facts, claimed actions,
a yes or no), `tone` (address, greetings, religion, the patient's mood) and `advice_requests` (the
patient asking for advice).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from gateway.conversation.reply_check.advice_requests import asks_for_medical_advice
from gateway.conversation.reply_check.facts import answers_yes_or_no, claims_an_action, clinic_fact
from gateway.conversation.reply_check.language import MIN_ZIPF, looks_spanish, unknown_words
from gateway.conversation.reply_check.medicine import gives_medical_advice
from gateway.conversation.reply_check.people import foreign_names, has_contact_details, has_phone_number, is_impersonal
from gateway.conversation.reply_check.tone import (
    addresses_by_gender,
    greeting_out_of_time,
    misses_the_feeling,
    speaks_of_religion,
)
from gateway.conversation.reply_check.verdict import PASSED, Reason, Verdict
from gateway.conversation.reply_check.writing import badly_written, broken_grammar, broken_punctuation, is_repetitive

__all__ = [
    "MIN_ZIPF",
    "PASSED",
    "Reason",
    "Verdict",
    "asks_for_medical_advice",
    "check_generated",
    "is_impersonal",
    "unknown_words",
]


def check_generated(
    text: str,
    *,
    allowed_names: Collection[str] = (),
    patient_message: str | None = None,
    now: datetime | None = None,
    mean_logprob: float | None = None,
    min_logprob: float | None = None,
    max_chars: int = 600,
) -> Verdict:
    """Whether a generated reply may be sent.

    `allowed_names`: the patient's and the clinic doctors' names; `patient_message`: the message it
    answers (a yes or no to a question is refused); `now`: the clinic's local time (greetings must fit
    it); `mean_logprob`: the model's score of the reply, refused below `min_logprob`. A check whose
    input is not given is skipped.
    """
    text = text.strip()
    failures = _failures(
        text,
        allowed_names=allowed_names,
        patient_message=patient_message,
        now=now,
        low_logprob=mean_logprob is not None and min_logprob is not None and mean_logprob < min_logprob,
        max_chars=max_chars,
    )
    reason = next((reason for reason in failures if reason is not None), None)
    return PASSED if reason is None else Verdict(ok=False, reason=reason)


def _failures(
    text: str,
    *,
    allowed_names: Collection[str],
    patient_message: str | None,
    now: datetime | None,
    low_logprob: bool,
    max_chars: int,
) -> Iterator[Reason | None]:
    """The checks in the order they are tried, gravest and cheapest first: each a reason where the reply
    fails it, else None. A generator, so that no check runs after the first failure."""
    yield _when(not any(ch.isalnum() for ch in text), Reason.EMPTY)
    yield _when(len(text) > max_chars, Reason.TOO_LONG)
    yield _when(has_contact_details(text), Reason.CONTACT_DETAILS)
    yield _when(has_phone_number(text), Reason.PHONE_NUMBER)
    yield _when(not looks_spanish(text), Reason.NOT_SPANISH)
    yield _when(is_repetitive(text), Reason.REPETITIVE)
    yield _when(gives_medical_advice(text), Reason.MEDICAL_ADVICE)
    yield _when(bool(foreign_names(text, allowed_names=allowed_names)), Reason.FOREIGN_NAME)
    yield clinic_fact(text)
    yield _when(patient_message is not None and answers_yes_or_no(text, patient_message), Reason.YES_NO_ANSWER)
    yield _when(addresses_by_gender(text), Reason.GENDERED_ADDRESS)
    yield _when(claims_an_action(text), Reason.ACTION_CLAIM)
    yield _when(now is not None and greeting_out_of_time(text, now), Reason.WRONG_GREETING)
    yield _when(broken_punctuation(text), Reason.BROKEN_PUNCTUATION)
    yield _when(broken_grammar(text), Reason.BROKEN_GRAMMAR)
    yield _when(bool(unknown_words(text, allowed_names=allowed_names)), Reason.UNKNOWN_WORD)
    yield badly_written(text)
    yield _when(speaks_of_religion(text), Reason.RELIGIOUS)
    yield None if patient_message is None else misses_the_feeling(text, patient_message)
    yield _when(low_logprob, Reason.LOW_LOGPROB)


def _when(failed: bool, reason: Reason) -> Reason | None:
    return reason if failed else None
