"""Which kind of small talk a message is, when the assistant should answer it with its own words.

Some small talk is about the assistant or the conversation itself ("¿eres un robot?", "no me entiende",
"¿me está grabando?", "un momentito"), carries a feeling the reply must not get wrong ("me siento sola"),
or closes a turn ("ok", "jaja", "muy amable"). A generated reply to these is either a statement of fact
about the service or a reply that misses the point, so they get a template. Everything else that is only
small talk (the weather, football, a joke) is left to the model and its gate.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from gateway.conversation.patterns import Pattern, Words, compile_patterns


class SmallTalk(StrEnum):
    """A kind of small talk answered from a template (`replies.SMALL_TALK`)."""

    ABOUT_ME = "about_me"  # "¿eres un robot?", "¿cómo se llama?", "¿usted duerme?"
    PRIVACY = "privacy"  # "¿me está grabando?", "¿quién lee esto?"
    LANGUAGE = "language"  # "¿habla quechua?"
    PRESENCE = "presence"  # "¿hay alguien ahí?", "¿me lee?"
    HOW_ARE_YOU = "how_are_you"  # "¿qué tal su día?"
    COMPLAINT = "complaint"  # "no me entiende nada", "qué lento"
    CONFUSED = "confused"  # "no entendí", "¿cómo funciona esto?", "no sé"
    APOLOGY = "apology"  # "perdón, me equivoqué de chat"
    WAIT = "wait"  # "un momentito", "ya vuelvo"
    COMPLIMENT = "compliment"  # "usted es muy amable"
    FEELING_LOW = "feeling_low"  # "estoy preocupada", "me siento solo"
    LAUGHTER = "laughter"  # "jajaja", "😂"
    ACKNOWLEDGE = "acknowledge"  # "ok", "ya veo", "👍"


def _patterns(*sources: str, fuzzy: bool = True) -> tuple[Pattern, ...]:
    return compile_patterns(sources, fuzzy=fuzzy)


# First match wins: a complaint that says "no entiendo" is a complaint, an apology that says "un momento"
# an apology.
_KINDS: Final[tuple[tuple[SmallTalk, tuple[Pattern, ...]], ...]] = (
    (
        SmallTalk.PRIVACY,
        _patterns(
            "me|nos esta|estan|estas grabando",
            "graba|grabas|graban ... conversacion|llamada|mensajes",
            "quien|quienes lee|leen|ve|ven ... mensajes|esto|conversacion|chat",
            "lee|lees|leen todo lo que",
            "guardan|guarda|guardas ... mensajes|conversacion|chat",
        ),
    ),
    (
        SmallTalk.LANGUAGE,
        _patterns(
            "habla|hablas|hablan|hablar|escribir|atender|sabe|sabes|entiende|entiendes ..2 ingles|aymara|quechua|guarani|portugues|frances",
            "in english",
            "do you speak",
            "english please",
        ),
    ),
    (
        SmallTalk.ABOUT_ME,
        _patterns(
            "robot|robots|bot|chatbot|maquina|chatgpt",
            "es|eres ..2 programa|computadora",
            "inteligencia artificial",
            "es|eres|sos|usted ..2 persona|humano|humana|real",
            "con quien hablo|estoy|hablamos",
            "quien eres",
            "quien es usted",
            "como se|te llama|llamas",
            "cual es su|tu nombre",
            "tiene|tienes nombre",
            "quien le|te programo|creo|hizo|invento",
            "usted|tu piensa|piensas|duerme|duermes|come|comes|siente|sientes|descansa|descansas|sueña",
            "tiene|tienes sentimientos|emociones|familia",
            "cuantos anos tiene|tienes",
            "de donde eres",
            "de donde es usted",
            "le|te gusta su|tu trabajo",
            "trabaja|trabajas ... todo el dia|noche",
            "no se|te cansa|cansas",
            "es|eres de verdad",
            "me entiende|entiendes si",
        ),
    ),
    (
        SmallTalk.COMPLAINT,
        _patterns(
            "no me|nos entiende|entienden|entiendes|escucha|escuchan|lee",
            "no sirve|sirves|sirven|funciona|funcionan",
            "perdida de tiempo",
            "mala|pesima|malisima atencion|servicio",
            "que mal servicio",
            "respondame|responda|contesteme|conteste bien",
            "otra vez lo mismo",
            "siempre lo mismo",
            "siempre es lo mismo",
            "responde|responden|respondiendo|contesta|contestando cualquier cosa",
            "respuesta|respuestas ..2 rara|raras|tonta|tontas",
            "que lento|lenta|lentos",
            "muy lento|lenta",
            "renegar",
            "nunca responden|contestan|atienden",
            "me molesta esperar",
            "estoy molesto|molesta|enojado|enojada|harto|harta|furioso|furiosa",
            "me canse",
            "ya me canse",
            "no tiene sentido",
            "inutil",
            "que fastidio",
        ),
    ),
    (
        SmallTalk.PRESENCE,
        _patterns(
            "hay alguien",
            "alguien ahi|aqui|alli",
            "alguien",
            "sigue|sigues|siguen|esta|estas ahi",
            "me lee|lees|leen|escucha|escuchas",
            "esta|estas despierto|despierta",
            "responda|respondan|contesten|conteste",
            "hola|buenas|saludos de nuevo",
            "hola|buenas|saludos otra vez",
            "aqui estoy|ando de nuevo",
            "aqui estoy|ando otra vez",
            "saludos|saludo ..2 desde|cordial|cordiales",
            "hola|buenas desde",
            fuzzy=False,
        ),
    ),
    (
        SmallTalk.HOW_ARE_YOU,
        _patterns(
            "que tal su|tu dia|tarde|noche|semana",
            "como le|te va|fue",
            "como amanecio|amaneciste|amanecieron",
            "como ha|has|han estado",
            "que cuenta|cuentas|cuentan",
            "como va|van todo",
            "como va|van las cosas",
            "como esta|estas su|tu dia",
            "espero que este|estes|esten bien",
            "todo bien por alla|aqui|ahi",
            "todo tranquilo",
        ),
    ),
    (
        SmallTalk.APOLOGY,
        _patterns(
            "me equivoque|equivoco",
            "equivocado|equivocada de chat|numero",
            "era para otra|otro",
            "perdon|disculpe|disculpa|sorry ..3 era para",
            "agarro|agarró el celular|telefono",
            "escribi mal",
            "ignore|ignora|olvide ..2 mensaje|anterior",
            "me confundi",
            "perdon|disculpe|disculpa|disculpen ..2 demora|hora|molestia|molestar",
            "ups|upss|oops|upsi",
        ),
    ),
    (
        SmallTalk.WAIT,
        _patterns(
            "un|una momento|momentito|segundo|segundito|rato|ratito",
            "deme|dame|denme un|una",
            "espere|espera|espereme|esperame|esperen",
            "ya vuelvo|regreso|vengo",
            "estoy pensando",
            "dejeme|dejame ver|pensar|revisar",
            "ahorita|luego|despues le|te escribo|escribimos|aviso|confirmo",
            "mas tarde le|te escribo|escribimos|aviso|confirmo",
            "estaba ocupado|ocupada",
            "se me corto|fue ..2 internet|senal|llamada|luz",
            "sin internet|senal",
            "celular|telefono esta fallando",
            "sin senal",
        ),
    ),
    (
        SmallTalk.CONFUSED,
        _patterns(
            "no entiendo|entendi|comprendo|comprendi",
            "no entiendo|entendi ..3 dice|dijo|escribe|escribio",
            "que|como|perdon|mande",
            "no le|te entendi|entiendo",
            "que dijo|dice",
            "repita|repite|repitame",
            "explique|expliqueme|explicame|explica",
            "y ahora que",
            "y entonces",
            "como funciona _?",
            "como se usa _?",
            "que puedo hacer|preguntar",
            "que hago",
            "no se",
            "no se que escribir|decir|hacer|poner",
            "no estoy seguro|segura",
            "tal vez",
            "puede ser",
            "quizas|quiza",
            "a ver",
        ),
    ),
    (
        SmallTalk.COMPLIMENT,
        _patterns(
            "muy amable|amables",
            "que amable",
            "buena|buenisima|excelente|linda atencion",
            "buen|excelente|gran servicio",
            "me cae|caen bien",
            "muy paciente|atento|atenta|eficiente|rapido|rapida|servicial",
            "que paciente|eficiente",
            "que rapido|rapida responde|responden|contesta",
            "muy bien explicado",
            "le|te|los felicito",
            "felicidades|felicitaciones",
            "que bien que tengan",
            "es|eres un|una sol|amor|angel|genio|maximo",
            "es|eres lo maximo",
            "me encanta|encanto ..2 usted|atencion|servicio|esto|hablar",
            "asi da gusto",
            "buen trabajo",
        ),
    ),
    (
        SmallTalk.FEELING_LOW,
        _patterns(
            "estoy|siento|ando ..2 triste|nervioso|nerviosa|preocupado|preocupada|estresado|estresada",
            "estoy|siento|ando ..2 angustiado|angustiada|deprimido|deprimida|desanimado|desanimada|agobiado|agobiada",
            "me siento ..2 solo|sola",
            "extrano a",
            "dia dificil|malo|feo|terrible",
            "me pelee",
            "me regano|reganaron",
            "para animarme",
            "animeme|animame",
        ),
    ),
    (
        SmallTalk.ACKNOWLEDGE,
        _patterns(
            "ok|okey|okay|oki|va|dale|listo|perfecto|entendido|vale|sale|orale|bueno|ya|aja|ah|oh|pues|entiendo",
            "de acuerdo",
            "ya veo",
        ),
    ),
)
# Kinds that need the message to be nothing else: "ok" and "jaja" are closings, "ok, quiero saber..." is not.
_WHOLE_MESSAGE: Final = frozenset({SmallTalk.ACKNOWLEDGE, SmallTalk.CONFUSED})
# Words a closing may carry besides its own: "ok gracias", "mmm no estoy seguro", "bueno pues".
_CLOSING_EXTRAS: Final[tuple[Pattern, ...]] = _patterns(
    "ok|bueno|ya|si|no|gracias|pues|entonces|m|mm|eh|em|este|porfa|porfavor",
    "por favor",
    "de nuevo",
    "otra vez",
    "doctora|doctor|senorita|senor|senora|joven",
)
# Laughter as WhatsApp writes it: jaja, jejeje, jsjsjs, xD, lol.
_LAUGH: Final = re.compile(r"(?:[jh][aeiou]|js)+[jhs]?|j[aeiou]|x+d+|lo+l|lmao")
# What laughter may come with: "jajaja qué chistoso", "jaja me hizo reír".
_LAUGH_EXTRAS: Final[tuple[Pattern, ...]] = _patterns("que chistoso|chistosa|gracioso|graciosa|risa", "me hizo reir")
# Thanks or a farewell said with a compliment ("gracias, muy amable") is a goodbye, not a compliment.
_FAREWELL: Final[tuple[Pattern, ...]] = _patterns("gracias", "chau|chao|adios|bye", "hasta luego|pronto|manana")

# Emoji-only messages, by what they say.
_EMOJI_KINDS: Final[dict[str, SmallTalk]] = {
    **dict.fromkeys("😂🤣😅😆😄😁😹😝😜", SmallTalk.LAUGHTER),
    **dict.fromkeys("👍👌✌💪🙌✅🆗👏", SmallTalk.ACKNOWLEDGE),
    **dict.fromkeys("😊☺🥰😍🤗❤💙💚💛💜💕💖😘🌹🙏", SmallTalk.COMPLIMENT),
    **dict.fromkeys("😢😭😔😞😟😥😿💔", SmallTalk.FEELING_LOW),
    **dict.fromkeys("😡😠🤬😤👎", SmallTalk.COMPLAINT),
    **dict.fromkeys("🤔😕❓❔🤷😐", SmallTalk.CONFUSED),
}
# Joiners and variation selectors that ride along with emoji ("❤️", "🤷‍♀️", skin tones).
_EMOJI_MODIFIERS: Final = frozenset("\ufe0f\u200d\u2640\u2642") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def small_talk_of(words: Words, text: str) -> SmallTalk | None:
    """The kind of small talk `text` (read as `words`) is, if it is one answered from a template."""
    if not words:
        return _emoji_kind(text)
    extras = {at for span in words.spans(_CLOSING_EXTRAS) for at in range(span.start, span.end)}
    for kind, patterns in _KINDS:
        spans = words.spans(patterns)
        if not spans:
            continue
        if kind is SmallTalk.COMPLIMENT and words.has(_FAREWELL):
            continue
        if kind in _WHOLE_MESSAGE:
            covered = extras | {at for span in spans for at in range(span.start, span.end)}
            if len(covered) < len(words):
                continue
        return kind
    laughs = {at for at, word in enumerate(words.words) if _LAUGH.fullmatch(word)}
    extras |= {at for span in words.spans(_LAUGH_EXTRAS) for at in range(span.start, span.end)}
    if laughs and len(laughs | extras) == len(words):
        return SmallTalk.LAUGHTER
    return None


def _emoji_kind(text: str) -> SmallTalk | None:
    """The kind an emoji-only message is: the first emoji that says something decides."""
    if text.strip(" ?¿!¡.") == "":
        return SmallTalk.CONFUSED if "?" in text or "¿" in text else None
    for char in text:
        if char in _EMOJI_MODIFIERS or char.isspace():
            continue
        kind = _EMOJI_KINDS.get(char)
        if kind is not None:
            return kind
    return None
