"""Whether a patient's message asks for a diagnosis, a medicine or a dose: those get
`replies.NO_MEDICAL_ADVICE`, never the model."""

from __future__ import annotations

import re
from typing import Final

from gateway.conversation.reply_check.medicine import DRUG_KINDS, DRUGS
from gateway.understanding.nlu import KNOWN_WORDS
from gateway.understanding.normalize import is_question
from gateway.understanding.patterns import Pattern, Words, compile_patterns, lexicon
from gateway.understanding.vocabulary import word_list

_MEDICINE_WORDS = (
    "pastilla*|medicament*|medicinas|remedio*|jarabe*|tableta*|capsula*|comprimido*|gotas|gotitas"
    "|pomada*|crema|cremas|unguento|inyeccion*|ampolla*|calmante*|vitamina*|"
    + "|".join((*DRUGS, *(f"{kind}*" for kind in DRUG_KINDS)))
)
_GIVE = (
    "tomo|tomar|tome|tomamos|tomarme|tomarlo|tomarla|toma|doy|dar|darle|darme|damos|uso|usar|aplico|aplicar"
    "|aplicarle|aplicarme|pongo|poner|ponerle|ponerme|recetan|recetar|recetarme|recomienda|recomiendan"
    "|recomendar|recomendarme|aconseja|aconsejan|sirve|sirven"
)
_SYMPTOMS = (
    "dolor*|duele|duelen|doliendo|dolio|fiebre|calentura|temperatura|tos|tose|tosiendo|gripe|gripa|resfri*"
    "|diarrea|vomit*|nausea*|mareo*|mareada|mareado|presion|tension|infecc*|infectad*|alergi*|picazon|pica"
    "|comezon|ardor|arde|hinchaz*|hinchad*|inflama*|herida|cortada|quemadura|quemado|colico*|gases"
    "|estrenid*|estrenimiento|insomnio|ansiedad|garganta|cabeza|estomago|barriga|panza|muela*|diente*"
    "|oido|oidos|ojo|ojos|sangr*|granos|ronchas|manchas|sarpullido|cansancio|debilidad|azucar|colesterol"
    "|sintoma*|contagi*|moco*|congestion|flema*|golpe|torcedura|esguince|orina|pecho|espalda|rodilla"
    "|enfermo|enferma|enfermedad*|malestar|mal|covid*|dengue|diabetes|gastritis|migrana|infeccion*|asma"
    "|bronquitis|neumonia|herpes|hongos|parasit*|virus|anemia|soroche"
)
_DISEASES = (
    "infeccion*|gripe|gripa|resfri*|covid*|coronavirus|gastritis|diabetes|hipertension|anemia|migrana"
    "|bronquitis|neumonia|pulmonia|faringitis|amigdalitis|otitis|sinusitis|conjuntivitis|dengue|zika"
    "|chikungunya|malaria|chagas|tuberculosis|hepatitis|tifoidea|ulcera*|virus|bacteria*|parasit*|amebas"
    "|hongos|alergia*|asma|artritis|cancer|tumor*|quiste*|hernia*|fractura*|depresion|apendicitis|herpes"
    "|varicela|sarampion|anginas|soroche|infarto|embarazada|embarazo"
)

# Asked outright, whatever else the message says.
_ADVICE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        f"que|cual|cuales|cuanto|cuanta|cuantos|cuantas ... {_MEDICINE_WORDS}",
        "que|cual|cuanto|cuanta ..2 dosis",
        f"puedo|podemos|puede|podria|debo|debe|deberia|conviene|necesito|quiero|quisiera ..2 {_GIVE} ... "
        + _MEDICINE_WORDS,
        "cada cuanto ..3 tomo|toma|tomar|tome|doy|dar|darle|aplico|aplicar|pongo|poner",
        "necesito|quiero|quisiera|puede|pueden|podria|podrian|da|dan|dar|darme|den|denme|dame|deme|hacer|hacerme"
        "|renovar|sacar ..3 receta|recetas",
        f"algo|nada ..2 para|contra ..2 {_SYMPTOMS}",
        "puede|pueden|podria|podrian|dar|darme|decir|decirme|dime|digame|deme|dame|saber ..3 diagnostic*",
        "que enfermedad|enfermedades",
        f"sera|seria ..2 {_DISEASES}",
        f"puede|podria ser ..2 {_DISEASES}",
        f"{_MEDICINE_WORDS} ... que|cual es|sera mejor|bueno|buena|recomendable",
        f"tendre|tendra|tendria|tendremos ..2 {_DISEASES}",
    ]
)
# Prescribing verbs, spelled right: "me recetaron lentes" is not "recétenme".
_PRESCRIBE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["recetar|recetarme|recetarle|recetenme|receteme|recetame|receten|recete|recetaria|recetarian|recetan"],
    fuzzy=False,
)
# Asked only with a question mark: "¿le doy jarabe?", but "tomo pastillas para la presión" is said.
_ADVICE_IN_QUESTION: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        f"{_GIVE}|doy ... {_MEDICINE_WORDS}",
        f"{_MEDICINE_WORDS} ... {_GIVE}|bueno|buena|malo|mala",
        f"es|sea ..2 {_DISEASES}",
    ]
)
# Advice about a complaint: asked only when the message names a symptom ("¿qué micro tomo?" is not).
_ADVICE_ABOUT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "que|cual|como ..3 tomo|tomar|tome|tomamos|doy|dar|darle|aplico|aplicar|pongo|poner|ponerle|hago|hacer"
        "|hacemos|recomienda|recomiendan|aconseja|aconsejan|sirve|sirven|bajar|bajarle|bajo|calmar|calmo|quitar"
        "|quito|aliviar|alivio|curar|curo|tratar",
        "puedo|podemos|debo|puede|podria ..2 tomar|darle|dar|aplicar|aplicarle|ponerle|poner|usar ..2 algo|nada",
        "que puede|podria ser",
        "que sera|seria|sea",
        "que es esto|eso",
        "es|sera|seria|esta ..3 grave|peligroso|peligrosa|normal|malo|mala|serio|preocupante|contagioso|contagiosa",
        "debo|deberia|tengo|hay ..3 preocupar*",
    ]
)
_SYMPTOM: Final[tuple[Pattern, ...]] = compile_patterns([_SYMPTOMS])
_CLAUSE_BREAK = re.compile(r"[,;!?¿¡\n]+|\.(?!\d)")
_WHAT_I_HAVE: Final[tuple[Pattern, ...]] = compile_patterns(["que tengo|tendre|tendra|tendria|tiene|tendremos"])
# "¿Qué tengo que llevar?", "la cita que tengo mañana": having, not an ailment.
_NOT_AILMENT: Final = frozenset(
    word_list(
        """
    que cita citas turno turnos ficha fichas consulta consultas control hora dia fecha reserva examen
    analisis resultados papeles documentos orden
    """
    )
)
_KNOWN: Final = KNOWN_WORDS | lexicon(
    (*_ADVICE, *_PRESCRIBE, *_ADVICE_IN_QUESTION, *_ADVICE_ABOUT, *_SYMPTOM, *_WHAT_I_HAVE)
)


def _asks_what_they_have(text: str) -> bool:
    """ "¿Qué tengo?", "¿qué tiene mi hijo?", but not "¿qué tengo que llevar?", "la cita que tengo
    mañana" or "mi mamá, que tiene presión alta"."""
    for clause in _CLAUSE_BREAK.split(text):
        words = Words(clause, known=_KNOWN)
        for span in words.spans(_WHAT_I_HAVE):
            before = words.words[span.start - 1] if span.start else ""
            after = words.words[span.end] if span.end < len(words) else ""
            if before in _NOT_AILMENT or after in _NOT_AILMENT:
                continue
            if span.start and words.words[span.end - 1] == "tiene":
                continue
            return True
    return False


def asks_for_medical_advice(text: str) -> bool:
    """Whether a patient's message asks for a diagnosis, a medicine or a dose."""
    words = Words(text, known=_KNOWN)
    if words.has(_ADVICE) or words.has(_PRESCRIBE):
        return True
    if is_question(text) and words.has(_ADVICE_IN_QUESTION):
        return True
    return words.has(_SYMPTOM) and (words.has(_ADVICE_ABOUT) or _asks_what_they_have(text))
