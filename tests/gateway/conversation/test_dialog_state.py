"""DialogState.but and Wishes.but: one typed keyword per field, so mypy checks every transition."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest
from pydantic import BaseModel

from gateway.conversation.state import (
    DialogState,
    EmergencyMode,
    Flow,
    ListedAppointment,
    Member,
    OfferedSlot,
    Step,
    Whom,
    Wishes,
)
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.emergencies import Emergency
from gateway.understanding.family import Relation


def keywords(but: Callable[..., BaseModel]) -> set[str]:
    parameters = inspect.signature(but).parameters.values()
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_every_field_has_a_keyword_and_nothing_else_does() -> None:
    assert keywords(DialogState.but) == set(DialogState.model_fields)
    assert keywords(Wishes.but) == set(Wishes.model_fields)


AT = datetime(2026, 12, 2, 9, tzinfo=UTC)
SLOT = OfferedSlot(doctor_id=1, doctor_name="Dra. X", specialty_code="pediatria", starts_at=AT, ends_at=AT)
LISTED = ListedAppointment(
    id=uuid.uuid4(), doctor_id=1, doctor_name="Dra. X", specialty_code="pediatria", starts_at=AT, ends_at=AT
)
# Every field away from its default, so that each keyword can be seen to change its field.
FULL = DialogState(
    flow=Flow.CANCEL,
    step=Step.CONFIRM,
    wishes=Wishes(specialty="pediatria"),
    offered=(SLOT,),
    search_after=AT,
    search_before=AT,
    chosen=SLOT,
    listed=(LISTED,),
    appointment=LISTED,
    booking_wishes=Wishes(day=AT.date()),
    identity_failures=2,
    identity_locked_until=AT,
    registering_name="Pedro Mamani",
    registering_birth_date=date(1990, 3, 12),
    registering_document="1234567 LP",
    emergency=EmergencyMode(kind=Emergency.MEDICAL, until=AT, last_reply="waiting:1", replies=1),
    farewell_at=AT,
    feeling_low=True,
    emergency_over_at=AT,
    asked_about=(ClinicTopic.PRICES,),
    member=Member(id=7, full_name="Mateo López", holder=False),
    confirmed=True,
    reminders_asked=True,
    offered_booking=True,
    handed_over=True,
    waitlist_offer=7,
    answered_at=AT,
)
FULL_WISHES = Wishes(
    specialty="pediatria",
    doctor_id=3,
    day=date(2026, 12, 3),
    week=date(2026, 12, 7),
    clock=time(10),
    time_of_day="evening",
    reference="3F2A91C0",
    whom=Whom(relation=Relation.HIJO, name="Mateo"),
)


@pytest.mark.parametrize("name", DialogState.model_fields)
def test_each_keyword_changes_its_field_and_no_other(name: str) -> None:
    value = getattr(FULL, name)
    assert value != getattr(DialogState(), name)

    changed = DialogState().but(**{name: value})

    assert changed == DialogState.model_validate({name: value})


@pytest.mark.parametrize("name", Wishes.model_fields)
def test_each_wish_keyword_changes_its_field_and_no_other(name: str) -> None:
    value = getattr(FULL_WISHES, name)

    assert Wishes().but(**{name: value}) == Wishes.model_validate({name: value})


def test_a_field_not_given_is_kept_and_none_is_a_value() -> None:
    state = DialogState(flow=Flow.BOOK, step=Step.CODE, search_after=AT, feeling_low=True)

    changed = state.but(step=None, identity_failures=2)

    assert changed == DialogState(flow=Flow.BOOK, step=None, search_after=AT, feeling_low=True, identity_failures=2)
    assert state.step is Step.CODE  # the original is untouched


def test_wishes_change_only_what_is_given() -> None:
    wishes = Wishes(specialty="pediatria", day=date(2026, 12, 3), clock=time(10))

    assert wishes.but(clock=None, time_of_day="morning") == Wishes(
        specialty="pediatria", day=date(2026, 12, 3), time_of_day="morning"
    )
    assert wishes.but() == wishes
