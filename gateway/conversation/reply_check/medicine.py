"""Medical advice in a reply: a dose, a medicine named or prescribed, a diagnosis. The assistant gives none."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from gateway.understanding.normalize import is_question, normalize
from gateway.understanding.vocabulary import word_list

# Medicines by name (also what `advice_requests` listens for): a reply naming one gives advice.
DRUGS: Final = word_list(
    """
    paracetamol acetaminofen ibuprofeno amoxicilina diclofenac omeprazol metformina aspirina naproxeno
    ketorolac metamizol dipirona loratadina cetirizina azitromicina ciprofloxacin cefalexina penicilina
    prednison dexametasona salbutamol enalapril losartan atorvastatina insulina clonazepam diazepam
    alprazolam tramadol ranitidina loperamida metronidazol albendazol mebendazol ambroxol clorfenamina
    buscapina hioscina sildenafil levotiroxina amlodipino ketoconazol fluconazol nistatina aciclovir
    ampicilina ceftriaxona
    """
)


def _normalized(words: Sequence[str]) -> frozenset[str]:
    """Words as `normalize` leaves a reply, which is what they are compared with."""
    return frozenset(normalize(word) for word in words)


# Kinds of medicine that count as naming one: "un antibiótico", "antiinflamatorios".
DRUG_KINDS: Final = word_list("antibiotic antiinflamatori analgesic antihistaminic antipiretic antigripal corticoid")
_MEDICINES: Final = _normalized(
    word_list(
        """
    pastilla pastillas pastillita pastillitas tableta tabletas comprimido comprimidos capsula capsulas
    jarabe jarabes gotas gotitas pomada pomadas crema cremas unguento inyeccion inyecciones ampolla
    ampollas medicamento medicamentos medicina medicinas remedio remedios farmaco farmacos suero vitamina
    vitaminas calmante calmantes liquido liquidos hielo compresa compresas infusion infusiones mate
    manzanilla
    """
    )
)
# Verbs that prescribe when a medicine follows: always advice, even "no tome pastillas".
_TAKE: Final = _normalized(
    word_list(
        """
    tome tomar tomarse tomese tomelo tomela tomelos tomelas tomarlo tomarla tomarlos tomarlas tomen toma
    tomes tomando tomara beba beber use usar usese utilice utilizar aplique aplicar apliquese
    aplicarse apliquele ponga pongase ponerse pongale ponerle administre administrar administrarle
    consuma consumir suspenda suspender
    """
    )
)
# Verbs that prescribe unless denied: "no puedo recomendarle medicamentos" is the right answer.
_RECOMMEND: Final = _normalized(
    word_list(
        """
    recomiendo recomendamos recomendaria recomendar recomendarle sugiero sugerimos sugerirle aconsejo
    aconsejamos aconsejarle receto recetare recetaria recetar recetarle indico indicarle dele darle dale
    denle dar
    """
    )
)
_DENIALS: Final = frozenset({"no", "ni", "nunca", "sin", "tampoco", "evite", "evitar"})
_NUMBER = (
    r"(?:\d+(?:[/:]\d+)?(?: \d+)?|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce"
    r"|quince|veinte|treinta|cuarenta|cincuenta|cien|media|medio)"
)
_UNIT = (
    r"(?:mg|miligramos?|mcg|microgramos?|ml|mililitros?|cc|g|gr|gramos?|ui|gotas?|gotitas?|comprimidos?"
    r"|pastillas?|pastillitas?|tabletas?|capsulas?|cucharadas?|cucharaditas?|cucharitas?"
    r"|ampollas?|ampolletas?|inyecciones?|unidades|dosis|puffs?|inhalaciones?)"
)
_DISEASE = (
    r"(?:infecci\w*|gripe|gripa|resfri\w*|covid\w*|coronavirus|gastritis|gastroenteritis|diabetes"
    r"|hipertension|hipotension|anemia|migrana|bronquitis|neumonia|pulmonia|faringitis|amigdalitis"
    r"|laringitis|otitis|sinusitis|conjuntivitis|dermatitis|colitis|cistitis|apendicitis|dengue|zika"
    r"|chikungunya|malaria|paludismo|chagas|tuberculosis|hepatitis|tifoidea|tifus|salmonel\w*|ulceras?"
    r"|virus|viral|bacteria\w*|parasit\w*|amebas?|lombrices|hongos?|micosis|alergias?|asma|artritis|artrosis"
    r"|cancer|tumor\w*|quistes?|calculos?|hernias?|esguince|fractura|tendinitis|lumbalgia|ciatica"
    r"|depresion|intoxicacion|deshidratacion|reflujo|varicela|sarampion|rubeola|paperas|escarlatina"
    r"|herpes|vih|sida|preeclampsia|trombosis|epilepsia|arritmia|tiroid\w*|hipotiroidismo"
    r"|hipertiroidismo|soroche|infarto|embolia|anginas|contractura|torcedura|inflamacion|sindrome"
    r"|presion (?:alta|baja)|colico\w*)"
)
_FILLERS = r"(?:un|una|de|del|la|el|los|las|algun|alguna|posible|leve|fuerte|cuadro|principio|poco|tipo)"
_DOSAGE = [
    re.compile(rf"(?:^| ){_NUMBER} {_UNIT}(?= |$)"),
    re.compile(r"(?:^| )(?:cada|c) (?:\d+|una|dos|tres|cuatro|seis|ocho|doce|veinticuatro) horas?(?= |$)"),
    re.compile(r"(?:^| )(?:\d+|una|dos|tres|cuatro) (?:vez|veces) (?:al|por|cada) dia(?= |$)"),
    re.compile(r"(?:^| )(?:antes|despues) de (?:cada |las |sus )?comidas?(?= |$)"),
    re.compile(r"(?:^| )(?:" + "|".join(map(normalize, DRUGS + DRUG_KINDS)) + r")\w*(?= |$)"),
]
# A diagnosis, said of someone: a question ("¿tiene alergia a algún medicamento?") or an "if" is not one.
_DIAGNOSIS_STATED = re.compile(
    r"(?:^| )(?:tiene|tienen|tendria|tendra|tenga|padece|padecer|sufre|presenta|es|sea|seria|sera|parece"
    r"|parece ser|se trata de|debe ser|puede ser|podria ser|sintomas de|signos de|cuadro de|caso de"
    r"|diagnosticado con|diagnosticada con)"
    rf"(?: {_FILLERS}){{0,2}} {_DISEASE}(?= |$)"
)
_DIAGNOSIS_ANYWAY = re.compile(
    r"(?:^| )(?:padece de|sufre de|es probable que (?:sea|tenga|se trate|usted)|probablemente (?:sea|es|tenga|tiene"
    r"|se trate)|seguramente (?:sea|es|tenga|tiene|se trate)|lo que (?:usted )?tiene es|su diagnostico"
    r"|el diagnostico es|le diagnostico|mi diagnostico|diagnostico (?:presuntivo|probable)"
    r"|no es (?:nada )?(?:grave|serio|preocupante|de cuidado)|nada (?:grave|serio)"
    r"|es algo (?:leve|pasajero|normal))(?= |$)"
    r"|(?:^| )se (?:le )?(?:va a pasar|pasara)(?: (?:pronto|solo|sola|solito|rapido|ya))?$"
)
_IF = re.compile(r"(?:^| )si(?: \w+){0,3}$")
_SENTENCE = re.compile(r"[^.!?\n¿¡]*[?]|[¿¡][^.!?\n]*[.!?]*|[^.!?\n¿¡]+[.!\n]*")
_YES = re.compile(r"\bsí\b", re.IGNORECASE)


def _sentences(text: str) -> list[tuple[str, bool]]:
    """Each sentence normalized, and whether it asks something."""
    text = _YES.sub("claro", text)  # folded, "sí" would read as the "si" of a condition
    return [(normalize(part), is_question(part)) for part in _SENTENCE.findall(text) if part.strip()]


_SPECIALTY_AFTER: Final = frozenset(word_list("general interna familiar"))


def _is_medicine(words: Sequence[str], index: int) -> bool:
    """A medicine word, but not the "medicina" of "consulta de medicina general"."""
    word = words[index]
    if word not in _MEDICINES:
        return False
    if word.startswith("medicina"):
        following = words[index + 1] if index + 1 < len(words) else ""
        return following not in _SPECIALTY_AFTER and words[index - 1 : index] != ["de"]
    return True


def _prescribes(words: Sequence[str]) -> bool:
    for index, word in enumerate(words):
        if word not in _TAKE and word not in _RECOMMEND:
            continue
        if not any(_is_medicine(words, later) for later in range(index + 1, min(index + 5, len(words)))):
            continue
        if word in _TAKE or not _denied(words, index):
            return True
    return False


_REFUSAL = re.compile(r"(?:^| )no (?:(?:le|les|te|se|lo|la) )?(?:puedo|podemos|podria|podriamos|debo|debemos) ")


def _denied(words: Sequence[str], index: int) -> bool:
    """Negated just before ("ni recomendar"), or refused earlier in the sentence ("no puedo dar
    diagnósticos, recomendar medicamentos ni ...") with no "pero" since."""
    if _DENIALS.intersection(words[max(0, index - 3) : index]):
        return True
    before = " ".join(words[:index]) + " "
    refusals = list(_REFUSAL.finditer(before))
    return bool(refusals) and " pero " not in before[refusals[-1].end() - 1 :]


def _self_medication(words: Sequence[str]) -> bool:
    return any(word.startswith("automedi") and not _denied(words, index) for index, word in enumerate(words))


def gives_medical_advice(text: str) -> bool:
    """A diagnosis, a dose, a medicine named or prescribed."""
    for sentence, question in _sentences(text):
        if any(pattern.search(sentence) for pattern in _DOSAGE) or _DIAGNOSIS_ANYWAY.search(sentence):
            return True
        words = sentence.split()
        if _prescribes(words) or _self_medication(words):
            return True
        if not question:
            for found in _DIAGNOSIS_STATED.finditer(sentence):
                if not _IF.search(sentence[: found.start()]):
                    return True
    return False
