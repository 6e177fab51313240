## Public pages of the e-CERT Hub, English.
## Message ids must match locales/ru/main.ftl; the crate's tests compare them.

-hub = e-CERT Hub

## Layout

site-name = { -hub }
site-tagline = Registry of certificates of conformity and test reports
skip-to-content = Skip to main content
lang-switch-label = Language
footer-text = Public verification needs no login and shows no names or contact details of natural persons.
page-render-failed = This page could not be displayed. Try again later.

## Lookup form

lookup-title = Verify a document
lookup-heading = Verify a certificate or test report
lookup-intro = Enter the hub ID printed on the document or next to its QR code.
lookup-label = Hub ID
lookup-hint = Example: UZ-CC-7Q3K-9XMP-H. Upper and lower case are both accepted, and the letters I, L, O and U are not used.
lookup-submit = Verify
lookup-error-prefix = Error:

## Document not found or invalid hub ID

notfound-title = Document not found
notfound-heading = No document found
notfound-entered = You entered:
notfound-hint = Compare each character with the printed document. A hub ID consists of a country code, the document type (CC or TR), a random part and a check character, for example UZ-CC-7Q3K-9XMP-H.
notfound-retry = Try another hub ID

## Verification result

verify-title = Verification result
verify-heading = Verification result
verify-another = Verify another document
field-hub-id = Hub ID

verdict-valid = Valid
verdict-invalid = Invalid
verdict-indeterminate = Indeterminate
verdict-valid-explanation = Every applicable check passed.
verdict-invalid-explanation = At least one check failed. Do not rely on this document.
verdict-indeterminate-explanation = No check failed, but at least one could not be completed. Try again later or contact the issuer.

trust-heading = Trust basis
trust-none = No trust basis was established, because the document could not be identified.
trust-issuer_signature = Issuer's electronic signature
trust-issuer_signature-explanation = The conformity assessment body that issued the document signed it with its own key registered with the hub.
trust-national_seal = National seal
trust-national_seal-explanation = The national authority signed the document with its document-signing key on behalf of one of its conformity assessment bodies.
trust-hub_attestation = Hub attestation
trust-hub_attestation-explanation = The issuer did not sign the document electronically, so the hub recorded its content and file hash and signed that record with the hub's own key.

## Document summary

document-heading = Document
field-doc-type = Document type
field-national-number = National document number
field-issuer = Issued by
field-product = Product
field-model = Model
field-hs-codes = HS codes
field-issued-at = Issue date
field-valid-until = Valid until
field-valid-until-none = No expiry date
field-status = Registry status
field-superseded-by = Replaced by

doctype-CC = Certificate of conformity
doctype-TR = Test report

status-valid = Valid
status-suspended = Suspended
status-withdrawn = Withdrawn
status-superseded = Replaced by a corrected re-issue
status-expired = Expired

country-AZ = Azerbaijan
country-KG = Kyrgyzstan
country-PK = Pakistan
country-TJ = Tajikistan
country-UZ = Uzbekistan

## Checks

checks-heading = Checks
checks-as-of = Status and validity judged as of { $as_of }.
checks-checked-at = Checked at { $checked_at }.
checks-count-passed = { $count ->
    [one] { $count } check passed
   *[other] { $count } checks passed
}
checks-count-failed = { $count ->
    [one] { $count } check failed
   *[other] { $count } checks failed
}
checks-count-not_applicable = { $count ->
    [one] { $count } check not applicable
   *[other] { $count } checks not applicable
}
checks-count-not_checked = { $count ->
    [one] { $count } check could not run
   *[other] { $count } checks could not run
}
check-detail-label = Details:

outcome-passed = Passed
outcome-failed = Failed
outcome-not_applicable = Not applicable
outcome-not_checked = Not checked

check-label-format = Format
check-label-key_known = Signing key registered
check-label-signature = Electronic signature
check-label-key_valid = Key valid at registration
check-label-issuer_scope = Issuer's accreditation scope
check-label-status = Registry status
check-label-validity_period = Validity period
check-label-file_hash = File comparison
check-label-agreement_coverage = Agreement coverage
check-label-transparency_log = Transparency log

## Check reasons, by check and reason code. Codes that any check may
## report use the check name "any".

check-format-ok = The hub ID, the signed data and the document fields are well formed.
check-format-invalid_hub_id = This is not a valid hub ID. Compare each character with the printed document.
check-format-malformed_jws = The signed data is not a well-formed compact JWS.
check-format-invalid_credential = The document fields do not follow the hub's credential schema.
check-format-not_registered = No document with this hub ID is in the registry.

check-key_known-ok = The signing key is registered with the hub.
check-key_known-unknown_key = The signing key is not registered with the hub. This alone does not mean that the signature is wrong.
check-key_known-no_kid = The signature header does not name a key (kid).
check-key_known-hub_key = The record is attested with the hub's own key.
check-key_known-hub_key_unknown = The hub key that signed the attestation is not among the hub's published keys.

check-signature-ok = The electronic signature is valid for the registered key.
check-signature-bad_signature = The electronic signature does not match the document content. The document may have been altered.
check-signature-unsupported_algorithm = The hub does not support this signature algorithm.
check-signature-key_algorithm_mismatch = The signature algorithm differs from the algorithm of the registered key.
check-signature-attestation_ok = The hub's signature on its attestation is valid.
check-signature-attestation_bad = The hub's signature on its attestation does not match the record.

check-key_valid-ok = The key was active and not revoked when the hub registered the document.
check-key_valid-revoked = The key had been revoked as compromised when the hub registered the document.
check-key_valid-retired = The key had been retired when the hub registered the document.
check-key_valid-expired = The key's validity period had ended when the hub registered the document.
check-key_valid-not_yet_valid = The key's validity period had not begun when the hub registered the document.
check-key_valid-wrong_purpose = The key is not registered for signing documents.
check-key_valid-hub_key_ok = The hub key was valid when the hub recorded the document.

check-issuer_scope-ok = On the issue date the issuer was accredited or designated for this product.
check-issuer_scope-out_of_scope = The product's HS codes or standards are outside the issuer's accreditation or designation scope.
check-issuer_scope-no_accreditation = The issuer had no active accreditation or designation on the issue date.
check-issuer_scope-issuer_unknown = The issuer is not a conformity assessment body registered with the hub.

check-status-valid = The registry lists the document as valid.
check-status-suspended = The document is suspended.
check-status-withdrawn = The document has been withdrawn.
check-status-superseded = The document has been replaced by a corrected re-issue.
check-status-not_yet_registered = The document was not yet registered on the requested date.
check-status-not_registered = This document is not registered with the hub.
check-status-issuer_not_in_registry = The issuer does not publish its documents to this hub.

check-validity_period-ok = The requested date is within the document's validity period.
check-validity_period-expired = The document's validity period ended before the requested date.
check-validity_period-not_yet_valid = The document's validity period begins after the requested date.

check-file_hash-original = The file matches the registered original (SHA-256).
check-file_hash-stamped = The file matches the copy on which the hub stamped the hub ID and QR code (SHA-256).
check-file_hash-mismatch = The file matches neither the registered original nor the hub's stamped copy.
check-file_hash-not_given = No file was given, so no file was compared.

check-agreement_coverage-not_given = No verifying country was given.
check-agreement_coverage-not_built = The hub does not record agreements between countries yet.

check-transparency_log-not_built = The hub does not run a transparency log yet.

check-any-not_run = This check did not run.
check-any-earlier_failed = This check could not run because an earlier check failed.
