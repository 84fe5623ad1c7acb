"""Who a reply reaches or names: e-mails, links, handles and phone numbers never; people only when they
are the patient or the clinic's doctors. And whether a reply names no one, so it may be cached."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Final

import phonenumbers

from gateway.conversation.reply_check.language import WORD, first_names
from gateway.understanding.normalize import fold
from gateway.understanding.vocabulary import word_list

# --- contacts and phone numbers -------------------------------------------------------------------

_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<![\w@])@[a-z_][\w.]{2,}"  # social handle
    r"|\b(?:https?://|www\.)\S+"
    r"|\b(?:wa|t)\.me/\S*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|io|ly|app|site|online|bo)\b"
    r"|\b(?:arroba|gmail|hotmail|yahoo|outlook)\b",
    re.IGNORECASE,
)
# Seven digits or more, maybe split by spaces or dashes: any number a patient could dial.
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){6,}\d(?!\d)")


def has_contact_details(text: str) -> bool:
    return _CONTACT.search(text) is not None


def has_phone_number(text: str) -> bool:
    if _DIGIT_RUN.search(text):
        return True
    return any(True for _ in phonenumbers.PhoneNumberMatcher(text, "BO"))


# --- names ----------------------------------------------------------------------------------------

_TITLE_ABBREVIATIONS: Final = frozenset(word_list("dr dra drs sr sra srta sres lic ing prof profa dna"))
_TITLE_WORDS: Final = frozenset(
    word_list(
        """
    doctor doctora senor senora senorita licenciado licenciada ingeniero ingeniera profesor profesora
    don dona enfermero enfermera
    """
    )
)
# Words a name never is, so a capitalized one ends the name ("Dra. Quispe Le atenderá").
_FUNCTION_WORDS: Final = frozenset(
    word_list(
        """
    el la los las lo un una unos unas al del de a en con por para sin y o u ni que como cuando donde
    le les me te se nos su sus mi mis tu usted ustedes yo es esta son fue era hay ya no si muy mas
    """
    )
)
_PARTICLES: Final = frozenset(word_list("de del la las los"))
_SAINTS: Final = frozenset(word_list("san santa santo virgen"))


def _name_keys(names: Collection[str]) -> frozenset[str]:
    keys = {fold(word) for name in names for word in WORD.findall(name)}
    return frozenset(keys - _TITLE_ABBREVIATIONS - _TITLE_WORDS - _PARTICLES)


def _capitalized(word: str) -> bool:
    return word[:1].isupper()


def _name_after(matches: Sequence[re.Match[str]], text: str, start: int) -> tuple[list[str], int]:
    """The capitalized words from `start` on, joined by spaces or name particles ("De la Cruz"),
    and the index of the first word after them."""
    name: list[str] = []
    index = start
    while index < len(matches):
        word = matches[index].group()
        if index > start and not text[matches[index - 1].end() : matches[index].start()].isspace():
            break
        folded = fold(word)
        if folded in _PARTICLES:
            ahead = matches[index + 1 : index + 3]
            if any(_capitalized(m.group()) and fold(m.group()) not in _PARTICLES for m in ahead):
                index += 1
                continue
            break
        if not _capitalized(word) or folded in _FUNCTION_WORDS | _TITLE_ABBREVIATIONS | _TITLE_WORDS:
            break
        name.append(folded)
        index += 1
    return name, index


def foreign_names(text: str, *, allowed_names: Collection[str]) -> list[str]:
    """People named in `text` (after a title, or by a common first name) who are not in `allowed_names`."""
    allowed = _name_keys(allowed_names)
    matches = list(WORD.finditer(text))
    found: list[str] = []
    index = 0
    while index < len(matches):
        word = matches[index].group()
        folded = fold(word)
        name: list[str] = []
        after = index + 1
        if index + 1 < len(matches) and _capitalized(matches[index + 1].group()):
            gap = text[matches[index].end() : matches[index + 1].start()]
            abbreviation = folded in _TITLE_ABBREVIATIONS and gap.strip() in ("", ".")
            title = folded in _TITLE_WORDS and gap.isspace()
            if abbreviation or title:
                name, after = _name_after(matches, text, index + 1)
        saint = any(fold(m.group()) in _SAINTS for m in matches[max(0, index - 2) : index])  # "Virgen del Carmen"
        if not name and _capitalized(word) and folded in first_names() and not saint:
            name, after = _name_after(matches, text, index)
        if name and not set(name) <= allowed:
            found.append(" ".join(name))
        index = max(after, index + 1)
    return found


_SENTENCE_END_MARKS = ".!?¡¿\n…"
_OPENING_MARKS = " \t\"'«“(-"


def is_impersonal(text: str, *, names: Collection[str] = ()) -> bool:
    """Whether a reply could be said to any patient: no digit, contact detail or phone number, and no one
    named (after a title, by a common first name, by a word of `names`, or by a capitalized word that
    does not open a sentence). Only such replies may be cached: one patient's cache hit is another's reply.
    """
    if any(ch.isdigit() for ch in text) or has_contact_details(text) or has_phone_number(text):
        return False
    if foreign_names(text, allowed_names=()):
        return False
    named = _name_keys(names)
    for match in WORD.finditer(text):
        word = match.group()
        if fold(word) in named:
            return False
        before = text[: match.start()].rstrip(_OPENING_MARKS)
        if _capitalized(word) and before and before[-1] not in _SENTENCE_END_MARKS:
            return False
    return True
