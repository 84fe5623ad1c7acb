"""Who is writing: the identity question, the code sent by SMS, and registering a phone the clinic does not know.

Before the dialog shows or changes a patient's data the phone must be verified: the knowledge check (the
registered number's last four digits or the date of birth), then a code sent by SMS. `gate` runs it in front of
every flow and hands the verified patient back to the dialog.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from appointments import repository as clinic
from gateway import audit
from gateway.conversation import choices, clinic_answers, replies
from gateway.conversation.flows.common import EXPLICIT_INTENT, TO_A_PERSON, YES_NO, Outcome, Turn, minutes
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, Step
from gateway.understanding.birthdates import parse_birth_date
from gateway.understanding.documents import parse_document
from gateway.understanding.intents import Intent
from gateway.understanding.names import parse_full_name
from gateway.verification.errors import LockedOut, NoActiveCode, NotTextable, SmsBudgetExhausted, TooManyCodes
from gateway.verification.identity import KnowledgeCheck, birth_date_matches
from gateway.verification.otp import last4_matches
from gateway.verification.sms import SmsDeliveryError

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog

# Registration's steps: a name typed there (a surname that is also a doctor's) searches for no doctor.
_REGISTERING = frozenset({Step.REGISTER_OFFER, Step.REGISTER_NAME, Step.REGISTER_BIRTH_DATE, Step.REGISTER_DOCUMENT})
# Steps whose question a date may answer (a date of birth): such a date is never a day wanted.
VERIFYING = frozenset(
    {
        Step.REGISTER_OFFER,
        Step.REGISTER_NAME,
        Step.REGISTER_BIRTH_DATE,
        Step.REGISTER_DOCUMENT,
        Step.IDENTITY,
        Step.CODE,
    }
)
_Detail = dict[str, str | int | float | bool | None]


class Verification:
    """The verification and registration steps of one turn."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def gate(self, state: DialogState, turn: Turn) -> Outcome:
        """Continue the flow if this phone is a verified patient; otherwise start verifying it."""
        dialog = self._dialog
        patient = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if patient is None:
            if not dialog.otp.may_text(turn.phone):
                return await self.not_textable(state, audit.phone_actor(turn.phone))
            return register_offer(state)
        if await dialog.otp.is_verified(turn.phone, turn.vouched_by):
            return await dialog.proceed(state.but(step=None), turn, patient)
        if not dialog.otp.may_text(turn.phone):
            return await self.not_textable(state, audit.patient_actor(patient.id))
        if state.identity_locked_until is not None and state.identity_locked_until > turn.now:
            locked_for = _minutes_until(state.identity_locked_until, turn.now)
            return Outcome(state.idle(), replies.verification_locked(locked_for), Action.VERIFICATION_REQUIRED)
        return Outcome(state.but(step=Step.IDENTITY), self.identity_question(), Action.VERIFICATION_REQUIRED)

    async def register_asked(self, state: DialogState, turn: Turn) -> Outcome:
        """The patient asks to register ("sí, quiero registrarme"): the name is asked at once, with no offer first;
        a phone the clinic knows is told so, and offered a booking."""
        dialog = self._dialog
        if await clinic.patient_by_phone(dialog.conn, phone=turn.phone) is not None:
            return Outcome(state.idle().but(offered_booking=True), replies.ALREADY_REGISTERED)
        if not dialog.otp.may_text(turn.phone):
            return await self.not_textable(state, audit.phone_actor(turn.phone))
        return Outcome(state.idle().but(step=Step.REGISTER_NAME), replies.ASK_NAME, Action.VERIFICATION_REQUIRED)

    async def still_verified(self, state: DialogState, turn: Turn) -> Outcome | None:
        """None while the verification holds; else the outcome that asks for it again, keeping the flow."""
        if await self._dialog.otp.is_verified(turn.phone, turn.vouched_by):
            return None
        return await self.gate(state, turn)

    async def answer(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """Read the message as an answer to a verification or registration step; None when it is not one."""
        text, intent = turn.text, turn.understood.intent
        step = state.step
        if step is Step.IDENTITY and (answer := self._identity_answer(turn)) is not None:
            return await self._check_identity(state, turn, answer)
        if step is Step.CODE:
            if (code := choices.digits(text, 6)) is not None:
                return await self._check_code(state, turn, code)
            if choices.asks_to_resend(text):
                patient = await clinic.patient_by_phone(self._dialog.conn, phone=turn.phone)
                actor = audit.patient_actor(patient.id) if patient else audit.phone_actor(turn.phone)
                return await self.send_code(state, turn, actor)
        if step is Step.REGISTER_OFFER:
            # "Sí, quiero registrarme" is no bare "sí": the classifier reads it as no intent at all.
            registering = choices.registration_answer(text)
            if intent is Intent.DENY or registering is False:
                return Outcome(state.idle(), replies.REGISTER_DECLINED)
            if intent is Intent.CONFIRM or registering:
                return Outcome(state.but(step=Step.REGISTER_NAME), replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
        # A name or document can look like a booking ("Pedro Mamani" names a doctor); only words
        # that say what the patient wants ("quiero cancelar") leave the registration.
        bare_detail = new_flow is not None and turn.understood.confidence < EXPLICIT_INTENT
        if bare_detail:
            new_flow = None
        if step is Step.REGISTER_NAME and new_flow is None:
            name = parse_full_name(text)
            if name is None:
                return Outcome(state, replies.ASK_NAME_AGAIN, Action.VERIFICATION_REQUIRED)
            named = state.but(step=Step.REGISTER_BIRTH_DATE, registering_name=name)
            return Outcome(named, replies.ASK_REGISTER_BIRTH_DATE, Action.VERIFICATION_REQUIRED)
        if step is Step.REGISTER_BIRTH_DATE:
            born = parse_birth_date(text, today=turn.now.astimezone(self._dialog.settings.tz).date())
            if born is not None:
                dated = state.but(step=Step.REGISTER_DOCUMENT, registering_birth_date=born)
                return Outcome(dated, replies.ASK_DOCUMENT, Action.VERIFICATION_REQUIRED)
            if new_flow is None:
                return Outcome(state, replies.ASK_BIRTH_DATE_AGAIN, Action.VERIFICATION_REQUIRED)
        if step is Step.REGISTER_DOCUMENT:
            document = parse_document(text)
            if document is not None:
                if await clinic.document_on_file(self._dialog.conn, document_number=document):
                    return await self._document_on_file(state, audit.phone_actor(turn.phone))
                documented = state.but(registering_document=document)
                return await self.send_code(documented, turn, audit.phone_actor(turn.phone))
            if new_flow is None:
                return Outcome(state, replies.ASK_DOCUMENT_AGAIN, Action.VERIFICATION_REQUIRED)
        if bare_detail and (step in _REGISTERING or state.registering_name is not None):
            # "Mamani" at the registration offer or while the code is awaited answers nothing asked; it must not
            # start a booking with Dr. Mamani (nor start the registration over).
            return self.ask_again(state)
        return None

    def ask_again(self, state: DialogState) -> Outcome | None:
        """The identity, code or registration-offer question asked again after a message that answers nothing."""
        if state.step is Step.IDENTITY:
            if self._dialog.settings.knowledge_check is KnowledgeCheck.DATE_OF_BIRTH:
                return Outcome(state, replies.ASK_BIRTH_DATE_AGAIN, Action.VERIFICATION_REQUIRED)
            return Outcome(state, f"{replies.NOT_UNDERSTOOD_STEP} {replies.ASK_LAST4}", Action.VERIFICATION_REQUIRED)
        if state.step is Step.CODE:
            return Outcome(state, replies.ASK_CODE_AGAIN, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_OFFER:
            return register_offer(state)
        return None

    def resume(self, state: DialogState) -> Outcome | None:
        """The identity or registration question asked again after a question about the clinic, as if new."""
        if state.step is Step.IDENTITY:
            return Outcome(state, self.identity_question(), Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_NAME:
            return Outcome(state, replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_BIRTH_DATE:
            return Outcome(state, clinic_answers.RESUME_BIRTH_DATE, Action.VERIFICATION_REQUIRED)
        if state.step is Step.REGISTER_DOCUMENT:
            return Outcome(state, clinic_answers.RESUME_DOCUMENT, Action.VERIFICATION_REQUIRED)
        return None

    def identity_question(self) -> str:
        if self._dialog.settings.knowledge_check is KnowledgeCheck.LAST4:
            return replies.ASK_LAST4
        return replies.ASK_BIRTH_DATE

    def _identity_answer(self, turn: Turn) -> date | str | None:
        """The message read as an answer to the identity question; None when it is not one."""
        if self._dialog.settings.knowledge_check is KnowledgeCheck.LAST4:
            return choices.digits(turn.text, 4)
        return parse_birth_date(turn.text, today=turn.now.astimezone(self._dialog.settings.tz).date())

    async def _check_identity(self, state: DialogState, turn: Turn, answer: date | str) -> Outcome:
        """The knowledge check: right, the code is sent; wrong too often, a person takes over."""
        dialog = self._dialog
        patient = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if patient is None:  # deleted since the flow began
            return register_offer(state)
        actor = audit.patient_actor(patient.id)
        method = dialog.settings.knowledge_check
        detail: _Detail = {"method": method.value}
        if isinstance(answer, str):
            passed = last4_matches(patient.phone, answer)
        elif patient.date_of_birth is None:
            # Nothing to compare with: only a person can check who this is. Said the same way whatever was written.
            await dialog.audit(actor=actor, action="verification.identity", outcome="denied", detail=detail)
            return Outcome(state.idle(), replies.IDENTITY_NEEDS_PERSON, Action.HUMAN_HANDOFF, flag="human_handoff")
        else:
            passed = birth_date_matches(patient.date_of_birth, answer)
        if passed:
            await dialog.audit(actor=actor, action="verification.identity", outcome="success", detail=detail)
            return await self.send_code(state.but(identity_failures=0), turn, actor)
        failures = state.identity_failures + 1
        if failures >= dialog.settings.identity_attempts:
            await dialog.audit(actor=actor, action="verification.identity", outcome="locked", detail=detail)
            until = turn.now + dialog.settings.identity_lockout
            locked = state.idle().but(identity_failures=0, identity_locked_until=until)
            return Outcome(locked, replies.IDENTITY_LOCKED, Action.HUMAN_HANDOFF, flag="verification_failed")
        await dialog.audit(actor=actor, action="verification.identity", outcome="failure", detail=detail)
        wrong = replies.LAST4_WRONG if method is KnowledgeCheck.LAST4 else replies.BIRTH_DATE_WRONG
        return Outcome(state.but(identity_failures=failures), wrong, Action.VERIFICATION_REQUIRED)

    async def not_textable(self, state: DialogState, actor: str) -> Outcome:
        """No code goes to this phone (another country, not a mobile line): a person takes over."""
        detail: _Detail = {"reason": "phone_not_textable"}
        await self._dialog.audit(actor=actor, action="verification.code_sent", outcome="denied", detail=detail)
        return Outcome(state.idle(), replies.PHONE_NOT_TEXTABLE, Action.HUMAN_HANDOFF, flag="human_handoff")

    async def _document_on_file(self, state: DialogState, actor: str) -> Outcome:
        """The carnet typed is another patient's: no second record for it; a person checks who is who."""
        detail: _Detail = {"reason": "document_on_file"}
        await self._dialog.audit(actor=actor, action="patient.registered", outcome="denied", detail=detail)
        return Outcome(state.idle(), replies.DOCUMENT_ON_FILE, Action.HUMAN_HANDOFF, flag="human_handoff")

    async def send_code(self, state: DialogState, turn: Turn, actor: str) -> Outcome:
        """Text a code to the phone and wait for it; limits and provider failures are told in Spanish."""
        dialog = self._dialog
        try:
            await dialog.otp.send_code(turn.phone, turn.vouched_by)
        except NotTextable:
            return await self.not_textable(state, actor)
        except SmsBudgetExhausted as exc:
            detail: _Detail = {"reason": f"sms_budget_{exc.scope}"}
            await dialog.audit(actor=actor, action="verification.code_sent", outcome="limited", detail=detail)
            return Outcome(state.idle(), replies.SMS_BUDGET_EXHAUSTED, Action.HUMAN_HANDOFF, flag="human_handoff")
        except TooManyCodes as exc:
            await dialog.audit(actor=actor, action="verification.code_sent", outcome="limited")
            return Outcome(state.idle(), replies.too_many_codes(minutes(exc.retry_after)), Action.VERIFICATION_REQUIRED)
        except LockedOut as exc:
            await dialog.audit(actor=actor, action="verification.code_sent", outcome="locked")
            return _locked_out(state, exc)
        except SmsDeliveryError:
            await dialog.audit(actor=actor, action="verification.code_sent", outcome="error")
            return Outcome(state.but(step=Step.CODE), replies.SMS_FAILED, Action.VERIFICATION_REQUIRED)
        await dialog.audit(actor=actor, action="verification.code_sent", outcome="success")
        text = replies.code_sent(dialog.settings.code_minutes)
        return Outcome(state.but(step=Step.CODE), text, Action.VERIFICATION_REQUIRED)

    async def _check_code(self, state: DialogState, turn: Turn, code: str) -> Outcome:
        dialog = self._dialog
        patient = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        actor = audit.patient_actor(patient.id) if patient else audit.phone_actor(turn.phone)
        try:
            correct = await dialog.otp.check_code(turn.phone, code)
        except NoActiveCode:
            await dialog.audit(actor=actor, action="verification.code_checked", outcome="expired")
            return Outcome(state, replies.CODE_EXPIRED, Action.VERIFICATION_REQUIRED)
        except LockedOut as exc:
            await dialog.audit(actor=actor, action="verification.code_checked", outcome="locked")
            return _locked_out(state, exc)
        if not correct:
            await dialog.audit(actor=actor, action="verification.code_checked", outcome="failure")
            return Outcome(state, replies.CODE_WRONG, Action.VERIFICATION_REQUIRED)
        registered = patient is None
        if patient is None:
            name, born, document = state.registering_name, state.registering_birth_date, state.registering_document
            if name is None or born is None or document is None:
                return Outcome(state.but(step=Step.REGISTER_NAME), replies.ASK_NAME, Action.VERIFICATION_REQUIRED)
            if await clinic.document_on_file(dialog.conn, document_number=document):
                return await self._document_on_file(state, actor)  # registered by someone else since it was typed
            patient = await clinic.register_patient(
                dialog.conn, phone=turn.phone, full_name=name, document_number=document, date_of_birth=born
            )
            actor = audit.patient_actor(patient.id)
            await dialog.audit(actor=actor, action="patient.registered", outcome="success")
        await dialog.audit(actor=actor, action="verification.code_checked", outcome="success")
        await dialog.otp.mark_verified(turn.phone, turn.vouched_by, dialog.settings.verified_ttl)
        verified = state.but(step=None, registering_name=None, registering_birth_date=None, registering_document=None)
        if verified.flow is None:
            if registered:
                # Nothing else under way: registration is when the reminders question is asked.
                asked = await dialog.reminders.ask_after(Outcome(verified, replies.VERIFIED), patient, once=False)
                if asked.state.step is not None:
                    return asked
            return Outcome(verified, replies.joined(replies.VERIFIED, replies.GREETING, " "))
        outcome = await dialog.proceed(verified, turn, patient)
        # QA: "¡Listo, su identidad está verificada!\nListo, ya tiene su lugar en la lista de espera…".
        return replace(outcome, text=replies.joined(replies.VERIFIED, outcome.text or ""))


def register_offer(state: DialogState) -> Outcome:
    """Ask a phone the clinic does not know whether to register it, with Sí/No buttons."""
    return Outcome(
        state.but(step=Step.REGISTER_OFFER),
        replies.REGISTER_OFFER,
        Action.VERIFICATION_REQUIRED,
        options=(*YES_NO, TO_A_PERSON),
    )


def _locked_out(state: DialogState, exc: LockedOut) -> Outcome:
    """Locked for a while: say for how long; locked until tomorrow: a person can help (staff can unlock). Either way
    the conversation waits in the staff's inbox as a failed verification (the assistant stays quiet meanwhile)."""
    if exc.for_the_day:
        text = replies.VERIFICATION_LOCKED_TODAY
        return Outcome(state.idle(), text, Action.HUMAN_HANDOFF, flag="verification_failed")
    text = replies.verification_locked(minutes(exc.retry_after))
    return Outcome(state.idle(), text, Action.VERIFICATION_REQUIRED, flag="verification_failed")


def _minutes_until(until: datetime, now: datetime) -> int:
    return minutes(int((until - now).total_seconds()))
