"""Finding a free slot: the specialty asked for, the slots offered, the one chosen; for a booking or a move."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from appointments import booking
from appointments import repository as clinic_repository
from appointments.availability import free_slots
from appointments.schemas import Appointment, Patient, Slot
from gateway.conversation import choices, replies, wording
from gateway.conversation.flows import slots
from gateway.conversation.flows.common import Outcome, Turn
from gateway.conversation.reply import Action, Option
from gateway.conversation.state import DialogState, Flow, OfferedSlot, Step
from gateway.understanding.intents import Intent

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog

# What a patient at the limit of upcoming appointments may do instead of booking another.
_INSTEAD = (
    Option(id="mis citas", title="Ver mis citas"),
    Option(id="cancelar una cita", title="Cancelar una cita"),
    Option(id="cambiar una cita", title="Cambiar una cita"),
)


class Booking:
    """The steps that find a slot: which specialty, which of the slots offered."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def proceed(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """The verified patient's booking, from wherever it stands; for them or a family member they hold."""
        dialog = self._dialog
        settled = await dialog.family.member(state, turn, patient)
        if isinstance(settled, Outcome):
            return settled
        state, patient = settled
        held = await booking.upcoming_for_patient(
            dialog.conn, patient_id=patient.id, now=turn.now, limit=dialog.settings.max_upcoming
        )
        if len(held) >= dialog.settings.max_upcoming:
            return self.too_many_upcoming(state, patient.full_name if patient.holder_id is not None else None)
        if state.chosen is not None:
            return await dialog.confirmation.ask(state.but(step=Step.CONFIRM), turn)
        if state.wishes.specialty is None and state.wishes.doctor_id is None:
            return self.ask_specialty(state)
        return await self.offer(state, turn, patient)

    def ask_specialty(self, state: DialogState) -> Outcome:
        clinic = self._dialog.clinic
        names = [clinic.specialty_name(code) for code in clinic.offered_specialties()]
        options = tuple(Option(id=str(i), title=name[:24]) for i, name in enumerate(names, start=1))
        return Outcome(state.but(step=Step.SPECIALTY), replies.ask_specialty(names), options=options)

    async def answer_specialty(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as the specialty asked for; None when it starts another flow instead."""
        dialog = self._dialog
        understood = turn.understood
        offered = dialog.clinic.offered_specialties()
        number = choices.option_number(turn.text, len(offered))
        if number is not None:
            wishes = state.wishes.but(specialty=offered[number], doctor_id=None)
            return await dialog.verification.gate(state.but(wishes=wishes, step=None), turn)
        if understood.specialty or understood.doctor:
            return await dialog.verification.gate(state.but(wishes=dialog.wishes(turn, state.wishes), step=None), turn)
        return None if new_flow is not None else await dialog.reprompt(state, turn)

    async def answer_slot_choice(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as one of the slots offered, or as a change of mind (`flows/minds.py`)."""
        dialog = self._dialog
        tz = dialog.settings.tz
        starts = [slot.starts_at.astimezone(tz) for slot in state.offered]
        number = choices.option_number(turn.text, len(starts))
        if number is None:
            number = choices.option_at_time(turn.text, starts)
            day = turn.understood.date
            if number is not None and day is not None and starts[number].date() != day:
                number = None  # "ayer a las 10", "el lunes a las 10": the time of an offered slot, on another day
        part = turn.understood.time_of_day
        if (
            number is None
            and part is not None
            and turn.understood.date is None
            and not choices.wants_earlier(turn.text)
        ):
            number = slots.only_in_part_of_day(starts, part)  # "la de la tarde"; "más temprano" is no part of the day
        if number is not None:
            return await dialog.confirmation.ask(state.but(chosen=state.offered[number], step=Step.CONFIRM), turn)
        changed = await self._dialog.minds.change_of_mind(state, turn, new_flow)
        if changed is not None:
            return changed
        if choices.wants_other_options(turn.text) or turn.understood.intent is Intent.DENY:
            return await dialog.verification.gate(slots.later_options(state), turn)
        return None

    async def hour_asked(self, outcome: Outcome, turn: Turn) -> Outcome:
        """The hour the patient asked for, free at exactly that start: that time, to confirm, not a list to choose it
        from ("la de las 3" with 14:00 to 14:40 in view, "cámbiela al martes a las 10"); the day asked, if any, must
        be its day."""
        state = outcome.state
        clock, day = state.wishes.clock, state.wishes.day
        if clock is None or state.step is not Step.SLOT_CHOICE:
            return outcome
        tz = self._dialog.settings.tz
        slot = slots.at_clock(state.offered, clock, tz)
        if slot is None or (day is not None and slot.starts_at.astimezone(tz).date() != day):
            return outcome
        return await self._dialog.confirmation.ask(state.but(chosen=slot, step=Step.CONFIRM), turn)

    def ask_again(self, state: DialogState) -> Outcome | None:
        """The specialty or slot question asked again after a message that answers nothing."""
        if state.step is Step.SPECIALTY:
            return self.ask_specialty(state)
        if state.step is Step.SLOT_CHOICE and not state.offered:
            return Outcome(state, replies.ASK_ANOTHER_DAY)  # none on the only days asked (`_on_weekdays`)
        if state.step is Step.SLOT_CHOICE:
            return Outcome(state, replies.ASK_OPTION_AGAIN, options=self._slot_options(state.offered))
        return None

    async def offer(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """Offer up to `slots_offered` free slots that fit the patient's wishes."""
        dialog = self._dialog
        settings, clinic = dialog.settings, dialog.clinic
        tz = settings.tz
        wishes = state.wishes
        today = turn.now.astimezone(tz).date()
        first_day = max(wishes.day or wishes.week or today, today)
        moving = state.appointment
        doctor_id = moving.doctor_id if moving is not None else wishes.doctor_id
        # Free for whoever goes: a family member's appointment is moved to times free for them, not the holder.
        busy_for = moving.patient_id if moving is not None and moving.patient_id is not None else patient.id
        if doctor_id is None and wishes.specialty and wishes.specialty not in clinic.offered_specialties():
            # "Quiero cita con psicología": no such doctor here, which "no free slots" would hide.
            asked = self.ask_specialty(state.but(wishes=wishes.but(specialty=None)))
            missing = replies.specialty_not_offered(clinic.specialty_name(wishes.specialty))
            return replace(asked, text=f"{missing} {asked.text}")
        lead = ""
        if wishes.weekdays:
            on_weekdays = await self._on_weekdays(state)
            if isinstance(on_weekdays, Outcome):
                return on_weekdays
            state, lead = on_weekdays
            wishes, doctor_id = state.wishes, self._doctor_id(state)
        last_day = first_day + timedelta(days=settings.search_days)
        if state.search_before is not None:
            # "Más temprano": the day of the times shown is searched, whatever day was asked (`earlier_options`).
            first_day = today
        free = await self.free(state, turn, busy_for, first_day, last_day)
        if wishes.weekdays:
            free = [slot for slot in free if slot.starts_at.astimezone(tz).isoweekday() in wishes.weekdays]
        offered = slots.pick(
            free, wishes, state.search_after, tz=tz, count=settings.slots_offered, before=state.search_before
        )
        note = await self._note(state, offered, today)
        # The day or hour asked is not free ("No hay un horario libre … a las 14:00"), or nothing earlier is.
        missed = bool(note)
        if not offered and state.search_before is not None:
            shown_day = state.search_before.astimezone(tz).date()
            shown = datetime.combine(shown_day, time.min, tzinfo=tz)
            days_before = [slot for slot in free if slot.starts_at < shown]
            if days_before:
                # Nothing earlier that day, but on the days before it: the first of those, as "más temprano" asked
                # (QA got "No hay horarios más temprano el lunes 7" with Thursday 3 and Friday 4 free).
                offered = slots.pick(days_before, wishes, None, tz=tz, count=settings.slots_offered)
                note, missed = replies.earlier_days_only(wording.day(shown_day)), False
            else:
                # Nothing earlier at all: say so, and offer that day from its first time.
                that_day = [slot for slot in free if slot.starts_at >= shown]
                offered = slots.pick(that_day, wishes, None, tz=tz, count=settings.slots_offered)
        if not offered:
            whom = self._whom(doctor_id, wishes.specialty)
            if wishes.weekdays:
                whom = f"{whom} {_every(wishes.weekdays)}"  # "con la Dra. Lucía Vargas los sábados"
            text = replies.no_slots(whom, settings.search_days)
            if state.flow is Flow.BOOK and (wishes.doctor_id is not None or wishes.specialty is not None):
                # Nothing free at all: offer to tell them when something frees up.
                return dialog.waitlist.invite(state, turn, replies.no_slots_found(whom, settings.search_days))
            if state.flow is Flow.BOOK:
                return Outcome(state.but(step=Step.SPECIALTY, offered=(), search_after=None, search_before=None), text)
            return Outcome(state.idle(), text)
        lines = [wording.slot_line(i, slot, tz, clinic.specialties) for i, slot in enumerate(offered, start=1)]
        next_state = state.but(step=Step.SLOT_CHOICE, offered=tuple(offered), chosen=None, search_before=None)
        if state.flow is Flow.BOOK and state.search_after is None:
            note = " ".join(filter(None, [lead, await self._held_that_day(offered[0], patient, turn), note]))
        text = replies.offer_slots(lines, note=note)
        refused = state.search_after is not None or missed
        if refused and state.flow is Flow.BOOK:
            # The times offered before did not suit ("ninguno me sirve", nothing earlier), or the day or hour asked
            # is not free: they may wait for one.
            text = f"{text}\n\n{replies.WAITLIST_HINT}"
        return Outcome(next_state, text, options=self._slot_options(offered))

    async def _on_weekdays(self, state: DialogState) -> tuple[DialogState, str] | Outcome:
        """ "Solo puedo los sábados": the state to search those weekdays with, and what to say before its times; when
        the doctor asked never works them, another doctor of the specialty who does (a move keeps its doctor); when
        nobody does, the outcome saying so, waiting for another day (QA: the weekday was not read at all)."""
        clinic = self._dialog.clinic
        wishes = state.wishes
        doctor_id = self._doctor_id(state)
        absent = await self.not_attending(doctor_id, wishes.specialty, wishes.weekdays)
        if not absent:
            return state, ""
        days = _every(wishes.weekdays)
        doctor = self._doctor_name(state)
        if doctor is not None and state.appointment is None and wishes.specialty is not None:
            specialty = clinic.specialty_name(wishes.specialty)
            if not await self.not_attending(None, wishes.specialty, wishes.weekdays):
                return state.but(wishes=wishes.but(doctor_id=None)), replies.others_attend(doctor, specialty, days)
            absent = replies.nobody_attends(doctor, specialty, days)
        # At the slot question with no slots: another day named, or "lista de espera", is read as there.
        waiting = state.but(step=Step.SLOT_CHOICE, offered=(), chosen=None, search_after=None, search_before=None)
        return Outcome(waiting, f"{absent} {replies.ASK_ANOTHER_DAY}")

    async def _held_that_day(self, first: OfferedSlot, patient: Patient, turn: Turn) -> str:
        """A reminder that the person booked for already holds an appointment of the same specialty on the day
        offered (QA booked a husband twice on one Saturday, 08:20 and 09:00, without a word)."""
        tz = self._dialog.settings.tz
        day = first.starts_at.astimezone(tz).date()
        held = await booking.upcoming_for_patient(self._dialog.conn, patient_id=patient.id, now=turn.now)
        same = [
            a for a in held if a.specialty_code == first.specialty_code and a.starts_at.astimezone(tz).date() == day
        ]
        if not same:
            return ""
        for_name = patient.full_name if patient.holder_id is not None else None
        return replies.already_holds(wording.day_and_time(same[0].starts_at, tz), same[0].doctor_name, for_name)

    async def free(
        self, state: DialogState, turn: Turn, busy_for: int | None, first_day: date, last_day: date
    ) -> list[Slot]:
        """The free slots from `first_day` to `last_day` with the doctor moved, or the doctor or specialty asked."""
        dialog = self._dialog
        moving, wishes = state.appointment, state.wishes
        doctor_id = moving.doctor_id if moving is not None else wishes.doctor_id
        return await free_slots(
            dialog.conn,
            first_day=first_day,
            last_day=last_day,
            now=turn.now,
            doctor_id=doctor_id,
            specialty_code=None if doctor_id is not None else wishes.specialty,
            patient_id=busy_for,
            tz=dialog.settings.tz,
            min_notice=dialog.settings.min_notice,
            limit=None,
        )

    async def _note(self, state: DialogState, offered: list[OfferedSlot], today: date) -> str:
        """What to say before the slots about the day asked: none free on it (or the doctor never works that
        weekday), or none left after the page seen.

        A later page that no longer looks at that day says nothing about it.
        """
        tz = self._dialog.settings.tz
        day = state.wishes.day
        if state.search_before is not None:
            return "" if offered else replies.nothing_earlier_on(wording.day(state.search_before.astimezone(tz).date()))
        if day is None or day < today or (offered and offered[0].starts_at.astimezone(tz).date() == day):
            return self._hour_not_free(state, offered)
        searched = state.search_after.astimezone(tz).date() if state.search_after is not None else None
        if searched is None or searched < day:
            # QA: "No hay horarios libres con el Dr. … el sábado" for a doctor who never works on Saturdays.
            absent = await self.not_attending(
                self._doctor_id(state), state.wishes.specialty, {day.isoweekday()}, on=day
            )
            return absent or replies.no_slots_on(wording.day(day), self._doctor_name(state))
        return replies.no_more_slots_on(wording.day(day)) if searched == day else ""

    def _hour_not_free(self, state: DialogState, offered: list[OfferedSlot]) -> str:
        """ "No hay horario libre el sábado … a las 15:00" when the hour asked is not among the times offered that
        day (the doctor does not work then, or it is taken), so the nearest are not taken for it."""
        tz = self._dialog.settings.tz
        clock = state.wishes.clock
        if clock is None or not offered or state.search_after is not None or slots.at_clock(offered, clock, tz):
            return ""
        local = offered[0].starts_at.astimezone(tz)
        meant = datetime.combine(local.date(), slots.clock_meant(clock, offered, tz), tzinfo=tz)
        return replies.no_slot_at(wording.day_and_time(meant, tz))

    async def book(self, slot: OfferedSlot, patient: Patient, turn: Turn) -> tuple[Appointment, Action, str]:
        """Book `slot` for the patient, the holder or a family member (the caller maps the errors): the appointment
        and what to say."""
        settings = self._dialog.settings
        appointment = await booking.book(
            self._dialog.conn,
            patient_id=patient.id,
            doctor_id=slot.doctor_id,
            starts_at=slot.starts_at,
            now=turn.now,
            tz=settings.tz,
            min_notice=settings.min_notice,
            max_upcoming=settings.max_upcoming,
        )
        when = wording.day_and_time(appointment.starts_at, settings.tz)
        specialty = self._dialog.clinic.specialty_name(appointment.specialty_code)
        reference = choices.reference_of(appointment.id)
        for_name = patient.full_name if patient.holder_id is not None else None
        text = replies.booked(when, appointment.doctor_name, specialty, reference, for_name)
        return appointment, Action.SCHEDULE_APPOINTMENT, text

    def too_many_upcoming(self, state: DialogState, for_name: str | None = None) -> Outcome:
        """No more bookings for now (for the family member `for_name`): say why and what the patient can do instead."""
        limit = self._dialog.settings.max_upcoming
        return Outcome(state.idle(), replies.too_many_upcoming(limit, for_name), options=_INSTEAD)

    def _slot_options(self, offered: tuple[OfferedSlot, ...] | list[OfferedSlot]) -> tuple[Option, ...]:
        tz = self._dialog.settings.tz
        return tuple(
            Option(id=str(i), title=wording.short_day_and_time(slot.starts_at, tz), description=slot.doctor_name)
            for i, slot in enumerate(offered, start=1)
        )

    async def not_attending(
        self, doctor_id: int | None, specialty: str | None, weekdays: Collection[int], *, on: date | None = None
    ) -> str:
        """Why nothing can ever be free on the ISO `weekdays`: the doctor (with none, every doctor of the specialty)
        works none of them, as said to the patient; "" when one does. With `on`, a day of those weekdays, hours given
        to one of them for that very day count as working it."""
        dialog = self._dialog
        clinic = dialog.clinic
        if doctor_id is not None:
            doctors = [d for d in clinic.doctors if d.id == doctor_id]
        else:
            doctors = [d for d in clinic.doctors if specialty is not None and d.specialty_code == specialty]
        if not doctors or not weekdays:
            return ""
        ids = [d.id for d in doctors]
        blocks = await clinic_repository.weekly_schedules(dialog.conn, doctor_ids=ids)
        if any(block.weekday in weekdays for block in blocks):
            return ""
        if on is not None:
            overrides = await clinic_repository.schedule_overrides(
                dialog.conn, doctor_ids=ids, first_day=on, last_day=on
            )
            if any(o.doctor_id is not None and not o.closed for o in overrides):
                return ""
        days = _every(weekdays)
        if doctor_id is not None:
            return replies.not_attending(days, doctor=doctors[0].full_name)
        return replies.not_attending(days, specialty=clinic.specialty_name(doctors[0].specialty_code))

    def _doctor_id(self, state: DialogState) -> int | None:
        """The doctor the search is limited to: the one of the appointment moved, or the one asked for."""
        return state.appointment.doctor_id if state.appointment is not None else state.wishes.doctor_id

    def _doctor_name(self, state: DialogState) -> str | None:
        """The doctor the search is limited to: the one of the appointment moved, or the one asked for."""
        doctor_id = self._doctor_id(state)
        return next((d.full_name for d in self._dialog.clinic.doctors if d.id == doctor_id), None)

    def _whom(self, doctor_id: int | None, specialty: str | None) -> str:
        clinic = self._dialog.clinic
        doctor = next((d for d in clinic.doctors if d.id == doctor_id), None)
        if doctor is not None:
            return f"con {wording.with_article(doctor.full_name)}"
        if specialty is not None:
            return f"en {clinic.specialty_name(specialty)}"
        return ""


def _every(weekdays: Collection[int]) -> str:
    """ "los sábados", "los lunes ni los martes": as said of days nobody works, or of the only ones asked."""
    return " ni ".join(wording.every(weekday) for weekday in sorted(weekdays))
