//! Server-rendered pages of the e-CERT Hub in English and Russian: the
//! public verification pages and the portal.
//! The crate has no HTTP framework: `ecert-server` calls it and sends the
//! returned HTML, PNG and SVG.
//!
//! - [`i18n`]: the page language ([`Lang`], [`negotiate`]) and the Project
//!   Fluent message [`Catalog`] embedded from `locales/{en,ru}/*.ftl`.
//! - [`pages`]: [`Pages`], which renders the verification result, the
//!   "document not found" page, the lookup form and the portal pages from
//!   the minijinja templates in `templates/`, plus the [`STYLESHEET`] they
//!   link. Portal pages take a context the server builds with
//!   [`context!`] and [`Value`].
//! - [`qr`]: QR codes of verification links as PNG ([`qr_png`]) or SVG
//!   ([`qr_svg`]).

pub mod i18n;
pub mod pages;
pub mod qr;

pub use i18n::{Catalog, I18nError, Lang, negotiate};
pub use pages::{LOOKUP_PATH, Pages, PagesError, PublicDocumentView, STYLESHEET, STYLESHEET_PATH};
pub use qr::{QrError, qr_png, qr_svg};

pub use fluent_bundle::FluentArgs;
pub use minijinja::{Value, context};
