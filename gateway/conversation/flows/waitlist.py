"""The waitlist in the conversation: the invitation when no time suits, joining, listing, leaving, and the answer
to an offer the notification service sent.

Joining, listing and taking a slot need a verified patient; declining an offer or leaving the list does not, as
anyone writing from the phone may stop its messages. An entry is for the booking's patient (the holder or a family
member) and is reached through the holder's phone, so the holder's consent to messages decides: never asked, the
entry is made and the question asked; refused, the question is asked again with the request kept (doctor or
specialty, days, whom for), and the entry is made once the yes is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from appointments import repository as clinic
from appointments import waitlist
from appointments.errors import NotBookable, PatientBusy, SlotTaken, TooManyUpcoming
from appointments.schemas import Patient
from gateway import audit
from gateway.conversation import replies, wording
from gateway.conversation.buttons import OfferButton
from gateway.conversation.flows.common import CHANGE, WAITLIST_LEFT, YES_NO, Outcome, Turn
from gateway.conversation.flows.verification import VERIFYING
from gateway.conversation.reply_check import asks_for_medical_advice
from gateway.conversation.state import DialogState, Flow, OfferedSlot, Step, Wishes
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import no_in, yes_in
from gateway.understanding.waitlist import OfferAnswer, WaitlistWish, offer_answer

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog

_FLOW_OF = {WaitlistWish.JOIN: Flow.WAITLIST_JOIN, WaitlistWish.LIST: Flow.WAITLIST_LIST}
FLOWS = frozenset({Flow.WAITLIST_JOIN, Flow.WAITLIST_LIST, Flow.WAITLIST_TAKE, Flow.WAITLIST_CONSENT})
_JOINED = "waitlist.joined"
_TAKEN = "waitlist.offer_taken"


class Waitlist:
    """Joining, seeing and leaving the waitlist; taking or declining an offered slot."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    # --- the invitation ----------------------------------------------------------------------------------------

    def days(self, wishes: Wishes, turn: Turn) -> Days:
        """The days an entry asks for: the only weekdays asked ("solo puedo los sábados"), each one of them over the
        search's span from today; the one day asked; the week asked ("la próxima semana"); else from today over the
        search's span. Never the day of the slots shown: QA's entry came out for the Monday she had said no to."""
        today = turn.now.astimezone(self._dialog.settings.tz).date()
        span = [today + timedelta(days=n) for n in range(self._dialog.settings.search_days + 1)]
        on_weekdays = [day for day in span if day.isoweekday() in wishes.weekdays]
        if on_weekdays:
            return Days(on_weekdays[0], on_weekdays[-1], wishes.weekdays if len(on_weekdays) > 1 else ())
        if wishes.day is not None and wishes.day >= today:
            return Days(wishes.day, wishes.day)
        if wishes.week is not None and wishes.week + timedelta(days=6) >= today:
            return Days(max(wishes.week, today), wishes.week + timedelta(days=6))
        return Days(span[0], span[-1])

    def invite(self, state: DialogState, turn: Turn, before: str) -> Outcome:
        """`before` (no times found) followed by the question whether to be told when one frees up."""
        asked = state.but(step=Step.WAITLIST_JOIN, offered=(), search_after=None, search_before=None)
        return Outcome(asked, f"{before} {self._question(state.wishes, turn)}", options=YES_NO)

    async def answer_invite(self, state: DialogState, turn: Turn) -> Outcome | None:
        """The message read as "sí" or "no" to the invitation; None when it is neither. A yes that names a doctor,
        a day or a week ("sí, para la próxima semana") joins for what it names."""
        intent = turn.understood.intent
        if intent is Intent.DENY or no_in(turn.text):
            return Outcome(state.idle(), replies.WAITLIST_NOT_JOINED)
        if intent is Intent.CONFIRM or yes_in(turn.text):
            wishes = self._dialog.wishes(turn, state.wishes)
            joining = state.but(flow=Flow.WAITLIST_JOIN, step=None, wishes=wishes)
            return await self._dialog.verification.gate(joining, turn)
        return None

    def ask_again(self, state: DialogState, turn: Turn) -> Outcome | None:
        """The invitation asked again after a message that answers nothing."""
        if state.step is not Step.WAITLIST_JOIN:
            return None
        question = self._question(state.wishes, turn)
        return Outcome(state, f"{replies.NOT_UNDERSTOOD_SHORT} {question}", options=YES_NO)

    def _question(self, wishes: Wishes, turn: Turn) -> str:
        return replies.waitlist_question(self._what(wishes), self.days(wishes, turn).said())

    # --- what the patient asks ---------------------------------------------------------------------------------

    async def wish(self, state: DialogState, turn: Turn, wish: WaitlistWish) -> Outcome:
        """ "Lista de espera", "mi lista de espera", "salir de la lista de espera"."""
        if wish is WaitlistWish.LEAVE:
            return await self._leave(state, turn)
        flow = _FLOW_OF[wish]
        wishes = Wishes()
        if flow is Flow.WAITLIST_JOIN:
            # For what is being searched, with what the message names: "anóteme … del Dr. Gutiérrez", "para la
            # próxima semana" (a date written while verification asks one is a date of birth, not the day wanted).
            wishes = self._dialog.wishes(turn, state.wishes, when=state.step not in VERIFYING)
        kept = state.idle().but(flow=flow, wishes=wishes, member=state.member)
        return await self._dialog.verification.gate(kept, turn)

    async def proceed(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome:
        """The verified patient's waitlist flow."""
        if state.flow is Flow.WAITLIST_LIST:
            return await self._list(state, turn, holder)
        if state.flow is Flow.WAITLIST_TAKE:
            return await self._take(state, turn, holder)
        if state.flow is Flow.WAITLIST_CONSENT:
            # "Sí" to messages again, asked for this entry: stored, then the entry made with what was asked.
            await self._dialog.reminders.store(holder, True, turn)
            joined = await self._join(state.but(flow=Flow.WAITLIST_JOIN), turn, holder)
            return replace(joined, text=replies.joined(replies.MESSAGES_BACK_ON, joined.text or "", "\n\n"))
        return await self._join(state, turn, holder)

    async def _join(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome:
        dialog = self._dialog
        wishes = state.wishes
        if wishes.doctor_id is None and wishes.specialty is None:
            return Outcome(state.idle(), replies.WAITLIST_NEEDS_WHAT)
        days = self.days(wishes, turn)
        never = await self._never_free(wishes, days)
        if never:
            # "El Dr. … no atiende los sábados": no slot will ever free up then, so the usual span is asked about.
            anyday = wishes.but(day=None, week=None, weekdays=())
            return self.invite(state.but(flow=Flow.WAITLIST_JOIN, wishes=anyday), turn, never)
        consent = await clinic.reminders_consent(dialog.conn, patient_id=holder.id)
        if consent is False:
            # Offers go by WhatsApp: ask whether to turn messages back on, keeping the request for the yes.
            asking = state.but(flow=Flow.WAITLIST_CONSENT, step=Step.REMINDERS_CONSENT)
            return Outcome(asking, replies.WAITLIST_CONSENT_AGAIN, options=YES_NO)
        patient_id = state.member.id if state.member is not None else holder.id
        added = await waitlist.join(
            dialog.conn,
            patient_id=patient_id,
            doctor_id=wishes.doctor_id,
            specialty_code=None if wishes.doctor_id is not None else wishes.specialty,
            first_day=days.first,
            last_day=days.last,
            weekdays=days.weekdays,
            now=turn.now,
        )
        await dialog.audit(actor=audit.patient_actor(holder.id), action=_JOINED, outcome="success")
        text = replies.waitlist_joined(
            self._what(wishes),
            days.said(),
            already=not added,
            hold_minutes=dialog.settings.waitlist_hold_minutes,
            for_name=state.member.full_name if state.member is not None and not state.member.holder else None,
        )
        if consent is None:
            asked = state.idle().but(step=Step.REMINDERS_CONSENT, reminders_asked=True)
            return Outcome(asked, f"{text}\n\n{replies.WAITLIST_ASK_CONSENT}", options=YES_NO)
        return Outcome(state.idle(), text)

    async def _list(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome:
        dialog = self._dialog
        today = turn.now.astimezone(dialog.settings.tz).date()
        entries = await waitlist.waiting(dialog.conn, holder_id=holder.id, today=today)
        if not entries:
            return Outcome(state.idle(), replies.WAITLIST_EMPTY)
        lines = []
        for entry in entries:
            if entry.doctor_name is not None:
                what = f"con {wording.with_article(entry.doctor_name)} ({entry.specialty_name})"
            else:
                what = f"en {entry.specialty_name}"
            whose = f", para {entry.for_name}" if entry.for_name else ""
            days = Days(max(entry.first_day, today), entry.last_day, tuple(entry.weekdays or ())).said(listed=True)
            lines.append(f"• {what}{whose}, {days}")
        return Outcome(state.idle(), replies.waitlist_entries(lines))

    async def _leave(self, state: DialogState, turn: Turn) -> Outcome:
        dialog = self._dialog
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        left = 0 if holder is None else await waitlist.leave(dialog.conn, holder_id=holder.id, now=turn.now)
        if holder is not None and left:
            await dialog.audit(
                actor=audit.patient_actor(holder.id), action=WAITLIST_LEFT, outcome="success", detail={"entries": left}
            )
        kept = state.but(step=None) if state.step is Step.WAITLIST_JOIN else state
        return Outcome(kept, replies.waitlist_left(left))

    # --- an offer's answer -------------------------------------------------------------------------------------

    async def button(self, state: DialogState, turn: Turn, tapped: OfferButton) -> Outcome:
        """ "Sí, la quiero" goes through verification; "No, gracias" passes the slot on at once. An offer no longer
        open is said to be so first: its hold ran out, its slot went, or it was answered; one not the phone's
        family's reads as unknown."""
        if not tapped.accept:
            return await self._decline(state, turn, tapped.offer_id)
        dialog = self._dialog
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        offer = (
            None
            if holder is None
            else await waitlist.offer_for(dialog.conn, offer_id=tapped.offer_id, holder_id=holder.id)
        )
        closed = _closed(offer, turn)
        if closed is not None:
            actor = audit.phone_actor(turn.phone) if holder is None else audit.patient_actor(holder.id)
            await dialog.audit(actor=actor, action=_TAKEN, outcome="denied", detail={"reason": _why_closed(offer)})
            return Outcome(state.idle(), closed)
        taking = state.idle().but(flow=Flow.WAITLIST_TAKE, waitlist_offer=tapped.offer_id)
        return await dialog.verification.gate(taking, turn)

    async def answer_words(self, state: DialogState, turn: Turn) -> Outcome | None:
        """A "sí" or "no" to the phone's open offer: with nothing else asked, any offer still held; while a flow is
        under way, only one sent after the assistant last answered (the newest thing the clinic said), and only a
        clear yes or no ("la tomo", never an option's number). A "no" that starts a sentence about something else
        answers nothing (`offer_answer`)."""
        dialog = self._dialog
        idle = state.step is None and state.flow is None
        if not idle and state.answered_at is None:
            return None
        answer = offer_answer(turn.text, turn.understood.intent, clear=not idle)
        if answer is None:
            return None
        sent_after = None if idle else state.answered_at
        offer_id = await waitlist.open_offer(dialog.conn, phone=turn.phone, now=turn.now, sent_after=sent_after)
        if offer_id is None:
            return None
        if answer is OfferAnswer.DECLINE:
            return await self._decline(state, turn, offer_id)
        taking = state.idle().but(flow=Flow.WAITLIST_TAKE, waitlist_offer=offer_id)
        taken = await dialog.verification.gate(taking, turn)
        if taken.appointment is not None and asks_for_medical_advice(turn.text):
            # QA: "…qué pastilla tomo para el dolor? … así que la tomo": the slot taken, and then what is never
            # answered here.
            note = replies.no_medical_advice(dialog.settings.contacts.number)
            return replace(taken, text=f"{taken.text}\n\n{note}")
        return taken

    async def _decline(self, state: DialogState, turn: Turn, offer_id: int) -> Outcome:
        dialog = self._dialog
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        offer = (
            None if holder is None else await waitlist.offer_for(dialog.conn, offer_id=offer_id, holder_id=holder.id)
        )
        closed = _closed(offer, turn)
        if closed is not None:
            return Outcome(state.idle(), closed)
        assert offer is not None
        await waitlist.answer(dialog.conn, offer=offer, status="declined", now=turn.now)
        return Outcome(state.idle(), replies.WAITLIST_OFFER_DECLINED)

    async def _take(self, state: DialogState, turn: Turn, holder: Patient) -> Outcome:
        dialog = self._dialog
        offer = await waitlist.offer_for(dialog.conn, offer_id=state.waitlist_offer, holder_id=holder.id)
        actor = audit.patient_actor(holder.id)
        closed = _closed(offer, turn)
        if closed is not None:
            await dialog.audit(actor=actor, action=_TAKEN, outcome="denied", detail={"reason": _why_closed(offer)})
            return Outcome(state.idle(), closed)
        assert offer is not None
        patient = holder
        if offer.patient_id != holder.id:
            member = await clinic.family_member(dialog.conn, holder_id=holder.id, patient_id=offer.patient_id)
            assert member is not None  # offer_for only finds the family's offers
            patient = member
        doctor = next(d for d in dialog.clinic.doctors if d.id == offer.doctor_id)
        slot = OfferedSlot(
            doctor_id=doctor.id,
            doctor_name=doctor.full_name,
            specialty_code=doctor.specialty_code,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
        )
        try:
            appointment, action, text = await dialog.booking.book(slot, patient, turn)
        except (SlotTaken, PatientBusy, NotBookable, TooManyUpcoming) as exc:
            await waitlist.answer(dialog.conn, offer=offer, status="withdrawn", now=turn.now, reason="not_bookable")
            await dialog.audit(actor=actor, action=_TAKEN, outcome="denied", detail={"reason": type(exc).__name__})
            return Outcome(state.idle(), replies.WAITLIST_OFFER_TAKEN)
        await waitlist.answer(dialog.conn, offer=offer, status="accepted", now=turn.now)
        target = audit.appointment_target(appointment.id)
        await dialog.audit(
            actor=actor, action=CHANGE[Flow.BOOK], outcome="success", target=target, detail={"via": "waitlist"}
        )
        return Outcome(state.idle(), text, action, appointment=appointment)

    async def _never_free(self, wishes: Wishes, days: Days) -> str:
        """Why no slot can ever free up on the days asked, as said to the patient: the doctor (or every doctor of
        the specialty) never works those weekdays; "" when one may."""
        if days.weekdays:
            weekdays = set(days.weekdays)
        elif days.first == days.last:
            weekdays = {days.first.isoweekday()}
        else:
            return ""
        on = days.first if days.first == days.last else None
        return await self._dialog.booking.not_attending(wishes.doctor_id, wishes.specialty, weekdays, on=on)

    def _what(self, wishes: Wishes) -> str:
        clinic_ = self._dialog.clinic
        doctor = next((d for d in clinic_.doctors if d.id == wishes.doctor_id), None)
        if doctor is not None:
            return f"con {wording.with_article(doctor.full_name)}"
        return f"en {clinic_.specialty_name(wishes.specialty or '')}"


def _closed(offer: waitlist.Offer | None, turn: Turn) -> str | None:
    """What to say of an offer that can no longer be answered; None while it is open."""
    if offer is None:
        return replies.WAITLIST_OFFER_UNKNOWN
    waiting = offer.entry_status == "waiting"
    if offer.status == "accepted":
        return replies.WAITLIST_OFFER_ACCEPTED_BEFORE
    if offer.status == "declined":
        return replies.waitlist_offer_declined_before(waiting=waiting, left=offer.reason == "left")
    if offer.status == "withdrawn":
        return replies.waitlist_offer_withdrawn(waiting=waiting)
    if offer.status == "expired" or offer.hold_until <= turn.now:
        return replies.waitlist_offer_expired(waiting=waiting)
    return None


def _why_closed(offer: waitlist.Offer | None) -> str:
    """The audit's reason for a denied take: the offer's status, or unknown (never another family's offer)."""
    if offer is None:
        return "unknown"
    return "expired" if offer.status == "offered" else offer.status


@dataclass(frozen=True)
class Days:
    """The days of a waitlist entry: `first` to `last`, on the ISO `weekdays` only when there are any."""

    first: date
    last: date
    weekdays: tuple[int, ...] = ()

    def said(self, *, listed: bool = False) -> str:
        """ "el viernes 8 de marzo" for one day; "los sábados del 9 al 16 de marzo" for some weekdays; else "entre el
        lunes 4 de marzo y el lunes 18 de marzo" (`listed`: "del … al …")."""
        first, last = self.first, self.last
        if first == last:
            return f"el {wording.day(first)}"
        if self.weekdays:
            every = " y ".join(wording.every(weekday) for weekday in sorted(self.weekdays))
            return f"{every} {wording.days_between(first, last)}"
        if listed:
            return f"del {wording.day(first)} al {wording.day(last)}"
        return f"entre el {wording.day(first)} y el {wording.day(last)}"
