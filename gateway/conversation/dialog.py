"""The dialog manager: one message and the stored state in, a reply and the next state out.

Booking, cancelling, rescheduling and listing are deterministic flows: the assistant asks for what
is missing, offers at most a few concrete free slots, and asks for an explicit "sí" before it
changes anything. Before it shows or changes a patient's data the phone must be verified: the
last four digits of the registered number, then a code sent by SMS. A message that belongs to no
flow gets `text=None`, and the caller asks the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from appointments import booking, clinic_info
from appointments import repository as clinic
from appointments.availability import free_slots
from appointments.errors import AppointmentError, NotBookable, PatientBusy, SlotTaken, TooManyUpcoming
from appointments.schemas import Appointment, Doctor, Patient, ScheduleBlock, Slot
from gateway import audit
from gateway.conversation import choices, clinic_answers, emergency, replies, wording
from gateway.conversation.reply_check import asks_for_medical_advice
from gateway.conversation.state import DialogState, Flow, ListedAppointment, OfferedSlot, Step, Wishes
from gateway.db import Connection
from gateway.schemas import Action, Option
from gateway.understanding.birthdates import parse_birth_date
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import Understanding
from gateway.understanding.normalize import normalize
from gateway.understanding.small_talk import SmallTalk
from gateway.verification.identity import KnowledgeCheck, birth_date_matches
from gateway.verification.otp import (
    LockedOut,
    NoActiveCode,
    NotTextable,
    OtpService,
    SmsBudgetExhausted,
    TooManyCodes,
    last4_matches,
)
from gateway.verification.sms import SmsDeliveryError
from gateway.verification.vouching import VouchedBy

_FLOW_OF = {
    Intent.SCHEDULE_APPOINTMENT: Flow.BOOK,
    Intent.CANCEL_APPOINTMENT: Flow.CANCEL,
    Intent.RESCHEDULE_APPOINTMENT: Flow.RESCHEDULE,
    Intent.LIST_APPOINTMENTS: Flow.LIST,
}
# The NLU's confidence when words say what the patient wants, rather than a bare date or name.
_EXPLICIT_INTENT = 0.8
_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)+$")
_DOCUMENT = re.compile(r"^\d{5,10}(?:-?[0-9A-Z]{1,2})?(?: ?[A-Z]{2,3})?$")
_TIME_OF_DAY_HOURS = {
    "morning": (time(0), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(23, 59)),
}


@dataclass(frozen=True)
class DialogSettings:
    """The dialog's knobs, taken from the gateway settings."""

    tz: ZoneInfo
    min_notice: timedelta
    search_days: int
    slots_offered: int
    verified_ttl: float
    knowledge_check: KnowledgeCheck
    identity_attempts: int
    identity_lockout: timedelta
    max_upcoming: int
    code_minutes: int
    emergency_number: str | None
    crisis_line: str | None = None
    crisis_line_name: str | None = None
    # How long after an emergency the patient's messages are answered as part of it.
    emergency_lasts: timedelta = timedelta(hours=2)

    @property
    def contacts(self) -> emergency.Contacts:
        return emergency.Contacts(self.emergency_number, self.crisis_line, self.crisis_line_name)


@dataclass(frozen=True)
class Turn:
    """One inbound message, understood."""

    phone: str
    text: str
    understood: Understanding
    now: datetime
    # Who vouches that `phone` sent it; a verification holds only for the one that completed it.
    vouched_by: VouchedBy


@dataclass(frozen=True)
class Outcome:
    """The dialog's answer. `text` None: not a transactional turn; let the model answer."""

    state: DialogState
    text: str | None
    action: Action = Action.NONE
    appointment: Appointment | None = None
    options: tuple[Option, ...] = ()
    # Set when a person at the clinic must look at the conversation (emergency, handoff).
    flag: str | None = None
    # With `text` None: small talk answered from a template (in turn, by the service), not by the model.
    small_talk: SmallTalk | None = None


@dataclass
class Clinic:
    """What the dialog needs to know about the clinic for one turn: doctors and specialty names."""

    doctors: list[Doctor]
    specialties: dict[str, str]
    _by_name: dict[str, Doctor] = field(init=False)

    def __post_init__(self) -> None:
        self._by_name = {doctor.full_name: doctor for doctor in self.doctors}

    @classmethod
    async def load(cls, conn: Connection) -> Clinic:
        return cls(await clinic.active_doctors(conn), await clinic.specialty_names(conn))

    def doctor_named(self, name: str | None) -> Doctor | None:
        return self._by_name.get(name) if name else None

    def specialty_name(self, code: str) -> str:
        return self.specialties.get(code, code)

    def offered_specialties(self) -> list[str]:
        """Codes of the specialties that have at least one active doctor, by name."""
        codes = {doctor.specialty_code for doctor in self.doctors}
        return sorted(codes, key=self.specialty_name)


class Dialog:
    """Runs one turn of a conversation inside the caller's transaction on `conn`."""

    def __init__(self, conn: Connection, *, otp: OtpService, clinic: Clinic, settings: DialogSettings) -> None:
        self._conn = conn
        self._otp = otp
        self._clinic = clinic
        self._settings = settings
        # (action, outcome) of every audit entry this turn wrote, for the caller's metrics.
        self.audited: list[tuple[str, str]] = []

    async def _audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        target: str | None = None,
        detail: dict[str, str | int | float | bool | None] | None = None,
    ) -> None:
        await audit.record(self._conn, actor=actor, action=action, outcome=outcome, target=target, detail=detail)
        self.audited.append((action, outcome))

    # --- entry ------------------------------------------------------------------------------

    async def respond(self, state: DialogState, turn: Turn) -> Outcome:
        """The reply to `turn` given the conversation's `state`."""
        intent = turn.understood.intent
        urgent = emergency.answer(
            state,
            turn.understood,
            turn.text,
            now=turn.now,
            contacts=self._settings.contacts,
            lasts=self._settings.emergency_lasts,
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
        if intent is Intent.HUMAN_HANDOFF:
            # At night nobody answers "lo antes posible": say when someone will.
            opens = clinic_answers.opens_next((await clinic_info.load(self._conn)).hours, turn.now)
            text = replies.human_handoff(opens, self._settings.contacts.number, complaint=turn.understood.complaint)
            return Outcome(state.idle(), text, Action.HUMAN_HANDOFF, flag="human_handoff")
        asked_about, state = state.asked_about, state.but(asked_about=())
        if intent is not Intent.CLINIC_INFO and asked_about and _follows_a_clinic_answer(state, turn.understood):
            # "¿Y con el pediatra?" after a price: the same question about another specialty, not a booking.
            understood = replace(turn.understood, intent=Intent.CLINIC_INFO, clinic_topics=asked_about)
            turn = replace(turn, understood=understood)
            intent = Intent.CLINIC_INFO
        if intent is Intent.CLINIC_INFO:
            return await self._clinic_question(state, turn)
        new_flow = _FLOW_OF.get(intent)
        if state.step is not None:
            answered = await self._answer_step(state, turn, new_flow)
            if answered is not None:
                return answered
        if new_flow is not None:
            started = await self._start(new_flow, state, turn)
            if not turn.understood.clinic_topics or started.text is None:
                return started
            # "Quiero una cita, ¿cuánto cuesta?": the price first, then the booking goes on.
            facts = await self._clinic_answer(started.state, turn)
            return replace(started, text=f"{facts.text}\n\n{started.text}")
        if asks_for_medical_advice(turn.text):
            return Outcome(state, replies.no_medical_advice(self._settings.contacts.number))
        hour = turn.now.astimezone(self._settings.tz).hour
        small_talk = turn.understood.small_talk
        if intent is Intent.GREETING and state.step is None:
            if _closes(state, turn):
                return Outcome(state.but(farewell_at=None), replies.goodbye_again(hour))
            if small_talk is SmallTalk.HOW_ARE_YOU:
                return Outcome(state, replies.GREETING_AND_HOW_ARE_YOU)
            return Outcome(state, replies.GREETING)
        # "Usted es muy amable" is a compliment, not a goodbye (with "gracias" or "chau" it would be one).
        if intent is Intent.THANKS_GOODBYE and small_talk is not SmallTalk.COMPLIMENT:
            return Outcome(state.idle().but(farewell_at=turn.now), replies.goodbye(hour))
        if state.step is not None:
            return await self._reprompt(state, turn)
        # "Me siento sola" and then "mis hijos ya no me visitan": the same feeling, not a new topic for the model;
        # one message more, not the rest of the conversation.
        told = small_talk is SmallTalk.FEELING_LOW
        if small_talk is None and intent is Intent.OTHER and state.feeling_low:
            small_talk = SmallTalk.FEELING_LOW
        return Outcome(state.but(feeling_low=told), None, small_talk=small_talk)

    # --- questions about the clinic ----------------------------------------------------------

    async def _clinic_question(self, state: DialogState, turn: Turn) -> Outcome:
        """Answer from the clinic's data; a question asked at a flow step is answered and the step asked again."""
        answered = await self._clinic_answer(state, turn)
        text = answered.text
        if asks_for_medical_advice(turn.text):
            text = f"{text}\n\n{replies.no_medical_advice(self._settings.contacts.number)}"
        if state.step is None:
            asked_about = tuple(t for t in turn.understood.clinic_topics if t is not ClinicTopic.GENERAL)
            return Outcome(state.but(asked_about=asked_about), text, options=answered.options)
        understood = turn.understood
        # "Pediatría, ¿cuánto cuesta?" answers the specialty question too: the booking goes on with it.
        chosen = None
        if state.step is Step.SPECIALTY and (understood.specialty or understood.doctor):
            chosen = await self._answer_specialty(state, turn, None)
        pending = chosen or await self._pending_question(state, turn)
        if pending.text is None:
            return Outcome(state, text, options=answered.options)
        return replace(pending, text=f"{text}\n\n{pending.text}", options=pending.options or answered.options)

    async def _clinic_answer(self, state: DialogState, turn: Turn) -> clinic_answers.ClinicAnswer:
        understood = turn.understood
        question = clinic_answers.Question(
            topics=understood.clinic_topics or (ClinicTopic.GENERAL,),
            text=turn.text,
            specialty=understood.specialty or state.wishes.specialty,
            day=understood.date,
            doctor=understood.doctor,
        )
        override = None
        if question.day is not None and ClinicTopic.HOURS in question.topics:
            days_off = await clinic.schedule_overrides(
                self._conn, doctor_ids=[], first_day=question.day, last_day=question.day
            )
            override = days_off[0] if days_off else None
        schedules: dict[int, list[ScheduleBlock]] = {}
        if ClinicTopic.DOCTORS in question.topics:
            named, code = question.doctor, question.specialty
            asked = [
                d.id for d in self._clinic.doctors if d.full_name == named or (not named and d.specialty_code == code)
            ]
            for block in await clinic.weekly_schedules(self._conn, doctor_ids=asked):
                schedules.setdefault(block.doctor_id, []).append(block)
        facts = clinic_answers.Facts(
            info=await clinic_info.load(self._conn),
            doctors=self._clinic.doctors,
            specialty_names=self._clinic.specialties,
            day_override=override,
            schedules=schedules,
            emergency_number=self._settings.emergency_number,
        )
        return clinic_answers.answer(question, facts)

    async def _pending_question(self, state: DialogState, turn: Turn) -> Outcome:
        """The question the flow waits on, asked again without saying it was not understood."""
        if state.step is Step.IDENTITY:
            return Outcome(state, self._identity_question(), Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_NAME:
            return Outcome(state, replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_BIRTH_DATE:
            return Outcome(state, clinic_answers.RESUME_BIRTH_DATE, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_DOCUMENT:
            return Outcome(state, clinic_answers.RESUME_DOCUMENT, Action.VERIFICATION_REQUIRED)
        return await self._reprompt(state, turn)

    async def _start(self, flow: Flow, state: DialogState, turn: Turn) -> Outcome:
        """Begin `flow`, or refine it when it is the one under way ("mejor el viernes").

        A date written while registration or verification asks something answers that (a date of birth),
        so it never becomes the day wanted; a day already past never does either, and the patient is told.
        """
        verifying = state.step in _VERIFYING
        wishes = self._wishes(turn, state.wishes if flow is state.flow else Wishes(), when=not verifying)
        if flow is state.flow:
            started = state.but(wishes=wishes, step=None, offered=(), search_after=None, chosen=None)
        else:
            started = state.idle().but(flow=flow, wishes=wishes)
        outcome = await self._gate(started, turn)
        if not verifying and flow in (Flow.BOOK, Flow.RESCHEDULE) and self._names_past_day(turn) and outcome.text:
            return replace(outcome, text=f"{replies.DAY_PASSED} {outcome.text}")
        return outcome

    def _names_past_day(self, turn: Turn) -> bool:
        """Whether the message's date is before today in the clinic ("ayer", "15 de agosto de 1995")."""
        day = turn.understood.date
        return day is not None and day < turn.now.astimezone(self._settings.tz).date()

    def _wishes(self, turn: Turn, base: Wishes, *, when: bool = True) -> Wishes:
        """What this message adds to what the patient asked for so far.

        With `when` False, or when the message's day is past, its day and time are left out.
        """
        understood = turn.understood
        when = when and not self._names_past_day(turn)
        doctor = self._clinic.doctor_named(understood.doctor)
        reference = choices.appointment_reference(turn.text)
        wishes = base
        if doctor is not None:
            wishes = wishes.but(doctor_id=doctor.id, specialty=doctor.specialty_code)
        elif understood.specialty is not None and understood.specialty != base.specialty:
            wishes = wishes.but(specialty=understood.specialty, doctor_id=None)
        if when and understood.date is not None:
            wishes = wishes.but(day=understood.date)
        if when and understood.time is not None:
            wishes = wishes.but(clock=understood.time, time_of_day=None)
        elif when and understood.time_of_day is not None:
            wishes = wishes.but(time_of_day=understood.time_of_day, clock=None)
        if reference is not None:
            wishes = wishes.but(reference=reference)
        return wishes

    # --- verification -----------------------------------------------------------------------

    async def _gate(self, state: DialogState, turn: Turn) -> Outcome:
        """Continue the flow if this phone is a verified patient; otherwise start verifying it."""
        patient = await clinic.patient_by_phone(self._conn, phone=turn.phone)
        if patient is None:
            if not self._otp.may_text(turn.phone):
                return await self._not_textable(state, audit.phone_actor(turn.phone))
            return _register_offer(state)
        if await self._otp.is_verified(turn.phone, turn.vouched_by):
            return await self._continue(state.but(step=None), turn, patient)
        if not self._otp.may_text(turn.phone):
            return await self._not_textable(state, audit.patient_actor(patient.id))
        if state.identity_locked_until is not None and state.identity_locked_until > turn.now:
            minutes = _minutes_until(state.identity_locked_until, turn.now)
            return Outcome(state.idle(), replies.verification_locked(minutes), Action.VERIFICATION_REQUIRED)
        return Outcome(state.but(step=Step.IDENTITY), self._identity_question(), Action.VERIFICATION_REQUIRED)

    def _identity_question(self) -> str:
        if self._settings.knowledge_check is KnowledgeCheck.LAST4:
            return replies.ASK_LAST4
        return replies.ASK_BIRTH_DATE

    def _identity_answer(self, turn: Turn) -> date | str | None:
        """The message read as an answer to the identity question; None when it is not one."""
        if self._settings.knowledge_check is KnowledgeCheck.LAST4:
            return choices.digits(turn.text, 4)
        return parse_birth_date(turn.text, today=turn.now.astimezone(self._settings.tz).date())

    async def _check_identity(self, state: DialogState, turn: Turn, answer: date | str) -> Outcome:
        """The knowledge check: right, the code is sent; wrong too often, a person takes over."""
        patient = await clinic.patient_by_phone(self._conn, phone=turn.phone)
        if patient is None:  # deleted since the flow began
            return _register_offer(state)
        actor = audit.patient_actor(patient.id)
        method = self._settings.knowledge_check
        detail: dict[str, str | int | float | bool | None] = {"method": method.value}
        if isinstance(answer, str):
            passed = last4_matches(patient.phone, answer)
        elif patient.date_of_birth is None:
            # Nothing to compare with: only a person can check who this is. Said the same way whatever was written.
            await self._audit(actor=actor, action="verification.identity", outcome="denied", detail=detail)
            return Outcome(state.idle(), replies.IDENTITY_NEEDS_PERSON, Action.HUMAN_HANDOFF, flag="human_handoff")
        else:
            passed = birth_date_matches(patient.date_of_birth, answer)
        if passed:
            await self._audit(actor=actor, action="verification.identity", outcome="success", detail=detail)
            return await self._send_code(state.but(identity_failures=0), turn, actor)
        failures = state.identity_failures + 1
        if failures >= self._settings.identity_attempts:
            await self._audit(actor=actor, action="verification.identity", outcome="locked", detail=detail)
            until = turn.now + self._settings.identity_lockout
            locked = state.idle().but(identity_failures=0, identity_locked_until=until)
            return Outcome(locked, replies.IDENTITY_LOCKED, Action.HUMAN_HANDOFF, flag="human_handoff")
        await self._audit(actor=actor, action="verification.identity", outcome="failure", detail=detail)
        wrong = replies.LAST4_WRONG if method is KnowledgeCheck.LAST4 else replies.BIRTH_DATE_WRONG
        return Outcome(state.but(identity_failures=failures), wrong, Action.VERIFICATION_REQUIRED)

    async def _not_textable(self, state: DialogState, actor: str) -> Outcome:
        """No code goes to this phone (another country, not a mobile line): a person takes over."""
        detail: dict[str, str | int | float | bool | None] = {"reason": "phone_not_textable"}
        await self._audit(actor=actor, action="verification.code_sent", outcome="denied", detail=detail)
        return Outcome(state.idle(), replies.PHONE_NOT_TEXTABLE, Action.HUMAN_HANDOFF, flag="human_handoff")

    async def _send_code(self, state: DialogState, turn: Turn, actor: str) -> Outcome:
        """Text a code to the phone and wait for it; limits and provider failures are told in Spanish."""
        try:
            await self._otp.send_code(turn.phone, turn.vouched_by)
        except NotTextable:
            return await self._not_textable(state, actor)
        except SmsBudgetExhausted as exc:
            detail: dict[str, str | int | float | bool | None] = {"reason": f"sms_budget_{exc.scope}"}
            await self._audit(actor=actor, action="verification.code_sent", outcome="limited", detail=detail)
            return Outcome(state.idle(), replies.SMS_BUDGET_EXHAUSTED, Action.HUMAN_HANDOFF, flag="human_handoff")
        except TooManyCodes as exc:
            await self._audit(actor=actor, action="verification.code_sent", outcome="limited")
            return Outcome(
                state.idle(), replies.too_many_codes(_minutes(exc.retry_after)), Action.VERIFICATION_REQUIRED
            )
        except LockedOut as exc:
            await self._audit(actor=actor, action="verification.code_sent", outcome="locked")
            return _locked_out(state, exc)
        except SmsDeliveryError:
            await self._audit(actor=actor, action="verification.code_sent", outcome="error")
            return Outcome(state.but(step=Step.CODE), replies.SMS_FAILED, Action.VERIFICATION_REQUIRED)
        await self._audit(actor=actor, action="verification.code_sent", outcome="success")
        text = replies.code_sent(self._settings.code_minutes)
        return Outcome(state.but(step=Step.CODE), text, Action.VERIFICATION_REQUIRED)

    async def _check_code(self, state: DialogState, turn: Turn, code: str) -> Outcome:
        patient = await clinic.patient_by_phone(self._conn, phone=turn.phone)
        actor = audit.patient_actor(patient.id) if patient else audit.phone_actor(turn.phone)
        try:
            correct = await self._otp.check_code(turn.phone, code)
        except NoActiveCode:
            await self._audit(actor=actor, action="verification.code_checked", outcome="expired")
            return Outcome(state, replies.CODE_EXPIRED, Action.VERIFICATION_REQUIRED)
        except LockedOut as exc:
            await self._audit(actor=actor, action="verification.code_checked", outcome="locked")
            return _locked_out(state, exc)
        if not correct:
            await self._audit(actor=actor, action="verification.code_checked", outcome="failure")
            return Outcome(state, replies.CODE_WRONG, Action.VERIFICATION_REQUIRED)
        if patient is None:
            name, born, document = state.registering_name, state.registering_birth_date, state.registering_document
            if name is None or born is None or document is None:
                return Outcome(state.but(step=Step.REGISTER_NAME), replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
            patient = await clinic.register_patient(
                self._conn, phone=turn.phone, full_name=name, document_number=document, date_of_birth=born
            )
            actor = audit.patient_actor(patient.id)
            await self._audit(actor=actor, action="patient.registered", outcome="success")
        await self._audit(actor=actor, action="verification.code_checked", outcome="success")
        await self._otp.mark_verified(turn.phone, turn.vouched_by, self._settings.verified_ttl)
        verified = state.but(step=None, registering_name=None, registering_birth_date=None, registering_document=None)
        if verified.flow is None:
            return Outcome(verified, f"{replies.VERIFIED} {replies.GREETING}")
        outcome = await self._continue(verified, turn, patient)
        return replace(outcome, text=f"{replies.VERIFIED}\n{outcome.text}")

    async def _still_verified(self, state: DialogState, turn: Turn) -> Outcome | None:
        """None while the verification holds; else the outcome that asks for it again, keeping the flow."""
        if await self._otp.is_verified(turn.phone, turn.vouched_by):
            return None
        return await self._gate(state, turn)

    # --- steps ------------------------------------------------------------------------------

    async def _answer_step(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """Read the message as an answer to the pending step; None when it is not one."""
        text, intent = turn.text, turn.understood.intent
        step = state.step
        if step is Step.IDENTITY and (answer := self._identity_answer(turn)) is not None:
            return await self._check_identity(state, turn, answer)
        if step is Step.CODE:
            if (code := choices.digits(text, 6)) is not None:
                return await self._check_code(state, turn, code)
            if choices.asks_to_resend(text):
                patient = await clinic.patient_by_phone(self._conn, phone=turn.phone)
                actor = audit.patient_actor(patient.id) if patient else audit.phone_actor(turn.phone)
                return await self._send_code(state, turn, actor)
        if step is Step.REGISTER_OFFER:
            # "Sí, quiero registrarme" is no bare "sí": the classifier reads it as no intent at all.
            registering = choices.registration_answer(text)
            if intent is Intent.DENY or registering is False:
                return Outcome(state.idle(), replies.REGISTER_DECLINED)
            if intent is Intent.CONFIRM or registering:
                return Outcome(state.but(step=Step.REGISTER_NAME), replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
        # A name or document can look like a booking ("Pedro Mamani" names a doctor); only words
        # that say what the patient wants ("quiero cancelar") leave the registration.
        if new_flow is not None and turn.understood.confidence < _EXPLICIT_INTENT:
            new_flow = None
        if step is Step.REGISTER_NAME and new_flow is None:
            name = " ".join(text.split())
            if not (_NAME.match(name) and len(name) <= 80):
                return Outcome(state, replies.ASK_NAME_AGAIN, Action.VERIFICATION_REQUIRED)
            named = state.but(step=Step.REGISTER_BIRTH_DATE, registering_name=name.title())
            return Outcome(named, replies.ASK_REGISTER_BIRTH_DATE, Action.VERIFICATION_REQUIRED)
        if step is Step.REGISTER_BIRTH_DATE:
            born = parse_birth_date(text, today=turn.now.astimezone(self._settings.tz).date())
            if born is not None:
                dated = state.but(step=Step.REGISTER_DOCUMENT, registering_birth_date=born)
                return Outcome(dated, replies.ASK_DOCUMENT, Action.VERIFICATION_REQUIRED)
            if new_flow is None:
                return Outcome(state, replies.ASK_BIRTH_DATE_AGAIN, Action.VERIFICATION_REQUIRED)
        if step is Step.REGISTER_DOCUMENT:
            document = " ".join(text.upper().replace(".", "").split())
            if _DOCUMENT.match(document):
                documented = state.but(registering_document=document)
                return await self._send_code(documented, turn, audit.phone_actor(turn.phone))
            if new_flow is None:
                return Outcome(state, replies.ASK_DOCUMENT_AGAIN, Action.VERIFICATION_REQUIRED)
        if step is Step.SPECIALTY:
            return await self._answer_specialty(state, turn, new_flow)
        if step is Step.SLOT_CHOICE:
            return await self._answer_slot_choice(state, turn, new_flow)
        if step is Step.APPOINTMENT_CHOICE:
            return await self._answer_appointment_choice(state, turn)
        if step is Step.CONFIRM:
            return await self._answer_confirm(state, turn, new_flow)
        return None

    async def _answer_specialty(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        understood = turn.understood
        offered = self._clinic.offered_specialties()
        number = choices.option_number(turn.text, len(offered))
        if number is not None:
            wishes = state.wishes.but(specialty=offered[number], doctor_id=None)
            return await self._gate(state.but(wishes=wishes, step=None), turn)
        if understood.specialty or understood.doctor:
            return await self._gate(state.but(wishes=self._wishes(turn, state.wishes), step=None), turn)
        return None if new_flow is not None else await self._reprompt(state, turn)

    async def _answer_slot_choice(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        starts = [slot.starts_at.astimezone(self._settings.tz) for slot in state.offered]
        number = choices.option_number(turn.text, len(starts))
        if number is None:
            number = choices.option_at_time(turn.text, starts)
            day = turn.understood.date
            if number is not None and day is not None and starts[number].date() != day:
                number = None  # "ayer a las 10", "el lunes a las 10": the time of an offered slot, on another day
        if number is not None:
            return await self._ask_confirmation(state.but(chosen=state.offered[number], step=Step.CONFIRM), turn)
        if choices.wants_other_options(turn.text) or turn.understood.intent is Intent.DENY:
            return await self._gate(self._later_options(state), turn)
        if _has_details(turn.understood) and new_flow in (None, state.flow):
            return await self._start(state.flow or Flow.BOOK, state, turn)
        return None

    async def _answer_appointment_choice(self, state: DialogState, turn: Turn) -> Outcome | None:
        number = choices.option_number(turn.text, len(state.listed))
        reference = choices.appointment_reference(turn.text)
        if number is None and reference is not None:
            found = [i for i, a in enumerate(state.listed) if choices.matches_reference(a.id, reference)]
            number = found[0] if found else None
        if number is None and turn.understood.date is not None:
            on_day = [
                i
                for i, a in enumerate(state.listed)
                if a.starts_at.astimezone(self._settings.tz).date() == turn.understood.date
            ]
            number = on_day[0] if len(on_day) == 1 else None
        if number is None:
            return None
        return await self._gate(state.but(appointment=state.listed[number], listed=(), step=None), turn)

    async def _answer_confirm(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        intent = turn.understood.intent
        if intent is Intent.CONFIRM:
            return await self._execute(state, turn)
        rebooking = state.flow in (Flow.BOOK, Flow.RESCHEDULE)
        if intent is Intent.DENY or (rebooking and choices.wants_other_options(turn.text)):
            if not rebooking:
                return Outcome(state.idle(), replies.CANCEL_KEPT)
            outcome = await self._gate(self._later_options(state), turn)
            return replace(outcome, text=f"{replies.BOOKING_DROPPED} {outcome.text}")
        if rebooking and _has_details(turn.understood) and new_flow in (None, state.flow):
            return await self._start(state.flow or Flow.BOOK, state, turn)
        return None

    async def _reprompt(self, state: DialogState, turn: Turn) -> Outcome:
        """The message answers nothing that was asked: say so and ask again."""
        if state.step is Step.IDENTITY:
            if self._settings.knowledge_check is KnowledgeCheck.DATE_OF_BIRTH:
                return Outcome(state, replies.ASK_BIRTH_DATE_AGAIN, Action.VERIFICATION_REQUIRED)
            return Outcome(state, f"{replies.NOT_UNDERSTOOD_STEP} {replies.ASK_LAST4}", Action.VERIFICATION_REQUIRED)
        if state.step is Step.CODE:
            return Outcome(state, replies.ASK_CODE_AGAIN, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_OFFER:
            return _register_offer(state)
        if state.step is Step.SPECIALTY:
            return self._ask_specialty(state)
        if state.step is Step.CONFIRM:
            return Outcome(state, replies.ASK_CONFIRM_AGAIN, options=_YES_NO)
        if state.step is Step.SLOT_CHOICE:
            return Outcome(state, replies.ASK_OPTION_AGAIN, options=self._slot_options(state.offered))
        if state.step is Step.APPOINTMENT_CHOICE:
            verb = "cancelar" if state.flow is Flow.CANCEL else "cambiar"
            return Outcome(state, replies.choose_appointment(self._appointment_lines(state.listed), verb))
        return Outcome(state, replies.DID_NOT_UNDERSTAND)

    # --- flows --------------------------------------------------------------------------------

    async def _continue(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """The verified patient's flow, from wherever it stands."""
        if state.flow is Flow.LIST:
            return await self._list(state, turn, patient)
        if state.flow is Flow.BOOK:
            held = await booking.upcoming_for_patient(
                self._conn, patient_id=patient.id, now=turn.now, limit=self._settings.max_upcoming
            )
            if len(held) >= self._settings.max_upcoming:
                return self._too_many_upcoming(state)
            if state.chosen is not None:
                return await self._ask_confirmation(state.but(step=Step.CONFIRM), turn)
            if state.wishes.specialty is None and state.wishes.doctor_id is None:
                return self._ask_specialty(state)
            return await self._offer(state, turn, patient)
        if state.appointment is None:
            return await self._choose_appointment(state, turn, patient)
        if state.flow is Flow.CANCEL or state.chosen is not None:
            return await self._ask_confirmation(state.but(step=Step.CONFIRM), turn)
        return await self._offer(state, turn, patient)

    async def _list(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        upcoming = await booking.upcoming_for_patient(self._conn, patient_id=patient.id, now=turn.now)
        await self._audit(actor=audit.patient_actor(patient.id), action="appointments.viewed", outcome="success")
        if not upcoming:
            return Outcome(state.idle(), replies.NO_UPCOMING, Action.LIST_APPOINTMENTS)
        lines = self._appointment_lines(tuple(ListedAppointment.of(a) for a in upcoming))
        return Outcome(state.idle(), replies.upcoming(lines), Action.LIST_APPOINTMENTS)

    async def _choose_appointment(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        upcoming = [
            ListedAppointment.of(a)
            for a in await booking.upcoming_for_patient(self._conn, patient_id=patient.id, now=turn.now)
        ]
        actor = audit.patient_actor(patient.id)
        reference = state.wishes.reference
        if reference is not None:
            mine = [a for a in upcoming if choices.matches_reference(a.id, reference)]
            if not mine:
                # `reference` is a well-formed id or 8 hex digits (choices.appointment_reference), never free text.
                full_id = UUID(reference) if len(reference) == 36 else None
                await self._audit(
                    actor=actor,
                    action=_CHANGE[state.flow],
                    outcome="denied",
                    target=audit.appointment_target(full_id) if full_id else None,
                    detail=None if full_id else {"reference": reference},
                )
                return Outcome(state.idle(), replies.NOT_AMONG_YOURS)
            upcoming = mine
        await self._audit(actor=actor, action="appointments.viewed", outcome="success")
        if not upcoming:
            return Outcome(state.idle(), replies.NO_UPCOMING)
        on_day = [a for a in upcoming if a.starts_at.astimezone(self._settings.tz).date() == state.wishes.day]
        if len(upcoming) == 1 or len(on_day) == 1:
            chosen = upcoming[0] if len(upcoming) == 1 else on_day[0]
            # A date said with "cambiar mi cita del lunes" named the old appointment, not the new time.
            wishes = state.wishes if state.flow is Flow.CANCEL or len(upcoming) == 1 else Wishes()
            return await self._continue(state.but(appointment=chosen, wishes=wishes), turn, patient)
        listed = tuple(upcoming)
        verb = "cancelar" if state.flow is Flow.CANCEL else "cambiar"
        text = replies.choose_appointment(self._appointment_lines(listed), verb)
        return Outcome(state.but(step=Step.APPOINTMENT_CHOICE, listed=listed), text)

    def _ask_specialty(self, state: DialogState) -> Outcome:
        codes = self._clinic.offered_specialties()
        names = [self._clinic.specialty_name(code) for code in codes]
        options = tuple(Option(id=str(i), title=name[:24]) for i, name in enumerate(names, start=1))
        return Outcome(state.but(step=Step.SPECIALTY), replies.ask_specialty(names), options=options)

    async def _offer(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """Offer up to `slots_offered` free slots that fit the patient's wishes."""
        tz = self._settings.tz
        wishes = state.wishes
        today = turn.now.astimezone(tz).date()
        first_day = max(wishes.day or today, today)
        doctor_id = state.appointment.doctor_id if state.appointment is not None else wishes.doctor_id
        if doctor_id is None and wishes.specialty and wishes.specialty not in self._clinic.offered_specialties():
            # "Quiero cita con psicología": no such doctor here, which "no free slots" would hide.
            asked = self._ask_specialty(state.but(wishes=wishes.but(specialty=None)))
            missing = replies.specialty_not_offered(self._clinic.specialty_name(wishes.specialty))
            return replace(asked, text=f"{missing} {asked.text}")
        slots = await free_slots(
            self._conn,
            first_day=first_day,
            last_day=first_day + timedelta(days=self._settings.search_days),
            now=turn.now,
            doctor_id=doctor_id,
            specialty_code=None if doctor_id is not None else wishes.specialty,
            patient_id=patient.id,
            tz=tz,
            min_notice=self._settings.min_notice,
            limit=None,
        )
        offered = self._pick(slots, wishes, state.search_after)
        if not offered:
            what = self._whom(doctor_id, wishes.specialty)
            text = replies.no_slots(what, self._settings.search_days)
            if state.flow is Flow.BOOK:
                return Outcome(state.but(step=Step.SPECIALTY, offered=(), search_after=None), text)
            return Outcome(state.idle(), text)
        note = ""
        if wishes.day is not None and wishes.day >= today and offered[0].starts_at.astimezone(tz).date() != wishes.day:
            note = replies.no_slots_on(wording.day(wishes.day))
        lines = [wording.slot_line(i, slot, tz, self._clinic.specialties) for i, slot in enumerate(offered, start=1)]
        next_state = state.but(step=Step.SLOT_CHOICE, offered=tuple(offered), chosen=None)
        return Outcome(next_state, replies.offer_slots(lines, note=note), options=self._slot_options(offered))

    def _pick(self, slots: Sequence[Slot], wishes: Wishes, after: datetime | None) -> list[OfferedSlot]:
        """The slots to offer: after `after`, in the part of the day asked, nearest the time asked.

        Only one slot per start time, so three options are three different times.
        """
        tz = self._settings.tz
        candidates = [OfferedSlot.of(s) for s in slots if after is None or s.starts_at > after]
        if wishes.time_of_day is not None:
            start, end = _TIME_OF_DAY_HOURS[wishes.time_of_day]
            in_part = [s for s in candidates if start <= s.starts_at.astimezone(tz).time() < end]
            candidates = in_part or candidates
        distinct: dict[datetime, OfferedSlot] = {}
        for slot in candidates:
            distinct.setdefault(slot.starts_at, slot)
        ordered = list(distinct.values())
        if wishes.clock is not None and ordered:
            first_day = ordered[0].starts_at.astimezone(tz).date()
            same_day = [s for s in ordered if s.starts_at.astimezone(tz).date() == first_day]
            wanted = wishes.clock.hour * 60 + wishes.clock.minute

            def distance(slot: OfferedSlot) -> int:
                local = slot.starts_at.astimezone(tz)
                return abs(local.hour * 60 + local.minute - wanted)

            nearest = sorted(same_day, key=distance)[: self._settings.slots_offered]
            return sorted(nearest, key=lambda s: s.starts_at)
        return ordered[: self._settings.slots_offered]

    def _later_options(self, state: DialogState) -> DialogState:
        """The state for "otro horario": search after the last time offered, without the exact time asked."""
        seen = [*state.offered, *([state.chosen] if state.chosen is not None else [])]
        last = max((slot.starts_at for slot in seen), default=None)
        wishes = state.wishes.but(clock=None)
        return state.but(wishes=wishes, search_after=last, step=None, chosen=None, offered=())

    async def _ask_confirmation(self, state: DialogState, turn: Turn) -> Outcome:
        tz = self._settings.tz
        if state.flow is Flow.CANCEL and state.appointment is not None:
            text = replies.confirm_cancel(wording.appointment_text(state.appointment, tz, self._clinic.specialties))
        elif state.flow is Flow.RESCHEDULE and state.appointment is not None and state.chosen is not None:
            old = wording.day_and_time(state.appointment.starts_at, tz)
            text = replies.confirm_reschedule(old, wording.day_and_time(state.chosen.starts_at, tz))
        elif state.chosen is not None:
            slot = state.chosen
            specialty = self._clinic.specialty_name(slot.specialty_code)
            text = replies.confirm_booking(wording.day_and_time(slot.starts_at, tz), slot.doctor_name, specialty)
        else:  # nothing to confirm: the state was cut short
            return Outcome(state.idle(), replies.DID_NOT_UNDERSTAND)
        return Outcome(state.but(step=Step.CONFIRM), text, options=_YES_NO)

    async def _execute(self, state: DialogState, turn: Turn) -> Outcome:
        """The patient said yes: book, cancel or move, as one transaction each."""
        reverify = await self._still_verified(state, turn)
        if reverify is not None:
            return reverify
        patient = await clinic.patient_by_phone(self._conn, phone=turn.phone)
        if patient is None:
            return await self._gate(state, turn)
        actor = audit.patient_actor(patient.id)
        tz = self._settings.tz
        try:
            if state.flow is Flow.BOOK and state.chosen is not None:
                slot = state.chosen
                appointment = await booking.book(
                    self._conn,
                    patient_id=patient.id,
                    doctor_id=slot.doctor_id,
                    starts_at=slot.starts_at,
                    now=turn.now,
                    tz=tz,
                    min_notice=self._settings.min_notice,
                    max_upcoming=self._settings.max_upcoming,
                )
                action, text = Action.SCHEDULE_APPOINTMENT, self._booked_text(appointment)
            elif state.flow is Flow.CANCEL and state.appointment is not None:
                appointment = await booking.cancel(
                    self._conn, appointment_id=state.appointment.id, patient_id=patient.id, now=turn.now
                )
                listed = ListedAppointment.of(appointment)
                action = Action.CANCEL_APPOINTMENT
                text = replies.cancelled(wording.appointment_text(listed, tz, self._clinic.specialties))
            elif state.flow is Flow.RESCHEDULE and state.appointment is not None and state.chosen is not None:
                appointment = await booking.reschedule(
                    self._conn,
                    appointment_id=state.appointment.id,
                    patient_id=patient.id,
                    new_starts_at=state.chosen.starts_at,
                    now=turn.now,
                    tz=tz,
                    min_notice=self._settings.min_notice,
                )
                action = Action.RESCHEDULE_APPOINTMENT
                when = wording.day_and_time(appointment.starts_at, tz)
                text = replies.rescheduled(when, appointment.doctor_name, choices.reference_of(appointment.id))
            else:
                return Outcome(state.idle(), replies.DID_NOT_UNDERSTAND)
        except TooManyUpcoming as exc:
            await self._audit(actor=actor, action=_CHANGE[state.flow], outcome="limited", detail={"reason": exc.code})
            return self._too_many_upcoming(state)
        except (SlotTaken, NotBookable) as exc:
            target = audit.appointment_target(state.appointment.id) if state.appointment else None
            outcome = "conflict" if isinstance(exc, SlotTaken) else "failure"
            await self._audit(
                actor=actor,
                action=_CHANGE[state.flow],
                outcome=outcome,
                target=target,
                detail={"reason": exc.code},
            )
            retry = await self._offer(state.but(chosen=None, offered=(), search_after=None), turn, patient)
            why = replies.PATIENT_BUSY if isinstance(exc, PatientBusy) else replies.SLOT_GONE
            return replace(retry, text=f"{why} {retry.text}")
        except AppointmentError as exc:
            target = audit.appointment_target(state.appointment.id) if state.appointment else None
            await self._audit(
                actor=actor,
                action=_CHANGE[state.flow],
                outcome="failure",
                target=target,
                detail={"reason": exc.code},
            )
            return Outcome(state.idle(), replies.CANNOT_CHANGE)
        await self._audit(
            actor=actor,
            action=_CHANGE[state.flow],
            outcome="success",
            target=audit.appointment_target(appointment.id),
        )
        return Outcome(state.idle(), text, action, appointment=appointment)

    def _too_many_upcoming(self, state: DialogState) -> Outcome:
        """No more bookings for now: say why and offer what the patient can do instead."""
        return Outcome(state.idle(), replies.too_many_upcoming(self._settings.max_upcoming), options=_INSTEAD)

    # --- wording helpers ------------------------------------------------------------------

    def _booked_text(self, appointment: Appointment) -> str:
        when = wording.day_and_time(appointment.starts_at, self._settings.tz)
        specialty = self._clinic.specialty_name(appointment.specialty_code)
        return replies.booked(when, appointment.doctor_name, specialty, choices.reference_of(appointment.id))

    def _appointment_lines(self, listed: tuple[ListedAppointment, ...]) -> list[str]:
        tz, names = self._settings.tz, self._clinic.specialties
        return [f"{i}) {wording.appointment_text(a, tz, names)}" for i, a in enumerate(listed, start=1)]

    def _slot_options(self, offered: tuple[OfferedSlot, ...] | list[OfferedSlot]) -> tuple[Option, ...]:
        tz = self._settings.tz
        return tuple(
            Option(id=str(i), title=wording.short_day_and_time(slot.starts_at, tz), description=slot.doctor_name)
            for i, slot in enumerate(offered, start=1)
        )

    def _whom(self, doctor_id: int | None, specialty: str | None) -> str:
        doctor = next((d for d in self._clinic.doctors if d.id == doctor_id), None)
        if doctor is not None:
            return f"con {doctor.full_name}"
        if specialty is not None:
            return f"en {self._clinic.specialty_name(specialty)}"
        return ""


_CHANGE: dict[Flow | None, str] = {
    Flow.BOOK: "appointment.booked",
    Flow.CANCEL: "appointment.cancelled",
    Flow.RESCHEDULE: "appointment.rescheduled",
    Flow.LIST: "appointments.viewed",
    None: "appointment.changed",
}
_YES_NO = (Option(id="si", title="Sí"), Option(id="no", title="No"))
# The confidence `intents.classify` gives a message that is only a date, a time, a specialty or a doctor.
_BARE_DETAIL = 0.6
# WhatsApp cuts a reply button's title at 20 characters.
TO_A_PERSON = Option(id="hablar con una persona", title="Hablar con persona")
# Steps whose question a date may answer (a date of birth): such a date is never a day wanted.
_VERIFYING = frozenset(
    {
        Step.REGISTER_OFFER,
        Step.REGISTER_NAME,
        Step.REGISTER_BIRTH_DATE,
        Step.REGISTER_DOCUMENT,
        Step.IDENTITY,
        Step.CODE,
    }
)
# What a patient at the limit of upcoming appointments may do instead of booking another.
_INSTEAD = (
    Option(id="mis citas", title="Ver mis citas"),
    Option(id="cancelar una cita", title="Cancelar una cita"),
    Option(id="cambiar una cita", title="Cambiar una cita"),
)


def _follows_a_clinic_answer(state: DialogState, understood: Understanding) -> bool:
    """Whether a message right after a clinic answer only names something else to ask it about: a specialty, a
    doctor, a day or an hour, with no request of its own ("¿y traumatología?", "y en la noche? a las 9")."""
    if state.step is not None:
        return False
    bare_detail = understood.intent is Intent.SCHEDULE_APPOINTMENT and understood.confidence <= _BARE_DETAIL
    return (bare_detail or understood.intent is Intent.OTHER) and _has_details(understood)


def _has_details(understood: Understanding) -> bool:
    return any(
        value is not None
        for value in (understood.date, understood.time, understood.time_of_day, understood.specialty, understood.doctor)
    )


def _register_offer(state: DialogState) -> Outcome:
    """Ask a phone the clinic does not know whether to register it, with Sí/No buttons."""
    return Outcome(
        state.but(step=Step.REGISTER_OFFER),
        replies.REGISTER_OFFER,
        Action.VERIFICATION_REQUIRED,
        options=(*_YES_NO, TO_A_PERSON),
    )


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def _locked_out(state: DialogState, exc: LockedOut) -> Outcome:
    """Locked for a while: say for how long; locked until tomorrow: a person can help (staff can unlock)."""
    if exc.for_the_day:
        return Outcome(state.idle(), replies.VERIFICATION_LOCKED_TODAY, Action.HUMAN_HANDOFF, flag="human_handoff")
    return Outcome(state.idle(), replies.verification_locked(_minutes(exc.retry_after)), Action.VERIFICATION_REQUIRED)


def _minutes_until(until: datetime, now: datetime) -> int:
    return _minutes(int((until - now).total_seconds()))


# "Buenas noches" right after a thank-you closes the conversation: a goodbye, not a greeting.
_CLOSING_GREETING = re.compile(r"\b(buenas (noches|tardes)|buen dia|hasta (luego|manana|pronto)|chau|chao|adios)\b")
_CLOSING_WITHIN = timedelta(minutes=30)


def _closes(state: DialogState, turn: Turn) -> bool:
    """Whether a greeting closes a conversation the patient has just thanked us in."""
    said = state.farewell_at
    return (
        said is not None and turn.now - said < _CLOSING_WITHIN and bool(_CLOSING_GREETING.search(normalize(turn.text)))
    )
