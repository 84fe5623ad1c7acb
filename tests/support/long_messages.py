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

# Another, from QA (1,258 characters): the husband leaves home "a las cinco de la mañana" and "no trabaja hasta el
# mediodía" on Saturdays; the request is general medicine this Saturday morning, "tempranito", in his name.
# Neither hour is the one wanted: one is the story, the other a limit.
VOICE_NOTE_FOR_PEDRO = (
    "Hola buenas tardes señorita, disculpe que le moleste, le estoy escribiendo porque mi esposo Pedro desde hace "
    "como una semana está mal, primero pensamos que era un resfrío nomás porque tenía tos y un poco de fiebre en "
    "las noches, le di su mate de wira wira y su limonada con miel como hacía mi mamá, pero no se le pasa, y "
    "ahora dice que le duele la cabeza y que se cansa cuando sube las gradas del trabajo, usted sabe que él "
    "trabaja en el mercado Rodríguez cargando bultos desde temprano y no tiene tiempo entre semana, sale de la "
    "casa a las cinco de la mañana y vuelve recién en la noche, entonces yo le dije que tiene que ir al doctor sí "
    "o sí porque ya no es joven, tiene cuarenta y siete años, y además su papá era diabético y tenemos miedo que "
    "sea algo de eso. Mi cuñada me recomendó su clínica, dice que la atendieron bien el año pasado. Entonces "
    "quería ver si me puede dar una cita de medicina general para el sábado en la mañana, tempranito si se puede, "
    "porque el sábado él no trabaja hasta el mediodía o puede pedir permiso. La cita sería a nombre de él, Pedro "
    "Mamani Quispe, su carnet es 4.512.377 LP y nació el 3 de marzo de 1979. Ah y también quería saber si tiene "
    "que ir en ayunas o no, y cuánto cuesta la consulta. Muchas gracias, Dios le pague."
)
