//! Stamped pages and labels rendered by pdftoppm (poppler) and read back with
//! `decode_qr_photo`: the QR code must decode to the URL and sit in the top
//! right corner of the page as shown.
//!
//! Without pdftoppm each test prints why it is skipped and passes, unless
//! `ECERT_REQUIRE_TEST_SERVICES=1` is set (CI sets it).

mod common;

use std::io::Cursor;

use common::{PdfSpec, ResourcesAt, build_pdf, render_first_page};
use ecert_pdf::{Label, Stamp, decode_qr_photo, qr_label_pdf, stamp_pdf};
use image::{DynamicImage, GenericImageView, ImageFormat};

const URL: &str = "https://ecert.example/v/UZ-CC-7Q3K-9XMP-H";

const STAMP: Stamp<'static> = Stamp {
    hub_id: "UZ-CC-7Q3K-9XMP-H",
    url: URL,
    caption: "Verify at ecert.example",
};

/// Resolution of the renders. At 150 dpi a module of the 25 mm stamp is
/// about 2 pixels wide.
const DPI: u32 = 150;

fn png_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encoding PNG");
    bytes
}

/// Decodes the QR codes in the page quarter given by `right` and `top`.
fn decode_quarter(page: &DynamicImage, right: bool, top: bool) -> Vec<String> {
    let (width, height) = page.dimensions();
    let x = if right { width / 2 } else { 0 };
    let y = if top { 0 } else { height / 2 };
    let quarter = page.crop_imm(x, y, width / 2, height / 2);
    decode_qr_photo(&png_bytes(&quarter)).expect("decoding the quarter")
}

/// Renders the stamped first page and checks that the QR code decodes to the
/// URL in the top-right quarter and nowhere else.
fn assert_stamp_in_top_right(original: &[u8], case: &str) {
    let stamped = stamp_pdf(original, &STAMP).expect("stamping succeeds");
    let Some(png) = render_first_page(&stamped, DPI) else {
        return;
    };

    assert_eq!(
        decode_qr_photo(&png).expect("decoding the page"),
        vec![URL.to_owned()],
        "{case}: whole page"
    );
    let page = image::load_from_memory(&png).expect("reading the render");
    assert_eq!(
        decode_quarter(&page, true, true),
        vec![URL.to_owned()],
        "{case}: top-right quarter"
    );
    assert!(
        decode_quarter(&page, false, true).is_empty(),
        "{case}: QR code in the top-left quarter"
    );
    assert!(
        decode_quarter(&page, true, false).is_empty(),
        "{case}: QR code in the bottom-right quarter"
    );
}

#[test]
fn render_stamp_on_plain_page() {
    assert_stamp_in_top_right(&build_pdf(&PdfSpec::default()), "plain page");
}

#[test]
fn render_stamp_on_inherited_resources() {
    let original = build_pdf(&PdfSpec {
        pages: 3,
        resources: ResourcesAt::InheritedIndirect,
        xref_stream: true,
        ..PdfSpec::default()
    });
    assert_stamp_in_top_right(&original, "inherited resources");
}

#[test]
fn render_stamp_on_rotated_pages() {
    for rotate in [90, 180, 270, -90] {
        let original = build_pdf(&PdfSpec {
            rotate: Some(rotate),
            ..PdfSpec::default()
        });
        assert_stamp_in_top_right(&original, &format!("/Rotate {rotate}"));
    }
}

#[test]
fn render_keeps_original_text() {
    // The original page is white except for its text line near the top left,
    // so dark pixels there show the old content still renders.
    let original = build_pdf(&PdfSpec::default());
    let stamped = stamp_pdf(&original, &STAMP).expect("stamping succeeds");
    let Some(png) = render_first_page(&stamped, DPI) else {
        return;
    };

    let page = image::load_from_memory(&png)
        .expect("reading the render")
        .to_luma8();
    let scale = DPI as f32 / 72.0;
    // The text baseline is at (72, 720) points; look at the 20 points above it.
    let (x0, x1) = ((72.0 * scale) as u32, (250.0 * scale) as u32);
    let (y0, y1) = (
        ((842.0 - 740.0) * scale) as u32,
        ((842.0 - 718.0) * scale) as u32,
    );
    let dark = (x0..x1)
        .flat_map(|x| (y0..y1).map(move |y| (x, y)))
        .filter(|&(x, y)| page.get_pixel(x, y).0[0] < 128)
        .count();
    assert!(
        dark > 100,
        "the original text line is missing: {dark} dark pixels"
    );
}

#[test]
fn render_label_decodes_to_url() {
    let label = Label {
        hub_id: "UZ-CC-7Q3K-9XMP-H".to_owned(),
        url: URL.to_owned(),
        lines: vec![
            "Certificate of conformity".to_owned(),
            "Issued by Example Certification Body LLP, Tashkent".to_owned(),
        ],
    };
    let pdf = qr_label_pdf(&label).expect("rendering the label");
    let Some(png) = render_first_page(&pdf, 100) else {
        return;
    };

    let page = image::load_from_memory(&png).expect("reading the render");
    // A6 (105 x 148 mm) at 100 dpi is 413.4 x 582.7 pixels; pdftoppm rounds.
    let (width, height) = page.dimensions();
    assert!((413..=414).contains(&width), "label width {width} px");
    assert!((582..=583).contains(&height), "label height {height} px");
    assert_eq!(
        decode_qr_photo(&png).expect("decoding the label"),
        vec![URL.to_owned()]
    );
}
