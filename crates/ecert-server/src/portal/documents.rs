//! A CAB's documents in the portal: the register form (every field the API
//! accepts, with the PDF), the list and search, one document with its
//! history and status change, the stamped PDF and the printable QR label.
//!
//! An issuer without a signing key registers with a hub attestation. The
//! hub records the PDF's SHA-256, signs an attestation with its own key,
//! and stamps the hub ID and QR code on the PDF's first page. It records
//! the stamped copy's hash too, so either copy verifies. An issuer
//! with a key uploads its signed credential (compact JWS) instead.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ecert_core::party::{OrgKind, Role};
use ecert_core::{DocType, DocumentStatus, FieldError, HubId, StatusAction, TrustBasis};
use ecert_store::{DocumentQuery, DocumentRecord, PageRequest};
use ecert_web::i18n::Lang;
use ecert_web::{Value, context};
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};

use super::{PortalUser, error_text};
use crate::Hub;
use crate::error::ApiError;
use crate::api::extract::parse_hub_id;
use crate::service::documents::FileInput;

const NEW_PATH: &str = "/portal/documents/new";
const LIST_PATH: &str = "/portal/documents";

/// Rows per page of the document list.
const PAGE_SIZE: u32 = 25;

/// The register form's text fields, as the browser sent them.
type FormValues = BTreeMap<String, String>;
/// Messages by form field name.
type FieldMessages = BTreeMap<String, String>;

/// Text fields of the register form, in the order of the page.
const TEXT_FIELDS: [&str; 20] = [
    "doc_type",
    "issuer",
    "national_number",
    "applicant_name",
    "applicant_id",
    "applicant_country",
    "manufacturer_name",
    "manufacturer_id",
    "manufacturer_country",
    "product_name_ru",
    "product_name_en",
    "model",
    "hs_edition",
    "hs_codes",
    "standards",
    "regulations",
    "test_reports",
    "test_results",
    "issued_at",
    "valid_until",
];

/// Organisations that may issue documents as the user: their own CAB, or
/// every CAB of the country for a national admin.
async fn issuers_of(hub: &Hub, user: &PortalUser) -> Result<Vec<ecert_store::Organisation>, ApiError> {
    let caller = &user.caller;
    let mut issuers = Vec::new();
    if caller.has(Role::CabIssuer) && (caller.org.kind.is_cab() || caller.org.kind.is_national_authority()) {
        issuers.push(caller.org.clone());
    }
    if let Some(country) = caller.country()
        && caller.is_national_admin_of(country)
    {
        let mut after = None;
        loop {
            let page = hub
                .store
                .list_organisations(Some(country), PageRequest { after: after.take(), limit: PageRequest::MAX_LIMIT })
                .await?;
            issuers.extend(page.items.into_iter().filter(|org| org.kind.is_cab() && org.id != caller.org.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(issuers)
}

fn doc_type_options(hub: &Hub, lang: Lang) -> Vec<Value> {
    [DocType::Certificate, DocType::TestReport]
        .iter()
        .map(|t| context! { value => t.code(), label => hub.pages.text(lang, &format!("doctype-{}", t.code())) })
        .collect()
}

fn form_page(hub: &Hub, user: &PortalUser, status: StatusCode, values: &FormValues, errors: &FieldMessages, general: Option<String>, issuers: &[ecert_store::Organisation]) -> Response {
    let lang = user.lang;
    let issuer_options: Vec<Value> = issuers
        .iter()
        .map(|org| context! { value => org.id.to_string(), label => format!("{} ({})", org.name, org.registration_number) })
        .collect();
    // Every field the template reads is present, so the strict template never meets a missing value.
    let mut values = values.clone();
    for name in TEXT_FIELDS.iter().chain(&["supersedes", "conformance"]) {
        values.entry((*name).to_owned()).or_default();
    }
    let editions: Vec<Value> = ["HS2022", "HS2017", "HS2027"].into_iter().map(|e| context! { value => e, label => e }).collect();
    let ctx = context! {
        values => values,
        errors => errors.clone(),
        general => general,
        issuers => issuer_options,
        doc_types => doc_type_options(hub, lang),
        editions => editions,
        today => OffsetDateTime::now_utc().date().to_string(),
        max_file_mb => hub.config.max_body_bytes / (1024 * 1024),
    };
    user.page(hub, status, "portal_document_new.html", NEW_PATH, ctx)
}

pub async fn new_form(State(hub): State<Arc<Hub>>, user: PortalUser) -> Response {
    let issuers = match issuers_of(&hub, &user).await {
        Ok(issuers) => issuers,
        Err(error) => return user.error_page(&hub, &error, NEW_PATH),
    };
    if issuers.is_empty() {
        let error = ApiError::forbidden("only a CAB issuer or a national admin may register documents");
        return user.error_page(&hub, &error, NEW_PATH);
    }
    let mut values = FormValues::new();
    values.insert("doc_type".into(), "CC".into());
    values.insert("hs_edition".into(), "HS2022".into());
    values.insert("conformance".into(), "yes".into());
    values.insert("issued_at".into(), OffsetDateTime::now_utc().date().to_string());
    if let Some(country) = user.caller.country() {
        values.insert("applicant_country".into(), country.to_string());
    }
    form_page(&hub, &user, StatusCode::OK, &values, &FieldMessages::new(), None, &issuers)
}

/// The fields of a posted register form: text fields and up to two files.
struct Submission {
    values: FormValues,
    pdf: Option<Vec<u8>>,
    jws: Option<String>,
}

/// Reads the multipart body. Unknown fields are ignored; a file field
/// without a file name or with no bytes counts as absent.
async fn read_submission(mut multipart: Multipart) -> Result<Submission, String> {
    let mut submission = Submission { values: FormValues::new(), pdf: None, jws: None };
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "pdf" | "jws_file" => {
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if bytes.is_empty() {
                    continue;
                }
                if name == "pdf" {
                    submission.pdf = Some(bytes.to_vec());
                } else {
                    submission.jws = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
                }
            }
            _ => {
                let text = field.text().await.map_err(|e| e.body_text())?;
                if name == "jws" && !text.trim().is_empty() {
                    submission.jws = Some(text.trim().to_owned());
                } else {
                    submission.values.insert(name, text);
                }
            }
        }
    }
    Ok(submission)
}

fn value<'a>(values: &'a FormValues, name: &str) -> &'a str {
    values.get(name).map(|v| v.trim()).unwrap_or("")
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ';']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn party(values: &FormValues, prefix: &str) -> serde_json::Value {
    let mut party = serde_json::json!({ "name": value(values, &format!("{prefix}_name")) });
    let id = value(values, &format!("{prefix}_id"));
    if !id.is_empty() {
        party["registeredId"] = id.into();
    }
    let country = value(values, &format!("{prefix}_country"));
    if !country.is_empty() {
        party["country"] = country.to_uppercase().into();
    }
    party
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), &time::format_description::well_known::Iso8601::DATE).ok()
}

/// Checks the form in the user's language and builds the credential the
/// API would accept. Returns the messages by field when anything is wrong.
async fn build_credential(hub: &Hub, lang: Lang, values: &FormValues, issuer: &ecert_store::Organisation) -> Result<serde_json::Value, FieldMessages> {
    let mut errors = FieldMessages::new();
    let required = hub.pages.text(lang, "form-error-required");
    for name in ["national_number", "applicant_name", "hs_codes", "issued_at"] {
        if value(values, name).is_empty() {
            errors.insert(name.to_owned(), required.clone());
        }
    }
    if value(values, "product_name_ru").is_empty() && value(values, "product_name_en").is_empty() {
        errors.insert("product_name_ru".into(), hub.pages.text(lang, "form-error-product-name"));
    }
    if value(values, "manufacturer_name").is_empty()
        && (!value(values, "manufacturer_id").is_empty() || !value(values, "manufacturer_country").is_empty())
    {
        errors.insert("manufacturer_name".into(), required.clone());
    }
    let doc_type: Option<DocType> = value(values, "doc_type").parse().ok();
    if doc_type.is_none() {
        errors.insert("doc_type".into(), hub.pages.text(lang, "form-error-choose"));
    }
    let issued_at = parse_date(value(values, "issued_at"));
    if issued_at.is_none() && !value(values, "issued_at").is_empty() {
        errors.insert("issued_at".into(), hub.pages.text(lang, "form-error-date"));
    }
    let valid_until = match value(values, "valid_until") {
        "" => None,
        text => match parse_date(text) {
            Some(date) => Some(date),
            None => {
                errors.insert("valid_until".into(), hub.pages.text(lang, "form-error-date"));
                None
            }
        },
    };
    if let (Some(from), Some(until)) = (issued_at, valid_until)
        && until < from
    {
        errors.insert("valid_until".into(), hub.pages.text(lang, "form-error-until-before-issue"));
    }
    for (name, country) in [("applicant_country", value(values, "applicant_country")), ("manufacturer_country", value(values, "manufacturer_country"))] {
        let two_letters = country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic());
        if !country.is_empty() && !two_letters {
            errors.insert(name.to_owned(), hub.pages.text(lang, "form-error-country"));
        }
    }

    // HS codes: one per line, each "subheading" or "subheading national-code".
    let edition = value(values, "hs_edition");
    let mut hs_codes = Vec::new();
    let catalog = hub.store.hs_catalog_info().await.ok().flatten();
    for line in lines(value(values, "hs_codes")) {
        let mut parts = line.split_whitespace();
        let code: String = parts.next().unwrap_or("").chars().filter(|c| *c != '.').collect();
        let national = parts.next().map(str::to_owned);
        if code.parse::<ecert_core::hs::HsSubheading>().is_err() {
            let mut args = ecert_web::FluentArgs::new();
            args.set("detail", line.clone());
            errors.insert("hs_codes".into(), hub.pages.text_with(lang, "form-error-hs-format", &args));
            continue;
        }
        if catalog.as_ref().is_some_and(|c| c.edition.as_str() == edition)
            && hub.store.get_hs_entry(&code).await.ok().flatten().is_none()
        {
            let mut args = ecert_web::FluentArgs::new();
            args.set("detail", code.clone());
            errors.insert("hs_codes".into(), hub.pages.text_with(lang, "form-error-hs-unknown", &args));
            continue;
        }
        let mut entry = serde_json::json!({ "code": code, "edition": edition });
        if let Some(national) = national {
            entry["national"] = national.into();
        }
        hs_codes.push(entry);
    }
    let supersedes = value(values, "supersedes");
    if !supersedes.is_empty() && supersedes.parse::<HubId>().is_err() {
        errors.insert("supersedes".into(), hub.pages.text(lang, "form-error-hub-id"));
    }
    let reports = lines(value(values, "test_reports"));
    if !reports.is_empty() && doc_type == Some(DocType::TestReport) {
        errors.insert("test_reports".into(), hub.pages.text(lang, "form-error-tr-references"));
    }
    for report in reports {
        let problem = match report.parse::<HubId>() {
            Err(_) => hub.pages.text(lang, "form-error-hub-id"),
            Ok(id) if id.doc_type() != DocType::TestReport => {
                let mut args = ecert_web::FluentArgs::new();
                args.set("hub_id", id.to_string());
                hub.pages.text_with(lang, "form-error-not-tr", &args)
            }
            Ok(_) => continue,
        };
        errors.entry("test_reports".into()).or_insert(problem);
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut product_name = serde_json::Map::new();
    for (tag, field) in [("ru", "product_name_ru"), ("en", "product_name_en")] {
        if !value(values, field).is_empty() {
            product_name.insert(tag.into(), value(values, field).into());
        }
    }
    let mut product = serde_json::json!({ "name": product_name, "hsCodes": hs_codes });
    if !value(values, "model").is_empty() {
        product["model"] = value(values, "model").into();
    }
    let doc_type = doc_type.unwrap_or(DocType::Certificate);
    let mut subject = serde_json::json!({
        "type": ["ConformityAttestation"],
        "attestationType": doc_type.attestation_type(),
        "nationalNumber": value(values, "national_number"),
        "issuedToParty": party(values, "applicant"),
        "product": product,
        "referenceStandards": lines(value(values, "standards")),
        "conformance": value(values, "conformance") == "yes",
    });
    if !value(values, "manufacturer_name").is_empty() {
        subject["manufacturer"] = party(values, "manufacturer");
    }
    for (field, key) in [("regulations", "technicalRegulations"), ("test_reports", "testReports")] {
        let entries = lines(value(values, field));
        if !entries.is_empty() {
            subject[key] = entries.into();
        }
    }
    if !value(values, "test_results").is_empty() {
        subject["testResults"] = value(values, "test_results").into();
    }
    if !supersedes.is_empty() {
        subject["supersedes"] = supersedes.to_uppercase().into();
    }
    let midnight = |date: Date| ecert_core::keys::rfc3339(date.with_time(Time::MIDNIGHT).assume_utc());
    let mut credential = serde_json::json!({
        "@context": [ecert_core::document::VC2_CONTEXT, ecert_core::document::HUB_CONTEXT],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": { "id": issuer.urn(), "name": issuer.name },
        "validFrom": issued_at.map(midnight).unwrap_or_default(),
        "credentialSchema": { "id": ecert_core::document::SCHEMA_ID, "type": "JsonSchema" },
        "credentialSubject": subject,
    });
    if let Some(until) = valid_until {
        let end_of_day = until.with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT)).assume_utc();
        credential["validUntil"] = ecert_core::keys::rfc3339(end_of_day).into();
    }
    Ok(credential)
}

/// Maps a field path of the credential to the form field that fills it.
fn form_field(path: &str) -> &'static str {
    const PATHS: [(&str, &str); 17] = [
        ("credentialSubject.nationalNumber", "national_number"),
        ("credentialSubject.issuedToParty.registeredId", "applicant_id"),
        ("credentialSubject.issuedToParty.country", "applicant_country"),
        ("credentialSubject.issuedToParty", "applicant_name"),
        ("credentialSubject.manufacturer.registeredId", "manufacturer_id"),
        ("credentialSubject.manufacturer.country", "manufacturer_country"),
        ("credentialSubject.manufacturer", "manufacturer_name"),
        ("credentialSubject.product.name.en", "product_name_en"),
        ("credentialSubject.product.name", "product_name_ru"),
        ("credentialSubject.product.model", "model"),
        ("credentialSubject.product.hsCodes", "hs_codes"),
        ("credentialSubject.referenceStandards", "standards"),
        ("credentialSubject.technicalRegulations", "regulations"),
        ("credentialSubject.testReports", "test_reports"),
        ("credentialSubject.testResults", "test_results"),
        ("credentialSubject.supersedes", "supersedes"),
        ("validUntil", "valid_until"),
    ];
    if path.starts_with("validFrom") {
        return "issued_at";
    }
    if path == "pdf_base64" {
        return "pdf";
    }
    PATHS.iter().find(|(prefix, _)| path.starts_with(prefix)).map_or("general", |(_, field)| field)
}

/// Turns a service error into messages next to the fields it names, with
/// the hub's English detail after a translated lead.
fn field_messages(hub: &Hub, lang: Lang, error: &ApiError) -> (FieldMessages, Option<String>) {
    let mut messages = FieldMessages::new();
    let detail = |e: &FieldError| {
        let mut args = ecert_web::FluentArgs::new();
        args.set("detail", e.message.clone());
        hub.pages.text_with(lang, "form-error-field", &args)
    };
    for e in &error.detail.details {
        let field = form_field(&e.field);
        if field != "general" {
            messages.entry(field.to_owned()).or_insert_with(|| detail(e));
        }
    }
    // An error without field details may still name one field, such as
    // the file of a resubmission; its translated message goes there.
    if error.detail.details.is_empty()
        && let Some(field) = error.detail.field.as_deref().map(form_field).filter(|f| *f != "general")
    {
        messages.insert(field.to_owned(), error_text(hub, lang, error));
        return (messages, None);
    }
    let unplaced = messages.is_empty() || error.detail.details.iter().any(|e| form_field(&e.field) == "general");
    (messages, unplaced.then(|| error_text(hub, lang, error)))
}

/// Registers a document from the form: signed (a JWS was given) or with a
/// hub attestation, then stamps the PDF of an attested document.
pub async fn create(State(hub): State<Arc<Hub>>, user: PortalUser, multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Response {
    let lang = user.lang;
    let issuers = match issuers_of(&hub, &user).await {
        Ok(issuers) if !issuers.is_empty() => issuers,
        Ok(_) => return user.error_page(&hub, &ApiError::forbidden("only a CAB issuer or a national admin may register documents"), NEW_PATH),
        Err(error) => return user.error_page(&hub, &error, NEW_PATH),
    };
    let submission = match multipart {
        Ok(multipart) => read_submission(multipart).await,
        Err(rejection) => Err(rejection.body_text()),
    };
    let submission = match submission {
        Ok(submission) => submission,
        Err(problem) => {
            tracing::info!(problem, "register form could not be read");
            let general = hub.pages.text(lang, "form-error-upload");
            return form_page(&hub, &user, StatusCode::BAD_REQUEST, &FormValues::new(), &FieldMessages::new(), Some(general), &issuers);
        }
    };
    if let Err(response) = user.check_csrf(&hub, value(&submission.values, "csrf")) {
        return response;
    }
    let values = submission.values;
    let fail = |errors: FieldMessages, general: Option<String>, status: StatusCode| {
        form_page(&hub, &user, status, &values, &errors, general, &issuers)
    };
    let mut errors = FieldMessages::new();
    if let Some(pdf) = &submission.pdf
        && !ecert_pdf::looks_like_pdf(pdf)
    {
        errors.insert("pdf".into(), hub.pages.text(lang, "form-error-not-pdf"));
    }

    let registered = if let Some(jws) = &submission.jws {
        if !errors.is_empty() {
            return fail(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
        }
        hub.submit_signed(user.principal(), jws, submission.pdf.map(FileInput::Bytes)).await
    } else {
        let issuer = issuers.iter().find(|org| org.id.to_string() == value(&values, "issuer")).or(issuers.first());
        let Some(issuer) = issuer else {
            return fail(errors, None, StatusCode::FORBIDDEN);
        };
        if submission.pdf.is_none() {
            errors.insert("pdf".into(), hub.pages.text(lang, "form-error-pdf-required"));
        }
        let credential = match build_credential(&hub, lang, &values, issuer).await {
            Ok(credential) if errors.is_empty() => credential,
            Ok(_) => return fail(errors, None, StatusCode::UNPROCESSABLE_ENTITY),
            Err(more) => {
                errors.extend(more);
                return fail(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
            }
        };
        hub.submit_unsigned(user.principal(), &credential, submission.pdf.map(FileInput::Bytes)).await
    };
    let registered = match registered {
        Ok(registered) => registered,
        Err(error) => {
            let (messages, general) = field_messages(&hub, lang, &error);
            let status = super::page_status(&error);
            return fail(messages, general, status);
        }
    };
    let hub_id = registered.record.hub_id;
    let mut target = format!("/portal/documents/{hub_id}?registered={}", if registered.created { "new" } else { "again" });
    if registered.record.trust_basis == TrustBasis::HubAttestation
        && let Err(error) = hub.stamp_document(user.principal(), &registered.record).await
    {
        tracing::warn!(%hub_id, code = %error.detail.code, "the PDF could not be stamped");
        target.push_str("&stamp=failed");
    }
    Redirect::to(&target).into_response()
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    national_number: Option<String>,
    status: Option<String>,
    doc_type: Option<String>,
    hs_code: Option<String>,
    after: Option<String>,
    lang: Option<String>,
}

/// Lists documents newest first: a CAB's own, a national admin's country's,
/// and every country's for the hub operator and viewers.
pub async fn list(State(hub): State<Arc<Hub>>, user: PortalUser, query: Result<Query<ListQuery>, QueryRejection>) -> Response {
    let lang = user.lang;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    let caller = &user.caller;
    let mut filter = DocumentQuery::default();
    if caller.has(Role::CabIssuer) && caller.org.kind.is_cab() {
        filter.issuer_org_id = Some(caller.org.id);
    } else if !caller.is_operator() && !caller.has(Role::Viewer) {
        filter.country = caller.country();
    }
    let mut errors = FieldMessages::new();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    filter.national_number = text(&query.national_number);
    if let Some(status) = text(&query.status) {
        match status.parse::<DocumentStatus>() {
            Ok(status) => filter.status = Some(status),
            Err(_) => {
                errors.insert("status".into(), hub.pages.text(lang, "form-error-choose"));
            }
        }
    }
    if let Some(doc_type) = text(&query.doc_type) {
        match doc_type.parse::<DocType>() {
            Ok(doc_type) => filter.doc_type = Some(doc_type),
            Err(_) => {
                errors.insert("doc_type".into(), hub.pages.text(lang, "form-error-choose"));
            }
        }
    }
    if let Some(hs) = text(&query.hs_code) {
        let digits: String = hs.chars().filter(|c| *c != '.' && *c != ' ').collect();
        if (2..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            filter.hs_code = Some(digits);
        } else {
            errors.insert("hs_code".into(), hub.pages.text(lang, "form-error-hs-prefix"));
        }
    }
    let page = if errors.is_empty() {
        match hub.store.search_documents(&filter, PageRequest { after: text(&query.after), limit: PAGE_SIZE }).await {
            Ok(page) => page,
            Err(ecert_store::StoreError::Conflict(_)) => ecert_store::Page { items: Vec::new(), next: None },
            Err(error) => return user.error_page(&hub, &error.into(), LIST_PATH),
        }
    } else {
        ecert_store::Page { items: Vec::new(), next: None }
    };
    let rows: Vec<Value> = page.items.iter().map(|d| document_row(&hub, lang, d)).collect();
    let mut next_query = url::form_urlencoded::Serializer::new(String::new());
    for (name, v) in [("national_number", &query.national_number), ("status", &query.status), ("doc_type", &query.doc_type), ("hs_code", &query.hs_code)] {
        if let Some(v) = text(v) {
            next_query.append_pair(name, &v);
        }
    }
    let next = page.next.map(|cursor| format!("{LIST_PATH}?{}", next_query.append_pair("after", &cursor).finish()));
    let statuses: Vec<Value> = std::iter::once(context! { value => "", label => hub.pages.text(lang, "documents-any") })
        .chain(["valid", "suspended", "withdrawn", "superseded"].into_iter().map(|s| context! { value => s, label => hub.pages.text(lang, &format!("status-{s}")) }))
        .collect();
    let doc_types: Vec<Value> = std::iter::once(context! { value => "", label => hub.pages.text(lang, "documents-any") })
        .chain(doc_type_options(&hub, lang))
        .collect();
    let ctx = context! {
        rows => rows,
        next => next,
        filter => context! {
            national_number => text(&query.national_number).unwrap_or_default(),
            status => text(&query.status).unwrap_or_default(),
            doc_type => text(&query.doc_type).unwrap_or_default(),
            hs_code => text(&query.hs_code).unwrap_or_default(),
        },
        errors => errors,
        statuses => statuses,
        doc_types => doc_types,
        can_register => caller.has(Role::CabIssuer) || caller.has(Role::NationalAdmin),
        first_page => query.after.is_some(),
    };
    user.page(&hub, StatusCode::OK, "portal_documents.html", LIST_PATH, ctx)
}

fn status_of(document: &DocumentRecord) -> &'static str {
    let expired = document.content.valid_until.is_some_and(|until| until < OffsetDateTime::now_utc());
    if expired && document.status == DocumentStatus::Valid { "expired" } else { document.status.as_str() }
}

fn document_row(hub: &Hub, lang: Lang, d: &DocumentRecord) -> Value {
    let status = status_of(d);
    context! {
        hub_id => d.hub_id.to_string(),
        doc_type => hub.pages.text(lang, &format!("doctype-{}", d.doc_type.code())),
        national_number => &d.national_number,
        product => ecert_core::document::pick_lang(&d.content.product.name, lang.as_str()),
        issuer => &d.content.issuer_name,
        issued_at => hub.pages.date(lang, d.content.issued_at),
        status_code => status,
        status => hub.pages.text(lang, &format!("status-{status}")),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    registered: Option<String>,
    stamp: Option<String>,
    status_changed: Option<String>,
    lang: Option<String>,
}

pub async fn detail(
    State(hub): State<Arc<Hub>>,
    user: PortalUser,
    Path(hub_id): Path<String>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    let path = format!("{LIST_PATH}/{hub_id}");
    let document = match parse_hub_id(&hub_id) {
        Ok(id) => hub.document(id).await,
        Err(error) => Err(error),
    };
    match document {
        Ok(document) => detail_page(&hub, &user, &document, &query, StatusCode::OK, &FieldMessages::new(), None).await,
        Err(error) => user.error_page(&hub, &error, &path),
    }
}

async fn detail_page(
    hub: &Hub,
    user: &PortalUser,
    document: &DocumentRecord,
    query: &DetailQuery,
    status: StatusCode,
    errors: &FieldMessages,
    general: Option<String>,
) -> Response {
    let lang = user.lang;
    let caller = &user.caller;
    let path = format!("{LIST_PATH}/{}", document.hub_id);
    let issuer = match hub.organisation(document.issuer_org_id).await {
        Ok(issuer) => issuer,
        Err(error) => return user.error_page(hub, &error, &path),
    };
    let may_change = user.principal().require_issuer_or_authority(&issuer).is_ok();
    let history = match hub.store.document_history(document.hub_id).await {
        Ok(history) => history,
        Err(error) => return user.error_page(hub, &error.into(), &path),
    };
    let reasons_visible = caller.is_operator() || caller.country() == Some(document.country);
    let history: Vec<Value> = history
        .iter()
        .map(|change| {
            context! {
                effective_at => hub.pages.timestamp(lang, change.effective_at),
                recorded_at => hub.pages.timestamp(lang, change.recorded_at),
                action => hub.pages.text(lang, &format!("action-{}", change.action.as_str())),
                from => hub.pages.text(lang, &format!("status-{}", change.from.as_str())),
                to => hub.pages.text(lang, &format!("status-{}", change.to.as_str())),
                reason => reasons_visible.then(|| change.reason.clone()),
            }
        })
        .collect();
    let c = &document.content;
    let party = |p: &ecert_core::document::PartyRef| {
        let mut text = p.name.clone();
        if let Some(id) = &p.registered_id {
            text.push_str(&format!(", {id}"));
        }
        if let Some(country) = &p.country {
            text.push_str(&format!(" ({country})"));
        }
        text
    };
    let hs: Vec<String> = c
        .product
        .hs_codes
        .iter()
        .map(|h| match &h.national {
            Some(national) => format!("{} ({}, {national})", h.code.as_str(), h.edition.as_str()),
            None => format!("{} ({})", h.code.as_str(), h.edition.as_str()),
        })
        .collect();
    let actions: Vec<Value> = [StatusAction::Suspend, StatusAction::Reinstate, StatusAction::Withdraw]
        .iter()
        .filter(|action| document.status.apply(**action).is_ok())
        .map(|action| context! { value => action.as_str(), label => hub.pages.text(lang, &format!("action-{}", action.as_str())) })
        .collect();
    let notice = match (query.registered.as_deref(), query.status_changed.as_deref()) {
        (Some("new"), _) => Some(hub.pages.text(lang, "document-registered-new")),
        (Some("again"), _) => Some(hub.pages.text(lang, "document-registered-again")),
        (_, Some(_)) => Some(hub.pages.text(lang, "document-status-changed")),
        _ => None,
    };
    let status_code = status_of(document);
    let ctx = context! {
        hub_id => document.hub_id.to_string(),
        public_url => hub.public_url(document.hub_id),
        notice => notice,
        stamp_failed => query.stamp.is_some(),
        doc_type => hub.pages.text(lang, &format!("doctype-{}", document.doc_type.code())),
        national_number => &document.national_number,
        issuer => format!("{} ({})", issuer.name, issuer.registration_number),
        applicant => party(&c.applicant),
        manufacturer => c.manufacturer.as_ref().map(party),
        product_names => product_names(&c.product.name, lang),
        model => c.product.model.clone(),
        hs_codes => hs,
        standards => c.standards.clone(),
        regulations => c.technical_regulations.clone(),
        test_reports => c.test_reports.iter().map(ToString::to_string).collect::<Vec<_>>(),
        test_results => c.test_results.clone(),
        conformance => hub.pages.text(lang, if c.conformance { "document-conformance-yes" } else { "document-conformance-no" }),
        issued_at => hub.pages.date(lang, c.issued_at),
        valid_until => c.valid_until.map(|t| hub.pages.date(lang, t)),
        registered_at => hub.pages.timestamp(lang, document.registered_at),
        trust => hub.pages.text(lang, &format!("trust-{}", document.trust_basis.as_str())),
        status_code => status_code,
        status => hub.pages.text(lang, &format!("status-{status_code}")),
        supersedes => document.supersedes.map(|id| id.to_string()),
        superseded_by => document.superseded_by.map(|id| id.to_string()),
        has_file => document.file_sha256.is_some(),
        file_sha256 => document.file_sha256.clone(),
        stamped_sha256 => document.stamped_sha256.clone(),
        may_stamp => may_change && document.trust_basis == TrustBasis::HubAttestation && document.file_sha256.is_some(),
        history => history,
        may_change => may_change && !actions.is_empty(),
        actions => actions,
        errors => errors,
        general => general,
    };
    user.page(hub, status, "portal_document.html", &path, ctx)
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    effective_date: String,
}

pub async fn change_status(
    State(hub): State<Arc<Hub>>,
    user: PortalUser,
    Path(hub_id): Path<String>,
    form: Result<Form<StatusForm>, FormRejection>,
) -> Response {
    let lang = user.lang;
    let path = format!("{LIST_PATH}/{hub_id}");
    let Ok(Form(form)) = form else {
        return user.check_csrf(&hub, "").err().unwrap_or_else(|| Redirect::to(&path).into_response());
    };
    if let Err(response) = user.check_csrf(&hub, &form.csrf) {
        return response;
    }
    let document = match parse_hub_id(&hub_id) {
        Ok(id) => hub.document(id).await,
        Err(error) => Err(error),
    };
    let document = match document {
        Ok(document) => document,
        Err(error) => return user.error_page(&hub, &error, &path),
    };
    let mut errors = FieldMessages::new();
    let action = form.action.parse::<StatusAction>().ok().filter(|a| *a != StatusAction::Supersede);
    if action.is_none() {
        errors.insert("action".into(), hub.pages.text(lang, "form-error-choose"));
    }
    if form.reason.trim().is_empty() {
        errors.insert("reason".into(), hub.pages.text(lang, "form-error-required"));
    }
    let effective_at = match form.effective_date.trim() {
        "" => None,
        text => match parse_date(text) {
            Some(date) => Some(date.with_time(Time::MIDNIGHT).assume_utc().max(document.registered_at)),
            None => {
                errors.insert("effective_date".into(), hub.pages.text(lang, "form-error-date"));
                None
            }
        },
    };
    let query = DetailQuery::default();
    let (Some(action), true) = (action, errors.is_empty()) else {
        return detail_page(&hub, &user, &document, &query, StatusCode::UNPROCESSABLE_ENTITY, &errors, None).await;
    };
    match hub.change_status(user.principal(), document.hub_id, action, form.reason, effective_at).await {
        Ok(_) => Redirect::to(&format!("{path}?status_changed=1")).into_response(),
        Err(error) => {
            let mut messages = FieldMessages::new();
            for e in &error.detail.details {
                let field = match e.field.as_str() {
                    "reason" => "reason",
                    "effective_at" => "effective_date",
                    _ => "action",
                };
                let mut args = ecert_web::FluentArgs::new();
                args.set("detail", e.message.clone());
                messages.entry(field.to_owned()).or_insert_with(|| hub.pages.text_with(lang, "form-error-field", &args));
            }
            let general = messages.is_empty().then(|| error_text(&hub, lang, &error));
            let status = super::page_status(&error);
            detail_page(&hub, &user, &document, &query, status, &messages, general).await
        }
    }
}

/// Lists the product names with the page language first, then the others
/// in tag order.
fn product_names(names: &ecert_core::document::LangText, lang: Lang) -> Vec<Value> {
    let mut ordered: Vec<(&String, &String)> = names.iter().collect();
    ordered.sort_by_key(|(tag, _)| tag.as_str() != lang.as_str());
    ordered.into_iter().map(|(tag, name)| context! { tag => tag, name => name }).collect()
}

fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

pub async fn original_file(State(hub): State<Arc<Hub>>, user: PortalUser, Path(hub_id): Path<String>) -> Response {
    let path = format!("{LIST_PATH}/{hub_id}");
    let result = async {
        let document = hub.document(parse_hub_id(&hub_id)?).await?;
        let sha = document.file_sha256.ok_or_else(|| ApiError::not_found(format!("file of {hub_id}")))?;
        Ok::<_, ApiError>((document.hub_id, hub.blobs.get(&sha).await?))
    }
    .await;
    match result {
        Ok((id, bytes)) => pdf_response(bytes, &format!("{id}.pdf")),
        Err(error) => user.error_page(&hub, &error, &path),
    }
}

/// Sends the stamped copy of an attested document's PDF. The issuer's
/// first download makes it when registration could not.
pub async fn stamped_file(State(hub): State<Arc<Hub>>, user: PortalUser, Path(hub_id): Path<String>) -> Response {
    let path = format!("{LIST_PATH}/{hub_id}");
    let result = async {
        let document = hub.document(parse_hub_id(&hub_id)?).await?;
        let bytes = match &document.stamped_sha256 {
            Some(sha) => hub.blobs.get(sha).await?,
            None => hub.stamp_document(user.principal(), &document).await?,
        };
        Ok::<_, ApiError>((document.hub_id, bytes))
    }
    .await;
    match result {
        Ok((id, bytes)) => pdf_response(bytes, &format!("{id}-stamped.pdf")),
        Err(error) => user.error_page(&hub, &error, &path),
    }
}

/// Renders a printable label with the QR code, hub ID and document
/// summary, for sticking on a paper copy.
pub async fn label(State(hub): State<Arc<Hub>>, user: PortalUser, Path(hub_id): Path<String>) -> Response {
    let lang = user.lang;
    let path = format!("{LIST_PATH}/{hub_id}");
    let document = match parse_hub_id(&hub_id) {
        Ok(id) => hub.document(id).await,
        Err(error) => Err(error),
    };
    let document = match document {
        Ok(document) => document,
        Err(error) => return user.error_page(&hub, &error, &path),
    };
    let url = hub.public_url(document.hub_id);
    let qr = match ecert_web::qr::qr_png(&url, 6) {
        Ok(png) => png,
        Err(error) => {
            tracing::error!(error = %error, "QR rendering failed");
            return user.error_page(&hub, &ApiError::internal(), &path);
        }
    };
    use base64::Engine as _;
    let ctx = context! {
        hub_id => document.hub_id.to_string(),
        url => url,
        qr_data => format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(qr)),
        doc_type => hub.pages.text(lang, &format!("doctype-{}", document.doc_type.code())),
        national_number => &document.national_number,
        issuer => &document.content.issuer_name,
        issued_at => hub.pages.date(lang, document.content.issued_at),
    };
    user.page(&hub, StatusCode::OK, "portal_label.html", &path, ctx)
}

#[derive(Debug, Deserialize, Default)]
pub struct HsQuery {
    q: Option<String>,
    lang: Option<String>,
}

/// Searches the imported HS nomenclature by code prefix or words.
pub async fn hs_lookup(State(hub): State<Arc<Hub>>, user: PortalUser, query: Result<Query<HsQuery>, QueryRejection>) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    let q = query.q.as_deref().map(str::trim).unwrap_or("").chars().take(100).collect::<String>();
    let info = match hub.store.hs_catalog_info().await {
        Ok(info) => info,
        Err(error) => return user.error_page(&hub, &error.into(), "/portal/hs"),
    };
    let results = if q.is_empty() || info.is_none() {
        Vec::new()
    } else {
        match hub.store.search_hs(&q, 50).await {
            Ok(results) => results,
            Err(error) => return user.error_page(&hub, &error.into(), "/portal/hs"),
        }
    };
    let rows: Vec<Value> = results
        .iter()
        .map(|e| context! { code => &e.code, description => &e.description, level => e.code.len(), selectable => e.code.len() == 6 })
        .collect();
    let ctx = context! {
        searched => !q.is_empty(),
        q => q,
        rows => rows,
        catalog => info.map(|i| context! { edition => i.edition.as_str(), entries => i.entries }),
    };
    user.page(&hub, StatusCode::OK, "portal_hs.html", "/portal/hs", ctx)
}

/// Kinds of organisation that may be chosen as issuer on the form.
pub fn is_issuer_kind(kind: OrgKind) -> bool {
    kind.is_cab() || kind.is_national_authority()
}
