"""The console's Pacientes: find a patient by phone or name, read their record, lift their phone's verification lockout.

A phone is read however a receptionist types it ("70123456", "+591 70123456", "591-70-123-456") or by its last
digits (at least MIN_DIGITS); a name by partial words, whatever their case or accents. Family members (0019) are
found too: their phone is their holder's, and their record links to the holder's, whose record lists them.

A `medico` finds and reads only patients with an appointment with their doctor, and of those only that doctor's
appointments: a family member's holder is named (their phone speaks for the patient) but linked only when the
medico saw them too, and family members the medico never saw are left out. Recepción and administración see
everyone. Searches (how, and how many found: never what was typed), record views and unlocks are audited with the
person as actor; a medico's refused view or unlock is audited `denied`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, Protocol
from zoneinfo import ZoneInfo

import phonenumbers
from redis.exceptions import RedisError

from appointments.repository import Connection
from appointments.schemas import AppointmentStatus
from gateway import audit
from gateway.console import patients_repository as found
from gateway.console.agenda import STATUS_NAMES, masked_phone, visible_doctor
from gateway.console.patients_repository import PatientRecord, Visit
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from gateway.errors import NotFound
from gateway.privacy import mask_phone
from gateway.verification.errors import VerificationUnavailable

MAX_QUERY: Final = 100
MAX_RESULTS: Final = 20
MIN_DIGITS: Final = 4
MAX_TERMS: Final = 5
MAX_APPOINTMENTS: Final = 50
DEFAULT_REGION: Final = "BO"

_LIKE_SPECIALS = re.compile(r"([\\%_])")


class PhoneLocks(Protocol):
    """The verification lockouts, by phone: the gateway's OtpService (gateway/verification/otp.py)."""

    async def is_locked(self, phone: str) -> bool: ...

    async def unlock(self, phone: str) -> bool: ...


class PatientNotFound(NotFound):
    """No such patient, or one this person may not see (answered alike)."""

    code = "patient_not_found"


def _scope(user: StaffUser) -> int | None:
    """The doctor whose patients `user` may see; None: everyone. A medico without a doctor sees nobody."""
    only = visible_doctor(user)
    if user.role == "medico" and only is None:
        raise PatientNotFound("a medico without a doctor sees no patients")
    return only


def fold(text: str) -> str:
    """Lower case without accents: 'María Ñuñez' → 'maria nunez' (as `by_name`'s SQL reads names)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_terms(query: str) -> list[str]:
    """The typed words as LIKE patterns: folded, wildcards escaped (`50%` means fifty per cent), at most MAX_TERMS."""
    return [_LIKE_SPECIALS.sub(r"\\\1", word) for word in fold(query).split()[:MAX_TERMS]]


def phone_digits(query: str) -> str | None:
    """The digits a phone search matches the end of the number with; None when fewer than MIN_DIGITS were typed.

    A whole number in any format is read as the E.164 number it is (region BO when no country code is given), so
    '70123456', '+591 70123456' and '591-70-123-456' are the same phone; anything else is trailing digits.
    """
    digits = re.sub(r"\D", "", query)
    if len(digits) < MIN_DIGITS:
        return None
    try:
        number = phonenumbers.parse(query, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return digits
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")
    return digits


@dataclass(frozen=True)
class Found:
    """One search result as the page lists it."""

    id: int
    full_name: str
    phone: str
    holder_id: int | None
    holder_name: str | None
    relation: str | None


@dataclass(frozen=True)
class Search:
    """What a search found: by `phone` or `name`; `too_short`: a phone search with too few digits."""

    by: Literal["phone", "name"]
    patients: list[Found]
    more: bool = False
    too_short: bool = False


def _found(record: PatientRecord) -> Found:
    return Found(
        id=record.id,
        full_name=record.full_name,
        phone=masked_phone(record.phone),
        holder_id=record.holder_id,
        holder_name=record.holder_name,
        relation=record.relation,
    )


async def search(conn: Connection, *, user: StaffUser, query: str) -> Search:
    """Patients `user` may see matching `query` (a phone when it has digits and no letters, else a name), at most
    MAX_RESULTS."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        raise ValueError("query: empty")
    doctor_id = _scope(user)
    digits_only = any(c.isdigit() for c in query) and not any(c.isalpha() for c in query)
    by: Literal["phone", "name"] = "phone" if digits_only else "name"
    if by == "phone":
        digits = phone_digits(query)
        if digits is None:
            return Search(by=by, patients=[], too_short=True)
        records = await found.by_phone_ending(conn, digits=digits, doctor_id=doctor_id, limit=MAX_RESULTS + 1)
    else:
        records = await found.by_name(conn, patterns=name_terms(query), doctor_id=doctor_id, limit=MAX_RESULTS + 1)
    await audit.record(
        conn,
        actor=audit.staff_user_actor(user.id),
        action="patients.searched",
        outcome="success",
        detail={"by": by, "count": min(len(records), MAX_RESULTS)},
    )
    return Search(by=by, patients=[_found(r) for r in records[:MAX_RESULTS]], more=len(records) > MAX_RESULTS)


@dataclass(frozen=True)
class PatientAppointment:
    """One appointment on a patient's record, its day and time in the clinic's zone."""

    reference: str
    day: date
    time: str
    doctor_name: str
    specialty_name: str
    status: AppointmentStatus
    status_name: str


@dataclass(frozen=True)
class Record:
    """A patient's page: who they are, their phone masked, their family and their appointments."""

    id: int
    full_name: str
    phone: str
    date_of_birth: date | None
    age: int | None
    relation: str | None
    # A family member's holder, linked only when `user` may see them too.
    holder: Found | None
    holder_visible: bool
    family: list[Found]
    upcoming: list[PatientAppointment]
    past: list[PatientAppointment]
    more_past: bool
    # Whether the phone that speaks for them is locked out of verification; None: Redis did not answer.
    locked: bool | None


def _appointment(visit: Visit, zone: ZoneInfo) -> PatientAppointment:
    a = visit.appointment
    starts = a.starts_at.astimezone(zone)
    return PatientAppointment(
        reference=reference_of(a.id),
        day=starts.date(),
        time=f"{starts:%H:%M}",
        doctor_name=a.doctor_name,
        specialty_name=visit.specialty_name,
        status=a.status,
        status_name=STATUS_NAMES[a.status],
    )


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def _visible(conn: Connection, *, user: StaffUser, patient_id: int, action: str) -> PatientRecord:
    """The patient if `user` may see them; PatientNotFound otherwise (a medico's refusal of a real one audited)."""
    doctor_id = _scope(user)
    patient = await found.patient(conn, patient_id=patient_id, doctor_id=doctor_id)
    if patient is None:
        if doctor_id is not None and await found.exists(conn, patient_id=patient_id):
            await audit.record(
                conn,
                actor=audit.staff_user_actor(user.id),
                action=action,
                outcome="denied",
                target=audit.patient_actor(patient_id),
                detail={"reason": "not_this_doctors_patient"},
            )
        raise PatientNotFound("no such patient among those this person may see")
    return patient


async def record(
    conn: Connection, otp: PhoneLocks, *, user: StaffUser, patient_id: int, now: datetime, zone: ZoneInfo
) -> Record:
    """`patient_id`'s record as `user` may see it (audited `patient.viewed`), or PatientNotFound."""
    patient = await _visible(conn, user=user, patient_id=patient_id, action="patient.viewed")
    doctor_id = visible_doctor(user)
    holder: Found | None = None
    holder_visible = False
    family: list[PatientRecord] = []
    if patient.holder_id is not None and patient.holder_name is not None:
        holder = Found(patient.holder_id, patient.holder_name, masked_phone(patient.phone), None, None, None)
        holder_visible = await found.patient(conn, patient_id=patient.holder_id, doctor_id=doctor_id) is not None
    else:
        family = await found.family(conn, holder_id=patient.id, doctor_id=doctor_id)
    upcoming, past = await found.appointments(
        conn, patient_id=patient.id, doctor_id=doctor_id, now=now, limit=MAX_APPOINTMENTS + 1
    )
    await audit.record(
        conn,
        actor=audit.staff_user_actor(user.id),
        action="patient.viewed",
        outcome="success",
        target=audit.patient_actor(patient.id),
    )
    born = patient.date_of_birth
    return Record(
        id=patient.id,
        full_name=patient.full_name,
        phone=masked_phone(patient.phone),
        date_of_birth=born,
        age=None if born is None else age_on(born, now.astimezone(zone).date()),
        relation=patient.relation,
        holder=holder,
        holder_visible=holder_visible,
        family=[_found(f) for f in family],
        upcoming=[_appointment(v, zone) for v in upcoming[:MAX_APPOINTMENTS]],
        past=[_appointment(v, zone) for v in past[:MAX_APPOINTMENTS]],
        more_past=len(past) > MAX_APPOINTMENTS,
        locked=await _locked(otp, patient.phone),
    )


async def _locked(otp: PhoneLocks, phone: str) -> bool | None:
    try:
        return await otp.is_locked(phone)
    except RedisError:  # the record is still worth showing; the page says the state is unknown
        return None


async def unlock_verification(conn: Connection, otp: PhoneLocks, *, user: StaffUser, patient_id: int) -> bool:
    """Lift the lockout of the phone that speaks for the patient; True when it was locked.

    Audited as the staff API's `verification.unlocked` (target: the phone's holder; detail: the phone masked) with the
    person as actor. Raises PatientNotFound, or VerificationUnavailable when Redis does not answer (audited failure).
    """
    patient = await _visible(conn, user=user, patient_id=patient_id, action="verification.unlocked")
    actor = audit.staff_user_actor(user.id)
    target = audit.patient_actor(patient.phone_holder_id)
    detail: dict[str, audit.DetailValue] = {"phone": mask_phone(patient.phone)}
    try:
        async with conn.transaction():
            detail["was_locked"] = was_locked = await otp.unlock(patient.phone)
            await audit.record(
                conn, actor=actor, action="verification.unlocked", outcome="success", target=target, detail=detail
            )
    except VerificationUnavailable as exc:
        detail["reason"] = exc.code
        await audit.record(
            conn, actor=actor, action="verification.unlocked", outcome="failure", target=target, detail=detail
        )
        raise
    return was_locked
