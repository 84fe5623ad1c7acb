"""Clinic facts a reply states, actions it claims, and a yes or no it gives: only the clinic's data and
the dialog may say those."""

from __future__ import annotations

import re
from typing import Final

from gateway.conversation.reply_check.verdict import Reason
from gateway.understanding.normalize import fold, is_question
from gateway.understanding.vocabulary import word_list

# --- clinic facts: numbers, prices, days, dates, times, insurers, payment, address ----------------

_NUMBER_WORDS: Final = word_list(
    """
    dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis diecisiete
    dieciocho diecinueve veinte veintiun veintiuno veintiuna veintidos veintitres veinticuatro veinticinco
    veintiseis veintisiete veintiocho veintinueve treinta cuarenta cincuenta sesenta setenta ochenta
    noventa cien ciento cientos doscientos doscientas trescientos trescientas cuatrocientos quinientos
    seiscientos setecientos ochocientos novecientos mil miles millon millones docena media
    """
)
_PRICE_WORDS: Final = word_list(
    """
    bs bolivianos boliviano pesos peso dolares dolar usd precio precios costo costos cuesta cuestan
    cobra cobran cobramos tarifa tarifas arancel gratis gratuito gratuita gratuitos descuento descuentos
    """
)
_DAY_WORDS: Final = word_list(
    """
    lunes martes miercoles jueves viernes sabado sabados domingo domingos feriado feriados finde enero
    febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre hoy
    ayer manana semana semanas mes meses fecha fechas calendario
    """
)
_TIME_WORDS: Final = word_list(
    """
    hora horas horario horarios minuto minutos mediodia medianoche am pm hrs abrimos cerramos atendemos
    atiende atienden turno turnos
    """
)
_PAYMENT_WORDS: Final = word_list(
    """
    seguro seguros asegurado asegurada aseguradora aseguradoras caja cajas cns cps cossmil sumi
    prosalud tarjeta tarjetas debito credito efectivo qr transferencia transferencias deposito
    depositar pago pagos pagar paga pague pagan factura facturas nit tigo visa mastercard
    """
)
_PLACE_WORDS: Final = word_list(
    """
    ubicacion direccion direcciones calle avenida av mapa maps parqueo estacionamiento piso edificio
    consultorio sucursal sucursales zona esquina
    """
)
_FACT_WORDS: Final[dict[str, Reason]] = {
    **dict.fromkeys(_NUMBER_WORDS, Reason.NUMBER),
    **dict.fromkeys(_PRICE_WORDS, Reason.PRICE),
    **dict.fromkeys(_DAY_WORDS, Reason.DAY_OR_DATE),
    **dict.fromkeys(_TIME_WORDS, Reason.CLOCK_TIME),
    **dict.fromkeys(_PAYMENT_WORDS, Reason.PAYMENT_OR_INSURER),
    **dict.fromkeys(_PLACE_WORDS, Reason.CLINIC_FACT),
}
# Only the dialog books, cancels, moves or registers: a model that says it did ("Su cita fue cancelada")
# tells the patient something that did not happen.
_ACTION_CLAIM_WORDS: Final = word_list(
    """
    cancelada cancelado canceladas cancelados cancelamos confirmada confirmado confirmadas confirmados
    confirmamos agendada agendado agendadas agendados agendamos reservada reservado reservadas reservados
    reservamos reprogramada reprogramado reprogramadas reprogramados reprogramamos registrada registrado
    registramos
    """
)


def claims_an_action(text: str) -> bool:
    return any(word.strip(".,;:!?¡¿()\"'«»-") in _ACTION_CLAIM_WORDS for word in fold(text).split())


# "Por la mañana" is a time of day, not a date; "a las" and "a la una" are clock times.
_MORNING = re.compile(r"\b(?:por|en|de|esta|toda) la manana\b")
_CLOCK = re.compile(r"\ba (?:las|la una)\b")
_SUS = re.compile(r"\bSUS\b")  # the public health insurance; "sus" is "your"


def clinic_fact(text: str) -> Reason | None:
    """What clinic fact the reply states or promises, if any: only the clinic's data may."""
    if any(ch.isdigit() for ch in text):
        return Reason.NUMBER
    if "$" in text:
        return Reason.PRICE
    if _SUS.search(text):
        return Reason.PAYMENT_OR_INSURER
    folded = fold(text)
    if _CLOCK.search(folded):
        return Reason.CLOCK_TIME
    for word in _MORNING.sub(" ", folded).split():
        reason = _FACT_WORDS.get(word.strip(".,;:!?¡¿()\"'«»-"))
        if reason is not None:
            return reason
    return None


# --- yes or no to a patient's question ------------------------------------------------------------

_YES_NO_START = re.compile(
    r"^\W*(?:si|no|nop|sip|claro|por supuesto|desde luego|asi es|exacto|correcto|efectivamente|tampoco"
    r"|obvio|seguro)\b"
)
# A question without its mark: "atienden los domingos", "tienen pediatra".
_QUESTION_START = re.compile(
    r"^\W*(?:atienden|atiende|tienen|tiene|hay|aceptan|acepta|puedo|pueden|puede|hacen|hace|trabajan"
    r"|abren|cobran|es|son|estan|esta|dan|venden|recibe|reciben)\b"
)


def answers_yes_or_no(text: str, patient_message: str) -> bool:
    """The patient asked something and the reply opens with a yes or a no: only clinic data may answer."""
    asked = is_question(patient_message) or _QUESTION_START.search(fold(patient_message)) is not None
    return asked and _YES_NO_START.search(fold(text)) is not None
