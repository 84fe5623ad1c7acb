"""Questions about the clinic (hours, prices, doctors, where), answered from its data at any step of a flow."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from appointments import clinic_info, waitlist
from appointments import repository as clinic
from appointments.schemas import ScheduleBlock
from gateway.conversation import clinic_answers, replies, wording
from gateway.conversation.flows.common import Outcome, Turn
from gateway.conversation.reply_check import asks_for_medical_advice
from gateway.conversation.state import DialogState, Step
from gateway.understanding.clinic_topics import ClinicTopic

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog


class Questions:
    """Answers about the clinic; a question asked at a flow step is answered and the step asked again."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def ask(self, state: DialogState, turn: Turn) -> Outcome:
        """Answer from the clinic's data; a question asked at a flow step is answered and the step asked again."""
        dialog = self._dialog
        answered = await self.answer(state, turn)
        text = answered.text
        if asks_for_medical_advice(turn.text):
            text = f"{text}\n\n{replies.no_medical_advice(dialog.settings.contacts.number)}"
        held = await waitlist.held_offer(dialog.conn, phone=turn.phone, now=turn.now)
        if held is not None:
            # QA: "¿cuánto cuesta la consulta?" with a freed slot held for the patient: the prices, and the slot
            # still there to take.
            tz = dialog.settings.tz
            slot, until = wording.day_and_time(held.starts_at, tz), f"{held.hold_until.astimezone(tz):%H:%M}"
            text = f"{text}\n\n{replies.offer_still_held(slot, until, held.for_name)}"
        if state.step is None:
            asked_about = tuple(t for t in turn.understood.clinic_topics if t is not ClinicTopic.GENERAL)
            return Outcome(state.but(asked_about=asked_about), text, options=answered.options)
        understood = turn.understood
        # "Pediatría, ¿cuánto cuesta?" answers the specialty question too: the booking goes on with it.
        chosen = None
        if state.step is Step.SPECIALTY and (understood.specialty or understood.doctor):
            chosen = await dialog.booking.answer_specialty(state, turn, None)
        pending = chosen or await dialog.resume(state, turn)
        if pending.text is None:
            return Outcome(state, text, options=answered.options)
        return replace(pending, text=f"{text}\n\n{pending.text}", options=pending.options or answered.options)

    async def answer(self, state: DialogState, turn: Turn) -> clinic_answers.ClinicAnswer:
        """The clinic's answer to the message's question, with the facts it needs read for it."""
        dialog = self._dialog
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
                dialog.conn, doctor_ids=[], first_day=question.day, last_day=question.day
            )
            override = days_off[0] if days_off else None
        schedules: dict[int, list[ScheduleBlock]] = {}
        if ClinicTopic.DOCTORS in question.topics:
            named, code = question.doctor, question.specialty
            asked = [
                d.id for d in dialog.clinic.doctors if d.full_name == named or (not named and d.specialty_code == code)
            ]
            for block in await clinic.weekly_schedules(dialog.conn, doctor_ids=asked):
                schedules.setdefault(block.doctor_id, []).append(block)
        facts = clinic_answers.Facts(
            info=await clinic_info.load(dialog.conn),
            doctors=dialog.clinic.doctors,
            specialty_names=dialog.clinic.specialties,
            day_override=override,
            schedules=schedules,
            emergency_number=dialog.settings.emergency_number,
        )
        return clinic_answers.answer(question, facts)
