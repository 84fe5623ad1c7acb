"""What is stored of a patient's answer to a verification question, step by step."""

from __future__ import annotations

import pytest

from gateway.conversation.redaction import redact_inbound, stored_forms
from gateway.conversation.state import DialogState, Step


@pytest.mark.parametrize(
    ("step", "text", "stored"),
    [
        (Step.CODE, "123456", "[código]"),
        (Step.CODE, "mi código es 123 456, gracias", "mi código es [código], gracias"),
        (Step.CODE, "12-34-56", "[código]"),
        (Step.CODE, "12345", "[código]"),  # a mistyped code is still most of one
        (Step.CODE, "reenviar", "reenviar"),
        (Step.CODE, "la 2", "la 2"),
        (Step.IDENTITY, "12/03/1985", "[fecha de nacimiento]"),
        (Step.IDENTITY, "Nací el 12 de Marzo de 1985", "Nací el [fecha de nacimiento]"),
        (Step.IDENTITY, "1985-03-12", "[fecha de nacimiento]"),
        (Step.IDENTITY, "son 0001", "son [dígitos]"),
        (Step.IDENTITY, "12/03", "[dígitos]/[dígitos]"),
        (Step.REGISTER_BIRTH_DATE, "12-03-85", "[fecha de nacimiento]"),
        (Step.REGISTER_DOCUMENT, "4567891 LP", "[documento] LP"),
        (Step.REGISTER_DOCUMENT, "4567891-1A LP", "[documento] LP"),
        (Step.REGISTER_DOCUMENT, "quiero cancelar", "quiero cancelar"),
        (Step.REGISTER_NAME, "Pedro Alanoca Mamani", "Pedro Alanoca Mamani"),
        (None, "¿Atienden el 12/03 a las 10:30?", "¿Atienden el 12/03 a las 10:30?"),
        (None, "cancelar la cita 3F2A91C0", "cancelar la cita 3F2A91C0"),
        (None, "me llegó el 654321", "me llegó el [código]"),
        (Step.SLOT_CHOICE, "654321.", "[código]."),
    ],
)
def test_answers_to_verification_questions_are_replaced_by_tokens(step: Step | None, text: str, stored: str) -> None:
    assert redact_inbound(text, step) == stored


@pytest.mark.parametrize(
    "text",
    ["123456", "Nací el 12 de Marzo de 1985", "son 0001", "4567891-1A LP", "me llegó el 654321", "Hola", "la 2"],
)
def test_the_forms_stored_before_the_step_is_known_are_what_each_step_would_store(text: str) -> None:
    forms = stored_forms(text)

    # Postgres picks the form by the stored step (chat_turn_begin); any step it does not name gets ''.
    for step in [None, *Step]:
        assert forms.get("" if step is None else step.value, forms[""]) == redact_inbound(text, step)


def test_a_state_saved_when_the_question_was_the_last_four_digits_still_reads() -> None:
    state = DialogState.model_validate({"step": "last4", "last4_failures": 2})

    assert (state.step, state.identity_failures) == (Step.IDENTITY, 2)
    assert Step("last4") is Step.IDENTITY
