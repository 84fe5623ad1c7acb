"""Free slots: weekly schedules, minus override days, minus taken time, in the clinic's zone.

`compute_free_slots` is pure (easy to test and reason about); `free_slots` loads what it needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointments import repository
from appointments.schemas import Busy, Doctor, ScheduleBlock, ScheduleOverride, Slot

DEFAULT_MIN_NOTICE = timedelta(hours=2)
# A doctor's replacement hours with no slot length of their own use the doctor's usual one.
_FALLBACK_SLOT_MINUTES = 30


@dataclass(frozen=True, slots=True)
class _Window:
    start: time
    end: time
    slot_minutes: int


def require_aware(value: datetime, name: str) -> None:
    """Naive datetimes are ambiguous; refuse them."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def compute_free_slots(
    *,
    doctors: Sequence[Doctor],
    blocks: Sequence[ScheduleBlock],
    overrides: Sequence[ScheduleOverride],
    busy: Sequence[Busy],
    first_day: date,
    last_day: date,
    now: datetime,
    tz: ZoneInfo,
    min_notice: timedelta = DEFAULT_MIN_NOTICE,
    patient_id: int | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """The doctors' free slots on local dates `first_day`..`last_day`, ordered by start.

    A slot is free when it lies inside the day's hours, starts no earlier than `now + min_notice`
    and overlaps no `busy` time of its doctor (nor of `patient_id`, when given). Times are in `tz`.
    """
    require_aware(now, "now")
    earliest = now + min_notice
    slots: list[Slot] = []
    day = first_day
    while day <= last_day and (limit is None or len(slots) < limit):
        todays: list[Slot] = []
        for doctor in doctors:
            for starts_at, ends_at in _schedule_slots(doctor.id, day, blocks, overrides, tz):
                if starts_at < earliest:
                    continue
                if any(
                    (b.doctor_id == doctor.id or (patient_id is not None and b.patient_id == patient_id))
                    and b.starts_at < ends_at
                    and starts_at < b.ends_at
                    for b in busy
                ):
                    continue
                todays.append(Slot(doctor.id, doctor.full_name, doctor.specialty_code, starts_at, ends_at))
        todays.sort(key=lambda s: (s.starts_at, s.doctor_name, s.doctor_id))
        slots.extend(todays)
        day += timedelta(days=1)
    return slots if limit is None else slots[:limit]


def _schedule_slots(
    doctor_id: int, day: date, blocks: Sequence[ScheduleBlock], overrides: Sequence[ScheduleOverride], tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """Every slot of the doctor's hours on `day`, taken or not, as aware datetimes in `tz`."""
    clinic = [o for o in overrides if o.on_date == day and o.doctor_id is None]
    own = [o for o in overrides if o.on_date == day and o.doctor_id == doctor_id]
    if any(o.closed for o in (*clinic, *own)):
        return
    doctor_blocks = [b for b in blocks if b.doctor_id == doctor_id]
    windows: list[_Window]
    if own:
        usual = min((b.slot_minutes for b in doctor_blocks), default=_FALLBACK_SLOT_MINUTES)
        windows = [
            _Window(o.start, o.end, o.slot_minutes or usual) for o in own if o.start is not None and o.end is not None
        ]
    else:
        windows = [_Window(b.start, b.end, b.slot_minutes) for b in doctor_blocks if b.weekday == day.isoweekday()]
    # The clinic's hours for the day keep the doctor's slot grid; slots must fit inside them.
    clinic_hours = [
        (datetime.combine(day, o.start, tz), datetime.combine(day, o.end, tz))
        for o in clinic
        if o.start is not None and o.end is not None
    ]
    seen: set[datetime] = set()
    for window in windows:
        step = timedelta(minutes=window.slot_minutes)
        starts_at = datetime.combine(day, window.start, tz)
        window_end = datetime.combine(day, window.end, tz)
        while starts_at + step <= window_end:
            ends_at = starts_at + step
            inside_clinic_hours = not clinic_hours or any(s <= starts_at and ends_at <= e for s, e in clinic_hours)
            if inside_clinic_hours and starts_at not in seen:
                seen.add(starts_at)
                yield starts_at, ends_at
            starts_at = ends_at


async def free_slots(
    conn: repository.Connection,
    *,
    first_day: date,
    last_day: date,
    now: datetime,
    doctor_id: int | None = None,
    specialty_code: str | None = None,
    patient_id: int | None = None,
    tz: ZoneInfo,
    min_notice: timedelta = DEFAULT_MIN_NOTICE,
    limit: int | None = 20,
) -> list[Slot]:
    """Free slots of one doctor, one specialty (all its doctors) or, with neither, the clinic.

    With `patient_id`, slots overlapping that patient's own appointments are left out too.
    """
    doctors = await repository.active_doctors(conn, doctor_id=doctor_id, specialty_code=specialty_code)
    return await _free_slots_of(
        conn,
        doctors=doctors,
        first_day=first_day,
        last_day=last_day,
        now=now,
        patient_id=patient_id,
        tz=tz,
        min_notice=min_notice,
        limit=limit,
        with_busy=True,
    )


async def schedule_slot(
    conn: repository.Connection,
    *,
    doctor_id: int,
    starts_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    min_notice: timedelta = DEFAULT_MIN_NOTICE,
) -> Slot | None:
    """The doctor's slot starting exactly at `starts_at` (taken or not), if bookable at `now`."""
    require_aware(starts_at, "starts_at")
    doctors = await repository.active_doctors(conn, doctor_id=doctor_id)
    day = starts_at.astimezone(tz).date()
    slots = await _free_slots_of(
        conn,
        doctors=doctors,
        first_day=day,
        last_day=day,
        now=now,
        patient_id=None,
        tz=tz,
        min_notice=min_notice,
        limit=None,
        with_busy=False,
    )
    return next((slot for slot in slots if slot.starts_at == starts_at), None)


async def _free_slots_of(
    conn: repository.Connection,
    *,
    doctors: Sequence[Doctor],
    first_day: date,
    last_day: date,
    now: datetime,
    patient_id: int | None,
    tz: ZoneInfo,
    min_notice: timedelta,
    limit: int | None,
    with_busy: bool,
) -> list[Slot]:
    if not doctors or first_day > last_day:
        return []
    doctor_ids = [d.id for d in doctors]
    blocks = await repository.weekly_schedules(conn, doctor_ids=doctor_ids)
    overrides = await repository.schedule_overrides(conn, doctor_ids=doctor_ids, first_day=first_day, last_day=last_day)
    busy: list[Busy] = []
    if with_busy:
        busy = await repository.busy_between(
            conn,
            doctor_ids=doctor_ids,
            patient_id=patient_id,
            starts=datetime.combine(first_day, time(0), tz),
            ends=datetime.combine(last_day + timedelta(days=1), time(0), tz),
        )
    return compute_free_slots(
        doctors=doctors,
        blocks=blocks,
        overrides=overrides,
        busy=busy,
        first_day=first_day,
        last_day=last_day,
        now=now,
        tz=tz,
        min_notice=min_notice,
        patient_id=patient_id,
        limit=limit,
    )
