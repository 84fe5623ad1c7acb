"""How a reply speaks to the patient: "usted" for all, the greeting of the clinic's hour, no blessing,
and the patient's feeling acknowledged."""

from __future__ import annotations

import re
from datetime import datetime

from gateway.conversation.reply_check.verdict import Reason
from gateway.understanding.normalize import fold

# --- how the patient is addressed, and greetings --------------------------------------------------

# Words that address the patient as a man or a woman (or too familiarly); "usted" needs none.
_GENDERED = re.compile(
    r"\b(?:senorita|senoritas|senor|senora|senores|senoras|srta|sra|sr|amigo|amiga|amigos|amigas|amiguito"
    r"|amiguita|querida|querido|reina|mi rey|mi amor|mi corazon|mi vida|mi carino|mamita|papito|mamacita"
    r"|papacito|caballero|jefe|jefa|bienvenido|bienvenida|nena|nene|mija|mijo|hija mia|hijo mio)\b"
)
_MORNING_GREETING = re.compile(r"\bbuenos dias\b")
_DAY_WISH = re.compile(r"\b(?:buen|feliz|lindo|bonito|excelente) dia\b")
_AFTERNOON_GREETING = re.compile(r"\bbuenas? tardes?\b")
_NIGHT_GREETING = re.compile(r"\bbuenas? noches?\b|\bfeliz noche\b|\bque descanse\b")


def addresses_by_gender(text: str) -> bool:
    """ "Señorita", "amigo", "mi reina": the assistant says "usted" to everyone."""
    return _GENDERED.search(fold(text)) is not None


def greeting_out_of_time(text: str, now: datetime) -> bool:
    """A greeting or wish for another part of the clinic's day: "buenos días" after noon,
    "buenas noches" in the morning, "que tenga un buen día" at night."""
    folded = fold(text)
    hour = now.hour
    morning, afternoon, night = 5 <= hour < 12, 12 <= hour < 19, hour >= 19 or hour < 5
    return bool(
        (_MORNING_GREETING.search(folded) and not morning)
        or (_AFTERNOON_GREETING.search(folded) and not afternoon)
        or (_NIGHT_GREETING.search(folded) and not night)
        or (_DAY_WISH.search(folded) and night)
    )


# --- the clinic's register and the patient's mood -------------------------------------------------

# A clinic's assistant does not bless patients or speak for a faith; a patient may ("bendiciones"), and
# is thanked. The small model also strews "bendiciones" where they mean nothing ("muchas bendiciones
# para ayudarle").
_RELIGIOUS = re.compile(
    r"\b(?:bendicion|bendiciones|bendiga|bendigan|bendecir|bendito|bendita|benditos|benditas|dios|diosito"
    r"|amen|rezar|rezo|rezamos|rezaremos|oracion|oraciones|oremos|virgen|santisima|cristo|jesus|jesucristo)\b"
)


def speaks_of_religion(text: str) -> bool:
    return _RELIGIOUS.search(fold(text)) is not None


_FEELING_WORDS = (
    r"triste|tristeza|aburrido|aburrida|aburrimiento|cansado|cansada|cansancio|agotado|agotada|preocupado"
    r"|preocupada|preocupacion|nervioso|nerviosa|nervios|miedo|asustado|asustada|angustiado|angustiada"
    r"|angustia|ansioso|ansiosa|ansiedad|deprimido|deprimida|depre|desanimado|desanimada|estresado|estresada"
    r"|estres|harto|harta|llorando|lloro|soledad|desesperado|desesperada"
)
# A feeling the patient states: "me siento solo", "estoy mal", "tengo miedo"; "solo" and "mal" only after
# a verb of feeling ("solo quería saludar" is not one). "No estoy triste" is not one either.
_DISTRESS = re.compile(
    rf"\b(?:{_FEELING_WORDS})\b"
    r"|\b(?:me siento|me sentia|estoy|ando|me encuentro|me quede|me va|me fue|sentirme|me da|me dio)"
    r"(?: (?:muy|tan|un poco|bastante|algo|re|medio|super))? (?:solo|sola|mal|fatal|pesimo)\b"
)
_NEGATED_FEELING = re.compile(rf"\bno (?:\w+ ){{0,2}}(?:{_FEELING_WORDS}|solo|sola|mal)\b")
_CHEERFUL = re.compile(
    r"\b(?:que (?:bien|bueno|buena|lindo|linda|alegria|gusto|genial|maravilla)|me alegra|me alegro|excelente"
    r"|genial|perfecto|buen animo|buen humor|muy bien|felicidades|estupendo)\b"
)
# What a person says first to someone who says they feel bad: sorry, understood, not alone, hang on.
_ACKNOWLEDGED = re.compile(
    r"\b(?:lamento|lamentamos|lo siento|lo sentimos|siento mucho|cuanto lo siento|que pena|entiendo|entendemos"
    r"|comprendo|comprendemos|es normal|es comprensible|no se preocupe|animo|aqui estoy|aqui estamos"
    r"|estoy aqui|estamos aqui|estoy para|estamos para|le acompan\w*|acompanarle|espero que|ojala"
    r"|tranquilicese|respire|no esta solo|no esta sola)\b"
)


# Sorry for an inconvenience the clinic caused, not for how the patient feels.
_INCONVENIENCE = re.compile(r"\b(?:lamento|lamentamos|disculpe|disculpen) (?:la|las|cualquier) molestias?\b")


def _states_distress(patient_message: str) -> bool:
    folded = fold(patient_message)
    return bool(_DISTRESS.search(folded)) and not _NEGATED_FEELING.search(folded)


def misses_the_feeling(text: str, patient_message: str) -> Reason | None:
    """To a patient who says they feel bad ("estoy aburrido", "me siento solo"), a cheerful reply
    ("¡Qué bien!") or one that does not acknowledge the feeling at all ("Gracias por contarme.")."""
    if not _states_distress(patient_message):
        return None
    folded = fold(text)
    if _CHEERFUL.search(folded):
        return Reason.CHEERFUL_TO_DISTRESS
    if not _ACKNOWLEDGED.search(_INCONVENIENCE.sub(" ", folded)):
        return Reason.IGNORES_FEELING
    return None
