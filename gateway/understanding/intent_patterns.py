"""The phrases each intent is recognised by, in the pattern language of `patterns.py`.

Written without accents; matching is by sound and forgives a typo, so "sita", "kiero" and
"desmallo" need no entries of their own. Add phrasings here, not special cases in the logic.
"""

from __future__ import annotations

from typing import Final

from gateway.understanding.patterns import Pattern, compile_patterns

_APPOINTMENT = "cita|citas|turno|turnos|consulta|consultas|ficha|fichas|reserva|reservas|control|chequeo|revision"
_SPECIALIST = (
    "doctor|doctora|doctores|medico|medica|medicos|especialista|pediatra|pediatr*|ginecolog*|gineco|cardiolog*"
    "|cardio|dermatolog*|derma|odontolog*|dentista|traumatolog*|trauma|oftalmolog*|oftamolog*|oculista"
)
_GO = "ir|asistir|acudir|venir|presentarme|ire|asistire|acudire"
# Verbs that move an appointment to another time.
_MOVE = (
    "cambi*|mover|mueve|mueva|muevan|muevame|traslad*|posterg*|adelantar|adelantarla|atrasar|atrase|retrasar|retrase"
)

# Anything here wins over every other intent. Matches right after "no"/"sin" are ignored
# unless the phrase itself starts with "no" ("no tengo dolor de pecho" is not an emergency).
EMERGENCY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        # chest pain, heart attack
        "dolor|dolores|duele|doliendo|presion|opresion|aprieta|apretado|apreton|punzada|punzadas ... pecho",
        "pecho ... duele|doliendo|aprieta|apretado|oprime|presion|opresion|dolor",
        "infarto*",
        "ataque ... corazon|cardiaco",
        "paro cardiaco|respiratorio|cardiorespiratorio",
        # breathing
        "no ... respira|respirar|respiro|respiramos",
        "dificultad* ... respira*",
        "cuesta|costando|costaba ... respira*",
        "falta|faltando|falto|faltaba ... aire",
        "sin aire",
        "ahog*",
        "asfixi*",
        "labios ... morado|morados|morada|moradas|azul|azules",
        "puso|poniendo ... morado|morada|azul",
        "garganta ... cierra|cerrando|cerro|hinch*",
        "anafila*",
        # bleeding
        "sangr*|hemorragia ... mucho|mucha|muchisimo|muchisima|bastante|abundante|abundantemente|demasiado"
        "|demasiada|harto|harta|chorro*",
        "sangr* ... no para|paro|deja|detiene|corta|puedo|podemos",
        "no para|paro|deja|dejaba|paraba ... sangr*",
        "mucha|muchisima|bastante|abundante|harta|demasiada sangre",
        "hemorragia*",
        "desangr*",
        "vomit*|escup*|tose|tosiendo ... sangre",
        "embarazada|embarazo ... sangr*|contracciones",
        "sangr* ... embarazada|embarazo",
        "rompio|reventado|revento ... fuente|bolsa",
        # consciousness, seizures, stroke
        "desmay*",
        "desvanec*",
        "inconscien*",
        "no reacciona|responde|despierta|reacciono|respondio|desperto",
        "perdio|perdido|pierde|perdiendo ... conocimiento|conciencia|sentido",
        "convuls*",
        "ataque ... epileptico|epilepsia",
        "espuma ... boca",
        "derrame cerebral",
        "durmio|dormido|dormida|adormec*|paraliz* ... mitad|lado",
        "mitad|lado ... cuerpo|cara ... durmio|dormido|dormida|adormec*|paraliz*",
        "cuchill*|apunal*|punal*|balazo|disparo|baleado|baleada",
        "herida profunda",
        "acv",
        "paraliz*",
        "cara|boca ... chueca|torcida|caida|dormida|paralizada",
        "no puede|podia hablar|mover|moverse",
        "no puedo hablar bien|claro",
        "incoheren*",
        "alucin*",
        "no le|me|les|nos? entra|entraba|pasa ..2 aire",
        "cayo|caida|cai|cayeron ..5 no se? puede|puedo|podia|pudo levantar|levantarse|pararse|mover|moverse|caminar",
        "azucar|glucosa|glicemia ..3 20|25|30|35|40|45|50|400|450|500|550|600|650|700|800",
        "no puedo mover ... brazo|brazos|pierna|piernas|cara|lado|cuerpo",
        "se esta muriendo",
        "se muere|muriendo",
        # poisoning, injuries
        "envenen*",
        "intoxic*",
        "sobredosis",
        "se trago",
        "se tomo ... todas|frasco|caja|muchas",
        "atropell*",
        "accidente ... grave",
        "quemadura|quemaduras|quemo ... grave|graves|todo|cara",
        "fractura expuesta",
        "hueso ... afuera|fuera|salido|expuesto",
        "hueso ..3 ve|asoma|sale|salio|saliendo|sobresale",
        "fiebre ... 40|41|42",
        "fiebre muy alta",
        # allergic reaction
        "hinch* ... cara|garganta|labios|labio|lengua|ojos|boca|parpados",
        "cara|garganta|labios|lengua|boca ..3 hinch*",
        "no puede|puedo|podia tragar",
        "cuesta|costando|cuestra ..2 tragar",
        "cierra|cerrando|cerro ..3 garganta",
        "reaccion alergica",
        "alergia|alergica|alergico ... fuerte|grave|respirar",
        # burns
        "quem* ... hirviendo|aceite|llamas|explosion|garrafa|gas|electric*|ampolla*|grande|grandes|grave|graves"
        "|cara|pecho|espalda|cuerpo|todo|toda",
        "bebe|nino|nina|nene|nena|wawa ... quem*",
        "agua hirviendo",
        # stroke, more words for it
        "agarra|agarro|agarrando|apretando|toma ... pecho",
        "no habla bien|nada|claro",
        "habla|hablo|hablando|habla ... raro|rara|extrano|enredado|arrastrando|mal",
        "cayo|caida|caido ... boca|cara|labio",
        "golpe|repente|repentin*|subito ..3 no siento|siente|puedo|puede",
        "golpe|repente|repentin*|subito ..3 durmio|dormido|dormida|adormec*|entumec*",
        "no siento|siente ..2 brazo|pierna|cara|lado|mano",
        "fiebre ..3 40|41|42",
        "40|41|42 ..3 fiebre|grados",
        "ojos en blanco",
        "no se mueve|levanta",
        "durmio|dormido|dormida|adormec*|entumec* ..3 golpe|repente",
        "sangr* ..3 cabeza|oido|oidos",
        "esta|puso|pone muy? morado|morada|azul|azulado|azulada",
        "cara ..2 morada|morado|azul",
        "electrocut*|electrocuto",
        "descarga electrica",
        "dispar*|balear*|bala|balas",
        "dio|dando|dado|tuvo|daria ..2 derrame",
        "sin respirar|respiracion|pulso|conocimiento|reaccionar|despertar|sentido",
        "diarrea|heces|caca|popo ..3 sangre",
        "respir*|inhal*|aspir* ..3 gas|humo|monoxido",
        "gas|monoxido|brasero|estufa ..5 mareado|mareados|mareada|mareadas|desmay*|inconscien*|vomit*",
        "alacran|escorpion|vibora|serpiente|culebra|yarara|cascabel",
        "cayo|caida|cai|cayeron ..3 techo|altura|escalera|escaleras|gradas|balcon|arbol|andamio|caballo|moto",
        # a floor is a height only fallen from ("del segundo piso"), not to ("se cayó al piso")
        "cayo|caida|cai|cayeron|caido del|de ..2 piso",
        "torci*|chuec*|ladead* ..3 boca|cara",
        "sangre ... toser|tos|tosiendo|vomito|vomita|vomitando",
        "hirviendo",
        "dolor|opresion|presion ..2 toracico|toracica|torax",
        "atragant*|atoro|atorado|atorada|atoraron",
        "herida ..2 profunda|grande|abierta",
        "duele|dolor|doliendo ..2 corazon",
        "crisis|ataque de asma",
        "sangr*|sangrado|hemorragia ..2 fuerte|fuertisimo|intenso|intensa",
        "viuda negra",
        "violinista|homobono",
        "hinch* ..2 todo|toda|entero|entera",
        "rompio|rajo|partio|abrio ..2 cabeza|craneo",
        "choque|chocamos|choco|accidente|volco|volcamos|atropell* ..4 herido|heridos|herida|heridas|sangr*|atrapado",
        "estamos|esta|estan|muy heridos|herido|herida|heridas",
        "quem* ... acido|gasolina|quimico|quimicos|soda",
        "prendio|prendieron|agarro|agarraron ..2 fuego",
        "prendio|incendio|encendio ..2 ropa|pelo|cabello|vestido",
        "desplom*|colaps*",
        "palido|palida ... frio|fria|sudor|sudando|sudoroso",
        "palido|palida ... no habla|responde",
        "hunde|hunden|hundido|hundiendo ..3 costillas|pecho",
        "dolor de cabeza ..4 repente|subito|peor|insoportable|explosivo",
        "peor dolor ..5 vida",
        "presion ..3 180|190|200|210|220|230|240|250|260",
        # pink frothy cough: fluid in the lungs
        "espuma|flema|flemas|esputo ..3 rosada|rosado|rosa|rosadita|rosadito",
        "recien nacido|nacida ... fiebre|calentura|temperatura",
        # the heart: squeezed, heavy, burning
        "estruj*|exprim* ..3 pecho|corazon",
        "peso|pesadez|piedra|elefante|pesado|pesada ..3 pecho",
        # breathing: a closing chest, a wheeze, blue lips or nails
        "cierra|cerrando|cerro|cerrado|cerrada ..3 pecho",
        "respira*|respirar ..5 silbido|silbidos|silba|silbando|chiflido|chilla|hervidero|quejido|quejidos|pujido"
        "|pujidos",
        "silbido|silbidos|chiflido ..4 respira*|pecho",
        "boca|boquita|labios|labiecitos|labitos|unas|unitas|lengua|carita ..3 morad*|azul*|moradit*",
        "piel ..3 azul|azulada|azulado|azuladita|azuladito|gris|grisacea",
        # stroke: sudden confusion, slurred words, one side that does not move
        "arrastra|arrastrando|arrastraba|traba|trabando|enreda|enredando ..2 palabras|lengua",
        "habla|hablando|hablaba ..3 borracho|borracha|trabado|trabada|mareado|mareada",
        "sin poder|poderse mover|moverse|hablar|levantarse",
        "no puede|puedo|podia|pudo sostener|agarrar|levantar ..3 vaso|taza|cuchara|brazo|mano|celular|nada",
        "sonrisa ..3 torcida|chueca|ladeada|caida|rara",
        "cae|caia|cayo|caido|caida ..3 lado|mitad ..3 boca|cara",
        "cuesta|costando hablar ..5 adormec*|dormid*|durmio|entumec*",
        "adormec*|dormid*|durmio|entumec* ..5 cuesta|costando hablar",
        "durmio|dormida|dormido|adormecio|adormecida|adormece|entumecio|entumecida ..3 cara ..3 brazo|mano|pierna",
        "cara ..3 brazo|mano|pierna ..3 durmio|dormido|dormidos|dormida|adormec*|entumec*",
        "no ve|veo|veia|vi nada ..3 ojo",
        "perdi|perdio|perdiendo ..2 vista|vision ..3 ojo",
        # unconscious
        "no lo|la|le|los? podemos|puedo|pude|pudimos|pueden|logramos|logro despertar|reaccionar",
        "no podemos|puedo|pude|pudimos|logramos|logro despertarlo|despertarla|despertarle",
        "no podemos|puedo|pude|pudimos|logramos|logro hacerlo|hacerla|hacerle reaccionar",
        "no podemos|puedo|pude|pudimos|logramos|logro despertar a",
        "ronca|roncando ..2 raro|rara|extrano|feo",
        # seizure: shaking on the floor, eyes rolled back
        "piso|suelo ..3 sacudiendose|sacude|sacudia|temblando|tiembla|retorciendose",
        "sacudiendose|sacude|temblando|tiembla ..5 no responde|reacciona|reconoce",
        "se le van|fueron|iban|voltearon|voltean|viran|viraron ..2 ojos",
        "ojos ..2 volteados|virados|blancos",
        "ojos|ojitos ..2 para arriba|atras",
        "ojitos ..2 volteados|virados|blancos",
        # bleeding that does not stop
        "sangr* ..3 sin parar|cesar|detenerse",
        # breathing that stops, speech and strength that go
        "deja|dejo|dejaba|dejando de respirar",
        "fue|va|iba|perdio|perdi|pierde|sin ..3 fuerza|fuerzas ..3 brazo|brazos|pierna|piernas|lado|mano",
        "borracho|borracha|ebrio|ebria ..5 no ha? tomado|tomo|bebido|bebio",
        # a bite to the face, a spider bite that swells
        "mordio|mordieron|mordida|mordedura ... cara|cuello|cabeza|carita",
        "arana|aranas ..6 hinch*|fiebre|morad*|negr*",
        # no urine for hours: dehydrated
        "no orina|orino|orinado|orinaba|pisa ..3 desde|hace|horas|todo|nada",
        # heat stroke, an eye hurt, a limb cut off, someone crushed, rape, a threat to kill
        "golpe de calor",
        # very ill, said plainly: "está muy grave", "se nos está yendo"
        "esta|estan|puso|pone muy? grave|gravisimo|gravisima",
        "se nos|me esta|estan yendo|muriendo",
        "se nos muere",
        "muy mal|grave ..4 no habla|responde|contesta|reacciona|despierta",
        "cabeza|craneo ..2 rota|roto|abierta|partida",
        "creo|parece|sera|capaz que es|sea|esta|este ..3 derrame|infarto|acv",
        "dio|dando|tuvo ..2 paro",
        "puso|pone blanco|blanca|palido|palida ..4 cayo|desplomo|desmayo",
        "no orina|orinado ..6 decaido|decaida|dormido|dormida|debil",
        "decaido|decaida ..6 no orina|orinado",
        "cayo|cai|cayeron|caido a|al la? piscina|rio|lago|laguna|pozo|mar|acequia|agua|canal",
        "insolacion ..6 confundid*|desorientad*|desmay*|convuls*|delira*",
        "acido|quimico|quimicos|soda|cal|fierro|fierros|clavo|vidrio|vidrios|metal|alambre|petardo|cohete|cuete"
        " ..4 ojo|ojos",
        "amput*|cercen*|mutil*",
        # a limb torn or nearly torn off: "casi se lo arranca", "el dedo le quedó colgando"
        "casi se|me|le lo|la|los arranca|arranco|arranque|mocha|mocho|cercena|amputa",
        "arranco|arranca|arrancado|arrancada|mocho|mochado|mochada ..3 dedo|dedos|mano|pie|oreja|brazo|pierna",
        "dedo|dedos|mano|oreja ..3 colgando|colgadito|colgadita|guindando",
        "atrapad*|aplastad*|prensad* ..3 bajo|debajo|entre",
        "violaron|violacion|violada|violado|violo|abusaron|abusado|abusada ..3 sexual*|anoche|ayer|hoy|mi|me|ella|el",
        "abuso sexual",
        "agresivo|agresiva|violento|violenta ..8 matar|cuchillo|arma|pistola|golpea|golpeando",
        "amenaza|amenazando|amenazo ..3 matar|matarnos|matarme|cuchillo|arma|pistola",
        "no ha orinado",
        "no hace|hizo|ha hecho pis|pichi",
        "siento|creo que me|se muero|muere|morire|morira",
        "siento|creo que me|se voy|va a morir",
        "no siento|noto|sentimos ..3 mueva|mueve|moverse|mover|movimientos|patear|patadas ..3 bebe|guagua|wawa",
        "lleno|llena|llenando|empapado|empapada|empapando ..3 de? sangre",
        # a hot liquid spilled on someone
        "volco|volcaron|derramo|derramaron|cayo|echo|jalo|jalaron|tumbo ..4 olla|aceite|sarten|tetera|termo ..5 sobre"
        "|encima|cara|cuerpo|pecho|piernas|brazo|brazos|espalda",
        "volco|volcaron|derramo|derramaron|cayo|echo|jalo|jalaron|tumbo ..6 caliente|hirviendo|hervida"
        " ..5 cara|cuello|pecho|brazo|brazos|piernas|piernitas|cuerpo|encima|barriga|pancita|espalda",
    ]
)

# Calls for help, unless the message asks whether the clinic handles emergencies.
EMERGENCY_CALL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "emergencia|emergencias|auxilio|socorro|ambulancia|ambulancias",
        "ayuda urgente",
        "ayuda|ayudenme|ayudame|auxilio por favor ..2 mi|es bebe|hijo|hija|papa|mama|esposo|esposa|abuela|abuelo",
    ]
)
EMERGENCY_QUESTION: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "atienden|atiende|tienen|tiene|hay|servicio|numero|telefono|cubre|cubren|cuesta|cuestan|precio|costo|cobran"
        " ... emergencia|emergencias|ambulancia|ambulancias",
        # help asked with an appointment: "ayuda por favor, mi mamá quiere cita"
        "ayuda|ayudenme|ayudame ..8 cita|citas|turno|ficha|agendar|reservar|sacar|consulta",
        # "auxilios" is not a cry for help in "primeros auxilios" (first aid).
        "primeros auxilios",
        # the service compared with another: "la diferencia entre emergencias y consulta externa"
        "diferencia|diferencias|distinto|distinta|distintos ... emergencia|emergencias",
        "emergencia|emergencias y|o|vs consulta|consultas|consultorio",
    ]
)

# "Persona", as the replies ask the patient to write it: a hand-over only when it is the whole message
# ("es para una persona mayor" is not one).
A_PERSON_ALONE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["con? una|un|la|el? persona|humano|humana|operador*|recepcion*|recepcionista|asesor*|agente"]
)

# A complaint about the clinic (not about the assistant: see small_talk.COMPLAINT): a person answers it.
CLINIC_COMPLAINT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "queja|quejas|quejarme|quejarnos|quejo|queje|quejamos|reclamo|reclamos|reclamar|reclamacion|reclamaciones"
        "|denuncia|denunciar",
        "mala|pesima|malisima|horrible|fea atencion|trato",
        "me|nos|lo|la|le atendieron|atendio|trataron|trato mal|pesimo",
        "espere|esperamos|esperando ..2 horas ..6 doctor|doctora|medico|atendieron|atendio|ficha|consulta",
    ]
)

# Pain complained of ("mi esposo se queja de la espalda"): a symptom told, not a complaint about the clinic.
_AILING = (
    "dolor|dolores|duele|doler|molestia|molestias|espalda|cabeza|estomago|barriga|panza|pecho|cintura|rodilla"
    "|rodillas|pierna|piernas|brazo|brazos|garganta|muela|muelas|oido|oidos|ojo|ojos|columna|huesos|pie|pies|mano"
    "|manos|cuello|hombro|hombros|rinon|rinones|vientre|cuerpo"
)
COMPLAINING_OF_PAIN: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "se|me|te queja|quejaba|quejo|quejan|quejaban|quejado|quejando|quejara ..4 " + _AILING,
        "quejandose|quejarse|quejarme ..4 " + _AILING,
    ]
)

HUMAN_HANDOFF: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hablar|conversar|comunicar*|comunica|comuniq*|contactar|chatear|atienda|atiende|escribir|pase|paseme|pasame"
        "|pasa|pasan|pasen|pasarme|conecte|conecta|conectar*"
        "|transfier*|derive|derivar|atender ... persona|humano|humana|alguien|agente|operador*|asesor*|recepcion*"
        "|secretari*|encargad*|administracion|administrador*|personal|gente|responsable|senorita|senor|senora",
        "operador*|asesor*|agente|agentes|humano|recepcionista",
        "pasa|pase|paseme|pasame|pasan|pasen|comunica|comunicar*|comuniq*|hablar ..3 enfermera|enfermero|enfermeria",
        "alguien ..2 administracion|facturacion|contabilidad|caja|recepcion",
        "quiero|necesito|prefiero|busco ..2 persona|humano|humana|operador*|asesor*|agente|encargad*",
        "persona|gente|alguien ... real|verdad|carne",
        "alguien|persona ... atienda|atender|atiende|hable|hablar|ayude|ayudar|responda|conteste",
        "ser humano",
        "no ... bot|robot|maquina|contestadora|automatico",
        "llamenme|llamarme|llamame|llameme",
        "me ... llamen|llamar|llaman",
        "que me llamen|llame",
        "me pueden|puede|podrian|podria llamar",
        "pueden|puede|podrian|podria llamarme",
        "atencion ... cliente|personalizada|humana",
    ]
)

CANCEL: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "cancel*",
        "anul*",
        "desagend*",
        "desist*",
        "elimin*|borr*|quit*|suspend* ... " + _APPOINTMENT,
        "dar ... de baja",
    ]
)

# Not being able to go: a cancellation, or a reschedule when another day is asked for.
CANNOT_ATTEND: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ya no ... " + _GO,
        "no ... poder|podre|puedo|podemos|podra|voy|vamos ... asistir|acudir|presentarme",
        "no asistire|acudire|ire",
        "no ... " + _GO + " ... " + _APPOINTMENT,
        "ya no ... necesito|quiero|requiero ... " + _APPOINTMENT,
    ]
)

RESCHEDULE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "reprogram*",
        "reagend*",
        "reasign*",
        "reprogr*",
        "cambi*|mover|mueve|muevan|mueva|muevame|moverla|moverlo|correr|corra|corran|recorrer|traslad*"
        "|reubicar ... " + _APPOINTMENT + "|hora|horario|fecha|dia",
        "pasar|pase|pasa|pasen|pasame|paseme la|mi|el|mis cita|turno|ficha|reserva",
        "la|lo cambia|cambias|cambie|cambien|mueve|mueva|muevan|pasa|pase|pasen|corre|corra ... para|al|a|otro|otra",
        "la|lo ..2 mover|cambiar|pasar|correr|reprogramar|trasladar|postergar|adelantar",
        "cambiarla|cambiarlo|moverla|moverlo|pasarla|pasarlo|reprogramarla|reprogramarlo|correrla|correrlo",
        "venir|ir|asistir ... otro|otra dia|fecha|hora|horario|semana",
        "otro|otra|nueva|nuevo dia|fecha|hora|horario ... mi|la " + _APPOINTMENT,
        "posterg*",
        "aplaz*",
        "pospon*",
        "adelant*|atras*|retras* ... " + _APPOINTMENT,
        # The appointment named by its day, hour or by holding it: "mover la del viernes", "cambiar la de las 15:00",
        # "no, quería cambiar la que tengo".
        _MOVE + " la|lo|las|los de|del",
        _MOVE + "|pasar la|lo|las|los que ..2 tengo|tenia|tiene|saque|reserve|agende|pedi|hice|dieron",
        "pasar|pasa|pase|pasen|pasame|paseme|pasarla|pasarlo la|lo de|del ... para|al|a",
        # "¿Me la cambia?", "cámbiemela para el lunes", "adelantarla".
        "me la|lo cambia|cambias|cambie|cambien|cambian|mueve|mueva|muevan|reprograma|reprograme|corre|corra",
        "me ..2 cambiar|cambia|cambian|cambien|mover|mueve|mueva|muevan|reprogramar|reprograma al|para",
        "cambiela|cambiala|cambienla|cambiemela|cambiamela|cambiemelo|muevala|muevanla|muevamela|reprogramela"
        "|reprogramenla|adelantela|adelantarla|adelantarlo|atrasarla|atrasarlo|retrasarla|retrasarlo",
        "adelantar|atrasar|retrasar ..2 para|al|hasta|otro|otra|unos|unas|una|un|mas",
        # "La cita del viernes la quiero para el lunes".
        _APPOINTMENT + " del|de ..3 la|lo quiero|quisiera|necesito|prefiero|puede|pueden|podria ..2 para|al",
    ]
)

# A move said in a word, the whole message: "adelantar", "postergar por favor".
MOVE_ALONE: Final[tuple[Pattern, ...]] = compile_patterns(["adelantar|atrasar|retrasar|reprogramar|postergar|posponer"])

# "¿Tengo cita mañana?": with a question mark, having an appointment is asked about.
HAVE_APPOINTMENT: Final[tuple[Pattern, ...]] = compile_patterns(["tengo|tenia|tenemos|tiene ... " + _APPOINTMENT])

# A bare "una cita por favor" is a booking.
APPOINTMENT_WORD: Final[tuple[Pattern, ...]] = compile_patterns([_APPOINTMENT])

# Asking for another day or hour: with "no voy a poder ir" it turns a cancel into a reschedule.
OTHER_TIME: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "otro|otra dia|fecha|hora|horario|semana",
        "mejor|puede|podria ... lunes|martes|miercoles|jueves|viernes|sabado|manana|semana",
    ]
)

LIST: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "cuando|dia|fecha|hora|cual|cuales|donde ... es|era|sera|seria|tengo|tenia|toca|esta|estaba|son|eran"
        "|quedo|queda ... mi|mis ... " + _APPOINTMENT,
        "cuando|dia|fecha|hora ... tengo|tenia|toca ... " + _APPOINTMENT,
        "que|cuales|cuantas|cuantos citas|turnos|consultas|reservas|fichas ... tengo|tenia",
        "mis citas|turnos|consultas|reservas|fichas",
        "tengo|tenia ... algun|alguna|algunas|algunos|pendiente|pendientes ... " + _APPOINTMENT,
        "tengo|tenia ... " + _APPOINTMENT + " ... pendiente|pendientes|agendad*|programad*|reservad*|registrad*",
        "tengo|tenia ..2 pendiente|pendientes|agendad*|programad*|reservad*",
        "si tengo ... " + _APPOINTMENT,
        "ver|revisar|consultar|saber|recordar|recuerdame|recordarme|confirmar|verificar ... mi|mis ... " + _APPOINTMENT,
        "no me acuerdo|recuerdo ... " + _APPOINTMENT,
        "olvide ... " + _APPOINTMENT,
        "mi proxima|siguiente " + _APPOINTMENT,
        "cuando|dia|fecha|hora me? toca|tocaba",
        "mi|la " + _APPOINTMENT + " ... sigue|siguen|vigente|confirmad*|agendad*|registrad*",
        "cuando|dia|fecha|hora ... tengo|debo ... que? ir|venir|llegar|estar|presentarme",
        "confirmacion|recordatorio|mensaje ... mi|la " + _APPOINTMENT,
        # someone else's: "quiero ver las citas que tiene mi mamá agendadas"
        "ver|revisar|consultar|saber ..2 citas|turnos|consultas|reservas|fichas ..5 agendad*|programad*|reservad*"
        "|pendientes",
    ]
)

# Unmistakable booking verbs: these win over a question about prices or hours in the same message.
SCHEDULE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "agend*",
        "reservar|reservame|reserveme|reservarme|reservenme|reservo|reservame",
        "apart*|separ* ... " + _APPOINTMENT + "|hora|espacio|turno",
        "program* ... " + _APPOINTMENT + "|hora",
        "sacar|saco|sacarme|sacame|saqueme|pedir|pido|solicitar|solicito|obtener|conseguir ... "
        + _APPOINTMENT
        + "|hora|espacio|numero",
        "hacer|hago|haceme|hagame ... " + _APPOINTMENT + " ... para|con",
        # wanting an appointment, said outright: "quiero una cita", "necesito un turno urgente"
        "quiero|quisiera|queria|necesito|necesitaria|deseo|desearia|busco|buscaba|gustaria ..2 cita|citas|turno"
        "|ficha|consulta|control|controles|chequeo|revision",
    ]
)

# Wanting an appointment or a doctor: booking, unless the message also asks about prices, hours...
SCHEDULE_WISH: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "quiero|quisiera|queria|necesito|necesitaria|deseo|desearia|busco|buscaba|gustaria|podria|puedo|puede"
        "|pueden|podrian|seria|dame|deme|darme|dan|dar|habra|habria|tendra|tendria|tienen|tiene|hay|queda|quedan ... "
        + _APPOINTMENT
        + "|"
        + _SPECIALIST
        + "|atencion|atenderme|atendido|atendida|espacio|espacios|cupo|cupos|lugar|disponib*|campo",
        "me ... atender|atiende|atienda|atiendan|atienden|vea|revise|revisen|examine|chequee|vean",
        "atenderme|revisarme|chequearme|examinarme",
        "ver|consultar|visitar|ir ... " + _SPECIALIST,
        # someone else to be seen: "quiero que la revisen"
        "quiero|quisiera|queria|necesito|necesitamos|gustaria|deseo|pueden|podrian ... la|lo|le|los|las revisen"
        "|revise|vean|vea|atiendan|atienda|chequeen|chequee|examinen|examine",
        # tests wanted: "quiero hacerme estudios"
        "quiero|quisiera|queria|necesito|necesitaria|deseo|gustaria ..2 hacerme|hacerle|hacerse|realizarme|sacarme"
        " ..2 estudios|examenes|analisis|laboratorio|laboratorios",
    ]
)

# "No sé": neither a yes nor a no.
UNSURE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["no se|sabria|sabemos", "no estoy|estamos seguro|segura|seguros", "ni idea", "tal vez|quizas"]
)
# Chatter that names a day without asking for one ("hace frío hoy, ¿no?", "hoy es mi cumpleaños"): the weather or
# a celebration, which a date alone does not make a booking.
CHATTER: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hace|hara|hizo|que|tanto|harto|este|ese|un|el|del|esta ..2 frio|friazo|calor|calorcito|viento|sol|solazo",
        "llueve|lloviendo|llovio|llovera|llover|lluvia|nieve|nevando|nevo|granizo|granizada|nublado|soleado|clima",
        "cumpleanos|cumple|aniversario|navidad|nochebuena|carnaval|carnavales",
        # How one feels today ("hoy no tengo ganas de nada"): a day said, not a day wanted.
        "ganas de nada",
        "sin ganas",
        "triste|cansado|cansada|aburrido|aburrida|agotado|agotada|estresado|estresada|desanimado|desanimada"
        "|bajoneado|bajoneada|deprimido|deprimida",
    ]
)

# The clinic opening or seeing people ("¿atienden el 25 de diciembre?"): a question about the clinic,
# unless the patient is the object ("¿me atienden mañana?").
CLINIC_OPEN: Final[tuple[Pattern, ...]] = compile_patterns(
    ["atienden|trabajan|abren|funcionan|atiende|trabaja|abre|cierran|cierra|consultan"]
)

# Questions about the clinic itself, and requests for medical advice: answered as "other".
# The patient's own wish, said plainly: with a service or a doctor named and no question asked
# ("quiero ecografía", "mi bebé necesita sus vacunas"), a request to be seen, not a question.
WANT: Final[tuple[Pattern, ...]] = compile_patterns(
    ["quiero|quisiera|queria|necesito|necesita|necesitamos|necesitaria|deseo|busco|buscaba"]
)
# "¿Hay algún doctor que me pueda ver esta semana?": asking to be seen, however politely.
SEE_ME: Final[tuple[Pattern, ...]] = compile_patterns(
    ["me|lo|la|nos|le pueda|puede|podria|pueden|podrian|puedan ver|atender|revisar|examinar|recibir"]
)
# "Quiero saber si hacen cirugías": the wish is to know, so it stays a question about the clinic.
WANT_TO_KNOW: Final[tuple[Pattern, ...]] = compile_patterns(
    ["saber|preguntar|pregunta|preguntarle|consultarle|informacion|informarme|averiguar"]
)

INFORMATION: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "cuanto|cuanta ... cuesta|cuestan|sale|salen|cobran|cobra|vale|valen|costo|precio|pago|pagar|demora|dura",
        "precio|precios|costo|costos|tarifa|tarifas|arancel|aranceles|cobran",
        "direccion|ubicacion|ubicad*|ubican|mapa|sucursal*",
        "donde ... queda|quedan|estan|encuentra|encuentran|ubica*",
        "como ... llego|llegar",
        "horario|horarios|hora ... atencion",
        "hora ... abren|cierran|abre|cierra|atienden|trabajan",
        "abren|cierran|abre|cierra|atienden|trabajan|funcionan ... domingo|domingos|sabado|sabados|feriado*|fin"
        "|finde|noche|noches|hoy|lunes|martes|miercoles|jueves|viernes",
        "seguro|seguros|aseguradora|cns",
        "aceptan|reciben|puedo|se puede ... pagar|tarjeta|qr|efectivo|transferencia|seguro",
        "tarjeta|qr|efectivo|factura|transferencia|estacionamiento|parqueo",
        "telefono|correo|email|pagina|web|facebook",
        "clima",
        "que ... tomo|tomar|tome|recomienda|recomiendan|aconseja",
        "que hago para|si|con",
        "medicamento*|pastilla*|remedio*|antibiotic*|receta|recetas|jarabe",
        # a dose asked about: "¿cuántas gotas de paracetamol le doy?", "500 cada 8 horas, ¿la puedo tomar con leche?"
        "dosis|gotas|gotitas|mililitros|miligramos|mg|cucharadita|cucharaditas|cucharadas",
        "cada ..2 horas",
        "que|cuales ..2 documentos|requisitos|papeles",
        "resultado|resultados|laboratorio",
        "es|sera normal",
        "sin cita|turno|ficha|reserva",
        "certificado*|constancia|informe",
        "orden medica",
        "que ... llevar|traer",
        "como se llama|llaman|apellida",
        "quien|quienes ... atiende|atienden|es|son",
        "que|cuales dia|dias atienden|atiende|trabaja|trabajan|abren|viene|vienen",
        "que|cuales especialidades|especialistas|doctores|medicos ... hay|tienen|atienden",
    ]
)

GREETING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "hola|buenas|saludos|hey|alo|hello",
        "muy? buenos|buen|buena|buenas dia|dias|tardes|tarde|noches|noche",
        "que tal",
        "como esta|estas|estan|estamos",
        "como le|les|te va",
        "soy|llamo|nombre _ _? _?",
    ]
)

THANKS_GOODBYE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "gracias",
        "mil|muchas|muchisimas|muchisimo gracias",
        "gracias por _ _?",
        "muy|que|tan amable|amables",
        "agradec*|agradezc*",
        "hasta luego|pronto|manana|entonces",
        "hasta la proxima",
        "hasta mas tarde",
        "chau|chao|chaito|adios|bye|bendiciones|bendicion",
        "nos vemos",
        "dios le|los|la|te bendiga",
        "que tenga|tengan|este|esten ... buen|buena|bonito|bonita|lindo|linda|feliz ... dia|tarde|noche|semana",
        "cuidese|cuidate",
        "eso es todo",
        "es todo",
        "nada mas",
        "era todo",
    ]
)

# A plain yes. Ignored right after "no" ("no me sirve").
CONFIRM: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "si",
        "confirm*",
        "de acuerdo",
        "claro",
        "correcto",
        "exacto",
        "asi es",
        "afirmativo",
        "por supuesto",
        "yes|yep|sipi|simon",
        "obvio",
        "acepto",
        "de una",
        "sirve|conviene",
        "queda|parece|va bien",
        "la|opcion primera|segunda|tercera|cuarta|1|2|3|4|5",
        "el primero|segundo|tercero",
        "si ... quiero|deseo|acepto|puedo",
    ]
)

# Yes to a proposed slot ("agéndelo"): a confirmation even though it says "agendar".
CONFIRM_BOOKING: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "agendelo|agendela|agendalo|agendala|agendemelo|agendemela|reservelo|reservela|reservalo|reservala"
        "|hagalo|hagale|procede|proceda|anotelo|anotela|apunteme|anoteme",
    ],
    fuzzy=False,
)

# A yes that is also how people say goodbye ("ok, gracias"): loses to a thank-you.
CONFIRM_SOFT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "ok|okay|listo|perfecto|bueno|buenisimo|vale|va|dale|ya|genial|excelente|super|bien",
        "esta bien",
    ]
)

DENY: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "no",
        "negativo",
        "para nada",
        "ninguno|ninguna|ningun",
        "tampoco",
        "todavia|aun no",
        "mejor no",
        "no quiero|deseo|acepto|necesito|gracias",
        "no por ahora",
        "por? ahora|ahorita|hoy no",
        # Not now: "no gracias, luego", "mejor no, la dejo", "después le escribo".
        "no ..2 luego|despues",
        "no ..2 otro dia",
        "no ..2 mas tarde",
        "luego|despues le|te escribo|aviso|confirmo|llamo",
        "mas tarde le|te escribo|aviso|confirmo|llamo",
        "mejor? la|lo dejo|dejamos nomas|asi?",
        "nunca|jamas",
        "no puedo|podre|podria|podemos|alcanzo|llego|voy",
        "no puedo|podre|podria|podemos|alcanzo|llego|voy ... ir|llegar|asistir|venir|ese|esa|esas|esos",
        "prefiero|quiero|quisiera|mejor|tiene|hay|dame|deme ... otro|otra dia|fecha|hora|horario|opcion",
        "otro|otra dia|fecha|hora|horario|opcion",
    ]
)

# Every group above: the words they spell are never read as typos of other words.
ALL: Final[tuple[tuple[Pattern, ...], ...]] = (
    EMERGENCY,
    EMERGENCY_CALL,
    EMERGENCY_QUESTION,
    COMPLAINING_OF_PAIN,
    HUMAN_HANDOFF,
    CANCEL,
    CANNOT_ATTEND,
    RESCHEDULE,
    MOVE_ALONE,
    HAVE_APPOINTMENT,
    APPOINTMENT_WORD,
    OTHER_TIME,
    LIST,
    SCHEDULE,
    SCHEDULE_WISH,
    WANT,
    WANT_TO_KNOW,
    UNSURE,
    CHATTER,
    CLINIC_OPEN,
    INFORMATION,
    GREETING,
    THANKS_GOODBYE,
    CONFIRM,
    CONFIRM_BOOKING,
    CONFIRM_SOFT,
    DENY,
)
