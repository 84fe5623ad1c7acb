"""Checking model replies before they reach a patient, and spotting requests for medical advice:
pure, fast unit tests on DialoGPT-style outputs and WhatsApp messages written for them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.conversation import replies
from gateway.conversation.reply_check import (
    Verdict,
    asks_for_medical_advice,
    check_generated,
    is_impersonal,
    unknown_words,
)

PATIENT = "Rosa Mamani"
DOCTORS = ("Dra. Carmen Quispe", "Dr. Juan Mamani", "Dra. Ana Rojas", "Dr. Luis Paz")
ALLOWED = (PATIENT, *DOCTORS)


def check(text: str) -> Verdict:
    return check_generated(text, allowed_names=ALLOWED)


SENDABLE = [
    # greetings and small talk
    "¡Hola! ¿En qué puedo ayudarle?",
    "De nada, que tenga buen día.",
    "¡Buenos días! Gracias por escribir a la clínica. ¿En qué puedo ayudarle?",
    "Buenas tardes, ¿cómo está?",
    "Con mucho gusto.",
    "Perfecto.",
    "Claro, con gusto le ayudo.",
    "Estoy bien, gracias por preguntar. ¿Y usted?",
    "Muy bien, ¿y usted cómo se encuentra?",
    "¡Que tenga un lindo día!",
    "Gracias a usted por escribirnos.",
    "Hasta luego, cuídese mucho.",
    "No hay de qué, aquí estamos para lo que necesite.",
    "Entiendo. ¿Desea que le ayude con algo más?",
    "Lamento escuchar eso. Espero que se mejore pronto.",
    "Qué bueno saberlo. ¿Hay algo más en lo que le pueda ayudar?",
    "Jaja, claro que sí. ¿En qué más le ayudo?",
    "Me alegra mucho. Le esperamos.",
    "Gracias, Rosa. Que tenga una linda tarde.",
    # clinic talk
    "Le recomiendo agendar una cita con el médico para que le revise.",
    "Puede tomar el teleférico hasta el centro y luego un minibús.",
    "Para el análisis de sangre debe venir en ayunas.",
    "Traiga su carnet de identidad y, si tiene, sus recetas anteriores.",
    "Solo un médico puede evaluarle y recetarle. ¿Le agendo una cita de medicina general?",
    "Por este medio no puedo dar diagnósticos ni recomendar medicamentos. Si empeora, acuda a emergencias.",
    "Lo siento, por WhatsApp no podemos recetar medicamentos. Un médico debe evaluarle en consulta.",
    "Le recomendamos no automedicarse; es mejor que le vea un médico.",
    "Si tiene dificultad para respirar, acuda de inmediato a emergencias.",
    "¿Tiene alergia a algún medicamento? Lo anotamos para el médico.",
    "Puede comprar sus medicamentos en la farmacia de la clínica, en planta baja.",
    "Sus resultados se entregan en un sobre cerrado.",
]

UNSENDABLE: list[tuple[str, str]] = [
    # nothing to send
    ("", "empty"),
    ("   \n ", "empty"),
    ("...", "empty"),
    ("¿?¡!", "empty"),
    # not Spanish
    ("Hello! How can I help you today?", "not_spanish"),
    ("I'm fine, thank you. What about you?", "not_spanish"),
    ("Thanks for your message, see you tomorrow.", "not_spanish"),
    ("Olá! Como posso ajudar você hoje?", "not_spanish"),
    ("Obrigado pela mensagem, tudo bem com você?", "not_spanish"),
    ("Não sei, mas vou verificar isso para você.", "not_spanish"),
    ("asdf qwer zxcv", "not_spanish"),
    ("Hola xjdk qpwl zzrt mmnb", "not_spanish"),
    ("lol ok brb", "not_spanish"),
    ("15:30", "not_spanish"),
    ("Bonjour, comment puis-je vous aider?", "not_spanish"),
    # loops
    ("gracias gracias gracias", "repetitive"),
    ("Gracias, gracias, gracias, gracias.", "repetitive"),
    ("jajaja jajaja jajaja", "not_spanish"),
    ("Muchas gracias muchas gracias por escribir", "repetitive"),
    ("Que tenga un buen día que tenga un buen día", "repetitive"),
    ("¿En qué puedo ayudarle? ¿En qué puedo ayudarle?", "repetitive"),
    ("Claro. Le esperamos mañana. Claro. Le esperamos mañana.", "repetitive"),
    ("la cita la cita para el lunes, la cita para el martes y la cita para el viernes", "repetitive"),
    ("Sí, sí, sí, claro que sí.", "repetitive"),
    ("de la de la clínica", "repetitive"),
    (
        "le esperamos en la clínica con su carnet y luego le esperamos en la clínica con su carnet otra vez",
        "repetitive",
    ),
    ("no no no no no", "repetitive"),
    # contact details
    ("Escríbanos a citas@clinica.com.bo y le respondemos.", "contact_details"),
    ("Puede ver los horarios en www.clinicasalud.bo", "contact_details"),
    ("Agende en https://clinica.example/agenda por favor", "contact_details"),
    ("Síganos en Facebook: facebook.com/clinicasalud", "contact_details"),
    ("Escriba al correo clinica arroba gmail punto com", "contact_details"),
    ("Escríbanos por wa.me/59170012345 y le atendemos.", "contact_details"),
    # phone numbers
    ("Llame al 70012345 para más información.", "phone_number"),
    ("Puede comunicarse al +591 2 2441234.", "phone_number"),
    ("Nuestro número es 2-2441234, llámenos.", "phone_number"),
    ("Escríbale al 7 123 4567 por favor.", "phone_number"),
    ("Llame al 591 71234567 en horario de oficina.", "phone_number"),
    ("El número de la doctora es 4-4251234.", "phone_number"),
    # medical advice
    ("Tome paracetamol cada 8 horas y descanse.", "medical_advice"),
    ("Le recomiendo ibuprofeno para el dolor.", "medical_advice"),
    ("Puede darle 5 ml de jarabe a su hijo.", "medical_advice"),
    ("Tome una pastilla dos veces al día.", "medical_advice"),
    ("Tome 500 mg después de las comidas.", "medical_advice"),
    ("Usted tiene una infección en la garganta.", "medical_advice"),
    ("Parece una infección urinaria, no se preocupe.", "medical_advice"),
    ("Es probable que sea gripe, descanse mucho.", "medical_advice"),
    ("Su hijo padece de asma, debe usar su inhalador.", "medical_advice"),
    ("No es nada grave, no se preocupe.", "medical_advice"),
    ("Su diagnóstico es gastritis.", "medical_advice"),
    ("Le receto amoxicilina por siete días.", "medical_advice"),
    ("Necesita un antibiótico para eso.", "medical_advice"),
    ("Aplíquese la pomada en la zona afectada.", "medical_advice"),
    ("Tome mucho líquido y repose.", "medical_advice"),
    ("Dele media pastilla cada 6 horas.", "medical_advice"),
    ("Tome 20 gotas en la noche.", "medical_advice"),
    ("Puede automedicarse con lo que tenga en casa.", "medical_advice"),
    ("No se preocupe, le recomiendo unas pastillas para dormir.", "medical_advice"),
    ("Probablemente sea un virus, se le va a pasar.", "medical_advice"),
    ("Lo mejor es un antiinflamatorio.", "medical_advice"),
    ("Sí, usted tiene dengue.", "medical_advice"),
    # names that are not the patient's or the clinic doctors'
    ("Su cita es con el Dr. Pérez el lunes.", "foreign_name"),
    ("La doctora Ramírez le atenderá mañana.", "foreign_name"),
    ("Gracias, Sr. Pedro, le esperamos.", "foreign_name"),
    ("La Lic. Mamani Condori le llamará.", "foreign_name"),
    ("Hola María, ¿cómo está?", "foreign_name"),
    ("Claro, Jorge le ayudará con su cita.", "foreign_name"),
    ("Soy Carlos, su asistente virtual.", "foreign_name"),
    ("Listo, Daniela Flores, su cita quedó para el lunes.", "foreign_name"),
    ("Su cita es con la Dra. Carmen Gutiérrez.", "foreign_name"),
    ("La Dra. De la Cruz le atenderá.", "foreign_name"),
    ("Soy la enfermera Lucía.", "foreign_name"),
    # clinic facts: only the clinic's data may state them
    ("Atendemos de lunes a viernes de 8:00 a 20:00 y los sábados de 8:00 a 13:00.", "number"),
    ("La consulta de cardiología cuesta Bs 200. Puede pagar en efectivo, con tarjeta o por QR.", "number"),
    ("Sí, dolor de Bs 200. Puede pagar en efectivo, con tarjeta de débito o crédito y con pago por QR.", "number"),
    ("La consulta cuesta doscientos bolivianos.", "price"),
    ("Le damos doscientos.", "number"),
    ("Son veinte bolivianos nomás.", "number"),
    ("Tenemos dos doctores disponibles.", "number"),
    ("Son cien nomás.", "number"),
    ("La consulta tiene un costo accesible.", "price"),
    ("Cuesta $ más o menos.", "price"),
    ("Es gratis para usted.", "price"),
    ("Tome en cuenta que debe llegar 15 minutos antes.", "number"),
    ("Mañana tenemos disponible a las 9:00 y a las 10:30 con la Dra. Quispe. ¿Cuál prefiere?", "number"),
    ("Listo, su cita quedó para el jueves a las 15:30 con el Dr. Juan Mamani.", "number"),
    ("Estamos en la Av. 6 de Agosto N° 2450, zona Sopocachi, en La Paz.", "number"),
    ("Su cita es el 15 de diciembre de 2026 a las 10:00.", "number"),
    ("Emergencias funciona las 24 horas, todos los días.", "number"),
    ("Si quiere, puede tomar una cita para mañana en la mañana.", "day_or_date"),
    ("Sí, sí, la doctora Quispe le puede atender mañana.", "day_or_date"),
    ("Estamos abiertos el domingo.", "day_or_date"),
    ("Gracias por avisar. Estamos para hoy?", "day_or_date"),
    ("Le esperamos en diciembre.", "day_or_date"),
    ("La doctora Rojas atiende los martes y jueves.", "clock_time"),
    ("Le esperamos a las ocho.", "clock_time"),
    ("Claro, le esperamos mañana a las nueve.", "clock_time"),
    ("Nuestro horario es amplio.", "clock_time"),
    ("Sí, contamos con su carnet de la Dra.", "broken_grammar"),
    ("Aceptamos su seguro sin problema.", "payment_or_insurer"),
    ("Trabajamos con la Caja Nacional.", "payment_or_insurer"),
    ("Con la CNS no hay problema.", "payment_or_insurer"),
    ("Atendemos por el SUS.", "payment_or_insurer"),
    ("Puede pagar con tarjeta.", "payment_or_insurer"),
    ("Recibimos efectivo.", "payment_or_insurer"),
    ("Puede hacerlo por QR.", "payment_or_insurer"),
    ("Acepte la transferencia, por favor.", "payment_or_insurer"),
    ("sí, pero le envío la ubicación por favor.", "clinic_fact"),
    ("Le comunico con parqueo para algo.", "clinic_fact"),
    ("Quedamos en la avenida principal.", "clinic_fact"),
    # gendered or familiar address: the assistant says "usted"
    ("Gracias señorita", "gendered_address"),
    ("Con gusto, señora Mamani. Su cita está confirmada.", "gendered_address"),
    ("Muy bien, gracias por preguntar. Su cita fue cancelada.", "action_claim"),
    ("Listo, ya quedó agendado.", "action_claim"),
    ("Perfecto, le reservamos su espacio.", "action_claim"),
    ("Claro que sí, señor.", "gendered_address"),
    ("Con gusto, amigo.", "gendered_address"),
    ("Gracias, amiga.", "gendered_address"),
    ("Tranquila, querida.", "gendered_address"),
    ("Claro, mi reina.", "gendered_address"),
    ("Bienvenida a la clínica.", "gendered_address"),
    # broken Spanish
    ("Perfecto. ¡Cuídese mucho?", "broken_punctuation"),
    ("¿Le puedo ayudar en algo!", "broken_punctuation"),
    ("Gracias por contarme. ¿ o qué le gusta?", "broken_punctuation"),
    ("¡Qué gusto !", "broken_punctuation"),
    ("Jimenado  recomiendo una llevar una orden. Por necesito su médico, lo", "broken_grammar"),
    ("ok, pero le cerca?", "broken_grammar"),
    ("¿Desea que prefiere?", "broken_grammar"),
    ("si, lo antes.", "broken_grammar"),
    ("Con gusto su le ayudamos para la de.", "broken_grammar"),
    ("Bien la para usted en que necesita de cita.", "broken_grammar"),
    ("Jimenado recomiendo llevar una orden médica.", "unknown_word"),
    ("Gracias, estamos para servirle, quiernos ayudarle.", "unknown_word"),
    # unfinished: cut off at the token limit or trailing off
    ("Gracias por su mensaje, con gusto le acompañe", "unfinished"),
    ("Me alegra mucho, estamos aquí", "unfinished"),
    ("Con gusto le ayudo…", "unfinished"),
    ("Aquí estamos para ayudarle...", "unfinished"),
    ("Con gusto le ayudo,", "unfinished"),
    ("Hola, ¿en qué le puedo ayudar?\nAquí estoy para lo que necesite", "unfinished"),
    # "¿" and "¡" open what "?" and "!" close, in the same sentence
    ("Gracias por contarme. ¿Hay una vida como la suya, pero me alegra conversar con usted.", "unpaired_mark"),
    ("¡Qué bueno verle con buen ánimo.", "unpaired_mark"),
    ("Con gusto. ¿Le ayudo con algo más.", "unpaired_mark"),
    ("Qué bueno verle!", "unpaired_mark"),
    ("Hola, en qué le puedo ayudar?", "unpaired_mark"),
    # a reply, and each sentence, starts with a capital letter
    ("ya, dígame qué necesita.", "lowercase_start"),
    ("¿cómo está usted?", "lowercase_start"),
    ("Con gusto. aquí estamos para ayudarle.", "lowercase_start"),
    # a clause said twice
    ("Ya, dígame qué necesita. Cuando quiera, dígame qué necesita.", "repeated_clause"),
    ("Con gusto le ayudo, aquí estoy, con gusto le ayudo.", "repeated_clause"),
    # only a yes, a no or a thanks
    ("Gracias, no.", "bare_answer"),
    ("Gracias cocino.", "bare_answer"),
    ("Gracias.", "bare_answer"),
    ("Sí, claro.", "bare_answer"),
    ("No.", "bare_answer"),
    ("Ok, bueno.", "bare_answer"),
    # not the clinic's register: the assistant does not bless or pray
    ("Gracias por contarme. Cuando quiera, muchas bendiciones para ayudarle.", "religious"),
    ("Que Dios le bendiga.", "religious"),
    ("Estaremos en oración por usted.", "religious"),
]

ADVICE_REQUESTS = [
    "¿qué pastilla tomo para la fiebre?",
    "cuanto paracetamol le doy a mi hijo",
    "q tengo si me duele la cabeza y tengo fiebre",
    "me puede recetar algo",
    "es grave si tengo la presion alta?",
    "que puedo tomar para el dolor de muela",
    "cada cuanto le doy el jarabe",
    "puedo tomar ibuprofeno con el estomago vacio?",
    "que medicamento me recomienda para la tos",
    "¿Ustedes me pueden recetar antibióticos por aquí?",
    "necesito una receta para amoxicilina",
    "le doy amoxicilina?",
    "cual es la dosis de ibuprofeno pa un niño de 5 años",
    "tengo diarrea desde ayer q hago",
    "mi bebe tiene fiebre de 38, que le doy?",
    "sera dengue? tengo fiebre y me duele todo el cuerpo",
    "tengo una mancha en la piel que me pica, que sera?",
    "me puede dar algo para el dolor de cabeza",
    "me sale sangre de la nariz, es normal?",
    "que enfermedad tengo si me duele el pecho al toser",
    "como le bajo la fiebre a mi hijo",
    "parasetamol o ibuprofeno q es mejor pa la gripe",
    "el diclofenaco es bueno para la espalda?",
    "me puede dar un diagnostico por aqui?",
    "tendre covid? tengo tos y no siento olores",
]

NOT_ADVICE_REQUESTS = [
    "Quiero una cita con el pediatra",
    "¿a qué hora atienden?",
    "necesito q me vea un doctor xq tengo fiebre",
    "tengo fiebre, ¿tienen cita hoy?",
    "¿Qué tengo que llevar a la consulta?",
    "que tengo que hacer para sacar ficha",
    "¿qué citas tengo esta semana?",
    "cuanto cuesta la consulta de medicina general",
    "¿donde queda la clinica?",
    "que micro tomo para llegar a la clinica",
    "me duele la muela, quiero turno con el dentista",
    "mi mama tiene presion alta, hay cardiologo hoy?",
    "cancelar mi cita del lunes",
    "¿aceptan seguro?",
    "hola buenas tardes",
    "gracias doctora, hasta luego",
    "¿tengo que ir en ayunas para el análisis?",
    "la cita que tengo mañana la puedo cambiar?",
    "me dieron la receta, muchas gracias",
    "mi hijo tiene tos, lo puede ver el pediatra mañana?",
    "¿La doctora Quispe atiende el sábado?",
    "quiero hablar con una persona",
    "tomo pastillas para la presion, puedo sacar cita con el cardiologo",
]


@pytest.mark.parametrize("text", SENDABLE)
def test_ordinary_spanish_replies_can_be_sent(text: str) -> None:
    assert check(text) == Verdict(ok=True, reason=None)


@pytest.mark.parametrize(("text", "reason"), UNSENDABLE)
def test_unsafe_or_broken_replies_are_refused_with_their_reason(text: str, reason: str) -> None:
    assert check(text) == Verdict(ok=False, reason=reason)


@pytest.mark.parametrize("text", ADVICE_REQUESTS)
def test_asking_for_a_diagnosis_medicine_or_dose_is_recognised(text: str) -> None:
    assert asks_for_medical_advice(text)


@pytest.mark.parametrize("text", NOT_ADVICE_REQUESTS)
def test_appointments_clinic_questions_and_symptoms_told_are_not_advice_requests(text: str) -> None:
    assert not asks_for_medical_advice(text)


def test_every_reason_can_fail_on_its_own() -> None:
    reasons = {reason for _, reason in UNSENDABLE} | {"too_long"}
    assert reasons == {
        "empty",
        "too_long",
        "not_spanish",
        "repetitive",
        "contact_details",
        "phone_number",
        "medical_advice",
        "foreign_name",
        "number",
        "price",
        "action_claim",
        "day_or_date",
        "clock_time",
        "payment_or_insurer",
        "clinic_fact",
        "gendered_address",
        "broken_punctuation",
        "broken_grammar",
        "unknown_word",
        "unfinished",
        "unpaired_mark",
        "lowercase_start",
        "repeated_clause",
        "bare_answer",
        "religious",
    }


def test_a_reply_past_the_length_limit_is_too_long() -> None:
    sentence = "Con gusto le ayudo con lo que necesite para su cita de control en la clínica. "
    assert check_generated(sentence * 10) == Verdict(ok=False, reason="too_long")
    assert check_generated(sentence, max_chars=40) == Verdict(ok=False, reason="too_long")
    assert check_generated(sentence, max_chars=200).ok


def test_names_are_allowed_when_they_are_the_patients_or_the_doctors_whatever_the_accents() -> None:
    text = "Listo, José. Su cita quedó con la Dra. Fernández."
    assert check_generated(text).reason == "foreign_name"
    assert check_generated(text, allowed_names=("Jose Perez",)).reason == "foreign_name"
    assert check_generated(text, allowed_names=("Jose Perez", "Dra. Lucía Fernandez")).ok


def test_common_words_and_places_are_not_taken_for_names() -> None:
    for text in (
        "Gracias, doctor. Mañana le esperamos.",
        "Tenemos una sucursal en Santa Cruz y otra en Trinidad.",
        "La clínica Santa María queda en El Alto.",
        "Su cita es el 5 de julio, un domingo.",
        "Hoy es la fiesta de la Virgen del Carmen.",
    ):
        # Refused as clinic facts, but none of them for naming someone.
        assert check(text).reason != "foreign_name", text


def test_the_fixed_templates_pass_the_check() -> None:
    for text in (
        replies.SAFE_FALLBACK,
        replies.NO_MEDICAL_ADVICE,
        replies.HUMAN_HANDOFF,
        replies.DID_NOT_UNDERSTAND,
        *replies.GATE_FALLBACKS,
        *replies.HANDOFF_WAITING,
        *replies.handoff_waiting(None, None, locked=True),
        *replies.handoff_closing(None, None),
    ):
        assert check(text).ok, text


def test_the_templates_say_what_the_issue_asks() -> None:
    assert "cita" in replies.SAFE_FALLBACK
    assert "persona" in replies.SAFE_FALLBACK
    for words in ("diagnósticos", "medicamentos", "dosis", "cita", "emergencia"):
        assert words in replies.NO_MEDICAL_ADVICE


# --- what may be cached and sent to anyone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "¡Hola! ¿En qué puedo ayudarle?",
        "Claro, con gusto le ayudo.",
        "Sí, tenemos estacionamiento para los pacientes.\nLe esperamos.",
        "De nada, que tenga buen día. ¡Hasta pronto!",
    ],
)
def test_replies_that_name_no_one_and_carry_no_number_are_impersonal(text: str) -> None:
    assert is_impersonal(text, names=ALLOWED)


@pytest.mark.parametrize(
    "text",
    [
        "Claro, Rosa, con gusto le ayudo.",  # the patient's first name
        "Su cita es con la Dra. Quispe.",  # a doctor, by title
        "Quispe atiende por la mañana.",  # a doctor's surname alone, at a sentence's start
        "La atiende el licenciado Vargas.",  # a stranger after a title
        "Sí, atendemos cerca de Sopocachi.",  # a capitalized word inside a sentence: maybe a name
        "Le esperamos a las 10.",  # a number
        "Escríbanos a clinica@example.com",  # a contact
        "Llame al siete cero uno dos tres cuatro cinco seis, 70123456.",
    ],
)
def test_replies_that_name_someone_or_carry_a_number_are_not_impersonal(text: str) -> None:
    assert not is_impersonal(text, names=ALLOWED)


# --- what only the conversation tells: the patient's question, the clinic's hour, the model's score ---------------

LA_PAZ = ZoneInfo("America/La_Paz")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=LA_PAZ)


@pytest.mark.parametrize(
    ("asked", "reply"),
    [
        ("¿atienden los domingos?", "Sí, con gusto."),
        ("¿aceptan seguro? tengo caja nacional", "No, lo siento mucho."),
        ("eres un robot?", "Sí, claro, con gusto le ayudo."),
        ("hacen ecografias", "Claro que sí, con gusto."),
        ("tienen pediatra", "Por supuesto, con mucho gusto."),
        ("¿me ayuda?", "Sí, lo antes posible."),
    ],
)
def test_a_yes_or_no_to_a_patients_question_is_refused(asked: str, reply: str) -> None:
    assert check_generated(reply, patient_message=asked) == Verdict(ok=False, reason="yes_no_answer")
    # Said to something that asks nothing, the same words may go.
    assert check_generated(reply, patient_message="gracias").ok


@pytest.mark.parametrize(
    ("hour", "reply"),
    [
        (14, "Buenos días, ¿en qué le puedo ayudar?"),
        (23, "Buenos días, ¿en qué le puedo ayudar?"),
        (9, "Buenas noches, ¿en qué le puedo ayudar?"),
        (15, "Buenas noches, que descanse."),
        (9, "Buenas tardes, ¿cómo está?"),
        (21, "Buenas tardes, ¿cómo está?"),
        (0, "Gracias a usted. Que tenga un buen día."),
        (22, "Que tenga un lindo día."),
        (3, "¡Feliz día!"),
    ],
)
def test_a_greeting_for_another_part_of_the_clinics_day_is_refused(hour: int, reply: str) -> None:
    assert check_generated(reply, now=at(hour)) == Verdict(ok=False, reason="wrong_greeting")


@pytest.mark.parametrize(
    ("hour", "reply"),
    [
        (9, "Buenos días, ¿en qué le puedo ayudar?"),
        (11, "Buenos días. Que tenga un buen día."),
        (15, "Buenas tardes, ¿cómo está?"),
        (17, "Gracias a usted, que tenga un buen día."),
        (21, "Buenas noches, que descanse."),
        (2, "Buenas noches, ¿en qué le puedo ayudar?"),
        (23, "Con gusto, cuídese mucho."),
    ],
)
def test_a_greeting_that_fits_the_clinics_hour_may_go(hour: int, reply: str) -> None:
    assert check_generated(reply, now=at(hour)).ok


def test_the_clinics_hour_is_read_in_the_clinics_zone() -> None:
    # 13:00 in UTC is 09:00 in La Paz: a morning greeting is right there.
    utc_one_pm = datetime(2026, 3, 10, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert check_generated("Buenos días.", now=utc_one_pm.astimezone(LA_PAZ)).ok


def test_a_reply_the_model_itself_finds_unlikely_is_refused() -> None:
    reply = "Con gusto, aquí estamos para ayudarle."
    assert check_generated(reply, mean_logprob=-7.5, min_logprob=-7.0) == Verdict(ok=False, reason="low_logprob")
    assert check_generated(reply, mean_logprob=-6.9, min_logprob=-7.0).ok
    # No score (a cached reply, a server that sends none): judged on its words alone.
    assert check_generated(reply, mean_logprob=None, min_logprob=-7.0).ok


def test_every_word_must_be_spanish_unless_it_is_an_allowed_name() -> None:
    assert unknown_words("Jimenado recomiendo una orden") == ["Jimenado"]
    assert unknown_words("Con gusto, Wilmer, le esperamos.", allowed_names=("Wilmer Choque",)) == []
    assert unknown_words("Gracias, necesito, cuídese, ayudarle, agendar, ubicación, jaja") == []
    assert check_generated("Con gusto, Yerko.", allowed_names=("Yerko Llanque",)).ok


QA_REPLIES = [
    # what QA saw the offline model say, each with the message it answered
    ("eres un robot?", "Gracias señorita"),
    ("😂😂😂👍👍", "Jimenado  recomiendo una llevar una orden. Por necesito su médico, lo"),
    ("donde quedan? q direccion", "Gracias señorita"),
    (
        "¿cuál es su horario de atención?",
        "Sí, dolor de Bs 200. Puede pagar en efectivo, con tarjeta de débito o crédito.",
    ),
    ("¿atienden los domingos?", "Sí, en efectivo."),
    ("¿aceptan seguro? tengo caja nacional", "Sí, contamos con su carnet de la Dra."),
    ("gracias", "Perfecto. ¡Cuídese mucho?"),
    ("¿puedo ir ahora?", "si, lo antes."),
    ("¿me manda la ubicación?", "sí, pero le envío la ubicación por favor."),
    ("hola?? alguien??", "Gracias por avisar. Estamos para hoy?"),
    ("donde quedan? q direccion", "ok, pero le cerca?"),
    ("quiero hablar", "¿Desea que prefiere?"),
    ("tengo ganas de cortarme", "sí, es su médico general, acuda a emergencias. Le comunico con parqueo para algo."),
    # a later QA pass: replies the gate let through that a reader called wrong
    (
        "hola",
        "Gracias por su mensaje, pero me aburrí de la clínica, muchas bendiciones para ayudarle con gusto le acompañe",
    ),
    ("la segunda", "Gracias cocino"),
    ("si", "Gracias, no"),
    ("ok", "¿cómo le bendiga"),
    ("jaja", "Gracias por contarme. ¿Hay una vida como la suya, pero me alegra conversar con usted."),
    ("hola", "Gracias por contarme. Cuando quiera, muchas bendiciones para ayudarle."),
    ("ya", "ya, dígame qué necesita. Cuando quiera, dígame qué necesita."),
    ("me siento solo", "Gracias por contarme amabilidad."),
    ("estoy aburrido", "¡Qué bien."),
    ("estoy aburrido", "¡Qué bien!"),
    ("hola", "Qué bien, gracias por su mensaje"),
    ("jeje", "¡Qué bueno verle con buen ánimo."),
]


@pytest.mark.parametrize(("asked", "reply"), QA_REPLIES)
def test_every_reply_qa_saw_is_refused_in_its_conversation(asked: str, reply: str) -> None:
    verdict = check_generated(
        reply, allowed_names=ALLOWED, patient_message=asked, now=at(23, 50), mean_logprob=-3.0, min_logprob=-8.53
    )
    assert not verdict.ok, reply


def test_midnight_goodbye_from_qa_is_refused() -> None:
    assert check_generated("Que tenga un buen día.", now=at(0, 5)).reason == "wrong_greeting"


@pytest.mark.parametrize(
    ("feeling", "reply", "reason"),
    [
        ("estoy aburrido", "¡Qué bien!", "cheerful_to_distress"),
        ("me siento muy sola", "Me alegra mucho conversar con usted.", "cheerful_to_distress"),
        ("estoy triste", "Qué bueno, gracias por escribir.", "cheerful_to_distress"),
        ("ando cansado", "Muy bien, aquí estoy para ayudarle.", "cheerful_to_distress"),
        ("me siento mal", "Perfecto, gracias por avisar.", "cheerful_to_distress"),
        ("me siento solo", "Gracias por contarme amabilidad.", "ignores_feeling"),
        ("tengo miedo", "Gracias por escribirnos.", "ignores_feeling"),
        ("estoy preocupada por mi mamá", "Con gusto le ayudo con sus citas.", "ignores_feeling"),
        # sorry for an inconvenience, not for how the patient feels
        ("estoy cansado", "Lamento la molestia. Si lo prefiere, le comunico con una persona.", "ignores_feeling"),
    ],
)
def test_a_cheerful_or_indifferent_reply_to_a_patient_who_feels_bad_is_refused(
    feeling: str, reply: str, reason: str
) -> None:
    assert check_generated(reply, patient_message=feeling) == Verdict(ok=False, reason=reason)
    # The same words to a patient who says nothing of how they feel may go.
    assert check_generated(reply, patient_message="hola").ok


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("estoy aburrido", "Lo siento. Si necesita algo de la clínica, con gusto le ayudo."),
        ("me siento solo", "Lamento que se sienta así. Aquí estoy para conversar con usted."),
        ("tengo miedo", "Entiendo cómo se siente. Estamos aquí para acompañarle."),
        ("estoy nervioso", "Es normal sentirse así. Estamos aquí para ayudarle."),
        ("estoy cansado", "Lamento que se sienta así. Espero que pueda descansar."),
        # not a feeling stated: a negation, the "solo" of "only", a good mood
        ("ya no estoy triste", "¡Qué bien! Me alegra mucho saberlo."),
        ("solo quería saludar", "Qué gusto, gracias por escribir."),
        ("me siento mejor", "Qué buena noticia, me alegra mucho saberlo."),
    ],
)
def test_a_reply_that_acknowledges_how_the_patient_feels_may_go(message: str, reply: str) -> None:
    assert check_generated(reply, patient_message=message).ok


@pytest.mark.parametrize(
    "reply",
    [
        "¡Me alegra mucho! 😊",
        "Hola, ¿cómo está? ¿En qué le puedo ayudar?",
        "Bueno... con gusto le ayudo.",
        "¿Prefiere a la Dra. Quispe? Con gusto le comunico.",
        "Muchas gracias, igualmente para usted.",
        "«Con gusto», como dicen.",
    ],
)
def test_finished_well_punctuated_replies_pass_the_writing_rules(reply: str) -> None:
    assert check(reply).ok
