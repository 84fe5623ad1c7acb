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

from gateway.understanding.patterns import Pattern, Words, compile_patterns


class SmallTalk(StrEnum):
    """A kind of small talk answered from a template (`replies.SMALL_TALK`)."""

    HELLO = "hello"  # "saludos desde El Alto": a greeting, answered as one
    ABOUT_ME = "about_me"  # "¿eres un robot?", "¿cómo se llama?", "¿usted duerme?"
    TASTES = "tastes"  # "¿le gusta el fútbol?", "¿qué opina de la política?"
    PLAY = "play"  # "cuénteme un chiste", "adivine qué", "cante una canción"
    PRIVACY = "privacy"  # "¿me está grabando?", "¿quién lee esto?"
    LANGUAGE = "language"  # "¿habla quechua?"
    PRESENCE = "presence"  # "¿hay alguien ahí?", "¿me lee?"
    HOW_ARE_YOU = "how_are_you"  # "¿qué tal su día?"
    COMPLAINT = "complaint"  # "no me entiende nada", "qué lento"
    CONFUSED = "confused"  # "no entendí", "¿cómo funciona esto?", "no sé"
    BACK = "back"  # "estaba ocupado", "se me cortó el internet"
    APOLOGY = "apology"  # "perdón, me equivoqué de chat"
    WAIT = "wait"  # "un momentito", "ya vuelvo"
    COMPLIMENT = "compliment"  # "usted es muy amable"
    FEELING_LOW = "feeling_low"  # "estoy preocupada", "me siento solo"
    LAUGHTER = "laughter"  # "jajaja", "😂"
    ACKNOWLEDGE = "acknowledge"  # "ok", "ya veo", "👍"
    WILL_ASK = "will_ask"  # "quiero saber una cosa", "¿le puedo preguntar algo?"
    BIRTHDAY = "birthday"  # "hoy es mi cumpleaños"
    GOOD_NEWS = "good_news"  # "nació mi nieta", "aprobé mi examen"
    # A question about anything else ("¿quién ganó el partido?"): the model would guess, so it is not asked.
    OTHER_QUESTION = "other_question"


def _patterns(*sources: str, fuzzy: bool = True) -> tuple[Pattern, ...]:
    return compile_patterns(sources, fuzzy=fuzzy)


# First match wins: a complaint that says "no entiendo" is a complaint, an apology that says "un momento"
# an apology.
_KINDS: Final[tuple[tuple[SmallTalk, tuple[Pattern, ...]], ...]] = (
    (
        SmallTalk.HELLO,
        _patterns(
            "saludos|saludo|saludito|saluditos ..2 desde|cordial|cordiales|todos|todas",
            "hola|buenas|buen|buenos ..3 desde",
            "aqui|solo|nomas saludandole|saludandolos|saludando",
            "buenas|buen tardecitas|nochecitas|diita|diitas|tardecita",
            "tanto tiempo",
            fuzzy=False,
        ),
    ),
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
            "habla|hablas|hablan|hablar|escribir|atender ..2 ingles|aymara|quechua|guarani|portugues|frances",
            "sabe|sabes|entiende|entiendes ..2 ingles|aymara|quechua|guarani|portugues|frances",
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
            "usted|tu ..1 piensa|piensas|duerme|duermes|come|comes|siente|sientes|descansa|descansas|sueña",
            "le|te pagan",
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
        SmallTalk.TASTES,
        _patterns(
            "le|te gusta|gustan|gustaria",
            "prefiere|prefieres",
            "favorito|favorita|favoritos|favoritas",
            "que opina|opinas|piensa|piensas de",
            "cree|crees en",
        ),
    ),
    (
        SmallTalk.PLAY,
        _patterns(
            "chiste|chistes|chistecito|trabalenguas|adivinanza|adivinanzas|acertijo|acertijos|trivia|rima|poema",
            "un|una|algun|alguna|otro|otra cuento|cuentito|historia|historieta|cancion|frase|poesia",
            "algo gracioso|chistoso|divertido|bonito|lindo",
            "adivina|adivine|adivinas|adivinen",
            "juguemos|jugamos|jugar|juega|juegas",
            "le|te reto",
            "cante|cantar|canteme|cantame|cantas",
            "baila|bailar|bailas|baile",
            fuzzy=False,  # "cansé" is not "cante"
        ),
    ),
    (
        SmallTalk.COMPLAINT,
        _patterns(
            "no me|nos entiende|entienden|entiendes|escucha|escuchan|lee",
            "no sirve|sirves|sirven|funciona|funcionan",
            "perdida de tiempo",
            "mala|pesima|malisima atencion|servicio",
            "malo|mal|pesimo|malisimo su|el|este servicio|sistema|chat",
            "que malo|mal|pesimo servicio",
            "que mal servicio",
            "respondame|responda|contesteme|conteste bien",
            "otra vez lo mismo",
            "otra vez|siempre la misma respuesta|cosa",
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
            "no tiene sentido",
            "inutil",
            "que fastidio",
        )
        + _patterns("me|ya canse", fuzzy=False),  # "me casé" is good news
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
            "como esta|estas|estan usted|ustedes|tu",
            "espero que este|estes|esten bien",
            "todo bien por alla|aqui|ahi",
            "todo tranquilo",
        ),
    ),
    (
        SmallTalk.BACK,
        _patterns(
            "estaba ocupado|ocupada|ocupadito|ocupadita",
            "perdon|disculpe|disculpa|sorry ..2 estaba",
            "se me corto|fue ..2 internet|senal|llamada|luz|mensaje",
            "sin internet|senal",
            "celular|telefono esta|anda fallando",
            "ya volvi|regrese|llegue",
            "ya estoy de vuelta",
            "no vi ..2 mensaje|mensajes",
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
        ),
    ),
    (
        SmallTalk.CONFUSED,
        _patterns(
            "no entiendo|entendi|comprendo|comprendi",
            "no entiendo|entendi ..3 dice|dijo|escribe|escribio",
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
        SmallTalk.WILL_ASK,
        _patterns(
            "quiero|queria|quisiera saber|preguntar|consultar una|algo|algunas|unas cosa|cosas|duda|dudas|pregunta",
            "quiero|queria|quisiera saber|preguntar|consultar algo",
            "le|te puedo|podria hacer? preguntar|consultar|una algo|pregunta|consulta",
            "tengo una|unas pregunta|preguntas|duda|dudas|consultita",
            "una pregunta|preguntita|duda|consultita",
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
            # Hurt, not news: "nadie se acordó de mi cumpleaños" is no birthday to congratulate.
            "nadie se acordo|acuerda|acordaron|llamo|escribio|saludo",
            "se olvidaron|olvidaron",
            "ganas de nada",
            "sin ganas",
            "no tengo ganas",
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
# "¿Le puedo preguntar algo? ¿tiene novio?" asks the question at once: only a bare "quiero saber una cosa" waits.
_WHOLE_MESSAGE: Final = frozenset({SmallTalk.ACKNOWLEDGE, SmallTalk.CONFUSED, SmallTalk.WILL_ASK})
# Kinds that must be asked: "a mi hijo le gusta el fútbol" is not a question about our tastes.
_ASKED: Final = frozenset({SmallTalk.TASTES})
# One word asking to hear it again: "¿qué?", "¿cómo?", "¿perdón?", "mande".
_WHAT: Final[tuple[Pattern, ...]] = _patterns("que|como|perdon|mande|ah|eh|y|ahora", fuzzy=False)
_NEWS: Final[tuple[tuple[SmallTalk, tuple[Pattern, ...]], ...]] = (
    (SmallTalk.BIRTHDAY, _patterns("cumpleanos|cumple|cumpleanero|cumpleanera|cumplo", fuzzy=False)),
    (
        SmallTalk.GOOD_NEWS,
        _patterns(
            "me|nos case|casamos|recibi|titule|gradue|jubile|comprometi",
            "aprobe|aprobamos|pase ..2 examen|examenes|materia|ano",
            "nacio|nacieron mi|nuestra|nuestro",
            "ya soy|somos abuela|abuelo|abuelos|mama|papa|tia|tio",
            "estoy|toy|ando|estamos|siento ..1 feliz|contento|contenta|alegre|emocionado|emocionada|felices",
            "que alegria|emocion",
            "buena|buenas noticia|noticias",
            "aniversario",
            "anos de casados",
            "se gradua|gradúa|recibe|casa",
            fuzzy=False,
        ),
    ),
)
# Questions start with one of these when the patient leaves out "¿" and "?" ("qué" and "cómo" also start
# exclamations: "qué lindo día", "cómo llueve").
_QUESTION_START: Final[tuple[Pattern, ...]] = _patterns(
    "quien|quienes|cual|cuales|cuando|donde|cuanto|cuanta|cuantos|cuantas|sabe|sabes|conoce|conoces",
    "por que",
    "me puede|podria|ayuda|recomienda|recomiendas|presta|traduce|dice|explica",
    fuzzy=False,
)
# Words a closing may carry besides its own: "ok gracias", "mmm no estoy seguro", "bueno pues".
_CLOSING_EXTRAS: Final[tuple[Pattern, ...]] = _patterns(
    "ok|bueno|ya|si|no|gracias|pues|entonces|m|mm|eh|em|este|porfa|porfavor",
    "por favor",
    "de nuevo",
    "otra vez",
    "doctora|doctor|senorita|senor|senora|joven",
    "hola|buenas|buenos|buen|dia|dias|tardes|noches",
)
# Laughter as WhatsApp writes it: jaja, jejeje, jsjsjs, xD, lol.
_LAUGH: Final = re.compile(r"(?:[jh][aeiou]|js)+[jhs]?|j[aeiou]|x+d+|lo+l|lmao")
# What laughter may come with: "jajaja qué chistoso", "jaja me hizo reír".
_LAUGH_EXTRAS: Final[tuple[Pattern, ...]] = _patterns("que chistoso|chistosa|gracioso|graciosa|risa", "me hizo reir")
# Thanks or a farewell said with a compliment ("gracias, muy amable") is a goodbye, not a compliment.
_FAREWELL: Final[tuple[Pattern, ...]] = _patterns("gracias", "chau|chao|adios|bye", "hasta luego|pronto|manana")

# Emoji-only messages, by what they say.
_EMOJI_KINDS: Final[dict[str, SmallTalk]] = {
    **dict.fromkeys("😂🤣😅😆😄😁😹😝😜😊☺🙂😀😃", SmallTalk.LAUGHTER),
    **dict.fromkeys("👍👌✌💪🙌✅🆗👏", SmallTalk.ACKNOWLEDGE),
    **dict.fromkeys("🥰😍🤗❤💙💚💛💜💕💖😘🌹🙏", SmallTalk.COMPLIMENT),
    **dict.fromkeys("🎉🥳🎊🎂🍾", SmallTalk.GOOD_NEWS),
    **dict.fromkeys("😢😭😔😞😟😥😿💔", SmallTalk.FEELING_LOW),
    **dict.fromkeys("😡😠🤬😤👎", SmallTalk.COMPLAINT),
    **dict.fromkeys("🤔😕❓❔🤷😐", SmallTalk.CONFUSED),
}
# Joiners and variation selectors that ride along with emoji ("❤️", "🤷‍♀️", skin tones).
_EMOJI_MODIFIERS: Final = frozenset("\ufe0f\u200d\u2640\u2642") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


# Said in a message that is only a greeting, "¿cómo está?" asks after us ("¿cómo está la doctora?" does not).
ASKS_AFTER_US: Final[tuple[Pattern, ...]] = _patterns("como esta|estas|estan|estamos|andas|anda")


# A message that ends in a farewell ("ya me voy a dormir, chau") is one, whatever came before it.
_FAREWELL_AT_END: Final[tuple[Pattern, ...]] = _patterns(
    "chau|chao|chaito|adios|bye|bendiciones", "hasta luego|manana|pronto", "nos vemos", "buenas noches", fuzzy=False
)


def ends_with_farewell(words: Words) -> bool:
    """Whether the message's last words take leave."""
    return any(span.end == len(words) for span in words.spans(_FAREWELL_AT_END))


def small_talk_of(words: Words, text: str) -> SmallTalk | None:
    """The kind of small talk `text` (read as `words`) is, if it is one answered from a template."""
    if not words:
        return _emoji_kind(text)
    asked = "?" in text or "¿" in text
    if len(words) == 1 and asked and words.has(_WHAT):
        return SmallTalk.CONFUSED
    extras = {at for span in words.spans(_CLOSING_EXTRAS) for at in range(span.start, span.end)}
    for kind, patterns in _KINDS:
        spans = words.spans(patterns)
        if not spans:
            continue
        if kind is SmallTalk.COMPLIMENT and words.has(_FAREWELL):
            continue
        if kind in _ASKED and not asked:
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
    for kind, patterns in _NEWS:
        if words.has(patterns):
            return kind
    if asked or any(span.start == 0 for span in words.spans(_QUESTION_START)):
        return SmallTalk.OTHER_QUESTION
    return None


def _emoji_kind(text: str) -> SmallTalk | None:
    """The kind an emoji-only message is: the first emoji that says something decides."""
    if text.strip(" ?¿!¡.") == "":
        return SmallTalk.CONFUSED if "?" in text or "¿" in text else None
    if text.strip(" \ufe0f🎂") == "":
        return SmallTalk.BIRTHDAY
    for char in text:
        if char in _EMOJI_MODIFIERS or char.isspace():
            continue
        kind = _EMOJI_KINDS.get(char)
        if kind is not None:
            return kind
    return None
