# Consola Cordon — español (el inglés es la referencia: cada uno de los demás idiomas tiene exactamente estas claves).

## Navegación y marco
nav-inbox = Bandeja de entrada
nav-compose = Redactar
nav-sent = Enviados
nav-ocu = UCO
nav-overview = Resumen
nav-status = Estado
nav-officers = Funcionarios
nav-logout = Cerrar sesión
settings-language = Idioma
settings-language-browser = Idioma del navegador
settings-save = Guardar
yes = Sí
no = No

## Inicio de sesión
login-title = Iniciar sesión
login-name = Nombre
login-password = Contraseña
login-submit = Iniciar sesión
login-failed = Nombre o contraseña incorrectos.
login-wait = Demasiados intentos fallidos. Vuelva a intentarlo dentro de { $n } s.

## Errores
error-title = Error
error-csrf = Este formulario ha caducado o no procede de esta consola. Vuelva a cargar la página e inténtelo de nuevo.
error-forbidden = Su función no permite acceder a esta página.
error-not-found = No encontrado.
error-internal = El nodo no ha podido realizar esta operación. El administrador encontrará el motivo en el registro del nodo.
error-too-large = El formulario es demasiado grande (el tamaño de los archivos adjuntos está limitado).

## Columnas
col-priority = Prioridad
col-kind = Tipo
col-title = Título
col-sender = Remitente
col-operation = Operación
col-received = Recibido
col-created = Creado
col-state = Estado
col-acknowledged = Recepción confirmada
col-delivered = Entregado
col-read = Leído
col-recipient = Destinatario
col-participant = Participante

## Bandeja de entrada
inbox-search = Contenedor, buque, remitente o texto
inbox-all-operations = Todas las operaciones
inbox-all-kinds = Todos los tipos
inbox-all-priorities = Todas las prioridades
inbox-unread = No leídos
inbox-unacked = Sin acuse de recibo
inbox-from = Desde
inbox-to = Hasta
inbox-filter = Filtrar
inbox-clear = Borrar
inbox-flash = Mensajes flash sin acuse de recibo
inbox-new = Han llegado mensajes nuevos.
inbox-empty = No hay mensajes.
inbox-count = Se muestran { $shown } de { $total }
inbox-more = { $count } más
inbox-older = Mensajes anteriores

## Mensaje
msg-attachments = Archivos adjuntos
msg-not-sealed = No cifrado para (se incorporaron después o no tenían clave)
msg-in-reply-to = En respuesta a
msg-timeline = Actualizaciones de rastreo
msg-acknowledged = Recepción confirmada
msg-ack = Acusar recibo
msg-reply = Responder
msg-feedback = Información de retorno
msg-seizure = Informe de incautación
msg-tracking-update = Actualización de rastreo
msg-to = Para
msg-receipts = Acuses de recibo

## Redacción
compose-title = Nuevo mensaje: { $kind }
compose-errors = { $count ->
    [one] Hay que corregir un campo.
   *[other] Hay que corregir { $count } campos.
}
compose-reply-to = Responder a
compose-to = Canal
compose-no-channels = Este nodo no puede enviar este tipo de mensaje por ningún canal.
compose-tlp = Marcado (TLP)
compose-grading-help = Significado de las calificaciones
compose-attach-limit = Como máximo { $count } archivos, { $max } en total.
compose-send = Enviar

## Reglas
rule-required = Obligatorio.
rule-too-long = Como máximo { $max } caracteres.
rule-too-many = Como máximo { $max } entradas.
rule-duplicate = La misma entrada aparece dos veces.
rule-control = Contiene un carácter de control.
rule-container-format = No es un número de contenedor: 4 letras (la 4.ª U, J o Z), 6 cifras y un dígito de control, p. ej. CSQU3054383.
rule-container-check = Dígito de control incorrecto: debería ser { $expected }.
rule-imo-format = No es un número OMI: 7 cifras, p. ej. IMO 9074729.
rule-imo-check = Dígito de control OMI incorrecto: debería ser { $expected }.
rule-locode = No es un UN/LOCODE: código de país y 3 caracteres, p. ej. BEANR.
rule-hs = No es un código SA: 4, 6, 8 o 10 cifras, p. ej. 8471.30.
rule-country = No es un código de país: 2 letras, p. ej. BE.
rule-quantity = Un número mayor que cero.
rule-grade = Una calificación del 1 al 6.
rule-date = Una fecha como 2026-12-31, o 2026-12-31T14:30 (UTC).
rule-choice = Elija una opción de la lista.
rule-reference = No es un identificador de mensaje.
rule-mode-needed = Elija el modo de transporte.
rule-attachment = No se ha podido leer un archivo adjunto; vuelva a seleccionar los archivos.
rule-attachments-size = Los archivos adjuntos están limitados a { $max } bytes en total.
rule-other = { $detail }

## Enviados
sent-empty = Todavía no se ha enviado nada.
sent-waiting = A la espera de
sent-not-read = No leído ({ $count })

## UCO
ocu-notice = Aviso a la operación
ocu-tasking = Redactar una tarea
ocu-grid = Quién ha recibido qué
ocu-empty = Todavía no se ha enviado ningún aviso ni ninguna tarea.
ocu-due = Responder antes de

## Resumen
overview-per-kind = Mensajes por tipo a lo largo del tiempo
overview-per-country = Mensajes por país remitente
overview-seizures-hs = Incautaciones por capítulo del SA
overview-seizures-country = Incautaciones por país
overview-csv-messages = Mensajes (CSV)
overview-csv-seizures = Incautaciones (CSV)

## Estado
status-node = Nodo
status-link = Enlace con el nodo central
status-last-error = Último error
status-certificate-refused = Certificado rechazado
status-hub = Nodo central
status-outbox = Bandeja de salida (aún no almacenado por el nodo central)
status-inbox = Bandeja de entrada
status-last-sync = Último intercambio con el nodo central
status-subscribed = Canales recibidos
status-sessions = Sesiones de la consola

## Funcionarios
officers-hint = Los funcionarios se dan de alta, y sus contraseñas se establecen, en la línea de comandos del nodo:
officers-role = Función
officers-state = Estado
officers-active = Activo
officers-disabled = Desactivado
officers-disable = Desactivar

## Listas de códigos
role-reader = Lector
role-sender = Remitente
role-admin = Administrador
kind-alert = Alerta
kind-feedback = Información de retorno
kind-seizure = Incautación
kind-tracking-request = Solicitud de rastreo
kind-tracking-update = Actualización de rastreo
kind-tasking = Tarea
kind-notice = Aviso
kind-receipt = Acuse de recibo
priority-flash = Flash
priority-urgent = Urgente
priority-routine = Ordinaria
tlp-meaning-red = Solo para los destinatarios nombrados; no puede divulgarse más.
tlp-meaning-amber-strict = Solo dentro de la organización del destinatario.
tlp-meaning-amber = Dentro de la organización del destinatario y sus clientes, según la necesidad de conocer.
tlp-meaning-green = Dentro de la comunidad; no se publica.
tlp-meaning-clear = Sin límite de divulgación.
state-draft = En cola
state-sealed = Cifrado
state-stored = Almacenado por el nodo central
state-failed = Fallido
link-connected = Conectado
link-connecting = Conectando
link-disconnected = Desconectado
link-stopped = Detenido
grid-acknowledged = Recepción confirmada
grid-read = Leído
grid-delivered = Entregado
grid-pending = Pendiente
grid-not-sealed = No cifrado para
grid-none = —
action-monitor = Vigilar
action-inspect = Inspeccionar
action-hold = Retener
action-controlled-delivery = Entrega vigilada
action-report-back = Informar de los resultados
action-information-only = Solo a título informativo
outcome-inspected = Inspeccionado
outcome-nothing-found = Sin hallazgos
outcome-seized = Incautado
outcome-not-arrived = No ha llegado
outcome-released = Levante concedido
outcome-monitored = Vigilado
outcome-not-actioned = Sin actuación
event-gate-in = Entrada en terminal
event-loaded = Cargado
event-departed = Salida
event-transhipped = Transbordado
event-arrived = Llegada
event-discharged = Descargado
event-gate-out = Salida de terminal
event-inspected = Inspeccionado
event-seized = Incautado
event-released = Levante concedido
event-not-found = No encontrado
phase-planning = Planificación
phase-interdiction = Interdicción
phase-follow-up = Seguimiento
phase-reporting = Presentación de informes
mode-sea = Marítimo
mode-air = Aéreo
mode-road = Por carretera
mode-rail = Ferroviario
mode-postal = Postal
mode-other = Otro
source-A = A: completamente fiable
source-B = B: normalmente fiable
source-C = C: bastante fiable
source-D = D: normalmente no fiable
source-E = E: no fiable
source-F = F: no se puede juzgar la fiabilidad
grade-1 = confirmada por otras fuentes
grade-2 = probablemente cierta
grade-3 = posiblemente cierta
grade-4 = dudosa
grade-5 = improbable
grade-6 = no se puede juzgar la veracidad

## Nombres de campos (los formularios usan la ruta con puntos sustituidos por guiones; un contenido mostrado, el último nombre)
field-title = Título
field-summary = Resumen
field-action = Medida solicitada
field-containers = Contenedores
field-conveyance = Medio de transporte
field-conveyance-mode = Modo de transporte
field-conveyance-vessel_name = Nombre del buque
field-conveyance-imo = Número OMI del buque
field-conveyance-voyage = Viaje
field-route = Ruta (UN/LOCODE, por orden)
field-bill_of_lading = Conocimiento de embarque
field-commodity = Mercancía
field-commodity-description = Descripción de la mercancía
field-commodity-hs_code = Código SA
field-parties = Partes
field-parties-shipper-name = Expedidor
field-parties-shipper-country = País del expedidor
field-parties-consignee-name = Consignatario
field-parties-consignee-country = País del consignatario
field-risk_indicators = Indicadores de riesgo (uno por línea)
field-grading = Calificación
field-grading-source = Calificación de la fuente
field-grading-information = Calificación de la información
field-free_text = Texto libre
field-alert_id = Alerta
field-outcome = Resultado
field-details = Detalles
field-seizure_id = Informe de incautación
field-seized_at = Fecha de la incautación
field-place = Lugar (UN/LOCODE)
field-place_detail = Detalle del lugar
field-goods = Mercancías
field-goods-description = Mercancías incautadas
field-goods-hs_code = Código SA
field-goods-quantity = Cantidad
field-goods-unit = Unidad
field-concealment = Método de ocultación
field-persons = Personas
field-booking = Reserva
field-vessel = Número OMI del buque
field-voyage = Viaje
field-until = Rastrear hasta
field-report = Eventos que deben notificarse
field-remarks = Observaciones
field-request_id = Solicitud de rastreo
field-container = Contenedor
field-event = Evento
field-at = Fecha y hora
field-instructions = Instrucciones
field-due_by = Plazo
field-ack_required = Se requiere acuse de recibo
field-text = Texto
field-phase = Fase
field-description = Descripción
field-hs_code = Código SA
field-shipper = Expedidor
field-consignee = Consignatario
field-notify_party = Parte a notificar
field-name = Nombre
field-address = Dirección
field-country = País
field-identifier = Identificador
field-mode = Modo de transporte
field-vessel_name = Nombre del buque
field-imo = Número OMI
field-flight = Vuelo
field-vehicle_registration = Matrícula del vehículo
field-source = Fuente
field-information = Información
field-quantity = Cantidad
field-unit = Unidad
field-commodity-hs = Código SA
