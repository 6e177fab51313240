//! `qr_label_pdf`: the page lopdf reads back, and the text checks.

use ecert_pdf::{Label, StampError, qr_label_pdf};
use lopdf::{Document, Object};

fn label(lines: &[&str]) -> Label {
    Label {
        hub_id: "UZ-CC-7Q3K-9XMP-H".to_owned(),
        url: "https://ecert.example/v/UZ-CC-7Q3K-9XMP-H".to_owned(),
        lines: lines.iter().map(|line| (*line).to_owned()).collect(),
    }
}

#[test]
fn label_is_one_a6_page() {
    let pdf = qr_label_pdf(&label(&["Certificate of conformity"])).expect("rendering the label");

    assert!(ecert_pdf::looks_like_pdf(&pdf));
    let document = Document::load_mem(&pdf).expect("lopdf parses the label");
    let pages = document.get_pages();
    assert_eq!(pages.len(), 1);

    let page = document.get_dictionary(pages[&1]).unwrap();
    let media_box: Vec<f32> = page
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .unwrap()
        .iter()
        .map(|value| value.as_float().unwrap())
        .collect();
    // A6 is 105 x 148 mm, 297.6 x 419.5 points.
    assert_eq!(media_box.len(), 4);
    assert!(
        (media_box[2] - 297.64).abs() < 0.1,
        "width {}",
        media_box[2]
    );
    assert!(
        (media_box[3] - 419.53).abs() < 0.1,
        "height {}",
        media_box[3]
    );

    let content = String::from_utf8_lossy(&document.get_page_content(pages[&1])).into_owned();
    assert!(content.contains("(UZ-CC-7Q3K-9XMP-H) Tj"), "hub ID shown");
    assert!(
        content.contains("(Certificate of conformity) Tj"),
        "line shown"
    );
}

#[test]
fn label_without_lines() {
    let pdf = qr_label_pdf(&label(&[])).expect("rendering the label");

    assert_eq!(Document::load_mem(&pdf).unwrap().get_pages().len(), 1);
}

#[test]
fn label_escapes_parentheses() {
    let pdf = qr_label_pdf(&label(&["Model (v2) \\ rev"])).expect("rendering the label");

    let document = Document::load_mem(&pdf).unwrap();
    let content = document.get_page_content(document.get_pages()[&1]);
    let operations = lopdf::content::Content::decode(&content)
        .expect("content parses")
        .operations;
    let shown_strings: Vec<Vec<u8>> = operations
        .iter()
        .filter(|operation| operation.operator == "Tj")
        .filter_map(|operation| {
            operation
                .operands
                .first()?
                .as_str()
                .ok()
                .map(<[u8]>::to_vec)
        })
        .collect();
    assert!(
        shown_strings.contains(&b"Model (v2) \\ rev".to_vec()),
        "shown strings: {shown_strings:?}"
    );
}

#[test]
fn label_rejects_too_many_lines() {
    let error = qr_label_pdf(&label(&["line"; 9])).unwrap_err();

    assert!(
        matches!(error, StampError::TooManyLines { count: 9, max: 8 }),
        "unexpected error: {error}"
    );
}

#[test]
fn label_rejects_text_that_overflows() {
    let long_line = "word ".repeat(24);
    let lines = vec![long_line.trim_end(); 8];

    let error = qr_label_pdf(&label(&lines)).unwrap_err();

    assert!(
        matches!(error, StampError::LabelOverflow { .. }),
        "unexpected error: {error}"
    );
}

#[test]
fn label_rejects_non_ascii_line() {
    let error = qr_label_pdf(&label(&["Сертификат соответствия"])).unwrap_err();

    assert!(
        matches!(error, StampError::NonAsciiText { field: "lines", .. }),
        "unexpected error: {error}"
    );
}
