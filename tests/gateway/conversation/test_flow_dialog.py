"""The dispatcher: what `Dialog.respond` answers itself (greetings, goodbyes, a hand-over, an emergency, small talk)
and what it hands to a flow or to the model; state in, message understood, state and reply out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import replies
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, Step
from gateway.understanding import understand
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.emergencies import Emergency
from gateway.understanding.intents import Intent
from gateway.understanding.small_talk import SmallTalk
from tests.support.dialog import LA_PAZ, MONDAY_9AM, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
JUST_THANKED = DialogState(farewell_at=MONDAY_9AM - timedelta(minutes=5))
AT_SPECIALTY = DialogState(flow=Flow.BOOK, step=Step.SPECIALTY)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


# (state in, message, the next state, the reply; None: the model or a template writes it)
ANSWERED = {
    "a greeting": (DialogState(), "hola", DialogState(), replies.GREETING),
    "thanks: a goodbye, remembered": (
        DialogState(),
        "muchas gracias",
        DialogState(farewell_at=MONDAY_9AM),
        replies.goodbye(9),
    ),
    "thanks at the confirmation end the flow": (
        AT_SPECIALTY.but(step=Step.CONFIRM),
        "gracias",
        DialogState(farewell_at=MONDAY_9AM),
        replies.goodbye(9),
    ),
    "'buenas noches' right after thanks: a goodbye again": (
        JUST_THANKED,
        "buenas noches",
        DialogState(),
        replies.goodbye_again(9),
    ),
    "an answer to nothing at a step asks again": (
        AT_SPECIALTY.but(step=Step.CONFIRM),
        "el perro ladra",
        AT_SPECIALTY.but(step=Step.CONFIRM),
        replies.ASK_CONFIRM_AGAIN,
    ),
    "feeling low: small talk, and the next message heard the same way": (
        DialogState(),
        "me siento muy sola",
        DialogState(feeling_low=True),
        None,
    ),
}


@pytest.mark.parametrize(("state", "says", "then", "reply"), ANSWERED.values(), ids=ANSWERED.keys())
async def test_answered(
    bench: DialogBench, state: DialogState, says: str, then: DialogState, reply: str | None
) -> None:
    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state, outcome.text, outcome.flag) == (then, reply, None)


async def test_a_hand_over_ends_the_flow_and_flags_the_conversation(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero hablar con una persona", AT_SPECIALTY)

    handed_over = DialogState(handed_over=True)
    assert (outcome.state, outcome.action, outcome.flag) == (handed_over, Action.HUMAN_HANDOFF, "human_handoff")


async def test_an_emergency_comes_before_any_flow(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "me duele mucho el pecho y no puedo respirar", AT_SPECIALTY)

    assert (outcome.action, outcome.flag) == (Action.EMERGENCY, "emergency")
    assert outcome.state.emergency is not None
    assert outcome.text is not None and "168" in outcome.text


async def _read_by_the_model_alone(bench: DialogBench, text: str) -> DialogState:
    """The state after `text` was answered as self-harm that only the learned model read."""
    understood = replace(
        understand(text, now=bench.now, tz=LA_PAZ),
        intent=Intent.EMERGENCY,
        emergency=Emergency.SELF_HARM,
        emergency_learned=True,
    )
    outcome = await bench.say(MARIA, text, understood=understood)
    assert outcome.action is Action.EMERGENCY and outcome.state.emergency is not None
    return outcome.state


@pytest.mark.parametrize("says", ["noo perdon, no es eso", "se confundio, era otra cosa", "nada que ver jaja"])
async def test_an_emergency_the_model_alone_read_is_called_off_in_plain_words(bench: DialogBench, says: str) -> None:
    # QA: "no es eso" and "se confundió" kept a patient misread as in crisis in crisis follow-ups.
    state = await _read_by_the_model_alone(bench, "ya me canse de esperar, ya no quiero estar aqui en la fila")

    outcome = await bench.say(MARIA, says, state)

    assert outcome.text == replies.EMERGENCY_NOT_ONE and outcome.state.emergency is None


async def test_no_es_eso_does_not_end_self_harm_the_patterns_read(bench: DialogBench) -> None:
    crisis = await bench.say(MARIA, "tengo ganas de cortarme")

    outcome = await bench.say(MARIA, "no es eso", crisis.state)

    assert outcome.action is Action.EMERGENCY and outcome.state.emergency is not None


async def test_what_no_flow_answers_goes_to_the_model(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "mi perro se llama Toby")

    assert (outcome.state, outcome.text, outcome.small_talk) == (DialogState(), None, None)


async def test_the_next_message_after_feeling_low_is_heard_the_same_way(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "mis hijos ya no me visitan", DialogState(feeling_low=True))

    assert (outcome.state, outcome.text, outcome.small_talk) == (DialogState(), None, SmallTalk.FEELING_LOW)


async def test_a_clinic_question_is_answered_and_remembered(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "¿cuánto cuesta la consulta de pediatría?")

    assert outcome.state == DialogState(asked_about=(ClinicTopic.PRICES,))
    assert outcome.text is not None and "Pediatría" in outcome.text


async def test_a_bare_specialty_after_a_price_asks_the_price_again(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "¿y cardiología?", DialogState(asked_about=(ClinicTopic.PRICES,)))

    assert outcome.state == DialogState(asked_about=(ClinicTopic.PRICES,))
    assert outcome.text is not None and "Cardiología" in outcome.text


async def test_a_question_at_a_step_is_answered_and_the_step_asked_again(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "¿a qué hora abren?", AT_SPECIALTY)

    assert outcome.state == AT_SPECIALTY
    names = [bench.clinic.specialty_name(code) for code in bench.clinic.offered_specialties()]
    assert outcome.text is not None and outcome.text.endswith(f"\n\n{replies.ask_specialty(names)}")


async def test_a_booking_with_a_price_question_gets_both(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero una cita con pediatría, ¿cuánto cuesta?")

    assert outcome.state.step is Step.SLOT_CHOICE
    assert outcome.text is not None and "\n\n" in outcome.text and "Pediatría" in outcome.text.split("\n\n")[0]
