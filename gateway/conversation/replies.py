"""Every fixed Spanish text the assistant sends, in one place."""

import re
from collections.abc import Mapping
from typing import Final

from gateway.conversation.wording import with_article
from gateway.understanding.small_talk import SmallTalk

DID_NOT_UNDERSTAND = "Disculpe, no le entendí bien. ¿Podría escribirlo de otra forma?"
# A message over MAX_MESSAGE_CHARS: not read, and the patient is asked for the gist.
MESSAGE_TOO_LONG = (
    "Disculpe, su mensaje es demasiado largo y no alcanzo a leerlo completo. ¿Podría enviarme lo principal en un "
    "mensaje más corto? Por ejemplo: qué necesita, para quién y qué día le conviene."
)


def emergency(number: str | None) -> str:
    """The immediate answer to a message that looks like an emergency."""
    call = f"Llame ahora al {number}" if number else "Llame ahora al número de emergencias"
    return (
        f"Esto puede ser una emergencia. {call} o acuda a la emergencia más cercana. "
        "Ya avisé a nuestro equipo, que revisará su mensaje; no espere nuestra respuesta para pedir ayuda."
    )


def self_harm(number: str | None, crisis_line: str | None, crisis_line_name: str | None) -> str:
    """The answer to a patient who speaks of suicide or of hurting themselves: warm, short, with whom to call."""
    call = f"al {number}" if number else "al número de emergencias"
    opening = (
        "Siento mucho que esté pasando por esto, y gracias por decírmelo. "
        "Usted importa y no tiene que enfrentarlo sin compañía."
    )
    if crisis_line:
        line = f"{crisis_line_name}, al {crisis_line}" if crisis_line_name else f"una línea de apoyo, al {crisis_line}"
        return (
            f"{opening} Puede hablar ahora mismo con {line}. Si corre peligro en este momento, llame {call}. "
            "Si puede, busque a una persona de confianza y quédese con ella. Ya avisé a nuestro equipo."
        )
    return (
        f"{opening} Si corre peligro en este momento, llame ahora {call} o acuda a la emergencia más cercana. "
        "Busque a una persona de confianza y quédese con ella. Ya avisé a nuestro equipo."
    )


# What follows an emergency, by what the patient wrote next; two wordings each, so that no answer is sent twice
# in a row. `{call}`: "al 168" (or "al número de emergencias"); `{help}`: the crisis line and the emergency number.
# Every one names whom to call. The one in danger may be the patient, a relative or a baby, and nobody may have
# called yet: the wordings fit each, and give no medical instructions.
EMERGENCY_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "number": (
        "El número de emergencias es el {number}. Llame ahora; si no le contestan, vaya directamente a la emergencia "
        "del hospital más cercano.",
        "Marque el {number} desde cualquier teléfono. Si no consigue comunicarse, acuda de inmediato a la emergencia "
        "más cercana.",
    ),
    "waiting": (
        "Si la ambulancia tarda y es posible trasladarse sin riesgo, vaya directamente a la emergencia más cercana. "
        "Si no, vuelva a llamar {call} y cuente cómo está ahora.",
        "Vuelva a llamar {call} y cuente lo que está pasando ahora. Si pueden llegar antes por sus medios y sin "
        "riesgo, acudan a la emergencia más cercana.",
    ),
    "where": (
        "Vaya a la emergencia del hospital más cercano; no espere una cita. Si el traslado no es seguro, llame {call}.",
        "Acuda a la sala de emergencias más cercana, sin esperar una cita. Si no pueden trasladarse sin riesgo, "
        "llame {call} y espere la ambulancia.",
    ),
    "move": (
        "No mueva ni levante a la persona, salvo que corra peligro donde está (fuego, tránsito). Abríguela, quédese a "
        "su lado y llame {call}; ahí le dirán qué hacer.",
        "Mejor no moverla: podría empeorar una lesión. Manténgala abrigada y acompañada hasta que llegue la ayuda, y "
        "llame {call} si aún no lo hizo.",
    ),
    "serious": (
        "No puedo saberlo por mensaje, y es mejor no esperar para averiguarlo: lo que me cuenta necesita que lo vea un "
        "médico ahora. Llame {call} o acuda a la emergencia más cercana.",
        "Por aquí no es posible saber qué tan grave es. Por lo que describe, tiene que verlo un médico cuanto antes: "
        "llame {call} o vaya a la emergencia más cercana.",
    ),
    "meanwhile": (
        "Si aún no llamó, llame ahora {call}. Mientras llega la ayuda, no se quede sin compañía: pida a alguien "
        "cercano que le acompañe, tenga el teléfono a mano y libre, y la puerta abierta para los paramédicos.",
        "Lo primero es llamar {call}, si aún no lo hizo, y seguir lo que le indiquen. Mientras tanto, que nadie se "
        "quede a solas: pida a alguien que le acompañe y que espere en la puerta para guiar a la ayuda.",
    ),
    "worse": (
        "Llame {call} ahora mismo (aunque ya haya llamado) y cuente lo que está pasando. Si pueden llegar sin "
        "riesgo a la emergencia más cercana, no esperen.",
        "No espere más: llame {call} y cuente lo que está pasando ahora, o acuda a la emergencia más cercana. "
        "Nuestro equipo ya está avisado.",
    ),
    "present": (
        "Aquí estoy. Nuestro equipo ya está avisado y revisará su conversación. No espere nuestra respuesta: llame "
        "{call} o acuda a la emergencia más cercana.",
        "Sigo aquí. Nuestro equipo ya está avisado de su emergencia. Mientras tanto, lo más importante es llamar "
        "{call} o ir a la emergencia más cercana.",
    ),
    "thanks": (
        "Cuídese mucho. Si la situación cambia, llame {call} o acuda a la emergencia más cercana.",
        "Estamos pendientes. Ante cualquier cambio, llame {call} sin esperar.",
    ),
    "remedy": (
        "No le dé ni le ponga nada por su cuenta. Llame {call} y siga lo que le indiquen, o acuda a la emergencia "
        "más cercana.",
        "Mejor no aplicar remedios caseros: pueden empeorar la situación. Siga las indicaciones que le den al llamar "
        "{call} o en la emergencia.",
    ),
    "called": (
        "Bien hecho. Sigan las indicaciones que les den por teléfono y dejen la puerta abierta para recibir la "
        "ayuda. Si tarda o empeora, vuelvan a llamar {call}.",
        "Muy bien. Mientras llega la ayuda, que alguien se quede con la persona y atento al teléfono. Si algo "
        "cambia, llamen otra vez {call}.",
    ),
    "on_the_way": (
        "Bien hecho. Vayan con cuidado; si algo cambia en el camino, llamen {call}.",
        "Muy bien, sigan hacia la emergencia. Si empeora en el camino, llamen {call}. Aquí estamos si nos necesitan "
        "después.",
    ),
    "appointment": (
        "No espere a una cita: con lo que me cuenta, llame ahora {call} o acuda a la emergencia más cercana. Cuando "
        "todo esté bajo control, le ayudo con sus citas.",
        "Lo de la cita puede esperar; esto no. Llame {call} o vaya a la emergencia más cercana, y después vemos su "
        "cita con calma.",
    ),
}
SELF_HARM_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "accompanied": (
        "Me alegra mucho que ya no esté a solas. Quédese con esa persona y cuéntele cómo se siente; si vuelve a "
        "sentirse en peligro, llame {help}. Nuestro equipo ya está avisado.",
        "Qué bueno que tiene compañía ahora. No se quede a solas esta noche y, si lo necesita, llame {help}. Aquí "
        "seguimos.",
    ),
    "number": (
        "Puede llamar {help}. Llame ahora, por favor; no tiene que esperar a estar peor.",
        "Le dejo de nuevo a quién llamar: {help}. Si puede, pida a una persona de confianza que le acompañe mientras "
        "llama.",
    ),
    "present": (
        "Sigo aquí y le leo. Por favor, llame {help}, y busque a una persona de confianza para no estar a solas ahora.",
        "Lo que siente es importante y merece ayuda. Aleje de usted lo que pueda usar para hacerse daño, quédese con "
        "alguien de confianza y llame {help}. Nuestro equipo ya está avisado.",
    ),
    "worse": (
        "Por favor, llame {call} ahora mismo o pida a alguien cercano que le lleve a la emergencia más cercana.",
        "No espere: llame {call} o acuda con alguien de confianza a la emergencia más cercana. Sigo aquí.",
    ),
    "thanks": (
        "Gracias a usted por escribirme. Sigo aquí; cuando lo necesite, llame {help}.",
        "Aquí seguimos. Cuídese mucho, y si en algún momento siente que corre peligro, llame {help}.",
    ),
    # An appointment given up or any errand, after words of suicide: the person first, never a booking flow.
    "appointment": (
        "Lo más importante ahora es usted, no la cita. Por favor, llame {help}. Nuestro equipo ya está avisado.",
        "Las citas pueden esperar; usted importa ahora. Llame {help}, y si puede, busque a alguien de confianza que "
        "le acompañe.",
    ),
}
# Asked for the number after pills or a poison were swallowed: the emergency number first, without condition;
# `{line}`: the crisis line, in a self-harm emergency.
EMERGENCY_NUMBER_SWALLOWED = (
    "Llame ya {call}; diga qué se tomó y cuánto. Si no le contestan, vaya de inmediato a la emergencia más "
    "cercana. {line}",
    "Llame ya {call}, ahora mismo. Si no consigue comunicarse, pida a alguien que le lleve a la emergencia más "
    "cercana. {line}",
)
# Asked for the number when the clinic has set none: never guess one.
EMERGENCY_NUMBER_UNKNOWN = (
    "Llame a la central de emergencias o a una ambulancia de su ciudad. Si no consigue comunicarse, vaya de "
    "inmediato a la emergencia del hospital más cercano.",
    "Si no tiene a mano el número de emergencias de su ciudad, no pierda tiempo buscándolo: vaya directamente a la "
    "emergencia más cercana.",
)
EMERGENCY_OVER = (
    "Me alegra saber que está mejor. Aun así, conviene que un médico le revise hoy; si vuelve a empeorar, llame "
    "{call} o acuda a la emergencia más cercana. Si lo desea, le ayudo a agendar una consulta."
)
# Added to the first reply when only the learned model read an emergency (see emergency_model.py).
EMERGENCY_MAYBE_NOT = "Si entendí mal y no se trata de una emergencia, dígamelo y seguimos."
# The patient says it never was an emergency ("no es una emergencia, solo quiero cambiar mi cita").
EMERGENCY_NOT_ONE = "Entendido, disculpe la confusión. ¿En qué le puedo ayudar?"
# The same, when the message goes on to ask for something, which is answered after it.
EMERGENCY_CALLED_OFF = "Entendido, disculpe la confusión."
SELF_HARM_OVER = (
    "Me alegra leer que se siente mejor. Si vuelve a sentirse así, llame {help}; también puede escribirnos cuando "
    "lo necesite. Cuídese mucho."
)
EMERGENCY_IN_CARE = (
    "Qué bueno que ya están recibiendo atención. Siga las indicaciones del personal de salud; si algo cambia "
    "antes, llame {call}. Aquí estamos si nos necesita después."
)


HUMAN_HANDOFF = (
    "Con gusto. Le comunico con una persona de nuestro equipo; le responderá por este mismo chat lo antes posible."
)


HUMAN_HANDOFF_COMPLAINT = (
    "Lamento mucho lo ocurrido. Le comunico con una persona de nuestro equipo para que atienda su reclamo; le "
    "responderá por este mismo chat lo antes posible."
)


def handoff_noted(*, complaint: bool) -> str:
    """A second complaint or request for a person while one is already called: heard, briefly, in other words."""
    if complaint:
        return (
            "Gracias por contarme lo que pasó. Se lo paso a la persona de nuestro equipo que atenderá su reclamo; "
            "le escribirá por este mismo chat."
        )
    return "Ya avisé a nuestro equipo; una persona le escribirá por este mismo chat."


def human_handoff(opens: str | None, number: str | None, *, complaint: bool = False) -> str:
    """The answer to a request for a person, or to a complaint; `opens` as in `handoff_waiting` (None while the
    clinic is open)."""
    if opens is None:
        return HUMAN_HANDOFF_COMPLAINT if complaint else HUMAN_HANDOFF
    opening = "Lamento mucho lo ocurrido." if complaint else "Con gusto."
    call = f"llame al {number}" if number else "llame al número de emergencias"
    if opens.startswith("en "):
        return (
            f"{opening} Dejé su conversación a nuestro equipo; una persona le responderá por este mismo chat {opens}. "
            f"Si es una emergencia, {call}."
        )
    return (
        f"{opening} Ahora la clínica está cerrada: dejé su conversación a nuestro equipo y una persona le responderá "
        f"por este mismo chat cuando abramos, {opens}. Si es una emergencia, {call}."
    )


# --- the dialog's transactional turns -----------------------------------------------------

GREETING = (
    "¡Hola! Soy el asistente virtual de la clínica. Puedo ayudarle a agendar, cancelar o cambiar una cita, "
    "o a consultar sus próximas citas. ¿Qué desea hacer?"
)


def _wish(hour: int) -> str:
    """A farewell wish that fits the clinic's local hour: never "buen día" at night."""
    if 5 <= hour < 12:
        return "Que tenga un buen día."
    if 12 <= hour < 19:
        return "Que tenga una buena tarde."
    if 19 <= hour < 23:
        return "Que tenga una buena noche."
    return "Que descanse."


def goodbye(hour: int) -> str:
    """The answer to thanks or a goodbye, at the clinic's local `hour`."""
    return f"¡Gracias por escribirnos! {_wish(hour)}"


def goodbye_again(hour: int) -> str:
    """The answer to a "buenas noches" that closes a conversation just thanked: a goodbye, not the menu."""
    return f"{_wish(hour)} Aquí estaremos cuando nos necesite."


NOT_UNDERSTOOD_STEP = "Disculpe, no le entendí."

ASK_LAST4 = (
    "Para proteger sus datos, primero verificaré su identidad. "
    "Escriba los últimos 4 dígitos del número de teléfono que tiene registrado en la clínica."
)
LAST4_WRONG = "Esos dígitos no coinciden con nuestro registro. Inténtelo de nuevo (los últimos 4 dígitos)."
ASK_BIRTH_DATE = (
    "Para proteger sus datos, primero verificaré su identidad. "
    "Escriba su fecha de nacimiento, con día, mes y año (por ejemplo: 12/03/1985)."
)
BIRTH_DATE_WRONG = "Esa fecha no coincide con nuestro registro. Inténtelo de nuevo (día, mes y año)."
ASK_BIRTH_DATE_AGAIN = (
    "No reconocí la fecha. Escriba su fecha de nacimiento con día, mes y año, "
    "por ejemplo: 12/03/1985 o 12 de marzo de 1985."
)
IDENTITY_NEEDS_PERSON = (
    "No podemos verificar su identidad por este medio. Una persona de nuestro equipo se comunicará con usted "
    "por este chat para ayudarle."
)
IDENTITY_LOCKED = (
    "No pudimos verificar su identidad. Por seguridad, una persona de nuestro equipo se comunicará con usted "
    "por este chat."
)
CODE_WRONG = "El código no es correcto. Revise el SMS e inténtelo de nuevo."
CODE_EXPIRED = "Su código ya venció o fue usado. Escriba «reenviar» y le enviaremos uno nuevo."
ASK_CODE_AGAIN = "Escriba el código de 6 dígitos que le enviamos por SMS, o «reenviar» para recibir otro."
SMS_FAILED = (
    "No pudimos enviarle el código en este momento. Inténtelo de nuevo en unos minutos o escriba «persona» "
    "para hablar con nuestro equipo."
)
PHONE_NOT_TEXTABLE = (
    "Lo sentimos, por este chat solo podemos verificar números de celular del país de la clínica. "
    "Le comunico con una persona de nuestro equipo, que le ayudará por este mismo chat lo antes posible."
)
SMS_BUDGET_EXHAUSTED = (
    "En este momento no podemos enviarle el código de verificación. Le comunico con una persona de nuestro "
    "equipo, que le ayudará por este mismo chat lo antes posible."
)
VERIFICATION_LOCKED_TODAY = (
    "Por seguridad, la verificación de este número queda bloqueada hasta mañana por demasiados códigos "
    "incorrectos. Le comunico con una persona de nuestro equipo, que le ayudará por este mismo chat."
)
VERIFIED = "¡Listo, su identidad está verificada!"

# The opener of a reply: "¡Listo, …", "¡Listo! …", "Listo, …", "Bien, …", and what follows it.
_OPENER = re.compile(r"^(?P<open>¡?)(?P<word>\w+)(?P<mark>[,!.]?)\s+(?P<rest>.+)$", re.DOTALL)


def joined(first: str, then: str, separator: str = "\n") -> str:
    """Two replies sent as one: when both open with the same word ("¡Listo, su identidad está verificada!" and
    "Listo, ya tiene su lugar…"), the first drops it, as a person would not write "Listo" twice in a row."""
    one, two = _OPENER.match(first), _OPENER.match(then)
    if one is None or two is None or one["word"].lower() != two["word"].lower():
        return f"{first}{separator}{then}"
    rest = one["rest"]
    if one["open"] and one["mark"] == ",":
        rest = rest.replace("!", ".", 1)  # "¡Listo, su identidad está verificada!" → "Su identidad está verificada."
    return f"{rest[:1].upper()}{rest[1:]}{separator}{then}"


REGISTER_OFFER = (
    "No encontramos un registro de paciente con este número. ¿Desea registrarse ahora? Responda «sí» para "
    "registrarse o escriba «persona» para hablar con nuestro equipo."
)
ASK_NAME = "Por favor, escriba su nombre completo (nombre y apellidos)."
ASK_NAME_AGAIN = "Necesito su nombre y al menos un apellido, solo con letras. Por ejemplo: María López Quispe."
ASK_REGISTER_BIRTH_DATE = "Gracias. Ahora escriba su fecha de nacimiento (día, mes y año, por ejemplo: 12/03/1985)."
ASK_DOCUMENT = "Gracias. Ahora escriba su número de carnet de identidad (por ejemplo: 4567891 LP)."
ASK_DOCUMENT_AGAIN = "Ese número de carnet no parece válido. Escríbalo con sus números, por ejemplo: 4567891 LP."
DOCUMENT_ON_FILE = (
    "Ese número de carnet ya figura en la clínica con otro registro. Para cuidar sus datos, una persona de "
    "nuestro equipo revisará su registro y le responderá por este mismo chat lo antes posible."
)
REGISTER_DECLINED = "Entendido. Si cambia de opinión o desea hablar con una persona, escríbanos."

ASK_CONFIRM_AGAIN = "¿Lo confirma? Responda «sí» o «no»."
ASK_OPTION_AGAIN = "Responda con el número de la opción que prefiera, o escriba «otro horario»."
BOOKING_DROPPED = "De acuerdo, no reservé ese horario."
# The patient leaves the slot list ("no quiero ninguna, gracias", "después le escribo").
BOOKING_LEFT = "Entendido, no reservé ningún horario. Cuando quiera agendar, escríbame y le busco uno."
# After BOOKING_LEFT when the patient said "cancele todo" and already holds appointments: those stay as they are.
HOW_TO_CANCEL_HELD = "Sus citas ya agendadas siguen en pie; si desea cancelar alguna, escriba «cancelar una cita»."
CANCEL_KEPT = "De acuerdo, su cita se mantiene."


def kept(for_name: str | None) -> str:
    """The appointment stays: the patient's own (`CANCEL_KEPT`) or a family member's."""
    return f"De acuerdo, la cita de {for_name} se mantiene." if for_name else CANCEL_KEPT


SLOT_GONE = "Lo siento, ese horario acaba de ser reservado por otra persona."
PATIENT_BUSY = "Usted ya tiene otra cita a esa hora."
NO_UPCOMING = "No tiene citas próximas registradas. ¿Desea agendar una?"
# "No" to that offer, or to the one after a cancellation.
BOOKING_OFFER_DECLINED = "De acuerdo. Cuando necesite una cita, escríbame y le ayudo."
# "Quiero registrarme" from a phone the clinic already knows; a "sí" next starts a booking.
ALREADY_REGISTERED = (
    "Su número ya está registrado en la clínica, no necesita registrarse otra vez. ¿Desea agendar una cita?"
)
NOT_AMONG_YOURS = "No encuentro esa cita entre las suyas."
# A reminder's button tapped while another request waited for its "sí": that one is not carried out, and is said so.
LEFT_UNFINISHED = {
    "book": "La cita que estábamos agendando no se reservó; si aún la necesita, dígamelo.",
    "cancel": "La cancelación que estábamos preparando no se hizo.",
    "reschedule": "El cambio de cita que estábamos preparando no se hizo; si aún lo quiere, dígamelo.",
}
DAY_PASSED = "La fecha que indicó ya pasó; le ayudo con una fecha próxima."
CANNOT_CHANGE = "Esa cita ya no se puede modificar (ya pasó, comenzó o fue cancelada)."


def code_sent(minutes: int) -> str:
    return f"Le enviamos un código de 6 dígitos por SMS. Escríbalo aquí; vence en {minutes} minutos."


def too_many_codes(minutes: int) -> str:
    return (
        f"Ya le enviamos varios códigos. Podrá pedir uno nuevo en {minutes} minutos. "
        f"Si necesita ayuda antes, escriba «hablar con una persona»."
    )


def verification_locked(minutes: int) -> str:
    return (
        f"Por seguridad, la verificación está bloqueada. Inténtelo de nuevo en {minutes} minutos, "
        f"o escriba «hablar con una persona» y alguien de la clínica le ayudará."
    )


def ask_specialty(names: list[str]) -> str:
    listed = "\n".join(f"{number}) {name}" for number, name in enumerate(names, start=1))
    return f"¿Con qué especialidad o con qué médico desea su cita?\n{listed}"


def already_holds(when: str, doctor: str, for_name: str | None = None) -> str:
    """Before the slots of a booking: the same person already has an appointment of that kind that day."""
    who = f"{for_name} ya tiene" if for_name else "ya tiene"
    return f"Le recuerdo que {who} una cita el {when} con {with_article(doctor)}."


def offer_slots(lines: list[str], *, note: str = "") -> str:
    intro = f"{note} " if note else ""
    return (
        f"{intro}Estos son los horarios disponibles:\n" + "\n".join(lines) + "\n"
        "Responda con el número de la opción, o escriba «otro horario»."
    )


def specialty_not_offered(specialty: str) -> str:
    return f"Por ahora no tenemos médicos de {specialty}."


def no_slots_found(what: str, days: int) -> str:
    return f"No encontré horarios libres {what} en los próximos {days} días."


def no_slots(what: str, days: int) -> str:
    return f"{no_slots_found(what, days)} ¿Desea probar con otra especialidad o médico, o hablar con una persona?"


def no_slots_on(day: str, doctor: str | None = None) -> str:
    """None free on the day asked; with `doctor`, none with that doctor (others may have some)."""
    return (
        f"No hay horarios libres con {with_article(doctor)} el {day}."
        if doctor
        else f"No hay horarios libres el {day}."
    )


def not_attending(days: str, *, doctor: str | None = None, specialty: str | None = None) -> str:
    """Nothing can be free on `days` ("los sábados"): `doctor` does not work them, or no doctor of `specialty` does."""
    if doctor:
        said = with_article(doctor)
        return f"{said[0].upper()}{said[1:]} no atiende {days}."
    return f"En {specialty} no hay atención {days}." if specialty else f"La clínica no atiende {days}."


def others_attend(doctor: str, specialty: str, days: str) -> str:
    """Before the times of a specialty's other doctors on `days` ("los sábados"), which `doctor` never works."""
    said = with_article(doctor)
    return f"{said[0].upper()}{said[1:]} no atiende {days}, pero otros médicos de {specialty} sí."


def nobody_attends(doctor: str, specialty: str, days: str) -> str:
    """Neither `doctor` nor any other doctor of `specialty` works `days` ("los sábados")."""
    return f"Ni {with_article(doctor)} ni otro médico de {specialty} atienden {days}."


# After a day nobody searched works: nothing to offer on it, so another day is asked for.
ASK_ANOTHER_DAY = (
    "Si puede otro día, dígame cuál y le busco horarios, o escriba «persona» para hablar con nuestro equipo."
)


def no_slot_at(when: str) -> str:
    """`when`: "sábado 5 de diciembre a las 15:00", the hour asked, with nothing free at it."""
    return f"No hay un horario libre el {when}."


NO_OTHER_DAY_THAT_WEEK = "Esa semana no hay otro día con horarios libres."


def no_more_slots_on(day: str) -> str:
    return f"No quedan más horarios libres el {day}."


def nothing_earlier_on(day: str) -> str:
    return f"No hay horarios más temprano el {day}."


def earlier_days_only(day: str) -> str:
    """Before the first times of the days before `day` ("lunes 11 de marzo"), which has nothing earlier itself."""
    return f"El {day} no hay nada más temprano, pero sí en días anteriores."


def confirm_booking(when: str, doctor: str, specialty: str, for_name: str | None = None) -> str:
    """`for_name`: the family member the appointment is for; None: the patient's own."""
    whose = f"la cita de {for_name}" if for_name else "su cita"
    return f"¿Confirma {whose} con {with_article(doctor)} ({specialty}) el {when}? Responda «sí» o «no»."


def confirm_cancel(appointment: str, for_name: str | None = None) -> str:
    whose = f"la cita de {for_name}" if for_name else "su cita"
    return f"¿Confirma que desea cancelar {whose} del {appointment}? Responda «sí» o «no»."


def confirm_reschedule(old: str, new: str, for_name: str | None = None) -> str:
    whose = f"la cita de {for_name}" if for_name else "su cita"
    return f"¿Confirma que cambiamos {whose} del {old} al {new}? Responda «sí» o «no»."


def booked(when: str, doctor: str, specialty: str, reference: str, for_name: str | None = None) -> str:
    whose = f"La cita de {for_name}" if for_name else "Su cita"
    return (
        f"¡Listo! {whose} con {with_article(doctor)} ({specialty}) quedó reservada para el {when}. "
        f"Referencia: {reference}. "
        + ("Por favor lleguen 10 minutos antes." if for_name else "Por favor llegue 10 minutos antes.")
    )


def cancelled(appointment: str, for_name: str | None = None) -> str:
    whose = f"La cita de {for_name}" if for_name else "Su cita"
    return f"{whose} del {appointment} fue cancelada. Si desea, puedo ayudarle a agendar otra."


def rescheduled(when: str, doctor: str, reference: str, for_name: str | None = None) -> str:
    whose = f"La cita de {for_name}" if for_name else "Su cita"
    return f"¡Listo! {whose} con {with_article(doctor)} ahora es el {when}. Referencia: {reference}."


def upcoming(lines: list[str]) -> str:
    return "Sus próximas citas:\n" + "\n".join(lines)


def too_many_upcoming(limit: int, for_name: str | None = None) -> str:
    """Why another appointment cannot be booked: the patient (or the family member) holds as many as one may."""
    citas = "una cita próxima" if limit == 1 else f"{limit} citas próximas"
    who = f"{for_name} ya tiene" if for_name else "Ya tiene"
    return (
        f"{who} {citas}, el máximo que podemos reservar por paciente. Si lo desea, puedo mostrarle sus citas "
        "o ayudarle a cancelar o cambiar una de ellas."
    )


def moving(appointment: str, for_name: str | None = None) -> str:
    """Which appointment a move is about, when the patient named it in passing ("mi cita del viernes")."""
    whose = f"la cita de {for_name}" if for_name else "su cita"
    return f"Vamos a cambiar {whose} del {appointment}."


def choose_appointment(lines: list[str], verb: str) -> str:
    return f"¿Qué cita desea {verb}?\n" + "\n".join(lines) + "\nResponda con el número de la cita."


# --- family members: one phone, several patients ---------------------------------------------------------------

FOR_WHOM = "¿Para quién es la cita?"
OTHER_PERSON = "Otra persona"
# How the patient's relatives are named back to them ("el nombre completo de su hijo").
_RELATIVE = {
    "hijo": "su hijo",
    "hija": "su hija",
    "madre": "su mamá",
    "padre": "su papá",
    "esposo": "su esposo",
    "esposa": "su esposa",
    "hermano": "su hermano",
    "hermana": "su hermana",
    "abuelo": "su abuelo",
    "abuela": "su abuela",
    "nieto": "su nieto",
    "nieta": "su nieta",
}


def for_whom(names: list[str]) -> str:
    """Ask who the appointment is for: the patient, each family member on the phone, or someone else."""
    people = ["Para usted", *(f"Para {name}" for name in names), f"Para {OTHER_PERSON.lower()}"]
    lines = [f"{i}) {person}" for i, person in enumerate(people, start=1)]
    return f"{FOR_WHOM}\n" + "\n".join(lines) + "\nResponda con el número o escriba el nombre."


def for_whom_again(names: list[str]) -> str:
    return f"{NOT_UNDERSTOOD_STEP} {for_whom(names)}"


def ask_member_name(relation: str | None) -> str:
    """Ask the name of the family member to add; `relation` as stored ("hijo"), if the patient said it."""
    who = _RELATIVE.get(relation or "", "la persona para quien es la cita")
    return f"Con gusto. ¿Cuál es el nombre completo de {who} (nombre y apellidos)?"


def ask_member_full_name(first_name: str) -> str:
    """Ask the surnames of a family member the patient named by first name only ("para mi esposo Ricardo")."""
    return f"¿Cuál es el nombre completo de {first_name} (nombre y apellidos)?"


MEMBER_NAME_AGAIN = "Necesito el nombre solo con letras. Por ejemplo: Mateo López Quispe."


# Relatives whose date of birth is a child's often: their example is one; everyone else's is an adult's.
_YOUNG = frozenset({"hijo", "hija", "nieto", "nieta"})


def _birth_date_example(relation: str | None) -> str:
    return "14/02/2019" if relation in _YOUNG else "12/03/1985"


def ask_member_birth_date(name: str, relation: str | None = None) -> str:
    """`relation` as stored ("hijo"), if the patient said it: it picks the example."""
    example = _birth_date_example(relation)
    return f"¿Cuál es la fecha de nacimiento de {name}? Escríbala con día, mes y año, por ejemplo: {example}."


def member_birth_date_again(name: str, relation: str | None = None) -> str:
    example = _birth_date_example(relation)
    return f"No reconocí la fecha. Escriba la fecha de nacimiento de {name} con día, mes y año, por ejemplo: {example}."


def member_added(name: str) -> str:
    return f"Listo, registré a {name} como paciente en su número de WhatsApp."


def patient_busy(for_name: str | None) -> str:
    """The chosen time collides with another appointment of the same person."""
    return f"{for_name} ya tiene otra cita a esa hora." if for_name else PATIENT_BUSY


# When the model's reply is not sent (the gate refused it, or the model is down): what the patient wrote was
# small talk (questions and feelings have templates of their own), so a quiet acknowledgement and what the
# assistant can do; never the same words twice in a row if the patient keeps writing.
SAFE_FALLBACK = (
    "Entiendo. Si necesita algo de la clínica, como una cita, información o hablar con una persona de nuestro "
    "equipo, aquí estoy."
)
GATE_FALLBACKS = (
    SAFE_FALLBACK,
    "Le entiendo. Cuando quiera, le ayudo con sus citas o con información de la clínica, o le comunico con una "
    "persona.",
    "Aquí sigo. Por este chat puedo ayudarle con sus citas y con información de la clínica; dígame si necesita algo.",
)


# Small talk the assistant answers in its own words (`small_talk.py` says which and why); two or three
# wordings each, taken in turn, so that a patient who writes "ok" twice does not read the same line twice.
# They state nothing about the clinic, and what they say about the assistant is true of this service.
SMALL_TALK: dict[SmallTalk, tuple[str, ...]] = {
    SmallTalk.HELLO: (
        "¡Hola! Soy el asistente virtual de la clínica. ¿En qué le puedo ayudar?",
        "¡Hola, qué gusto saludarle! Dígame en qué le puedo ayudar.",
    ),
    SmallTalk.TASTES: (
        "Como asistente virtual no tengo gustos ni opiniones propias. Lo que sí puedo es ayudarle con sus citas o "
        "darle información de la clínica.",
        "No tengo preferencias: soy un programa. Pero con gusto le ayudo con sus citas o con sus dudas sobre la "
        "clínica.",
    ),
    SmallTalk.PLAY: (
        "Me temo que eso no es lo mío 🙂. Lo que sí puedo es ayudarle con sus citas o darle información de la clínica.",
        "Eso no lo sé hacer, disculpe. Si necesita algo de la clínica, con gusto le ayudo.",
    ),
    SmallTalk.WILL_ASK: (
        "Claro, dígame.",
        "Sí, dígame en qué le puedo ayudar.",
    ),
    SmallTalk.BACK: (
        "No se preocupe, aquí sigo. ¿En qué le puedo ayudar?",
        "No hay problema. Dígame qué necesita.",
    ),
    SmallTalk.BIRTHDAY: (
        "¡Feliz cumpleaños! Que pase un día muy lindo.",
        "¡Muchas felicidades en su cumpleaños!",
    ),
    SmallTalk.GOOD_NEWS: (
        "¡Qué buena noticia! Me alegra mucho. Muchas felicidades.",
        "¡Qué alegría! Muchas felicidades.",
    ),
    SmallTalk.OTHER_QUESTION: (
        "Disculpe, eso no sabría responderlo. Puedo ayudarle con sus citas y con información de la clínica "
        "(horarios, precios, dirección), o comunicarle con una persona del equipo.",
        "De eso no sé, disculpe: solo puedo ayudarle con temas de la clínica, como sus citas. Si prefiere hablar con "
        "alguien del equipo, escriba «persona».",
    ),
    SmallTalk.ABOUT_ME: (
        "Soy el asistente virtual de la clínica: un programa, no una persona. Puedo ayudarle con sus citas y con "
        "información de la clínica; si prefiere hablar con alguien del equipo, escriba «persona».",
        "Soy un asistente virtual, así que no tengo nombre, edad ni gustos propios. Lo que sí puedo es ayudarle "
        "con sus citas o darle información de la clínica. Para hablar con una persona, escriba «persona».",
    ),
    SmallTalk.PRIVACY: (
        "Solo recibo mensajes escritos; no grabo llamadas. Sus mensajes quedan guardados en su conversación con "
        "la clínica para poder atenderle, y solo el equipo de la clínica puede leerlos.",
        "Lo que me escribe queda en el historial de su conversación con la clínica, para atenderle; no se comparte "
        "con otros pacientes. Si prefiere hablar con una persona del equipo, escriba «persona».",
    ),
    SmallTalk.LANGUAGE: (
        "Por ahora solo puedo atenderle en español. Si necesita ayuda en otro idioma, escriba «persona» y le "
        "comunico con alguien de nuestro equipo.",
        "Disculpe, por este chat solo puedo escribir en español. Si lo prefiere, escriba «persona» y alguien del "
        "equipo le atenderá.",
    ),
    SmallTalk.PRESENCE: (
        "Aquí estoy. ¿En qué le puedo ayudar?",
        "Sí, aquí sigo. Dígame qué necesita: puedo ayudarle con sus citas o con información de la clínica.",
    ),
    SmallTalk.HOW_ARE_YOU: (
        "Muy bien, gracias. ¿En qué le puedo ayudar?",
        "Todo bien por aquí, gracias. Dígame qué necesita.",
    ),
    SmallTalk.COMPLAINT: (
        "Disculpe, sé que es frustrante. Puede escribirme lo que necesita con otras palabras, o escribir «persona» "
        "y le comunico con alguien de nuestro equipo.",
        "Lamento la molestia. Si prefiere, le comunico ahora con una persona de nuestro equipo: escriba «persona». "
        "También puedo seguir ayudándole con sus citas.",
    ),
    SmallTalk.CONFUSED: (
        "Le explico: puedo ayudarle a agendar, cancelar o cambiar una cita, revisar sus próximas citas y responder "
        "preguntas sobre la clínica. Escríbame, por ejemplo, «quiero una cita» o «¿dónde quedan?».",
        "Con gusto le oriento. Puede escribirme, por ejemplo, «quiero agendar una cita», «mis citas» o «¿cuánto "
        "cuesta la consulta?». Si prefiere, escriba «persona» y le atiende alguien del equipo.",
    ),
    SmallTalk.APOLOGY: (
        "No se preocupe. Aquí estoy cuando me necesite.",
        "No hay problema. Si necesita algo de la clínica, escríbame.",
    ),
    SmallTalk.WAIT: (
        "Claro, tómese su tiempo. Aquí estaré cuando quiera seguir.",
        "Sin problema, le espero. Escríbame cuando pueda.",
    ),
    SmallTalk.COMPLIMENT: (
        "¡Muchas gracias, es usted muy amable! ¿Hay algo más en lo que le pueda ayudar?",
        "Gracias a usted. Aquí estoy para lo que necesite.",
    ),
    SmallTalk.FEELING_LOW: (
        "Lamento que esté pasando por un momento así. Si le ayuda conversar con alguien de nuestro equipo, escriba "
        "«persona»; también puedo ayudarle a pedir una cita.",
        "Gracias por contármelo; lamento que se sienta así. Si quiere, le comunico con una persona de la clínica o "
        "le ayudo a pedir una cita.",
    ),
    SmallTalk.LAUGHTER: (
        "😄 Aquí estoy si necesita algo.",
        "😊 Cuando quiera, le ayudo con sus citas.",
    ),
    SmallTalk.ACKNOWLEDGE: (
        "De acuerdo. Si necesita algo más, aquí estoy.",
        "Perfecto. Cuando quiera, escríbame.",
        "Muy bien. Aquí estaré si me necesita.",
    ),
}
# Kinds whose answer offers a person: a button beside the words.
OFFERS_A_PERSON = frozenset({SmallTalk.COMPLAINT, SmallTalk.LANGUAGE, SmallTalk.FEELING_LOW, SmallTalk.OTHER_QUESTION})

GREETING_AND_HOW_ARE_YOU = (
    "¡Hola! Muy bien, gracias. Soy el asistente virtual de la clínica. Puedo ayudarle a agendar, "
    "cancelar o cambiar una cita, o a consultar sus próximas citas. ¿Qué desea hacer?"
)


def handoff_waiting(number: str | None, opens: str | None, *, locked: bool = False) -> tuple[str, str, str]:
    """After a hand-over to a person (or a lockout that needs one), instead of the model: what happens next.

    `opens`: None while the clinic is open; else when a person will answer ("mañana a las 08:00", or
    "en horario de atención" when the hours are unknown). `number`: the emergency number, if set. `locked`: the
    patient is locked out of verification, so cannot book, cancel or see appointments here until a person helps.
    """
    call = f"llame al {number}" if number else "llame al número de emergencias"
    soon, later = _when_a_person(opens)
    closed = "" if opens is None or opens.startswith("en ") else "Ahora la clínica está cerrada. "
    if locked:
        first = (
            f"{closed}Una persona de la clínica ya tiene su conversación y le ayudará a verificar su identidad por "
            f"aquí{soon}."
        )
        second = (
            "Su mensaje quedó anotado para nuestro equipo; una persona le ayudará a verificar su identidad por este "
            f"mismo chat{later}."
        )
    else:
        first = (
            f"{closed}Una persona de la clínica ya tiene su conversación y le responderá por aquí{soon}. "
            "Mientras tanto, si desea agendar, cancelar o revisar una cita, puedo ayudarle."
        )
        second = (
            f"Su mensaje quedó anotado para nuestro equipo; una persona le escribirá por este mismo chat{later}. "
            "Si necesita algo de sus citas mientras tanto, dígamelo."
        )
    return (
        first,
        second,
        f"Seguimos aquí. Una persona de la clínica revisará su conversación y le responderá por aquí{later}. "
        f"Si es una emergencia, {call} o acuda a la emergencia más cercana.",
    )


def _when_a_person(opens: str | None) -> tuple[str, str]:
    """When a person answers, after "le responderá por aquí": right after a hand-over ("lo antes posible" while the
    clinic is open) and later on (nothing while it is open); `opens` as in `handoff_waiting`."""
    if opens is None:
        return " lo antes posible", ""
    if opens.startswith("en "):
        return f" {opens}", f" {opens}"
    return f" cuando abramos, {opens}", f" cuando abramos, {opens}"


# The first words of a closing while a person has the conversation, by what the patient said (a thank-you: None).
_HANDOFF_CLOSING_OPENERS: Final[Mapping[SmallTalk, str]] = {
    SmallTalk.ACKNOWLEDGE: "De acuerdo.",
    SmallTalk.LAUGHTER: "😊",
    SmallTalk.COMPLIMENT: "Muy amable.",
    SmallTalk.GOOD_NEWS: "¡Qué buena noticia!",
    SmallTalk.BIRTHDAY: "¡Feliz cumpleaños!",
}


def handoff_closing(kind: SmallTalk | None, opens: str | None) -> tuple[str, str]:
    """A thank-you, an "ok" or a laugh (`kind`; None for thanks or a goodbye) while a person has the conversation:
    a short line that keeps the patient waiting for that person, never a goodbye, for the chat is not over;
    `opens` as in `handoff_waiting`."""
    opener = _HANDOFF_CLOSING_OPENERS.get(kind, "Con gusto.") if kind is not None else "Con gusto."
    _, when = _when_a_person(opens)
    return (
        f"{opener} Una persona de la clínica le responderá por aquí{when}.",
        f"{opener} Nuestro equipo ya tiene su conversación y le escribirá por este mismo chat{when}.",
    )


# While the clinic is open, with no emergency number set.
HANDOFF_WAITING = handoff_waiting(None, None)


def no_medical_advice(number: str | None) -> str:
    """The answer to a question for a diagnosis, a medicine or a dose, with the emergency number if set."""
    call = f"llame al {number}" if number else "llame al número de emergencias"
    return (
        "Por este medio no puedo dar diagnósticos, recomendar medicamentos ni indicar dosis; eso solo lo puede hacer "
        f"un médico después de revisarle. Con gusto le agendo una cita. Si es una emergencia, {call} o acuda a la "
        "emergencia más cercana."
    )


# With no emergency number set.
NO_MEDICAL_ADVICE = no_medical_advice(None)

VERIFICATION_UNAVAILABLE = (
    "En este momento no puedo verificar su identidad ni consultar sus citas. Inténtelo de nuevo en unos minutos, "
    "o escriba «persona» para hablar con nuestro equipo."
)


# Reminders (issue 17): asked once, after a booking or a registration; the answer can change at any time.
REMINDERS_QUESTION = "¿Desea que le enviemos recordatorios de sus citas por WhatsApp? Responda «sí» o «no»."
REMINDERS_ON = (
    "Listo, le enviaremos recordatorios de sus citas por WhatsApp. "
    "Si en algún momento ya no los desea, escriba «no quiero recordatorios»."
)
REMINDERS_DECLINED = "Entendido, no le enviaremos recordatorios. Si cambia de opinión, escriba «quiero recordatorios»."
# Any message like "baja" or "ya no me manden mensajes", from anyone writing from the phone.
REMINDERS_OFF = (
    "Entendido, ya no le enviaremos recordatorios ni avisos de la clínica por WhatsApp. "
    "Usted puede seguir escribiéndonos cuando lo necesite; si cambia de opinión, escriba «quiero recordatorios»."
)

# "Confirmar" typed, or tapped on a reminder whose button lost its payload: which appointment is not known.
CONFIRM_WITHOUT_APPOINTMENT = (
    "Para confirmar su asistencia, toque «Confirmar» en el recordatorio de la cita. "
    "Si desea ver sus citas, escriba «mis citas»."
)


def attendance_confirmed(appointment: str, for_name: str | None = None) -> str:
    """The answer to "Confirmar" on a reminder."""
    expected = f"Esperamos a {for_name}" if for_name else "Le esperamos"
    return f"¡Gracias por confirmar! {expected} el {appointment}."


def attendance_already_confirmed(appointment: str, for_name: str | None = None) -> str:
    """ "Confirmar" tapped again: nothing changes."""
    if for_name:
        return f"La asistencia de {for_name} ya estaba confirmada para el {appointment}."
    return f"Su asistencia ya estaba confirmada para el {appointment}. Le esperamos."


def already_cancelled(appointment: str, for_name: str | None = None) -> str:
    """A reminder's button tapped for an appointment cancelled since."""
    whose = f"La cita de {for_name}" if for_name else "Su cita"
    return f"{whose} del {appointment} ya fue cancelada. Si desea, puedo ayudarle a agendar otra."


def already_past(appointment: str, for_name: str | None = None) -> str:
    """A reminder's button tapped after the appointment's time."""
    whose = f"La cita de {for_name}" if for_name else "Su cita"
    return f"{whose} del {appointment} ya pasó. Si necesita otra, con gusto le ayudo a agendarla."


# --- the waitlist -------------------------------------------------------------------------------------------------


def waitlist_question(what: str, days: str) -> str:
    """Asked when no time offered suits the patient; `what` is "con la Dra. …" or "en Pediatría", `days` "el
    viernes 8 de marzo" or "entre el … y el …"."""
    return f"¿Desea que le avisemos si se libera un horario {what} {days}? Responda «sí» o «no»."


def offer_still_held(slot: str, until: str, for_name: str | None = None) -> str:
    """After an answer to something else while a waitlist offer is open: `slot` "lunes 4 de marzo a las 11:30",
    `until` "09:30"."""
    article = "la" if until.startswith("01:") else "las"
    return f"Sigue guardada para {for_name or 'usted'} la cita del {slot} hasta {article} {until}."


# Before a yes-or-no question asked again.
NOT_UNDERSTOOD_SHORT = "Disculpe, no le entendí."
# After "no hay más temprano" or "ninguno me sirve", next to the times still offered.
WAITLIST_HINT = "Si ninguno le sirve, escriba «lista de espera» y le avisaremos si se libera otro horario."
# Neutral words throughout: the patient's gender is unknown ("quedó anotado", "anotarlo/a" would guess it), and
# "anotarle" is leísmo.
WAITLIST_NOT_JOINED = "Entendido, no entra en la lista de espera. Si necesita algo más, aquí estoy."
WAITLIST_NEEDS_WHAT = (
    "Para la lista de espera necesito saber con qué especialidad o médico desea la cita. "
    "Por ejemplo: «quiero una cita de pediatría»."
)


def waitlist_joined(what: str, days: str, *, already: bool, hold_minutes: int, for_name: str | None = None) -> str:
    """The entry made (or found, `already`); `for_name`: the family member it is for."""
    if for_name is not None:
        said = f"{for_name} ya está en la lista de espera" if already else f"Listo, {for_name} ya tiene su lugar"
    else:
        said = "Ya está en la lista de espera" if already else "Listo, ya tiene su lugar"
    if not already:
        said = f"{said} en la lista de espera"
    return (
        f"{said} para un horario {what} {days}. Si se libera uno, le enviaremos "
        f"un mensaje y se lo guardaremos {hold_minutes} minutos para que lo confirme. "
        "Para salir de la lista, escriba «salir de la lista de espera»."
    )


# A patient who said no to messages asks for the waitlist: asked whether to turn them back on, the request kept.
WAITLIST_CONSENT_AGAIN = (
    "Usted pidió no recibir mensajes de la clínica por WhatsApp, y el aviso de la lista de espera llegaría por ese "
    "medio. ¿Desea volver a recibir avisos y recordatorios de sus citas por WhatsApp? Responda «sí» o «no»."
)
WAITLIST_STILL_NO_MESSAGES = (
    "Entendido, seguiremos sin enviarle mensajes, así que no queda en la lista de espera. "
    "Si cambia de opinión, escriba «quiero recordatorios»."
)
MESSAGES_BACK_ON = (
    "Listo, volveremos a enviarle avisos y recordatorios por WhatsApp. Si ya no los desea, escriba «baja»."
)
WAITLIST_ASK_CONSENT = (
    "Para avisarle necesitamos su permiso para escribirle por WhatsApp. ¿Desea recibir avisos y recordatorios "
    "de sus citas por WhatsApp? Responda «sí» o «no»."
)
WAITLIST_EMPTY = (
    "No está en ninguna lista de espera. Si no encuentra un horario que le sirva, escriba «lista de espera» y le "
    "avisaremos cuando se libere uno."
)


def waitlist_entries(lines: list[str]) -> str:
    listed = "\n".join(lines)
    return f"Está en la lista de espera para una cita:\n{listed}\nPara salir, escriba «salir de la lista de espera»."


def waitlist_left(count: int) -> str:
    if count == 0:
        return "No estaba en ninguna lista de espera."
    return "Listo, salió de la lista de espera. Ya no le avisaremos cuando se libere un horario."


def waitlist_left_without_messages(count: int) -> str:
    """After "baja" or "no" to messages: the `count` waitlist entries of the phone's family ended with them."""
    what = (
        "también salió de la lista de espera"
        if count == 1
        else f"también se quitaron sus {count} anotaciones de la lista de espera"
    )
    return (
        f"Como los avisos de la lista de espera llegan por WhatsApp, {what}: ya no le avisaremos cuando se libere "
        "un horario. Si vuelve a aceptar mensajes, puede anotarse otra vez escribiendo «lista de espera»."
    )


# An offer's button whose offer is not the phone's family's, or no offer at all: the same words, so that nobody learns
# that another patient was offered a slot.
WAITLIST_OFFER_UNKNOWN = (
    "No encuentro esa oferta de horario entre las suyas. Para ver su lista de espera, escriba «mi lista de espera»."
)
_STILL_WAITING = " Sigue en la lista de espera y le avisaremos si se libera otro."


def waitlist_offer_expired(*, waiting: bool) -> str:
    """An offer answered after its hold ran out; `waiting`: its entry still waits for another slot."""
    said = "Lo siento, el tiempo para tomar ese horario terminó y pasó a la siguiente persona de la lista."
    return f"{said}{_STILL_WAITING if waiting else ''}"


def waitlist_offer_withdrawn(*, waiting: bool) -> str:
    """An offer answered after it was withdrawn: the slot was taken meanwhile or can no longer be booked."""
    said = "Lo siento, ese horario ya no está disponible: se ocupó o ya no se puede reservar."
    return f"{said}{_STILL_WAITING if waiting else ''}"


def waitlist_offer_declined_before(*, waiting: bool, left: bool) -> str:
    """An offer answered again after a "no" (or after leaving the list, `left`, which declined it)."""
    if left:
        return "Ese horario ya no está guardado para usted porque salió de la lista de espera."
    said = "Ya respondió «no» a ese horario y pasó a otra persona."
    return f"{said}{_STILL_WAITING if waiting else ''}"


WAITLIST_OFFER_ACCEPTED_BEFORE = (
    "Ya respondió «sí» a ese horario y la cita quedó reservada. Para verla, escriba «mis citas»."
)
WAITLIST_OFFER_TAKEN = (
    "Lo siento, ese horario acaba de ocuparse y no pude reservarlo. Sigue en la lista de espera y le avisaremos "
    "si se libera otro."
)
WAITLIST_OFFER_DECLINED = (
    "Entendido, dejamos ese horario para otra persona. Sigue en la lista de espera y le avisaremos si se libera otro."
)
