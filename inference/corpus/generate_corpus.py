"""Generate ``clinic_dialogues_es.txt``, the Spanish clinic corpus for the offline model.

Run ``python -m inference.corpus.generate_corpus`` (or this file directly) to rewrite the
corpus. The output is a pure function of ``SEED`` and the tables below; the committed text
file is what training reads, so regenerate and commit both together.

Format of the output (parsed by ``inference.offline_model.load_dialogues``):

- lines starting with ``#`` are comments;
- dialogues are separated by one blank line;
- each turn is one line, ``P: `` for the patient and ``A: `` for the assistant,
  alternating and starting with the patient.

The assistant speaks neutral/Bolivian Spanish with "usted", never diagnoses and sends
emergencies to the emergency room.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
N_GENERATED = 360
OUTPUT = Path(__file__).with_name("clinic_dialogues_es.txt")

Turn = tuple[str, str]  # (patient, assistant)

HOURS = "de lunes a viernes de 8:00 a 20:00 y los sábados de 8:00 a 13:00"
ADDRESS = "Av. 6 de Agosto N° 2450, zona Sopocachi, a media cuadra de la plaza Abaroa"
PAYMENT = "en efectivo, con tarjeta de débito o crédito y con pago por QR"


@dataclass(frozen=True)
class Specialty:
    """One clinic service: how patients name it, who attends, what it costs."""

    name: str
    asked_as: tuple[str, ...]
    doctors: tuple[str, ...]
    price_bs: int
    days: str

    @property
    def weekdays(self) -> tuple[str, ...]:
        """The day names in ``days``."""
        if self.days.startswith("de lunes a "):
            last = DAYS.index(self.days.removeprefix("de lunes a "))
            return DAYS[: last + 1]
        return tuple(d for d in DAYS if d in self.days.replace("sábados", "sábado"))


SPECIALTIES = (
    Specialty(
        "medicina general",
        ("medicina general", "el médico general", "un médico general", "consulta general", "un doctor general"),
        ("Dr. Mamani", "Dra. Quispe"),
        80,
        "de lunes a sábado",
    ),
    Specialty(
        "pediatría",
        (
            "pediatría",
            "el pediatra",
            "la pediatra",
            "un pediatra para mi hijo",
            "un doctor para mi bebé",
            "un pediatra para mi hija",
        ),
        ("Dra. Fernández", "Dr. Rojas"),
        120,
        "de lunes a sábado",
    ),
    Specialty(
        "ginecología",
        ("ginecología", "la ginecóloga", "un ginecólogo", "un control ginecológico", "control prenatal"),
        ("Dra. Vargas", "Dra. Choque"),
        150,
        "de lunes a viernes",
    ),
    Specialty(
        "cardiología",
        ("cardiología", "el cardiólogo", "un cardiólogo", "un control del corazón"),
        ("Dr. Gutiérrez", "Dr. Flores"),
        200,
        "martes, jueves y sábados",
    ),
    Specialty(
        "dermatología",
        ("dermatología", "el dermatólogo", "la dermatóloga", "una consulta de la piel"),
        ("Dra. Salazar", "Dr. Condori"),
        150,
        "lunes, miércoles y viernes",
    ),
    Specialty(
        "odontología",
        ("odontología", "el dentista", "el odontólogo", "una limpieza dental", "la dentista"),
        ("Dr. Medina", "Dra. Limachi"),
        100,
        "de lunes a sábado",
    ),
    Specialty(
        "traumatología",
        ("traumatología", "el traumatólogo", "un traumatólogo", "un especialista en huesos"),
        ("Dr. Aguilar", "Dr. Ticona"),
        180,
        "lunes, miércoles y viernes",
    ),
    Specialty(
        "oftalmología",
        ("oftalmología", "el oculista", "el oftalmólogo", "un control de la vista", "la oftalmóloga"),
        ("Dra. Paredes", "Dr. Huanca"),
        150,
        "martes y jueves",
    ),
)

PATIENTS = (
    "María Quispe",
    "Juan Carlos Mamani",
    "Rosa Condori",
    "Luis Fernando Gutiérrez",
    "Ana Lucía Flores",
    "Carla Vargas",
    "Jorge Choque",
    "Patricia Rojas",
    "Wilma Huanca",
    "Marco Antonio Ticona",
    "Silvia Apaza",
    "René Limachi",
    "Gabriela Torrez",
    "Fernando Calle",
    "Noemí Chambi",
    "Daniela Arce",
    "Álvaro Pinto",
    "Lucía Mendoza",
    "Ramiro Cruz",
    "Verónica Aliaga",
    "Sergio Villca",
    "Mónica Laura",
    "Edwin Poma",
    "Elena Copa",
    "Diego Salinas",
    "Jimena Ortiz",
    "Óscar Nina",
    "Paola Saavedra",
)

DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado")
MORNING = ("8:00", "8:30", "9:00", "9:30", "10:00", "10:30", "11:00", "11:30")
AFTERNOON = ("14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "18:00", "18:30")

GREETINGS = (
    ("Hola", "¡Hola! Bienvenido a la clínica. ¿En qué puedo ayudarle?"),
    ("Hola, buenos días", "¡Buenos días! Gracias por escribirnos. ¿En qué puedo ayudarle hoy?"),
    ("Buenos días", "¡Buenos días! Soy el asistente virtual de la clínica. ¿En qué le puedo ayudar?"),
    ("Buen día", "¡Buen día! ¿En qué puedo ayudarle?"),
    ("Buenas tardes", "¡Buenas tardes! Bienvenido a la clínica. ¿En qué puedo ayudarle?"),
    ("Hola, buenas tardes", "¡Buenas tardes! Con gusto le atiendo. ¿Qué necesita?"),
    ("Buenas noches", "¡Buenas noches! Gracias por escribirnos. ¿En qué le puedo ayudar?"),
    ("Hola buenas", "¡Hola, buenas! ¿En qué puedo ayudarle?"),
    ("Holaa", "¡Hola! Bienvenido. ¿En qué puedo ayudarle hoy?"),
    ("Hola, una consulta", "¡Hola! Claro, dígame. ¿En qué puedo ayudarle?"),
    ("Buenos días, señorita", "¡Buenos días! Soy el asistente virtual de la clínica. Dígame, ¿en qué le ayudo?"),
    ("Hola, ¿está atendiendo?", "¡Hola! Sí, estoy para ayudarle. ¿Qué necesita?"),
)

THANKS = (
    ("Gracias", "Con mucho gusto. ¡Que tenga un buen día!"),
    ("Muchas gracias", "A usted. Cualquier consulta, aquí estamos. ¡Cuídese mucho!"),
    ("Muchas gracias, muy amable", "Es un gusto ayudarle. ¡Que le vaya muy bien!"),
    ("Ok, gracias", "De nada. Si necesita algo más, escríbanos."),
    ("Listo, gracias, hasta luego", "¡Hasta luego! Que tenga un excelente día."),
    ("Perfecto, gracias", "Con gusto. ¡Lo esperamos!"),
    ("Gracias señorita", "Con mucho gusto. Estamos para servirle."),
    ("Eso era todo, gracias", "Gracias a usted por escribirnos. ¡Que tenga una linda tarde!"),
    ("Ya, gracias. Chau", "¡Chau! Que tenga un buen día. Cuídese."),
    ("Dios le pague", "Con mucho gusto. ¡Que Dios le bendiga y que tenga un buen día!"),
    ("Gracias por la información", "Con gusto. Cualquier otra duda, aquí estamos para ayudarle."),
)

ASK_APPOINTMENT = (
    "Quiero una cita con {s}",
    "quiero una cita con {s}",
    "Quisiera sacar una ficha para {s}",
    "Necesito una cita con {s}",
    "Quiero agendar una cita para {s}",
    "¿Puedo reservar una cita con {s}?",
    "Hola, quiero una cita con {s}",
    "Me puede dar una ficha para {s}, por favor",
    "Necesito turno con {s}",
    "¿Tienen espacio para {s} esta semana?",
)

ASK_DAY = (
    "Con gusto. ¿Para qué día le gustaría la cita?",
    "Claro que sí. ¿Qué día le queda mejor?",
    "Por supuesto. ¿Para qué día y en qué horario prefiere, mañana o tarde?",
    "Con mucho gusto le ayudo. ¿Qué día desea venir?",
)

SAY_DAY = (
    "Para el {d}",
    "para el {d} si se puede",
    "El {d} en la mañana",
    "El {d} por la tarde",
    "Lo más pronto posible",
    "El {d}, por favor",
    "¿Puede ser el {d}?",
)

NAME_ASK = (
    "Perfecto. ¿Me indica el nombre completo del paciente, por favor?",
    "Muy bien. ¿A nombre de quién registro la cita?",
    "Excelente. Para registrar la cita, ¿me da el nombre completo del paciente?",
)

CONFIRM = (
    "Listo, {n}. Su cita de {s} quedó agendada para el {d} a las {t} con la {doc}. "
    "Le pedimos llegar 15 minutos antes con su carnet de identidad.",
    "Su cita quedó confirmada: {s}, {d} a las {t}, con la {doc}. "
    "Por favor traiga su carnet de identidad y llegue 15 minutos antes.",
    "Gracias, {n}. Le confirmo su cita de {s} para el {d} a las {t}. Le enviaremos un recordatorio un día antes.",
)

SYMPTOMS = (
    "me duele mucho la cabeza hace tres días, qué puedo tomar?",
    "Tengo fiebre y dolor de garganta, ¿qué medicamento me recomienda?",
    "mi hijo tiene tos hace una semana, es grave?",
    "Tengo una mancha en la piel que me pica, ¿qué será?",
    "Me duele la rodilla cuando camino, ¿qué tengo?",
    "Tengo la presión alta, ¿puedo tomar algo?",
    "Mi bebé no quiere comer y está decaído, ¿qué le doy?",
    "Se me nubla la vista a veces, ¿es algo malo?",
    "Tengo dolor de muela muy fuerte, ¿qué pastilla tomo?",
    "tengo diarrea desde ayer que hago",
)

SYMPTOM_TO_SPECIALTY = (
    "medicina general",
    "medicina general",
    "pediatría",
    "dermatología",
    "traumatología",
    "cardiología",
    "pediatría",
    "oftalmología",
    "odontología",
    "medicina general",
)

NO_DIAGNOSIS = (
    "Lamento que se sienta así. Por este medio no puedo dar diagnósticos ni recomendar "
    "medicamentos, pero le sugiero una consulta de {s}. ¿Desea que le agende una cita? "
    "Si los síntomas empeoran, acuda a emergencias.",
    "Entiendo su preocupación. No puedo darle un diagnóstico por WhatsApp; lo mejor es que "
    "le revise un profesional de {s}. ¿Le reservo una cita? Si se siente muy mal, acuda "
    "de inmediato a emergencias.",
    "Siento mucho lo que está pasando. Solo un médico puede evaluarle y recetarle. Le "
    "recomiendo una consulta de {s}; puedo agendarla ahora mismo si gusta. Ante cualquier "
    "señal de alarma, acuda a emergencias.",
)

EMERGENCIES = (
    "Mi papá tiene un dolor fuerte en el pecho y le cuesta respirar",
    "Mi hijo se cayó y está sangrando mucho de la cabeza",
    "Mi esposa se desmayó y no reacciona",
    "Tengo un dolor muy fuerte en el pecho",
    "Es urgente, mi bebé tiene convulsiones",
    "Tuve un accidente y creo que me fracturé el brazo",
)

EMERGENCY_REPLIES = (
    "Esto puede ser una emergencia. Por favor acuda de inmediato a emergencias o llame a "
    "una ambulancia. No espere una cita. Nuestra sala de emergencias atiende las 24 horas.",
    "Por favor, no espere: acuda ahora mismo a emergencias o llame a una ambulancia. "
    "Nuestro servicio de emergencias está abierto las 24 horas en la {a}.",
    "Es importante que reciba atención inmediata. Diríjase a emergencias lo antes posible "
    "o pida una ambulancia. Atendemos emergencias las 24 horas.",
)

HOURS_Q = (
    "a qué hora atienden?",
    "¿A qué hora atienden?",
    "¿Cuál es su horario de atención?",
    "¿Atienden los sábados?",
    "Hasta qué hora están abiertos?",
    "¿Atienden los domingos?",
    "que horario tienen",
    "¿Están abiertos hoy?",
)

HOURS_A = (
    "Atendemos " + HOURS + ". Emergencias funciona las 24 horas, todos los días.",
    "Nuestro horario es " + HOURS + ". Los domingos y feriados solo atiende emergencias.",
    "Con gusto: atendemos consultas " + HOURS + ". El servicio de emergencias está abierto las 24 horas.",
)

DIRECTIONS_Q = (
    "¿Dónde están ubicados?",
    "Cuál es la dirección?",
    "¿Dónde queda la clínica?",
    "como llego a la clinica",
    "¿Tienen parqueo?",
    "¿Qué minibús me deja cerca?",
)

DIRECTIONS_A = (
    "Estamos en la " + ADDRESS + ". Si desea, le envío la ubicación por WhatsApp.",
    "Nuestra dirección es " + ADDRESS + ". Contamos con parqueo para pacientes.",
    "Nos encuentra en la " + ADDRESS + ". Los minibuses que van por la 6 de Agosto le "
    "dejan a una cuadra. También tenemos parqueo.",
)

PRICE_Q = (
    "¿Cuánto cuesta la consulta de {s}?",
    "cuanto cobran por {s}",
    "¿Qué precio tiene la consulta con {s}?",
    "¿Cuánto sale una consulta de {s}?",
)

PRICE_A = (
    "La consulta de {s} cuesta Bs {p}. Puede pagar " + PAYMENT + ".",
    "El costo de la consulta de {s} es de Bs {p}. Aceptamos pagos " + PAYMENT + ".",
    "La consulta de {s} tiene un costo de Bs {p}. ¿Desea que le agende una cita?",
)

INSURANCE_Q = (
    "¿Aceptan seguro?",
    "Trabajan con seguros privados?",
    "¿Atienden con la Caja?",
    "Tengo seguro de mi trabajo, ¿me lo aceptan?",
    "¿El seguro cubre la consulta?",
)

INSURANCE_A = (
    "Trabajamos con varios seguros privados. Por favor indíqueme el nombre de su seguro y "
    "le confirmo si tenemos convenio.",
    "Sí, tenemos convenio con algunos seguros de salud. Traiga su carnet de asegurado y su "
    "carnet de identidad; en recepción verifican la cobertura.",
    "No somos un centro de la Caja, pero atendemos con varios seguros privados. ¿Cuál es "
    "su seguro? Le confirmo la cobertura.",
)

INSURANCE_FOLLOW = (
    (
        "Es un seguro de salud de la empresa donde trabajo",
        "Gracias. En recepción verificarán la cobertura con su carnet de asegurado. Si el "
        "seguro no cubre la consulta, también puede pagarla de forma particular.",
    ),
    (
        "No sé el nombre exacto, lo tengo que revisar",
        "No se preocupe. Cuando lo tenga, escríbanos el nombre del seguro y le confirmamos.",
    ),
    (
        "Ok, entonces llevo mi carnet de asegurado",
        "Exacto. Traiga su carnet de asegurado y su carnet de identidad, por favor.",
    ),
)

SPECIALTIES_Q = (
    "¿Qué especialidades tienen?",
    "que especialidades atienden",
    "¿Tienen cardiólogo?",
    "¿Hay dermatólogo?",
    "¿Con qué especialistas cuentan?",
)

SPECIALTIES_A = (
    "Contamos con medicina general, pediatría, ginecología, cardiología, dermatología, "
    "odontología, traumatología y oftalmología. ¿Con cuál le gustaría agendar una cita?",
    "Tenemos medicina general, pediatría, ginecología, cardiología, dermatología, "
    "odontología, traumatología y oftalmología. ¿En cuál está interesado?",
)

SCHEDULE_Q = (
    "¿Qué días atiende {s}?",
    "Qué días hay {s}?",
    "¿Cuándo atiende {s}?",
)

SCHEDULE_A = (
    "{S} atiende {w}. ¿Desea que le reserve una cita?",
    "La consulta de {s} está disponible {w}. ¿Le agendo una cita?",
)

RESULTS = (
    (
        "¿Ya están mis resultados de laboratorio?",
        "Para revisar sus resultados necesito su nombre completo y número de carnet. Por "
        "privacidad, los resultados se entregan en laboratorio o por correo al paciente.",
    ),
    (
        "Quiero recoger mis análisis",
        "Puede recogerlos en laboratorio " + HOURS + ". Traiga su carnet de identidad, por favor.",
    ),
    (
        "¿Cuánto tardan los resultados de sangre?",
        "Los análisis de sangre de rutina suelen estar listos en 24 a 48 horas. Le avisaremos "
        "por WhatsApp cuando estén disponibles.",
    ),
    (
        "¿Tengo que ir en ayunas para el análisis?",
        "Para la mayoría de los análisis de sangre se pide un ayuno de 8 horas. Si tiene una "
        "orden médica, siga las indicaciones de su médico o consúltenos con la orden.",
    ),
)

CANCEL = (
    (
        "Quiero cancelar mi cita de mañana",
        "Claro. ¿Me indica el nombre del paciente para ubicar la cita?",
        "Listo, su cita fue cancelada. Si desea reprogramarla, escríbanos cuando guste.",
    ),
    (
        "Necesito cambiar mi cita para otro día",
        "Con gusto. ¿Me da el nombre del paciente y el día que prefiere?",
        "Hecho. Su cita quedó reprogramada. Le enviaremos un recordatorio un día antes.",
    ),
    (
        "No voy a poder ir a mi cita del {d}",
        "No se preocupe. ¿A nombre de quién está la cita? Así la cancelo o la cambio de día.",
        "Gracias por avisar. Cancelé su cita del {d}. Cuando quiera, le ayudo a agendar una nueva.",
    ),
)

SMALL_TALK = (
    ("¿Cómo está?", "Muy bien, gracias por preguntar. ¿En qué puedo ayudarle hoy?"),
    (
        "¿Eres un robot?",
        "Soy el asistente virtual de la clínica. Puedo ayudarle con citas, horarios, precios "
        "y ubicación. Si prefiere hablar con una persona, le comunico con recepción.",
    ),
    (
        "¿Con quién hablo?",
        "Habla con el asistente virtual de la clínica. Estoy para ayudarle con sus citas y consultas generales.",
    ),
    (
        "Qué frío hace hoy",
        "Sí, está haciendo frío. Abríguese bien, por favor. ¿Le puedo ayudar con algo de la clínica?",
    ),
    ("Disculpe la hora", "No se preocupe, estamos para ayudarle. ¿Qué necesita?"),
    (
        "Quiero hablar con una persona",
        "Con gusto. Le comunico con recepción; en unos minutos le escribirá una persona de nuestro equipo.",
    ),
    ("¿Puedo pagar con QR?", "Sí, aceptamos pagos " + PAYMENT + "."),
    (
        "¿Hacen consultas virtuales?",
        "Sí, tenemos teleconsulta para algunas especialidades. ¿Con qué especialidad le gustaría una consulta virtual?",
    ),
    (
        "¿Necesito llevar algo a la consulta?",
        "Solo su carnet de identidad y, si tiene, sus estudios o recetas anteriores. Le "
        "pedimos llegar 15 minutos antes.",
    ),
    (
        "¿Mi hijo menor de edad puede ir solo?",
        "Los pacientes menores de edad deben venir acompañados de su madre, padre o tutor.",
    ),
    ("¿Tienen farmacia?", "Sí, contamos con farmacia dentro de la clínica, abierta " + HOURS + "."),
)

# Hand-written dialogues: patient and assistant turns alternate, patient first.
HANDWRITTEN: tuple[tuple[str, ...], ...] = (
    (
        "Hola, buenos días",
        "¡Buenos días! Gracias por escribir a la clínica. ¿En qué puedo ayudarle hoy?",
        "quiero una cita con el pediatra para mi hijita de 3 años",
        "Con mucho gusto. ¿Para qué día le gustaría la cita?",
        "mañana en la mañana si se puede",
        "Mañana tenemos disponible a las 9:00 y a las 10:30 con la Dra. Fernández. ¿Cuál prefiere?",
        "a las 9 por favor",
        "Perfecto. ¿Me indica el nombre completo de la niña?",
        "Valentina Mamani Quispe",
        "Listo. La cita de pediatría para Valentina quedó agendada para mañana a las 9:00 "
        "con la Dra. Fernández. Traigan su carnet de vacunas, por favor.",
        "muchas gracias",
        "Con mucho gusto. ¡Que tengan un lindo día!",
    ),
    (
        "a qué hora atienden?",
        "Atendemos " + HOURS + ". Emergencias funciona las 24 horas.",
        "y el domingo?",
        "Los domingos solo atiende el servicio de emergencias. Las consultas externas son de lunes a sábado.",
        "ok gracias",
        "De nada. ¡Que tenga un buen día!",
    ),
    (
        "Buenas noches, mi mamá tiene mucho dolor de estómago y vómitos",
        "Lamento mucho escuchar eso. Si el dolor es muy fuerte o no para, por favor acuda "
        "de inmediato a emergencias; atendemos las 24 horas. No puedo dar diagnósticos por "
        "este medio.",
        "ya estamos yendo, gracias",
        "Muy bien. Que se mejore pronto su mamá. Aquí estamos para lo que necesiten.",
    ),
    (
        "Hola, cuanto cuesta la consulta con el cardiologo?",
        "¡Hola! La consulta de cardiología cuesta Bs 200. Puede pagar " + PAYMENT + ".",
        "y hacen electrocardiograma ahí mismo?",
        "Sí, el electrocardiograma se realiza en la clínica si el cardiólogo lo indica durante la consulta.",
        "ya, y qué días atiende?",
        "Cardiología atiende martes, jueves y sábados. ¿Le agendo una cita?",
        "sí, el jueves en la tarde",
        "Para el jueves tenemos a las 15:30 y a las 17:00 con el Dr. Gutiérrez. ¿Cuál le queda mejor?",
        "15:30",
        "Perfecto. ¿A nombre de quién registro la cita?",
        "Jorge Choque",
        "Listo, Jorge. Su cita de cardiología quedó para el jueves a las 15:30 con el Dr. "
        "Gutiérrez. Llegue 15 minutos antes, por favor.",
    ),
    (
        "Hola! Soy de El Alto, ¿cómo llego a la clínica?",
        "¡Hola! Estamos en la " + ADDRESS + ". Desde El Alto puede tomar el teleférico hasta "
        "el centro y luego un minibús por la 6 de Agosto.",
        "gracias, muy amable",
        "Con gusto. ¡Le esperamos! Si quiere, le envío la ubicación por WhatsApp.",
        "sí, mándeme por favor",
        "Claro, en un momento le envío la ubicación. ¡Buen viaje!",
    ),
    (
        "Necesito un certificado médico para mi trabajo",
        "Con gusto. El certificado médico lo emite el médico después de una consulta de "
        "medicina general. ¿Desea que le agende una cita?",
        "sí, para hoy si hay",
        "Hoy tenemos un espacio a las 16:00 con el Dr. Mamani. ¿Le sirve?",
        "perfecto",
        "Listo. ¿Me da su nombre completo, por favor?",
        "Edwin Poma",
        "Gracias, Edwin. Su cita de medicina general es hoy a las 16:00. Traiga su carnet de identidad.",
    ),
    (
        "¿Me puede decir qué enfermedad tengo? Me sale sangre de la nariz seguido",
        "Entiendo su preocupación. Por este medio no puedo dar diagnósticos. Le recomiendo "
        "una consulta de medicina general para que le evalúen. Si el sangrado no se detiene, "
        "acuda a emergencias.",
        "bueno, deme una cita entonces",
        "Con gusto. ¿Qué día le queda mejor?",
        "el lunes",
        "El lunes tenemos a las 8:30 y a las 11:00 con la Dra. Quispe. ¿Cuál prefiere?",
        "8:30",
        "Perfecto. ¿A nombre de quién registro la cita?",
        "Sergio Villca",
        "Listo, Sergio. Su cita quedó para el lunes a las 8:30 con la Dra. Quispe.",
        "gracias",
        "A usted. ¡Que se mejore!",
    ),
    (
        "Buenos días, hacen ecografías?",
        "¡Buenos días! Sí, realizamos ecografías con orden médica. ¿Tiene una orden de su médico?",
        "si, del ginecólogo",
        "Perfecto. Las ecografías se atienden de lunes a viernes en la mañana. ¿Desea que le reserve un horario?",
        "el miércoles a las 10",
        "Listo, le reservé el miércoles a las 10:00. Traiga su orden y su carnet de identidad, por favor.",
    ),
    (
        "¿Atienden a bebés recién nacidos?",
        "Sí, nuestra área de pediatría atiende a recién nacidos, niños y adolescentes. ¿Desea una cita para su bebé?",
        "sí, es su primer control",
        "¡Felicidades! ¿Para qué día le gustaría el control?",
        "el viernes",
        "El viernes tenemos a las 9:30 y a las 15:00 con el Dr. Rojas. ¿Cuál prefiere?",
        "9:30",
        "Listo. Su cita de pediatría quedó para el viernes a las 9:30. Traiga el carnet de vacunas del bebé.",
        "gracias señorita",
        "Con mucho gusto. ¡Un abrazo para el bebé!",
    ),
    (
        "hola",
        "¡Hola! Bienvenido a la clínica. ¿En qué puedo ayudarle?",
        "solo quería saludar jaja",
        "¡Qué amable! Gracias por escribirnos. Si necesita una cita o información, aquí estamos.",
    ),
    (
        "Hola, buenas tardes",
        "¡Buenas tardes! ¿En qué puedo ayudarle?",
        "tienen oftalmólogo? necesito lentes",
        "Sí, contamos con oftalmología los martes y jueves. La consulta cuesta Bs 150. ¿Le agendo una cita?",
        "el martes",
        "El martes tenemos a las 10:00 y a las 16:30 con la Dra. Paredes. ¿Cuál le queda mejor?",
        "16:30",
        "Perfecto. ¿Me indica su nombre completo?",
        "Mónica Laura",
        "Listo, Mónica. Su cita de oftalmología quedó para el martes a las 16:30 con la Dra. Paredes.",
        "gracias, hasta luego",
        "¡Hasta luego! Que tenga una linda tarde.",
    ),
    (
        "Mi abuelita necesita un médico a domicilio",
        "Entiendo. Por el momento no contamos con atención a domicilio. Si es una "
        "emergencia, acuda a emergencias o llame a una ambulancia. Si no es urgente, "
        "podemos agendarle una consulta en la clínica.",
        "no es urgente, es un control",
        "Muy bien. ¿Qué día le queda mejor para traerla?",
        "el sábado en la mañana",
        "El sábado tenemos a las 9:00 con el Dr. Mamani. Contamos con silla de ruedas en la entrada si la necesita.",
        "perfecto, gracias",
        "Con gusto. ¡Le esperamos el sábado!",
    ),
    (
        "¿Cuánto cuesta una limpieza dental?",
        "La consulta de odontología cuesta Bs 100. La limpieza dental tiene un costo "
        "adicional que el odontólogo le indicará en la consulta.",
        "y sacar una muela?",
        "El costo depende de la evaluación del odontólogo. Le recomiendo una consulta "
        "primero. ¿Desea que le agende una?",
        "mejor después le escribo",
        "Claro que sí. Cuando guste, aquí estamos. ¡Que tenga un buen día!",
    ),
    (
        "Holaa, buenas noches. ¿Atienden ahora?",
        "¡Buenas noches! Las consultas externas ya cerraron; atendemos " + HOURS + ". "
        "Emergencias está abierto las 24 horas.",
        "no es emergencia, quiero una ficha para mañana",
        "Con gusto. ¿Con qué especialidad desea la cita?",
        "medicina general",
        "Mañana tenemos medicina general a las 8:00 y a las 11:30. ¿Cuál prefiere?",
        "a las 8",
        "Listo. ¿A nombre de quién registro la cita?",
        "Paola Saavedra",
        "Gracias, Paola. Su cita de medicina general quedó para mañana a las 8:00.",
    ),
    (
        "¿Ustedes me pueden recetar antibióticos por aquí?",
        "Lo siento, por WhatsApp no podemos recetar medicamentos ni dar diagnósticos. Un "
        "médico debe evaluarle en consulta. ¿Le agendo una cita de medicina general?",
        "ya, está bien",
        "¿Qué día le queda mejor?",
        "hoy en la tarde",
        "Hoy tenemos un espacio a las 17:00 con la Dra. Quispe. ¿Le sirve?",
        "sí",
        "Perfecto. ¿Me indica su nombre completo?",
        "Diego Salinas",
        "Listo, Diego. Su cita quedó para hoy a las 17:00 con la Dra. Quispe.",
    ),
    (
        "Hola, estoy embarazada de 8 semanas y quiero hacer mi control",
        "¡Felicidades! Con gusto le agendo un control prenatal con ginecología. ¿Qué día prefiere?",
        "el lunes",
        "El lunes tenemos a las 10:00 y a las 15:30 con la Dra. Vargas. ¿Cuál le queda mejor?",
        "a las 10",
        "Perfecto. ¿Me indica su nombre completo?",
        "Jimena Ortiz",
        "Listo, Jimena. Su control prenatal quedó para el lunes a las 10:00 con la Dra. "
        "Vargas. Si tiene sangrado o dolor fuerte antes de la cita, acuda a emergencias.",
        "gracias!!",
        "Con mucho gusto. ¡Cuídese mucho!",
    ),
    (
        "Buenas, en cuánto tiempo me atienden si voy sin cita?",
        "Puede venir sin cita, pero le atenderemos según disponibilidad y la espera puede ser "
        "larga. Le recomiendo agendar una cita por aquí. ¿Desea que le ayude?",
        "sí mejor",
        "Con gusto. ¿Con qué especialidad?",
        "traumatología",
        "Traumatología atiende lunes, miércoles y viernes. ¿Qué día le queda mejor?",
        "miércoles",
        "El miércoles tenemos a las 14:30 con el Dr. Aguilar. ¿Le sirve?",
        "sí, perfecto",
        "Listo. ¿A nombre de quién registro la cita?",
        "Ramiro Cruz",
        "Gracias, Ramiro. Su cita de traumatología quedó para el miércoles a las 14:30.",
    ),
    (
        "Buenos días. ¿Puedo llevar a mi perrito?",
        "¡Buenos días! Lo siento, por higiene no se permite el ingreso de mascotas, salvo perros de asistencia.",
        "ah ok, entendido",
        "Gracias por su comprensión. ¿Le puedo ayudar con algo más?",
        "no, eso era todo",
        "Perfecto. ¡Que tenga un excelente día!",
    ),
    (
        "¿Dan factura?",
        "Sí, emitimos factura por todas las consultas y estudios. Solo indique su NIT o carnet de identidad al pagar.",
        "ok, gracias",
        "Con gusto. ¡Que tenga un buen día!",
    ),
    (
        "hola tengo mucha tos y fiebre alta hace 4 días",
        "Lamento que se sienta así. No puedo darle un diagnóstico por este medio. Si tiene "
        "dificultad para respirar o la fiebre no baja, acuda de inmediato a emergencias. Si "
        "no, puedo agendarle una cita de medicina general hoy mismo.",
        "si por favor hoy",
        "Hoy tenemos a las 15:00 con el Dr. Mamani. ¿Le sirve?",
        "sí",
        "Listo. ¿Me indica su nombre completo?",
        "Elena Copa",
        "Gracias, Elena. Su cita quedó para hoy a las 15:00. Use barbijo al venir, por favor. ¡Que se mejore!",
    ),
)


def casual(text: str, rng: random.Random) -> str:
    """Write a patient message the way many people type on WhatsApp."""
    style = rng.random()
    if style < 0.55:
        return text
    out = text.replace("¿", "").replace("¡", "")
    if style < 0.8:
        return out[:1].lower() + out[1:]
    out = out.lower()
    if style < 0.92:
        decomposed = unicodedata.normalize("NFD", out)
        out = "".join(c for c in decomposed if unicodedata.category(c) != "Mn" or c == "\u0303")
        out = unicodedata.normalize("NFC", out)
    return out.rstrip(".")


def pick_times(rng: random.Random, day: str, day_phrase: str) -> tuple[str, str]:
    """Two distinct free slots, morning or afternoon depending on what was asked."""
    pool: tuple[str, ...]
    if day == "sábado":
        pool = MORNING
    elif "tarde" in day_phrase:
        pool = AFTERNOON
    elif "mañana" in day_phrase:
        pool = MORNING
    else:
        pool = MORNING + AFTERNOON
    first, second = sorted(rng.sample(range(len(pool)), 2))
    return pool[first], pool[second]


def with_doctor(template: str, doctor: str) -> str:
    """Fix the article in templates written as ``la {doc}`` for male doctors."""
    if doctor.startswith("Dr. "):
        template = template.replace("la {doc}", "el {doc}")
    return template.replace("{doc}", doctor)


def booking(rng: random.Random, spec: Specialty, opener: str | None) -> list[Turn]:
    """A full appointment-booking exchange."""
    asked_as = rng.choice(spec.asked_as)
    ask = rng.choice(ASK_APPOINTMENT).format(s=asked_as)
    if opener is not None:
        lead = 1 if ask.startswith("¿") else 0
        ask = f"{opener}, {ask[:lead]}{ask[lead].lower()}{ask[lead + 1 :]}"
    day = rng.choice(spec.weekdays)
    said = rng.choice(SAY_DAY).format(d=day)
    if day == "sábado" and "tarde" in said:
        said = said.replace("por la tarde", "en la mañana")
    t1, t2 = pick_times(rng, day, said)
    doctors = [d for d in spec.doctors if asked_as.startswith("la ") == d.startswith("Dra.")]
    doctor = rng.choice(doctors if asked_as.startswith(("el ", "la ")) and doctors else spec.doctors)
    if said == "Lo más pronto posible":
        offer = with_doctor(
            f"Lo más pronto que tenemos es el {day} a las {t1} o a las {t2} con la {{doc}}. ¿Cuál prefiere?",
            doctor,
        )
    else:
        offer = with_doctor(
            f"Para el {day} tenemos disponible a las {t1} y a las {t2} con la {{doc}}. ¿Cuál le queda mejor?",
            doctor,
        )
    chosen = rng.choice((t1, t2))
    pick = rng.choice((f"A las {chosen}, por favor", f"{chosen}", f"la de las {chosen}", f"A las {chosen} está bien"))
    patient = rng.choice(PATIENTS)
    first_name = patient.split()[0]
    confirm = with_doctor(rng.choice(CONFIRM), doctor).format(n=first_name, s=spec.name, d=day, t=chosen)
    return [
        (ask, rng.choice(ASK_DAY)),
        (said, offer),
        (pick, rng.choice(NAME_ASK)),
        (patient, confirm),
    ]


def symptom(rng: random.Random) -> list[Turn]:
    """A patient asks for a diagnosis; the assistant declines and offers a visit."""
    index = rng.randrange(len(SYMPTOMS))
    spec_name = SYMPTOM_TO_SPECIALTY[index]
    spec = next(s for s in SPECIALTIES if s.name == spec_name)
    turns = [(SYMPTOMS[index], rng.choice(NO_DIAGNOSIS).format(s=spec_name))]
    if rng.random() < 0.6:
        follow = booking(rng, spec, None)
        follow[0] = (
            rng.choice(("sí, por favor", "Sí, deme una cita", "ya, agéndeme", "Sí, quiero la cita")),
            follow[0][1],
        )
        turns.extend(follow)
    else:
        turns.append(
            (
                rng.choice(("Ok, gracias", "Bueno, lo voy a pensar", "ya, entiendo")),
                "Está bien. Si necesita la cita o tiene otra consulta, escríbanos. ¡Que se mejore!",
            )
        )
    return turns


def emergency(rng: random.Random) -> list[Turn]:
    """Emergencies are never booked: go to the emergency room now."""
    reply = rng.choice(EMERGENCY_REPLIES).format(a=ADDRESS)
    turns = [(rng.choice(EMERGENCIES), reply)]
    if rng.random() < 0.5:
        turns.append(
            (
                "¿Dónde queda emergencias?",
                f"Emergencias está en la {ADDRESS}, con entrada propia. Atendemos las 24 "
                "horas. Si no puede trasladarse, llame a una ambulancia.",
            )
        )
    return turns


def hours(rng: random.Random) -> list[Turn]:
    """Opening hours."""
    return [(rng.choice(HOURS_Q), rng.choice(HOURS_A))]


def directions(rng: random.Random) -> list[Turn]:
    """Where the clinic is."""
    return [(rng.choice(DIRECTIONS_Q), rng.choice(DIRECTIONS_A))]


def price(rng: random.Random) -> list[Turn]:
    """Price of a consultation, sometimes followed by a booking."""
    spec = rng.choice(SPECIALTIES)
    question = rng.choice(PRICE_Q).format(s=rng.choice(spec.asked_as))
    turns = [(question, rng.choice(PRICE_A).format(s=spec.name, p=spec.price_bs))]
    if rng.random() < 0.4:
        turns.extend(booking(rng, spec, None))
    return turns


def insurance(rng: random.Random) -> list[Turn]:
    """Insurance coverage questions."""
    turns = [(rng.choice(INSURANCE_Q), rng.choice(INSURANCE_A))]
    if rng.random() < 0.6:
        turns.append(rng.choice(INSURANCE_FOLLOW))
    return turns


def specialties(rng: random.Random) -> list[Turn]:
    """Which specialties exist, often followed by a booking."""
    turns = [(rng.choice(SPECIALTIES_Q), rng.choice(SPECIALTIES_A))]
    spec = rng.choice(SPECIALTIES)
    if rng.random() < 0.5:
        turns.extend(booking(rng, spec, None))
    else:
        question = rng.choice(SCHEDULE_Q).format(s=spec.name)
        answer = rng.choice(SCHEDULE_A).format(S=spec.name.capitalize(), s=spec.name, w=spec.days)
        turns.append((question, answer))
    return turns


def results(rng: random.Random) -> list[Turn]:
    """Lab results and preparation."""
    return [rng.choice(RESULTS)]


def cancel(rng: random.Random) -> list[Turn]:
    """Cancel or reschedule an appointment."""
    ask, reply, done = rng.choice(CANCEL)
    day = rng.choice(DAYS)
    return [(ask.format(d=day), reply), (rng.choice(PATIENTS), done.format(d=day))]


def small_talk(rng: random.Random) -> list[Turn]:
    """Small talk and misc questions."""
    return [rng.choice(SMALL_TALK)]


TOPICS: tuple[tuple[Callable[[random.Random], list[Turn]], int], ...] = (
    (symptom, 3),
    (emergency, 2),
    (hours, 3),
    (directions, 2),
    (price, 3),
    (insurance, 2),
    (specialties, 2),
    (results, 1),
    (cancel, 2),
    (small_talk, 2),
)


def generated_dialogue(rng: random.Random) -> list[str]:
    """One random dialogue: greeting, one or two topics, maybe thanks."""
    turns: list[Turn] = []
    greeting = rng.choice(GREETINGS)
    merged_greeting = False
    if rng.random() < 0.45:
        spec = rng.choice(SPECIALTIES)
        if rng.random() < 0.5 or "?" in greeting[0]:
            turns.append(greeting)
            turns.extend(booking(rng, spec, None))
        else:
            merged_greeting = True
            turns.extend(booking(rng, spec, greeting[0]))
    else:
        if rng.random() < 0.6:
            turns.append(greeting)
        funcs = [f for f, _ in TOPICS]
        weights = [w for _, w in TOPICS]
        for topic in rng.choices(funcs, weights=weights, k=rng.choice((1, 1, 2))):
            turns.extend(topic(rng))
    if not merged_greeting and rng.random() < 0.1:
        turns.extend(small_talk(rng))
    if rng.random() < 0.75:
        turns.append(rng.choice(THANKS))
    lines: list[str] = []
    for patient, assistant in turns:
        lines.append(casual(patient, rng))
        lines.append(assistant)
    return lines


def render(dialogues: list[list[str]]) -> str:
    """The corpus text, in the format described in the module docstring."""
    header = (
        "# Spanish clinic WhatsApp dialogues for the offline DialoGPT-format model.\n"
        "# Generated by inference/corpus/generate_corpus.py (do not edit by hand).\n"
        "# Format: dialogues separated by a blank line; 'P: ' patient, 'A: ' assistant,\n"
        "# alternating and starting with the patient.\n"
    )
    blocks = []
    for dialogue in dialogues:
        blocks.append("\n".join(("P: " if i % 2 == 0 else "A: ") + turn for i, turn in enumerate(dialogue)))
    return header + "\n" + "\n\n".join(blocks) + "\n"


def build() -> str:
    """Hand-written dialogues followed by ``N_GENERATED`` generated ones."""
    rng = random.Random(SEED)  # noqa: S311  # reproducible text, not security
    dialogues = [list(d) for d in HANDWRITTEN]
    seen = {tuple(d) for d in dialogues}
    while len(dialogues) < len(HANDWRITTEN) + N_GENERATED:
        dialogue = generated_dialogue(rng)
        if tuple(dialogue) not in seen:
            seen.add(tuple(dialogue))
            dialogues.append(dialogue)
    return render(dialogues)


def main() -> None:
    """Write the corpus next to this file (or to the path given as first argument)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    text = build()
    target.write_text(text, encoding="utf-8")
    count = text.count("\n\n")
    print(f"wrote {target} ({len(text.encode('utf-8'))} bytes, {count} dialogues)")


if __name__ == "__main__":
    main()
