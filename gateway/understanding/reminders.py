"""Whether a message stops or starts the clinic's reminders: "no quiero recordatorios", "baja", "stop", "ya no me
manden mensajes"; "quiero recordatorios".

Read on the normalized message with plain expressions, not the typo-forgiving patterns: a false stop would silence
a patient's reminders, so only these words count. "Baja" and "stop" count alone (with a "por favor"), never inside a
sentence ("tengo la presión baja").
"""

from __future__ import annotations

import re
from typing import Final

from gateway.understanding.normalize import normalize

_PLEASE = r"(?: (?:por favor|porfa|porfavor|gracias))*"
_MESSAGES = r"(?:mensajes?|recordatorios?|notificaciones?|avisos?|whatsapps?)"
_STOP: Final = re.compile(
    rf"^(?:stop|baja|de baja|unsubscribe){_PLEASE}$"
    r"|\b(?:dar|darme|den|denme|deme|dame|quiero|quisiera|pido|solicito)(?: me)? (?:de )?(?:la )?baja\b"
    rf"|\bno (?:quiero|deseo|necesito|acepto) (?:recibir |que me (?:manden|envien|mande|envie) )?"
    rf"(?:mas |ningun |ningunos? |los |sus )?(?:recordatorios?|notificaciones?|avisos?|mensajes)\b"
    rf"|\bno me (?:manden|envien|mande|envie|escriban|escriba) (?:mas )?(?:sus |los )?{_MESSAGES}\b"
    r"|\bdej(?:en|e) de (?:mandar|enviar|escribir)(?:me|nos)?\b"
    r"|\b(?:cancelar|cancelen|quitar|quiten|desactivar|desactiven|anular|eliminar)(?: me)? (?:los |mis |sus )?"
    r"(?:recordatorios|notificaciones)\b"
)
_START: Final = re.compile(
    r"\b(?:si )?(?:quiero|quisiera|deseo|me gustaria|acepto) (?:recibir )?(?:los |sus )?recordatorios\b"
    r"|\b(?:activar|active|activen|mandenme|envienme|mandarme|enviarme) (?:los |sus )?recordatorios\b"
)


def reminders_wish(text: str) -> bool | None:
    """False when the message asks to stop reminders, True when it asks for them, None when it says neither."""
    said = normalize(text)
    if _STOP.search(said):
        return False
    if _START.search(said):
        return True
    return None
