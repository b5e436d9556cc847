# Consola Cordon — português (o inglês é a referência: cada uma das outras línguas tem exatamente estas chaves).

## Navegação e moldura
nav-inbox = Caixa de entrada
nav-compose = Redigir
nav-sent = Enviadas
nav-ocu = UCO
nav-overview = Visão geral
nav-status = Estado
nav-officers = Funcionários
nav-logout = Terminar sessão
settings-language = Língua
settings-language-browser = Língua do navegador
settings-save = Guardar
yes = Sim
no = Não

## Início de sessão
login-title = Iniciar sessão
login-name = Nome
login-password = Palavra-passe
login-submit = Iniciar sessão
login-failed = Nome ou palavra-passe incorretos.
login-wait = Demasiadas tentativas falhadas. Tente novamente dentro de { $n } s.

## Erros
error-title = Erro
error-csrf = Este formulário expirou ou não provém desta consola. Recarregue a página e tente novamente.
error-forbidden = A sua função não permite aceder a esta página.
error-not-found = Não encontrado.
error-internal = O nó não conseguiu realizar esta operação. O administrador encontrará o motivo no registo do nó.
error-too-large = O formulário é demasiado grande (o tamanho dos anexos é limitado).

## Colunas
col-priority = Prioridade
col-kind = Tipo
col-title = Título
col-sender = Remetente
col-operation = Operação
col-received = Recebida
col-created = Criada
col-state = Estado
col-acknowledged = Receção confirmada
col-delivered = Entregue
col-read = Lida
col-recipient = Destinatário
col-participant = Participante

## Caixa de entrada
inbox-search = Contentor, navio, remetente ou texto
inbox-all-operations = Todas as operações
inbox-all-kinds = Todos os tipos
inbox-all-priorities = Todas as prioridades
inbox-unread = Não lidas
inbox-unacked = Sem confirmação de receção
inbox-from = De
inbox-to = Até
inbox-filter = Filtrar
inbox-clear = Limpar
inbox-flash = Mensagens flash ainda sem confirmação de receção
inbox-new = Chegaram novas mensagens.
inbox-empty = Não há mensagens.
inbox-count = { $shown } apresentadas de { $total }
inbox-more = Mais { $count }
inbox-older = Mensagens anteriores

## Mensagem
msg-attachments = Anexos
msg-not-sealed = Não cifrada para (aderiram mais tarde ou não tinham chave)
msg-in-reply-to = Em resposta a
msg-timeline = Atualizações de seguimento
msg-acknowledged = Receção confirmada
msg-ack = Confirmar receção
msg-reply = Responder
msg-feedback = Informação de retorno
msg-seizure = Relatório de apreensão
msg-tracking-update = Atualização de seguimento
msg-to = Para
msg-receipts = Avisos de receção

## Redação
compose-title = Nova mensagem: { $kind }
compose-errors = { $count ->
    [one] É necessário corrigir um campo.
   *[other] É necessário corrigir { $count } campos.
}
compose-reply-to = Responder a
compose-to = Canal
compose-no-channels = Este nó não pode enviar este tipo de mensagem em nenhum canal.
compose-tlp = Marcação (TLP)
compose-grading-help = O que significam as classificações
compose-attach-limit = No máximo { $count } ficheiros, { $max } no total.
compose-send = Enviar

## Regras
rule-required = Obrigatório.
rule-too-long = No máximo { $max } carateres.
rule-too-many = No máximo { $max } entradas.
rule-duplicate = A mesma entrada aparece duas vezes.
rule-control = Contém um caráter de controlo.
rule-container-format = Não é um número de contentor: 4 letras (a 4.ª U, J ou Z), 6 algarismos e um dígito de controlo, p. ex. CSQU3054383.
rule-container-check = Dígito de controlo errado: deveria ser { $expected }.
rule-imo-format = Não é um número IMO: 7 algarismos, p. ex. IMO 9074729.
rule-imo-check = Dígito de controlo IMO errado: deveria ser { $expected }.
rule-locode = Não é um UN/LOCODE: código do país e 3 carateres, p. ex. BEANR.
rule-hs = Não é um código SH: 4, 6, 8 ou 10 algarismos, p. ex. 8471.30.
rule-country = Não é um código de país: 2 letras, p. ex. BE.
rule-quantity = Um número superior a zero.
rule-grade = Uma classificação de 1 a 6.
rule-date = Uma data como 2026-12-31, ou 2026-12-31T14:30 (UTC).
rule-choice = Escolha uma opção da lista.
rule-reference = Não é um identificador de mensagem.
rule-mode-needed = Escolha o modo de transporte.
rule-attachment = Não foi possível ler um anexo; escolha novamente os ficheiros.
rule-attachments-size = Os anexos estão limitados a { $max } bytes no total.
rule-other = { $detail }

## Enviadas
sent-empty = Ainda não foi enviado nada.
sent-waiting = A aguardar
sent-not-read = Não lida ({ $count })

## UCO
ocu-notice = Aviso à operação
ocu-tasking = Redigir uma tarefa
ocu-grid = Quem recebeu o quê
ocu-empty = Ainda não foi enviado nenhum aviso nem nenhuma tarefa.
ocu-due = Responder até

## Visão geral
overview-per-kind = Mensagens por tipo ao longo do tempo
overview-per-country = Mensagens por país remetente
overview-seizures-hs = Apreensões por capítulo do SH
overview-seizures-country = Apreensões por país
overview-csv-messages = Mensagens (CSV)
overview-csv-seizures = Apreensões (CSV)

## Estado
status-node = Nó
status-link = Ligação ao nó central
status-last-error = Último erro
status-certificate-refused = Certificado recusado
status-hub = Nó central
status-outbox = Caixa de saída (ainda não armazenada pelo nó central)
status-inbox = Caixa de entrada
status-last-sync = Última troca com o nó central
status-subscribed = Canais recebidos
status-sessions = Sessões da consola

## Funcionários
officers-hint = Os funcionários são adicionados, e as respetivas palavras-passe definidas, na linha de comandos do nó:
officers-role = Função
officers-state = Estado
officers-active = Ativo
officers-disabled = Desativado
officers-disable = Desativar

## Listas de códigos
role-reader = Leitor
role-sender = Remetente
role-admin = Administrador
kind-alert = Alerta
kind-feedback = Informação de retorno
kind-seizure = Apreensão
kind-tracking-request = Pedido de seguimento
kind-tracking-update = Atualização de seguimento
kind-tasking = Tarefa
kind-notice = Aviso
kind-receipt = Aviso de receção
priority-flash = Flash
priority-urgent = Urgente
priority-routine = Normal
tlp-meaning-red = Apenas para os destinatários nomeados; não pode ser divulgado a mais ninguém.
tlp-meaning-amber-strict = Apenas dentro da organização do destinatário.
tlp-meaning-amber = Dentro da organização do destinatário e dos seus clientes, com base na necessidade de conhecer.
tlp-meaning-green = Dentro da comunidade; não publicado.
tlp-meaning-clear = Sem limite de divulgação.
state-draft = Em fila de espera
state-sealed = Cifrada
state-stored = Armazenada pelo nó central
state-failed = Falhou
link-connected = Ligado
link-connecting = A ligar
link-disconnected = Desligado
link-stopped = Parado
grid-acknowledged = Receção confirmada
grid-read = Lida
grid-delivered = Entregue
grid-pending = Pendente
grid-not-sealed = Não cifrada para
grid-none = —
action-monitor = Vigiar
action-inspect = Inspecionar
action-hold = Reter
action-controlled-delivery = Entrega controlada
action-report-back = Comunicar os resultados
action-information-only = Apenas para informação
outcome-inspected = Inspecionado
outcome-nothing-found = Nada encontrado
outcome-seized = Apreendido
outcome-not-arrived = Não chegou
outcome-released = Autorização de saída concedida
outcome-monitored = Vigiado
outcome-not-actioned = Sem ação
event-gate-in = Entrada no terminal
event-loaded = Carregado
event-departed = Partida
event-transhipped = Transbordado
event-arrived = Chegada
event-discharged = Descarregado
event-gate-out = Saída do terminal
event-inspected = Inspecionado
event-seized = Apreendido
event-released = Autorização de saída concedida
event-not-found = Não encontrado
phase-planning = Planeamento
phase-interdiction = Interceção
phase-follow-up = Acompanhamento
phase-reporting = Elaboração de relatórios
mode-sea = Marítimo
mode-air = Aéreo
mode-road = Rodoviário
mode-rail = Ferroviário
mode-postal = Postal
mode-other = Outro
source-A = A: totalmente fiável
source-B = B: geralmente fiável
source-C = C: razoavelmente fiável
source-D = D: geralmente não fiável
source-E = E: não fiável
source-F = F: não é possível avaliar a fiabilidade
grade-1 = confirmada por outras fontes
grade-2 = provavelmente verdadeira
grade-3 = possivelmente verdadeira
grade-4 = duvidosa
grade-5 = improvável
grade-6 = não é possível avaliar a veracidade

## Nomes dos campos (os formulários usam o caminho com pontos substituídos por hífenes; um conteúdo apresentado, o último nome)
field-title = Título
field-summary = Resumo
field-action = Medida solicitada
field-containers = Contentores
field-conveyance = Meio de transporte
field-conveyance-mode = Modo de transporte
field-conveyance-vessel_name = Nome do navio
field-conveyance-imo = Número IMO do navio
field-conveyance-voyage = Viagem
field-route = Itinerário (UN/LOCODE, por ordem)
field-bill_of_lading = Conhecimento de embarque
field-commodity = Mercadoria
field-commodity-description = Designação das mercadorias
field-commodity-hs_code = Código SH
field-parties = Intervenientes
field-parties-shipper-name = Expedidor
field-parties-shipper-country = País do expedidor
field-parties-consignee-name = Destinatário
field-parties-consignee-country = País do destinatário
field-risk_indicators = Indicadores de risco (um por linha)
field-grading = Classificação
field-grading-source = Classificação da fonte
field-grading-information = Classificação da informação
field-free_text = Texto livre
field-alert_id = Alerta
field-outcome = Resultado
field-details = Pormenores
field-seizure_id = Relatório de apreensão
field-seized_at = Data da apreensão
field-place = Local (UN/LOCODE)
field-place_detail = Pormenores do local
field-goods = Mercadorias
field-goods-description = Mercadorias apreendidas
field-goods-hs_code = Código SH
field-goods-quantity = Quantidade
field-goods-unit = Unidade
field-concealment = Método de ocultação
field-persons = Pessoas
field-booking = Reserva
field-vessel = Número IMO do navio
field-voyage = Viagem
field-until = Seguir até
field-report = Eventos a comunicar
field-remarks = Observações
field-request_id = Pedido de seguimento
field-container = Contentor
field-event = Evento
field-at = Data e hora
field-instructions = Instruções
field-due_by = Prazo
field-ack_required = Confirmação de receção obrigatória
field-text = Texto
field-phase = Fase
field-description = Descrição
field-hs_code = Código SH
field-shipper = Expedidor
field-consignee = Destinatário
field-notify_party = Parte a notificar
field-name = Nome
field-address = Endereço
field-country = País
field-identifier = Identificador
field-mode = Modo de transporte
field-vessel_name = Nome do navio
field-imo = Número IMO
field-flight = Voo
field-vehicle_registration = Matrícula do veículo
field-source = Fonte
field-information = Informação
field-quantity = Quantidade
field-unit = Unidade
field-commodity-hs = Código SH
