"""Listing the patient's upcoming appointments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appointments.schemas import Patient
from gateway import audit
from gateway.conversation import replies
from gateway.conversation.flows.common import Outcome, Turn, appointment_lines
from gateway.conversation.flows.family import family_upcoming
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState

if TYPE_CHECKING:
    from gateway.conversation.dialog import Dialog


class Listing:
    """Shows the verified patient's upcoming appointments; the flow ends with it."""

    def __init__(self, dialog: Dialog) -> None:
        self._dialog = dialog

    async def show(self, state: DialogState, turn: Turn, patient: Patient) -> Outcome:
        """The holder's upcoming appointments and those of the family members they hold, each with whose it is."""
        dialog = self._dialog
        listed = await family_upcoming(dialog.conn, patient, turn.now)
        await dialog.audit(actor=audit.patient_actor(patient.id), action="appointments.viewed", outcome="success")
        if not listed:
            return Outcome(state.idle().but(offered_booking=True), replies.NO_UPCOMING, Action.LIST_APPOINTMENTS)
        lines = appointment_lines(tuple(listed), dialog.settings.tz, dialog.clinic.specialties)
        return Outcome(state.idle(), replies.upcoming(lines), Action.LIST_APPOINTMENTS)
