"""The phrases an emergency, and the messages that follow one, are recognised by.

Written in the pattern language of `patterns.py`, without accents. `intent_patterns.EMERGENCY` holds
the phrases that are an emergency on their own; the tables here are the rest of what triage lines
listen for: self-harm, an overdose (a medicine and an amount), and signs that are an emergency only
together (a blow to the head and vomiting, a pregnancy and bleeding, a baby and a fever). Last come the
frames in which emergency words tell of no emergency now: a film or the news asked about, an animal, bleach
for cleaning, a manner of speaking, an episode long past.
"""

from __future__ import annotations

from typing import Final

from gateway.understanding.patterns import Pattern, compile_patterns

# "No es una emergencia", "no se trata de una urgencia": said of the message itself.
NOT_ONE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "no es|era ..2 emergencia|urgente|grave|urgencia",
        "no hay|habia ninguna|una? emergencia|urgencia",
        "no se trata ..2 emergencia|urgencia",
        "entendio|entendiste|entendieron mal",
    ]
)
# "Ya bajé", "mi hermana está conmigo": after words of self-harm, no longer alone or no longer at the edge.
ACCOMPANIED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "esta|estan|vino|vinieron conmigo",
        "se quedo|quedaron conmigo",
        "estoy con mi|mis ..1 hermana|hermano|mama|papa|esposo|esposa|amiga|amigo|familia|hijos|hija|hijo|pareja"
        "|tia|tio|abuela|vecina|vecino",
        "me quede|quedo con mi|mis ..1 hermana|hermano|mama|papa|esposo|esposa|amiga|amigo|familia|hijos|hija|hijo"
        "|pareja|tia|tio|abuela|vecina|vecino",
        "ya baje|sali",
        "me aleje",
        "ya no estoy ..3 terraza|techo|ventana|puente|azotea|borde",
    ]
)
# Suicidal thoughts and self-harm: answered with a crisis line as well as the emergency number.
SELF_HARM: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "suicid*",
        "matarme|matare|matarse|matarte",
        "me|se quiero|quiere|voy|va|vas|gustaria ..2 matar",
        "quitarme|quitarse ... vida",
        "acabar ... con mi|su|la vida",
        "acabar con todo",
        "quiero|quisiera|gustaria|ganas|deseo|prefiero|quiere|queria|quieren ..2 morir|morirme|morirse|muerto|muerta",
        "sentido ..3 nada",
        "dormir|desaparecer|irme ..2 para siempre",
        "me|se quiero|quiere|voy|va|puedo ..2 hacer ..2 dano",
        "mejor me|se muero|muera|moriria",
        "mejor ..3 muerto|muerta|morir|morirme",
        "mejor no ..2 vivo|viva|vivir|existir|nacido|nacida",
        "no quiero|quiere|quisiera ..2 vivir|viviendo|existir|despertar",
        "no quiero|quiere|puedo|puede seguir viviendo|luchando|adelante",
        "hoy|manana|ahorita|ahora|noche|decidido|voy ..3 me mato",
        "hoy|manana|ahorita|ahora|noche|decidido ..3 se mata|matara",
        "noche|hoy|ahorita|manana ..2 me tomo|trago ..3 todas|todo|frasco|caja|blister",
        "no tiene|tengo|encuentro sentido ..2 nada",
        "no le? veo sentido ..2 nada",
        "regale|regalando|regalado|regalo|repartiendo|reparti ..2 todas|todo ..2 cosas|pertenencias",
        "hice|escribi|deje|redacte|haciendo|escribiendo ..2 testamento",
        "no vale ..2 pena vivir",
        "para que ..2 vivir|viviendo",
        "dormir ..2 no despertar",
        "quiero|quisiera|ganas ..2 desaparecer",
        "hacerme|hacerse ... dano",
        "lastimarme|lastimarse|autolesion*",
        "cortarme|cortarse",
        "me|se ..2 corte|corto|cortando|cortado|corta ... venas|munecas|muneca|brazos|brazo|piernas",
        "me|se quiero|quiere|voy|va|vas ..2 tirar|lanzar|ahorcar|colgar|cortar|botar|aventar|arrojar",
        "ahorcarme|ahorcarse|ahorcar|colgarme|colgarse",
        "tirarme|tirarse|lanzarme|lanzarse|botarme|botarse|arrojarme|arrojarse ... puente|edificio|techo|auto|tren"
        "|ventana|piso|rio|barranco",
        "ya? me tome|trague|tomado|tragado ... todas|todo|toda|frasco|caja|blister",
        "me he|ha tomado|tragado ... todas|todo|toda|frasco|caja|blister",
        "quitar ..2 vida",
        "dejar de existir|vivir",
        "irme|irse|ir de este mundo",
        "para no despertar|despertarme",
        "harta|harto|cansada|cansado ..2 vivir|vida",
        "todo termine|acabe|terminara|acabara",
        "si me muero",
        "nadie ..3 extranaria|importaria|notaria|daria",
        "mejor sin mi",
        "voy|quiero|pienso|pensando|penso|pensado|ganas ..2 tomarme|tragarme|tomar|tragar ..3 todas|todo|frasco|caja"
        "|blister",
        "me|se esta|estoy|estaba cortando",
        "terminar|acabar con todo|mi",
        "no tengo|tiene ganas de vivir|seguir|existir",
        "me|se hice|hizo|hago|hace|haciendo ..2 dano ..6 navaja|cuchilla|cuchillo|vidrio|gillette|munecas|proposito",
        # A life without meaning, not "el sentido de la vida" asked about ("¿cuál es el sentido de la vida?").
        "no le? veo|encuentro|hallo|tiene|tengo|tenga|tendria|hay ..2 sentido ..3 vivir|vida|viviendo|seguir|existir",
        "vida|vivir|existir ..2 no|sin|carece ..2 sentido",
        "perdi|perdido|perdiendo ..2 sentido ..3 vivir|vida|existir",
        "que sentido tiene ..3 vivir|vida|seguir|existir",
        "sin sentido ..3 vivir|vida",
        "ya nada tiene sentido",
        "no aguanto|soporto ..3 vida|vivir",
        "lastim*|cort*|quem*|golpe* ..6 proposito|adrede",
        "hago|hice|hacer|haciendo|hago ..2 cortes|cortaditas|cortadas",
        "encontre|encontramos|encontraron|hallamos ..3 colgado|colgada|ahorcado|ahorcada",
        "se ahorco",
        "munecas|brazos|venas ..2 cortadas|cortados|abiertas",
        "no quiero|quiere|quisiera ..2 en este mundo",
        # The means ready: a rope, the pills counted, a gun in hand.
        "soga|cuerda|lazo ..3 lista|listo|preparada|preparado|colgada|colgado|amarrada|amarrado",
        "pegar|pegarme|pegarse|pego|meter|meterme|meterse|dar|darme|darse ..2 tiro|tiros|balazo|balazos",
        "arma|pistola|revolver|escopeta ..4 en la? mano|cabeza|boca",
        "arma|pistola|revolver|escopeta ..3 apuntando|apuntandose|cargada|cargado",
        # Goodbyes: letters left, the last night, the children entrusted.
        "adios ..2 para siempre",
        "escribi|deje|dejo|escribio|escribiendo ..2 carta|cartas|cartita ..3 familia|hijos|hijas|mama|papa|esposo"
        "|esposa|padres|despedida|todos",
        "carta|cartas ..2 de despedida",
        "noche|dia ..2 es|sera la? ultima|ultimo",
        "ultima|ultimo noche|dia ..3 mi vida",
        "cuiden|cuida|cuidar ..3 mis? hijos|hija|hijo|hijas ..4 adios|perdon|perdonen|perdoname",
        "adios|perdon|perdonen|perdoname ..5 cuiden|cuida|cuidar ..3 mis? hijos|hija|hijo|hijas",
        "ya no voy a? estar|estare ..5 cuiden|cuida|cuidar ..3 mis? hijos|hija|hijo|hijas",
        # A place to jump from, or the tracks.
        "saltar|aventarme|aventarse|tirarme|tirarse|lanzarme|lanzarse|botarme|botarse ... puente|edificio|techo"
        "|terraza|azotea|balcon|ventana|barranco|precipicio|cornisa",
        "puente|edificio|techo|terraza|azotea|balcon|ventana|barranco|precipicio|cornisa ..5 voy|quiero|pienso|va"
        " ..2 saltar|tirarme|tirarse|lanzarme|lanzarse|aventarme|aventarse",
        "parado|parada|acostado|acostada|sentado|sentada|tirado|tirada en las|los? vias|rieles",
        "vias|rieles ..4 esperando",
        # A crash on purpose; thoughts of dying.
        "estrellar*|estrello|chocar|choco ... proposito|adrede",
        "voy|quiero|va|pienso ..2 estrellarme|estrellarse",
        "pienso|pensando|pensar|pensado|penso ..4 morirme|morirse|matarme|matarse",
        # Endings and farewells said plainly: no longer a bother, a last night, forgiveness and love sent.
        "no ..2 voy|vuelvo a? molestar|molestarlos|molestarles|estorbar ..3 nadie|nunca|jamas",
        "no molestare|estorbare ..3 nadie|nunca",
        "diganle|digale|dile|decile|diganles|digales|avisenle a mi|mis ..2 mama|mami|papa|papi|hijos|hija|hijo|hijas"
        "|familia|esposo|esposa|hermana|hermano|hermanos|novio|novia|abuela|abuelo|amigos ..4 que la|lo|los|las|les?"
        " quiero|quise|amo|ame|perdone|perdonen",
        "mi|su ultima noche ..3 vida|mundo|aqui|viva|vivo",
        "diciendo|dijo|dice|dijo|decir ..2 adios ..2 todos|todas|familia|mundo",
        "esta|hoy ..2 noche ..3 me|se despide|despido|despedira|despedire|va|voy|iba",
        # An attempt just made: "se quiso colgar", "intentó tirarse", "lo encontramos a tiempo".
        "quiso|quise|intento|intente|trato|trate ..2 colgar|colgarse|colgarme|ahorcar|ahorcarse|ahorcarme|matar"
        "|matarse|matarme|envenenar|envenenarse|envenenarme|suicidar|suicidarse|suicidarme",
        "cortarse|cortarme|cortar ..3 venas|munecas|muneca",
        "se|me estaba|estaba|iba ..2 colgando|ahorcando|tirando|matando",
        # A last sight, love sent in the past tense, not making it to tomorrow, a wish not to have been born.
        "ultima vez que me|nos ven|veran|vean|escuchan|leen",
        "sepan|sepas|sepa ..3 quise|ame",
        "no ..3 llegue|llego|llegare|llegar a manana",
        "no ..4 estar|seguir|siga|este|sigo vivo|viva",
        "no ..4 estar|seguir|siga|este|sigo con vida",
        "ojala ..2 muera|muriera|muriese|morir|morirme|despertar|despierte|existiera|desapareciera|desaparezca",
        "ojala me|le pase|pasara algo",
        "no haber|hubiera|hubiese nacido",
        "ver si me|lo|la atropellan|atropella|muero|mata|matan",
        # Poison meant to be taken, a rope at the neck, the head beaten against a wall.
        "voy|va|vas|quiero|quiere|pienso|pensando|ganas ..2 tomar|tomarme|beber|tragar|tragarme ..2 veneno|raticida"
        "|matarratas|insecticida|lavandina|cloro|lejia|plaguicida",
        "veneno|raticida|matarratas|insecticida|plaguicida ... tomarlo|tomarmelo|tragarlo|tragarmelo|tomarla",
        "soga|sogas|horca ..3 cuello|lista|preparada|viga|arbol",
        "ya amarre|prepare|colgue ..2 la? soga|horca",
        "soy|siento|sientes|siente ..2 una? carga para ..2 todos|ustedes|familia|demas|mundo",
        "bajamos|bajaron|descolgamos|descolgaron ..3 soga|colgado|colgada",
        "me golpeo|golpee|pego|doy ..2 la? cabeza contra ..2 la? pared|paredes|piso",
        "no tengo|tiene|hay|encuentro|veo|queda|quedan ..2 razon|razones|motivo|motivos ..2 para? vivir|seguir|existir",
        "borde|baranda|barandal|cornisa|orilla ..3 puente|edificio|techo|azotea|precipicio|barranco|balcon|terraza",
        # Unbearable: a burden, better off without.
        "soy|siento|sienten ..3 estorbo|estorbos",
        "estarian|estaran|vivirian|viviran ..2 mejor ..2 sin",
        "ya no aguanto|soporto|puedo ..2 vivir|seguir|mas ..3 vida|vivir|existir|asi",
        # The means in mind: the pills all at once, a leap from a height.
        "pienso|pensando|penso|quiero|voy|ganas|tentado|tentada ..3 tomarmelas|tragarmelas|tomarselas|tragarselas"
        "|tomarmelos|tragarmelos",
        # the means got for an end: "ya compré lo que necesitaba para acabar con esto", also when cancelling
        "compre|consegui|tengo|junte|prepare ..4 para acabar|terminar con esto|todo",
        "tomarmelo|tragarmelo|tomarselo|tragarselo|tomarmela|tragarmela ..2 entero|entera|todo|toda|completo|completa"
        "|golpe",
        "pienso|pensando|penso|pensado|ganas ..3 tirarme|tirarse|lanzarme|lanzarse|aventarme|aventarse|saltar"
        " ..3 puente|edificio|techo|terraza|azotea|balcon|ventana|barranco|precipicio|cornisa|camion|tren|auto",
        "puente|edificio|techo|terraza|azotea|balcon|ventana|barranco|precipicio|cornisa ... pienso|pensando|penso"
        "|ganas ..3 tirarme|tirarse|lanzarme|lanzarse|aventarme|aventarse|saltar",
    ]
)

# Signs of a crisis that are self-harm together, from different kinds (see `emergencies._self_harm`): despair, the means
# or the place at hand, a farewell. "No quiero seguir" alone may be a treatment; with a knife at hand it is not.
DESPAIR: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "no aguanto|soporto mas",
        "ya no aguanto|soporto|puedo",
        "no puedo mas",
        "tome la decision",
        "no sirvo|valgo para nada",
        "soy|es|eres|siento|sientes|siente una carga",
        "viendo|pensando|buscando|investigando|averiguando ..2 como hacerlo|matarme|matarse",
        "todo esta|es oscuro|negro",
        "hoy|manana|esta es el|la dia|noche",
        "ya no se para que",
        "ya esta|lo tengo? decidido",
        "ya lo decidi",
        "no hay|tengo|veo salida",
        "nadie me quiere|extrana|necesita",
        "cansado|cansada|harto|harta de todo",
        "se|me quiere|quiero ir con el|ella",
        "anda|esta|estoy|ando muy? rara|raro|triste|deprimido|deprimida",
        "no come|duerme|sale",
        # dark thoughts, a message written with no errand, a readiness with nothing said for what: "pienso cosas
        # feas", "no sé por qué les escribo", "ahora sí estoy listo"
        "pienso|pensando|penso|pensamientos|ideas ..2 feas|feos|oscuras|oscuros|horribles",
        "no se porque|pq|xq les|le|te escribo|escribi|cuento|digo",
        "no se por|para que les|le|te escribo|escribi|cuento|digo",
        "ahora si estoy listo|lista",
    ]
)
MEANS_AT_HAND: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "navaja|cuchillo|cuchilla|cuchillas|gillette|soga|escopeta|pistola|revolver|arma|veneno|raticida"
        "|matarratas|insecticida",
        "compro|compre|compraron|consiguio|consegui|junto|junte|tengo|tiene ..3 pastillas|pildoras|remedios|tabletas",
        "mirando|miro|viendo ..3 pastillas|pildoras|remedios|tabletas",
        # a height to be on, not a dental bridge ("se me rompió el puente dental")
        "en|del|al|sobre|desde el|la? puente|azotea|precipicio|barranco|cornisa|rieles",
        "vias del? tren",
        "esperando ..3 pase|pasa|venga|viene ..2 camion|tren|bus|auto|carro|micro",
    ]
)
# Shut in, not answering: alone with whatever is at hand.
ISOLATED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "encerrado|encerrada|encerro|encerre|encerrarme|encerrarse",
        "no me|nos abre|contesta|responde",
        "no abre ..2 puerta",
        "no contesta|responde|contestan ..2 celular|telefono|mensajes|llamadas|whatsapp",
        # the phone switched off after a goodbye: "me escribió 'te quise mucho' y apagó el cel"
        "apago|apagado|apagada ..2 cel|celular|telefono",
    ]
)
# Love sent, someone entrusted, an end to "this": what a person leaves said.
LEGACY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "los|las|la|lo|te|les quiero|quise|amo|ame mucho|tanto|muchisimo|siempre",
        "que los|las|la|lo|te|les quiero|quise|amo|ame",
        "los|las|la|lo|te|les amo",
        "cuiden|cuida|cuidenme|cuidar a|de mi|mis",
        "quiero|voy|para a? terminar|acabar con esto",
        # belongings given away or sold: "ya vendí mi moto y regalé mi ropa"
        "regale|regalando|regalado|reparti|repartiendo|vendi|vendiendo|vendido ..3 mi|mis ..1 cosas|ropa|pertenencias"
        "|moto|auto|carro|celular|libros|guitarra|herramientas",
    ]
)
# Love sent, said at the end of a clause ("adiós a todos, los quiero"), not "lo quiero usar".
LOVE_SENT: Final[tuple[Pattern, ...]] = compile_patterns(["los|las|la|lo|te|les quiero|quise"])
# Said at the end of a clause, with nothing after: "mañana ya no voy a estar", "no veo salida", "no me busquen".
LAST_WORDS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ya no voy a? estar|estare",
        "no tengo|hay por|para que seguir|vivir|existir",
        "no veo|hay|tengo|encuentro ..2 salida",
        "no me|nos busquen|busques|buscar",
        "no amanezco|amanecere|amanezca",
        "no voy a amanecer|despertar",
        "que me|lo|la|nos perdonen|perdone",
        "soy|siento una carga",
        "ya compre|tengo|consegui la? soga|horca",
    ]
)
# "No quiero seguir" said with nothing after it: despair, not a treatment given up ("no quiero seguir con la dieta").
GIVING_UP: Final[tuple[Pattern, ...]] = compile_patterns(
    ["no quiero|puedo|quiere|puede seguir", "no quiero|quiere estar aqui|aca"]
)
ENDING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "se|me despide|despido|despedira|despedire|despedirme|despedirse",
        "despidiendose|despidiendome|despidiendote",
        "adios|despedida",
        "no me|nos|la|lo busquen|busques|buscar",
        # forgiveness asked of the family, not "perdón por la hora"
        "perdon|perdonen|perdoname|perdonenme ..2 mama|mami|papa|papi|hijos|hijo|hija|familia|todos|amor|todo",
        "perdoname|perdonenme",
        "ultima|ultimo noche|vez",
        "esta|hoy noche ..3 me voy|ire|voy",
        "ya me voy|fui",
        "limpiando|cargando|cargo|cargada ..3 escopeta|pistola|revolver|arma",
    ]
)

# Pills counted or hoarded, and a farewell: self-harm, unless the message is about a refill or a move ("tengo las
# pastillas contadas hasta el viernes, necesito receta", "les escribo para despedirme, me mudo").
HOARDED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "pastillas|pildoras|tabletas|remedios|medicamentos ..5 contadas|contados|juntadas|juntados|acumuladas"
        "|acumulados|guardadas|guardados",
        "junte|junto|juntando|juntado|acumule|acumulando|acumulado|guardando ..3 pastillas|pildoras|tabletas"
        "|remedios|medicamentos",
    ]
)
FAREWELL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "escribo|escribirles|escribirte|escribirle|mensaje|mensajito ..2 para despedirme|despedirse",
        "despedirme|despedirse|despide|despidio|despidiendo|despido ..3 todos|mundo|familia|hijos|siempre|vida",
        "es|sera un|el|mi? adios|despedida",
        "ir|irme|irse ..2 para siempre",
        "es|sera mi|su ultima noche",
        "ya no voy a? estar|estare ..2 para|con nadie|ustedes|ti|ellos|ellas|nadie",
    ]
)
REFILL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "receta|recetas|recetar|recete|renovar|farmacia|comprar|compro|reponer|resurtir|repetir",
        "dan|dar|den|darme|venden ..2 otro|otra|otros|otras|mas",
    ],
    fuzzy=False,
)
LEAVING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "mudo|mudamos|mudanza|viaje|viajo|viajamos|ciudad|pais|extranjero|vacaciones|vuelvo|volvemos|regreso"
        "|regresamos|jubilo|renuncio|temporal|cancelar|cancelo|cancelen",
        # moving away for a living: "me voy a trabajar a Chile" (not "me voy a trabajar, adiós a todos")
        "voy|vamos|va|van|ire|iremos|irme a? trabajar|vivir|estudiar a|al|en|afuera|fuera|lejos|otro|otra",
        # on the way somewhere ordinary: "ya me despedí de mis hijos en el colegio, ya voy para la consulta"
        "voy|vamos|yendo|salgo|salimos para|a|al|hacia la? consulta|cita|clinica|trabajo|colegio|escuela|universidad"
        "|oficina",
    ],
    fuzzy=False,
)
# A thought of self-harm denied: "no pienso en matarme", "nunca he pensado en suicidarme" (the "no" comes too far
# before the act for the plain negation check).
DENIED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "no|nunca he|lo? pienso|pensado|pensaria|pensar|quiero|quise|haria|intentaria|intente ..1 en? matarme"
        "|suicidarme|suicidio|quitarme|morirme|hacerme|lastimarme|cortarme",
        # "no tengo ganas de hacerme daño", "no tengo pensamientos de matarme", "no estoy pensando en hacerme daño"
        "no|nunca he? tengo|tiene|tenia|tuve|tenido ..1 ganas|pensamientos|ideas|intencion|intenciones ..1 de|en"
        " matarme|suicidarme|quitarme|morirme|hacerme|lastimarme|cortarme|matarse|suicidarse|hacerse|lastimarse",
        "no|nunca estoy|esta|estaba|estuve pensando ..1 en matarme|suicidarme|quitarme|morirme|hacerme|lastimarme"
        "|cortarme",
    ],
    fuzzy=False,
)
# Ways of speaking that are not about dying: "me muero de la vergüenza", "me quiero morir de risa".
IDIOM: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "morir|morirme|muero|muera|muere|mueren|moria|moriria|muerto|muerta de la? verguenza|risa|hambre|sueno|ganas"
        "|calor|frio|aburrimiento|amor|envidia|cansancio|nervios|curiosidad|sed",
        "matar|matarse|matarme|mato|mata|matando ..2 trabajando|estudiando|corriendo|limpiando|cocinando|caminando",
        # a wish to die blamed on a trifle, not on a life: "con esta lluvia me quiero morir", "me muero con este calor"
        "con este|esta|estos|estas|tanto|tanta ..1 lluvia|calor|frio|trafico|tranca|fila|cola|viento|bulla|ruido|tarea"
        "|tareas|examen|examenes|polvo|humo ... morir|morirme|muero|matar|matarme|mata",
        "morir|morirme|muero ..2 con este|esta|tanto|tanta ..1 lluvia|calor|frio|trafico|tranca|fila|cola|viento|bulla"
        "|ruido|tarea|tareas|examen|examenes|polvo|humo",
        # tired of living with an illness, not of living: "estoy cansada de vivir con migraña"
        "vivir|viviendo con ..2 migrana|migranas|dolor|dolores|diabetes|asma|alergia|alergias|gastritis|artritis"
        "|artrosis|acidez|reflujo|acne|insomnio|picazon|comezon|hongos|varices|hemorroides|colitis|rinitis|sinusitis",
        # someone who will "kill" the patient with worry: "mi suegra me va a matar de un infarto jaja"
        "matar|mata|matara|matan de un|una? infarto|susto|disgusto|coraje|rabia|colera|preocupacion|nervios|risa|pena",
        # a verb of self-harm with a harmless object: "me quiero tirar a la cama", "cortarme el pelo", "desaparecer
        # estas ojeras", "desaparecer del grupo del colegio"
        "tirar|tirarme|tirarse|botarme|botarse|echar|echarme|echarse ..3 cama|camita|sofa|sillon|hamaca|colchon|siesta",
        "cortar|cortarme|cortarse|corto|corte el|la|las|los|mi|mis pelo|cabello|unas|flequillo|fleco|cerquillo|barba"
        "|bigote|puntas|melena|chasquilla",
        "desaparecer|desaparezca|desaparezcan ..2 ojeras|manchas|granos|acne|arrugas|estrias|verrugas|cicatriz"
        "|cicatrices|lunar|lunares|espinillas|papada|panza|rollitos|grasa|celulitis|varices|canas",
        "desaparecer de|del ..3 grupo|chat|whatsapp|facebook|instagram|tiktok|redes|reunion|fiesta|clase",
        # a drink or a meal taken whole, not a medicine: "me tomé todo el vaso del contraste"
        "todo|toda el|la vaso|taza|agua|contraste|leche|jugo|te|cafe|sopa|plato|solucion|preparado|refresco|mate",
        "muere|muero|muera|muriendo|moria|morimos por ..2 ver|conocer|ir|salir|comer|tener|saber|volver",
        # someone else will "kill" the patient for being late: "mi suegra me va a matar si no llego"
        "matar|mata|matara|matan|mataran si no|llego|llegamos|llega|voy|vamos",
    ]
)

# A medicine swallowed: an overdose when an amount goes with it (see `emergencies._overdose`).
SWALLOWED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "tome|tomo|tomado|tomaron|tomaste|tomando|trague|trago|tragado|tragaron|tragando|comio|comi|comido|comieron"
        "|ingirio|ingeri|ingerido|bebio|bebi|bebido|meti|metio|inyecto|inyecte|inyectado|puso|puse",
        "acabo|acaba|acabamos|acaban de tomar|tomarme|tomarse|tragar|tragarme|tragarse|comer|beber",
    ]
)
PILL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "pastilla|pastillas|pildora*|tableta*|capsula*|comprimido*|grageas|medicamento*|medicina|medicinas|remedio*"
        "|jarabe|paracetamol|ibuprofeno*|clonazepam|diazepam|alprazolam|lorazepam|rivotril|valium|aspirina*"
        "|tramadol|amitriptilina|fluoxetina|sertralina|metformina|dipirona|metamizol|naproxeno|diclofenaco|insulina"
        "|antidepresiv*|ansiolitic*|somnifer*|calmante*|analgesico*|antibiotico*|anticonceptiv*",
    ]
)
# A child who took pills, whatever the amount: "mi hijo tomó pastillas de su abuela".
CHILD: Final[tuple[Pattern, ...]] = compile_patterns(
    ["hijo|hija|hijito|hijita|nino|nina|nene|nena|bebe|wawa|guagua|nieto|nieta|sobrino|sobrina|chiquito|chiquita"]
)
PILLS: Final[tuple[Pattern, ...]] = compile_patterns(
    ["pastillas|pildoras|tabletas|capsulas|comprimidos|medicamentos|remedios|medicinas|grageas"]
)
# "Tomo" is also the present ("tomo pastillas para la presión"), and a "tomó" written without its accent: a habit,
# not pills swallowed, when said with how often (anyone's: "mi mamá tomo 5 pastillas al día" means "toma")...
HABIT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "cada|diario|diaria|diarios|diarias|diariamente|habitualmente|normalmente|regularmente|siempre",
        "a|al|por diario|dia",
        "todos|todas los|las dias|noches|mananas|tardes|semanas",
        "por|en las noches|mananas|tardes",
        "desde hace",
        "en ayunas",
    ]
)
# ... or, said by the patient of themselves, with the illness the pills are for; never for sleep, and never the whole
# supply ("tomo todas las pastillas para la depresión" may be a plan).
TAKEN_FOR: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "para ..2 presion|tension|hipertension|diabetes|azucar|glucosa|tiroides|colesterol|trigliceridos|corazon"
        "|epilepsia|asma|artritis|artrosis|gastritis|acidez|reflujo|alergia|alergias|migrana|migranas|dolor|dolores"
        "|ansiedad|depresion|hormonas|anemia|prostata|circulacion|tos|gripe|resfrio|fiebre",
    ]
)
WHOLE_SUPPLY: Final[tuple[Pattern, ...]] = compile_patterns(
    ["todas|todo|toda|frasco|caja|cajas|blister|tira|entero|entera|monton|punado|demasiadas|demasiados|exceso"]
)
# Amounts that are an overdose with any medicine; "unas" or a small number only when someone else took them.
MANY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "todas|todos|muchas|muchos|varias|varios|frasco|caja|cajas|blister|tira|monton|punado|entero|entera|harta"
        "|hartas|demasiadas|demasiados|demasiado|doble|triple|exceso|muchisimas|muchisimos|muchisima|mucha|mucho"
    ]
)
SOME: Final[tuple[Pattern, ...]] = compile_patterns(["unas|unos|como|algunas|algunos|casi|aproximadamente|mas"])
# Swallowed, harmful whatever the amount: household chemicals, button batteries, magnets.
SWALLOWED_HARM: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "tome|tomo|tomado|trague|trago|tragado|comio|comi|bebio|bebi|metio ..3 detergente|gasolina|diesel|suavizante"
        "|desinfectante|acido|pila|pilas|bateria|baterias|iman|imanes|jabon|alcohol|thinner|tiner|removedor|acetona"
        "|lavandina|lejia|cloro|veneno|raticida|insecticida|plaguicida|matarratas|hipoclorito|creolina|kerosen*",
        # Pills eaten or swallowed by someone else: a child who found them, whatever the amount.
        "se comio|trago|comieron|tragaron ..4 pastillas|pastilla|pildoras|tabletas|capsulas|medicamentos|remedios"
        "|medicina|medicinas",
        "tome|tomo|trague|trago|tragado|bebio|bebi|bebido|tomado ..3 liquido|producto|quimico ..3 limpiar|limpieza"
        "|pisos|piso|bano|lavar|ropa|desinfectar",
        # "Sin querer" (by accident) is not a "no".
        "sin querer ... tomo|trago|comio|bebio|veneno|lavandina|lejia|cloro|raticida|insecticida|plaguicida"
        "|detergente|pastillas",
    ]
)

# Signs that are an emergency together: each pair is (what happened, the sign that makes it serious).
HEAD_BLOW: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "golpe*|pego|pegue|pegado|cayo|cai|caida|choco|choque ... cabeza|cabesa|nuca|frente",
        "cabeza ..2 golpe*|contra",
        "cabezazo|traumatismo|encefalocraneano|tec",
        "chichon|chichones",
        "bebe|bebito|bebita|wawa|nene|nena ..3 cayo|golpeo|golpe",
        # A crash or a fall from a height, the head not named: "chocó en la moto sin casco".
        "choco|choque|chocamos|chocaron|accidente|cayo|cai|caida|cayeron|caerse|caer|cayendo|atropell* ... moto|auto"
        "|carro|bici|bicicleta|escalera|escaleras|caballo|techo|altura|arbol|casco",
    ]
)
HEAD_DANGER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "vomit*|devolvi*|arroj*",
        "confundid*|desorientad*|perdid*|atontad*|somnolient*|mareado|mareada|raro|rara",
        "dormido|dormida|duerme|adormilad*",
        "no se? acuerda|recuerda|acuerdo|reconoce|sabe",
        "sangr*|sangre|desmay*|inconscien*|convuls*",
        "doble",
        "sueno|suenito|sonolient*",
        "liquido|agua|aguita ..3 nariz|oido|oidos|oreja|orejas",
        "repite|repitiendo|pregunta|preguntando ..4 mismo|misma",
        "repite|repitiendo|pregunta|preguntando ..4 otra vez",
        "pupila|pupilas",
    ]
)
_PREGNANCY_WEEKS = "|".join(str(week) for week in range(12, 43))
PREGNANT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "embarazada|embarazo|embarazadas|gestacion|encinta|prenatal|prenatales|gestante",
        "estoy|ando|esta|anda de ..2 meses|semanas",
        f"tengo|llevo|cumplo|cumpli|voy|estoy|de|con {_PREGNANCY_WEEKS} semanas",
    ]
)
PREGNANCY_DANGER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "sangr*|sangre|hemorragia|contracciones|rompio|fuente|golpe*|caida|cai|cayo|convuls*|lucecitas|luces",
        "no se mueve",
        "no siento ..2 bebe",
        "presion ..2 alta|altisima|subio",
        "vision|veo ..2 borrosa|borroso|luces|lucecitas|manchas",
        "duele|dolor ..3 mucho|fuerte|muchisimo|fuertisimo|insoportable",
        "hinch* ..3 cara|manos|pies",
        "sale|salio|saliendo|perdiendo|pierdo|bota|botando ..2 liquido|agua|aguita",
        "rojo vivo",
        "rutilante",
        "no siento|noto|sentimos ..3 mover|moverse|movimientos|patear|patadas",
        "dejo de moverse|mover|patear",
        "no siento|noto|sentimos ..3 mueva|mueve|movia",
        "cada ..2 minutos",
    ]
)
BABY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "bebe|bebes|beba|bebito|bebita|wawa|wawita|guagua|lactante|neonato|recien",
        "de|tiene 1|2|3|4|5|6|7|8|9|10|11|un|una|dos|tres|cuatro|cinco|seis mes|meses|semana|semanas",
        "dias de nacido|nacida",
        # "bb" as WhatsApp writes a baby (read as "b"): only with an age or "mi", not the "b" of "vitamina b"
        "b de? 1|2|3|4|5|6|7|8|9|10|11|un|una|dos|tres|cuatro|cinco|seis mes|meses|semana|semanas|dia|dias",
        "mi|su|tu|del|al b",
    ]
)
BABY_DANGER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "fiebre ..3 38|39|40|41|42|alta|fuerte|altisima",
        "38|39|40|41|42 ..3 fiebre|temperatura|grados",
        "mucha|alta fiebre",
        "muy alta",
        "mes|meses|semanas|dias ... fiebre|calentura|temperatura",
        "fiebre|calentura ... mes|meses|semanas|dias",
        "no quiere|puede ..3 lactar|mamar|comer|tomar|succionar|pecho|leche|seno|nada",
        "no come|mama|lacta",
        "llora debil|bajito",
        "no llora",
        "muy? dormido|dormida|decaido|decaida|debil|aguado|aguada",
        "muy caliente|calientito|calientita",
        "ardiendo",
        "inconsolable",
        "no despierta|reacciona",
        "respira ..2 rapido|rapidito|mal|raro|feo|dificultad|agitado",
        "hundida ..2 mollera",
        # dry: no wet nappy, a sunken soft spot or eyes; feeding refused; a grunt at each breath
        "no moja|mojo|mojado ..2 panal|panales|panalito|panalitos",
        "panal|panales|panalito ..3 seco|secos|sequito",
        "mollerita|mollera|fontanela ..2 hundida|hundido|hundidita",
        "hundida|hundidita ..2 mollerita|fontanela",
        "ojos|ojitos ..2 hundidos|hunditos",
        "no quiere|puede ..3 agarrar|chupar|teta|tetita|biberon|mamadera|mamar",
        "queja|quejando|quejido|quejidos|puja|pujando ..3 respirar|respira|respiracion",
        "mollera hundida",
        # cold, blue or limp
        "esta|puso|pone|siento|sentimos|cuerpo|cuerpito|piel ..2 frio|fria|friito|friita|helado|helada|heladito"
        "|heladita",
        "azul|azulado|azulada|azuladito|azuladita|morado|morada|moradito|moradita|gris",
        "flojito|flojita|flacido|flacida|aguadito|aguadita|trapito",
        "sin fuerza|fuerzas",
    ]
)
# A seizure said as "un ataque": serious with a sign of one (an "ataque de tos" is not).
ATTACK: Final[tuple[Pattern, ...]] = compile_patterns(["ataque|ataques|tieso|tiesa|rigido|rigida"])
ATTACK_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    ["sacud*|tembl*|tiembla|espuma|rigid*|tieso|tiesa|morado|morada|cayo", "ojos ..2 blanco|blancos", "no responde"]
)
# A bee or wasp sting, a blood sugar, a blood pressure: serious with a sign that it is.
STING: Final[tuple[Pattern, ...]] = compile_patterns(
    ["avispa|avispas|abeja|abejas|alergi*|alergic*|ronchas|roncha|urticaria|habones|ronchitas"]
)
STING_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hinch* ..2 mucho|muchisimo|todo|toda|rapido|cara|labios|garganta|lengua|ojos",
        "respira*|tragar|ahog*|desmay*",
        "garganta ..3 apretada|apretado|aprieta|cerrada|cerrado|cierra|cerrando|tapada|hinchada",
    ]
)
# Chest discomfort, whatever it is called, with a sign that it is the heart: spreading to the arm or jaw, a cold
# sweat ("me arde el pecho y se me adormece el brazo").
CHEST: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "arde|ardor|quema|quemazon|pesa|molest*|incomod*|aprieta|apretado|apretada|oprime|dolor|duele|estruj*"
        "|presion|opresion ..6 pecho|corazon",
        "pecho|corazon ..3 arde|ardor|quema|pesa|molest*|aprieta|apretado|oprime|dolor|duele",
        "boca del estomago",
    ]
)
CHEST_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "brazo|brazos|mandibula|quijada|hombro ..3 izquierdo|dormido|dormida|adormec*|entumec*|hormigue*|duele|dolor",
        "dormido|adormec*|entumec*|hormigue*|duele|dolor|corre|baja|va|irradia* ..4 brazo|mandibula|quijada",
        "sudor|sudando|sudo frio|helado",
        "sudoroso|sudorosa",
        "palido|palida|palidez",
        "durmio|dormia|duerme ..3 brazo|brazos|mandibula|quijada|hombro",
    ]
)
# Medicine taken twice or by mistake, and a sign it did harm ("tomó sus pastillas dos veces y está muy mareada").
WRONG_DOSE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "pastilla|pastillas|remedio|remedios|medicamento|medicamentos|dosis|insulina|jarabe ... doble|error"
        "|equivocacion|equivocado|equivocada",
        "pastilla|pastillas|remedio|remedios|medicamento|medicamentos|dosis|insulina|jarabe ... dos veces",
        "doble|error|equivocacion ... pastilla|pastillas|remedio|remedios|medicamento|medicamentos|dosis|insulina"
        "|jarabe",
        "dos veces ... pastilla|pastillas|remedio|remedios|medicamento|medicamentos|dosis|insulina|jarabe",
    ]
)
WRONG_DOSE_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "mareada|mareado|dormida|dormido|somnolient*|confundid*|desmay*|vomit*|raro|rara|debil|temblando|sudando",
        "no responde|despierta|reacciona",
    ]
)
# Bleeding with dizziness or paleness: blood lost ("me sacaron una muela y sangro, estoy mareada").
# Blood lost, not blood tested ("análisis de sangre").
BLEEDING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "sangra|sangro|sangrando|sangrado|sangrar|sangraba|sangrante|hemorragia",
        "sale|salia|saliendo|salio|pierdo|perdi|perdiendo|perdio|bota|botando|boto|escupo|escupe ..3 sangre",
        "sangre ..3 sale|salia|saliendo|salio|empap*",
        "empap* ..4 sangre",
        # a cut that has soaked cloths: "se cortó la pierna y ya empapamos varias toallas"
        "corto|corte|cortado|cortada|herida|machete|cuchillo|vidrio ... empap*",
        "popo|caca|heces|deposicion|deposiciones ..3 negra|negro|negras|negros",
    ]
)
# Something sudden: with a sign of a stroke or of an organ at risk, an emergency ("de repente veo doble").
SUDDEN: Final[tuple[Pattern, ...]] = compile_patterns(
    ["de repente|golpe|pronto", "repentin*|subito|subita|subitamente", "rato|momento a otro", "de la nada"]
)
SUDDEN_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "doble",
        "confundid*|confundio|confusion|desorientad*|desorienta",
        "no me|nos|le|lo|la? reconoce",
        "no puede|puedo|podia caminar|hablar|mover|moverse|ver|pararse|levantarse",
        "cuesta|costaba|costando caminar|hablar|ver",
        "perdi|perdio|pierde|perdiendo ..2 fuerza|vista|vision|equilibrio",
        "testiculo|testiculos|escroto",
        "dejo|deja de hablar|caminar|ver|moverse|responder|reaccionar",
    ]
)
# Heat: confusion, fainting or a body burning hot after a day in the sun ("estuvo al sol y está confundido").
HEAT: Final[tuple[Pattern, ...]] = compile_patterns(["sol|calor|insolacion|insolado|insolada"])
HEAT_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "confundid*|desorientad*|desmay*|convuls*|delira|delirando",
        "no responde|reacciona|despierta",
        "muy caliente|ardiendo",
    ]
)
# Fever with a sign of meningitis or sepsis: purple spots, a stiff neck, delirium.
FEVER: Final[tuple[Pattern, ...]] = compile_patterns(["fiebre|calentura|temperatura"])
FEVER_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "manchas|manchitas|puntos|puntitos ..3 morad*|violeta*|oscuras|negras",
        "cuello|nuca ..2 rigido|rigida|duro|dura|tieso|tiesa",
        "rigidez ..2 cuello|nuca",
        "delira|delirando|delirio|delirios",
    ]
)
# Belly pain at its worst with fever or vomiting: an abdomen to be seen now.
BELLY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "duele|dolor ..3 muchisimo|insoportable|fuertisimo|terrible|horrible|intenso|intensisimo ..8 barriga|panza"
        "|estomago|abdomen|vientre|guata|costado|rinon|rinones|ingle|espalda",
        "barriga|panza|estomago|abdomen|vientre|guata|costado|rinon|rinones|ingle ..4 muchisimo|insoportable"
        "|fuertisimo|terrible|horrible|intenso|intensisimo",
    ]
)
BELLY_HARD: Final[tuple[Pattern, ...]] = compile_patterns(
    ["barriga|panza|estomago|abdomen|vientre|guata ..4 dura|duro|tiesa|tieso"]
)
BELLY_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    ["vomit*|fiebre|calentura", "duro|dura ..2 como? tabla|piedra", "no puedo|puede ..2 moverme|moverse|pararme"]
)
BLEEDING_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        # cloths soaked one after another, a bleed that does not stop, blood thinned by medicine
        "empap* ..3 trapo|trapos|toalla|toallas|gasa|gasas|pano|panos|panuelo|panuelos|sabana|ropa|algodon",
        "no para|paro|detiene|corta|deja",
        "anticoagula*|warfarina|sintrom|acenocumarol|rivaroxaban|apixaban|xarelto|eliquis|clopidogrel|heparina",
        "mareada|mareado|mareo|mareos|mareando|desvanec*|palido|palida|debil",
        "sin fuerza|fuerzas",
    ]
)
# Emptied packs of pills: swallowed, however long ago ("los blísters vacíos de sus pastillas").
EMPTY_PACK: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "blister|blisters|tira|tiras|caja|cajas|frasco|frascos|envase|envases|empaque|empaques|sobres"
        " ..2 vacio|vacios|vacia|vacias|vaciado|vaciados",
        "vacio|vacios|vacia|vacias ..2 blister|blisters|tiras|cajas|frasco|frascos|envase|envases",
    ]
)
# A child burnt on the body or by something hot: "se quemó las piernitas", "se quemó con la sopa".
BURNT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "quem*|escald* ..3 pierna|piernas|piernita|piernitas|brazo|brazos|bracito|bracitos|mano|manos|manito|manitos"
        "|cara|carita|cuello|pecho|pechito|barriga|pancita|panza|cuerpo|cuerpito|pie|pies|piecito|piecitos",
        "quem*|escald* ..5 olla|sopa|caldo|agua|aceite|te|leche|cafe|plancha|estufa|tetera|termo|caliente|hirviendo",
    ]
)
# Contractions, close together or before term: labour.
CONTRACTIONS: Final[tuple[Pattern, ...]] = compile_patterns(["contraccion|contracciones"])
LABOUR_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    ["semanas|meses", "cada ..2 minutos|minuto|rato", "seguidas|seguiditas|fuertes|fuertisimas"]
)
SUGAR: Final[tuple[Pattern, ...]] = compile_patterns(["azucar|glucosa|glicemia|diabetico|diabetica|insulina"])
SUGAR_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        # ketoacidosis: a fruity breath, deep fast breathing, vomiting
        "aliento|huele|olor ..4 fruta|frutas|manzana|acetona|dulce",
        "respira|respirando ..3 rapido|profundo|agitado|agitada",
        "vomit*",
        "confundid*|desorientad*|desmay*|inconscien*|temblando|sudando|sudor|convuls*|raro|rara",
        "no responde|despierta",
    ]
)
# A heart racing with a faint coming: "el corazón me late a mil y siento que me voy a caer".
PALPITATIONS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "palpitacion|palpitaciones|taquicardia|arritmia",
        "corazon ..3 late|latiendo|acelerado|acelerada|palpita|galopa|brinca|salta|mil|rapidisimo",
        "late|latiendo ..3 mil|rapidisimo|fuertisimo",
    ]
)
PALPITATION_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "voy|iba a? caer|desmayar|desmayarme",
        "me caigo|desvanezco",
        "mareo|mareos|mareado|mareada|desvanec*|desmay*",
        "vista ..2 negra|nublada|oscura",
        "nubla|nublo|nublando|oscurece|oscurecio|oscureciendo ..2 vista",
        "falta ..2 aire",
        "pecho ..3 duele|dolor|aprieta",
    ]
)
# A button battery or a magnet, bitten or swallowed: harmful whatever the child seems like.
BUTTON_BATTERY: Final[tuple[Pattern, ...]] = compile_patterns(
    ["pila|pilas|pilita|bateria|baterias de? boton|reloj|botoncito", "iman|imanes|imancito|imancitos"]
)
SWALLOWED_ANYHOW: Final[tuple[Pattern, ...]] = compile_patterns(
    ["trago|tragado|tragar|tragarse|tragando|comio|mordio|metio|ingirio|boca"]
)
# An electric shock, with a sign it did harm ("le dio la corriente, quedó tirado").
ELECTRIC: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "dio|pego|agarro|jalo|paso|dado la? corriente|electricidad",
        "corriente|electricidad ..4 cable|cables|poste|enchufe|tension",
        "cable|cables ..3 poste|alta",
    ]
)
ELECTRIC_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "tirado|tirada|atontado|atontada|quemad*|quemo|inconscien*|desmay*|confundid*|temblando|convuls*|cayo",
        "no responde|reacciona|habla|despierta",
    ]
)
# Pulled out of water, cold or not crying: nearly drowned.
PULLED_FROM_WATER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "saque|sacamos|sacaron|saco ..5 agua|piscina|rio|turril|tina|balde|pozo|lago|laguna|acequia|tanque|banera",
        "cayo|cai|caido ..3 piscina|rio|turril|pozo|tanque|acequia|lago|laguna",
        "boca abajo ..4 agua|piscina|turril|tina|balde|rio",
    ]
)
WATER_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "fria|frio|helada|helado|morad*|azul*|inconscien*|tose|tosiendo|vomit*|dormid*|flojit*",
        "boca abajo",
        "no llora|respira|responde|reacciona|despierta",
        "no se mueve",
    ]
)
# A blood pressure written as "220/130" (see `emergencies._pressure_crisis`), serious with a sign of harm.
PRESSURE: Final[tuple[Pattern, ...]] = compile_patterns(["presion|tension|arterial"])
PRESSURE_SIGNS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "cabeza|nuca|pecho|borroso|borrosa|nublado|nublada|doble|confundid*|hormigue*|adormec*|vomit*|sangr*",
        "no veo|ve bien",
    ]
)
SERIOUS_PAIRS: Final[tuple[tuple[tuple[Pattern, ...], tuple[Pattern, ...]], ...]] = (
    (HEAD_BLOW, HEAD_DANGER),
    (PREGNANT, PREGNANCY_DANGER),
    (BABY, BABY_DANGER),
    (ATTACK, ATTACK_SIGNS),
    (STING, STING_SIGNS),
    (SUGAR, SUGAR_SIGNS),
    (CHEST, CHEST_SIGNS),
    (BLEEDING, BLEEDING_SIGNS),
    (CONTRACTIONS, LABOUR_SIGNS),
    (SUDDEN, SUDDEN_SIGNS),
    (HEAT, HEAT_SIGNS),
    (WRONG_DOSE, WRONG_DOSE_SIGNS),
    (FEVER, FEVER_SIGNS),
    (BELLY, BELLY_SIGNS),
    (CHILD, BURNT),
    (BELLY_HARD, BELLY_SIGNS),
    (PALPITATIONS, PALPITATION_SIGNS),
    (BUTTON_BATTERY, SWALLOWED_ANYHOW),
    (ELECTRIC, ELECTRIC_SIGNS),
    (PULLED_FROM_WATER, WATER_SIGNS),
)

# An episode long past: with a wish for an appointment and no sign of now, a booking, not an emergency.
LONG_AGO: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hace|desde ..2 mes|meses|ano|anos|semana|semanas|tiempo",
        "ano|mes|semana|vez|verano|invierno pasado|pasada",
        "cuando ..2 nino|nina|chico|chica|pequeno|pequena|joven|era|tenia",
        "de nino|nina|chico|chica|chiquito|chiquita|pequeno|pequena|joven|bebe|bebito|bebita",
        # a year gone by: "tuvo un infarto en 2019"
        "en|el|del|ano|desde " + "|".join(str(year) for year in range(1970, 2026)),
        "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre pasado",
        "cuando tuvo|tuve|tuvimos",
        # time gone by since: "ya pasaron tres años desde que..."
        "pasaron|pasado ..2 mes|meses|ano|anos|semana|semanas|tiempo",
    ]
)
# What is wanted after an episode: a check-up, a certificate, a wound dressed ("ya está sanando, necesita curación").
FOLLOW_UP: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "control|controles|chequeo|revision|seguimiento|estudios|examenes|leve|leves|fisioterapia"
        "|rehabilitacion|terapia|certificado|cicatriz|cicatrices|secuela|secuelas|tratamiento|receta|recetas"
        "|curacion|curaciones|sanando|cicatrizando|cicatrizado|cicatrizada|vendas|vendaje|analisis|laboratorio",
    ]
)
MOVED_ON: Final[tuple[Pattern, ...]] = FOLLOW_UP + compile_patterns(
    [
        "estoy|esta|estamos|siento ..2 bien|sano|sana|sanito|sanita",
        "ya paso",
    ]
)
# An episode of the last days ("el domingo", "ayer", "la otra vez"): past only when all is said to be well now and a
# visit is wanted, and nothing is told after the all-clear (see `emergencies._long_past`).
RECENTLY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ayer|anteayer|antier|anoche",
        "el|este|esta|la|pasado lunes|martes|miercoles|jueves|viernes|sabado|domingo|finde",
        "fin de semana",
        "el|la otro|otra dia|vez",
        "vez pasada",
        "hace ..2 dia|dias",
    ],
    fuzzy=False,
)
NOW_AGAIN: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "otra vez",
        "de nuevo",
        "nuevamente|todavia|aun|sigue|sigo|siguen|ahorita|recien|acaba|acabo|volvi|volvio|volver",
    ]
)
# Self-harm is long past only as an attempt told in the past ("hace 5 años intenté suicidarme"), never as
# something felt for a long time ("hace meses que quiero morir").
PAST_ATTEMPT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "intente|intento|trate|quise|quiso|tuve|tuvo|pense|pensaba|penso ..3 suicid*|matarme|matarse|quitarme|quitarse"
        "|cortarme|morir",
    ]
)
ONGOING: Final[tuple[Pattern, ...]] = compile_patterns(["desde hace", "hace ..3 que", "desde|hace ..3 siento|pienso"])
# "Ahora queremos cita": what is wanted now after an episode long past is a visit (see `emergencies._long_past`).
VISIT_NOW: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ahora|hoy ..2 toca|tocaria|necesita|necesito|necesitamos|queremos|quiero|quiere|tiene|tengo|quisiera"
        " ..3 cita|control|consulta|chequeo|ficha|turno|examen|examenes|analisis|estudios|endoscopia|ecografia"
        "|receta|certificado",
    ],
    fuzzy=False,
)
# "ahora" and "hoy" are now, unless they say that now all is well.
NOW: Final[tuple[Pattern, ...]] = compile_patterns(["ahora|hoy"])
FINE_NOW: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ahora|hoy|ya ..3 bien|normal|tranquilo|tranquila|sano|sana|limpio|limpia|estable|recuperado|recuperada|sobrio"
        "|sobria",
        "esta|estoy|estamos|estan ..3 bien|normal|sano|sana|sanito|sanita|limpio|limpia|estable|recuperado"
        "|recuperada|sobrio|sobria",
        # under treatment or over it now: "ahora toma su medicina", "ya pasó con la pastilla"
        "ahora|ya|hoy ..2 toma|tomamos|controlado|controlada|controlados|controladas|medicado|medicada|tratado|tratada",
        "ya ..2 paso|pasado|pasaron",
    ]
)

# Emergency words not told of someone now: a film, the news, a book, homework or a first-aid course asked about
# ("vi una película donde se envenenan, ¿eso existe?"), unless something is happening now ("y ahora no respira").
TOLD_OF: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "vi|veo|viendo|mire|miro|mirando|lei|leo|leyendo ..4 pelicula|peliculas|serie|series|novela|telenovela"
        "|documental|libro|noticia|noticias|noticiero|periodico",
        "pelicula|peliculas|serie|series|novela|telenovela|documental|libro|noticia|noticias|noticiero|periodico"
        " ..3 salio|sale|dijeron|dicen|dice|decia|donde|que|sobre|personaje",
        "personaje|personajes|protagonista|actor|actriz",
        "vi|lei|leyendo|dice|dicen|dijeron|salio|sale ..3 internet|google|tiktok|youtube|facebook|redes",
        "sintomas|senales|signos ..2 de|del ..2 infarto|derrame|acv|intoxicacion|envenenamiento|sobredosis|asfixia",
        "tarea|tareas|monografia|exposicion|trabajo|investigacion|tesis ..3 colegio|escuela|universidad|facultad|sobre",
        "leyendo|leo|lei|investigar|investigando|investigo|estudiando|estudio ..2 sobre|acerca",
        "curso|cursos|taller|talleres|capacitacion|clase|clases ..3 primeros|auxilios|rcp|reanimacion|emergencias",
        # homework on a subject: "una tarea de primeros auxilios" (not a class, where a classmate may collapse)
        "tarea|tareas|exposicion|monografia ..2 primeros|auxilios|rcp|quimica|biologia|ciencias|anatomia|enfermeria"
        "|medicina|toxicologia|farmacologia|fisiologia",
        "charla|charlas|curso|cursos|taller|talleres|capacitacion|capacitaciones ..3 prevencion|sobre",
        "vi|veo|viendo|escuche|escucho|oi|dijeron|dicen|salio|sale ..3 tele|television|tv|radio",
    ],
    fuzzy=False,
)
# A story: a film, a series, a book and their characters. Emergency words in one are the story's, unless the
# writer tells them of themselves or their own (see `emergencies._in_a_story`): "en la serie el protagonista se
# suicida, me dejó pensando" is the character's; "estoy viendo una serie y me duele el pecho" is the writer's.
STORY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "pelicula|peliculas|peli|pelis|serie|series|novela|novelas|telenovela|telenovelas|documental|libro|anime"
        "|caricatura|caricaturas",
        "personaje|personajes|protagonista|protagonistas|actor|actriz",
        # a subject read about: "estoy leyendo sobre venenos para la clase de química"
        "leyendo|leo|lei|investigando|investigo|estudiando ..2 sobre|acerca",
    ],
    fuzzy=False,
)
# Someone of the writer's own ("mi hijo"): an emergency told with one named is theirs, whatever the frame.
OWN_PEOPLE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "mi|mis|tu|su|nuestro|nuestra|nuestros|nuestras ..1 hijo|hijos|hija|hijito|hijita|nino|nina|nene|nena|bebe"
        "|wawa|guagua|nieto|nieta|sobrino|sobrina|mama|papa|esposo|esposa|abuelo|abuela|abuelito|abuelita|hermano|hermana|tio|tia|suegro|suegra|primo|prima|novio|novia"
        "|pareja|amigo|amiga|vecino|vecina|hermanos|abuelos|padres|companero|companera|companeros|alumno|alumna"
        "|profesor|profesora|jefe|jefa",
    ],
    fuzzy=False,
)
# Words that put the writer in an emergency phrase: "me duele", "yo quiero morir", "quiero matarme".
FIRST_PERSON: Final[tuple[Pattern, ...]] = compile_patterns(
    ["me|yo|mi|mis|nos|conmigo|quiero|quisiera|voy|estoy|tengo|siento|pienso|puedo|necesito|ando"], fuzzy=False
)
# A death by suicide told: with a time long past, a bereavement ("mi papá se suicidó cuando yo era niña"), not the
# writer's own danger.
SUICIDE_DEATH: Final[tuple[Pattern, ...]] = compile_patterns(
    ["se suicido|suicidaron", "se quito|quitaron la vida"], fuzzy=False
)
# ... asked about out of curiosity, not for help ("¿eso existe de verdad?", "¿la epilepsia se cura?").
CURIOUS: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "existe|existen|verdad|curiosidad|cura|curan|comun|frecuente|informacion|informativo|informativa|folleto"
        "|folletos|aprender|ensenan|atendieron|explicar|explican",
        "como se",
        "que se hace|debe|hacer",
        "si alguien|alguno|alguna",
        "que tan",
        "cuales son",
        "como reconocer|identificar|saber",
        "eso ..3 pasar|pasa|existe|normal|comun|verdad|cierto|posible",
        # whether an illness in the family is inherited: "mi bebé puede heredar eso?"
        "heredar|hereda|heredan|heredo|herencia|hereditario|hereditaria|genetico|genetica",
    ],
    fuzzy=False,
)
# What to do if it ever happens: "¿qué hago si alguna vez le pica una abeja?". Only said plainly so: "¿qué hago si
# se tragó una moneda?" may well be now.
IF_EVER: Final[tuple[Pattern, ...]] = compile_patterns(
    ["si|cuando alguna vez", "si algun dia", "por si acaso"], fuzzy=False
)
# Sent home from a hospital, wanting a check-up ("ya le dieron de alta, necesita su control").
DISCHARGED: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "dieron|dan|daran|dio de alta",
        "alta medica",
        "salio|salimos de ..2 terapia|hospital|uci|uti|clinica",
        # a stay in hospital that is over: "estuvo internada por un infarto, ya salió"
        "estuvo|estuve|estuvimos|estuvieron internado|internada|internados|hospitalizado|hospitalizada|hospitalizados",
    ],
    fuzzy=False,
)
# A scare that was nothing, all well now ("el dolor de pecho era gases nomás, ya estoy bien").
WAS_NOTHING: Final[tuple[Pattern, ...]] = compile_patterns(
    ["era|eran|fue|fueron ..2 gases|nada|acidez|gastritis|ansiedad|estres|muscular|colico|colicos|susto"],
    fuzzy=False,
)
# Already in a hospital's care, writing to cancel or move an appointment ("cancelen la cita de mi papá, está
# internado por el infarto").
IN_HOSPITAL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "internado|internada|internados|hospitalizado|hospitalizada|hospitalizados|operaron|operado|operada",
        "terapia intensiva",
        "uci|uti",
        "ya lo|la|le|nos|me ..2 atienden|atendieron|atendiendo|internaron|estabilizaron",
    ],
    fuzzy=False,
)
# Someone spoken to who does not answer: exact words, since "no me contestan" is the clinic's phone.
UNANSWERING: Final[tuple[Pattern, ...]] = compile_patterns(
    ["hablo|hablando|hablamos|hablandole ..4 no me|nos|le? contesta|responde|reacciona"], fuzzy=False
)
# Emergency words in a manner of speaking: "casi me da un infarto cuando vi la factura", "me ahogo de calor"; not "me
# va a dar un infarto", which may be felt.
MEDICAL_IDIOM: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "casi me|le|nos? da|dio|daba|daria un? infarto|ataque|derrame|paro",
        "ahogo|ahogando|ahogaba|ahogamos de calor|risa",
        "quem* ..3 sol|solazo",
        # ("de tanto toser": the gap takes the "de"; written as "de tanto|cuando|al" it asked for a "de" first)
        "duele|dolor ..3 pecho ..3 tanto|cuando|al toso|toser|tos|tosiendo",
        # a family history, not an illness now: "mi papá murió de infarto joven"
        "murio|fallecio|fallecido|fallecida|muerto|muerta|perdi ..3 de|por un? infarto|infartos|derrame|paro|acv"
        "|ataque",
        # a faint at the sight of blood or a needle, or one nearly had from a fright: "se desmaya de ver sangre",
        # "casi me desmayo cuando me sacaron sangre", "casi me desmayo del susto"
        "desmay* ..3 ver|vea|veo|verse|sacan|sacaron|sacar|sacarle|sacarme|pinchan|pincharon|ponen|pusieron ..2 sangre"
        "|aguja|agujas|jeringa|jeringas|inyeccion|inyecciones|vacuna|vacunas",
        "casi me|se|le desmay* ..2 del|de susto|miedo|verguenza|risa|nervios|emocion|impresion|coraje|rabia",
        "casi me|se|le desmay* ..2 cuando|al ..1 vi|vio|ver|veo|supe|escuche|oi|llego",
        # blood drawn or tested, not lost: "prueba de embarazo en sangre", "me sacaron sangre"
        "prueba|pruebas|analisis|examen|examenes|test|muestra|muestras ..3 sangre",
        "sacar|sacaron|sacan|sacarme|sacarle|saquen|extraer ..2 sangre",
        # drowning in debts or work, not in water: "estoy que me ahogo en deudas"
        "ahogo|ahoga|ahogando|ahogado|ahogada|ahogamos en|de deudas|trabajo|problemas|papeles|tareas|cuentas|gastos",
        "ahogo|ahoga|ahogas|ahogan en un vaso de agua",
        # an illness in the family, or one recovered from, or its check-up: "en mi familia hubo infartos", "ya está
        # recuperado del acv", "la consulta de control del ACV de mi tío"
        "familia|familiares|antecedentes ..4 infarto|infartos|derrame|derrames|acv|convulsiones|epilepsia",
        "infarto|infartos|derrame|derrames|acv ..4 familia|familiares|antecedentes",
        "recuperado|recuperada|recupero|recuperando|recuperandose ..3 infarto|acv|derrame|convulsiones|quemadura"
        "|quemaduras|intoxicacion|fractura",
        "control|controles|seguimiento|rehabilitacion|fisioterapia|terapia ..3 del|de|por ..1 infarto|acv|derrame"
        "|convulsiones|quemadura|quemaduras|intoxicacion|fractura",
        # a colour of anger, not of a body without air: "se pone morado de rabia cuando hace berrinche"
        "morado|morada|rojo|roja|azul de? rabia|colera|coraje|berrinche|berrinches|pataleta|pataletas",
        # a food refused, not feeding: "mi bebé no quiere comer verduras"
        "comer|come|probar ..2 verduras|verdura|fruta|frutas|carne|pescado|ensalada|vegetales|legumbres|huevo|pollo",
        # an illness kept under control: "tiene convulsiones controladas"
        "convuls*|epilep*|asma|ataque|ataques|crisis ..3 controlada|controladas|controlado|controlados",
        # something harmless swallowed: "se tragó un chicle"
        "trago|comio|tragado ..3 chicle|chicles|semilla|semillas|pepa|pepas|pepita|pepitas|caramelo|caramelos",
    ]
)
NOW_HERE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["ahora|ahorita|urgente|ayuda|ayudenme|ayudame|rapido"], fuzzy=False
)
# An animal, not a person, in trouble ("mi gato se tragó un hilo"); a bite or a scratch is the person's emergency.
ANIMAL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "gato|gata|gatito|gatita|perra|perrito|perrita|mascota|mascotas|cachorro|cachorrito|cachorrita|conejo"
        "|conejito|hamster|loro|pajarito|tortuga|veterinari*",
        # farm animals; not those that are also food or another word ("pollo", "caballo" fallen from, "llama")
        "gallina|gallinas|gallito|gallo|pato|patito|vaca|vacas|ternero|ternera|chancho|chanchito|cerdo|cerdito|oveja"
        "|ovejas|cabra|cabras|burro|burrito|alpaca|cuy|cuyes|paloma|canario|periquito",
        # "perro" sounds like "pero" (but): only after a word that names it.
        "mi|su|tu|el|un|nuestro|del|al|mis|sus|los perro|perros",
    ],
    fuzzy=False,
)
ANIMAL_ATTACK: Final[tuple[Pattern, ...]] = compile_patterns(
    ["mord*|muerde|atac*|arano|aranazo|aranazos|rasguno|rasgunos|rasguno|rabia"]
)
PERSON: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hijo|hija|hijito|hijita|nino|nina|nene|nena|bebe|wawa|guagua|nieto|nieta|sobrino|sobrina|mama|papa|esposo"
        "|esposa|abuelo|abuela|abuelito|abuelita|hermano|hermana|tio|tia|suegro|suegra|primo|prima|novio|novia"
        "|pareja|yo|me|nos",
    ]
)
# Poisons and household chemicals: an emergency when named, unless asked about for cleaning ("¿la lavandina sirve
# para desinfectar el piso?"); swallowed, always (`SWALLOWED_HARM`).
CHEMICAL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "veneno|lavandina|lejia|cloro|raticida",
        "insecticida|plaguicida|pesticida|herbicida|matarratas|hipoclorito|creolina|folidol|kerosen*|querosen*",
        "soda caustica",
        "acido muriatico",
    ]
)
CLEANING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "sirve|sirven|usar|uso|usa|puedo|puede|como|cuanto|cuanta|para desinfectar|limpiar|lavar|trapear|diluir"
        "|fumigar",
        "lo|la|los|las? quiero|puedo|voy|vamos|pienso ..2 usar|poner|aplicar|echar",
        "seguro|segura|peligroso|peligrosa ..2 usar|usarlo|usarla|usarlos|tener|tenerlo|tenerla",
        "cuanto|cuanta|cuantas|cuantos ..3 cloro|lejia|lavandina|gotas|cucharadas",
        # a poison kept at home, asked about before anything happens: "es peligroso si tengo bebé? donde lo guardo?",
        # "es peligroso para los niños? pregunto para saber si lo compro"
        "donde|como lo|la|los|las guardo|guardamos|guardar|pongo|dejo",
        "si lo|la|los|las compro|compramos|uso|usamos|tengo|tenemos",
        "peligroso|peligrosa|peligrosos|peligrosas|toxico|toxica ..3 si tengo|tenemos|hay",
        "peligroso|peligrosa|peligrosos|peligrosas|toxico|toxica para los|las ninos|bebes|wawas|mascotas|animales",
    ],
    fuzzy=False,
)
# A topic named, not a person's act: "una tarea sobre prevención del suicidio".
SELF_HARM_TOPIC: Final[tuple[Pattern, ...]] = compile_patterns(
    ["suicidio|suicidios|autolesion|autolesiones"], fuzzy=False
)
# Signs that are serious only together, said to be mild or over ("se quemó la mano, fue leve, ya está bien").
MILD: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "leve|leves|levecito|levecita|poquito|poquitito|superficial|superficiales",
        "un poco|poquito",
        "nada grave",
        "ya|pero esta|estoy|estamos|estan|anda|sigue bien|normal|tranquilo|tranquila|sano|sana",
    ],
    fuzzy=False,
)

# The words these spell are never read as typos of other words; medicine names are left out, so that
# "diclofenaco" still reads as the "diclofenac" of the medical-advice check.
ALL: Final[tuple[tuple[Pattern, ...], ...]] = (
    SELF_HARM,
    DESPAIR,
    MEANS_AT_HAND,
    GIVING_UP,
    ISOLATED,
    LEGACY,
    LOVE_SENT,
    LAST_WORDS,
    ENDING,
    DENIED,
    HOARDED,
    FAREWELL,
    REFILL,
    LEAVING,
    IDIOM,
    SWALLOWED,
    SWALLOWED_HARM,
    HABIT,
    TAKEN_FOR,
    WHOLE_SUPPLY,
    MANY,
    SOME,
    CHILD,
    PILLS,
    HEAD_BLOW,
    HEAD_DANGER,
    PREGNANT,
    PREGNANCY_DANGER,
    BABY,
    BABY_DANGER,
    ATTACK,
    ATTACK_SIGNS,
    STING,
    STING_SIGNS,
    CHEST,
    CHEST_SIGNS,
    BLEEDING,
    BLEEDING_SIGNS,
    EMPTY_PACK,
    BURNT,
    SUDDEN,
    SUDDEN_SIGNS,
    HEAT,
    HEAT_SIGNS,
    WRONG_DOSE,
    WRONG_DOSE_SIGNS,
    FEVER,
    FEVER_SIGNS,
    BELLY,
    BELLY_SIGNS,
    BELLY_HARD,
    PRESSURE,
    PRESSURE_SIGNS,
    PALPITATIONS,
    PALPITATION_SIGNS,
    BUTTON_BATTERY,
    SWALLOWED_ANYHOW,
    ELECTRIC,
    ELECTRIC_SIGNS,
    PULLED_FROM_WATER,
    WATER_SIGNS,
    CONTRACTIONS,
    LABOUR_SIGNS,
    SUGAR,
    SUGAR_SIGNS,
    LONG_AGO,
    FOLLOW_UP,
    MOVED_ON,
    RECENTLY,
    NOW_AGAIN,
    PAST_ATTEMPT,
    ONGOING,
    NOW,
    VISIT_NOW,
    FINE_NOW,
    TOLD_OF,
    STORY,
    OWN_PEOPLE,
    FIRST_PERSON,
    SUICIDE_DEATH,
    CURIOUS,
    IF_EVER,
    IN_HOSPITAL,
    DISCHARGED,
    WAS_NOTHING,
    UNANSWERING,
    MEDICAL_IDIOM,
    NOW_HERE,
    ANIMAL,
    ANIMAL_ATTACK,
    PERSON,
    CHEMICAL,
    CLEANING,
    SELF_HARM_TOPIC,
    MILD,
)

# What the patient writes after an emergency reply, from most to least specific (see `emergency.follow_up`).
ASKS_NUMBER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "numero|numeros|telefono|celular|fono|linea",
        "a? quien|donde ..2 llamo|llamar|llamamos|aviso|marco",
        "que|cual ..2 marco|marcar|llamo|llamar",
    ]
)
WAITING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "no llega|llegan|viene|vienen|contesta|contestan|responde|responden|atiende|atienden",
        "tarda|tardan|tardando|demora|demoran|demorando",
        "nadie ..2 contesta|responde|atiende|viene|llega",
        "sigo|seguimos|estoy|estamos ..2 esperando",
    ]
)
WHERE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "donde|adonde|que|cual ..2 voy|vamos|llevo|llevamos|hospital|clinica|emergencia|emergencias|centro",
        "lo|la|le|los|las llevo|llevamos|traslado",
        "llevarlo|llevarla|llevarle|ir al|a la? hospital|emergencia|clinica",
    ]
)
MEANWHILE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "que hago|hacemos|hacer|debo|puedo",
        "mientras",
        "como ..2 ayudo|ayudamos|ayudarle|ayudarlo|ayudarla",
        "ayudeme|ayudenme|ayudame|ayuda",
    ]
)
IN_CARE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ya llego|llegaron|vino|vinieron ..2 ambulancia|paramedicos|medico|doctor",
        "ya estamos|esta|estoy|estan|llegamos ..3 hospital|emergencia|emergencias|clinica|posta",
        "ya lo|la|le|nos|me ..2 atienden|atendieron|atendiendo|internaron|llevaron|estabilizaron",
        "ya ..2 en camino ..2 hospital|emergencia|clinica",
    ]
)
ALL_CLEAR: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ya ..2 estamos|esta|estoy|estan|siento|sentimos ..2 bien|mejor|tranquilo|tranquila|tranquilos",
        "ya paso|pasado",
        "falsa alarma",
        "ya ..2 desperto|reacciono|respira|recupero",
        "todo ..2 bien|tranquilo",
    ]
)
