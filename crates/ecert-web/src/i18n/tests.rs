use std::collections::BTreeSet;

use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast::Entry;

use super::*;

/// Message and term ids of one FTL source, terms with their leading `-`.
fn entry_ids(source: &str) -> BTreeSet<String> {
    let resource = FluentResource::try_new(source.to_owned()).expect("FTL parses");
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message.id.name.to_owned()),
            Entry::Term(term) => Some(format!("-{}", term.id.name)),
            _ => None,
        })
        .collect()
}

fn count_args(count: i64) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    args.set("count", count);
    args
}

#[test]
fn ftl_files_parse_without_errors() {
    for lang in Lang::ALL {
        for (file, source) in ftl_files(lang) {
            if let Err((_, errors)) = FluentResource::try_new(source.to_owned()) {
                panic!("locales/{}/{file} has syntax errors: {errors:?}", lang.as_str());
            }
        }
    }
}

#[test]
fn catalog_loads_both_languages() {
    Catalog::new().expect("embedded FTL files load");
}

#[test]
fn en_and_ru_define_same_ids() {
    for ((file, en_source), (_, ru_source)) in ftl_files(Lang::En).into_iter().zip(ftl_files(Lang::Ru)) {
        let en = entry_ids(en_source);
        let ru = entry_ids(ru_source);
        let only_en: Vec<&String> = en.difference(&ru).collect();
        let only_ru: Vec<&String> = ru.difference(&en).collect();
        assert!(only_en.is_empty(), "ids missing from locales/ru/{file}: {only_en:?}");
        assert!(only_ru.is_empty(), "ids missing from locales/en/{file}: {only_ru:?}");
    }
}

#[test]
fn no_id_is_defined_in_two_files() {
    let [(_, main), (_, portal)] = ftl_files(Lang::En);
    let main = entry_ids(main);
    let twice: Vec<String> = entry_ids(portal).into_iter().filter(|id| main.contains(id)).collect();
    assert!(twice.is_empty(), "ids defined in both main.ftl and portal.ftl: {twice:?}");
}

#[test]
fn every_message_formats_without_errors() {
    let catalog = Catalog::new().unwrap();
    let mut args = FluentArgs::new();
    args.set("count", 3);
    args.set("as_of", "2026-05-01");
    args.set("checked_at", "2026-05-01 10:00 UTC");
    for name in PORTAL_ARGUMENTS {
        args.set(name, "x");
    }
    for lang in Lang::ALL {
        let ids: BTreeSet<String> = ftl_files(lang).iter().flat_map(|(_, source)| entry_ids(source)).collect();
        for id in ids.iter().filter(|id| !id.starts_with('-')) {
            let bundle = catalog.bundle(lang);
            let pattern = bundle.get_message(id).and_then(|m| m.value()).expect("message has a value");
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
            assert!(errors.is_empty(), "{} {id}: {errors:?}", lang.as_str());
            assert!(!text.trim().is_empty(), "{} {id} is empty", lang.as_str());
        }
    }
}

/// The string arguments portal messages take.
const PORTAL_ARGUMENTS: [&str; 9] = ["seconds", "name", "hub_id", "field", "user", "org", "country", "detail", "date"];

#[test]
fn output_has_no_bidi_isolation_marks() {
    let catalog = Catalog::new().unwrap();
    let mut args = FluentArgs::new();
    args.set("as_of", "2026-05-01");
    let text = catalog.t(Lang::Ru, "checks-as-of", Some(&args));
    assert_eq!(text, "Статус и срок действия определены на 2026-05-01.");
    assert!(!text.contains('\u{2068}'), "first strong isolate mark in output");
    assert!(!text.contains('\u{2069}'), "pop directional isolate mark in output");
}

#[test]
fn russian_plural_forms() {
    let catalog = Catalog::new().unwrap();
    let cases = [
        (1, "1 проверка пройдена"),
        (2, "2 проверки пройдены"),
        (4, "4 проверки пройдены"),
        (5, "5 проверок пройдено"),
        (11, "11 проверок пройдено"),
        (21, "21 проверка пройдена"),
        (22, "22 проверки пройдены"),
        (0, "0 проверок пройдено"),
    ];
    for (count, expected) in cases {
        assert_eq!(catalog.t(Lang::Ru, "checks-count-passed", Some(&count_args(count))), expected);
    }
}

#[test]
fn english_plural_forms() {
    let catalog = Catalog::new().unwrap();
    assert_eq!(catalog.t(Lang::En, "checks-count-failed", Some(&count_args(1))), "1 check failed");
    assert_eq!(catalog.t(Lang::En, "checks-count-failed", Some(&count_args(2))), "2 checks failed");
}

#[test]
fn missing_id_returns_id() {
    let catalog = Catalog::new().unwrap();
    assert_eq!(catalog.t(Lang::En, "no-such-message", None), "no-such-message");
    assert_eq!(catalog.try_t(Lang::Ru, "no-such-message", None), None);
    assert!(!catalog.has(Lang::Ru, "no-such-message"));
    assert!(catalog.has(Lang::Ru, "verdict-valid"));
}

#[test]
fn term_is_not_a_message() {
    let catalog = Catalog::new().unwrap();
    assert!(!catalog.has(Lang::En, "-hub"));
    assert_eq!(catalog.t(Lang::En, "site-name", None), "e-CERT Hub");
}

#[test]
fn catalog_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Catalog>();
}

#[test]
fn lang_from_tag() {
    assert_eq!(Lang::from_tag("ru"), Some(Lang::Ru));
    assert_eq!(Lang::from_tag("RU"), Some(Lang::Ru));
    assert_eq!(Lang::from_tag("ru-RU"), Some(Lang::Ru));
    assert_eq!(Lang::from_tag("en-GB"), Some(Lang::En));
    assert_eq!(Lang::from_tag(" en "), Some(Lang::En));
    assert_eq!(Lang::from_tag("uz"), None);
    assert_eq!(Lang::from_tag("rus"), None);
    assert_eq!(Lang::from_tag(""), None);
    for lang in Lang::ALL {
        assert_eq!(Lang::from_tag(lang.as_str()), Some(lang));
    }
}

#[test]
fn negotiate_cases() {
    let cases: [(Option<&str>, Option<&str>, Lang); 17] = [
        (None, None, Lang::En),
        (Some("ru"), None, Lang::Ru),
        (Some("en"), Some("ru-RU,ru;q=0.9"), Lang::En),
        (Some("ru"), Some("en"), Lang::Ru),
        (Some("de"), Some("ru"), Lang::Ru),
        (Some(""), Some("ru"), Lang::Ru),
        (None, Some("ru"), Lang::Ru),
        (None, Some("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ru),
        (None, Some("en-US,en;q=0.9,ru;q=0.8"), Lang::En),
        (None, Some("uz;q=1.0, ru;q=0.5, en;q=0.3"), Lang::Ru),
        (None, Some("en;q=0.2, ru;q=0.7"), Lang::Ru),
        (None, Some("ru;q=0, en"), Lang::En),
        (None, Some("ru;q=0"), Lang::En),
        (None, Some("de, fr;q=0.9"), Lang::En),
        (None, Some("*"), Lang::En),
        (None, Some("ru;q=abc, en;q=0.1"), Lang::En),
        (None, Some("ru;q=1.5"), Lang::En),
    ];
    for (query, header, expected) in cases {
        assert_eq!(negotiate(query, header), expected, "query {query:?}, Accept-Language {header:?}");
    }
}

#[test]
fn negotiate_tie_keeps_first() {
    assert_eq!(negotiate(None, Some("ru;q=0.8, en;q=0.8")), Lang::Ru);
    assert_eq!(negotiate(None, Some("en, ru")), Lang::En);
}

#[test]
fn negotiate_ignores_entries_past_cap() {
    let mut header = vec!["de"; MAX_ACCEPT_LANGUAGE_ENTRIES];
    header.push("ru");
    assert_eq!(negotiate(None, Some(&header.join(","))), Lang::En);
}
