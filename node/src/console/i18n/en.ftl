# Cordon console — English (the reference: every other language has exactly these keys).

## Navigation and frame
nav-inbox = Inbox
nav-compose = Compose
nav-sent = Sent
nav-ocu = OCU
nav-overview = Overview
nav-status = Status
nav-officers = Officers
nav-logout = Log out
settings-language = Language
settings-language-browser = Browser language
settings-save = Save
yes = Yes
no = No

## Login
login-title = Log in
login-name = Name
login-password = Password
login-submit = Log in
login-failed = Wrong name or password.
login-wait = Too many failed attempts. Try again in { $n } s.

## Errors
error-title = Error
error-csrf = This form has expired or did not come from this console. Reload the page and try again.
error-forbidden = Your role does not allow this page.
error-not-found = Not found.
error-internal = The node could not do this. The administrator will find the reason in the node's log.
error-too-large = The form is too large (attachments are limited).

## Columns
col-priority = Priority
col-kind = Kind
col-title = Title
col-sender = Sender
col-operation = Operation
col-received = Received
col-created = Created
col-state = State
col-acknowledged = Acknowledged
col-delivered = Delivered
col-read = Read
col-recipient = Recipient
col-participant = Participant

## Inbox
inbox-search = Container, vessel, sender or text
inbox-all-operations = All operations
inbox-all-kinds = All kinds
inbox-all-priorities = All priorities
inbox-unread = Unread
inbox-unacked = Not acknowledged
inbox-from = From
inbox-to = To
inbox-filter = Filter
inbox-clear = Clear
inbox-flash = Flash messages not yet acknowledged
inbox-new = New messages have arrived.
inbox-empty = No messages.
inbox-count = { $shown } shown of { $total }
inbox-more = { $count } more
inbox-older = Older messages

## Message
msg-attachments = Attachments
msg-not-sealed = Not sealed to (joined later or had no key)
msg-in-reply-to = In reply to
msg-timeline = Tracking updates
msg-acknowledged = Acknowledged
msg-ack = Acknowledge
msg-reply = Reply
msg-feedback = Feedback
msg-seizure = Seizure report
msg-tracking-update = Tracking update
msg-to = To
msg-receipts = Receipts

## Compose
compose-title = New { $kind }
compose-errors = { $count ->
    [one] One field needs correcting.
   *[other] { $count } fields need correcting.
}
compose-reply-to = Reply to
compose-to = Channel
compose-no-channels = This node may not send this kind on any channel.
compose-tlp = Marking (TLP)
compose-grading-help = What the grades mean
compose-attach-limit = At most { $count } files, { $max } in all.
compose-send = Send

## Rules
rule-required = Required.
rule-too-long = At most { $max } characters.
rule-too-many = At most { $max } entries.
rule-duplicate = The same entry appears twice.
rule-control = Contains a control character.
rule-container-format = Not a container number: 4 letters (the 4th U, J or Z), 6 digits and a check digit, e.g. CSQU3054383.
rule-container-check = Wrong check digit: it should be { $expected }.
rule-imo-format = Not an IMO number: 7 digits, e.g. IMO 9074729.
rule-imo-check = Wrong IMO check digit: it should be { $expected }.
rule-locode = Not a UN/LOCODE: country code and 3 characters, e.g. BEANR.
rule-hs = Not an HS code: 4, 6, 8 or 10 digits, e.g. 8471.30.
rule-country = Not a country code: 2 letters, e.g. BE.
rule-quantity = A number greater than zero.
rule-grade = A grade from 1 to 6.
rule-date = A date such as 2026-12-31, or 2026-12-31T14:30 (UTC).
rule-choice = Choose one of the list.
rule-reference = Not a message id.
rule-mode-needed = Choose the transport mode.
rule-attachment = An attachment could not be read; choose the files again.
rule-attachments-size = Attachments are limited to { $max } bytes in all.
rule-other = { $detail }

## Sent
sent-empty = Nothing sent yet.
sent-waiting = Waiting for
sent-not-read = { $count } not read

## OCU
ocu-notice = Notice to the operation
ocu-tasking = Write a tasking
ocu-grid = Who has received what
ocu-empty = No notice or tasking sent yet.
ocu-due = Reply by

## Overview
overview-per-kind = Messages per kind over time
overview-per-country = Messages per sending country
overview-seizures-hs = Seizures by HS chapter
overview-seizures-country = Seizures by country
overview-csv-messages = Messages (CSV)
overview-csv-seizures = Seizures (CSV)

## Status
status-node = Node
status-link = Link to the hub
status-last-error = Last error
status-certificate-refused = Certificate refused
status-hub = Hub
status-outbox = Outbox (not yet stored by the hub)
status-inbox = Inbox
status-last-sync = Last exchange with the hub
status-subscribed = Channels delivered
status-sessions = Console sessions

## Officers
officers-hint = Officers are added, and their passwords set, on the node's command line:
officers-role = Role
officers-state = State
officers-active = Active
officers-disabled = Disabled
officers-disable = Disable

## Code lists
role-reader = Reader
role-sender = Sender
role-admin = Administrator
kind-alert = Alert
kind-feedback = Feedback
kind-seizure = Seizure
kind-tracking-request = Tracking request
kind-tracking-update = Tracking update
kind-tasking = Tasking
kind-notice = Notice
kind-receipt = Receipt
priority-flash = Flash
priority-urgent = Urgent
priority-routine = Routine
tlp-meaning-red = For the named recipients only; not to be shared further.
tlp-meaning-amber-strict = Within the recipient's organisation only.
tlp-meaning-amber = Within the recipient's organisation and its clients, on a need-to-know basis.
tlp-meaning-green = Within the community; not published.
tlp-meaning-clear = No limit on disclosure.
state-draft = Queued
state-sealed = Sealed
state-stored = Stored by the hub
state-failed = Failed
link-connected = Connected
link-connecting = Connecting
link-disconnected = Disconnected
link-stopped = Stopped
grid-acknowledged = Acknowledged
grid-read = Read
grid-delivered = Delivered
grid-pending = Pending
grid-not-sealed = Not sealed to
grid-none = —
action-monitor = Monitor
action-inspect = Inspect
action-hold = Hold
action-controlled-delivery = Controlled delivery
action-report-back = Report back
action-information-only = Information only
outcome-inspected = Inspected
outcome-nothing-found = Nothing found
outcome-seized = Seized
outcome-not-arrived = Not arrived
outcome-released = Released
outcome-monitored = Monitored
outcome-not-actioned = Not actioned
event-gate-in = Gate in
event-loaded = Loaded
event-departed = Departed
event-transhipped = Transhipped
event-arrived = Arrived
event-discharged = Discharged
event-gate-out = Gate out
event-inspected = Inspected
event-seized = Seized
event-released = Released
event-not-found = Not found
phase-planning = Planning
phase-interdiction = Interdiction
phase-follow-up = Follow-up
phase-reporting = Reporting
mode-sea = Sea
mode-air = Air
mode-road = Road
mode-rail = Rail
mode-postal = Postal
mode-other = Other
source-A = A: completely reliable
source-B = B: usually reliable
source-C = C: fairly reliable
source-D = D: not usually reliable
source-E = E: unreliable
source-F = F: reliability cannot be judged
grade-1 = confirmed by other sources
grade-2 = probably true
grade-3 = possibly true
grade-4 = doubtful
grade-5 = improbable
grade-6 = truth cannot be judged

## Field names (forms use the dotted path with dashes; a shown body the last name)
field-title = Title
field-summary = Summary
field-action = Action requested
field-containers = Containers
field-conveyance = Conveyance
field-conveyance-mode = Transport mode
field-conveyance-vessel_name = Vessel name
field-conveyance-imo = Vessel IMO number
field-conveyance-voyage = Voyage
field-route = Route (UN/LOCODEs, in order)
field-bill_of_lading = Bill of lading
field-commodity = Commodity
field-commodity-description = Goods description
field-commodity-hs_code = HS code
field-parties = Parties
field-parties-shipper-name = Shipper
field-parties-shipper-country = Shipper's country
field-parties-consignee-name = Consignee
field-parties-consignee-country = Consignee's country
field-risk_indicators = Risk indicators (one per line)
field-grading = Grading
field-grading-source = Source grade
field-grading-information = Information grade
field-free_text = Free text
field-alert_id = Alert
field-outcome = Outcome
field-details = Details
field-seizure_id = Seizure report
field-seized_at = Seized on
field-place = Place (UN/LOCODE)
field-place_detail = Place detail
field-goods = Goods
field-goods-description = Goods seized
field-goods-hs_code = HS code
field-goods-quantity = Quantity
field-goods-unit = Unit
field-concealment = Concealment
field-persons = Persons
field-booking = Booking
field-vessel = Vessel IMO number
field-voyage = Voyage
field-until = Track until
field-report = Events to report
field-remarks = Remarks
field-request_id = Tracking request
field-container = Container
field-event = Event
field-at = When
field-instructions = Instructions
field-due_by = Due by
field-ack_required = Acknowledgement required
field-text = Text
field-phase = Phase
field-description = Description
field-hs_code = HS code
field-shipper = Shipper
field-consignee = Consignee
field-notify_party = Notify party
field-name = Name
field-address = Address
field-country = Country
field-identifier = Identifier
field-mode = Transport mode
field-vessel_name = Vessel name
field-imo = IMO number
field-flight = Flight
field-vehicle_registration = Vehicle registration
field-source = Source
field-information = Information
field-quantity = Quantity
field-unit = Unit
field-commodity-hs = HS code
