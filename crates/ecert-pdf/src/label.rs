//! A printable label: one A6 page with a large QR code, the hub ID and a few
//! lines of text, for a sticker on a paper certificate or a product.

use lopdf::{Dictionary, Document, Object, Stream};

use crate::StampError;
use crate::draw::{self, PT_PER_MM};
use crate::limits::{MAX_HUB_ID_LEN, MAX_LABEL_LINES, MAX_LINE_LEN, MAX_URL_LEN};
use crate::stamp::encode;

/// A6 portrait, in millimetres.
const PAGE_WIDTH_MM: f32 = 105.0;
const PAGE_HEIGHT_MM: f32 = 148.0;
const MARGIN_MM: f32 = 8.0;
/// Side of the QR code with its quiet zone.
const QR_SIZE_MM: f32 = 70.0;
/// The hub ID is set at the largest size in this range that fits one line.
const HUB_ID_FONT_SIZES: (f32, f32) = (9.0, 16.0);
const LINE_FONT_SIZE: f32 = 10.0;
/// Baseline-to-baseline distance as a multiple of the font size.
const LINE_SPACING: f32 = 1.2;
const FONT_NAME: &[u8] = b"F1";

/// Content of a label for [`qr_label_pdf`]. All text must be printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The hub ID, printed large under the QR code (at most 40 bytes).
    pub hub_id: String,
    /// The URL encoded in the QR code (1 to 300 bytes).
    pub url: String,
    /// Lines under the hub ID, such as the product and the issuer (at most 8
    /// lines of 120 bytes). A line too wide for the page wraps at spaces.
    pub lines: Vec<String>,
}

/// Renders `label` as a one-page A6 PDF (105 x 148 mm, portrait): the QR code
/// of `url` 70 mm wide at the top, then `hub_id` and `lines`, each centred.
///
/// # Errors
///
/// Empty `hub_id` or `url`, text that is too long or not printable ASCII,
/// more than 8 lines, and lines that wrap to more lines than fit on the page
/// ([`StampError::LabelOverflow`]).
pub fn qr_label_pdf(label: &Label) -> Result<Vec<u8>, StampError> {
    check_label_text(label)?;
    let code = draw::encode_qr(&label.url)?;

    // 1. Layout: the text block must fit between the QR code and the bottom
    //    margin.
    let page_width = PAGE_WIDTH_MM * PT_PER_MM;
    let page_height = PAGE_HEIGHT_MM * PT_PER_MM;
    let margin = MARGIN_MM * PT_PER_MM;
    let text_width = page_width - 2.0 * margin;
    let qr_size = QR_SIZE_MM * PT_PER_MM;
    let qr_x = (page_width - qr_size) / 2.0;
    let qr_y = page_height - margin - qr_size;

    let hub_id_size = draw::fit_font_size(
        &label.hub_id,
        HUB_ID_FONT_SIZES.0,
        HUB_ID_FONT_SIZES.1,
        text_width,
    );
    let mut lines: Vec<(String, f32)> = draw::wrap_text(&label.hub_id, hub_id_size, text_width)
        .into_iter()
        .map(|line| (line, hub_id_size))
        .collect();
    for line in &label.lines {
        let wrapped = draw::wrap_text(line, LINE_FONT_SIZE, text_width);
        lines.extend(wrapped.into_iter().map(|line| (line, LINE_FONT_SIZE)));
    }
    let text_height: f32 = lines.iter().map(|(_, size)| size * LINE_SPACING).sum();
    if text_height > qr_y - margin {
        let fitting_lines = ((qr_y - margin) / (LINE_FONT_SIZE * LINE_SPACING)) as usize;
        return Err(StampError::LabelOverflow {
            lines: fitting_lines,
            needed: lines.len(),
        });
    }

    // 2. The content stream.
    let mut ops = Vec::new();
    draw::draw_qr(&mut ops, &code, qr_x, qr_y, qr_size);
    let mut baseline = qr_y;
    for (line, font_size) in &lines {
        baseline -= font_size * LINE_SPACING;
        let x = (page_width - draw::text_width(line, *font_size)) / 2.0;
        draw::show_text(
            &mut ops,
            FONT_NAME,
            *font_size,
            x,
            baseline + 0.2 * font_size,
            line,
        );
    }
    let mut content = Stream::new(Dictionary::new(), encode(ops)?);
    content.compress().map_err(|error| {
        StampError::Write(format!("compressing the label content failed: {error}"))
    })?;

    // 3. The document: catalog, page tree, one page.
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(Object::Dictionary(draw::helvetica_font()));
    let content_id = document.add_object(content);

    let mut fonts = Dictionary::new();
    fonts.set(FONT_NAME.to_vec(), Object::Reference(font_id));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));

    let mut page = Dictionary::new();
    page.set("Type", Object::Name(b"Page".to_vec()));
    page.set("Parent", Object::Reference(pages_id));
    page.set(
        "MediaBox",
        vec![0.into(), 0.into(), page_width.into(), page_height.into()],
    );
    page.set("Resources", Object::Dictionary(resources));
    page.set("Contents", Object::Reference(content_id));
    let page_id = document.add_object(Object::Dictionary(page));

    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", vec![Object::Reference(page_id)]);
    pages.set("Count", 1);
    document.objects.insert(pages_id, Object::Dictionary(pages));

    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = document.add_object(Object::Dictionary(catalog));
    document.trailer.set("Root", Object::Reference(catalog_id));

    let mut output = Vec::new();
    document
        .save_to(&mut output)
        .map_err(|error| StampError::Write(error.to_string()))?;
    Ok(output)
}

fn check_label_text(label: &Label) -> Result<(), StampError> {
    if label.hub_id.trim().is_empty() {
        return Err(StampError::EmptyText { field: "hub_id" });
    }
    if label.url.is_empty() {
        return Err(StampError::EmptyText { field: "url" });
    }
    draw::check_text("hub_id", &label.hub_id, MAX_HUB_ID_LEN)?;
    draw::check_text("url", &label.url, MAX_URL_LEN)?;
    if label.lines.len() > MAX_LABEL_LINES {
        return Err(StampError::TooManyLines {
            count: label.lines.len(),
            max: MAX_LABEL_LINES,
        });
    }
    for line in &label.lines {
        draw::check_text("lines", line, MAX_LINE_LEN)?;
    }
    Ok(())
}
