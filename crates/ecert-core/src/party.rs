//! Parties: countries, organisations, roles, and the accreditation or
//! designation that lets a CAB issue documents within a scope.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::document::{DocType, DocumentContent};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// Participation track of a country: A by API, B by API and portal, C by portal only.
    Track { A => "A", B => "B", C => "C" }
}

string_enum! {
    /// Whether the hub keeps document files (`full`) or only their SHA-256
    /// and a link to the national system (`metadata_only`).
    DataPolicy { Full => "full", MetadataOnly => "metadata_only" }
}

string_enum! {
    /// Kind of organisation. The hub operator belongs to no country.
    OrgKind {
        HubOperator => "hub_operator",
        StandardsBody => "standards_body",
        Regulator => "regulator",
        Customs => "customs",
        SingleWindow => "single_window",
        AccreditationBody => "accreditation_body",
        CertificationBody => "certification_body",
        TestingLaboratory => "testing_laboratory",
    }
}

impl OrgKind {
    pub fn is_cab(self) -> bool {
        matches!(self, OrgKind::CertificationBody | OrgKind::TestingLaboratory)
    }

    /// National authorities register their CABs' keys and may seal documents.
    pub fn is_national_authority(self) -> bool {
        matches!(
            self,
            OrgKind::StandardsBody
                | OrgKind::Regulator
                | OrgKind::Customs
                | OrgKind::SingleWindow
                | OrgKind::AccreditationBody
        )
    }
}

string_enum! {
    /// Roles of API tokens and portal users.
    Role {
        HubOperator => "hub_operator",
        NationalAdmin => "national_admin",
        CabIssuer => "cab_issuer",
        CustomsOfficer => "customs_officer",
        Viewer => "viewer",
    }
}

string_enum! {
    /// The basis on which a CAB may issue: an accreditation to ISO/IEC 17065
    /// (certification, CoCs) or ISO/IEC 17025 (testing, TRs), or a
    /// designation by law.
    AccreditationStandard {
        Iso17065 => "ISO/IEC 17065",
        Iso17025 => "ISO/IEC 17025",
        Designation => "designation",
    }
}

string_enum! {
    AccreditationStatus { Active => "active", Suspended => "suspended", Withdrawn => "withdrawn" }
}

impl AccreditationStandard {
    /// Document types this basis allows. A designation names its own.
    pub fn allows(self, doc_type: DocType, designated: &[DocType]) -> bool {
        match self {
            AccreditationStandard::Iso17065 => doc_type == DocType::Certificate,
            AccreditationStandard::Iso17025 => doc_type == DocType::TestReport,
            AccreditationStandard::Designation => designated.contains(&doc_type),
        }
    }
}

/// An accreditation or designation with its status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accreditation {
    pub standard: AccreditationStandard,
    /// Accreditation body, or the legal act for a designation.
    pub body: String,
    pub ilac_iaf_signatory: bool,
    /// Document types of a designation; empty for accreditations.
    pub designated_types: Vec<DocType>,
    /// HS prefixes of 2 to 10 digits; empty means no HS restriction.
    pub hs_prefixes: Vec<String>,
    /// Standards in scope; empty means no standards restriction.
    pub standards: Vec<String>,
    pub valid_from: OffsetDateTime,
    pub valid_until: Option<OffsetDateTime>,
    /// Status changes in effect order, each with the time it takes effect.
    /// The first entry is the status at `valid_from`.
    pub status_history: Vec<(OffsetDateTime, AccreditationStatus)>,
}

/// The reason an accreditation does not cover a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeViolation {
    #[error("the issuer has no accreditation or designation on record")]
    NoAccreditation,
    #[error("no accreditation of the issuer covers {0} documents (ISO/IEC 17065 covers CoCs, ISO/IEC 17025 test reports)")]
    WrongDocumentType(DocType),
    #[error("no accreditation of the issuer was in force on {0}")]
    NotInForce(String),
    #[error("the issuer's accreditation was {status} on {date}")]
    NotActive { status: AccreditationStatus, date: String },
    #[error("HS code {0} is outside the issuer's accredited scope")]
    HsCodeOutOfScope(String),
    #[error("standard {0:?} is outside the issuer's accredited scope")]
    StandardOutOfScope(String),
}

impl Accreditation {
    /// Returns the status in effect at `at`, or `None` outside the validity period.
    pub fn status_at(&self, at: OffsetDateTime) -> Option<AccreditationStatus> {
        if at < self.valid_from || self.valid_until.is_some_and(|until| at > until) {
            return None;
        }
        self.status_history
            .iter()
            .rfind(|(effective, _)| *effective <= at)
            .map(|(_, status)| *status)
            .or(self.status_history.first().map(|(_, s)| *s))
    }

    fn check(&self, document: &DocumentContent) -> Result<(), ScopeViolation> {
        let issued = document.issued_at;
        if !self.standard.allows(document.doc_type, &self.designated_types) {
            return Err(ScopeViolation::WrongDocumentType(document.doc_type));
        }
        match self.status_at(issued) {
            None => return Err(ScopeViolation::NotInForce(issued.date().to_string())),
            Some(AccreditationStatus::Active) => {}
            Some(status) => return Err(ScopeViolation::NotActive { status, date: issued.date().to_string() }),
        }
        if !self.hs_prefixes.is_empty() {
            for hs in &document.product.hs_codes {
                let covered = self.hs_prefixes.iter().any(|prefix| {
                    hs.code.falls_under(prefix)
                        || hs.national.as_deref().is_some_and(|national| national.starts_with(prefix.as_str()))
                });
                if !covered {
                    return Err(ScopeViolation::HsCodeOutOfScope(hs.code.to_string()));
                }
            }
        }
        if !self.standards.is_empty() {
            for standard in &document.standards {
                let wanted = normalize_standard(standard);
                if !self.standards.iter().any(|s| normalize_standard(s) == wanted) {
                    return Err(ScopeViolation::StandardOutOfScope(standard.clone()));
                }
            }
        }
        Ok(())
    }
}

/// Compares standard references without regard to case and spacing, so that
/// "GOST 13996-2019" and "gost  13996-2019" are the same standard.
pub fn normalize_standard(reference: &str) -> String {
    reference.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// Checks that one of `accreditations` covers the document on its issue date.
/// When none does, returns the reason from the accreditation that came
/// closest, so the caller sees the most specific problem.
pub fn check_scope(accreditations: &[Accreditation], document: &DocumentContent) -> Result<(), ScopeViolation> {
    if accreditations.is_empty() {
        return Err(ScopeViolation::NoAccreditation);
    }
    let mut best: Option<ScopeViolation> = None;
    for accreditation in accreditations {
        match accreditation.check(document) {
            Ok(()) => return Ok(()),
            Err(violation) => {
                let rank = |v: &ScopeViolation| match v {
                    ScopeViolation::NoAccreditation => 0,
                    ScopeViolation::WrongDocumentType(_) => 1,
                    ScopeViolation::NotInForce(_) => 2,
                    ScopeViolation::NotActive { .. } => 3,
                    ScopeViolation::HsCodeOutOfScope(_) | ScopeViolation::StandardOutOfScope(_) => 4,
                };
                if best.as_ref().is_none_or(|b| rank(&violation) > rank(b)) {
                    best = Some(violation);
                }
            }
        }
    }
    Err(best.unwrap_or(ScopeViolation::NoAccreditation))
}
