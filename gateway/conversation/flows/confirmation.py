"""The last step of every change: ask for an explicit "sí", then book, cancel or move, and say how it went."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from appointments import repository as clinic
from appointments.errors import AppointmentError, NotBookable, PatientBusy, SlotTaken, TooManyUpcoming
from gateway import audit
from gateway.conversation import choices, replies, wording
from gateway.conversation.flows import slots
from gateway.conversation.flows.common import CHANGE, YES_NO, Outcome, Turn, has_details
from gateway.conversation.state import DialogState, Flow, Step
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import no_in, yes_in

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog


class Confirmation:
    """The confirmation step: what is asked, and what a "sí" or a "no" does."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def ask(self, state: DialogState, turn: Turn) -> Outcome:
        """Ask to confirm the change under way, in its own words."""
        tz, names = self._dialog.settings.tz, self._dialog.clinic.specialties
        if state.flow is Flow.CANCEL and state.appointment is not None:
            appointment = wording.appointment_text(state.appointment, tz, names)
            text = replies.confirm_cancel(appointment, state.appointment.for_name)
        elif state.flow is Flow.RESCHEDULE and state.appointment is not None and state.chosen is not None:
            old = wording.day_and_time(state.appointment.starts_at, tz)
            new = wording.day_and_time(state.chosen.starts_at, tz)
            text = replies.confirm_reschedule(old, new, state.appointment.for_name)
        elif state.chosen is not None:
            slot = state.chosen
            specialty = self._dialog.clinic.specialty_name(slot.specialty_code)
            for_name = state.member.full_name if state.member is not None and not state.member.holder else None
            when = wording.day_and_time(slot.starts_at, tz)
            text = replies.confirm_booking(when, slot.doctor_name, specialty, for_name)
        else:  # nothing to confirm: the state was cut short
            return Outcome(state.idle(), replies.DID_NOT_UNDERSTAND)
        return Outcome(state.but(step=Step.CONFIRM), text, options=YES_NO)

    async def answer(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as "sí", "no", "otro horario" or another day or hour; None when it is none of them."""
        dialog = self._dialog
        intent = turn.understood.intent
        if state.flow is Flow.BOOK and turn.understood.whom is not None and not no_in(turn.text):
            # "Sí confirmo, a nombre de mi hijo Mateo porfa": a yes that also says who the appointment is for.
            said_yes = intent is Intent.CONFIRM or yes_in(turn.text)
            return await dialog.family.named_at_confirmation(state, turn, said_yes=said_yes)
        # "Sí, cancélela nomás": a yes that names the change under way, with nothing new in it, is a yes.
        naming_it = new_flow is state.flow and not has_details(turn.understood) and yes_in(turn.text)
        if intent is Intent.CONFIRM or naming_it:
            return await self.execute(state, turn)
        rebooking = state.flow in (Flow.BOOK, Flow.RESCHEDULE)
        if rebooking and self._names_chosen(state, turn):
            return await self.ask(state, turn)  # "la de las 5" for the 17:00 asked about: the same time, still no "sí"
        if rebooking:
            # "Después le escribo", "más temprano", "mejor el lunes", "sí, pero mejor a las 4": not this slot.
            changed = await dialog.minds.change_of_mind(state, turn, new_flow)
            if changed is not None:
                return changed
        refusing_it = new_flow is state.flow and no_in(turn.text)  # "no, no la cancele"
        if intent is Intent.DENY or refusing_it or (rebooking and choices.wants_other_options(turn.text)):
            if not rebooking:
                return Outcome(state.idle(), replies.kept(_whose(state)))
            outcome = await dialog.verification.gate(slots.later_options(state), turn)
            return replace(outcome, text=f"{replies.BOOKING_DROPPED} {outcome.text}")
        return None

    def _names_chosen(self, state: DialogState, turn: Turn) -> bool:
        """Whether the message only repeats the hour (and day) of the slot being confirmed."""
        if state.chosen is None or no_in(turn.text):
            return False
        local = state.chosen.starts_at.astimezone(self._dialog.settings.tz)
        same_day = turn.understood.date in (None, local.date())
        return same_day and choices.option_at_time(turn.text, [local]) == 0

    def ask_again(self, state: DialogState) -> Outcome | None:
        """The confirmation asked again after a message that answers nothing."""
        if state.step is not Step.CONFIRM:
            return None
        return Outcome(state, replies.ASK_CONFIRM_AGAIN, options=YES_NO)

    async def execute(self, state: DialogState, turn: Turn) -> Outcome:
        """The patient said yes: book, cancel or move, as one transaction each."""
        dialog = self._dialog
        reverify = await dialog.verification.still_verified(state, turn)
        if reverify is not None:
            return reverify
        patient = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if patient is None:
            return await dialog.verification.gate(state, turn)
        actor = audit.patient_actor(patient.id)
        # Who the booking is for: the phone's holder, or the family member chosen.
        member = await dialog.family.booked_for(state, patient)
        if member is None:
            return await dialog.verification.gate(state.but(member=None, chosen=None), turn)
        for_name = member.full_name if member.holder_id is not None else None
        try:
            if state.flow is Flow.BOOK and state.chosen is not None:
                appointment, action, text = await dialog.booking.book(state.chosen, member, turn)
            elif state.flow is Flow.CANCEL and state.appointment is not None:
                appointment, action, text = await dialog.changes.cancel(state.appointment, patient, turn)
            elif state.flow is Flow.RESCHEDULE and state.appointment is not None and state.chosen is not None:
                appointment, action, text = await dialog.changes.move(state.appointment, state.chosen, patient, turn)
            else:
                return Outcome(state.idle(), replies.DID_NOT_UNDERSTAND)
        except TooManyUpcoming as exc:
            await dialog.audit(actor=actor, action=CHANGE[state.flow], outcome="limited", detail={"reason": exc.code})
            return dialog.booking.too_many_upcoming(state, for_name)
        except (SlotTaken, NotBookable) as exc:
            target = audit.appointment_target(state.appointment.id) if state.appointment else None
            outcome = "conflict" if isinstance(exc, SlotTaken) else "failure"
            await dialog.audit(
                actor=actor,
                action=CHANGE[state.flow],
                outcome=outcome,
                target=target,
                detail={"reason": exc.code},
            )
            retry = await dialog.booking.offer(state.but(chosen=None, offered=(), search_after=None), turn, member)
            why = replies.patient_busy(for_name) if isinstance(exc, PatientBusy) else replies.SLOT_GONE
            return replace(retry, text=f"{why} {retry.text}")
        except AppointmentError as exc:
            target = audit.appointment_target(state.appointment.id) if state.appointment else None
            await dialog.audit(
                actor=actor,
                action=CHANGE[state.flow],
                outcome="failure",
                target=target,
                detail={"reason": exc.code},
            )
            return Outcome(state.idle(), replies.CANNOT_CHANGE)
        await dialog.audit(
            actor=actor,
            action=CHANGE[state.flow],
            outcome="success",
            target=audit.appointment_target(appointment.id),
        )
        # A cancellation ends with "Si desea, puedo ayudarle a agendar otra.": a "sí" next takes the offer.
        done = Outcome(
            state.idle().but(offered_booking=state.flow is Flow.CANCEL), text, action, appointment=appointment
        )
        # A booking is when a patient never asked about reminders is asked (the phone's holder answers).
        return await dialog.reminders.ask_after(done, patient) if state.flow is Flow.BOOK else done


def _whose(state: DialogState) -> str | None:
    """The family member whose appointment is under way, if it is not the patient's own."""
    return state.appointment.for_name if state.appointment is not None else None
