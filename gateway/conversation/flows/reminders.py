"""Reminders in the conversation: the patient's consent, and the buttons of a reminder.

Consent is asked once, after the first booking (or a registration that leads nowhere else), and stored on the
phone's holder with its time: family members use the holder's phone and so the holder's answer. Stopping reminders
("baja", "stop", "no quiero recordatorios") needs no verification, since anyone writing from the phone may stop
messages to it; asking for them needs a verified patient.

A reminder's button ("confirm:<id>", "change:<id>", "cancel:<id>", gateway/conversation/buttons.py) goes through
verification like any change; then the appointment must be the phone's family's, still booked and still ahead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from appointments import repository as clinic
from appointments import waitlist
from appointments.schemas import Appointment, AppointmentStatus, Patient
from gateway import audit
from gateway.conversation import replies, wording
from gateway.conversation.buttons import ButtonKind, ReminderButton
from gateway.conversation.flows.common import CHANGE, WAITLIST_LEFT, YES_NO, Outcome, Turn
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step, Wishes
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import no_in, yes_in

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog

_CONSENT = CHANGE[Flow.REMINDERS]
_FLOW_OF = {ButtonKind.CONFIRM: Flow.ATTEND, ButtonKind.CHANGE: Flow.RESCHEDULE, ButtonKind.CANCEL: Flow.CANCEL}
# The flows a reminder's button starts, with the appointment's full id as the reference.
BUTTON_FLOWS = frozenset(_FLOW_OF.values())


class Reminders:
    """Consent to reminders, and what a reminder's button does."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    # --- consent ------------------------------------------------------------------------------

    async def ask_after(self, outcome: Outcome, holder: Patient, *, once: bool = True) -> Outcome:
        """`outcome` with the reminders question after it, when the phone's holder was never asked and nothing
        else waits on an answer.

        With `once` False (at registration) an unanswered question does not count: the first booking asks again.
        """
        state = outcome.state
        if state.step is not None or state.reminders_asked or outcome.text is None:
            return outcome
        if await clinic.reminders_consent(self._dialog.conn, patient_id=holder.id) is not None:
            return outcome
        asked = state.but(step=Step.REMINDERS_CONSENT, reminders_asked=once)
        return replace(outcome, state=asked, text=f"{outcome.text}\n\n{replies.REMINDERS_QUESTION}", options=YES_NO)

    async def answer(self, state: DialogState, turn: Turn) -> Outcome | None:
        """The message read as "sí" or "no" to the reminders question; None when it is neither."""
        text, intent = turn.text, turn.understood.intent
        if intent is Intent.DENY or no_in(text):
            declined = replies.WAITLIST_STILL_NO_MESSAGES if state.flow is Flow.WAITLIST_CONSENT else None
            return await self.opt_out(state.idle(), turn, declined or replies.REMINDERS_DECLINED)
        if intent is Intent.CONFIRM or yes_in(text):
            return await self._yes(state, turn)
        return None

    async def _yes(self, state: DialogState, turn: Turn) -> Outcome:
        """ "Sí" to messages: asked right after a verified booking or waitlist request; should the verification have
        lapsed since, it is asked again. A waitlist request it was asked for goes on with what it asked."""
        if state.flow is Flow.WAITLIST_CONSENT:
            return await self._dialog.verification.gate(state.but(step=None), turn)
        return await self._dialog.verification.gate(state.idle().but(flow=Flow.REMINDERS), turn)

    async def wish(self, state: DialogState, turn: Turn, wanted: bool) -> Outcome:
        """ "Quiero recordatorios" (verified patients only) or "baja" (anyone writing from the phone)."""
        asked = state.step is Step.REMINDERS_CONSENT
        if not wanted:
            kept = state.but(step=None) if asked else state
            return await self.opt_out(unasked(kept), turn, replies.REMINDERS_OFF)
        if asked:
            return await self._yes(state, turn)  # "quiero recordatorios" answers the question asked
        return await self._dialog.verification.gate(state.idle().but(flow=Flow.REMINDERS), turn)

    async def opt_in(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome:
        """The verified holder wants reminders: stored with its time."""
        await self.store(holder, True, turn)
        return Outcome(state.idle(), replies.REMINDERS_ON)

    async def opt_out(self, state: DialogState, turn: Turn, text: str) -> Outcome:
        """No more reminders to this phone, whoever writes from it; said the same whether it is registered.

        The family's waitlist entries end too, and the patient is told: an offer goes out only with consent, so an
        entry left waiting would never be offered a slot (and would still show to staff as waiting); asking instead
        would put a question before a "stop" that must be honoured at once. Joining again is one message away.
        """
        dialog = self._dialog
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if holder is None:
            return Outcome(state, text)
        await self.store(holder, False, turn)
        left = await waitlist.leave(dialog.conn, holder_id=holder.id, now=turn.now)
        if not left:
            return Outcome(state, text)
        actor = audit.patient_actor(holder.id)
        await dialog.audit(
            actor=actor, action=WAITLIST_LEFT, outcome="success", detail={"entries": left, "why": "no_messages"}
        )
        return Outcome(state, f"{text} {replies.waitlist_left_without_messages(left)}")

    async def store(self, holder: Patient, consent: bool, turn: Turn) -> None:
        """The holder's answer, stored with its time and audited when it changes."""
        dialog = self._dialog
        changed = await clinic.set_reminders_consent(dialog.conn, patient_id=holder.id, consent=consent, now=turn.now)
        if changed:
            actor = audit.patient_actor(holder.id)
            await dialog.audit(actor=actor, action=_CONSENT, outcome="success", detail={"consent": consent})

    # --- a reminder's buttons -----------------------------------------------------------------

    async def button(self, state: DialogState, turn: Turn, tapped: ReminderButton) -> Outcome:
        """A reminder's button: verification first, then the appointment is checked (`held`) and acted on."""
        if tapped.appointment_id is None:
            actor = audit.phone_actor(turn.phone)
            detail: dict[str, str | int | float | bool | None] = {"reason": "malformed_payload"}
            await self._dialog.audit(actor=actor, action=_action(tapped.kind), outcome="denied", detail=detail)
            return Outcome(state.idle(), replies.NOT_AMONG_YOURS)
        flow = _FLOW_OF[tapped.kind]
        reference = str(tapped.appointment_id)
        started = state.idle().but(flow=flow, wishes=Wishes(reference=reference))
        outcome = await self._dialog.verification.gate(started, turn)
        # QA: a move waiting for its "sí" was dropped without a word when a reminder's button came in between.
        pending = state.flow.value if state.flow is not None and state.step is Step.CONFIRM else None
        left = replies.LEFT_UNFINISHED.get(pending) if pending is not None else None
        same_request = state.flow is flow and state.wishes.reference == reference
        if left is None or same_request or outcome.text is None:
            return outcome
        return replace(outcome, text=f"{outcome.text}\n\n{left}")

    async def held(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome | None:
        """For a button's flow: the answer when its appointment is not the phone's family's, no longer booked or
        past, and the confirmation itself for "Confirmar"; None when a cancel or move may go on."""
        reference = state.wishes.reference
        if state.appointment is not None or state.flow not in BUTTON_FLOWS or reference is None or len(reference) != 36:
            return None
        dialog = self._dialog
        appointment_id = UUID(reference)
        actor = audit.patient_actor(holder.id)
        found = await clinic.get_appointment(dialog.conn, appointment_id=appointment_id)
        member = None
        if found is not None:
            member = await clinic.family_member(dialog.conn, holder_id=holder.id, patient_id=found.patient_id)
        if found is None or member is None:
            target = audit.appointment_target(appointment_id)
            await dialog.audit(actor=actor, action=CHANGE[state.flow], outcome="denied", target=target)
            return Outcome(state.idle(), replies.NOT_AMONG_YOURS)
        for_name = member.full_name if member.holder_id is not None else None
        said = wording.appointment_text(
            ListedAppointment.of(found, for_name), dialog.settings.tz, dialog.clinic.specialties
        )
        if found.status is AppointmentStatus.CANCELLED:
            return Outcome(state.idle(), replies.already_cancelled(said, for_name))
        if found.status is not AppointmentStatus.BOOKED or found.starts_at <= turn.now:
            return Outcome(state.idle(), replies.already_past(said, for_name))
        if state.flow is Flow.ATTEND:
            return await self._confirm(state, turn, found, actor, said, for_name)
        return None

    async def _confirm(
        self, state: DialogState, turn: Turn, appointment: Appointment, actor: str, said: str, for_name: str | None
    ) -> Outcome:
        dialog = self._dialog
        if not await clinic.confirm_attendance(dialog.conn, appointment_id=appointment.id, now=turn.now):
            return Outcome(state.idle(), replies.attendance_already_confirmed(said, for_name))
        target = audit.appointment_target(appointment.id)
        await dialog.audit(actor=actor, action=CHANGE[Flow.ATTEND], outcome="success", target=target)
        return Outcome(state.idle(), replies.attendance_confirmed(said, for_name))


def _action(kind: ButtonKind) -> str:
    return CHANGE[_FLOW_OF[kind]]


def unasked(state: DialogState) -> DialogState:
    """The state once the reminders question is left unanswered: a waitlist request waiting on it ends with it."""
    if state.flow is Flow.WAITLIST_CONSENT:
        return state.idle()
    return state.but(step=None) if state.step is Step.REMINDERS_CONSENT else state
