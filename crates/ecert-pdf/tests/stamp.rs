//! `stamp_pdf` on PDFs built with lopdf: the update keeps the original bytes,
//! re-parses, and changes the first page only; hostile files give errors.

mod common;

use common::{PdfSpec, ResourcesAt, build_pdf, content_ids, first_page};
use ecert_pdf::{MAX_PDF_BYTES, Stamp, StampError, stamp_pdf};
use lopdf::{Dictionary, Document, Object, ObjectId};

const STAMP: Stamp<'static> = Stamp {
    hub_id: "UZ-CC-7Q3K-9XMP-H",
    url: "https://ecert.example/v/UZ-CC-7Q3K-9XMP-H",
    caption: "Verify at ecert.example",
};

fn parse(bytes: &[u8]) -> Document {
    Document::load_mem(bytes).expect("lopdf parses the stamped PDF")
}

fn resolve_dictionary<'a>(document: &'a Document, object: &'a Object) -> &'a Dictionary {
    match document.dereference(object).expect("reference resolves") {
        (_, Object::Dictionary(dictionary)) => dictionary,
        (_, other) => panic!("expected a dictionary, found {other:?}"),
    }
}

/// Returns the `/Font` dictionary of the page's own `/Resources`.
fn page_fonts(document: &Document, page: ObjectId) -> Dictionary {
    let page = document.get_dictionary(page).expect("page dictionary");
    let resources = resolve_dictionary(
        document,
        page.get(b"Resources").expect("page has /Resources"),
    );
    resolve_dictionary(
        document,
        resources.get(b"Font").expect("resources have /Font"),
    )
    .clone()
}

fn stream_bytes(document: &Document, id: ObjectId) -> Vec<u8> {
    let stream = document
        .get_object(id)
        .and_then(Object::as_stream)
        .expect("content stream");
    stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone())
}

/// Checks the common shape of a stamped first page: the `q` stream first,
/// the old streams unchanged in the middle, the stamp stream last, and the
/// old font next to the stamp's font.
fn assert_first_page_stamped(original: &[u8], stamped: &[u8]) {
    assert!(
        stamped.starts_with(original),
        "the stamped PDF must start with the original bytes"
    );
    assert!(
        stamped.len() > original.len(),
        "the stamped PDF must append an update"
    );

    let before = parse(original);
    let after = parse(stamped);
    let old_contents = content_ids(&before, first_page(&before));
    let new_contents = content_ids(&after, first_page(&after));

    assert_eq!(
        new_contents.len(),
        old_contents.len() + 2,
        "one stream before and one after"
    );
    assert_eq!(
        &new_contents[1..=old_contents.len()],
        &old_contents[..],
        "old streams kept in order"
    );
    for id in &old_contents {
        assert_eq!(
            stream_bytes(&after, *id),
            stream_bytes(&before, *id),
            "old stream {id:?} changed"
        );
    }
    assert_eq!(stream_bytes(&after, new_contents[0]), b"q\n");

    let stamp_content = stream_bytes(&after, *new_contents.last().expect("stamp stream"));
    let stamp_text = String::from_utf8_lossy(&stamp_content);
    assert!(
        stamp_text.trim_start().starts_with("Q"),
        "stamp stream starts with Q: {stamp_text:.40}"
    );
    assert!(
        stamp_text.contains(&format!("({})", STAMP.hub_id)),
        "stamp shows the hub ID"
    );
    assert!(stamp_text.contains(" re"), "stamp draws rectangles");

    let fonts = page_fonts(&after, first_page(&after));
    assert!(fonts.has(b"F1"), "the page's own font survived");
    let stamp_font = fonts.get(b"EcertHubF1").expect("the stamp font is added");
    let stamp_font = resolve_dictionary(&after, stamp_font);
    assert_eq!(
        stamp_font.get(b"BaseFont").and_then(Object::as_name).ok(),
        Some(&b"Helvetica"[..])
    );
}

#[test]
fn stamp_one_page_pdf() {
    let original = build_pdf(&PdfSpec::default());

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
    let tail = String::from_utf8_lossy(&stamped[original.len()..]);
    assert!(
        tail.contains("/Prev"),
        "the update's trailer points at the old xref"
    );
    assert!(!tail.contains("%PDF-"), "the update has no second header");
}

#[test]
fn stamp_xref_stream_pdf() {
    let original = build_pdf(&PdfSpec {
        xref_stream: true,
        ..PdfSpec::default()
    });

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
}

#[test]
fn stamp_multi_page_inherited_resources() {
    let original = build_pdf(&PdfSpec {
        pages: 3,
        resources: ResourcesAt::InheritedIndirect,
        ..PdfSpec::default()
    });
    let before = parse(&original);
    let pages_root = before
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .unwrap();
    let shared_resources = before
        .get_dictionary(pages_root)
        .unwrap()
        .get(b"Resources")
        .unwrap()
        .clone();

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
    let after = parse(&stamped);
    assert_eq!(after.get_pages().len(), 3);

    // The shared resources object and the other pages are as they were.
    let shared_id = shared_resources.as_reference().unwrap();
    assert_eq!(
        after.get_object(shared_id).unwrap(),
        before.get_object(shared_id).unwrap()
    );
    for (number, page_id) in after.get_pages().into_iter().skip(1) {
        let page = after.get_dictionary(page_id).unwrap();
        assert!(
            !page.has(b"Resources"),
            "page {number} still inherits its resources"
        );
        assert_eq!(
            page,
            before.get_dictionary(page_id).unwrap(),
            "page {number} unchanged"
        );
    }
}

#[test]
fn stamp_indirect_resources() {
    let original = build_pdf(&PdfSpec {
        pages: 2,
        resources: ResourcesAt::PageIndirect,
        ..PdfSpec::default()
    });
    let before = parse(&original);
    let first = before.get_dictionary(first_page(&before)).unwrap();
    let resources_id = first
        .get(b"Resources")
        .and_then(Object::as_reference)
        .unwrap();

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
    let after = parse(&stamped);
    assert_eq!(
        after.get_object(resources_id).unwrap(),
        before.get_object(resources_id).unwrap(),
        "the shared /Resources object is unchanged"
    );
    let second_page = after.get_pages()[&2];
    let second_fonts = page_fonts(&after, second_page);
    assert!(
        !second_fonts.has(b"EcertHubF1"),
        "the second page has no stamp font"
    );
}

#[test]
fn stamp_contents_array() {
    let original = build_pdf(&PdfSpec {
        contents_array: true,
        ..PdfSpec::default()
    });

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
    let after = parse(&stamped);
    assert_eq!(content_ids(&after, first_page(&after)).len(), 4);
}

#[test]
fn stamp_page_without_contents() {
    let original = build_pdf(&PdfSpec {
        no_contents: true,
        ..PdfSpec::default()
    });

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    assert_first_page_stamped(&original, &stamped);
}

#[test]
fn stamp_twice_appends_second_update() {
    let original = build_pdf(&PdfSpec::default());
    let once = stamp_pdf(&original, &STAMP).expect("first stamp");

    let twice = stamp_pdf(&once, &STAMP).expect("second stamp");

    assert!(twice.starts_with(&once));
    let after = parse(&twice);
    let fonts = page_fonts(&after, first_page(&after));
    assert!(
        fonts.has(b"EcertHubF1") && fonts.has(b"EcertHubF2"),
        "second stamp takes a new font name"
    );
    assert_eq!(content_ids(&after, first_page(&after)).len(), 5);
}

#[test]
fn stamp_with_empty_caption() {
    let original = build_pdf(&PdfSpec::default());
    let stamp = Stamp {
        caption: "",
        ..STAMP
    };

    let stamped = stamp_pdf(&original, &stamp).expect("stamping succeeds");

    assert!(stamped.starts_with(&original));
}

// Hostile and unsupported input: each case names the expected error.

#[test]
fn stamp_rejects_garbage() {
    assert!(matches!(stamp_pdf(b"", &STAMP), Err(StampError::NotPdf)));
    assert!(matches!(
        stamp_pdf(b"hello world", &STAMP),
        Err(StampError::NotPdf)
    ));
    assert!(matches!(
        stamp_pdf(b"\x89PNG\r\n\x1a\n", &STAMP),
        Err(StampError::NotPdf)
    ));

    let error = stamp_pdf(b"%PDF-1.7\n\x00\x01garbage without objects", &STAMP).unwrap_err();
    assert!(
        matches!(error, StampError::Malformed(_) | StampError::BrokenXref(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_oversized_file() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(MAX_PDF_BYTES + 1, b' ');

    let error = stamp_pdf(&bytes, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::TooLarge { .. }),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_truncated_pdf() {
    let original = build_pdf(&PdfSpec::default());

    // Cut before the xref table: no trailer is left.
    let xref = original
        .windows(4)
        .rposition(|window| window == b"xref")
        .expect("xref table");
    let error = stamp_pdf(&original[..xref], &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::BrokenXref(_) | StampError::Malformed(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_every_truncation_without_panic() {
    for xref_stream in [false, true] {
        let original = build_pdf(&PdfSpec {
            pages: 2,
            xref_stream,
            ..PdfSpec::default()
        });
        for end in (0..original.len()).step_by(3) {
            // Either an error or, for cuts inside trailing whitespace, a stamp.
            if let Ok(stamped) = stamp_pdf(&original[..end], &STAMP) {
                assert!(stamped.starts_with(&original[..end]));
            }
        }
    }
}

#[test]
fn stamp_survives_corrupted_bytes() {
    let original = build_pdf(&PdfSpec {
        pages: 2,
        contents_array: true,
        ..PdfSpec::default()
    });
    // A fixed linear congruential sequence, so a failure is reproducible.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..4 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let position = 9 + (state >> 33) as usize % (bytes.len() - 9);
            bytes[position] = (state >> 24) as u8;
        }
        if let Ok(stamped) = stamp_pdf(&bytes, &STAMP) {
            assert!(stamped.starts_with(&bytes));
        }
    }
}

#[test]
fn stamp_rejects_broken_xref() {
    // Extra bytes after the header shift every object, so the xref offsets
    // point at the wrong places and lopdf has to rebuild the table.
    let original = build_pdf(&PdfSpec::default());
    let mut shifted = original[..9].to_vec();
    shifted.extend_from_slice(b"% padding that moves all objects by forty bytes\n");
    shifted.extend_from_slice(&original[9..]);

    let error = stamp_pdf(&shifted, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::BrokenXref(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_encrypted_pdf() {
    for user_password in ["", "secret"] {
        let original = build_pdf(&PdfSpec::default());
        let mut document = Document::load_mem(&original).unwrap();
        document.trailer.set(
            "ID",
            vec![
                Object::string_literal(b"0123456789abcdef".to_vec()),
                Object::string_literal(b"0123456789abcdef".to_vec()),
            ],
        );
        let version = lopdf::EncryptionVersion::V2 {
            document: &document,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: lopdf::Permissions::default(),
        };
        let state = lopdf::EncryptionState::try_from(version).expect("encryption state");
        document.encrypt(&state).expect("encrypting");
        let encrypted = common::save(&mut document, false);

        let error = stamp_pdf(&encrypted, &STAMP).unwrap_err();

        assert!(
            matches!(error, StampError::Encrypted),
            "user password {user_password:?}: unexpected error: {error}"
        );
    }
}

#[test]
fn stamp_rejects_pdf_without_pages() {
    let original = build_pdf(&PdfSpec {
        pages: 0,
        ..PdfSpec::default()
    });

    let error = stamp_pdf(&original, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::NoPages),
        "unexpected error: {error}"
    );
}

/// Loads a generated PDF, lets `change` edit its first page, and saves it.
fn with_first_page(change: impl FnOnce(&mut Dictionary)) -> Vec<u8> {
    let mut document = Document::load_mem(&build_pdf(&PdfSpec::default())).unwrap();
    let page_id = first_page(&document);
    change(document.get_dictionary_mut(page_id).unwrap());
    common::save(&mut document, false)
}

#[test]
fn stamp_rejects_bad_rotation() {
    let original = with_first_page(|page| page.set("Rotate", 45));

    let error = stamp_pdf(&original, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::InvalidPage(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_contents_of_wrong_type() {
    let original = with_first_page(|page| page.set("Contents", 42));

    let error = stamp_pdf(&original, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::InvalidPage(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_small_page() {
    // 30 x 30 mm: the stamp and its margins need 37 mm of width.
    let original = with_first_page(|page| {
        page.set("MediaBox", vec![0.into(), 0.into(), 85.into(), 85.into()])
    });

    let error = stamp_pdf(&original, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::PageTooSmall { .. }),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_rejects_missing_media_box() {
    let mut document = Document::load_mem(&build_pdf(&PdfSpec::default())).unwrap();
    let pages_root = document
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .unwrap();
    document
        .get_dictionary_mut(pages_root)
        .unwrap()
        .remove(b"MediaBox");
    let original = common::save(&mut document, false);

    let error = stamp_pdf(&original, &STAMP).unwrap_err();

    assert!(
        matches!(error, StampError::InvalidPage(_)),
        "unexpected error: {error}"
    );
}

#[test]
fn stamp_avoids_font_name_in_use() {
    let original = with_first_page(|page| {
        let Ok(Object::Dictionary(resources)) = page.get_mut(b"Resources") else {
            panic!("direct resources expected");
        };
        let Ok(Object::Dictionary(fonts)) = resources.get_mut(b"Font") else {
            panic!("direct font dictionary expected");
        };
        let font = fonts.get(b"F1").unwrap().clone();
        fonts.set("EcertHubF1", font);
    });

    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");

    let after = parse(&stamped);
    let fonts = page_fonts(&after, first_page(&after));
    let stamp_font = resolve_dictionary(&after, fonts.get(b"EcertHubF2").expect("next free name"));
    assert_eq!(
        stamp_font.get(b"Encoding").and_then(Object::as_name).ok(),
        Some(&b"WinAnsiEncoding"[..])
    );
}

#[test]
fn stamp_rejects_invalid_text() {
    let original = build_pdf(&PdfSpec::default());
    let long_url = format!("https://ecert.example/{}", "a".repeat(300));
    let cases = [
        (
            Stamp {
                caption: "Проверка",
                ..STAMP
            },
            "caption non-ASCII",
        ),
        (
            Stamp {
                hub_id: "EC\tKZ",
                ..STAMP
            },
            "hub_id control character",
        ),
        (
            Stamp {
                hub_id: " ",
                ..STAMP
            },
            "hub_id blank",
        ),
        (Stamp { url: "", ..STAMP }, "url empty"),
        (
            Stamp {
                url: &long_url,
                ..STAMP
            },
            "url too long",
        ),
    ];
    for (stamp, case) in cases {
        let error = stamp_pdf(&original, &stamp).unwrap_err();
        let expected = match case {
            "caption non-ASCII" => matches!(
                error,
                StampError::NonAsciiText {
                    field: "caption",
                    ..
                }
            ),
            "hub_id control character" => matches!(
                error,
                StampError::ControlCharacter {
                    field: "hub_id",
                    ..
                }
            ),
            "hub_id blank" => matches!(error, StampError::EmptyText { field: "hub_id" }),
            "url empty" => matches!(error, StampError::EmptyText { field: "url" }),
            _ => matches!(error, StampError::TextTooLong { field: "url", .. }),
        };
        assert!(expected, "{case}: unexpected error: {error}");
    }
}
