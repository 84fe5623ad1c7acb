"""The dialog manager: one message and the stored state in, a reply and the next state out.

Booking, cancelling, rescheduling and listing are deterministic flows: the assistant asks for what
is missing, offers at most a few concrete free slots, and asks for an explicit "sí" before it
changes anything. Before it shows or changes a patient's data the phone must be verified: the
last four digits of the registered number, then a code sent by SMS. A message that belongs to no
flow gets `text=None`, and the caller asks the model.

`Dialog` only dispatches: emergencies, a hand-over and small talk are answered here, and each step goes to the
flow that asked it (gateway/conversation/flows/).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from appointments import clinic_info
from appointments.schemas import Patient
from gateway import audit
from gateway.conversation import choices, clinic_answers, emergency, replies
from gateway.conversation.buttons import ButtonKind, bare_title, offer_button, reminder_button
from gateway.conversation.flows.booking import Booking
from gateway.conversation.flows.changes import Changes
from gateway.conversation.flows.common import (
    EXPLICIT_INTENT,
    TO_A_PERSON,
    Clinic,
    Courtesy,
    DialogSettings,
    Outcome,
    Turn,
    has_details,
)
from gateway.conversation.flows.confirmation import Confirmation
from gateway.conversation.flows.family import Family
from gateway.conversation.flows.listing import Listing
from gateway.conversation.flows.minds import ChangesOfMind
from gateway.conversation.flows.questions import Questions
from gateway.conversation.flows.reminders import Reminders, unasked
from gateway.conversation.flows.verification import VERIFYING, Verification
from gateway.conversation.flows.waitlist import FLOWS as WAITLIST_FLOWS
from gateway.conversation.flows.waitlist import Waitlist
from gateway.conversation.reply import Action
from gateway.conversation.reply_check import asks_for_medical_advice
from gateway.conversation.state import DialogState, Flow, Step, Whom, Wishes
from gateway.db import Connection
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.dates import next_week
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import Understanding
from gateway.understanding.normalize import normalize
from gateway.understanding.reminders import reminders_wish
from gateway.understanding.small_talk import SmallTalk
from gateway.understanding.waitlist import waitlist_wish
from gateway.verification.otp import OtpService

__all__ = ["TO_A_PERSON", "Clinic", "Dialog", "DialogSettings", "Outcome", "Turn"]

_FLOW_OF = {
    Intent.SCHEDULE_APPOINTMENT: Flow.BOOK,
    Intent.CANCEL_APPOINTMENT: Flow.CANCEL,
    Intent.RESCHEDULE_APPOINTMENT: Flow.RESCHEDULE,
    Intent.LIST_APPOINTMENTS: Flow.LIST,
}
# The confidence `intents.classify` gives a message that is only a date, a time, a specialty or a doctor.
_BARE_DETAIL = 0.6


class Dialog:
    """Runs one turn of a conversation inside the caller's transaction on `conn`.

    It is also what the flows share for the turn: the connection, the verification service, the clinic, the
    settings, the audit trail, and each other (a verified patient is handed back here to go on with the flow).
    """

    def __init__(self, conn: Connection, *, otp: OtpService, clinic: Clinic, settings: DialogSettings) -> None:
        self.conn = conn
        self.otp = otp
        self.clinic = clinic
        self.settings = settings
        # (action, outcome) of every audit entry this turn wrote, for the caller's metrics.
        self.audited: list[tuple[str, str]] = []
        self.verification = Verification(self)
        self.booking = Booking(self)
        self.minds = ChangesOfMind(self)
        self.changes = Changes(self)
        self.confirmation = Confirmation(self)
        self.family = Family(self)
        self.listing = Listing(self)
        self.questions = Questions(self)
        self.reminders = Reminders(self)
        self.waitlist = Waitlist(self)

    async def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        target: str | None = None,
        detail: dict[str, str | int | float | bool | None] | None = None,
    ) -> None:
        """Write an audit entry in the turn's transaction and remember it for the caller's metrics."""
        await audit.record(self.conn, actor=actor, action=action, outcome=outcome, target=target, detail=detail)
        self.audited.append((action, outcome))

    # --- entry ------------------------------------------------------------------------------

    async def respond(self, state: DialogState, turn: Turn) -> Outcome:
        """The reply to `turn` given the conversation's `state`."""
        tapped = reminder_button(turn.text)
        if tapped is not None:
            # A reminder's button, tapped whatever the conversation was doing: about that appointment only.
            return await self.reminders.button(state.in_emergency(None), turn, tapped)
        offered = offer_button(turn.text)
        if offered is not None:
            # A waitlist offer's button: about that freed slot only.
            return await self.waitlist.button(state.in_emergency(None), turn, offered)
        # Before any emergency the learned model alone read: "ya no quiero estar en la lista, sáqueme" asks to leave
        # our waitlist, and QA met it answered as self-harm. Words the patterns read as one still come first.
        on_the_list = waitlist_wish(turn.text)
        if on_the_list is not None and _only_the_model_saw_an_emergency(state, turn.understood):
            not_one = replace(turn.understood, intent=Intent.OTHER, emergency=None, emergency_learned=False)
            return await self.waitlist.wish(state.in_emergency(None), replace(turn, understood=not_one), on_the_list)
        intent = turn.understood.intent
        # An offer to book is answered by the very next message, or not at all.
        offered_booking, state = state.offered_booking, state.but(offered_booking=False)
        urgent = emergency.answer(
            state,
            turn.understood,
            turn.text,
            now=turn.now,
            contacts=self.settings.contacts,
            lasts=self.settings.emergency_lasts,
        )
        if urgent is not None:
            if urgent.ongoing:
                return Outcome(urgent.state, urgent.text, Action.EMERGENCY, flag="emergency")
            if urgent.called_off and (intent in _FLOW_OF or intent is Intent.CLINIC_INFO):
                # "No, entendió mal, solo quería una cita": called off, and what else it asks is answered.
                outcome = await self.respond(urgent.state, turn)
                return replace(outcome, text=f"{replies.EMERGENCY_CALLED_OFF} {outcome.text}")
            return Outcome(urgent.state, urgent.text)
        if state.emergency is not None:
            state = state.in_emergency(None)  # it is over, or the patient moved on
        # Before the reminders' words: "darme de baja de la lista de espera" leaves the list, not the reminders.
        if on_the_list is not None:
            return await self.waitlist.wish(state, turn, on_the_list)
        wish = reminders_wish(turn.text)
        if wish is not None:
            return await self.reminders.wish(state, turn, wish)
        if state.step is not None or state.flow is not None:
            # An offer sent after the last answer is the newest thing the clinic said: "la tomo" answers it.
            answered_offer = await self.waitlist.answer_words(state, turn)
            if answered_offer is not None:
                return answered_offer
        if state.step is Step.REMINDERS_CONSENT:
            consented = await self.reminders.answer(state, turn)
            if consented is not None:
                return consented
            state = unasked(state)  # another matter: the question is left unanswered
        if state.step is None and state.flow is None:
            answered_offer = await self.waitlist.answer_words(state, turn)
            if answered_offer is not None:
                return answered_offer
        if state.step is None and bare_title(turn.text) is ButtonKind.CONFIRM:
            # "Confirmar" with no payload names no appointment: nothing is confirmed, and the patient is told how.
            return Outcome(state, replies.CONFIRM_WITHOUT_APPOINTMENT)
        if intent is Intent.HUMAN_HANDOFF:
            complaint = turn.understood.complaint
            if state.handed_over:
                # "Me atendieron pésimo…" after "quiero poner un reclamo": what happened, for the person already
                # called; the same hand-over sentence again would read as if nobody listened.
                text = replies.handoff_noted(complaint=complaint)
                return Outcome(state, text, Action.HUMAN_HANDOFF, flag="human_handoff")
            # At night nobody answers "lo antes posible": say when someone will.
            opens = clinic_answers.opens_next((await clinic_info.load(self.conn)).hours, turn.now)
            text = replies.human_handoff(opens, self.settings.contacts.number, complaint=complaint)
            return Outcome(state.idle().but(handed_over=True), text, Action.HUMAN_HANDOFF, flag="human_handoff")
        asked_about, state = state.asked_about, state.but(asked_about=())
        if (
            intent is not Intent.CLINIC_INFO
            and asked_about
            and _follows_a_clinic_answer(state, asked_about, turn.understood, turn.text)
        ):
            # "¿Y con el pediatra?" after a price: the same question about another specialty, not a booking.
            understood = replace(turn.understood, intent=Intent.CLINIC_INFO, clinic_topics=asked_about)
            turn = replace(turn, understood=understood)
            intent = Intent.CLINIC_INFO
        if offered_booking and state.step is None:
            # "¿Desea agendar una?" answered "sí, para el viernes": the booking, with what the yes adds.
            if intent is Intent.CONFIRM:
                return await self.start(Flow.BOOK, state, turn)
            if intent is Intent.DENY:
                return Outcome(state, replies.BOOKING_OFFER_DECLINED)
        if intent is Intent.CLINIC_INFO:
            return await self.questions.ask(state, turn)
        new_flow = _FLOW_OF.get(intent)
        if new_flow is None and state.step is None and choices.registration_answer(turn.text):
            # "Sí, quiero registrarme", even while a person is awaited: registering needs no flow behind it.
            return await self.verification.register_asked(state, turn)
        if state.step is not None:
            answered = await self._answer_step(state, turn, new_flow)
            if answered is not None:
                return answered
        if new_flow is not None:
            started = await self.start(new_flow, state, turn)
            if not turn.understood.clinic_topics or started.text is None:
                return started
            # "Quiero una cita, ¿cuánto cuesta?": the price first, then the booking goes on.
            facts = await self.questions.answer(started.state, turn)
            return replace(started, text=f"{facts.text}\n\n{started.text}")
        if asks_for_medical_advice(turn.text):
            return Outcome(state, replies.no_medical_advice(self.settings.contacts.number))
        hour = turn.now.astimezone(self.settings.tz).hour
        small_talk = turn.understood.small_talk
        if intent is Intent.GREETING and state.step is None:
            if _closes(state, turn):
                return Outcome(state.but(farewell_at=None), replies.goodbye_again(hour), courtesy=Courtesy.GOODBYE)
            if small_talk is SmallTalk.HOW_ARE_YOU:
                return Outcome(state, replies.GREETING_AND_HOW_ARE_YOU, courtesy=Courtesy.GREETING)
            return Outcome(state, replies.GREETING, courtesy=Courtesy.GREETING)
        # "Usted es muy amable" is a compliment, not a goodbye (with "gracias" or "chau" it would be one).
        if intent is Intent.THANKS_GOODBYE and small_talk is not SmallTalk.COMPLIMENT:
            farewell = state.idle().but(farewell_at=turn.now)
            return Outcome(farewell, replies.goodbye(hour), courtesy=Courtesy.GOODBYE)
        if state.step is not None:
            return await self.reprompt(state, turn)
        # "Me siento sola" and then "mis hijos ya no me visitan": the same feeling, not a new topic for the model;
        # one message more, not the rest of the conversation.
        told = small_talk is SmallTalk.FEELING_LOW
        if small_talk is None and intent is Intent.OTHER and state.feeling_low:
            small_talk = SmallTalk.FEELING_LOW
        return Outcome(state.but(feeling_low=told), None, small_talk=small_talk)

    # --- what the flows share -----------------------------------------------------------------

    async def start(self, flow: Flow, state: DialogState, turn: Turn) -> Outcome:
        """Begin `flow`, or refine it when it is the one under way ("mejor el viernes").

        A date written while registration or verification asks something answers that (a date of birth),
        so it never becomes the day wanted; a day already past never does either, and the patient is told.
        """
        verifying = state.step in VERIFYING
        # "No, quería cambiar la que tengo": a booking turned into a move keeps the day and hour asked for.
        kept = flow is state.flow or (state.flow is Flow.BOOK and flow is Flow.RESCHEDULE)
        wishes = self.wishes(turn, state.wishes if kept else Wishes(), when=not verifying)
        if flow is state.flow:
            started = state.but(wishes=wishes, step=None, offered=(), search_after=None, chosen=None, confirmed=False)
            if wishes.whom != state.wishes.whom:
                started = started.but(member=None)  # "mejor para mi hija": who it is for is settled again
        else:
            booked = state.wishes if kept else None
            started = state.idle().but(flow=flow, wishes=wishes, booking_wishes=booked)
        outcome = await self.verification.gate(started, turn)
        if not verifying and flow in (Flow.BOOK, Flow.RESCHEDULE) and self._names_past_day(turn) and outcome.text:
            return replace(outcome, text=f"{replies.DAY_PASSED} {outcome.text}")
        return outcome

    async def proceed(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """The verified patient's flow, from wherever it stands."""
        if state.flow is Flow.REMINDERS:
            return await self.reminders.opt_in(state, turn, patient)
        if state.flow in WAITLIST_FLOWS:
            return await self.waitlist.proceed(state, turn, patient)
        held = await self.reminders.held(state, turn, patient)
        if held is not None:
            return held
        if state.flow is Flow.LIST:
            return await self.listing.show(state, turn, patient)
        if state.flow is Flow.BOOK:
            return await self.booking.proceed(state, turn, patient)
        return await self.changes.proceed(state, turn, patient)

    def wishes(self, turn: Turn, base: Wishes, *, when: bool = True) -> Wishes:
        """What this message adds to what the patient asked for so far.

        With `when` False, or when the message's day is past, its day and time are left out.
        """
        understood = turn.understood
        when = when and not self._names_past_day(turn)
        doctor = self.clinic.doctor_named(understood.doctor)
        reference = choices.appointment_reference(turn.text)
        wishes = base
        if doctor is not None:
            wishes = wishes.but(doctor_id=doctor.id, specialty=doctor.specialty_code)
        elif understood.specialty is not None and understood.specialty != base.specialty:
            wishes = wishes.but(specialty=understood.specialty, doctor_id=None)
        if when and understood.date is not None:
            wishes = wishes.but(day=understood.date, week=None, weekdays=())
        elif when and (week := next_week(normalize(turn.text), today=self._today(turn))) is not None:
            wishes = wishes.but(week=week, day=None, weekdays=())  # "la próxima semana": that week, no day of it
        elif when and (weekdays := choices.only_weekdays(turn.text)):
            wishes = wishes.but(weekdays=weekdays, day=None, week=None)  # "solo puedo los sábados": any of those
        if when and understood.time is not None:
            wishes = wishes.but(clock=understood.time, time_of_day=None)
        elif when and understood.time_of_day is not None:
            wishes = wishes.but(time_of_day=understood.time_of_day, clock=None)
        if reference is not None:
            wishes = wishes.but(reference=reference)
        mention = turn.understood.whom
        # A relative only told about never overrides who the patient already said it is for.
        if mention is not None and not (mention.uncertain and wishes.whom is not None):
            wishes = wishes.but(whom=Whom.of(mention))
        return wishes

    async def reprompt(self, state: DialogState, turn: Turn) -> Outcome:
        """The message answers nothing that was asked: say so and ask again."""
        again = (
            self.verification.ask_again(state)
            or self.booking.ask_again(state)
            or self.confirmation.ask_again(state)
            or self.changes.ask_again(state)
            or await self.family.ask_again(state, turn)
            or self.waitlist.ask_again(state, turn)
        )
        return again or Outcome(state, replies.DID_NOT_UNDERSTAND)

    async def resume(self, state: DialogState, turn: Turn) -> Outcome:
        """The question the flow waits on, asked again without saying it was not understood."""
        return self.verification.resume(state) or await self.reprompt(state, turn)

    # --- steps ------------------------------------------------------------------------------

    async def _answer_step(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """Read the message as an answer to the pending step; None when it is not one."""
        step = state.step
        if step in VERIFYING:
            return await self.verification.answer(state, turn, new_flow)
        # A bare date or name may answer the step; only words that say what the patient wants start another flow.
        if new_flow is not None and turn.understood.confidence < EXPLICIT_INTENT:
            new_flow = None
        if new_flow is Flow.RESCHEDULE and state.flow is Flow.BOOK and _moves_one_held(turn.text):
            # "No, quería cambiar la de las 15:00" at a booking's slots: a move, not a choice, even if 15:00 is offered.
            return None
        if step is Step.WAITLIST_JOIN:
            return await self.waitlist.answer_invite(state, turn)
        if step is Step.SPECIALTY:
            return await self.booking.answer_specialty(state, turn, new_flow)
        if step is Step.SLOT_CHOICE:
            return await self.booking.answer_slot_choice(state, turn, new_flow)
        if step is Step.APPOINTMENT_CHOICE:
            return await self.changes.answer_appointment_choice(state, turn, new_flow)
        if step is Step.CONFIRM:
            return await self.confirmation.answer(state, turn, new_flow)
        if step is Step.FOR_WHOM:
            return await self.family.answer_for_whom(state, turn, new_flow)
        if step is Step.MEMBER_NAME:
            return await self.family.answer_name(state, turn, new_flow)
        if step is Step.MEMBER_BIRTH_DATE:
            return await self.family.answer_birth_date(state, turn, new_flow)
        return None

    def _today(self, turn: Turn) -> date:
        return turn.now.astimezone(self.settings.tz).date()

    def _names_past_day(self, turn: Turn) -> bool:
        """Whether the message's date is before today in the clinic ("ayer", "15 de agosto de 1995")."""
        day = turn.understood.date
        return day is not None and day < turn.now.astimezone(self.settings.tz).date()


def _only_the_model_saw_an_emergency(state: DialogState, understood: Understanding) -> bool:
    """Whether no emergency the patterns read is told now or under way: none at all, or only the learned model's."""
    told_by_patterns = understood.intent is Intent.EMERGENCY and not understood.emergency_learned
    under_way = state.emergency is not None and not state.emergency.learned
    return not (told_by_patterns or under_way)


def _follows_a_clinic_answer(
    state: DialogState, asked_about: tuple[ClinicTopic, ...], understood: Understanding, text: str
) -> bool:
    """Whether a message right after a clinic answer about `asked_about` only names something else to ask it
    about: a specialty, a doctor, a day or an hour, with no request of its own ("¿y traumatología?", "y en la
    noche? a las 9", "¿y los sábados?" after the hours); `text` is the message as written."""
    if state.step is not None or _asks_for_one(understood, text):
        return False
    bare_detail = understood.intent is Intent.SCHEDULE_APPOINTMENT and understood.confidence <= _BARE_DETAIL
    if not (bare_detail or understood.intent is Intent.OTHER):
        return False
    return has_details(understood) or (ClinicTopic.HOURS in asked_about and clinic_answers.names_days(text))


# Words that ask for an appointment rather than about one: "necesito para mi hijo con la pediatra el lunes",
# "quiero para el lunes", "me da con cardiología".
_ASKS_FOR_ONE = re.compile(
    r"\b(necesit\w*|quier[oe]|quisiera|quisieramos|deseo|desearia|queremos|me (da|das|puede dar|podria dar)|deme"
    r"|dame|agend\w*|reserv\w*|sac(ar|arme|o)"
    r"|para (el |este |esta |la )?(lunes|martes|miercoles|jueves|viernes|sabado|domingo|hoy|manana|pasado))\b"
)


def _asks_for_one(understood: Understanding, text: str) -> bool:
    """Whether the message asks for an appointment: a need or request verb, a day it is "para", or someone else it
    is for ("para mi hijo"); such a message after a price is a booking, not the same question again."""
    mention = understood.whom
    for_someone = mention is not None and (mention.someone_else or mention.relation is not None or bool(mention.name))
    return for_someone or _ASKS_FOR_ONE.search(normalize(text)) is not None


# Words that point at an appointment already held: "la que tengo", "la de las 15:00", "mi cita", "no sacar otra".
_HELD = re.compile(
    r"\b(la|lo|las|los) (que|de|del)\b|\bmis? (cita|turno|ficha|consulta|reserva)s?\b"
    r"|\b(sacar|agendar|reservar|pedir) otra\b"
)


def _moves_one_held(text: str) -> bool:
    """Whether a move asked while booking is about an appointment already held, not about the times offered
    ("cambiar de hora" there asks for other times)."""
    return not choices.wants_other_options(text) or _HELD.search(normalize(text)) is not None


# "Buenas noches" right after a thank-you closes the conversation: a goodbye, not a greeting.
_CLOSING_GREETING = re.compile(r"\b(buenas (noches|tardes)|buen dia|hasta (luego|manana|pronto)|chau|chao|adios)\b")
_CLOSING_WITHIN = timedelta(minutes=30)


def _closes(state: DialogState, turn: Turn) -> bool:
    """Whether a greeting closes a conversation the patient has just thanked us in."""
    said = state.farewell_at
    return (
        said is not None and turn.now - said < _CLOSING_WITHIN and bool(_CLOSING_GREETING.search(normalize(turn.text)))
    )
