//! The rules of [`crate::Store::search_hs`] that both backends share: how a
//! query is read, how descriptions are folded for case-insensitive search,
//! and the bounds of the result size.

use ecert_core::hs::NomenclatureEntry;

use crate::HsEntry;

/// Largest number of entries one search returns.
pub const MAX_SEARCH_LIMIT: u32 = 100;

/// Bounds a requested result size to `1..=MAX_SEARCH_LIMIT`.
pub fn search_limit(requested: u32) -> u32 {
    requested.clamp(1, MAX_SEARCH_LIMIT)
}

/// Folds text for case-insensitive search with Unicode lower-casing, so
/// that "КАБЕЛЬ" finds "кабель". Backends store this form of each
/// description next to it, because SQLite's `lower()` folds ASCII only.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// A search query as the backends run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HsSearch {
    /// A blank query, which matches nothing.
    Nothing,
    /// The query's digits once dots and whitespace are removed: entries whose
    /// code starts with them.
    CodePrefix(String),
    /// The query's whitespace-separated words, folded, sorted and without
    /// repeats: entries whose folded description contains each of them.
    Words(Vec<String>),
}

impl HsSearch {
    pub fn parse(query: &str) -> HsSearch {
        if query.trim().is_empty() {
            return HsSearch::Nothing;
        }
        let digits: String = query.chars().filter(|c| *c != '.' && !c.is_whitespace()).collect();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return HsSearch::CodePrefix(digits);
        }
        let mut words: Vec<String> = query.split_whitespace().map(fold).collect();
        words.sort();
        words.dedup();
        HsSearch::Words(words)
    }
}

impl From<NomenclatureEntry> for HsEntry {
    fn from(entry: NomenclatureEntry) -> HsEntry {
        HsEntry { code: entry.code, description: entry.description, parent: entry.parent, section: entry.section }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_digits_are_code_prefix() {
        assert_eq!(HsSearch::parse("8544"), HsSearch::CodePrefix("8544".into()));
        assert_eq!(HsSearch::parse(" 6907.21 "), HsSearch::CodePrefix("690721".into()));
        assert_eq!(HsSearch::parse("85 44 42"), HsSearch::CodePrefix("854442".into()));
    }

    #[test]
    fn other_queries_are_folded_words() {
        assert_eq!(HsSearch::parse("Cable  КАБЕЛЬ cable"), HsSearch::Words(vec!["cable".into(), "кабель".into()]));
        assert_eq!(HsSearch::parse("8544 cable"), HsSearch::Words(vec!["8544".into(), "cable".into()]));
        assert_eq!(HsSearch::parse("50%"), HsSearch::Words(vec!["50%".into()]));
        assert_eq!(HsSearch::parse("..."), HsSearch::Words(vec!["...".into()]));
    }

    #[test]
    fn blank_query_matches_nothing() {
        assert_eq!(HsSearch::parse(""), HsSearch::Nothing);
        assert_eq!(HsSearch::parse(" \t "), HsSearch::Nothing);
    }

    #[test]
    fn limit_is_bounded() {
        assert_eq!(search_limit(0), 1);
        assert_eq!(search_limit(20), 20);
        assert_eq!(search_limit(10_000), MAX_SEARCH_LIMIT);
    }
}
