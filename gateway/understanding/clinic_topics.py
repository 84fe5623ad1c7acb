"""Which facts about the clinic a message asks for: prices, hours, address, payment, what to bring,
doctors, other services, or something about the clinic we keep no facts on ("general").

Such a question is answered from the clinic's data by the dialog, never by the model. Patterns are
written without accents, in the language of `patterns.py`; matching forgives typos.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from gateway.understanding.patterns import Pattern, Words, compile_patterns, lexicon

_SPECIALIST = (
    "doctor|doctora|doctores|medico|medica|medicos|especialista|especialistas|pediatra|pediatr*|ginecolog*|gineco"
    "|cardiolog*|dermatolog*|odontolog*|dentista|traumatolog*|oftalmolog*|oculista|neurolog*|psicolog*|psiquiatra"
    "|urolog*|nutricion*|otorrino*|endocrinolog*|gastroenterolog*|neumolog*|reumatolog*|oncolog*|fisioterap*"
)


class ClinicTopic(StrEnum):
    PRICES = "prices"
    HOURS = "hours"
    ADDRESS = "address"
    PAYMENT = "payment"
    PREPARATION = "preparation"
    DOCTORS = "doctors"
    SERVICES = "services"
    # About the clinic, but nothing the clinic keeps facts on (its phone, walk-ins, how long a visit takes).
    GENERAL = "general"


_PATTERNS: Final[dict[ClinicTopic, tuple[Pattern, ...]]] = {
    ClinicTopic.PRICES: compile_patterns(
        [
            "cuanto|cuanta ... cuesta|cuestan|sale|salen|cobran|cobra|vale|valen|costo|precio|pago|pagar|pagaria",
            "precio|precios|costo|costos|tarifa|tarifas|arancel|aranceles",
            "cobran|cobra ... consulta|cita|ficha",
            "cuanto|cuanta es|seria|sera ..2 consulta|ficha|cita",
        ]
    ),
    ClinicTopic.HOURS: compile_patterns(
        [
            "horario|horarios|hora ... atencion|atienden|atiende|abren|cierran|abre|cierra|trabajan|tienen|son",
            "que|cual|cuales horario|horarios",
            "cual|cuales es|son ..2 horario|horarios",
            "su|sus horario|horarios",
            # "Solo quiero saber el horario", "info del horario": asked without a question word.
            "saber|conocer|info|informacion|consultar|preguntar ..2 horario|horarios",
            "hasta|desde|a que hora|horas ... abren|cierran|abre|cierra|atienden|atiende|trabajan|trabaja|funcionan"
            "|funciona|abierto",
            "abren|cierran|abre|cierra|atienden|trabajan|trabaja|funcionan|funciona ... domingo|domingos|sabado"
            "|sabados|feriado*|fin"
            "|finde|noche|noches|lunes|martes|miercoles|jueves|viernes",
            "que|cuales dia|dias atienden|atiende|trabaja|trabajan|abren|funcionan|funciona",
            "feriado|feriados",
        ]
    ),
    ClinicTopic.ADDRESS: compile_patterns(
        [
            "direccion|ubicacion|ubicad*|ubican|mapa|sucursal*|parqueo|estacionamiento|estacionar|parquear",
            "donde ... queda|quedan|estan|encuentra|encuentran|ubica*",
            "como ... llego|llegar|llega|llegan",
        ]
    ),
    ClinicTopic.PAYMENT: compile_patterns(
        [
            "seguro|seguros ... medico|salud|privado|social",
            "tengo|tiene|con|aceptan|acepta|trabajan|reciben|cubre|cubren|atienden|vale|sirve ..2 seguro|seguros",
            "aseguradora*|prepaga*|cns",
            "caja ... nacional|petrolera|salud|bancaria|caminos|seguro",
            "aceptan|acepta|reciben|recibe|puedo|se puede ... pagar|tarjeta|qr|efectivo|transferencia",
            "tarjeta|qr|efectivo|transferencia",
            "forma|formas|metodo|metodos|medio|medios ... pago",
        ]
    ),
    ClinicTopic.PREPARATION: compile_patterns(
        [
            "que ... llevar|traer|llevo|traigo",
            "necesito|debo|tengo que|hay que ... llevar|traer",
            "ayunas|ayuno",
            "necesito|piden|pide|hace falta ... orden|carnet",
            "orden medica",
        ]
    ),
    ClinicTopic.DOCTORS: compile_patterns(
        [
            "que|cuales especialidades|especialistas|doctores|medicos ... hay|tienen|atienden",
            "especialidades",
            "quien|quienes ... atiende|atienden",
            "quien|quienes es|son ... " + _SPECIALIST,
            "como se llama|llaman|apellida ... " + _SPECIALIST,
        ]
    ),
    ClinicTopic.SERVICES: compile_patterns(
        [
            "resonancia*|tomograf*|ecograf*|radiograf*|rayos|mamograf*|endoscop*|electrocardiograma|laboratorio"
            "|cirugia|cirugias|operaciones|operan|internacion|vacuna|vacunas|vacunar|vacunacion|farmacia|ambulancia|fisioterapia",
            "hacen|realizan|tienen|hay ... analisis|examenes|estudios|servicio|servicios",
        ]
    ),
    ClinicTopic.GENERAL: compile_patterns(
        [
            "telefono|correo|email|pagina|web|facebook|instagram|whatsapp",
            "sin cita|turno|ficha|reserva",
            "cuanto ... demora|dura|tarda|esperar",
            "atienden|atiende|tienen|hay|cubren ... emergencia|emergencias|urgencia|urgencias",
        ]
    ),
}
# "¿Tienen cardiólogo?": a question about the doctors, unless a day or hour makes it a booking.
HAVE_SPECIALIST: Final[tuple[Pattern, ...]] = compile_patterns(
    ["tienen|tiene|hay|cuentan|trabaja|trabajan|atiende ..2 " + _SPECIALIST]
)
# Free slots asked for ("¿qué otros horarios tienen?", "el horario más temprano"): the booking's times,
# not the clinic's opening hours.
FREE_SLOTS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "otro|otros|otra|otras|mas ... horario|horarios|hora|horas",
        "horario|horarios|hora|horas ..2 disponib*|libre|libres|temprano|tarde|pronto",
        "disponib*|libre|libres|cupo|cupos|espacio|espacios",
    ]
)
# The clinic opening or seeing people ("¿abren hoy?"), unless the patient is the object ("¿me atienden?").
CLINIC_OPEN: Final[tuple[Pattern, ...]] = compile_patterns(
    ["atienden|trabajan|abren|funcionan|atiende|abre|cierran|cierra|abierto|abierta"]
)
# Working or running said in the singular is the clinic's only with a day, an hour or the clinic named ("¿funciona la
# clínica el domingo?"): "esto no funciona", "¿usted trabaja todo el día?" are not about its hours.
RUNS: Final[tuple[Pattern, ...]] = compile_patterns(["trabaja|trabajas|funciona|funcionas|funcionando"])
THE_CLINIC: Final[tuple[Pattern, ...]] = compile_patterns(
    ["clinica|consultorio|consultorios|centro|policlinico|laboratorio|farmacia|sucursal|hospital|posta"]
)
# A job, not the clinic working: "¿le gusta su trabajo?" (never a typo of "trabaja").
_NOT_OPENING: Final[tuple[Pattern, ...]] = compile_patterns(["trabajo|trabajos"])
_PATIENT_OBJECT = ("me", "nos", "le", "lo", "la", "los", "las")
# "¿Dónde están mis resultados?" asks where something of the patient's is, not where the clinic is.
_WHERE_MINE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["donde ... esta|estan|queda|quedan|quedo|encuentra|encuentran mi|mis"]
)

TOPIC_WORDS: Final = lexicon(
    pattern
    for group in (
        *_PATTERNS.values(),
        HAVE_SPECIALIST,
        FREE_SLOTS,
        CLINIC_OPEN,
        RUNS,
        THE_CLINIC,
        _NOT_OPENING,
        _WHERE_MINE,
    )
    for pattern in group
)


def find_topics(words: Words, *, has_when: bool, has_whom: bool) -> tuple[ClinicTopic, ...]:
    """The clinic topics the message asks about, in a fixed order; () when it asks about none.

    `has_when`: a date or time was found, which makes "¿hay pediatra mañana?" a booking, not a question;
    `has_whom`: a specialty or doctor was named, which makes "¿qué horarios tiene la pediatra?" ask for
    free slots rather than the clinic's opening hours (as "¿qué otros horarios tienen?" does).
    """
    found = [topic for topic, patterns in _PATTERNS.items() if words.has(patterns)]
    if ClinicTopic.ADDRESS in found and words.has(_WHERE_MINE):
        found.remove(ClinicTopic.ADDRESS)
    if not has_when and ClinicTopic.DOCTORS not in found and words.has(HAVE_SPECIALIST):
        found.append(ClinicTopic.DOCTORS)
    opens = [s for s in words.spans(CLINIC_OPEN) if not words.preceded_by(s.start, _PATIENT_OBJECT, within=1)]
    if has_when or words.has(THE_CLINIC):
        opens += words.spans(RUNS)
    if opens and not found:
        found.append(ClinicTopic.HOURS)
    if (has_whom or words.has(FREE_SLOTS)) and ClinicTopic.HOURS in found:
        found.remove(ClinicTopic.HOURS)
    # "¿Cuánto cuesta una ecografía?": the price of a service, which the consultation prices do not give.
    if ClinicTopic.SERVICES in found and ClinicTopic.PRICES in found:
        found.remove(ClinicTopic.PRICES)
    return tuple(topic for topic in ClinicTopic if topic in found)
