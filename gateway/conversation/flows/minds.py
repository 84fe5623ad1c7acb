"""Changes of mind while slots or a "¿Confirma…?" are on the table: leaving it all, an earlier or later time that
day, another day (or another one that week), or another day, hour, doctor, specialty or person named."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from appointments import booking
from appointments import repository as clinic_repository
from gateway.conversation import choices, replies
from gateway.conversation.flows import slots
from gateway.conversation.flows.common import Outcome, Turn, has_details
from gateway.conversation.state import DialogState, Flow, Step

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog


class ChangesOfMind:
    """Reads what the patient wants instead of what is offered, and starts it."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def change_of_mind(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """Slots or a confirmation on the table, and the patient wants something else: leaving it all, an earlier
        or later time that day, another day, or another day, hour, doctor or specialty named; None otherwise."""
        dialog = self._dialog
        tz = dialog.settings.tz
        text = turn.text
        if choices.drops_the_booking(text) or (state.flow is Flow.BOOK and choices.only_cancels(text)):
            return await self._left(state, turn)
        mention = turn.understood.whom
        if state.flow is Flow.BOOK and mention is not None and not mention.uncertain:
            # "No, la cita es para mí", "es para mi hijo": who it is for is settled again, and the slots looked for
            # are theirs.
            return await dialog.start(Flow.BOOK, state.but(member=None, confirmed=False), turn)
        today = turn.now.astimezone(tz).date()
        wanted, refused = choices.days_named(text, today)
        understood = turn.understood
        earlier, later = choices.wants_earlier(text), choices.wants_later_same_day(text)
        if earlier and not wanted and understood.time is None:
            return await dialog.verification.gate(slots.earlier_options(state, tz), turn)
        if later and not wanted and understood.time is None and understood.time_of_day is None:
            return await dialog.verification.gate(slots.later_same_day(state, tz), turn)
        if refused and not wanted and understood.time is None and understood.time_of_day is None:
            return await dialog.verification.gate(slots.another_day(state, tz, max(refused)), turn)
        if choices.wants_same_week(text) and not wanted:
            return await self._another_day_that_week(state, turn)
        if choices.wants_another_day(text) and not wanted:
            return await dialog.verification.gate(slots.another_day(state, tz), turn)
        # "Solo puedo los sábados" names no date, but it changes the days to search as one would.
        if (has_details(understood) or choices.only_weekdays(text)) and new_flow in (None, state.flow):
            if refused:  # "mejor el lunes, el jueves no puedo": the day wanted, wherever it was said
                understood = replace(understood, date=wanted[0] if wanted else None)
            elif (earlier or later) and not wanted:  # "ese mismo día pero en la tarde", "más tarde, a las 5"
                understood = replace(understood, date=slots.day_in_view(state, tz))
            turn = replace(turn, understood=understood)
            if dialog.wishes(turn, state.wishes) != state.wishes:
                started = await dialog.start(state.flow or Flow.BOOK, state, turn)
                return await dialog.booking.hour_asked(started, turn) if understood.time is not None else started
            # "Otro horario en la tarde" with the afternoon offered already: other times, not the same page again.
        return None

    async def _another_day_that_week(self, state: DialogState, turn: Turn) -> Outcome:
        """ "Otro día esa semana": the free day of the calendar week of the day in view nearest it, earlier days still
        ahead included; with none, that is said and the days after that week are offered."""
        dialog = self._dialog
        tz = dialog.settings.tz
        seen = slots.days_seen(state, tz)
        shown = slots.day_in_view(state, tz)
        if shown is None:
            return await dialog.verification.gate(slots.another_day(state, tz), turn)
        monday = shown - timedelta(days=shown.weekday())
        sunday = monday + timedelta(days=6)
        first = max(monday, turn.now.astimezone(tz).date())
        free = await dialog.booking.free(state, turn, await self._busy_for(state, turn), first, sunday)
        others = sorted({slot.starts_at.astimezone(tz).date() for slot in free} - seen)
        day = slots.nearest_day(others, shown)
        if day is not None:
            return await dialog.verification.gate(slots.on_day(state, day), turn)
        outcome = await dialog.verification.gate(slots.another_day(state, tz, sunday), turn)
        if outcome.state.step is not Step.SLOT_CHOICE:
            return outcome
        return replace(outcome, text=f"{replies.NO_OTHER_DAY_THAT_WEEK} {outcome.text}")

    async def _busy_for(self, state: DialogState, turn: Turn) -> int | None:
        """Whose other appointments rule times out: the one moved's patient, the member booked for, or the phone's."""
        moving, member = state.appointment, state.member
        if moving is not None and moving.patient_id is not None:
            return moving.patient_id
        if member is not None:
            return member.id
        patient = await clinic_repository.patient_by_phone(self._dialog.conn, phone=turn.phone)
        return None if patient is None else patient.id

    async def _left(self, state: DialogState, turn: Turn) -> Outcome:
        """The patient leaves: nothing booked (or, leaving a move, the appointment kept); said as a cancellation,
        how to cancel what they already hold."""
        if state.flow is Flow.RESCHEDULE:
            # "Después le escribo" while moving: it stays.
            whose = state.appointment.for_name if state.appointment is not None else None
            return Outcome(state.idle(), replies.kept(whose))
        text = replies.BOOKING_LEFT
        if state.flow is Flow.BOOK and choices.says_cancel(turn.text):
            conn = self._dialog.conn
            patient = await clinic_repository.patient_by_phone(conn, phone=turn.phone)
            held = (
                []
                if patient is None
                else await booking.upcoming_for_patient(conn, patient_id=patient.id, now=turn.now, limit=1)
            )
            if held:
                text = f"{text} {replies.HOW_TO_CANCEL_HELD}"
        return Outcome(state.idle(), text)
