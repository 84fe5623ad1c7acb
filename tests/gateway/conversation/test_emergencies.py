"""Emergencies: recognised as patients write them, and answered like a triage line would, through POST /chat.

The recogniser is tested on its own over every category triage lines listen for, with negations and past
episodes that are not emergencies; the conversation runs on real Postgres and Redis, with a local gRPC
stand-in for the model that counts every request, so a test can tell the model was never asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from itertools import pairwise
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.conversation import replies
from gateway.understanding.emergencies import Emergency
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import understand
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.fake_inference import FakeInference, fake_inference_server
from tests.support.gateway import MakeClient, gateway_settings

TZ = ZoneInfo("America/La_Paz")
NOW = dt.datetime(2026, 11, 25, 23, 40, tzinfo=TZ)
EMERGENCY_NUMBER = "168"
CRISIS_LINE = "800 113040"
CRISIS_LINE_NAME = "la línea gratuita Familia Segura"

# Every emergency the issue names, as patients typed them or would.
ISSUE_EMERGENCIES = [
    "me tomé 20 pastillas de paracetamol",
    "mi hijo de 2 años se tomó unas pastillas … como 10 de clonazepam, está medio dormido",
    "mi hijo de 2 años se tomó unas pastillas de la mesa, creo que como 10 de clonazepam, está medio dormido",
    "tengo ganas de cortarme",
    "ya no quiero vivir",
    "ya me tomé todas las pastillas que tenía",
    "me quiero matar",
    "quitarme la vida",
    "mejor me muero",
    "le duele el pecho",
    "no puede respirar",
    "tiene la cara torcida",
    "no puede hablar",
    "se le durmió el brazo de golpe",
    "se desmayó",
    "no reacciona",
    "no despierta",
    "convulsiona",
    "le dio un ataque y se sacude",
    "sangra mucho",
    "no para de sangrar",
    "se tomó lavandina",
    "mi hijo tomó lejía",
    "se tomó cloro",
    "tomó insecticida",
    "se comió veneno para ratas",
    "comió raticida",
    "se le hinchó la cara",
    "se le hinchó la garganta y no puede tragar",
    "se quemó con agua hirviendo",
    "tiene una quemadura grande",
    "se golpeó la cabeza y vomita",
    "se golpeó la cabeza y está confundido",
    "estoy embarazada y sangrando",
    "bebé de 2 meses con fiebre de 39",
    "mi bebé no quiere lactar",
    "ya llamé a la ambulancia pero no llega, ahora está convulsionando",
]
SELF_HARM = [
    "tengo ganas de cortarme",
    "ya no quiero vivir",
    "ya me tomé todas las pastillas que tenía",
    "me quiero matar",
    "estoy pensando en quitarme la vida",
    "mejor me muero",
    "kiero morirme",
    "me voy a suicidar",
    "no quiero seguir viviendo",
    "estoy harta de vivir",
    "me hago cortes",
    "hace meses que quiero morir, quiero cita con psicología",
]
# By category, with misspellings and no accents, as patients type.
CATEGORIES = {
    "chest": ["me aprieta el pexo", "siento presion en el pecho", "creo q es un infarto"],
    "breathing": ["no puedo respirar", "le falta el aire", "se esta aogando"],
    "stroke": ["se le puso la cara chueca", "mi abuela no puede ablar", "de repente no siento el brazo"],
    "unconscious": ["se desmallo", "esta inconsiente", "mi papa no despierta"],
    "seizure": ["esta convulsionando", "le dio un ataque, tiene los ojos en blanco"],
    "bleeding": ["sangra muchisimo", "no deja de sangrar la herida"],
    "overdose": ["me tome 15 pastillas", "se tomo una caja de diazepam", "mi hija se trago como 4 pastillas"],
    "poison": ["tomo lavandina", "se tomo cloro", "comio veneno para ratas", "se tomo insecticida"],
    "allergy": ["se le hincharon los labios", "me cuesta tragar, se me cierra la garganta"],
    "burn": ["se quemo con aceite hirviendo", "tiene quemaduras en la espalda"],
    "head": ["se cayo, se golpeo la cabeza y esta vomitando", "se pego en la cabeza y esta muy dormido"],
    "pregnancy": ["estoy embarazada y me sale sangre", "tengo 8 meses de embarazo y sangro"],
    "baby": ["mi bebe de 1 mes tiene 38 de fiebre", "el bebe no quiere mamar y esta muy dormido"],
    "swallowed": ["el nene tomo detergente", "mi hijo se comio las pastillas de la abuela", "se tomo sin querer cloro"],
    "call": ["necesito una ambulancia urgente", "auxilio"],
    "more": [
        "le pico un alacran",
        "se cayo del techo",
        "lo encontramos sin respirar",
        "mi papa esta tieso y sacudiendose",
    ],
}
NOT_EMERGENCIES = [
    "no tengo dolor de pecho",
    "sin dolor de pecho ni falta de aire",
    "el año pasado me desmayé, quiero control",
    "hace un mes tuve convulsiones, quiero cita con neurología",
    "quiero cita por dolor de pecho leve de hace meses",
    "¿atienden emergencias?",
    "tienen servicio de emergencia?",
    "me tomo una pastilla de paracetamol cada 8 horas",
    "me tomé 500 mg de paracetamol",
    "quiero sacar ficha para ginecología, estoy embarazada de 3 meses",
    "mi bebé de 2 meses necesita sus vacunas",
    "hace años me quemé la mano y quiero ver la cicatriz",
    "no me desmayé, solo me mareé un poco",
    "atienden quemaduras leves?",
    "tienen ambulancia?",
    "cuánto cuesta la ambulancia?",
    "tengo un derrame en el ojo, quiero oftalmólogo",
    "hace 5 años intenté suicidarme, hoy estoy bien, quiero cita con psicología",
    "me quiero morir de la vergüenza jaja",
    "me muero de hambre",
    "mi papá se toma 3 pastillas al día para la presión",
]


def recognised(text: str) -> tuple[Intent, Emergency | None]:
    understood = understand(text, now=NOW, tz=TZ)
    return understood.intent, understood.emergency


@pytest.mark.parametrize("text", ISSUE_EMERGENCIES)
def test_every_emergency_in_the_issue_is_recognised(text: str) -> None:
    assert recognised(text)[0] is Intent.EMERGENCY


@pytest.mark.parametrize(
    "text", [text for examples in CATEGORIES.values() for text in examples], ids=lambda text: text[:30]
)
def test_each_category_triage_lines_listen_for_is_recognised_misspelled(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize("text", SELF_HARM)
def test_suicidal_thoughts_and_self_harm_are_their_own_kind(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.SELF_HARM)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_negations_past_episodes_and_questions_are_not_emergencies(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("¿cuál es el sentido de la vida?", None),
        ("a veces me pregunto el sentido de la vida jaja", None),
        ("ya no le veo sentido a la vida", Emergency.SELF_HARM),
        ("mi vida no tiene sentido, quiero desaparecer", Emergency.SELF_HARM),
        ("mi vida ya no tiene sentido", Emergency.SELF_HARM),
        ("no tiene sentido seguir viviendo", Emergency.SELF_HARM),
        ("he perdido el sentido de mi vida", Emergency.SELF_HARM),
        ("ya nada tiene sentido", Emergency.SELF_HARM),
        ("perdió el sentido", Emergency.MEDICAL),
    ],
)
def test_the_meaning_of_life_asked_about_is_not_a_life_without_meaning(text: str, kind: Emergency | None) -> None:
    assert recognised(text)[1] is kind


@pytest.mark.parametrize(
    "text",
    [
        "tomo pastillas para la presión, quiero control",
        "tomo varias pastillas para la presión, quiero control",
        "tomo 5 pastillas al día para la presión, quiero cita",
        "quiero cita para mi hijo, yo tomo varias pastillas para la presión",
        "mi hija tomo pastillas para la tiroides todos los días, quiero control",
    ],
)
def test_tomo_said_of_a_habit_is_not_pills_swallowed(text: str) -> None:
    assert recognised(text)[0] is Intent.SCHEDULE_APPOINTMENT


@pytest.mark.parametrize(
    "text",
    [
        "mi hijo tomo pastillas",
        "mi hijo tomo 10 pastillas de mi mamá",
        "mi hijo tomo pastillas para dormir",
        "mi esposo tomo varias pastillas para la presión",
        "mi esposo tomo veinte pastillas para dormir",
        "tomo todas las pastillas para la depresión",
        "se tomo varias pastillas para la presión",
    ],
)
def test_tomo_without_its_accent_is_still_pills_swallowed_by_someone_else_or_all_at_once(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize(
    "text",
    [
        "hace un mes tuve convulsiones y ahora otra vez está convulsionando",
        "el año pasado me desmayé y hoy me volví a desmayar",
        "hace una semana se golpeó la cabeza y sigue vomitando",
    ],
)
def test_a_past_episode_that_is_back_now_is_an_emergency(text: str) -> None:
    assert recognised(text)[0] is Intent.EMERGENCY


# The phrasings triage lines hear besides the textbook ones, by category: how the sign is felt, what it looks like.
SIGNS_AS_PATIENTS_TELL_THEM = {
    "heart": [
        "siento que me exprimen el pecho y el dolor se me va a la quijada",
        "tengo como un peso en el pecho desde hace rato",
        "me quema el pecho y tengo el brazo izquierdo entumecido",
        "me molesta el corazon y estoy con sudor frio",
    ],
    "breathing": [
        "mi papa dice que se le cierra el pecho y no le entra aire",
        "mi hijo respira con silbido y se le hunden las costillas",
        "mi nieta tiene los labiecitos morados y tose",
        "a mi abuelo se le pusieron las uñas azules",
    ],
    "stroke": [
        "mi tio arrastra las palabras desde hace un rato",
        "mi mama habla como mareada y no se le entiende",
        "mi suegra amanecio sin poder moverse del lado derecho",
        "de repente mi papa no puede sostener la taza",
        "le vi la sonrisa chueca a mi abuela",
        "se me adormecio la cara y la mano derecha",
        "de golpe no veo nada de un ojo",
    ],
    "unconscious": ["no podemos despertar a mi abuelo, ronca raro", "no lo puedo despertar, tomo mucho alcohol"],
    "seizure": [
        "mi hija esta en el suelo temblando y no responde",
        "a mi sobrino se le voltearon los ojos y se puso tieso",
    ],
    "bleeding": [
        "me sacaron un diente y no deja de salir sangre, estoy palida",
        "le sangra la herida sin parar",
        "tengo la ropa empapada de sangre",
        "sangro por la nariz y estoy muy mareado",
    ],
    "allergy": [
        "me salieron ronchas y siento la garganta cerrada despues de tomar un antibiotico",
        "le pico una abeja y tiene la garganta hinchada",
    ],
    "burn": [
        "a mi hijo se le derramo la leche hirviendo en el pecho",
        "mi nene se quemo la carita con la sopa",
        "mi nena jalo la tetera y se quemo los bracitos",
    ],
    "head": [
        "me cai de la bici sin casco y veo doble",
        "se golpeo la cabeza y repite la misma pregunta",
        "choco en el auto, tiene mucho sueño y vomito",
        "le sale agua por el oido despues de caerse del techo",
    ],
    "pregnancy": [
        "tengo 26 semanas y mi bebe dejo de moverse",
        "estoy de 7 meses y sangro rojo vivo",
        "tengo contracciones seguidas y estoy de 32 semanas",
    ],
    "newborn": [
        "mi recien nacido esta heladito y muy flojito",
        "mi bebe de 3 meses esta como azulado",
        "mi bebe de 1 mes esta frio y morado",
    ],
    "emptied packs": ["encontre a mi hijo con los frascos vacios de sus remedios"],
    "sudden": [
        "de repente veo todo doble y me cuesta caminar",
        "mi abuela esta muy confundida de repente y no reconoce a nadie",
        "me duele el testiculo de repente muchisimo",
        "mi esposa no me entiende lo que le digo y habla incoherencias",
    ],
    "fever with a sign": [
        "mi hijo tiene fiebre y manchas moradas en la piel",
        "tiene calentura y la nuca dura",
    ],
    "belly": [
        "me duele muchisimo la barriga del lado derecho y tengo fiebre",
        "tengo un dolor de panza insoportable y vomito todo",
    ],
    "more": [
        "siento una presion muy fuerte en el centro del pecho que baja al brazo",
        "no le entra el aire a mi hijo",
        "tengo el peor dolor de cabeza de mi vida",
        "hago popo negro y me siento muy debil",
        "mi abuelo se cayo y no se puede levantar, le duele mucho la cadera",
        "creo que se rompio el brazo, el hueso se ve",
        "mi hijo comio hongos del campo y esta vomitando y alucinando",
        "respiramos gas de la estufa y estamos mareados",
        "se le prendio la ropa",
        "tengo 34 semanas y me sale liquido",
        "tengo el azucar en 500 y me siento muy mal",
        "siento que me muero, el corazon me late rapidisimo",
        "mi papa dice que le duele la boca del estomago y el brazo izquierdo, esta sudando",
        "mi bebe deja de respirar por ratos",
        "a mi mama se le fue la fuerza del brazo derecho",
        "mi tio esta como borracho pero no ha tomado nada y no puede caminar",
        "le estoy hablando y no me contesta, tiene los ojos abiertos",
        "mi bebe esta temblando y con los ojitos para arriba",
        "mi abuela tomo sus pastillas dos veces por error y ahora esta muy mareada",
        "me pico una araña y se me esta hinchando el brazo y me da fiebre",
        "le mordio un perro en la cara al niño",
        "tengo 9 meses y ya no siento que se mueva mi bebe",
        "tengo dolores cada 5 minutos, estoy de 38 semanas",
        "mi bebe de 2 meses esta ardiendo y no quiere el pecho",
        "mi hijo tiene diarrea y vomitos, no orina desde ayer y esta muy decaido",
        "mi abuelo estuvo al sol todo el dia y ahora esta confundido y muy caliente",
        "me cayo acido en el ojo y no veo",
        "le entro un fierro en el ojo",
        "se corto un dedo con la sierra, se lo amputo",
        "mi papa quedo atrapado bajo el auto",
        "me violaron anoche",
        "mi hermano esta muy agresivo, rompe todo y dice que va a matar a alguien",
        "tengo un dolor horrible en la espalda baja que va a la ingle y vomito, no aguanto",
        "el nene se bebio el liquido de limpiar pisos",
        "de un momento a otro mi papa dejo de hablar",
        "mi hijo convulsiona, tiene cita en diciembre con neurologo",
        "mi hijo esta convulsionando, hace un mes le dieron cita con neurologia",
        "mi papa esta muy grave",
        "se nos esta yendo mi abuela",
        "no se que hacer mi mama esta muy mal, no habla",
        "tiene la cabeza rota",
        "le salio un chichon enorme y esta vomitando",
        "creo que es un derrame",
        "le dio un paro",
        "se puso blanco y se cayo",
        "mi abuelo no me reconoce de la nada y esta agitado",
        "mi hijo tiene los labios secos, no orina y esta muy decaido",
        "mi nieto se cayo a la piscina",
        "se cayo del segundo piso",
        "me siento como si tuviera algo pesado sobre el pecho",
        "mi bebe respira con quejidos",
        "mi papa no puede sonreir bien, se le cae un lado de la boca",
        "me cuesta hablar y se me adormecio la lengua",
        "se volco la olla de aceite sobre mi esposa",
    ],
    "a call for help with someone named": ["ayuda por favor mi bebe"],
    "told with a story, not about it": [
        "estoy viendo una serie y me duele muchisimo el pecho",
        "mi papa estaba leyendo el periodico y se le torcio la cara",
    ],
    "a person, with an animal about": [
        "un perro mordio a mi hijo y sangra mucho",
        "estaba paseando al perro y me desmaye",
        "mi hijo se comio las pastillas del perro",
    ],
    "a poison swallowed while cleaning": [
        "mi hijo se tomo el cloro que usaba para limpiar",
        "limpiando el baño mezcle cloro con amoniaco y me cuesta respirar",
    ],
}
# Suicide told indirectly and close at hand: the means ready, a goodbye, a place, a plan.
SELF_HARM_INDIRECT = [
    "ya tengo la cuerda preparada",
    "llevo meses juntando pastillas",
    "me voy a meter un tiro",
    "tengo la pistola en la mano",
    "les escribo para despedirme de todos",
    "ya deje una carta para mis hijos",
    "esta es mi despedida",
    "esta noche es la ultima, ya lo decidi",
    "cuiden a mis hijos, adios",
    "estoy en el puente y voy a tirarme",
    "estoy sentado en las vias del tren",
    "voy a chocar el auto a proposito",
    "pienso en matarme todos los dias",
    "vi una pelicula y ahora me quiero matar",
    "estoy regalando todas mis cosas, ya no las voy a necesitar",
    "ya hice mi testamento",
    "no puedo seguir viviendo asi",
    "ya lo tengo decidido, hoy me mato",
    "lo encontramos colgado",
    "encontre a mi hija con las muñecas cortadas",
    "ya no quiero estar en este mundo",
    "ya no tiene sentido nada, me quiero ir para siempre",
    "no aguanto mas quiero morirme",
    "nunca pense que diria esto pero quiero morirme",
    "no lo pienso dos veces, me voy a matar",
]
# Suicide told as an ending, the means or place at hand with despair, a burden, an attempt just made; also after
# a booking request.
SELF_HARM_ENDINGS_AND_MEANS = [
    "ya no los voy a molestar nunca mas, cuidense",
    "digale a mis hijos que los quiero mucho, perdonenme",
    "esta noche me voy, no me busquen, ya no aguanto",
    "creo que no amanezco, ya no puedo mas",
    "hoy es mi ultima noche, ya lo decidi",
    "solo pido que me perdonen",
    "mi hermano anda diciendo adios a todos y no contesta el celular",
    "mi prima se despide en su estado de whatsapp y tiene las pastillas que compro",
    "estoy en la azotea pensando en tirarme",
    "estoy con el cuchillo en el cuarto, encerrada, no quiero seguir",
    "tengo la soga en el cuarto y ya no aguanto",
    "mi abuelo esta limpiando su pistola y se despide de todos",
    "estoy mirando las pastillas pensando en tomarmelas",
    "estoy en las vias esperando que pase el tren, ya no puedo mas",
    "soy un estorbo para mi familia",
    "todos estarian mejor sin mi",
    "mi hija intento ahorcarse, la encontramos a tiempo",
    "mi papa trato de tirarse del techo",
    "ya no aguanto mas esta vida",
    "me siento un estorbo, nadie me quiere",
    "hola quiero una cita con psicologia para el lunes. la verdad anoche me despedi de todos y tengo la navaja conmigo",
    "ya no les voy a dar problemas, esta es la ultima vez que me ven",
    "quiero que sepan que los quise mucho, adios",
    "dile a mi hermana que la amo y que me perdone",
    "esta noche termino con todo",
    "no creo que llegue a mañana, ya tome la decision",
    "mañana ya no voy a estar",
    "ya no voy a estar para nadie",
    "me despido de ustedes, gracias por todo, cuiden a mi perro",
    "estoy en el techo del edificio y quiero saltar",
    "estoy en el borde del puente",
    "me voy a tirar al rio",
    "me voy a botar del puente",
    "voy a cruzar la carretera sin mirar a ver si me atropellan",
    "me quiero tirar debajo de un auto",
    "me quiero tirar al tren",
    "tengo el cuchillo en la mano y quiero cortarme",
    "me encerre en el baño con una gillette",
    "tengo la cuerda colgada del techo",
    "ya amarre la soga",
    "voy a colgarme esta noche",
    "mi hijo intento colgarse con su cinturon",
    "mi hermana se corto las venas",
    "tengo un frasco de pastillas y quiero tomarmelo entero",
    "estoy pensando en tomarme todas las pastillas",
    "compre veneno para ratas para tomarlo",
    "voy a tomar veneno",
    "ya no aguanto mas, todo me sale mal, quiero desaparecer",
    "ya no puedo mas con esta vida",
    "soy una carga para todos",
    "mi familia estaria mejor sin mi",
    "nadie me va a extrañar",
    "ya no tengo razones para vivir",
    "no tengo por que seguir",
    "estoy cansado de vivir",
    "mi hijo dice que quiere morir",
    "mi novia me escribio que se va a matar",
    "mi amiga publico que se va a quitar la vida",
    "encontre a mi hermano con una soga en el cuello",
    "lo bajamos de la soga, respira apenas",
    "tengo el arma cargada",
    "estoy limpiando el arma de mi papa y pienso en usarla",
    "les deje una carta a mis hijos",
    "adios a todos, los quiero",
    "perdonenme, no puedo mas",
    "ya no quiero vivir asi",
    "no veo salida, todo esta oscuro",
    "siento que no sirvo para nada y quiero terminar con esto",
    "quiero dormir y no despertar nunca",
    "ojala no despertar mañana",
    "ojala me muera",
    "ojala me pase algo",
    "quisiera no haber nacido",
    "me corto los brazos cuando estoy triste",
    "me hice cortes en las piernas",
    "hoy me queme los brazos con un cigarro a proposito",
    "me golpeo la cabeza contra la pared",
    "mi hija se lastima a proposito",
    "ya compre la soga",
    "tengo pastillas guardadas para cuando llegue el momento",
    "hoy es el dia, ya no me busquen",
    "hola quiero una cita para mañana, pero la verdad no se si voy a estar vivo",
    "hola buenas tardes, necesito cita para psiquiatria, estos dias he pensado en matarme",
    "hola, quiero reprogramar mi cita, aunque ya da igual, esta noche me voy a tirar del puente",
    "buenas tardes, quisiera una ficha para medicina general el jueves. tambien queria decirles que ya no aguanto"
    " mas, tengo la soga lista",
    "hola necesito cita con el psicologo, mi hijo de 15 dice que se quiere matar y se encerro en su cuarto",
    "quiero agendar para mi mama, ella dice que ya no quiere vivir y esta guardando sus pastillas",
    "hola! agendame pediatria porfa. ah y mi esposo anda diciendo que mejor se muere, tiene la escopeta en la mano",
    "ya no kiero vivir",
    "me kiero matar",
    "no aguanto mas esta vida de mierda",
    "ya todo me da igual, esta noche me tomo todas las pastillas",
    "estoy en el puente de la autopista, ya no puedo mas",
    "perdon mama, ya no puedo mas",
    "mi novio me mando un audio despidiendose y no contesta el celular",
    "mi hija me dejo una carta de despedida y no esta en su cuarto",
    "mi amigo dijo que hoy se mata",
    "mi papa dijo que se va a pegar un tiro",
    "mi hermano se encerro en el baño con un cuchillo y no abre",
    "mi mama tomo veneno porque queria morir",
    "me siento una carga, ya no quiero estar aqui",
    "ya no quiero despertar",
    "ya no quiero seguir, estoy en la azotea",
    "hoy me despido de todos, gracias por todo",
    "mi tio dice que es una carga y que se va a tomar el raticida",
    "me he tomado todo el frasco de clonazepam",
    "anoche estuve buscando como hacerlo y hoy compre veneno",
]
# The same words in an ordinary message: a polite goodbye, pain that cannot be borne, pills bought to take.
NOT_A_FAREWELL = [
    "ya no la molesto mas, gracias doctora",
    "disculpe, ya no le voy a molestar, gracias por todo",
    "no quiero seguir con el tratamiento, quiero cambiar de doctor",
    "no quiero seguir tomando las pastillas, me caen mal",
    "ya no aguanto el dolor de muela, quiero cita urgente",
    "ya no aguanto mas este dolor de espalda, hay cita hoy?",
    "gracias por todo doctora, adios",
    "me despido, gracias por todo",
    "perdon por la demora, ya me voy a la clinica",
    "estoy en el puente, ya llego a la cita en 10 minutos",
    "estoy esperando que pase el micro para ir a la clinica",
    "tengo las pastillas, a que hora las tomo?",
    "compre las pastillas que me recetaron, las tomo con comida?",
    "no me busquen mañana en la casa, voy a estar en la cita",
    "mi hija no come y anda muy triste, quiero psicologo",
    "mi hijo no come ni duerme bien, quiero pediatra",
    "hoy es mi ultimo dia de trabajo",
    "perdon por todo el lio con la cita de ayer",
    "se fue de viaje y me despido, gracias",
    "le digo a mi mama que la quiero mucho",
    "estoy cansada de todo el tramite, quiero cancelar",
    "la doctora se despide hasta el lunes?",
    "ya lo decidi, quiero cambiar mi cita al martes",
    "ya esta decidido, quiero la cita con el cardiologo",
    "es su ultima noche en la ciudad, puede venir hoy?",
    "no puedo mas con este dolor de cabeza, quiero cita",
    "gracias por todo doctores, los quiero mucho",
    "la ultima vez que me vieron fue en marzo, quiero control",
    "cuando es la cita? hoy es el dia",
    "el lunes ya no voy a estar, cambien mi cita por favor",
    "ese dia ya no voy a estar, me voy de viaje",
    "no se si voy a estar en la ciudad en enero",
    "mi hijo se golpeo la cabeza contra la mesa jugando, tiene un chichon pequeño",
    "compre una soga para el tendedero",
    "ojala me den cita pronto",
    "ojala no me pase nada en la operacion",
    "la ultima vez me atendieron muy bien",
    "quiero terminar con esto del tratamiento, cuando es mi ultima sesion?",
    "nadie me contesta en recepcion, estoy encerrada en el trafico",
    "adios, cuidense mucho",
    "mi mama no come bien y anda triste desde que murio mi papa, quiero psicologo",
    "no tengo por que seguir pagando si no me atienden",
    "estoy esperando que pase el micro, voy a llegar tarde",
    "mi papa se pone triste y no duerme, quiere cita con psiquiatria",
    "hoy se mata trabajando mi esposo jaja",
    "ya no quiero estar aqui, me atienden mal, quiero otra clinica",
    "llame a la clinica y no contesta, adios",
    "no se como hacerlo para sacar cita",
    "estoy viendo como hacerlo para pagar la consulta",
    "la mochila es una carga pesada para mi hijo",
    "se me rompio el puente dental y ya no aguanto el dolor",
    "tengo un puente en la muela y no puedo mas con el dolor",
    "tengo nodulos en las cuerdas vocales y ya no aguanto la ronquera",
    "mañana es la despedida de soltera de mi hermana, puedo cambiar mi cita?",
    "estoy atrapado en la carretera por el bloqueo, ya no aguanto, no llego a la cita",
    "me quede encerrado en el ascensor de la clinica jaja",
    "adios doctora, la ultima vez me atendio muy bien",
    "mi hijo se encerro en su cuarto porque no quiere ir al dentista",
    "ya no puedo mas con el dolor de rodilla, hay traumatologo?",
    "no me contesta el celular la doctora, perdon por insistir",
    "estoy cansada de todo este tramite del seguro",
    "perdonen la molestia, ultima consulta, cuanto cuesta la ecografia?",
    "el dia de hoy es el ultimo para pagar?",
    "mi esposo trabaja con armas en la policia, necesita certificado",
    "mi hijo no come verduras y anda triste porque se fue su perrito",
    "ya no voy a estar en la ciudad en diciembre",
    "gracias por todo, los quiero mucho, nos vemos en la proxima cita",
    "ultimamente no amanezco bien, me duele la cabeza",
    "no voy a despertar a mi bebe para la cita, puede ser mas tarde?",
    "que me perdonen la tardanza, ya estoy llegando",
    "digale a la doctora que la quiero mucho, es muy buena",
    "la ultima vez que me vieron me dieron ibuprofeno",
    "ojala me den ficha para mañana",
    "estoy en el borde de la cama y me duele la espalda",
    "ya compre la soga para colgar la ropa",
    "soy una carga para mis hijos desde que me operaron, quiero fisioterapia",
    "mi hijo intento tirarse del columpio y se raspo",
    "no tengo motivos para faltar a la cita",
    "la encontramos a tiempo en la farmacia",
    "mi hijo se golpea la cabeza contra la pared cuando hace berrinche, es normal?",
]
# Signs serious together: chest pain with pallor, a racing heart about to faint, cloths soaked with blood, a button
# battery or magnet swallowed, a dry or grunting baby, a shock, a child pulled from water, a rigid belly, a pressure
# reading in crisis, ketoacidosis.
MEDICAL_SIGNS_TOGETHER = [
    "mi abuelo tiene dolor en la boca del estomago, esta palido y sudando frio",
    "me aprieta el pecho y se me duerme el brazo izquierdo",
    "tengo palpitaciones fuertes y siento que me voy a desmayar",
    "el corazon me late rapidisimo y estoy mareada",
    "mi papa tose con espuma rosada y casi no puede respirar",
    "me corte la mano con un vidrio y ya empape dos toallas de sangre",
    "mi mama toma warfarina y se golpeo, le sangra la cabeza y no para",
    "mi hijita se metio a la boca una pila de reloj y ya no la encuentro, creo que se la trago",
    "mi nieto se trago dos imanes de la refri",
    "mi bebe de 4 meses no moja el panal desde ayer y tiene los ojitos hundidos",
    "mi bebe de dos semanas esta amarillito y no quiere agarrar el pecho",
    "el recien nacido se queja cada vez que respira",
    "a mi esposo le dio la corriente con un cable y quedo inconsciente",
    "mi hijo se cayo a la piscina, lo sacamos y esta morado",
    "tengo la panza dura como piedra y vomito verde",
    "la presion le salio 200/120 y tiene la vision borrosa",
    "mi hijo es diabetico y le huele el aliento a manzana, vomita y respira profundo",
    "mi abuela de 80 años tiene dolor en el pecho y nauseas, esta sudando",
    "mi papa es diabetico, le duele el estomago arriba y esta palido y vomitando",
    "tengo 60 años, me arde el pecho y vomite, estoy sudando frio",
    "siento el corazon acelerado y se me nubla la vista",
    "tengo taquicardia y me estoy desmayando",
    "estamos en uyuni y mi esposa tose espuma rosada",
    "mi mama se corto la pierna y ya empapamos varias toallas",
    "me sangra la herida y no para, tomo xarelto",
    "mi hijo se trago una pila",
    "mi bebe se metio un iman a la boca y creo que se lo trago",
    "mi bebe de 3 meses no moja panales hace 8 horas",
    "mi recien nacido esta amarillo y muy dormido, no quiere mamar",
    "mi hermano toco un cable de alta tension y esta inconsciente",
    "a mi papa le dio la corriente y no responde",
    "sacamos a mi sobrino del rio, no respira",
    "mi niño se cayo al pozo, lo sacamos y esta helado",
    "tengo el abdomen duro y no paro de vomitar",
    "mi presion esta en 190/125 y me duele la nuca",
    "tengo la presion 210/110 y siento hormigueo en la cara",
    "mi hijo es diabetico y respira muy rapido y profundo",
]
# One of those signs alone, or said of an ordinary day: not an emergency.
ONE_SIGN_ALONE = [
    "mi abuelo tiene dolor en la boca del estomago despues de comer, quiero gastro",
    "tengo palpitaciones cuando tomo cafe, quiero cardiologo",
    "me sangra la encia cuando me cepillo, tomo aspirina, quiero dentista",
    "donde venden pilas de boton para el reloj?",
    "mi bebe de 4 meses moja bien sus panales, cuando le toca vacuna?",
    "ayer mi presion estaba 130/80, quiero control",
    "la presion me salio 150/95, quiero cita con cardiologo",
    "me dio la corriente al enchufar la plancha pero estoy bien",
    "lo sacamos de la piscina a las 5, llegamos tarde a la cita",
    "tengo la barriga dura por estreñimiento, quiero gastro",
    "soy diabetica y quiero control de azucar",
    "tengo 60 años, quiero control del corazon",
    "me duele el estomago despues de comer y tengo nauseas, quiero gastro",
    "mi abuela tiene nauseas por las pastillas, quiero cambiarlas",
    "siento el corazon acelerado cuando subo gradas, quiero cardiologo",
    "me sangra la nariz un poco cuando hace frio",
    "tomo warfarina, cuando me toca el control de coagulacion?",
    "mi bebe juega con imanes de la refri, es peligroso?",
    "mi recien nacido esta un poco amarillo, cuando lo llevo a control?",
    "ayer me dio la corriente el enchufe, no paso nada",
    "fuimos a la piscina y mi hijo nado bien",
    "mi presion en casa salio 120/80, esta bien?",
    "mi mama tiene presion alta 150/90, quiere control",
    "mi hijo diabetico necesita control de azucar",
    "le pusimos toallas empapadas en agua fria por la fiebre",
]
# A family history, a discharge, a poisoning long past, a joke, a scare that was nothing, homework, the news, something
# harmless swallowed, a talk on prevention: emergency words with no one in danger now.
NO_ONE_IN_DANGER_NOW = [
    "quiero un chequeo cardiologico, mi mama fallecio de un infarto y me da miedo, no tengo molestias",
    "a mi papa le dieron de alta despues del derrame, necesita su control con neurologia",
    "hace dos meses mi hija tomo cloro por accidente, ya esta sanita, quiero su control",
    "mi jefe me va a matar si llego tarde jaja, hay cita a las 7?",
    "cancelo la cita, lo del pecho era ansiedad nomas, ya estoy bien",
    "quiero hablar con la doctora que atendio a mi mama cuando tuvo el derrame en marzo, tengo dudas del tratamiento",
    "para una exposicion del colegio, que se hace si alguien se desmaya?",
    "escuche en la radio que hubo una intoxicacion en una boda, ustedes atendieron a los invitados?",
    "mi hija se trago una pepa de uva, esta jugando tranquila",
    "dan talleres sobre prevencion del suicidio para padres?",
]
# ... unless the danger is back now.
DANGER_BACK_NOW = [
    "mi papa murio de infarto y ahora a mi me duele el pecho y me sudan las manos",
    "le dieron de alta ayer pero ahora no respira bien",
    "pense que era gases pero ahora me duele el pecho otra vez",
    "mi hijo se trago un caramelo y se esta ahogando",
    "le dieron de alta ayer pero ahora le duele el pecho fuerte, necesita control",
]
# Emergency words not told of a person now, and signs said to be mild or long past.
NOT_HAPPENING_NOW = [
    "vi un documental donde alguien se envenena, eso pasa de verdad?",
    "en las noticias dijeron que hubo un infarto en el partido, que tan frecuente es?",
    "estoy haciendo una monografia sobre el suicidio, tienen informacion?",
    "hay cursos de rcp para abuelos? quiero aprender que hacer si alguien se desmaya",
    "mi perrito se comio veneno para ratas, saben de un veterinario?",
    "mi gata se trago una aguja, donde hay veterinaria?",
    "cuanto cloro uso para desinfectar el agua?",
    "tengo las pastillas contadas hasta el viernes, necesito receta",
    "tengo los blisters vacios de mis pastillas, necesito receta nueva",
    "le escribo para despedirme de la doctora, me mudo a otra ciudad",
    "es un adios temporal, vuelvo el mes que viene",
    "mi hija se quemo la mano con la plancha, fue leve, ya esta bien",
    "a mi mama le dio un derrame hace 2 años, necesita cita con rehabilitacion",
    "mi hijo tuvo convulsiones de bebe, ahora tiene 6 años y esta sano, quiero control",
    "quiero sacarme un analisis de sangre, estoy un poco mareada por el ayuno",
    "tengo acidez y me arde el pecho despues de comer",
    "me duele el brazo izquierdo de cargar a mi bebe",
    "mi bebe tiene 3 meses y hace frio, como lo abrigo?",
    "el bebe esta palido, quiero control con pediatra",
    "tengo los dedos morados de frio",
    "estoy de 5 meses, quiero ecografia",
    "mi esposo ronca mucho por las noches",
    "se me duerme la mano por las noches, quiero traumatologo",
    "no veo bien de un ojo, quiero oftalmologo",
    "me salieron ronchas, quiero dermatologo",
    "choque el auto pero estamos bien, quiero reprogramar mi cita",
    "veo doble cuando estoy cansado, quiero oftalmologo",
    "hoy es mi ultimo dia de trabajo, puedo ir a la cita manana?",
    "vivo cerca de las vias del tren, como llego a la clinica?",
    "estoy en la terraza esperando a mi mama",
    "ya escribi la carta para el seguro, necesito la firma del doctor",
    "mi hija tiene una serie de citas, pero nada grave",
    "en la telenovela la protagonista tuvo un infarto, eso le puede pasar a alguien joven?",
    "lei en internet que el cloro con vinagre es toxico, es verdad?",
    "cuales son los sintomas de un infarto?",
    "estoy leyendo sobre el suicidio para mi tesis de psicologia",
    "el raticida es peligroso para los niños? lo quiero usar en el patio",
    "cuantas gotas de cloro le pongo al agua para tomar?",
    "mi abuela tuvo un infarto en 2019, ahora esta bien, necesita su control con cardiologia",
    "hace 2 años intente suicidarme, ahora estoy en tratamiento y bien, quiero cita con el psiquiatra",
    "casi me da un infarto cuando vi la factura jaja",
    "me ahogo de calor en la sala de espera jaja",
    "que hago si alguna vez a mi hijo le pica una abeja?",
    "le regale mis cosas viejas a mi hermana",
    "no quiero seguir con el tratamiento, quiero cambiar de doctor",
    "mi bebe hace caca negra, es normal? tiene 2 dias",
    "de repente me dio hambre jaja",
    "me cai hace una semana y no puedo caminar bien, quiero traumatologo",
    "mi hijo tiene fiebre y puntitos rojos, quiero pediatra",
    "me duele muchisimo la barriga cuando me viene la regla, quiero ginecologo",
    "mi bebe no para de llorar cuando le salen los dientes",
    "le hablo a la recepcion y no me contestan",
    "hoy me mato estudiando para el examen jaja",
    "me quiero ir para siempre de esta ciudad jaja, necesito certificado",
    "mi hijo se quemo con el sol la espalda, quiero dermatologo",
    "me tome la pastilla dos veces por error, es grave?",
    "siento que me muero de sueño jaja",
    "no pienso en matarme, pero estoy muy triste, quiero cita con psicologia",
    "nunca he pensado en suicidarme, solo tengo ansiedad",
    "mi profesor nos pidio investigar sobre el infarto, tienen informacion?",
    "el año pasado me quemé con agua hirviendo, quiero ver la cicatriz",
    "mi hijo es muy agresivo en el colegio, quiero psicologo",
    "me amenazaron con despedirme",
    "tengo un dolor terrible de espalda desde hace una semana y vomite una vez, quiero cita",
    "la violacion de mis derechos como paciente",
    "me quede atrapada en el trafico, llego tarde",
    "estuve al sol y me duele la cabeza",
    "mi esposo tuvo un infarto en marzo pasado, ya esta bien, le toca su control",
    "tuve una sobredosis hace años, ahora estoy limpio y quiero un chequeo",
    "cancelen la cita de mi papa, esta internado en el hospital por el infarto, ya lo estan atendiendo",
    "mi hijo se muere por ver al doctor Juan jaja",
    "me duele el pecho de tanto toser, quiero medico general",
    "tengo 28 semanas y se me hinchan un poco los pies, quiero control",
    "es grave si tengo la presion en 140?",
    "ayuda por favor con la cita de mi hijo",
    "necesito ayuda por favor mi mama quiere cita con cardiologo",
    "hay paro de transporte, no puedo llegar a mi cita",
    "se me cayo el celular al agua jaja",
    "mi hijo se cayo al piso y se raspo",
    "creo que tengo un derrame en el ojo",
    "mi hijo se hizo un chichon ayer, esta bien y jugando, quiero que lo revisen",
    "mi papa esta muy mal de la espalda, quiere traumatologo",
    "no quiero estar en esta clinica, quiero cambiar",
    "estoy pensando en quitarme los brackets",
    "me tire a la piscina y me duele el oido, quiero otorrino",
    "voy a saltar la cita del lunes, mejor el martes",
    "me despido hasta la proxima, gracias",
    "me cuesta hablar en publico, quiero psicologo",
    "se me cayo el te sobre la mesa",
    "no puedo sonreir por los brackets jaja",
]


@pytest.mark.parametrize(
    "text",
    [text for examples in SIGNS_AS_PATIENTS_TELL_THEM.values() for text in examples],
    ids=lambda text: text[:30],
)
def test_signs_as_patients_tell_them_are_emergencies(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize("text", SELF_HARM_INDIRECT)
def test_suicide_told_by_its_means_a_goodbye_or_a_place_is_self_harm(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.SELF_HARM)


@pytest.mark.parametrize("text", SELF_HARM_ENDINGS_AND_MEANS)
def test_a_farewell_or_the_means_at_hand_with_despair_is_self_harm(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.SELF_HARM)


@pytest.mark.parametrize("text", NOT_A_FAREWELL)
def test_goodbyes_pain_and_prescribed_pills_are_not_self_harm(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize("text", MEDICAL_SIGNS_TOGETHER)
def test_signs_serious_together_are_a_medical_emergency(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize("text", ONE_SIGN_ALONE)
def test_one_of_those_signs_alone_is_not_an_emergency(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize("text", NO_ONE_IN_DANGER_NOW)
def test_a_family_history_a_discharge_a_joke_or_a_scare_that_was_nothing_is_not_an_emergency(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize("text", DANGER_BACK_NOW)
def test_the_same_with_danger_now_is_an_emergency(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize("text", NOT_HAPPENING_NOW)
def test_stories_animals_cleaning_refills_moves_and_mild_or_past_signs_are_not_emergencies(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


# Words of an emergency in a figure of speech, a story, a trifle or an episode over: none (found in the training
# look-alikes, each kind written again in other words).
FIGURES_STORIES_AND_EPISODES_OVER = [
    # a harmless object of a verb of self-harm
    "me quiero tirar a la cama y dormir todo el finde",
    "me voy a tirar en el sofa apenas llegue",
    "quiero cortarme el pelo antes de la cita jaja",
    "mañana tengo que cortarme las uñas, no me deja la manicure",
    "quiero desaparecer estas ojeras jaja, hay dermatologo?",
    "quiero desaparecer del grupo de whatsapp del colegio jaja",
    "ya me tome todo el vaso del contraste, ya entro?",
    # a wish to die blamed on a trifle, a living made with an illness, a "killing" by worry or work
    "con esta lluvia me quiero morir, no hay micro",
    "me quiero morir con este trafico, voy a llegar tarde a la cita",
    "estoy cansada de vivir con migraña, hay neurologo bueno?",
    "mi jefe me va a matar de un susto con sus gritos jaja, hay psicologo?",
    "mi hermano se va a matar estudiando jaja, quiere un chequeo",
    "dice q se muere de verguenza con el doctor jaja, cancele la cita",
    # a story's character, a bereavement long past
    "en la serie el protagonista se suicida, me dejo pensando toda la noche",
    "en la pelicula al actor le da un infarto, ustedes hacen electrocardiogramas?",
    "mi papa se suicido cuando yo era niña, todavia me afecta, necesito terapia",
    # a goodbye before a move or on the way to the clinic
    "hola doctora, le escribo para despedirme, me voy a trabajar a chile, gracias por atenderme siempre",
    "ya me despedi de mis hijos en la puerta del colegio, ya voy para la consulta",
    # an episode of the last days or long ago, over now, with a visit wanted
    "mi hijo tuvo un ataque de asma el domingo, ya esta bien, quiero cita con neumologia",
    "mi mama estuvo internada por un infarto, ya salio, necesitamos cita con el cardiologo",
    "mi hija se quemo la mano la semana pasada con la plancha, ya esta sanando, necesita curacion",
    "cuando era joven pense en quitarme la vida, ahora estoy bien pero quiero hablar con un psicologo",
    "ya pasaron tres años desde q intente matarme, hoy estoy bien y quiero seguir con mi terapia",
    "mi esposo convulsionaba de joven, ahora toma su medicina y quiere control con neuro",
    "mi hijo tiene convulsiones controladas, necesita el certificado para el colegio",
    # a thought of self-harm denied, a colour of anger, a food refused, a poison kept at home asked about
    "no tengo ganas de hacerme daño ni nada, solo estoy triste y quiero hablar con la psicologa",
    "no estoy pensando en hacerme daño, pero me siento triste hace semanas",
    "mi hijo se pone morado de rabia cuando hace berrinche jaja es normal?",
    "mi bebe no quiere comer verduras, hay pediatra de nutricion?",
    "compre raticida para la casa, es peligroso si tengo bebe? donde lo guardo?",
]
# ... and the same words where they are an emergency: the means, a pain, the writer's own, a sign after the all-clear.
STILL_EMERGENCIES = [
    ("me quiero tirar del puente", Emergency.SELF_HARM),
    ("me quiero cortar las venas", Emergency.SELF_HARM),
    ("con este dolor ya me quiero morir", Emergency.SELF_HARM),
    ("vi una serie y ya no quiero vivir", Emergency.SELF_HARM),
    ("mi hijo estaba viendo una pelicula y se desmayo", Emergency.MEDICAL),
    ("mi papa se suicido cuando yo era niña y ahora yo tambien quiero morir", Emergency.SELF_HARM),
    ("le escribo para despedirme de todos, ya no aguanto", Emergency.SELF_HARM),
    (
        "mi hijo tuvo un ataque de asma el domingo, ya esta bien, quiero cita, pero ahora le duele el pecho",
        Emergency.MEDICAL,
    ),
    ("ayer se desmayo, ya esta bien, pero se volvio a desmayar, quiero cita", Emergency.MEDICAL),
    ("mi hijo tuvo un ataque de asma el domingo y todavia le cuesta respirar", Emergency.MEDICAL),
    ("no tengo ganas de nada, quiero morirme", Emergency.SELF_HARM),
    ("mi hijo se tomo el raticida que compre", Emergency.MEDICAL),
]


@pytest.mark.parametrize("text", FIGURES_STORIES_AND_EPISODES_OVER)
def test_figures_of_speech_stories_and_episodes_over_are_not_emergencies(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize(("text", "kind"), STILL_EMERGENCIES)
def test_the_same_words_of_danger_now_are_still_emergencies(text: str, kind: Emergency) -> None:
    assert recognised(text) == (Intent.EMERGENCY, kind)


# The blind fifth set's kinds of false alarm, written again: a service thanked or compared, an animal's emergency, a
# faint at the sight of blood, blood drawn, a figure of speech, an illness in the family, recovered from or its
# check-up, a subject read about; all none.
WORDS_OF_AN_EMERGENCY_NOW_NONE = [
    "gracias por la atencion en emergencias la semana pasada, mi hijo ya esta mejor",
    "cual es la diferencia entre emergencias y consulta externa?",
    "a mi gallina le pico una vibora, alguien sabe q hacer?",
    "la vez pasada casi me desmayo cuando me sacaron sangre, pueden hacerlo acostada?",
    "mi hijo se desmaya de ver agujas, le toca vacuna",
    "casi me desmayo del susto cuando vi la cuenta jaja",
    "hacen prueba de embarazo en sangre?",
    "estoy que me ahogo en deudas jaja, puedo pagar en cuotas?",
    "mi esposo se ahoga en un vaso de agua con cualquier tramite",
    "me duele el pecho cuando toso, tengo gripe",
    "en mi familia hubo infartos, quiero un chequeo",
    "mi tio ya esta recuperado del infarto, quiere control",
    "quiero reprogramar el control del acv de mi tio",
    "estoy investigando sobre sobredosis para una tarea, tienen horario el sabado?",
    "mi hermano tuvo convulsiones de chiquito, mi bebe puede heredar eso?",
    "la semana pasada mi hija tuvo una reaccion alergica, ya le dieron tratamiento, ahora queremos cita con alergologo",
]
# ... while a real emergency stays one: with a nervous "jaja", a person bitten with the animal, the danger now.
STILL_AN_EMERGENCY_NOW = [
    "jaja no se que hacer, mi hijo no respira",
    "jajaja estoy nervioso, me duele el pecho y se me duerme el brazo izquierdo",
    "se desmayo al ver la sangre y no despierta",
    "a mi vaca le pico una vibora y a mi hijo tambien",
    "gracias por atenderme el otro dia en emergencias, ahora mi hijo tiene fiebre de 40",
    "estoy en clase de biologia y mi compañera se desmayo",
    "hace un mes tuve convulsiones y ahora estoy muy mal, quiero cita",
    "la semana pasada se desmayo y ahora no reacciona",
]
# The blind fifth set's kinds of miss, written again: a baby written "bb", a knife and dark thoughts, a bridge and a
# message with no errand, a finger nearly torn off, belongings given away, a phone switched off after a goodbye,
# the means got for an end while cancelling.
MISSED_KINDS = [
    ("bb 3 semanas fiebre 38", Emergency.MEDICAL),
    ("mi bb tiene fiebre de 39", Emergency.MEDICAL),
    ("tengo una navaja en la mano y pienso cosas feas", Emergency.SELF_HARM),
    ("estoy en el puente, no se por que les escribo", Emergency.SELF_HARM),
    ("mi hermano se corto con la sierra, casi se lo arranca", Emergency.MEDICAL),
    ("el dedo le quedo colgando", Emergency.MEDICAL),
    ("ya vendi mi moto y regale mi ropa, ahora si estoy listo", Emergency.SELF_HARM),
    ("me escribio te quise mucho y apago el celular", Emergency.SELF_HARM),
    ("cancelen mi cita, ya compre lo que necesitaba para acabar con esto", Emergency.SELF_HARM),
]
# ... and the same words in ordinary messages.
MISSED_KINDS_LOOK_ALIKES = [
    "ahora si estoy lista para la cita",
    "necesito vitamina b, tengo fiebre de 38",
    "compre el jarabe para acabar con esta tos",
    "se me apago el celular, puedo reprogramar?",
    "casi me corto el dedo cocinando jaja",
    "no se por que les escribo, queria una cita",
    "le vendi mi moto a mi primo, ahora si estoy listo para el viaje",
]


@pytest.mark.parametrize("text", WORDS_OF_AN_EMERGENCY_NOW_NONE)
def test_a_service_thanked_an_animal_blood_drawn_a_family_history_or_a_subject_read_is_no_emergency(
    text: str,
) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


@pytest.mark.parametrize("text", STILL_AN_EMERGENCY_NOW)
def test_a_nervous_laugh_a_person_bitten_or_the_danger_now_is_still_an_emergency(text: str) -> None:
    assert recognised(text) == (Intent.EMERGENCY, Emergency.MEDICAL)


@pytest.mark.parametrize(("text", "kind"), MISSED_KINDS)
def test_what_the_blind_set_showed_missed_is_an_emergency(text: str, kind: Emergency) -> None:
    assert recognised(text) == (Intent.EMERGENCY, kind)


@pytest.mark.parametrize("text", MISSED_KINDS_LOOK_ALIKES)
def test_those_words_in_ordinary_messages_are_no_emergency(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


# --- through /chat ------------------------------------------------------------------------------------------------


@pytest.fixture
def model() -> Iterator[FakeInference]:
    """The model, counting requests: emergencies must never reach it."""

    def small_talk(turns: Sequence[tuple[str, str]]) -> str:
        return "Con gusto le ayudo."

    with fake_inference_server(small_talk) as fake:
        yield fake


@pytest.fixture
async def gateway(make_client: MakeClient, conn: asyncpg.Connection, model: FakeInference) -> httpx.AsyncClient:
    await seed_demo_clinic(conn)
    return await make_client(
        INFERENCE_TARGET=model.target,
        EMERGENCY_NUMBER=EMERGENCY_NUMBER,
        CRISIS_LINE=CRISIS_LINE,
        CRISIS_LINE_NAME=CRISIS_LINE_NAME,
    )


@pytest.fixture
def patient(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> ChatPatient:
    return ChatPatient(gateway, api_key, demo.MARIA.phone, sms)


async def flag_of(conn: asyncpg.Connection, phone: str) -> str | None:
    reason: str | None = await conn.fetchval(
        "SELECT needs_human_reason FROM conversations WHERE user_phone = $1 ORDER BY last_message_at DESC LIMIT 1",
        phone,
    )
    return reason


async def test_every_issue_emergency_gets_the_number_and_flags_the_conversation(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection, model: FakeInference
) -> None:
    for number, text in enumerate(ISSUE_EMERGENCIES):
        # A new patient each time: every message is the first of its emergency.
        patient = ChatPatient(gateway, api_key, f"+5917100{number:04d}", sms)
        answer = await patient.say(text)
        assert answer["action"] == "emergency", (text, answer)
        assert EMERGENCY_NUMBER in answer["response"], (text, answer)
        assert await flag_of(conn, patient.phone) == "emergency", text
    assert model.requests == []
    assert sms.received == []


@pytest.mark.parametrize("text", ["tengo ganas de cortarme", "ya no quiero vivir", "me quiero matar"])
async def test_self_harm_gets_a_warm_reply_with_the_crisis_line_and_no_booking_offer(
    patient: ChatPatient, conn: asyncpg.Connection, text: str
) -> None:
    answer = await patient.say(text)
    assert answer["action"] == "emergency"
    reply = answer["response"]
    assert "Siento mucho" in reply
    assert CRISIS_LINE_NAME in reply and CRISIS_LINE in reply and EMERGENCY_NUMBER in reply
    assert "persona de confianza" in reply
    assert "cita" not in reply.lower() and "agend" not in reply.lower()
    assert answer["options"] == []
    assert await flag_of(conn, patient.phone) == "emergency"


async def test_without_a_crisis_line_self_harm_is_told_the_emergency_number_and_to_stay_with_someone(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, model: FakeInference
) -> None:
    await seed_demo_clinic(conn)
    client = await make_client(INFERENCE_TARGET=model.target, EMERGENCY_NUMBER=EMERGENCY_NUMBER)
    answer = await ChatPatient(client, api_key, demo.MARIA.phone, sms).say("ya no quiero vivir")
    assert answer["action"] == "emergency"
    assert f"al {EMERGENCY_NUMBER}" in answer["response"]
    assert "persona de confianza" in answer["response"]
    assert "800" not in answer["response"]


async def test_the_emergency_conversation_goes_on_with_varied_useful_answers_never_the_model(
    patient: ChatPatient, conn: asyncpg.Connection, model: FakeInference
) -> None:
    first = await patient.say("mi hijo de 2 años se tomó unas pastillas, como 10 de clonazepam, está medio dormido")
    follow_ups = [
        "ya llamé a la ambulancia pero no llega, ahora está convulsionando",
        "cuál número?? no sé cuál es",
        "cuál número??",
        "hola?? alguien??",
        "hola??",
        "qué hago mientras?",
        "a qué hospital lo llevo?",
        "gracias",
    ]
    answers = [first] + [await patient.say(text) for text in follow_ups]

    texts = [answer["response"] for answer in answers]
    assert all(answer["action"] == "emergency" for answer in answers), answers
    assert all(before != after for before, after in pairwise(texts)), texts
    by_message = dict(zip(["first", *follow_ups], texts, strict=True))
    late = by_message[follow_ups[0]]  # help is late: call again, or go if it is safe
    assert "llamar al 168" in late and "emergencia más cercana" in late
    # Pills were swallowed: the number first, without "if".
    assert by_message["cuál número?? no sé cuál es"].startswith(f"Llame ya al {EMERGENCY_NUMBER}")
    assert EMERGENCY_NUMBER in by_message["cuál número??"]
    assert "equipo" in by_message["hola?? alguien??"]
    assert "compañ" in by_message["qué hago mientras?"]  # nobody left alone
    assert all(EMERGENCY_NUMBER in text for text in texts), texts
    assert "emergencia" in by_message["a qué hospital lo llevo?"]
    assert model.requests == []
    assert await flag_of(conn, patient.phone) == "emergency"
    stored = await conn.fetch(
        "SELECT content FROM messages WHERE user_phone = $1 AND role = 'assistant' ORDER BY created_at",
        patient.phone,
    )
    assert [row["content"] for row in stored] == texts


@pytest.mark.parametrize("question", ["es grave?", "se va a morir??", "qué tiene doctora, qué le pasa?"])
async def test_asked_whether_it_is_serious_the_answer_is_that_a_doctor_must_see_it_now(
    patient: ChatPatient, question: str
) -> None:
    await patient.say("mi papá tiene la boca chueca y no puede levantar el brazo")

    answer = await patient.say(question)

    assert answer["action"] == "emergency"
    assert answer["response"] in follow_ups("serious")
    assert EMERGENCY_NUMBER in answer["response"]


@pytest.mark.parametrize(
    ("first", "follow_ups"),
    [
        ("mi mamá se desmayó y no reacciona", ["ayuda porfa", "ayuda porfa", "qué hago", "dónde la llevo", "gracias"]),
        ("ya no quiero vivir", ["ayuda porfa", "hola??", "no sé qué hacer", "a quién llamo?", "gracias"]),
        ("me duele mucho el pecho", ["ya llamé y no contestan", "ahora no puede respirar", "ok", "ya están aquí"]),
    ],
)
async def test_every_emergency_reply_and_follow_up_states_the_emergency_number(
    patient: ChatPatient, first: str, follow_ups: list[str]
) -> None:
    texts = [(await patient.say(text))["response"] for text in [first, *follow_ups]]
    assert all(EMERGENCY_NUMBER in text for text in texts), texts


@pytest.mark.parametrize(
    "danger",
    ["estoy embarazada y estoy sangrando mucho", "me tome 20 pastillas", "mi bebé de 2 meses tiene fiebre de 39"],
)
async def test_what_to_do_meanwhile_fits_a_patient_in_danger_who_may_not_have_called_yet(
    patient: ChatPatient, danger: str
) -> None:
    await patient.say(danger)
    meanwhile = [(await patient.say(text))["response"] for text in ("qué hago mientras", "y mientras qué hago?")]
    for text in meanwhile:
        assert f"al {EMERGENCY_NUMBER}" in text, text
        assert "aún no" in text, text  # nobody may have called yet
        assert "la persona" not in text and "empeor" not in text and "ambulancia" not in text, text
    assert meanwhile[0] != meanwhile[1]


@pytest.mark.parametrize(
    ("told", "crisis_line"),
    [
        (["ya no quiero vivir", "ya me tomé todas las pastillas que tenía"], True),
        (["ya no quiero vivir", "me tomé 20 pastillas de paracetamol"], True),
        (["me tome 20 pastillas"], False),
        (["mi hijo se tomó lavandina", "hola??"], False),
    ],
)
async def test_after_an_overdose_or_poison_the_number_asked_for_is_the_emergency_number_first(
    patient: ChatPatient, told: list[str], crisis_line: bool
) -> None:
    for text in told:
        await patient.say(text)
    answers = [(await patient.say(text))["response"] for text in ("cuál número?? no sé cuál es", "cuál número??")]
    for answer in answers:
        assert answer.startswith(f"Llame ya al {EMERGENCY_NUMBER}"), answer
        assert (CRISIS_LINE in answer) is crisis_line, answer
        assert " si " not in answer.split(".")[0].lower(), answer  # unconditional
    assert answers[0] != answers[1]


@pytest.mark.parametrize("follow_up", ["hola?? alguien??", "qué hago mientras", "cuál número??", "gracias"])
@pytest.mark.parametrize("first", ["mi papá no reacciona", "me quiero matar"])
async def test_the_same_follow_up_three_times_never_gets_the_same_paragraph_twice_in_a_row(
    patient: ChatPatient, first: str, follow_up: str
) -> None:
    texts = [(await patient.say(text))["response"] for text in (first, follow_up, follow_up, follow_up)]
    assert all(before != after for before, after in pairwise(texts)), texts
    assert all(EMERGENCY_NUMBER in text for text in texts), texts


async def test_a_self_harm_conversation_keeps_the_crisis_line_and_never_offers_a_booking(
    patient: ChatPatient, model: FakeInference
) -> None:
    answers = [
        await patient.say(text)
        for text in ("ya no quiero vivir", "ya me tomé todas las pastillas que tenía", "a quién llamo?", "hola??")
    ]
    texts = [answer["response"] for answer in answers]
    assert all(answer["action"] == "emergency" for answer in answers), answers
    assert all(before != after for before, after in pairwise(texts)), texts
    assert CRISIS_LINE in texts[2] and EMERGENCY_NUMBER in texts[2]
    assert not any("cita" in text.lower() or "agend" in text.lower() for text in texts), texts
    assert model.requests == []


async def test_saying_all_is_well_ends_the_emergency_and_a_booking_goes_on_as_usual(
    patient: ChatPatient, conn: asyncpg.Connection, model: FakeInference
) -> None:
    await patient.say("mi mamá se desmayó y no reacciona")
    calm = await patient.say("gracias, ya pasó, ya está bien")
    assert calm["action"] == "none"
    assert EMERGENCY_NUMBER in calm["response"]
    booking = await patient.say("quiero una cita con pediatría")
    assert booking["action"] == "verification_required"
    assert await flag_of(conn, patient.phone) == "emergency"  # staff still see what happened
    assert model.requests == []


def follow_ups(topic: str) -> list[str]:
    """A medical emergency's follow-up wordings for `topic`, as sent."""
    call = f"al {EMERGENCY_NUMBER}"
    return [text.format(call=call, number=EMERGENCY_NUMBER) for text in replies.EMERGENCY_FOLLOW_UPS[topic]]


def appointment_replies() -> list[str]:
    return follow_ups("appointment")


@pytest.mark.parametrize(
    "text", ["tengo una emergencia: necesito cambiar mi cita de mañana", "urgente, cancelen mi cita"]
)
def test_an_urgent_appointment_errand_is_not_an_emergency(text: str) -> None:
    assert recognised(text)[0] is not Intent.EMERGENCY


async def test_an_appointment_named_in_an_emergency_is_not_a_booking_until_the_patient_says_it_is_over(
    patient: ChatPatient,
) -> None:
    await patient.say("me duele mucho el pecho")
    wait = await patient.say("tengo cita con cardiología el jueves, ¿puedo esperar?")
    assert wait["action"] == "emergency", wait
    assert wait["response"] in appointment_replies(), wait
    again = await patient.say("quiero una cita con cardiología para el lunes")
    assert again["action"] == "emergency" and again["response"] != wait["response"]
    calm = await patient.say("ya estoy mejor, ya pasó")
    assert "revise hoy" in calm["response"]
    booking = await patient.say("quiero una cita con cardiología para el lunes")
    assert booking["action"] == "verification_required"


@pytest.mark.parametrize(
    "farewell", ["gracias por todo doctora, ya no voy a necesitar la cita", "cancelen mi cita, ya no la voy a usar"]
)
async def test_after_words_of_suicide_an_appointment_given_up_gets_the_crisis_line_not_a_flow(
    patient: ChatPatient, farewell: str
) -> None:
    await patient.say("hola, escribo para despedirme")
    answer = await patient.say(farewell)
    assert answer["action"] == "emergency", answer
    assert CRISIS_LINE in answer["response"] and answer["options"] == []
    assert "registr" not in answer["response"] and "¿Confirma" not in answer["response"]


async def test_a_home_remedy_asked_about_is_discouraged_and_on_the_way_is_not_yet_cared_for(
    patient: ChatPatient,
) -> None:
    await patient.say("mi hijo se quemó con agua hirviendo en el brazo")
    remedy = await patient.say("le pongo pasta dental?")
    assert remedy["response"] in follow_ups("remedy"), remedy
    going = await patient.say("estamos yendo al hospital del niño")
    assert going["action"] == "emergency" and going["response"] in follow_ups("on_the_way"), going
    thanks = await patient.say("gracias")
    assert thanks["action"] == "emergency" and EMERGENCY_NUMBER in thanks["response"]


async def test_thanks_after_an_emergency_is_over_is_answered_with_care_not_a_cheerful_goodbye(
    patient: ChatPatient,
) -> None:
    await patient.say("mi papá se cayó y no reacciona")
    await patient.say("ya llegó la ambulancia")
    thanks = await patient.say("gracias")
    assert thanks["response"].startswith("Cuídese mucho."), thanks
    assert EMERGENCY_NUMBER in thanks["response"]
    again = await patient.say("gracias")
    # Once is enough; the emergency flagged the conversation for the clinic, so a person will still write: not a
    # goodbye, but a short line that keeps the patient waiting for them.
    assert again["response"].startswith("Con gusto. Una persona de la clínica le responderá por aquí"), again


async def test_help_already_called_is_told_well_done_not_to_call_again_unless_it_is_late(
    patient: ChatPatient,
) -> None:
    await patient.say("mi esposo se desmayó y no despierta")
    called = await patient.say("ya llamamos al 168")
    assert called["action"] == "emergency" and called["response"] in follow_ups("called"), called
    late = await patient.say("ya llamé y no llega la ambulancia")
    assert late["response"] in follow_ups("waiting"), late


async def test_saying_it_was_never_an_emergency_ends_it(patient: ChatPatient) -> None:
    await patient.say("mi papá se cayó y no reacciona")
    answer = await patient.say("perdón, me equivoqué, no es una emergencia")
    assert answer["action"] == "none"
    assert answer["response"] == replies.EMERGENCY_NOT_ONE


@pytest.mark.parametrize(
    "correction",
    [
        "no, entendio mal, eso fue hace un año, solo queria una cita para el",
        "no es una emergencia, quiero una cita con medicina general",
    ],
)
async def test_a_correction_that_asks_for_a_booking_ends_the_emergency_and_the_booking_goes_on(
    patient: ChatPatient, correction: str
) -> None:
    await patient.say("mi papa se desmayo hace rato en la cocina")

    answer = await patient.say(correction)

    assert answer["action"] == "verification_required", answer
    assert answer["response"].startswith(f"{replies.EMERGENCY_CALLED_OFF} "), answer
    assert "fecha de nacimiento" in answer["response"]


@pytest.mark.parametrize("question", ["la levanto?", "lo puedo mover?", "podemos sentarla?"])
async def test_asked_whether_to_move_someone_who_fell_the_answer_is_not_to(patient: ChatPatient, question: str) -> None:
    await patient.say("mi abuelita se cayo en el baño y no se puede levantar, le duele mucho la cadera y tiene 85")

    answer = await patient.say(question)

    assert answer["response"] in follow_ups("move")


async def test_on_the_way_to_hospital_is_not_yet_in_care(patient: ChatPatient) -> None:
    await patient.say("mi hijito se tomo lavandina")

    answer = await patient.say("ya estamos yendo al hospital")

    assert answer["action"] == "emergency"
    assert answer["response"] in follow_ups("on_the_way")


async def test_called_and_help_is_late_is_told_what_to_do_when_help_is_late(patient: ChatPatient) -> None:
    await patient.say("mi wawa se cayo de la cama de cabeza y esta vomitando")

    answer = await patient.say("ya llame y no llega la ambulancia que hago")

    assert answer["response"] in follow_ups("waiting")


async def test_no_longer_alone_after_words_of_suicide_is_heard(patient: ChatPatient) -> None:
    await patient.say("estoy en la terraza del edificio mirando abajo, ya no aguanto mas nada tiene sentido")
    await patient.say("no se para que escribo")

    answer = await patient.say("ok ya baje, mi hermana esta conmigo")

    help_ = f"a {CRISIS_LINE_NAME} ({CRISIS_LINE}) o, si corre peligro ahora, al {EMERGENCY_NUMBER}"
    assert answer["action"] == "emergency"
    assert answer["response"] in [t.format(help=help_) for t in replies.SELF_HARM_FOLLOW_UPS["accompanied"]]


async def test_help_arriving_ends_the_emergency_but_not_when_it_is_worse(patient: ChatPatient) -> None:
    await patient.say("mi papá se cayó y no reacciona")
    worse = await patient.say("ya llegó la ambulancia pero no respira")
    assert worse["action"] == "emergency"
    arrived = await patient.say("ya llegó la ambulancia, gracias")
    assert arrived["action"] == "none"
    assert "atención" in arrived["response"]


@pytest.mark.parametrize(
    ("name", "value"), [("EMERGENCY_NUMBER", "llame al 911"), ("CRISIS_LINE", "800-CRISIS"), ("EMERGENCY_NUMBER", "1")]
)
def test_a_number_to_call_that_is_not_digits_is_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        gateway_settings(
            "postgresql://postgres@127.0.0.1:5432/db",
            "redis://127.0.0.1:6379",
            "127.0.0.1:1",
            "http://127.0.0.1:1",
            **{name: value},
        )
