# Console Cordon — français (l'anglais est la référence : chaque autre langue a exactement ces clés).

## Navigation et cadre
nav-inbox = Boîte de réception
nav-compose = Rédiger
nav-sent = Envoyés
nav-ocu = UCO
nav-overview = Vue d'ensemble
nav-status = État
nav-officers = Agents
nav-logout = Se déconnecter
settings-language = Langue
settings-language-browser = Langue du navigateur
settings-save = Enregistrer
yes = Oui
no = Non

## Connexion
login-title = Connexion
login-name = Nom
login-password = Mot de passe
login-submit = Se connecter
login-failed = Nom ou mot de passe incorrect.
login-wait = Trop de tentatives infructueuses. Réessayez dans { $n } s.

## Erreurs
error-title = Erreur
error-csrf = Ce formulaire a expiré ou ne provient pas de cette console. Rechargez la page et réessayez.
error-forbidden = Votre rôle ne donne pas accès à cette page.
error-not-found = Introuvable.
error-internal = Le nœud n'a pas pu effectuer cette opération. L'administrateur en trouvera la raison dans le journal du nœud.
error-too-large = Le formulaire est trop volumineux (la taille des pièces jointes est limitée).

## Colonnes
col-priority = Priorité
col-kind = Type
col-title = Titre
col-sender = Émetteur
col-operation = Opération
col-received = Reçu le
col-created = Créé le
col-state = État
col-acknowledged = Réception accusée
col-delivered = Remis
col-read = Lu
col-recipient = Destinataire
col-participant = Participant

## Boîte de réception
inbox-search = Conteneur, navire, émetteur ou texte
inbox-all-operations = Toutes les opérations
inbox-all-kinds = Tous les types
inbox-all-priorities = Toutes les priorités
inbox-unread = Non lus
inbox-unacked = Sans accusé de réception
inbox-from = Du
inbox-to = Au
inbox-filter = Filtrer
inbox-clear = Effacer
inbox-flash = Messages flash sans accusé de réception
inbox-new = De nouveaux messages sont arrivés.
inbox-empty = Aucun message.
inbox-count = { $shown } affichés sur { $total }
inbox-more = { $count } de plus
inbox-older = Messages plus anciens

## Message
msg-attachments = Pièces jointes
msg-not-sealed = Non chiffré pour (arrivés plus tard ou sans clé)
msg-in-reply-to = En réponse à
msg-timeline = Mises à jour du suivi
msg-acknowledged = Réception accusée
msg-ack = Accuser réception
msg-reply = Répondre
msg-feedback = Retour d'information
msg-seizure = Rapport de saisie
msg-tracking-update = Mise à jour du suivi
msg-to = À
msg-receipts = Accusés de réception

## Rédaction
compose-title = Nouveau message : { $kind }
compose-errors = { $count ->
    [one] { $count } champ doit être corrigé.
   *[other] { $count } champs doivent être corrigés.
}
compose-reply-to = Répondre à
compose-to = Canal
compose-no-channels = Ce nœud ne peut envoyer ce type de message sur aucun canal.
compose-tlp = Marquage (TLP)
compose-grading-help = Signification des cotations
compose-attach-limit = { $count } fichiers au maximum, { $max } au total.
compose-send = Envoyer

## Règles
rule-required = Obligatoire.
rule-too-long = { $max } caractères au maximum.
rule-too-many = { $max } entrées au maximum.
rule-duplicate = La même entrée figure deux fois.
rule-control = Contient un caractère de contrôle.
rule-container-format = Ce n'est pas un numéro de conteneur : 4 lettres (la 4e étant U, J ou Z), 6 chiffres et un chiffre de contrôle, p. ex. CSQU3054383.
rule-container-check = Chiffre de contrôle erroné : il devrait être { $expected }.
rule-imo-format = Ce n'est pas un numéro OMI : 7 chiffres, p. ex. IMO 9074729.
rule-imo-check = Chiffre de contrôle OMI erroné : il devrait être { $expected }.
rule-locode = Ce n'est pas un UN/LOCODE : code pays et 3 caractères, p. ex. BEANR.
rule-hs = Ce n'est pas un code SH : 4, 6, 8 ou 10 chiffres, p. ex. 8471.30.
rule-country = Ce n'est pas un code pays : 2 lettres, p. ex. BE.
rule-quantity = Un nombre supérieur à zéro.
rule-grade = Une cotation de 1 à 6.
rule-date = Une date telle que 2026-12-31, ou 2026-12-31T14:30 (UTC).
rule-choice = Choisissez une valeur de la liste.
rule-reference = Ce n'est pas un identifiant de message.
rule-mode-needed = Choisissez le mode de transport.
rule-attachment = Une pièce jointe n'a pas pu être lue ; choisissez à nouveau les fichiers.
rule-attachments-size = La taille totale des pièces jointes est limitée à { $max } octets.
rule-other = { $detail }

## Envoyés
sent-empty = Aucun message envoyé pour l'instant.
sent-waiting = En attente de
sent-not-read = Non lu ({ $count })

## UCO
ocu-notice = Avis à l'opération
ocu-tasking = Rédiger une tâche
ocu-grid = Qui a reçu quoi
ocu-empty = Aucun avis ni aucune tâche envoyé pour l'instant.
ocu-due = Réponse attendue avant le

## Vue d'ensemble
overview-per-kind = Messages par type au fil du temps
overview-per-country = Messages par pays émetteur
overview-seizures-hs = Saisies par chapitre du SH
overview-seizures-country = Saisies par pays
overview-csv-messages = Messages (CSV)
overview-csv-seizures = Saisies (CSV)

## État
status-node = Nœud
status-link = Liaison avec le nœud central
status-last-error = Dernière erreur
status-certificate-refused = Certificat refusé
status-hub = Nœud central
status-outbox = Boîte d'envoi (pas encore enregistré par le nœud central)
status-inbox = Boîte de réception
status-last-sync = Dernier échange avec le nœud central
status-subscribed = Canaux reçus
status-sessions = Sessions de la console

## Agents
officers-hint = Les agents sont ajoutés, et leurs mots de passe définis, en ligne de commande sur le nœud :
officers-role = Rôle
officers-state = État
officers-active = Actif
officers-disabled = Désactivé
officers-disable = Désactiver

## Listes de codes
role-reader = Lecteur
role-sender = Émetteur
role-admin = Administrateur
kind-alert = Alerte
kind-feedback = Retour d'information
kind-seizure = Saisie
kind-tracking-request = Demande de suivi
kind-tracking-update = Mise à jour du suivi
kind-tasking = Tâche
kind-notice = Avis
kind-receipt = Accusé de réception
priority-flash = Flash
priority-urgent = Urgent
priority-routine = Normale
tlp-meaning-red = Réservé aux seuls destinataires nommés ; aucune autre diffusion.
tlp-meaning-amber-strict = Diffusion limitée à l'organisation du destinataire.
tlp-meaning-amber = Diffusion limitée à l'organisation du destinataire et à ses clients, selon le besoin d'en connaître.
tlp-meaning-green = Diffusion au sein de la communauté ; pas de publication.
tlp-meaning-clear = Aucune limite à la divulgation.
state-draft = En file d'attente
state-sealed = Chiffré
state-stored = Enregistré par le nœud central
state-failed = Échec
link-connected = Connecté
link-connecting = Connexion en cours
link-disconnected = Déconnecté
link-stopped = Arrêté
grid-acknowledged = Réception accusée
grid-read = Lu
grid-delivered = Remis
grid-pending = En attente
grid-not-sealed = Non chiffré pour
grid-none = —
action-monitor = Surveiller
action-inspect = Contrôler
action-hold = Retenir
action-controlled-delivery = Livraison surveillée
action-report-back = Rendre compte
action-information-only = Pour information
outcome-inspected = Contrôlé
outcome-nothing-found = Rien trouvé
outcome-seized = Saisi
outcome-not-arrived = Non arrivé
outcome-released = Mainlevée accordée
outcome-monitored = Surveillé
outcome-not-actioned = Aucune suite donnée
event-gate-in = Entrée au terminal
event-loaded = Chargé
event-departed = Parti
event-transhipped = Transbordé
event-arrived = Arrivé
event-discharged = Déchargé
event-gate-out = Sortie du terminal
event-inspected = Contrôlé
event-seized = Saisi
event-released = Mainlevée accordée
event-not-found = Introuvable
phase-planning = Planification
phase-interdiction = Interception
phase-follow-up = Suites à donner
phase-reporting = Compte rendu
mode-sea = Maritime
mode-air = Aérien
mode-road = Routier
mode-rail = Ferroviaire
mode-postal = Postal
mode-other = Autre
source-A = A: complètement fiable
source-B = B: habituellement fiable
source-C = C: assez fiable
source-D = D: pas toujours fiable
source-E = E: peu fiable
source-F = F: fiabilité impossible à évaluer
grade-1 = confirmée par d'autres sources
grade-2 = probablement vraie
grade-3 = peut-être vraie
grade-4 = douteuse
grade-5 = improbable
grade-6 = véracité impossible à évaluer

## Noms des champs (les formulaires utilisent le chemin pointé avec des tirets ; un contenu affiché, le dernier nom)
field-title = Titre
field-summary = Résumé
field-action = Mesure demandée
field-containers = Conteneurs
field-conveyance = Moyen de transport
field-conveyance-mode = Mode de transport
field-conveyance-vessel_name = Nom du navire
field-conveyance-imo = Numéro OMI du navire
field-conveyance-voyage = Voyage
field-route = Itinéraire (UN/LOCODE, dans l'ordre)
field-bill_of_lading = Connaissement
field-commodity = Marchandise
field-commodity-description = Désignation des marchandises
field-commodity-hs_code = Code SH
field-parties = Parties
field-parties-shipper-name = Expéditeur
field-parties-shipper-country = Pays de l'expéditeur
field-parties-consignee-name = Destinataire
field-parties-consignee-country = Pays du destinataire
field-risk_indicators = Indicateurs de risque (un par ligne)
field-grading = Cotation
field-grading-source = Cotation de la source
field-grading-information = Cotation de l'information
field-free_text = Texte libre
field-alert_id = Alerte
field-outcome = Résultat
field-details = Détails
field-seizure_id = Rapport de saisie
field-seized_at = Date de la saisie
field-place = Lieu (UN/LOCODE)
field-place_detail = Précisions sur le lieu
field-goods = Marchandises
field-goods-description = Marchandises saisies
field-goods-hs_code = Code SH
field-goods-quantity = Quantité
field-goods-unit = Unité
field-concealment = Mode de dissimulation
field-persons = Personnes
field-booking = Réservation
field-vessel = Numéro OMI du navire
field-voyage = Voyage
field-until = Suivre jusqu'au
field-report = Événements à signaler
field-remarks = Observations
field-request_id = Demande de suivi
field-container = Conteneur
field-event = Événement
field-at = Date et heure
field-instructions = Instructions
field-due_by = Échéance
field-ack_required = Accusé de réception requis
field-text = Texte
field-phase = Phase
field-description = Description
field-hs_code = Code SH
field-shipper = Expéditeur
field-consignee = Destinataire
field-notify_party = Partie à notifier
field-name = Nom
field-address = Adresse
field-country = Pays
field-identifier = Identifiant
field-mode = Mode de transport
field-vessel_name = Nom du navire
field-imo = Numéro OMI
field-flight = Vol
field-vehicle_registration = Immatriculation du véhicule
field-source = Source
field-information = Information
field-quantity = Quantité
field-unit = Unité
field-commodity-hs = Code SH
