"""What the dialog remembers between messages, stored as JSON with the conversation."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum, StrEnum
from typing import Final
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from appointments.schemas import Appointment, Slot
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.emergencies import Emergency
from gateway.understanding.family import Mention, Relation
from gateway.understanding.times import TimeOfDay


class Flow(StrEnum):
    """What the patient set out to do."""

    BOOK = "book"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    LIST = "list"
    # "Confirmar" on a reminder: the patient will come to the appointment.
    ATTEND = "attend"
    # "Quiero recordatorios": the patient asks for reminders (only a verified patient may).
    REMINDERS = "reminders"
    # The waitlist: joining it for the wishes at hand, seeing it, leaving it, taking a slot it offered.
    WAITLIST_JOIN = "waitlist_join"
    WAITLIST_LIST = "waitlist_list"
    WAITLIST_LEAVE = "waitlist_leave"
    WAITLIST_TAKE = "waitlist_take"
    # Messages turned back on to join the waitlist (the patient had said no to them): the entry asked for is made
    # with the wishes kept once the yes is stored.
    WAITLIST_CONSENT = "waitlist_consent"


class Step(StrEnum):
    """What the assistant's last message asked for."""

    REGISTER_OFFER = "register_offer"
    REGISTER_NAME = "register_name"
    REGISTER_BIRTH_DATE = "register_birth_date"
    REGISTER_DOCUMENT = "register_document"
    IDENTITY = "identity"
    CODE = "code"
    SPECIALTY = "specialty"
    SLOT_CHOICE = "slot_choice"
    APPOINTMENT_CHOICE = "appointment_choice"
    CONFIRM = "confirm"
    # Who the appointment is for, on a phone that speaks for family members too; adding one.
    FOR_WHOM = "for_whom"
    MEMBER_NAME = "member_name"
    MEMBER_BIRTH_DATE = "member_birth_date"
    # Whether the patient wants reminders, asked once after a booking or a registration.
    REMINDERS_CONSENT = "reminders_consent"
    # Whether the patient, finding no time that suits them, wants to be told when one frees up.
    WAITLIST_JOIN = "waitlist_join"

    @classmethod
    def _missing_(cls, value: object) -> Step | None:
        # States saved while the identity question was always the phone's last 4 digits.
        return cls.IDENTITY if value == "last4" else None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Keep(Enum):
    """The default of a `but` parameter: the field keeps its value (None is a value fields may take)."""

    KEEP = "keep"


KEEP: Final = _Keep.KEEP


def _changed(values: dict[str, object]) -> dict[str, object]:
    """The values that change a field: every one but KEEP."""
    return {name: value for name, value in values.items() if value is not KEEP}


class OfferedSlot(_Frozen):
    """A free slot the patient was offered."""

    doctor_id: int
    doctor_name: str
    specialty_code: str
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, slot: Slot) -> OfferedSlot:
        return cls(
            doctor_id=slot.doctor_id,
            doctor_name=slot.doctor_name,
            specialty_code=slot.specialty_code,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )


class ListedAppointment(_Frozen):
    """One of the patient's own appointments, or of a family member they hold, as shown to them."""

    id: UUID
    doctor_id: int
    doctor_name: str
    specialty_code: str
    starts_at: datetime
    ends_at: datetime
    # The family member's name when the appointment is theirs; None when it is the phone holder's own.
    for_name: str | None = None
    # Whose it is (None in states stored before it was kept): a move looks for times free for them.
    patient_id: int | None = None

    @classmethod
    def of(cls, appointment: Appointment, for_name: str | None = None) -> ListedAppointment:
        return cls(
            id=appointment.id,
            doctor_id=appointment.doctor_id,
            doctor_name=appointment.doctor_name,
            specialty_code=appointment.specialty_code,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            for_name=for_name,
            patient_id=appointment.patient_id,
        )


class Whom(_Frozen):
    """Who the patient said the appointment is for, before it is matched with the phone's family."""

    myself: bool = False
    someone_else: bool = False
    relation: Relation | None = None
    name: str | None = None
    # A relative only told about: ask who the appointment is for.
    uncertain: bool = False

    @classmethod
    def of(cls, mention: Mention) -> Whom:
        return cls(
            myself=mention.myself,
            someone_else=mention.someone_else,
            relation=mention.relation,
            name=mention.name,
            uncertain=mention.uncertain,
        )


class Member(_Frozen):
    """The person the booking is for: the phone's holder or a family member they hold."""

    id: int
    full_name: str
    holder: bool


class Wishes(_Frozen):
    """What the patient said they want: who, which day and when in it."""

    specialty: str | None = None
    doctor_id: int | None = None
    day: date | None = None
    # "La próxima semana": the Monday of the week asked, with no day of it named.
    week: date | None = None
    # "Solo puedo los sábados": the only ISO weekdays (1 is Monday) the patient can come on, with no day named.
    weekdays: tuple[int, ...] = ()
    clock: time | None = None
    time_of_day: TimeOfDay | None = None
    # An appointment reference the patient wrote ("cancelar la cita 3F2A91C0").
    reference: str | None = None
    # Who it is for, as said ("para mi hijo Mateo").
    whom: Whom | None = None

    def but(
        self,
        *,
        specialty: str | _Keep | None = KEEP,
        doctor_id: int | _Keep | None = KEEP,
        day: date | _Keep | None = KEEP,
        week: date | _Keep | None = KEEP,
        weekdays: tuple[int, ...] | _Keep = KEEP,
        clock: time | _Keep | None = KEEP,
        time_of_day: TimeOfDay | _Keep | None = KEEP,
        reference: str | _Keep | None = KEEP,
        whom: Whom | _Keep | None = KEEP,
    ) -> Wishes:
        """A copy with the fields given changed; each is typed, so mypy checks every change."""
        changes = _changed(
            {
                "specialty": specialty,
                "doctor_id": doctor_id,
                "day": day,
                "week": week,
                "weekdays": weekdays,
                "clock": clock,
                "time_of_day": time_of_day,
                "reference": reference,
                "whom": whom,
            }
        )
        return self.model_copy(update=changes)


class EmergencyMode(_Frozen):
    """An emergency under way: the patient's next messages are part of it until `until`."""

    kind: Emergency
    until: datetime
    # Which answer was sent last ("waiting:1") and its words, so that the next one differs, and how many were sent.
    last_reply: str
    replies: int
    said: str = ""
    # Pills, a poison or a chemical were swallowed: the emergency number comes first, even about self-harm.
    swallowed: bool = False
    # Only the learned model read it (it may be a false alarm): a booking or a clinic question moves on from it.
    learned: bool = False


class DialogState(_Frozen):
    """The whole memory of a conversation's dialog; the empty state means nothing is under way."""

    flow: Flow | None = None
    step: Step | None = None
    wishes: Wishes = Wishes()
    # Slots offered in the current step, and where the next "otro horario" search starts.
    offered: tuple[OfferedSlot, ...] = ()
    search_after: datetime | None = None
    # "Más temprano": the next search offers the times just before this one, the same day (once).
    search_before: datetime | None = None
    chosen: OfferedSlot | None = None
    # The patient's appointments offered to choose from, and the one chosen.
    listed: tuple[ListedAppointment, ...] = ()
    appointment: ListedAppointment | None = None
    # A booking turned into a move ("yo quería cambiar la de las 15:00, no sacar otra"): what it asked for is where
    # to move to, when the day and hour of the message only name the appointment held.
    booking_wishes: Wishes | None = None
    # Verification: wrong answers to the identity question (kept across flows) and the lockout they lead to;
    # read under their older names too, so an upgrade keeps a lockout under way.
    identity_failures: int = Field(default=0, validation_alias=AliasChoices("identity_failures", "last4_failures"))
    identity_locked_until: datetime | None = Field(
        default=None, validation_alias=AliasChoices("identity_locked_until", "last4_locked_until")
    )
    # Registration of a phone the clinic does not know.
    registering_name: str | None = None
    registering_birth_date: date | None = None
    registering_document: str | None = None
    # Set by an emergency; while it lasts, follow-ups are answered as part of it (gateway/conversation/emergency.py).
    emergency: EmergencyMode | None = None
    # When the patient last thanked us or said goodbye: a "buenas noches" right after it is a goodbye too.
    farewell_at: datetime | None = None
    # The patient just told us they feel low: what they say next about it is heard in the same way.
    feeling_low: bool = False
    # When the last emergency was said to be over: a "gracias" soon after gets "cuídese", not a cheerful goodbye.
    emergency_over_at: datetime | None = None
    # What the clinic question just answered was about: "¿cuánto cuesta cardiología?" and then "¿y pediatría?".
    asked_about: tuple[ClinicTopic, ...] = ()
    # Who the booking is for, once known; None on a phone with no family members (the holder, as always).
    member: Member | None = None
    # The patient already said "sí" to the slot; only who it is for was missing ("sí, a nombre de mi hijo Mateo").
    confirmed: bool = False
    # The reminders question was asked in this conversation: an answer that never came is not asked for again.
    reminders_asked: bool = False
    # The last reply offered a booking ("¿Desea agendar una?"): a "sí" next starts one, a "no" closes politely.
    offered_booking: bool = False
    # The conversation was handed to a person and no flow has started since: a second complaint or request for one
    # is acknowledged briefly, not with the same hand-over sentence again.
    handed_over: bool = False
    # The waitlist offer being taken (its id, from the offer's button or the family's open offer).
    waitlist_offer: int | None = None
    # When the assistant last answered in this conversation (the service sets it each turn): a waitlist offer sent
    # after it is the newest thing the clinic said, and a clear yes or no answers it even while a flow is under way.
    answered_at: datetime | None = None

    def but(
        self,
        *,
        flow: Flow | _Keep | None = KEEP,
        step: Step | _Keep | None = KEEP,
        wishes: Wishes | _Keep = KEEP,
        offered: tuple[OfferedSlot, ...] | _Keep = KEEP,
        search_after: datetime | _Keep | None = KEEP,
        search_before: datetime | _Keep | None = KEEP,
        chosen: OfferedSlot | _Keep | None = KEEP,
        listed: tuple[ListedAppointment, ...] | _Keep = KEEP,
        appointment: ListedAppointment | _Keep | None = KEEP,
        booking_wishes: Wishes | _Keep | None = KEEP,
        identity_failures: int | _Keep = KEEP,
        identity_locked_until: datetime | _Keep | None = KEEP,
        registering_name: str | _Keep | None = KEEP,
        registering_birth_date: date | _Keep | None = KEEP,
        registering_document: str | _Keep | None = KEEP,
        emergency: EmergencyMode | _Keep | None = KEEP,
        farewell_at: datetime | _Keep | None = KEEP,
        feeling_low: bool | _Keep = KEEP,
        emergency_over_at: datetime | _Keep | None = KEEP,
        asked_about: tuple[ClinicTopic, ...] | _Keep = KEEP,
        member: Member | _Keep | None = KEEP,
        confirmed: bool | _Keep = KEEP,
        reminders_asked: bool | _Keep = KEEP,
        offered_booking: bool | _Keep = KEEP,
        handed_over: bool | _Keep = KEEP,
        waitlist_offer: int | _Keep | None = KEEP,
        answered_at: datetime | _Keep | None = KEEP,
    ) -> DialogState:
        """A copy with the fields given changed.

        Each field is a typed keyword, so mypy checks every transition: a wrong type or a misspelled name is an
        error, where `model_copy(update=...)` would store the one and silently drop the other.
        """
        changes = _changed(
            {
                "flow": flow,
                "step": step,
                "wishes": wishes,
                "offered": offered,
                "search_after": search_after,
                "search_before": search_before,
                "chosen": chosen,
                "listed": listed,
                "appointment": appointment,
                "booking_wishes": booking_wishes,
                "identity_failures": identity_failures,
                "identity_locked_until": identity_locked_until,
                "registering_name": registering_name,
                "registering_birth_date": registering_birth_date,
                "registering_document": registering_document,
                "emergency": emergency,
                "farewell_at": farewell_at,
                "feeling_low": feeling_low,
                "emergency_over_at": emergency_over_at,
                "asked_about": asked_about,
                "member": member,
                "confirmed": confirmed,
                "reminders_asked": reminders_asked,
                "offered_booking": offered_booking,
                "handed_over": handed_over,
                "waitlist_offer": waitlist_offer,
                "answered_at": answered_at,
            }
        )
        return self.model_copy(update=changes)

    def in_emergency(self, emergency: EmergencyMode | None) -> DialogState:
        """A copy with the emergency under way set (None: it is over)."""
        return self.but(emergency=emergency)

    def idle(self) -> DialogState:
        """The state after a flow ends: nothing under way, verification counters and the reminders question kept."""
        return DialogState(
            identity_failures=self.identity_failures,
            identity_locked_until=self.identity_locked_until,
            reminders_asked=self.reminders_asked,
        )
