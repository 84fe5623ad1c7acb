"""Cancelling and moving an appointment: which of the patient's appointments, and the change itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from appointments import booking
from appointments import repository as clinic
from appointments.schemas import Appointment, Patient
from gateway import audit
from gateway.conversation import choices, replies, wording
from gateway.conversation.flows.common import CHANGE, Outcome, Turn, appointment_lines, has_details
from gateway.conversation.flows.family import family_upcoming, member_ids
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, OfferedSlot, Step, Whom, Wishes

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog


class Changes:
    """The steps of a cancel or a move up to its confirmation, and the change once confirmed."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def proceed(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """The verified patient's cancel or move, from wherever it stands."""
        dialog = self._dialog
        if state.appointment is None:
            return await self._choose_appointment(state, turn, patient)
        if state.flow is Flow.CANCEL or state.chosen is not None:
            return await dialog.confirmation.ask(state.but(step=Step.CONFIRM), turn)
        return await dialog.booking.offer(state, turn, patient)

    async def answer_appointment_choice(
        self, state: DialogState, turn: Turn, new_flow: Flow | None = None
    ) -> Outcome | None:
        """The message read as one of the appointments listed: its number, its reference, its day, hour or
        specialty, or whose it is; while moving, a new time that names none of them is kept for the one chosen
        next. None when it is another request."""
        number = choices.option_number(turn.text, len(state.listed))
        reference = choices.appointment_reference(turn.text)
        if number is None and reference is not None:
            found = [i for i, a in enumerate(state.listed) if choices.matches_reference(a.id, reference)]
            number = found[0] if found else None
        dialog = self._dialog
        tz = dialog.settings.tz
        listed = state.listed
        if number is None:
            # "La mía, no la de mi esposo"; then "la del martes", "la de las 15:00", "la de pediatría".
            listed = await self._whose(state, turn)
            named = _named(listed, dialog.wishes(turn, Wishes()), tz)
            number = state.listed.index(named[0]) if len(named) == 1 else None
        if number is None:
            return await self._none_chosen(state.but(listed=listed), turn, new_flow)
        chosen = state.listed[number]
        wishes = state.wishes
        if state.flow is Flow.RESCHEDULE:
            # "Lunes 28 de diciembre a las 10" for the one on Monday 28 at 08:30: that one, moved to 10:00 that day.
            wishes = _new_time(dialog.wishes(turn, state.wishes), chosen, tz, among=len(state.listed))
            said, local = dialog.wishes(turn, Wishes()), chosen.starts_at.astimezone(tz)
            if said.clock == local.time() and said.day in (None, local.date()):
                wishes = wishes.but(clock=state.wishes.clock)  # "la de las 9": its own hour, not the new one
            wishes = _as_booked(wishes, state.booking_wishes, chosen, tz)
        outcome = await dialog.verification.gate(
            state.but(appointment=chosen, listed=(), step=None, wishes=wishes), turn
        )
        return await dialog.booking.hour_asked(outcome, turn)

    async def _none_chosen(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """No single appointment named: the ones still in question asked about again, with a new time said for a
        move kept ("me la puede pasar para el martes", "a las 10"); never a booking of a bare day or hour."""
        if new_flow not in (None, state.flow):
            return None  # "mis citas", "mejor cancélela": another request
        understood = turn.understood
        said = has_details(understood) or choices.names_own(turn.text) or understood.whom is not None
        if not said and new_flow is None:
            return None
        wishes = state.wishes
        if state.flow is Flow.RESCHEDULE and (understood.date or understood.time or understood.time_of_day):
            wishes = self._dialog.wishes(turn, wishes)
        return Outcome(state.but(wishes=wishes), self._choose_text(state.flow, state.listed))

    async def _whose(self, state: DialogState, turn: Turn) -> tuple[ListedAppointment, ...]:
        """The listed appointments of whoever the message names: "la mía" the holder's, "la de mi esposo" his."""
        listed = state.listed
        if choices.names_own(turn.text):
            own = tuple(a for a in listed if a.for_name is None)
            return own or listed
        mention = turn.understood.whom
        if mention is None:
            return listed
        holder = await clinic.patient_by_phone(self._dialog.conn, phone=turn.phone)
        if holder is None:
            return listed
        return tuple(await _theirs(self._dialog, Whom.of(mention), holder, list(listed)))

    def ask_again(self, state: DialogState) -> Outcome | None:
        """The appointment question asked again after a message that answers nothing."""
        if state.step is not Step.APPOINTMENT_CHOICE:
            return None
        return Outcome(state, self._choose_text(state.flow, state.listed))

    async def cancel(
        self, appointment: ListedAppointment, patient: Patient, turn: Turn
    ) -> tuple[Appointment, Action, str]:
        """Cancel the patient's `appointment` (the caller maps the errors): the appointment and what to say."""
        dialog = self._dialog
        cancelled = await booking.cancel(
            dialog.conn, appointment_id=appointment.id, patient_id=patient.id, now=turn.now
        )
        listed = ListedAppointment.of(cancelled, appointment.for_name)
        text = replies.cancelled(
            wording.appointment_text(listed, dialog.settings.tz, dialog.clinic.specialties), appointment.for_name
        )
        return cancelled, Action.CANCEL_APPOINTMENT, text

    async def move(
        self, appointment: ListedAppointment, slot: OfferedSlot, patient: Patient, turn: Turn
    ) -> tuple[Appointment, Action, str]:
        """Move the patient's `appointment` to `slot`'s time (the caller maps the errors)."""
        settings = self._dialog.settings
        moved = await booking.reschedule(
            self._dialog.conn,
            appointment_id=appointment.id,
            patient_id=patient.id,
            new_starts_at=slot.starts_at,
            now=turn.now,
            tz=settings.tz,
            min_notice=settings.min_notice,
        )
        when = wording.day_and_time(moved.starts_at, settings.tz)
        text = replies.rescheduled(when, moved.doctor_name, choices.reference_of(moved.id), appointment.for_name)
        return moved, Action.RESCHEDULE_APPOINTMENT, text

    async def _choose_appointment(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        dialog = self._dialog
        # The holder's and their family members' appointments, never another phone's (booking checks it too).
        upcoming = await family_upcoming(dialog.conn, patient, turn.now)
        upcoming = await _whose_said(dialog, state, patient, upcoming)
        actor = audit.patient_actor(patient.id)
        reference = state.wishes.reference
        if reference is not None:
            mine = [a for a in upcoming if choices.matches_reference(a.id, reference)]
            if not mine:
                # `reference` is a well-formed id or 8 hex digits (choices.appointment_reference), never free text.
                full_id = UUID(reference) if len(reference) == 36 else None
                await dialog.audit(
                    actor=actor,
                    action=CHANGE[state.flow],
                    outcome="denied",
                    target=audit.appointment_target(full_id) if full_id else None,
                    detail=None if full_id else {"reference": reference},
                )
                return Outcome(state.idle(), replies.NOT_AMONG_YOURS)
            upcoming = mine
        await dialog.audit(actor=actor, action="appointments.viewed", outcome="success")
        if not upcoming:
            return Outcome(state.idle().but(offered_booking=True), replies.NO_UPCOMING)
        tz = dialog.settings.tz
        named = _named(upcoming, state.wishes, tz)
        if len(named) == 1:
            [chosen] = named
            if state.flow is not Flow.RESCHEDULE:
                return await dialog.proceed(state.but(appointment=chosen), turn, patient)
            today = turn.now.astimezone(tz).date()
            held_day = (
                choices.names_held_day(turn.text)
                or chosen.starts_at.astimezone(tz).date() in (choices.days_named(turn.text, today)[1])
            )
            wishes = _new_time(state.wishes, chosen, tz, among=len(upcoming), held_day=held_day)
            wishes = _as_booked(wishes, state.booking_wishes, chosen, tz)
            outcome = await dialog.proceed(state.but(appointment=chosen, wishes=wishes), turn, patient)
            if outcome.state.step is not Step.SLOT_CHOICE:
                return outcome
            # Named in passing ("mi cita del viernes"), never listed: say which one is moving.
            moving = wording.appointment_text(chosen, tz, dialog.clinic.specialties)
            return replace(outcome, text=f"{replies.moving(moving, chosen.for_name)} {outcome.text}")
        listed = tuple(named)
        return Outcome(state.but(step=Step.APPOINTMENT_CHOICE, listed=listed), self._choose_text(state.flow, listed))

    def _choose_text(self, flow: Flow | None, listed: tuple[ListedAppointment, ...]) -> str:
        verb = "cancelar" if flow is Flow.CANCEL else "cambiar"
        lines = appointment_lines(listed, self._dialog.settings.tz, self._dialog.clinic.specialties)
        return replies.choose_appointment(lines, verb)


def _named(appointments: Sequence[ListedAppointment], wishes: Wishes, tz: ZoneInfo) -> list[ListedAppointment]:
    """The appointments the patient's words point at: their doctor or specialty, their day, their hour.

    Each detail narrows the list only when some appointment fits it; one that fits none is about the new time.
    """
    tests: list[Callable[[ListedAppointment], bool]] = []
    if wishes.doctor_id is not None:
        tests.append(lambda a: a.doctor_id == wishes.doctor_id)
    elif wishes.specialty is not None:
        tests.append(lambda a: a.specialty_code == wishes.specialty)
    if wishes.day is not None:
        tests.append(lambda a: a.starts_at.astimezone(tz).date() == wishes.day)
    if wishes.clock is not None:
        tests.append(lambda a: a.starts_at.astimezone(tz).time() == wishes.clock)
    named = list(appointments)
    for test in tests:
        named = [a for a in named if test(a)] or named
    return named


def _new_time(
    wishes: Wishes, appointment: ListedAppointment, tz: ZoneInfo, *, among: int, held_day: bool = False
) -> Wishes:
    """What is left of `wishes` for the new time once `appointment` is the one to move.

    Its own hour ("cambiar la de las 15:00") named it, and so did its day, with no new hour, when it was needed to
    tell it from others or was said as its day (`held_day`: "cambiar mi cita del viernes", "el viernes no puedo");
    with one appointment, "para el jueves" is the new day even when it is already on a Thursday, and with a new
    hour the day is where to look for it.
    """
    local = appointment.starts_at.astimezone(tz)
    same_day = wishes.day == local.date()
    if wishes.clock is not None and wishes.clock == local.time() and (wishes.day is None or same_day):
        return wishes.but(day=None, clock=None)
    if same_day and (among > 1 or held_day) and wishes.clock is None and wishes.time_of_day is None:
        return wishes.but(day=None)
    return wishes


def _as_booked(wishes: Wishes, booked: Wishes | None, appointment: ListedAppointment, tz: ZoneInfo) -> Wishes:
    """The new time of a booking turned into a move: the day and hour the booking asked for, where the message
    gave none of its own ("viernes a las 5", then "yo quería cambiar la de las 15:00, no sacar otra")."""
    if booked is None or wishes.day is not None or wishes.clock is not None or wishes.time_of_day is not None:
        return wishes
    if booked.day == appointment.starts_at.astimezone(tz).date() and booked.clock is None:
        return wishes  # "la del viernes": the booking's day only named the appointment
    return wishes.but(day=booked.day, clock=booked.clock, time_of_day=booked.time_of_day)


async def _whose_said(
    dialog: Dialog, state: DialogState, holder: Patient, upcoming: list[ListedAppointment]
) -> list[ListedAppointment]:
    """Only the appointments of whoever the patient named ("cancelar la cita de mi hijo"), if that names any."""
    said = state.wishes.whom
    if said is None:
        return upcoming
    return await _theirs(dialog, said, holder, upcoming)


async def _theirs(
    dialog: Dialog, said: Whom, holder: Patient, upcoming: list[ListedAppointment]
) -> list[ListedAppointment]:
    """The appointments of whoever `said` names among the holder and their family; all when it names none."""
    dependents = await clinic.dependents_of(dialog.conn, holder_id=holder.id)
    ids = member_ids(said, holder, dependents)
    if ids is None:
        return upcoming
    names = {d.full_name for d in dependents if d.id in ids}
    theirs = [a for a in upcoming if (a.for_name in names if a.for_name else holder.id in ids)]
    return theirs or upcoming
