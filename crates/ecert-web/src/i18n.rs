//! Translations: the page language, its negotiation from a request, and a
//! Project Fluent catalog of English and Russian messages.
//!
//! The FTL files are compiled into the binary, so a deployment cannot lose
//! them. Bidi isolation marks (U+2068, U+2069) are turned off because both
//! languages are left-to-right and the marks would end up inside HTML
//! attributes and copied hub IDs.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// English messages of the public pages, `locales/en/main.ftl`.
pub const EN_FTL: &str = include_str!("../locales/en/main.ftl");
/// Russian messages of the public pages, `locales/ru/main.ftl`.
pub const RU_FTL: &str = include_str!("../locales/ru/main.ftl");
/// English messages of the portal, `locales/en/portal.ftl`.
pub const EN_PORTAL_FTL: &str = include_str!("../locales/en/portal.ftl");
/// Russian messages of the portal, `locales/ru/portal.ftl`.
pub const RU_PORTAL_FTL: &str = include_str!("../locales/ru/portal.ftl");

/// Lists the FTL files of a language, by file name, in the order they load.
pub fn ftl_files(lang: Lang) -> [(&'static str, &'static str); 2] {
    match lang {
        Lang::En => [("main.ftl", EN_FTL), ("portal.ftl", EN_PORTAL_FTL)],
        Lang::Ru => [("main.ftl", RU_FTL), ("portal.ftl", RU_PORTAL_FTL)],
    }
}

/// Maximum number of Accept-Language entries read. Browsers send fewer than
/// ten, so the cap only bounds the work a crafted header can cause.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 32;

/// A language the pages are rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    /// Every supported language, in the order the language switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// Returns the BCP 47 primary language subtag, used in `<html lang>` and `?lang=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// Returns the language's name in that language, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    /// Parses a BCP 47 tag such as `ru`, `RU` or `ru-RU` by its primary
    /// subtag. Returns `None` for any other language.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split('-').next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("ru") {
            Some(Lang::Ru)
        } else {
            None
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::En => unic_langid::langid!("en"),
            Lang::Ru => unic_langid::langid!("ru"),
        }
    }
}

/// Picks the page language: a supported `?lang=` value wins, then the
/// supported language with the highest Accept-Language q-value (the first
/// listed on a tie), and English otherwise.
pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::from_tag) {
        return lang;
    }
    accept_language.and_then(best_accepted).unwrap_or_default()
}

/// Returns the supported language with the highest q-value in an
/// Accept-Language header (RFC 9110, section 12.5.4). Entries with `q=0`,
/// an unparsable q-value, or the `*` wildcard are skipped.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for entry in header.split(',').take(MAX_ACCEPT_LANGUAGE_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        let Some(quality) = quality_of(parts) else {
            continue;
        };
        if quality <= 0.0 {
            continue;
        }
        if best.is_none_or(|(_, best_quality)| quality > best_quality) {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

/// Reads the `q` parameter of one Accept-Language entry. A missing `q`
/// means 1. A value outside 0..=1 or not a number makes the entry invalid,
/// so the function returns `None`.
fn quality_of<'a>(params: impl Iterator<Item = &'a str>) -> Option<f32> {
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            let quality: f32 = value.trim().parse().ok()?;
            return (0.0..=1.0).contains(&quality).then_some(quality);
        }
    }
    Some(1.0)
}

/// An FTL file that failed to load.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("locales/{lang}/{file} has syntax errors: {errors}")]
    Syntax { lang: &'static str, file: &'static str, errors: String },
    #[error("locales/{lang}/{file} could not be added to the bundle: {errors}")]
    Bundle { lang: &'static str, file: &'static str, errors: String },
}

/// The English and Russian messages, parsed once. It is `Send + Sync`, so
/// one instance in an `Arc` serves every request.
pub struct Catalog {
    en: FluentBundle<FluentResource>,
    ru: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Parses the embedded FTL files. Fails on any syntax error or
    /// duplicate message id.
    pub fn new() -> Result<Catalog, I18nError> {
        Ok(Catalog { en: load_bundle(Lang::En)?, ru: load_bundle(Lang::Ru)? })
    }

    /// Formats message `id` in `lang`. A missing id returns the id itself,
    /// so a gap shows on the page instead of failing the request. The crate
    /// tests check that no template or page code uses a missing id.
    pub fn t(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        match self.try_t(lang, id, args) {
            Some(text) => text,
            None => {
                tracing::warn!(lang = lang.as_str(), id, "translation message is missing");
                id.to_owned()
            }
        }
    }

    /// Formats message `id` in `lang`, or returns `None` when the catalog
    /// has no such message. Use it where a fallback text exists.
    pub fn try_t(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let bundle = self.bundle(lang);
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
        if !errors.is_empty() {
            tracing::warn!(lang = lang.as_str(), id, ?errors, "translation message formatted with errors");
        }
        Some(text)
    }

    /// Reports whether `lang` has a message `id` with a value.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).get_message(id).is_some_and(|message| message.value().is_some())
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

fn load_bundle(lang: Lang) -> Result<FluentBundle<FluentResource>, I18nError> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
    bundle.set_use_isolating(false);
    for (file, source) in ftl_files(lang) {
        let resource = FluentResource::try_new(source.to_owned())
            .map_err(|(_, errors)| I18nError::Syntax { lang: lang.as_str(), file, errors: format!("{errors:?}") })?;
        bundle
            .add_resource(resource)
            .map_err(|errors| I18nError::Bundle { lang: lang.as_str(), file, errors: format!("{errors:?}") })?;
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests;
