//! Scenarios of the HS catalog: replacing it and searching it.

use ecert_core::hs::HsEdition;

use super::*;

fn entry(code: &str, parent: Option<&str>, section: &str, description: &str) -> HsEntry {
    HsEntry { code: code.into(), description: description.into(), parent: parent.map(Into::into), section: section.into() }
}

/// Builds a small HS 2022 catalog. Chapter 85 has Russian descriptions in
/// mixed case, and some descriptions contain `%` and `_`, so that searches
/// can show case folding beyond ASCII and LIKE wildcards taken literally.
pub fn sample_hs_catalog() -> HsCatalog {
    let entries = vec![
        entry("01", None, "I", "Animals; live"),
        entry("0101", Some("01"), "I", "Horses, asses, mules and hinnies; live"),
        entry("010121", Some("0101"), "I", "Horses; live, pure-bred breeding animals"),
        entry("010129", Some("0101"), "I", "Horses; live, other than pure-bred breeding animals"),
        entry("69", None, "XIII", "Ceramic products"),
        entry("6907", Some("69"), "XIII", "Ceramic flags and paving, hearth or wall tiles"),
        entry("690721", Some("6907"), "XIII", "Tiles; water absorption not exceeding 0.5% by weight"),
        entry("690722", Some("6907"), "XIII", "Tiles; water absorption exceeding 0.5% but not exceeding 10% by weight"),
        entry("690723", Some("6907"), "XIII", "Tiles; water absorption exceeding 10 per cent by weight, grade 0.50"),
        entry("85", None, "XVI", "Электрические машины и оборудование"),
        entry("8544", Some("85"), "XVI", "ПРОВОДА изолированные (включая эмалированные), кабели"),
        entry("854442", Some("8544"), "XVI", "Проводники прочие, на напряжение не более 1000 В, тип_A"),
        entry("854449", Some("8544"), "XVI", "Проводники прочие, на напряжение не более 1000 В, типXA"),
    ];
    HsCatalog { edition: HsEdition::HS2022, entries }
}

async fn codes(store: &dyn Store, query: &str, limit: u32) -> Vec<String> {
    store.search_hs(query, limit).await.unwrap().into_iter().map(|e| e.code).collect()
}

pub async fn hs_search_by_code_prefix(store: Arc<dyn Store>) {
    store.replace_hs_catalog(&sample_hs_catalog(), Actor::SYSTEM).await.unwrap();
    let store = store.as_ref();

    assert_eq!(codes(store, "0101", 100).await, ["0101", "010121", "010129"]);
    assert_eq!(codes(store, "01.01", 100).await, ["0101", "010121", "010129"]);
    assert_eq!(codes(store, " 01 01 21 ", 100).await, ["010121"]);
    assert_eq!(codes(store, "6907.21", 100).await, ["690721"]);
    assert_eq!(codes(store, "85", 100).await, ["85", "8544", "854442", "854449"]);
    assert_eq!(codes(store, "0", 100).await, ["01", "0101", "010121", "010129"]);
    assert!(codes(store, "9", 100).await.is_empty());
    assert!(codes(store, "6907210000", 100).await.is_empty(), "a longer code is not a prefix of a subheading");
    assert!(codes(store, "", 100).await.is_empty());
    assert!(codes(store, "  ", 100).await.is_empty());

    assert_eq!(store.get_hs_entry("8544").await.unwrap(), Some(sample_hs_catalog().entries[10].clone()));
    assert!(store.get_hs_entry("8545").await.unwrap().is_none());
}

pub async fn hs_search_by_words(store: Arc<dyn Store>) {
    store.replace_hs_catalog(&sample_hs_catalog(), Actor::SYSTEM).await.unwrap();
    let store = store.as_ref();

    // Every word must occur, in any order and letter case.
    assert_eq!(codes(store, "horses live", 100).await, ["0101", "010121", "010129"]);
    assert_eq!(codes(store, "LIVE  Horses", 100).await, ["0101", "010121", "010129"]);
    assert_eq!(codes(store, "horses breeding other", 100).await, ["010129"]);
    assert_eq!(codes(store, "hors", 100).await, ["0101", "010121", "010129"]);
    assert!(codes(store, "horses ceramic", 100).await.is_empty());

    // Cyrillic in either case finds descriptions in either case.
    assert_eq!(codes(store, "провода", 100).await, ["8544"]);
    assert_eq!(codes(store, "Провода КАБЕЛИ", 100).await, ["8544"]);
    assert_eq!(codes(store, "ПРОВОДНИКИ 1000", 100).await, ["854442", "854449"]);
    assert_eq!(codes(store, "электрические", 100).await, ["85"]);

    // LIKE wildcards in the query match only themselves.
    assert_eq!(codes(store, "0.5%", 100).await, ["690721", "690722"]);
    assert_eq!(codes(store, "%", 100).await, ["690721", "690722"]);
    assert_eq!(codes(store, "тип_a", 100).await, ["854442"]);
    assert_eq!(codes(store, "_", 100).await, ["854442"]);
    assert!(codes(store, "\\", 100).await.is_empty());

    let entries = store.search_hs("ПРОВОДА", 100).await.unwrap();
    assert_eq!(entries, [sample_hs_catalog().entries[10].clone()], "the description must come back as imported");
}

pub async fn hs_search_limit_is_bounded(store: Arc<dyn Store>) {
    // A chapter, two headings and 120 subheadings: more than one search returns.
    let mut entries = vec![entry("01", None, "I", "Animals; live")];
    for heading in ["0101", "0102"] {
        entries.push(entry(heading, Some("01"), "I", "Animals of one kind; live"));
        for sub in 0..60 {
            entries.push(entry(&format!("{heading}{sub:02}"), Some(heading), "I", "Animals of one breed; live"));
        }
    }
    let mut expected: Vec<String> = entries.iter().map(|e| e.code.clone()).collect();
    expected.sort();
    store.replace_hs_catalog(&HsCatalog { edition: HsEdition::HS2022, entries }, Actor::SYSTEM).await.unwrap();
    let store = store.as_ref();

    assert_eq!(codes(store, "01", 2).await, ["01", "0101"]);
    assert_eq!(codes(store, "01", 0).await, ["01"], "a limit of 0 returns one entry");
    assert_eq!(codes(store, "01", 1000).await, expected[..100], "the limit is at most 100");
    assert_eq!(codes(store, "live", 1000).await, expected[..100]);
}

pub async fn hs_catalog_replaces_whole(store: Arc<dyn Store>) {
    assert!(store.hs_catalog_info().await.unwrap().is_none());
    assert!(codes(store.as_ref(), "01", 100).await.is_empty());

    let first = sample_hs_catalog();
    store.replace_hs_catalog(&first, Actor::SYSTEM).await.unwrap();
    let info = store.hs_catalog_info().await.unwrap().unwrap();
    assert_eq!((info.edition, info.entries), (HsEdition::HS2022, 13));

    // The second import replaces the first; it does not merge with it.
    let operator = organisation(None, "HUB-OPERATOR");
    store.insert_organisation(&operator, Actor::SYSTEM).await.unwrap();
    let second = HsCatalog {
        edition: HsEdition::HS2017,
        entries: vec![
            entry("02", None, "I", "Meat and edible meat offal"),
            entry("0201", Some("02"), "I", "Meat of bovine animals; fresh or chilled"),
        ],
    };
    store.replace_hs_catalog(&second, Actor::org(operator.id)).await.unwrap();
    let replaced = store.hs_catalog_info().await.unwrap().unwrap();
    assert_eq!((replaced.edition, replaced.entries), (HsEdition::HS2017, 2));
    assert!(replaced.imported_at >= info.imported_at);
    assert!(codes(store.as_ref(), "01", 100).await.is_empty(), "entries of the first catalog remain");
    assert!(codes(store.as_ref(), "провода", 100).await.is_empty(), "entries of the first catalog remain");
    assert!(store.get_hs_entry("0101").await.unwrap().is_none());
    assert_eq!(codes(store.as_ref(), "02", 100).await, ["02", "0201"]);

    // A catalog the database rejects leaves the current one in place.
    let orphan = HsCatalog { edition: HsEdition::HS2022, entries: vec![entry("0301", Some("03"), "I", "Fish; live")] };
    assert!(matches!(store.replace_hs_catalog(&orphan, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let repeated = HsCatalog { edition: HsEdition::HS2022, entries: vec![entry("03", None, "I", "Fish"), entry("03", None, "I", "Fish")] };
    assert!(matches!(store.replace_hs_catalog(&repeated, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.hs_catalog_info().await.unwrap(), Some(replaced));
    assert_eq!(codes(store.as_ref(), "0", 100).await, ["02", "0201"]);

    let events: Vec<Event> = store
        .list_events(None, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::HsCatalogImported)
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!((events[0].subject.as_str(), events[0].data.clone()), ("HS2022", serde_json::json!({"entries": 13})));
    assert_eq!((events[1].subject.as_str(), events[1].data.clone()), ("HS2017", serde_json::json!({"entries": 2})));
    assert_eq!(events[0].country, None);
    assert_eq!(events[0].actor_org_id, None);
    assert_eq!(events[1].actor_org_id, Some(operator.id));
}
