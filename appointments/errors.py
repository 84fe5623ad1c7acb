"""The few ways booking can refuse; each has a stable `code` for the API's error shape."""

from __future__ import annotations


class AppointmentError(Exception):
    """Base of the booking errors; `code` goes into `{"error": {"code": ...}}`."""

    code = "appointment_error"


class SlotTaken(AppointmentError):
    """Someone else holds an overlapping appointment with this doctor."""

    code = "slot_taken"


class PatientBusy(SlotTaken):
    """The patient already has an appointment overlapping this time."""

    code = "patient_busy"


class TooManyUpcoming(AppointmentError):
    """The patient already holds as many upcoming appointments as one patient may (`limit`)."""

    code = "too_many_upcoming"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the patient already has {limit} upcoming appointments")
        self.limit = limit


class NotBookable(AppointmentError):
    """The time is not one of the doctor's slots, is past, or is inside the minimum notice."""

    code = "not_bookable"


class AppointmentNotFound(AppointmentError):
    """No appointment has this id."""

    code = "appointment_not_found"


class NotYourAppointment(AppointmentError):
    """The appointment belongs to another patient."""

    code = "not_your_appointment"


class InvalidStatusChange(AppointmentError):
    """The appointment's status or time does not allow this change (e.g. cancelling a past one)."""

    code = "invalid_status_change"


class OutcomeSettled(InvalidStatusChange):
    """The outcome was recorded and the time to correct it has passed."""

    code = "outcome_settled"
