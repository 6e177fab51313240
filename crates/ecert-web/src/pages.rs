//! HTML pages: the verification result, "document not found" and the
//! hub ID lookup form, rendered from minijinja templates embedded from
//! `templates/`.
//!
//! Templates call `t("message-id", name=value, …)`, which formats a Fluent
//! message in the page language. Only literal ids go to `t`: text chosen at
//! run time (verdicts, check names, statuses) is translated here, so the
//! tests can list every id a page may need. Autoescape is HTML for every
//! template. Pages carry no script and no inline style: their only
//! stylesheet is [`STYLESHEET`], which the server must serve at
//! [`STYLESHEET_PATH`].

use std::sync::Arc;

use ecert_core::document::LangText;
use ecert_core::{Check, DocType, Outcome, Verdict, VerificationResult};
use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{AutoEscape, Environment, HtmlEscape, Output, State, UndefinedBehavior, context, escape_formatter};
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::i18n::{Catalog, Lang};

/// The stylesheet every page links. Serve it at [`STYLESHEET_PATH`] as
/// `text/css; charset=utf-8`.
pub const STYLESHEET: &str = include_str!("../static/hub.css");
/// The URL path the pages link [`STYLESHEET`] from.
pub const STYLESHEET_PATH: &str = "/static/hub.css";
/// The URL path of the lookup form. The form submits `GET {LOOKUP_PATH}?id=…&lang=…`,
/// and a verification page lives at `{LOOKUP_PATH}/{hub ID}`.
pub const LOOKUP_PATH: &str = "/v";
/// Maximum number of characters of user input echoed on the not-found page.
const MAX_ECHO_CHARS: usize = 100;
/// The `maxlength` of the hub ID input in `templates/lookup_fields.html`.
const MAX_INPUT_CHARS: usize = 64;

/// The public part of a registered document: what anyone may see without
/// login. It has no applicant and no natural person's name or contact.
#[derive(Debug, Clone, Serialize)]
pub struct PublicDocumentView {
    pub hub_id: String,
    pub doc_type: DocType,
    pub national_number: String,
    pub issuer_name: String,
    /// ISO 3166-1 alpha-2 code of the issuer's country.
    pub issuer_country: String,
    /// Product name by language tag, such as `en`, `ru` or `und`.
    pub product_name: LangText,
    pub model: Option<String>,
    pub hs_codes: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// One of `valid`, `suspended`, `withdrawn`, `superseded`, `expired`.
    pub status: String,
    /// Hub ID of the corrected re-issue that replaced this document.
    pub superseded_by: Option<String>,
}

/// A template that failed to compile.
#[derive(Debug, thiserror::Error)]
#[error("template {name} failed to compile: {source}")]
pub struct PagesError {
    name: &'static str,
    #[source]
    source: minijinja::Error,
}

/// Templates embedded at build time, by name.
const TEMPLATES: [(&str, &str); 23] = [
    ("base.html", include_str!("../templates/base.html")),
    ("lookup_fields.html", include_str!("../templates/lookup_fields.html")),
    ("lookup.html", include_str!("../templates/lookup.html")),
    ("not_found.html", include_str!("../templates/not_found.html")),
    ("verification.html", include_str!("../templates/verification.html")),
    ("verification_body.html", include_str!("../templates/verification_body.html")),
    ("portal_base.html", include_str!("../templates/portal_base.html")),
    ("portal_macros.html", include_str!("../templates/portal_macros.html")),
    ("portal_login.html", include_str!("../templates/portal_login.html")),
    ("portal_home.html", include_str!("../templates/portal_home.html")),
    ("portal_message.html", include_str!("../templates/portal_message.html")),
    ("portal_account.html", include_str!("../templates/portal_account.html")),
    ("portal_documents.html", include_str!("../templates/portal_documents.html")),
    ("portal_document_new.html", include_str!("../templates/portal_document_new.html")),
    ("portal_document.html", include_str!("../templates/portal_document.html")),
    ("portal_hs.html", include_str!("../templates/portal_hs.html")),
    ("portal_verify.html", include_str!("../templates/portal_verify.html")),
    ("portal_organisations.html", include_str!("../templates/portal_organisations.html")),
    ("portal_organisation.html", include_str!("../templates/portal_organisation.html")),
    ("portal_events.html", include_str!("../templates/portal_events.html")),
    ("portal_countries.html", include_str!("../templates/portal_countries.html")),
    ("portal_token.html", include_str!("../templates/portal_token.html")),
    ("portal_label.html", include_str!("../templates/portal_label.html")),
];

/// The page renderer. Build it once and share it, because it is `Send + Sync`.
pub struct Pages {
    env: Environment<'static>,
    catalog: Arc<Catalog>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl Pages {
    /// Compiles the embedded templates and binds `t` to `catalog`.
    pub fn new(catalog: Arc<Catalog>) -> Result<Pages, PagesError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(html_formatter);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|source| PagesError { name, source })?;
        }
        let template_catalog = Arc::clone(&catalog);
        env.add_function("t", move |state: &State, id: &str, kwargs: Kwargs| {
            translate_in_template(&template_catalog, state, id, kwargs)
        });
        Ok(Pages { env, catalog })
    }

    /// Renders a portal page. `ctx` contains the page's own values and the
    /// layout the server adds (user, navigation, CSRF token, language
    /// forms). The stylesheet and lookup paths are added here.
    pub fn portal(&self, lang: Lang, template: &str, ctx: Value) -> String {
        let ctx = context! {
            ..ctx,
            ..context! { lang => lang.as_str(), stylesheet_path => STYLESHEET_PATH, lookup_path => LOOKUP_PATH }
        };
        self.render(lang, template, ctx)
    }

    /// Renders the verification result: the verdict, the trust basis, the
    /// document summary when `document` is given, and every check in order.
    /// The language links point to `page_url_path`, the request path with
    /// its query if any, with `lang` set.
    pub fn verification(
        &self,
        lang: Lang,
        result: &VerificationResult,
        document: Option<&PublicDocumentView>,
        page_url_path: &str,
    ) -> String {
        let ctx = context! {
            ..self.verification_context(lang, result, document),
            ..self.layout_context(lang, |target| language_link(page_url_path, target))
        };
        self.render(lang, "verification.html", ctx)
    }

    /// Builds the values `verification_body.html` shows: verdict, trust
    /// basis, document summary and checks. The portal's verification page
    /// includes the same template.
    pub fn verification_context(
        &self,
        lang: Lang,
        result: &VerificationResult,
        document: Option<&PublicDocumentView>,
    ) -> Value {
        let verdict = verdict_code(result.verdict);
        let trust = result.trust_basis.map(|basis| {
            context! {
                label => self.text(lang, &format!("trust-{}", basis.as_str())),
                explanation => self.text(lang, &format!("trust-{}-explanation", basis.as_str())),
            }
        });
        let checks: Vec<Value> = result.checks.iter().map(|check| self.check_context(lang, check)).collect();
        let count = |outcome: Outcome| result.checks.iter().filter(|c| c.outcome == outcome).count();

        context! {
            hub_id => result.hub_id.as_ref().map(|id| id.to_string()),
            verdict => context! {
                code => verdict,
                mark => verdict_mark(result.verdict),
                label => self.text(lang, &format!("verdict-{verdict}")),
                explanation => self.text(lang, &format!("verdict-{verdict}-explanation")),
            },
            trust => trust,
            document => document.map(|view| self.document_context(lang, view)),
            as_of => timestamp_text(lang, result.as_of),
            checked_at => timestamp_text(lang, result.checked_at),
            counts => context! {
                passed => count(Outcome::Passed),
                failed => count(Outcome::Failed),
                not_applicable => count(Outcome::NotApplicable),
                not_checked => count(Outcome::NotChecked),
            },
            checks => checks,
        }
    }

    /// Renders the page for a hub ID that is invalid or not registered.
    /// `hub_id_text` is the user's input, which the page shows (at most 100
    /// characters) and prefills in the form. `message` describes the problem.
    /// The language links are the query-only references `?lang=…`, so they
    /// keep the request path but drop any other query parameter.
    pub fn not_found(&self, lang: Lang, hub_id_text: &str, message: &str) -> String {
        let entered = truncate_chars(hub_id_text.trim(), MAX_ECHO_CHARS);
        // The form input takes at most MAX_INPUT_CHARS, so longer text is not prefilled.
        let form_value = if entered.chars().count() <= MAX_INPUT_CHARS { entered.clone() } else { String::new() };
        let ctx = context! {
            message => message,
            entered => entered,
            form_value => form_value,
            form_error => None::<String>,
            ..self.layout_context(lang, |target| format!("?lang={}", target.as_str()))
        };
        self.render(lang, "not_found.html", ctx)
    }

    /// Renders the lookup form, a GET form to [`LOOKUP_PATH`] with the
    /// input `id`. `error` is shown next to the input when given.
    pub fn lookup_form(&self, lang: Lang, error: Option<&str>) -> String {
        let ctx = context! {
            form_value => "",
            form_error => error,
            ..self.layout_context(lang, |target| format!("{LOOKUP_PATH}?lang={}", target.as_str()))
        };
        self.render(lang, "lookup.html", ctx)
    }

    /// Translates the reason of one check with the message
    /// `check-{check}-{code}`, else `check-any-{code}`. Returns `None` when
    /// the catalog has neither, and the page then shows the English reason.
    pub fn check_reason(&self, lang: Lang, check: &Check) -> Option<String> {
        let name = check.check.as_str();
        self.catalog
            .try_t(lang, &format!("check-{name}-{}", check.code), None)
            .or_else(|| self.catalog.try_t(lang, &format!("check-any-{}", check.code), None))
    }

    /// Formats message `id` without arguments.
    pub fn text(&self, lang: Lang, id: &str) -> String {
        self.catalog.t(lang, id, None)
    }

    /// Formats message `id` with `args`.
    pub fn text_with(&self, lang: Lang, id: &str, args: &FluentArgs<'_>) -> String {
        self.catalog.t(lang, id, Some(args))
    }

    /// Formats message `id`, or `None` when the catalog lacks it.
    pub fn try_text_with(&self, lang: Lang, id: &str, args: &FluentArgs<'_>) -> Option<String> {
        self.catalog.try_t(lang, id, Some(args))
    }

    /// Reports whether both languages define message `id`.
    pub fn has_text(&self, id: &str) -> bool {
        Lang::ALL.iter().all(|&lang| self.catalog.has(lang, id))
    }

    /// Formats a time in UTC to the minute, in the language's date order.
    pub fn timestamp(&self, lang: Lang, at: OffsetDateTime) -> String {
        timestamp_text(lang, at)
    }

    /// Formats the date of a time in UTC, in the language's date order.
    pub fn date(&self, lang: Lang, at: OffsetDateTime) -> String {
        date_text(lang, at.to_offset(UtcOffset::UTC).date())
    }

    fn layout_context(&self, lang: Lang, href: impl Fn(Lang) -> String) -> Value {
        let lang_links: Vec<Value> = Lang::ALL
            .iter()
            .map(|&target| {
                context! {
                    code => target.as_str(),
                    name => target.native_name(),
                    href => href(target),
                    current => target == lang,
                }
            })
            .collect();
        context! {
            lang => lang.as_str(),
            lang_links => lang_links,
            stylesheet_path => STYLESHEET_PATH,
            lookup_path => LOOKUP_PATH,
        }
    }

    fn check_context(&self, lang: Lang, check: &Check) -> Value {
        let outcome = outcome_code(check.outcome);
        let translated = self.check_reason(lang, check);
        // The hub's English reason can name the field, key or date behind
        // the code, so it is shown too unless it repeats the translation.
        let detail = match self.check_reason(Lang::En, check) {
            Some(english) if !same_sentence(&english, &check.reason) && !check.reason.trim().is_empty() => {
                Some(check.reason.clone())
            }
            _ => None,
        };
        context! {
            outcome => outcome,
            mark => outcome_mark(check.outcome),
            label => self.text(lang, &format!("check-label-{}", check.check.as_str())),
            outcome_label => self.text(lang, &format!("outcome-{outcome}")),
            reason => translated.unwrap_or_else(|| check.reason.clone()),
            detail => detail,
        }
    }

    fn document_context(&self, lang: Lang, view: &PublicDocumentView) -> Value {
        let (product_lang, product_name) = pick_text(&view.product_name, lang);
        let status_code = known_status(&view.status);
        let status = match status_code {
            Some(code) => self.text(lang, &format!("status-{code}")),
            None => view.status.clone(),
        };
        let country = self
            .catalog
            .try_t(lang, &format!("country-{}", view.issuer_country), None)
            .unwrap_or_else(|| view.issuer_country.clone());
        let superseded_by = view.superseded_by.as_ref().map(|id| {
            context! {
                text => id,
                href => format!("{LOOKUP_PATH}/{}?lang={}", percent_encode(id, is_segment_byte), lang.as_str()),
            }
        });

        context! {
            doc_type => self.text(lang, &format!("doctype-{}", view.doc_type.code())),
            doc_type_code => view.doc_type.code(),
            national_number => &view.national_number,
            issuer_name => &view.issuer_name,
            issuer_country => country,
            product_name => product_name,
            product_lang => product_lang,
            model => view.model.clone(),
            hs_codes => view.hs_codes.join(", "),
            issued_at => date_context(lang, view.issued_at),
            valid_until => view.valid_until.map(|at| date_context(lang, at)),
            status_code => status_code.unwrap_or("unknown"),
            status => status,
            superseded_by => superseded_by,
        }
    }

    fn render(&self, lang: Lang, name: &str, ctx: Value) -> String {
        let rendered = self.env.get_template(name).and_then(|template| template.render(ctx));
        match rendered {
            Ok(html) => html,
            Err(error) => {
                tracing::error!(template = name, lang = lang.as_str(), error = %error, "page template failed to render");
                self.fallback_page(lang)
            }
        }
    }

    /// Builds a minimal page without templates, for when rendering fails.
    fn fallback_page(&self, lang: Lang) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><p>{}</p></body></html>\n",
            lang.as_str(),
            HtmlEscape(&self.text(lang, "site-name")),
            HtmlEscape(&self.text(lang, "page-render-failed")),
        )
    }
}

/// Formats message `id` for the `t` template function in the language the
/// page context names in `lang`. Numbers stay numbers, so plural selectors
/// work. Every other argument is passed as its string form.
fn translate_in_template(
    catalog: &Catalog,
    state: &State,
    id: &str,
    kwargs: Kwargs,
) -> Result<String, minijinja::Error> {
    let lang = state.lookup("lang").and_then(|value| value.as_str().and_then(Lang::from_tag)).ok_or_else(|| {
        minijinja::Error::new(minijinja::ErrorKind::UndefinedError, "the page context has no supported lang")
    })?;
    let mut args = FluentArgs::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.set(name.to_owned(), fluent_value(&value));
    }
    Ok(catalog.t(lang, id, Some(&args)))
}

/// Writes template output with HTML escaping of `&`, `<`, `>`, `"` and
/// `'`, which is all that text and quoted attributes need. minijinja's own
/// HTML mode also writes `/` as `&#x2f;`, which makes every link in the
/// page source unreadable. Safe strings and non-strings keep minijinja's
/// handling.
fn html_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    let escape = matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe();
    match value.as_str() {
        Some(text) if escape => {
            write_html_escaped(out, text)?;
            Ok(())
        }
        _ => escape_formatter(out, state, value),
    }
}

fn write_html_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(index) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..index])?;
        let entity = match rest.as_bytes()[index] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        out.write_str(entity)?;
        rest = &rest[index + 1..];
    }
    out.write_str(rest)
}

fn fluent_value(value: &Value) -> FluentValue<'static> {
    if value.kind() == ValueKind::Number {
        if let Some(integer) = value.as_i64() {
            return FluentValue::from(integer);
        }
        if let Ok(float) = f64::try_from(value.clone()) {
            return FluentValue::from(float);
        }
    }
    FluentValue::from(value.to_string())
}

fn verdict_code(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
        Verdict::Indeterminate => "indeterminate",
    }
}

/// Returns the mark shown beside the verdict text, so the verdict never rests on colour alone.
fn verdict_mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "✓",
        Verdict::Invalid => "✗",
        Verdict::Indeterminate => "?",
    }
}

fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::NotApplicable => "not_applicable",
        Outcome::NotChecked => "not_checked",
    }
}

fn outcome_mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "✓",
        Outcome::Failed => "✗",
        Outcome::NotApplicable => "–",
        Outcome::NotChecked => "?",
    }
}

/// Document statuses the catalog translates as `status-{status}`.
const KNOWN_STATUSES: [&str; 5] = ["valid", "suspended", "withdrawn", "superseded", "expired"];

fn known_status(status: &str) -> Option<&'static str> {
    KNOWN_STATUSES.iter().copied().find(|known| *known == status)
}

/// Picks the text for the page language, then English, Russian and any
/// other. Returns the picked language tag too when it differs from the
/// page language and is a real tag (not `und`), for a `lang` attribute.
fn pick_text(text: &LangText, lang: Lang) -> (Option<String>, String) {
    let picked =
        [lang.as_str(), "en", "ru"].iter().find_map(|tag| text.get_key_value(*tag)).or_else(|| text.iter().next());
    match picked {
        Some((tag, value)) => {
            let marked = (tag != lang.as_str() && tag != "und").then(|| tag.clone());
            (marked, value.clone())
        }
        None => (None, String::new()),
    }
}

/// Compares two sentences ignoring case, surrounding space and a final full stop.
fn same_sentence(a: &str, b: &str) -> bool {
    let normalize = |text: &str| text.trim().trim_end_matches('.').to_lowercase();
    normalize(a) == normalize(b)
}

fn date_context(lang: Lang, at: OffsetDateTime) -> Value {
    let date = at.to_offset(UtcOffset::UTC).date();
    context! { iso => date.to_string(), text => date_text(lang, date) }
}

/// Formats a time in UTC to the minute, in the page language's date order.
fn timestamp_text(lang: Lang, at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", date_text(lang, utc.date()), utc.hour(), utc.minute())
}

/// Formats a date as `2026-05-01` in English and `01.05.2026` in Russian.
fn date_text(lang: Lang, date: Date) -> String {
    match lang {
        Lang::En => date.to_string(),
        Lang::Ru => format!("{:02}.{:02}.{}", date.day(), u8::from(date.month()), date.year()),
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Builds the link to the same page in `lang` from the request path and
/// query, such as `/v?id=UZ-CC` to `/v?id=UZ-CC&lang=ru`. Every query
/// parameter except `lang` is kept, and the fragment is dropped.
fn language_link(page_url: &str, lang: Lang) -> String {
    let page_url = page_url.split('#').next().unwrap_or("");
    let (path, query) = page_url.split_once('?').unwrap_or((page_url, ""));
    let mut link = local_path(path);

    let mut separator = '?';
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        let name = parameter.split('=').next().unwrap_or("");
        if name == "lang" {
            continue;
        }
        link.push(separator);
        link.push_str(&percent_encode(parameter, is_query_byte));
        separator = '&';
    }
    link.push(separator);
    link.push_str("lang=");
    link.push_str(lang.as_str());
    link
}

/// Reduces a request path to a same-origin absolute path for links. It turns
/// anything that does not start with a single `/` (such as `//host` or
/// `/\host`) into `/`. Bytes outside RFC 3986 path characters are
/// percent-encoded.
fn local_path(path: &str) -> String {
    if !path.starts_with('/') || path.starts_with("//") || path.starts_with("/\\") {
        return "/".to_owned();
    }
    percent_encode(path, is_path_byte)
}

/// RFC 3986 query bytes within one `name=value` parameter, so `&` and `#`
/// are encoded.
fn is_query_byte(byte: u8) -> bool {
    (is_path_byte(byte) && byte != b'&') || byte == b'?'
}

/// RFC 3986 `pchar` bytes and `/`. `%` is kept, so an already encoded path
/// is not encoded twice.
fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte)
}

/// RFC 3986 unreserved bytes, safe in one path segment.
fn is_segment_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

fn percent_encode(text: &str, keep: fn(u8) -> bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if keep(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests;
