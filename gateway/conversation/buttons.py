"""The quick-reply buttons of a reminder: what their payload says.

A reminder's template carries "Confirmar", "Cambiar" and "Cancelar" buttons whose payloads are
`confirm:<appointment id>`, `change:<appointment id>` and `cancel:<appointment id>`. Both ways in hand the payload
to the dialog as the message's text: the gateway's own webhook (gateway/whatsapp/payloads.py) and the n8n workflow,
which posts it to /chat as the user message's content. The button's title alone ("Confirmar", when a payload is
missing) is only a word and names no appointment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from uuid import UUID


class ButtonKind(StrEnum):
    """What the patient tapped."""

    CONFIRM = "confirm"
    CHANGE = "change"
    CANCEL = "cancel"


@dataclass(frozen=True)
class ReminderButton:
    """A tapped reminder button; `appointment_id` is None when the payload's id is not a well-formed one."""

    kind: ButtonKind
    appointment_id: UUID | None


_PAYLOAD: Final = re.compile(r"^\s*(confirm|change|cancel):(\S{1,64})\s*$")
# The buttons' titles, as they come when a template's payload is missing.
_TITLES: Final = {"confirmar": ButtonKind.CONFIRM, "cambiar": ButtonKind.CHANGE, "cancelar": ButtonKind.CANCEL}


def reminder_button(text: str) -> ReminderButton | None:
    """The button a message's text is the payload of; None when it is no button payload at all."""
    found = _PAYLOAD.match(text)
    if found is None:
        return None
    kind, written = ButtonKind(found.group(1)), found.group(2)
    try:
        appointment_id: UUID | None = UUID(written)
    except ValueError:
        appointment_id = None
    return ReminderButton(kind, appointment_id)


def payload(kind: ButtonKind, appointment_id: UUID) -> str:
    """The payload a reminder's button carries for `appointment_id`."""
    return f"{kind.value}:{appointment_id}"


def bare_title(text: str) -> ButtonKind | None:
    """The button whose title alone is the whole message ("Confirmar"); it names no appointment."""
    return _TITLES.get(text.strip().strip(".!¡").strip().lower())


# --- the waitlist offer's buttons -------------------------------------------------------------------------------
# A waitlist offer's template (notifications/waitlist.py) carries "Sí, la quiero" and "No, gracias" buttons whose
# payloads are `waitlist_yes:<offer id>` and `waitlist_no:<offer id>`.

_WAITLIST_PAYLOAD: Final = re.compile(r"^\s*waitlist_(yes|no):([0-9]{1,18})\s*$")


@dataclass(frozen=True)
class OfferButton:
    """A tapped button of a waitlist offer: take the slot (`accept`) or pass it on."""

    accept: bool
    offer_id: int


def offer_button(text: str) -> OfferButton | None:
    """The waitlist offer button a message's text is the payload of; None when it is none."""
    found = _WAITLIST_PAYLOAD.match(text)
    if found is None:
        return None
    return OfferButton(found.group(1) == "yes", int(found.group(2)))


def offer_payload(*, accept: bool, offer_id: int) -> str:
    """The payload a waitlist offer's button carries."""
    return f"waitlist_{'yes' if accept else 'no'}:{offer_id}"
