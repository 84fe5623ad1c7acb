"""What is kept of a patient's message: answers to verification questions are replaced before storage.

The dialog reads the message as written; the `messages` table (and so the model, which is shown the
stored history, and the reply cache, keyed on it) keeps these tokens instead:

    [código]                an SMS code: any run of 4 or more digits while a code is awaited, and a lone
                            6-digit number at any time (the assistant asks for no other)
    [fecha de nacimiento]   anything written like a date, while the date of birth is asked
    [dígitos]               any other digits while the identity question is asked (the phone's last 4)
    [documento]             the carnet number, while registration asks for it

Which question the message answers is read from the dialog step stored before it.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.conversation.state import Step
from gateway.understanding.birthdates import redact_dates

CODE: Final = "[código]"
BIRTH_DATE: Final = "[fecha de nacimiento]"
DIGITS: Final = "[dígitos]"
DOCUMENT: Final = "[documento]"

# Digits as the dialog reads an answer: "123456", "123 456", "12-34-56" (choices.digits).
_DIGIT_RUN = re.compile(r"\d(?:[\s.-]?\d)*")
_LONE_SIX_DIGITS = re.compile(r"(?<![\w.-])\d{6}(?![\w-]|[.,]\d)")
# A carnet: its digits, a duplicate's complement ("-1A") and the department ("LP").
_DOCUMENT = re.compile(r"\d(?:[\s.-]?\d)*(?:-?[0-9A-Za-z]{1,2}\b)?")


def redact_inbound(text: str, step: Step | None) -> str:
    """What to store of `text`, a patient's answer to the question behind `step` (None: nothing asked)."""
    if step is Step.CODE:
        text = _DIGIT_RUN.sub(lambda run: CODE if _digit_count(run[0]) >= 4 else run[0], text)
    elif step in (Step.IDENTITY, Step.REGISTER_BIRTH_DATE):
        text = _DIGIT_RUN.sub(DIGITS, redact_dates(text, BIRTH_DATE))
    elif step is Step.REGISTER_DOCUMENT:
        text = _DOCUMENT.sub(DOCUMENT, text)
    return _LONE_SIX_DIGITS.sub(CODE, text)


def _digit_count(run: str) -> int:
    return sum(c.isdigit() for c in run)


# The steps whose answers are redacted beyond a lone code (redact_inbound).
_REDACTING_STEPS: Final = (Step.CODE, Step.IDENTITY, Step.REGISTER_BIRTH_DATE, Step.REGISTER_DOCUMENT)


def stored_forms(text: str) -> dict[str, str]:
    """What to store of `text` by the step it answers: '' for any step not named (none asked, or one whose
    answer is kept as written). For storing a message before its step is read (`repository.begin_turn`)."""
    plain = redact_inbound(text, None)
    forms = {"": plain}
    # Only digits are ever redacted: without any, every form is the plain one.
    if any(ch.isdigit() for ch in text):
        for step in _REDACTING_STEPS:
            form = redact_inbound(text, step)
            if form != plain:
                forms[step.value] = form
    return forms
