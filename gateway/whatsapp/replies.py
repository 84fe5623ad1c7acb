"""What the WhatsApp channel itself says to patients (the dialog's replies are in gateway/conversation)."""

from __future__ import annotations

ONLY_TEXT = (
    "Por ahora solo puedo leer mensajes de texto. ¿Me lo puede escribir, por favor? "
    "Si necesita hablar con una persona, escriba «hablar con alguien»."
)
TRY_AGAIN = (
    "Disculpe, tuvimos un problema técnico y no pude responder su mensaje. "
    "Por favor, escríbame de nuevo en unos minutos."
)
