//! Documents: CoCs and test reports, their content as the hub reads it from a
//! W3C VC 2.0 credential, and their status rules.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::country::CountryCode;
use crate::hs::HsCode;
use crate::hub_id::HubId;

/// The `@context` entry of the hub's vocabulary, versioned.
pub const HUB_CONTEXT: &str = "urn:ecert:context:v1";
/// The W3C VC 2.0 base context, always first.
pub const VC2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The id of the hub's credential schema, published at `/api/v1/schemas/conformity/1`.
pub const SCHEMA_ID: &str = "urn:ecert:schema:conformity:1";
/// The JSON Schema of the credential payload.
pub const SCHEMA_JSON: &str = include_str!("../schema/conformity-1.json");

/// Certificate of conformity (`CC`) or test report (`TR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum DocType {
    #[serde(rename = "CC")]
    Certificate,
    #[serde(rename = "TR")]
    TestReport,
}

impl DocType {
    pub fn code(self) -> &'static str {
        match self {
            DocType::Certificate => "CC",
            DocType::TestReport => "TR",
        }
    }

    /// Returns the UNTP `attestationType` of this document type.
    pub fn attestation_type(self) -> &'static str {
        match self {
            DocType::Certificate => "certification",
            DocType::TestReport => "testing",
        }
    }
}

impl FromStr for DocType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CC" => Ok(DocType::Certificate),
            "TR" => Ok(DocType::TestReport),
            other => Err(format!("{other:?} is not a document type: use CC or TR")),
        }
    }
}

impl fmt::Display for DocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The stored status of a registry entry. `expired` is not stored: it follows
/// from `valid_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Valid,
    Suspended,
    Withdrawn,
    Superseded,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Valid => "valid",
            DocumentStatus::Suspended => "suspended",
            DocumentStatus::Withdrawn => "withdrawn",
            DocumentStatus::Superseded => "superseded",
        }
    }

    /// Applies a status change, or returns the reason it is not allowed from this status.
    pub fn apply(self, action: StatusAction) -> Result<DocumentStatus, String> {
        use DocumentStatus::*;
        match (self, action) {
            (Valid, StatusAction::Suspend) => Ok(Suspended),
            (Suspended, StatusAction::Reinstate) => Ok(Valid),
            (Valid | Suspended, StatusAction::Withdraw) => Ok(Withdrawn),
            (Valid, StatusAction::Supersede) => Ok(Superseded),
            (from, action) => Err(format!("a {} document cannot be {}", from.as_str(), action.past_tense())),
        }
    }
}

impl FromStr for DocumentStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "valid" => Ok(DocumentStatus::Valid),
            "suspended" => Ok(DocumentStatus::Suspended),
            "withdrawn" => Ok(DocumentStatus::Withdrawn),
            "superseded" => Ok(DocumentStatus::Superseded),
            other => Err(format!("{other:?} is not a status: use valid, suspended, withdrawn or superseded")),
        }
    }
}

/// A requested status change. Supersession happens only by registering a
/// corrected re-issue, never through this action directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    Suspend,
    Reinstate,
    Withdraw,
    Supersede,
}

impl StatusAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Suspend => "suspend",
            StatusAction::Reinstate => "reinstate",
            StatusAction::Withdraw => "withdraw",
            StatusAction::Supersede => "supersede",
        }
    }

    fn past_tense(self) -> &'static str {
        match self {
            StatusAction::Suspend => "suspended",
            StatusAction::Reinstate => "reinstated",
            StatusAction::Withdraw => "withdrawn",
            StatusAction::Supersede => "superseded",
        }
    }
}

impl FromStr for StatusAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "suspend" => Ok(StatusAction::Suspend),
            "reinstate" => Ok(StatusAction::Reinstate),
            "withdraw" => Ok(StatusAction::Withdraw),
            "supersede" => Ok(StatusAction::Supersede),
            other => Err(format!("{other:?} is not a status action: use suspend, reinstate or withdraw")),
        }
    }
}

/// A text in several languages, keyed by BCP 47 tag (`en`, `ru`, `uz-Latn`).
pub type LangText = BTreeMap<String, String>;

/// Picks the text for `lang`, then English, then Russian, then any.
pub fn pick_lang<'a>(text: &'a LangText, lang: &str) -> &'a str {
    text.get(lang)
        .or_else(|| text.get("en"))
        .or_else(|| text.get("ru"))
        .or_else(|| text.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

/// A legal person named on a document (applicant or manufacturer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    #[schema(value_type = BTreeMap<String, String>)]
    pub name: LangText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub hs_codes: Vec<HsCode>,
}

/// The issuer as a credential names it: `urn:ecert:org:{country}:{registration number}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IssuerUrn {
    pub country: CountryCode,
    pub registration_number: String,
}

impl IssuerUrn {
    pub fn parse(urn: &str) -> Result<Self, String> {
        let fix = "the issuer id has the form urn:ecert:org:{country}:{registration number}, for example urn:ecert:org:UZ:CB-0042";
        let rest = urn.strip_prefix("urn:ecert:org:").ok_or_else(|| fix.to_owned())?;
        let (country, number) = rest.split_once(':').ok_or_else(|| fix.to_owned())?;
        let country = country.parse().map_err(|_| fix.to_owned())?;
        if !is_registration_number(number) {
            return Err(format!("{number:?} is not a registration number: use 1-64 letters, digits, '-', '.', '/' or '_'"));
        }
        Ok(IssuerUrn { country, registration_number: number.to_owned() })
    }
}

/// Registration numbers of organisations: 1-64 ASCII letters, digits and
/// `-./_`, neither starting nor ending with `.` or `/` and without `..`, so
/// that a number never reads as a path.
pub fn is_registration_number(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b'_'))
        && !s.starts_with(['.', '/'])
        && !s.ends_with(['.', '/'])
        && !s.contains("..")
}

/// Limits on credential text, in characters or entries.
pub mod limits {
    pub const NAME: usize = 300;
    pub const PRODUCT_NAME: usize = 500;
    pub const MODEL: usize = 200;
    pub const LIST_ENTRY: usize = 200;
    pub const LIST_ENTRIES: usize = 100;
    pub const TEST_RESULTS: usize = 4000;
    pub const HS_CODES: usize = 50;
    pub const REGISTERED_ID: usize = 100;
}

/// Checks a text value: at most `max` characters, and no control or
/// bidirectional formatting characters, which would let stored text rewrite
/// a terminal or display reversed on a page.
pub fn check_text(value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err(format!("contains the control or formatting character U+{:04X}; remove it", c as u32));
    }
    Ok(())
}

impl fmt::Display for IssuerUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:ecert:org:{}:{}", self.country, self.registration_number)
    }
}

/// The conformity content of a document, as read from its credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentContent {
    pub doc_type: DocType,
    pub national_number: String,
    pub issuer: IssuerUrn,
    pub issuer_name: String,
    pub applicant: PartyRef,
    pub manufacturer: Option<PartyRef>,
    pub product: Product,
    pub standards: Vec<String>,
    pub technical_regulations: Vec<String>,
    /// Hub IDs of the test reports a CoC relies on.
    pub test_reports: Vec<HubId>,
    /// Summary of results, for test reports.
    pub test_results: Option<String>,
    pub conformance: bool,
    /// `validFrom`: the issue date the signer wrote.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// The hub ID of the entry that this corrected re-issue replaces.
    pub supersedes: Option<HubId>,
}

/// One invalid field: where, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the submitted JSON, e.g. `credentialSubject.product.hsCodes[0].code`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// Reads the credential's fields into [`DocumentContent`], collecting every
/// invalid field rather than stopping at the first one.
pub fn parse_credential(credential: &Value) -> Result<DocumentContent, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut reader = Reader { errors: &mut errors };
    let content = reader.read(credential);
    match content {
        Some(content) if errors.is_empty() => Ok(content),
        _ => {
            if errors.is_empty() {
                errors.push(FieldError::new("$", "the credential could not be read"));
            }
            Err(errors)
        }
    }
}

struct Reader<'a> {
    errors: &'a mut Vec<FieldError>,
}

impl Reader<'_> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn string(&mut self, value: &Value, path: &str, field: &str) -> Option<String> {
        self.bounded(value, path, field, limits::NAME)
    }

    fn bounded(&mut self, value: &Value, path: &str, field: &str, max: usize) -> Option<String> {
        let full = join(path, field);
        match value.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => match check_text(s.trim(), max) {
                Ok(()) => Some(s.trim().to_owned()),
                Err(problem) => {
                    self.fail(&full, problem);
                    None
                }
            },
            Some(Value::String(_)) => {
                self.fail(&full, "must not be empty");
                None
            }
            Some(_) => {
                self.fail(&full, "must be a string");
                None
            }
            None => {
                self.fail(&full, "is required");
                None
            }
        }
    }

    fn optional_string(&mut self, value: &Value, path: &str, field: &str) -> Option<String> {
        self.optional_bounded(value, path, field, limits::NAME)
    }

    fn optional_bounded(&mut self, value: &Value, path: &str, field: &str, max: usize) -> Option<String> {
        match value.get(field) {
            None | Some(Value::Null) => None,
            Some(_) => self.bounded(value, path, field, max),
        }
    }

    fn string_list(&mut self, value: &Value, path: &str, field: &str) -> Vec<String> {
        let full = join(path, field);
        match value.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.len() > limits::LIST_ENTRIES => {
                self.fail(&full, format!("must have at most {} entries", limits::LIST_ENTRIES));
                Vec::new()
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item.as_str().map(str::trim) {
                    Some(s) if !s.is_empty() => match check_text(s, limits::LIST_ENTRY) {
                        Ok(()) => Some(s.to_owned()),
                        Err(problem) => {
                            self.fail(&format!("{full}[{i}]"), problem);
                            None
                        }
                    },
                    _ => {
                        self.fail(&format!("{full}[{i}]"), "must be a non-empty string");
                        None
                    }
                })
                .collect(),
            Some(_) => {
                self.fail(&full, "must be an array of strings");
                Vec::new()
            }
        }
    }

    fn time(&mut self, value: &Value, path: &str, field: &str, required: bool) -> Option<OffsetDateTime> {
        let full = join(path, field);
        match value.get(field) {
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                self.fail(&full, "is required: an RFC 3339 date-time such as 2026-05-01T00:00:00Z");
                None
            }
            Some(Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
                Ok(t) => Some(t),
                Err(_) => {
                    self.fail(&full, format!("{s:?} is not an RFC 3339 date-time such as 2026-05-01T00:00:00Z"));
                    None
                }
            },
            Some(_) => {
                self.fail(&full, "must be an RFC 3339 date-time string");
                None
            }
        }
    }

    fn party(&mut self, value: &Value, path: &str, field: &str, required: bool) -> Option<PartyRef> {
        let full = join(path, field);
        match value.get(field) {
            None | Some(Value::Null) if !required => None,
            None => {
                self.fail(&full, "is required: an object with name and registeredId");
                None
            }
            Some(party @ Value::Object(_)) => {
                let name = self.string(party, &full, "name");
                let registered_id = self.optional_string(party, &full, "registeredId");
                let country = self.optional_string(party, &full, "country");
                Some(PartyRef { name: name?, registered_id, country })
            }
            Some(_) => {
                self.fail(&full, "must be an object with name and registeredId");
                None
            }
        }
    }

    fn lang_text(&mut self, value: &Value, path: &str, field: &str) -> Option<LangText> {
        let full = join(path, field);
        match value.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => match check_text(s.trim(), limits::PRODUCT_NAME) {
                Ok(()) => Some(LangText::from([("und".into(), s.trim().into())])),
                Err(problem) => {
                    self.fail(&full, problem);
                    None
                }
            },
            Some(Value::Object(map)) if map.len() > 20 => {
                self.fail(&full, "must have at most 20 language versions");
                None
            }
            Some(Value::Object(map)) if !map.is_empty() => {
                let mut text = LangText::new();
                for (lang, s) in map {
                    let valid_tag = (2..=35).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                    if !valid_tag {
                        self.fail(&format!("{full}.{lang}"), "the key must be a language tag such as en, ru or uz-Latn");
                        continue;
                    }
                    match s.as_str().map(str::trim) {
                        Some(s) if !s.is_empty() => match check_text(s, limits::PRODUCT_NAME) {
                            Ok(()) => {
                                text.insert(lang.clone(), s.to_owned());
                            }
                            Err(problem) => self.fail(&format!("{full}.{lang}"), problem),
                        },
                        _ => self.fail(&format!("{full}.{lang}"), "must be a non-empty string"),
                    }
                }
                Some(text)
            }
            _ => {
                self.fail(&full, "is required: a string, or an object of language tag to text such as {\"en\": \"…\", \"ru\": \"…\"}");
                None
            }
        }
    }

    fn hs_codes(&mut self, product: &Value, path: &str) -> Vec<HsCode> {
        let full = join(path, "hsCodes");
        let Some(Value::Array(items)) = product.get("hsCodes") else {
            self.fail(&full, "is required: a non-empty array of {\"code\": \"690721\", \"edition\": \"HS2022\"}");
            return Vec::new();
        };
        if items.is_empty() {
            self.fail(&full, "must list at least one HS code");
        }
        if items.len() > limits::HS_CODES {
            self.fail(&full, format!("must list at most {} HS codes", limits::HS_CODES));
            return Vec::new();
        }
        let mut codes = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{full}[{i}]");
            let code = self.string(item, &item_path, "code").and_then(|c| match c.parse() {
                Ok(code) => Some(code),
                Err(e) => {
                    self.fail(&join(&item_path, "code"), e);
                    None
                }
            });
            let edition = self.string(item, &item_path, "edition").and_then(|e| match e.parse() {
                Ok(edition) => Some(edition),
                Err(e) => {
                    self.fail(&join(&item_path, "edition"), e);
                    None
                }
            });
            let national = self.optional_string(item, &item_path, "national");
            if let (Some(code), Some(edition)) = (code, edition) {
                codes.push(HsCode { code, edition, national });
            }
        }
        codes
    }

    fn read(&mut self, credential: &Value) -> Option<DocumentContent> {
        if !credential.is_object() {
            self.fail("$", "the credential must be a JSON object");
            return None;
        }

        // 1. Envelope: VC 2.0 contexts, types and schema.
        let contexts = credential.get("@context").and_then(Value::as_array);
        match contexts {
            Some(list) if list.first().and_then(Value::as_str) == Some(VC2_CONTEXT) => {
                if !list.iter().any(|c| c.as_str() == Some(HUB_CONTEXT)) {
                    self.fail("@context", format!("must include the hub context {HUB_CONTEXT:?}"));
                }
            }
            _ => self.fail("@context", format!("must be an array starting with {VC2_CONTEXT:?}")),
        }
        let types: Vec<&str> = credential
            .get("type")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !types.contains(&"VerifiableCredential") || !types.contains(&"DigitalConformityCredential") {
            self.fail("type", "must contain \"VerifiableCredential\" and \"DigitalConformityCredential\"");
        }
        match credential.pointer("/credentialSchema/id").and_then(Value::as_str) {
            Some(SCHEMA_ID) => {}
            _ => self.fail("credentialSchema.id", format!("must be {SCHEMA_ID:?}")),
        }

        // 2. Issuer and dates.
        let issuer_value = credential.get("issuer").cloned().unwrap_or(Value::Null);
        let issuer = self.string(&issuer_value, "issuer", "id").and_then(|id| match IssuerUrn::parse(&id) {
            Ok(urn) => Some(urn),
            Err(e) => {
                self.fail("issuer.id", e);
                None
            }
        });
        let issuer_name = self.string(&issuer_value, "issuer", "name");
        let issued_at = self.time(credential, "", "validFrom", true);
        let valid_until = self.time(credential, "", "validUntil", false);
        if let (Some(from), Some(until)) = (issued_at, valid_until)
            && until <= from
        {
            self.fail("validUntil", "must be after validFrom");
        }

        // 3. The conformity subject.
        let Some(subject) = credential.get("credentialSubject").filter(|s| s.is_object()) else {
            self.fail("credentialSubject", "is required: an object with the conformity fields");
            return None;
        };
        let path = "credentialSubject";
        let doc_type = match subject.get("attestationType").and_then(Value::as_str) {
            Some("certification") => Some(DocType::Certificate),
            Some("testing") => Some(DocType::TestReport),
            _ => {
                self.fail(&join(path, "attestationType"), "must be \"certification\" (CoC) or \"testing\" (test report)");
                None
            }
        };
        let national_number = self.bounded(subject, path, "nationalNumber", 100);
        let applicant = self.party(subject, path, "issuedToParty", true);
        let manufacturer = self.party(subject, path, "manufacturer", false);

        let product_path = join(path, "product");
        let product = match subject.get("product") {
            Some(product @ Value::Object(_)) => {
                let name = self.lang_text(product, &product_path, "name");
                let model = self.optional_bounded(product, &product_path, "model", limits::MODEL);
                let hs_codes = self.hs_codes(product, &product_path);
                name.map(|name| Product { name, model, hs_codes })
            }
            _ => {
                self.fail(&product_path, "is required: an object with name, model and hsCodes");
                None
            }
        };

        let standards = self.string_list(subject, path, "referenceStandards");
        let technical_regulations = self.string_list(subject, path, "technicalRegulations");
        let test_reports = self
            .string_list(subject, path, "testReports")
            .into_iter()
            .enumerate()
            .filter_map(|(i, text)| match text.parse::<HubId>() {
                Ok(id) if id.doc_type() == DocType::TestReport => Some(id),
                Ok(id) => {
                    self.fail(&format!("{path}.testReports[{i}]"), format!("{id} is not a test report hub ID (type TR)"));
                    None
                }
                Err(e) => {
                    self.fail(&format!("{path}.testReports[{i}]"), e.to_string());
                    None
                }
            })
            .collect::<Vec<_>>();
        if doc_type == Some(DocType::TestReport) && !test_reports.is_empty() {
            self.fail(&join(path, "testReports"), "only a CoC references test reports");
        }
        let test_results = self.optional_bounded(subject, path, "testResults", limits::TEST_RESULTS);
        let conformance = match subject.get("conformance") {
            Some(Value::Bool(b)) => *b,
            _ => {
                self.fail(&join(path, "conformance"), "is required: true or false");
                false
            }
        };
        let supersedes = self.optional_string(subject, path, "supersedes").and_then(|text| match text.parse::<HubId>() {
            Ok(id) => Some(id),
            Err(e) => {
                self.fail(&join(path, "supersedes"), format!("{e}"));
                None
            }
        });

        // 4. Cross-field rules.
        if let (Some(issued), Some(product)) = (issued_at, &product) {
            for (i, hs) in product.hs_codes.iter().enumerate() {
                if let Err(e) = hs.validate(issued.date()) {
                    self.fail(&format!("{product_path}.hsCodes[{i}]"), e);
                }
            }
        }
        if let (Some(issuer), Some(doc_type)) = (&issuer, doc_type)
            && let Some(superseded) = supersedes
            && (superseded.country() != issuer.country || superseded.doc_type() != doc_type)
        {
            self.fail(
                &join(path, "supersedes"),
                "a re-issue replaces a document of the same country and type",
            );
        }

        Some(DocumentContent {
            doc_type: doc_type?,
            national_number: national_number?,
            issuer: issuer?,
            issuer_name: issuer_name?,
            applicant: applicant?,
            manufacturer,
            product: product?,
            standards,
            technical_regulations,
            test_reports,
            test_results,
            conformance,
            issued_at: issued_at?,
            valid_until,
            supersedes,
        })
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

impl DocumentContent {
    /// Builds the credential JSON for this content, the inverse of
    /// [`parse_credential`]. Used for unsigned submissions and by tools.
    pub fn to_credential(&self) -> Value {
        let mut subject = serde_json::json!({
            "type": ["ConformityAttestation"],
            "attestationType": self.doc_type.attestation_type(),
            "nationalNumber": self.national_number,
            "issuedToParty": party_json(&self.applicant),
            "product": {
                "name": self.product.name,
                "hsCodes": self.product.hs_codes.iter().map(|hs| {
                    let mut code = serde_json::json!({"code": hs.code.as_str(), "edition": hs.edition.as_str()});
                    if let Some(national) = &hs.national {
                        code["national"] = Value::String(national.clone());
                    }
                    code
                }).collect::<Vec<_>>(),
            },
            "referenceStandards": self.standards,
            "conformance": self.conformance,
        });
        if let Some(model) = &self.product.model {
            subject["product"]["model"] = Value::String(model.clone());
        }
        if let Some(manufacturer) = &self.manufacturer {
            subject["manufacturer"] = party_json(manufacturer);
        }
        if !self.technical_regulations.is_empty() {
            subject["technicalRegulations"] = serde_json::json!(self.technical_regulations);
        }
        if !self.test_reports.is_empty() {
            subject["testReports"] = serde_json::json!(self.test_reports.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        if let Some(results) = &self.test_results {
            subject["testResults"] = Value::String(results.clone());
        }
        if let Some(superseded) = self.supersedes {
            subject["supersedes"] = Value::String(superseded.to_string());
        }
        let mut credential = serde_json::json!({
            "@context": [VC2_CONTEXT, HUB_CONTEXT],
            "type": ["VerifiableCredential", "DigitalConformityCredential"],
            "issuer": {"id": self.issuer.to_string(), "name": self.issuer_name},
            "validFrom": self.issued_at.format(&Rfc3339).unwrap_or_default(),
            "credentialSchema": {"id": SCHEMA_ID, "type": "JsonSchema"},
            "credentialSubject": subject,
        });
        if let Some(until) = self.valid_until {
            credential["validUntil"] = Value::String(until.format(&Rfc3339).unwrap_or_default());
        }
        credential
    }
}

fn party_json(party: &PartyRef) -> Value {
    let mut value = serde_json::json!({"name": party.name});
    if let Some(id) = &party.registered_id {
        value["registeredId"] = Value::String(id.clone());
    }
    if let Some(country) = &party.country {
        value["country"] = Value::String(country.clone());
    }
    value
}

#[cfg(test)]
mod tests;
