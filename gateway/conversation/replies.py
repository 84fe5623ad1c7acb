"""Every fixed Spanish text the assistant sends, in one place."""

DID_NOT_UNDERSTAND = "Disculpe, no le entendí bien. ¿Podría escribirlo de otra forma?"


def emergency(number: str | None) -> str:
    """The immediate answer to a message that looks like an emergency."""
    call = f"Llame ahora al {number}" if number else "Llame ahora al número de emergencias"
    return (
        f"Esto puede ser una emergencia. {call} o acuda a la emergencia más cercana. "
        "Un miembro de nuestro equipo revisará su mensaje."
    )


HUMAN_HANDOFF = (
    "Con gusto. Le comunico con una persona de nuestro equipo; le responderá por este mismo chat lo antes posible."
)


def otp_sms(code: str, minutes: int) -> str:
    """The SMS that carries a verification code."""
    return f"Su código de verificación es {code}. Vence en {minutes} minutos."
