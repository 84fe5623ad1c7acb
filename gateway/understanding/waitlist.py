"""Whether a message is about the waitlist: joining it ("anóteme en la lista de espera", "avíseme si se libera"),
seeing it ("mi lista de espera") or leaving it ("salir de la lista de espera").

Read on the normalized message with plain expressions: these are few, fixed phrases.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from gateway.understanding.normalize import normalize


class WaitlistWish(StrEnum):
    JOIN = "join"
    LIST = "list"
    LEAVE = "leave"


_LIST_WORDS = r"(?:la )?lista de espera"
_LEAVE: Final = re.compile(
    rf"\b(?:salir|salirme|sacar ?me|saquen ?me|sacame|saqueme|quitar ?me|quiten ?me|borrar ?me|borren ?me|"
    rf"darme de baja|dar de baja|retirar ?me|eliminar ?me)(?: de)? {_LIST_WORDS}\b"
    rf"|\bya no (?:quiero|deseo) (?:estar en )?{_LIST_WORDS}\b"
)
_LIST: Final = re.compile(
    rf"\b(?:mi|mis|ver|mostrar|muestreme|mostrarme) (?:mi )?listas? de espera\b"
    rf"|\b(?:en que|en cual|que) {_LIST_WORDS}s? (?:estoy|tengo)\b"
    rf"|\bestoy en {_LIST_WORDS}\b"
)
_JOIN: Final = re.compile(
    rf"\b(?:anotar ?me|anote ?me|anoteme|anotenme|poner ?me|pongame|ponganme|agregar ?me|agregueme|apuntar ?me|"
    rf"apunteme|inscribir ?me|inscribame|quiero estar|quiero entrar|entrar)(?: en)? {_LIST_WORDS}\b"
    r"|\bavis(?:ar ?me|eme|enme|ame) (?:cuando|si) se (?:libera|desocupa|abre)\b"
    rf"|^{_LIST_WORDS}(?: por favor)?$"
)


def waitlist_wish(text: str) -> WaitlistWish | None:
    """What the message asks of the waitlist, or None when it does not name it."""
    said = normalize(text)
    if _LEAVE.search(said):
        return WaitlistWish.LEAVE
    if _LIST.search(said):
        return WaitlistWish.LIST
    if _JOIN.search(said):
        return WaitlistWish.JOIN
    return None
