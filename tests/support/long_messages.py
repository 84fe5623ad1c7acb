"""Long patient messages as they arrive on WhatsApp, shared by the understanding and /chat tests."""

from __future__ import annotations

# A voice note typed out (1,395 characters): a greeting, the husband's back pain and work, the wife's trust in the
# clinic, the request (this Saturday, general medicine, in the morning) near the end, then thanks and a blessing.
# Read whole, "se queja de la espalda" sounded like a complaint, "sale a las seis de la mañana" like the hour
# wanted and the closing "gracias… que Dios le bendiga" like a goodbye.
VOICE_NOTE = (
    "Buenas tardes señorita, disculpe la molestia y que le mande un mensaje tan largo, es que no sé muy bien cómo "
    "funciona esto de escribir por aquí. Le cuento, mi esposo se llama Ramiro y tiene 58 años, trabaja de albañil en "
    "una obra por la zona sur y desde hace como tres semanas que se queja de la espalda, dice que le duele abajo, en "
    "la cintura, sobre todo en las mañanas cuando se levanta y cuando carga las bolsas de cemento. Yo le dije que vaya "
    "al médico pero usted sabe cómo son los hombres, no quiere ir, dice que ya se le va a pasar, que es el cansancio "
    "nomás. Le estuve poniendo pomada y mate de manzanilla con eucalipto pero no mejora mucho, y anoche casi no ha "
    "dormido, estaba dando vueltas en la cama toda la noche. Además tiene la presión un poco alta, toma su pastilla "
    "de losartán todos los días, y también queremos que le revisen eso de paso. Entre semana no puede porque sale a "
    "las seis de la mañana y vuelve de noche, y si falta le descuentan el día, el ingeniero es bien estricto. Por eso "
    "quería ver si me lo pueden atender este sábado en medicina general, por la mañana si se puede, porque en la "
    "tarde tenemos el cumpleaños de mi suegra. Yo ya soy paciente de ustedes, el año pasado me atendió la doctora y "
    "me trató muy bien, por eso le tengo confianza a la clínica. Muchas gracias de antemano por su tiempo y por la "
    "paciencia, que Dios le bendiga, estaré esperando su respuesta."
)
