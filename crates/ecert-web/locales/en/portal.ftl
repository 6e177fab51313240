## e-CERT Hub portal, English.
## Message ids match locales/ru/portal.ftl; the crate tests check this.

## Layout

portal-name = { -hub } portal
portal-nav-label = Portal sections
portal-logout = Log out
portal-footer = The portal of the hub for certificates of conformity and test reports.
portal-public-lookup = Public verification page
nav-home = Home
nav-documents = My documents
nav-registry = Documents
nav-verify = Verify
nav-organisations = Organisations
nav-events = Event log
nav-countries = Countries
nav-account = Account
pager-first = First page
pager-next = Next page

## Login

login-title = Log in
login-heading = Log in to the portal
login-intro = For staff of standards bodies, conformity assessment bodies and customs. Anyone can check a document on the public verification page without logging in.
login-username = User name
login-password = Password
login-submit = Log in
login-help = Your national admin creates your account and can reset your password.
login-wrong = Wrong user name or password.
login-wait = Too many wrong passwords. Wait { $seconds } s and try again.
login-form-expired = The login form expired. Enter your user name and password again.
login-logged-out = You have logged out.
login-password-changed = Your password has been changed. Log in with the new password.

## Account

account-title = Account
account-heading = Your account
account-username = User name
account-organisation = Organisation
account-roles = Roles
account-password-heading = Change password
account-current = Current password
account-new = New password
account-new-hint = At least 12 characters. A phrase of several words is easy to remember and hard to guess.
account-repeat = New password again
account-change = Change password
account-current-wrong = The current password is wrong.
account-password-short = The new password needs at least 12 characters.
account-password-mismatch = The two new passwords differ.

## Roles, kinds and statuses

role-hub_operator = Hub operator
role-national_admin = National admin
role-cab_issuer = CAB issuer
role-customs_officer = Customs officer
role-viewer = Viewer (read only)
orgkind-hub_operator = Hub operator
orgkind-standards_body = National standards body
orgkind-regulator = Regulator
orgkind-customs = Customs
orgkind-single_window = Single window
orgkind-accreditation_body = Accreditation body
orgkind-certification_body = Certification body (ISO/IEC 17065)
orgkind-testing_laboratory = Testing laboratory (ISO/IEC 17025)
keypurpose-document_signing = Document signing
keypurpose-api = API
keypurpose-trust_list = Trust list
keystatus-active = Active
keystatus-retired = Retired
keystatus-revoked = Revoked (compromised)
accstatus-active = Active
accstatus-suspended = Suspended
accstatus-withdrawn = Withdrawn
track-A = A: national system by API
track-B = B: API and portal
track-C = C: portal only
datapolicy-full = Full documents
datapolicy-metadata_only = Metadata only
action-suspend = Suspend
action-reinstate = Reinstate
action-withdraw = Withdraw
action-supersede = Replace by re-issue

## Home

home-title = Home
home-heading = Welcome, { $name }
home-roles = Your roles:
home-register = Register a document
home-register-text = Enter a certificate of conformity or test report and attach its PDF.
home-documents = My documents
home-documents-text = Find your documents, change their status and see their history.
home-verify = Verify a document
home-verify-text = By hub ID, by the PDF or by a photo of its QR code.
home-organisations = Organisations
home-organisations-text = Organisations and CABs, accreditations, keys, users and API tokens.
home-events = Event log
home-events-text = Every change to your country's data, in order.
home-countries = Countries
home-countries-text = Participating countries, their tracks and data policies.

## Forms

form-errors-heading = Please correct the following
form-error-required = Fill in this field.
form-error-choose = Choose one of the options.
form-error-date = Enter a date such as 2026-05-01.
form-error-country = Enter a two-letter country code such as UZ.
form-error-product-name = Enter the product name in Russian or English.
form-error-until-before-issue = The end of validity is before the issue date.
form-error-hs-format = “{ $detail }” is not an HS code: give six digits, such as 847130, optionally followed by the national code.
form-error-hs-unknown = HS code { $detail } is not in the imported nomenclature. Look it up with the HS search.
form-error-hs-prefix = Give 2 to 10 digits of an HS code.
form-error-hub-id = Enter hub IDs such as UZ-CC-7Q3K-9XMP-H.
form-error-tr-references = Only a certificate refers to test reports; leave this field empty for a test report.
form-error-not-tr = { $hub_id } is not a test report: test report hub IDs have TR in the second part, such as KG-TR-3QD1-MM6V-8.
form-error-pdf-required = Attach the document's PDF: the hub attests it and stamps the hub ID on it.
form-error-not-pdf = This file is not a PDF.
form-error-upload = The upload could not be read. Check the file size and try again.
form-error-jwk = Paste the public key as JSON (JWK), such as {"{"} "kty": "OKP", "crv": "Ed25519", "x": "…" {"}"}.
form-error-field = Check this field. The hub says: { $detail }

## Errors of actions

message-title = Not done
message-heading = The action was not done
message-back = Back to the home page
error-general = The hub refused the action: { $detail }
error-internal = Something went wrong on the hub. Try again later; if it persists, tell the hub operator.
error-csrf = The form expired or came from another site. Open the page again and repeat the action.
error-forbidden = Your roles do not allow this. { $detail }
error-not_found = Not found: { $detail }
error-conflict = Someone changed this meanwhile: { $detail }
error-track_c_portal_only = Documents of this country are entered through the portal only.
error-invalid_transition = This status change is not possible: { $detail }
error-unknown_issuer = The issuer is not registered with the hub: { $detail }
error-out_of_scope = The document is outside the issuer's accreditation: { $detail }
error-user_exists = This user name is taken.
error-own_account = You cannot disable your own account.
error-pdf_not_stampable = The PDF could not be stamped: { $detail }
error-file_registered_by_other_issuer = This PDF is already registered by another issuer.
error-key_not_valid = The signing key is not valid now: { $detail }
error-unknown_key = The signing key is not registered: { $detail }
error-registered_with_other_file = The same content is already registered with another file ({ $detail }). To correct the document, register a re-issue that replaces it.
error-invalid_hub_id = This is not a valid hub ID: { $detail }

## Documents

documents-title = Documents
documents-heading = Documents
documents-register = Register a document
documents-search = Search
documents-search-submit = Search
documents-any = Any
documents-hs-prefix = HS code or its beginning
documents-hs-prefix-hint = 2 to 10 digits, such as 8471.
documents-caption = Documents, newest first
documents-none = No documents found.

## Register form

new-title = Register a document
new-heading = Register a certificate or test report
new-intro = Fields marked * are required. The hub keeps the PDF, records its SHA-256 and signs an attestation, then gives you the PDF back with the hub ID and QR code on its first page.
new-section-document = Document
new-section-applicant = Applicant (holder)
new-section-manufacturer = Manufacturer
new-section-product = Product
new-section-conformity = Conformity
new-section-file = File
new-issuer = Issuer
new-issuer-hint = The conformity assessment body that issued the document.
new-national-number-hint = The number the document has in the national register.
new-valid-until-hint = Leave empty when the document has no end date.
new-supersedes = Replaces document
new-supersedes-hint = For a corrected re-issue: the hub ID of the document it replaces.
new-party-name = Name
new-party-id = Registration number
new-party-id-hint = Tax or company registration number, if any.
new-party-country = Country
new-country-hint = Two letters, such as UZ.
new-product-name-ru = Product name in Russian
new-product-name-en = Product name in English
new-product-name-hint = Fill in at least one of the two names.
new-hs-edition = HS edition
new-hs-codes-hint = One code per line: six digits, optionally followed by the national code, such as 847130 8471300000.
new-hs-lookup = Search HS codes (opens in a new tab)
new-standards = Standards
new-regulations = Technical regulations
new-list-hint = One per line.
new-test-reports = Test reports
new-test-reports-hint = Hub IDs of the test reports the certificate rests on, one per line.
new-test-results = Test results
new-conformance = The product conforms
new-pdf = Document PDF
new-pdf-hint = The signed and stamped PDF of the document, at most { $count } MB.
new-submit = Register
new-signed-heading = Register a document signed with your own key
new-signed-intro = If your CAB has a signing key registered with the hub, upload the signed credential (compact JWS, as made by “ecert-hub sign”) and optionally its PDF.
new-jws-file = Signed credential (JWS)
new-jws-hint = A text file of the form header.payload.signature.
new-signed-submit = Register signed document

## One document

document-registered-new = The document is registered.
document-registered-again = This document was registered before; here is its entry.
document-status-changed = The status has been changed.
document-stamp-failed = The hub could not stamp this PDF. Print the QR label and attach it to the paper copy instead.
document-applicant = Applicant
document-manufacturer = Manufacturer
document-conformance = Conformity
document-conformance-yes = The product conforms
document-conformance-no = The product does not conform
document-registered-at = Registered with the hub
document-file-hash = SHA-256 of the PDF
document-stamped-hash = SHA-256 of the stamped PDF
document-files-heading = Files and QR code
document-download-stamped = Download the PDF with hub ID and QR code
document-download-original = Download the original PDF
document-label = Printable QR label
document-public-page = Public verification page
document-history-heading = Status history
document-history-none = The status has not changed since registration.
document-status-heading = Change the status
document-reason-hint = Why the status changes. Other countries do not see the reason.
document-effective-hint = Leave empty for the change to take effect now. A past date may be given, never a future one.
document-status-submit = Change status
history-effective = Takes effect
history-action = Action
history-change = Change
history-reason = Reason
history-reason-hidden = Visible to the issuing country only
history-recorded = Recorded

## QR label

label-title = QR label
label-heading = QR label for printing
label-intro = Print this page and attach the label to the paper copy of the document.
label-qr-alt = QR code of the verification page of { $hub_id }
label-scan = Scan the code to verify the document at the e-CERT Hub.
label-back = Back to the document

## HS search

hs-title = HS codes
hs-heading = Search the HS nomenclature
hs-catalog = Nomenclature { $name }, { $count ->
        [one] { $count } entry
       *[other] { $count } entries
    }.
hs-query = Code or words
hs-query-hint = Digits search by code, such as 8471; words search the description, such as “laptop”.
hs-submit = Search
hs-code = Code
hs-description = Description (English)
hs-six-digits = Documents take six-digit codes.
hs-none = Nothing found.
hs-no-catalog = No HS nomenclature has been imported yet. The hub operator imports it with “ecert-hub hs import”. Until then the hub checks only that codes have six digits.

## Verification

pverify-title = Verify a document
pverify-heading = Verify a certificate or test report
pverify-by-id = By hub ID
pverify-by-photo = By a photo of the QR code
pverify-photo = Photo of the QR code
pverify-photo-hint = A PNG or JPEG photo in which the QR code is sharp and whole.
pverify-photo-submit = Read the code and verify
pverify-by-pdf = By the document's PDF
pverify-pdf = Document PDF
pverify-pdf-hint = The original or the stamped copy; the hub compares its SHA-256 with the registry.
pverify-pdf-submit = Verify the PDF
pverify-decoded = The QR code in the photo says:
pverify-did-you-mean = Did you mean:
pverify-again = Verify another document
verify-photo-unreadable = No QR code could be read in this photo. Take a sharper photo, closer and straight on.
verify-photo-foreign = The QR code in the photo does not lead to a document of this hub.
verify-nothing-uploaded = Choose a file first.

## Administration

orgs-title = Organisations
orgs-heading = Organisations
orgs-filter-country = Country
orgs-name = Name
orgs-kind = Kind
orgs-number = Registration number
orgs-number-hint = Letters, digits, “-”, “.”, “/” or “_”, as in the national register.
orgs-country = Country
orgs-none = No organisations yet.
orgs-new-heading = Add an organisation
orgs-create = Add organisation
org-created = The organisation has been added.
org-urn = Issuer id
org-back = All organisations
org-back-to = Back to { $org }
org-state = State
org-none = None yet.
org-accreditations = Accreditations and designations
org-keys = Signing keys
org-users = Portal users
org-tokens = API tokens
acc-designation = Designation by law
acc-standard = Standard
acc-body = Accreditation body or legal act
acc-body-hint = For a designation, the legal act that designates the body.
acc-scope = Scope
acc-scope-any = No restriction
acc-period = Valid
acc-change = Change
acc-new-status = New status
acc-add = Add accreditation
acc-ilac = The accreditation body is a signatory of the ILAC/IAF arrangement
acc-designated-types = Document types of a designation
acc-hs-prefixes = HS codes in scope
acc-hs-prefixes-hint = Beginnings of HS codes separated by commas, such as 84, 8516. Empty means no restriction.
acc-standards = Standards in scope
acc-standards-hint = Separated by commas. Empty means no restriction.
acc-valid-from = Valid from
key-kid = Key id
key-algorithm = Algorithm
key-purpose = Purpose
key-effective = From
key-add = Register a public key
key-jwk = Public key (JWK)
key-jwk-hint = The public key as JSON, as “ecert-hub keygen” prints it. Never paste a private key.
user-display-name = Full name
user-password = Initial password
user-username-hint = 3 to 64 letters, digits, “.”, “-”, “_” or “@”.
user-new-password = New password
user-set-password = Set password
user-add = Add user
user-enabled = Active
user-disabled = Disabled
user-enable = Enable
user-disable = Disable
token-label = Label
token-label-hint = What the token is for, such as “national system, production”.
token-created = Created
token-active = Active
token-revoked = Revoked on { $date }
token-revoke = Revoke
token-add = Issue a token
token-created-title = Token issued
token-created-heading = API token issued
token-created-intro = Token “{ $name }” for { $org }:
token-created-once = Copy it now: the hub keeps only its hash and cannot show it again.
done-accreditation = The accreditation has been recorded.
done-accreditation-status = The accreditation status has been changed.
done-key = The key has been registered.
done-key-status = The key status has been changed.
done-user = The user has been added.
done-user-status = The user has been updated.
done-user-password = The password has been set and the user's sessions have ended.
done-token-revoked = The token has been revoked.

## Event log

events-title = Event log
events-heading = Event log
events-intro = Every change in order. Events hold ids and hashes only, never names or reasons.
events-seq = No.
events-kind = Event
events-subject = Subject
events-none = No events.
event-country-upserted = Country saved
event-organisation-created = Organisation added
event-accreditation-added = Accreditation recorded
event-accreditation-status-changed = Accreditation status changed
event-key-registered = Key registered
event-key-status-changed = Key status changed
event-token-created = API token issued
event-token-revoked = API token revoked
event-user-created = User added
event-document-registered = Document registered
event-document-status-changed = Document status changed
event-document-file-stamped = PDF stamped
event-user-logged-in = Login
event-user-logged-out = Logout
event-user-login-failed = Wrong password
event-user-disabled = User disabled
event-user-enabled = User enabled
event-user-password-changed = Password changed
event-hs-catalog-imported = HS nomenclature imported

## Countries

countries-title = Countries
countries-heading = Participating countries
countries-code = Code
countries-track = Track
countries-policy = Data policy
countries-edit = Add or change a country
countries-edit-intro = Saving an existing code changes that country.
countries-save = Save country
countries-saved = The country has been saved.
