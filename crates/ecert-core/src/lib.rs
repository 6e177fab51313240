//! The domain core of the e-CERT Hub. No I/O: types that validate once at
//! the edge, and the rules that decide whether a document counts.
//!
//! - [`country`], [`hub_id`], [`hs`]: identifiers as typed values.
//! - [`party`]: tracks, organisations, roles, accreditations and the scope rule.
//! - [`document`]: CoC and TR content read from a VC 2.0 credential, status rules.
//! - [`keys`]: key purposes and statuses, and when a key counts.
//! - [`jose`]: compact JWS parsing and signature verification, JWK thumbprints.
//! - [`verify`]: the verification result every interface returns.

pub mod country;
pub mod document;
pub mod hs;
pub mod hub_id;
pub mod jose;
pub mod keys;
pub mod party;
pub mod verify;

pub use country::CountryCode;
pub use document::{DocType, DocumentContent, DocumentStatus, FieldError, StatusAction};
pub use hub_id::{HubId, HubIdError};
pub use verify::{Check, CheckName, Outcome, TrustBasis, Verdict, VerificationResult};
