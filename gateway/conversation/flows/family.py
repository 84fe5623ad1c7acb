"""Who a booking is for, on a phone that speaks for family members too: asking it, and adding a member.

A phone has one holder, who verifies; the holder may book for the family members registered with the phone
(a son, a mother) and add one in the conversation (name and date of birth). A phone with no family members
is never asked: the booking is the holder's, as it always was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from appointments import booking
from appointments import repository as clinic
from appointments.schemas import Patient
from gateway import audit
from gateway.conversation import choices, replies
from gateway.conversation.flows.common import Outcome, Turn
from gateway.conversation.reply import Option
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Member, Step, Whom
from gateway.db import Connection
from gateway.understanding.birthdates import parse_birth_date
from gateway.understanding.family import names_in
from gateway.understanding.normalize import fold

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog

# A family member's name as written: letters, with spaces, apostrophes, dots or hyphens between words.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+){0,5}$")
_MAX_NAME = 80


@dataclass(frozen=True)
class _Add:
    """Nobody on the phone matches: the person is to be added (their name, if said, is in the wishes)."""


async def family_upcoming(conn: Connection, holder: Patient, now: datetime) -> list[ListedAppointment]:
    """The holder's upcoming appointments and their family members', each family member's with their name."""
    names = {d.id: d.full_name for d in await clinic.dependents_of(conn, holder_id=holder.id)}
    if not names:
        upcoming = await booking.upcoming_for_patient(conn, patient_id=holder.id, now=now)
    else:
        upcoming = await booking.upcoming_for_family(conn, holder_id=holder.id, now=now)
    return [ListedAppointment.of(a, names.get(a.patient_id)) for a in upcoming]


def member_ids(said: Whom | None, holder: Patient, dependents: list[Patient]) -> set[int] | None:
    """Whose appointments the words point at ("la cita de mi hijo"): their patient ids, or None for anyone's."""
    match = _match(said, holder, dependents)
    if isinstance(match, Patient):
        return {match.id}
    if said is not None and said.relation is not None and not said.uncertain:
        related = {d.id for d in dependents if d.relation == said.relation}
        return related or None
    return None


def _member(patient: Patient) -> Member:
    return Member(id=patient.id, full_name=patient.full_name, holder=patient.holder_id is None)


def _match(said: Whom | None, holder: Patient, dependents: list[Patient]) -> Patient | _Add | None:
    """Who the words name among the holder and their family: one of them, someone to add, or None (ask)."""
    if said is None or said.uncertain:
        return None  # "mi esposo se queja de la espalda, quiero una cita": his, or hers? Ask.
    if said.myself:
        return holder
    if said.name is not None:
        named = names_in(said.name, [d.full_name for d in dependents])
        if len(named) == 1:
            return dependents[named[0]]
        return _Add() if not named else None
    if said.relation is not None:
        related = [d for d in dependents if d.relation == said.relation]
        if len(related) == 1:
            return related[0]
        # A member added without saying how they are related may be the one meant: ask rather than add twice.
        if related or any(d.relation is None for d in dependents):
            return None
        return _Add()
    return _Add() if said.someone_else else None


class Family:
    """The steps that settle who a booking is for."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def member(self, state: DialogState, turn: Turn, holder: Patient) -> tuple[DialogState, Patient] | Outcome:
        """The patient the booking is for (with the state that remembers it), or the question to ask first."""
        dependents = await clinic.dependents_of(self._dialog.conn, holder_id=holder.id)
        if state.member is not None:
            known = [holder, *dependents]
            found = next((p for p in known if p.id == state.member.id), None)
            if found is not None:
                return state, found
            state = state.but(member=None)  # no longer on this phone: ask again
        said = state.wishes.whom
        if said is None and not dependents:
            return state, holder
        match = _match(said, holder, dependents)
        if isinstance(match, Patient):
            return state.but(member=_member(match)), match
        if isinstance(match, _Add):
            return self._ask_to_add(state)
        return self._ask(state, dependents)

    async def booked_for(self, state: DialogState, holder: Patient) -> Patient | None:
        """The patient a confirmed booking is for: the holder, or the family member chosen if still theirs."""
        if state.member is None or state.member.id == holder.id:
            return holder
        return await clinic.family_member(self._dialog.conn, holder_id=holder.id, patient_id=state.member.id)

    async def named_at_confirmation(self, state: DialogState, turn: Turn, *, said_yes: bool) -> Outcome:
        """ "Sí confirmo, a nombre de mi hijo Mateo": who it is for, then the booking (or the question again)."""
        dialog = self._dialog
        mention = turn.understood.whom
        said = Whom.of(mention) if mention is not None else state.wishes.whom
        state = state.but(wishes=state.wishes.but(whom=said), member=None, confirmed=said_yes)
        reverify = await dialog.verification.still_verified(state, turn)
        if reverify is not None:
            return reverify
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if holder is None:
            return await dialog.verification.gate(state, turn)
        dependents = await clinic.dependents_of(dialog.conn, holder_id=holder.id)
        match = _match(said, holder, dependents)
        if isinstance(match, Patient):
            return await self._go_on(state.but(member=_member(match)), turn)
        if isinstance(match, _Add):
            return self._ask_to_add(state)
        return self._ask(state, dependents)

    async def answer_for_whom(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as who the booking is for: an option's number, "para mi hijo", a name."""
        dialog = self._dialog
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if holder is None:
            return await dialog.verification.gate(state.but(step=None), turn)
        dependents = await clinic.dependents_of(dialog.conn, holder_id=holder.id)
        number = choices.option_number(turn.text, len(dependents) + 2)
        mention = turn.understood.whom
        named = names_in(turn.text, [d.full_name for d in dependents])
        match: Patient | _Add | None
        if number is not None:
            people: list[Patient | _Add] = [holder, *dependents, _Add()]
            match = people[number]
            if isinstance(match, _Add):  # "otra persona": not whoever an earlier message named
                state = state.but(wishes=state.wishes.but(whom=Whom(someone_else=True)))
        elif mention is None and len(named) == 1:
            match = dependents[named[0]]
        elif mention is not None:
            state = state.but(wishes=state.wishes.but(whom=Whom.of(mention)))
            match = _match(state.wishes.whom, holder, dependents)
        else:
            return None if new_flow is not None else self._ask(state, dependents, again=True)
        if isinstance(match, Patient):
            return await self._go_on(state.but(member=_member(match)), turn)
        if isinstance(match, _Add):
            return self._ask_to_add(state)
        return self._ask(state, dependents, again=True)

    async def answer_name(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as the new family member's name."""
        if new_flow is not None:
            return None
        mention = turn.understood.whom
        name = mention.name if mention is not None and mention.name else " ".join(turn.text.split())
        if not (_NAME.match(name) and len(name) <= _MAX_NAME):
            return Outcome(state, replies.MEMBER_NAME_AGAIN)
        name = " ".join(word[:1].upper() + word[1:] for word in name.split())
        said = state.wishes.whom or Whom()
        if said.name is not None and fold(said.name) not in fold(name).split():
            name = f"{said.name} {name}"  # "¿El nombre completo de Ricardo?" "Flores Mamani"
        named = Whom(relation=said.relation, name=name)
        asked = state.but(step=Step.MEMBER_BIRTH_DATE, wishes=state.wishes.but(whom=named))
        return Outcome(asked, replies.ask_member_birth_date(name, said.relation))

    async def answer_birth_date(self, state: DialogState, turn: Turn, new_flow: Flow | None) -> Outcome | None:
        """The message read as the new family member's date of birth: they are added and the booking goes on."""
        dialog = self._dialog
        said = state.wishes.whom
        if said is None or said.name is None:
            return self._ask_to_add(state)
        born = parse_birth_date(turn.text, today=turn.now.astimezone(dialog.settings.tz).date())
        if born is None:
            return (
                None
                if new_flow is not None
                else Outcome(state, replies.member_birth_date_again(said.name, said.relation))
            )
        reverify = await dialog.verification.still_verified(state, turn)
        if reverify is not None:
            return reverify
        holder = await clinic.patient_by_phone(dialog.conn, phone=turn.phone)
        if holder is None:
            return await dialog.verification.gate(state.but(step=None), turn)
        relation = said.relation.value if said.relation is not None else None
        added = await clinic.add_dependent(
            dialog.conn, holder_id=holder.id, full_name=said.name, date_of_birth=born, relation=relation
        )
        if added is None:  # only a holder adds family members, and the phone's patient is one
            return Outcome(state.idle(), replies.DID_NOT_UNDERSTAND)
        await dialog.audit(
            actor=audit.patient_actor(holder.id),
            action="patient.member_added",
            outcome="success",
            target=audit.patient_actor(added.id),
        )
        outcome = await self._go_on(state.but(member=_member(added), wishes=state.wishes.but(whom=None)), turn)
        return replace(outcome, text=f"{replies.member_added(added.full_name)} {outcome.text}")

    async def ask_again(self, state: DialogState, turn: Turn) -> Outcome | None:
        """The family question asked again after a message that answers nothing."""
        if state.step is Step.FOR_WHOM:
            holder = await clinic.patient_by_phone(self._dialog.conn, phone=turn.phone)
            dependents = [] if holder is None else await clinic.dependents_of(self._dialog.conn, holder_id=holder.id)
            return self._ask(state, dependents, again=True)
        if state.step is Step.MEMBER_NAME:
            return Outcome(state, replies.MEMBER_NAME_AGAIN)
        if state.step is Step.MEMBER_BIRTH_DATE:
            said = state.wishes.whom
            if said is not None and said.name is not None:
                return Outcome(state, replies.member_birth_date_again(said.name, said.relation))
            return self._ask_to_add(state)
        return None

    async def _go_on(self, state: DialogState, turn: Turn) -> Outcome:
        """Who it is for is settled: book at once if the patient already said yes, else go on with the booking."""
        dialog = self._dialog
        state = state.but(step=None)
        if state.confirmed and state.chosen is not None:
            return await dialog.confirmation.execute(state.but(confirmed=False), turn)
        return await dialog.verification.gate(state, turn)

    def _ask(self, state: DialogState, dependents: list[Patient], *, again: bool = False) -> Outcome:
        names = [d.full_name for d in dependents]
        people = ["Para mí", *names, replies.OTHER_PERSON]
        options = tuple(Option(id=str(i), title=person[:24]) for i, person in enumerate(people, start=1))
        text = replies.for_whom_again(names) if again else replies.for_whom(names)
        return Outcome(state.but(step=Step.FOR_WHOM), text, options=options)

    def _ask_to_add(self, state: DialogState) -> Outcome:
        said = state.wishes.whom or Whom(someone_else=True)
        if said.name is not None and len(said.name.split()) > 1:
            return Outcome(
                state.but(step=Step.MEMBER_BIRTH_DATE), replies.ask_member_birth_date(said.name, said.relation)
            )
        if said.name is not None:
            # "Para mi esposo Ricardo": the clinic's record needs his surnames too.
            return Outcome(state.but(step=Step.MEMBER_NAME), replies.ask_member_full_name(said.name))
        relation = said.relation.value if said.relation is not None else None
        return Outcome(state.but(step=Step.MEMBER_NAME), replies.ask_member_name(relation))
