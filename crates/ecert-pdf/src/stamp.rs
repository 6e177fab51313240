//! The QR stamp on the first page of a PDF, written as an incremental update.
//!
//! An incremental update (ISO 32000-1, 7.5.6) appends changed and new objects,
//! a cross-reference section and a trailer whose `/Prev` points at the old
//! section, and leaves every original byte in place. A PAdES signature covers
//! a byte range of the original file, so it still verifies on the stamped
//! copy. A validator may still report that the file was changed after
//! signing, which is what happened.

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, IncrementalDocument, LoadOptions, Object, ObjectId, Stream};

use crate::draw::{self, PT_PER_MM};
use crate::limits::{MAX_HUB_ID_LEN, MAX_LINE_LEN, MAX_URL_LEN};
use crate::page_geometry::{PageGeometry, inherited_attribute};

/// Maximum size of a PDF that [`stamp_pdf`] accepts, in bytes (64 MiB).
/// Certificates are a few pages, and lopdf keeps the whole parsed document in
/// memory, which takes several times the file size for a file of many objects.
pub const MAX_PDF_BYTES: usize = 64 * 1024 * 1024;

/// Maximum size one object or cross-reference stream may decompress to while
/// the PDF is parsed (64 MiB), so a small file cannot inflate without bound.
const MAX_DECOMPRESSED_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// Side of the QR code with its quiet zone, which is also the stamp width.
const STAMP_WIDTH_MM: f32 = 25.0;
/// Distance between the stamp and the top and right edges of the shown page.
const STAMP_MARGIN_MM: f32 = 6.0;
/// Space left and right of the text lines inside the white box.
const TEXT_PADDING_MM: f32 = 1.5;
/// The hub ID is set at the largest size in this range that fits one line.
const HUB_ID_FONT_SIZES: (f32, f32) = (5.0, 7.0);
const CAPTION_FONT_SIZE: f32 = 5.5;
/// Baseline-to-baseline distance as a multiple of the font size.
const LINE_SPACING: f32 = 1.2;

/// Resource name prefix of the stamp's font. A number follows, the first one
/// the page's resources do not use yet.
const FONT_NAME_PREFIX: &str = "EcertHubF";

/// Content of the stamp that [`stamp_pdf`] draws: the QR code of `url`, and
/// `hub_id` and `caption` below it. All three must be printable ASCII.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// The hub ID, shown under the QR code (at most 40 bytes).
    pub hub_id: &'a str,
    /// The URL encoded in the QR code (1 to 300 bytes).
    pub url: &'a str,
    /// A short text under the hub ID, such as "Verify at ecert.example"
    /// (at most 120 bytes, may be empty).
    pub caption: &'a str,
}

/// Error of [`stamp_pdf`] and [`crate::qr_label_pdf`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    #[error("the PDF is {size} bytes, more than the maximum of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("the file is not a PDF: it does not start with %PDF-1. or %PDF-2.")]
    NotPdf,
    #[error("the PDF is encrypted; only unencrypted PDFs can be stamped")]
    Encrypted,
    #[error(
        "the PDF's cross-reference table is damaged ({0}); save the file again with a PDF tool and retry"
    )]
    BrokenXref(String),
    #[error("the PDF could not be parsed: {0}")]
    Malformed(String),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the first page of the PDF is invalid: {0}")]
    InvalidPage(String),
    #[error(
        "the first page is {width_mm:.0} x {height_mm:.0} mm as shown, \
         too small for the {needed_width_mm:.0} x {needed_height_mm:.0} mm stamp and its margins"
    )]
    PageTooSmall {
        width_mm: f32,
        height_mm: f32,
        needed_width_mm: f32,
        needed_height_mm: f32,
    },
    #[error("{field} is empty")]
    EmptyText { field: &'static str },
    #[error(
        "{field} contains a non-ASCII character at byte {position}; \
         the standard Helvetica font shows ASCII only, so transliterate the text first"
    )]
    NonAsciiText {
        field: &'static str,
        position: usize,
    },
    #[error("{field} contains a control character at byte {position}")]
    ControlCharacter {
        field: &'static str,
        position: usize,
    },
    #[error("{field} is {len} bytes long, more than the maximum of {max}")]
    TextTooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the URL cannot be encoded as a QR code: {0}")]
    QrEncoding(String),
    #[error("the label has {count} lines, more than the maximum of {max}")]
    TooManyLines { count: usize, max: usize },
    #[error("the text does not fit on the label: {lines} lines at most, {needed} needed")]
    LabelOverflow { lines: usize, needed: usize },
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// Appends an incremental update to `original` that draws `stamp` in the top
/// right corner of the first page as a reader shows it.
///
/// The returned bytes start with `original` unchanged. The update adds:
/// - a content stream `q` before the page's existing content streams and one
///   after them that starts with `Q`, so a graphics state the old content
///   leaves behind (a transformation or a clip) cannot move or hide the stamp;
/// - the stamp: a white 25 mm box holding the QR code of `stamp.url` at error
///   correction level M with its four-module quiet zone, and `hub_id` and
///   `caption` below it in standard Helvetica;
/// - the page's `/Resources` as a dictionary of its own, copied from the
///   resources the page had (its own or inherited from the page tree, direct
///   or by reference) plus the stamp's font. Shared resource objects are left
///   unchanged, so no other page changes.
///
/// The stamp honours the page's `/CropBox`, `/Rotate` (any multiple of 90)
/// and `/UserUnit`, so it shows upright in the top-right corner.
///
/// # Errors
///
/// Rejected inputs: text that is empty (`hub_id`, `url`), too long or not
/// printable ASCII, a file over [`MAX_PDF_BYTES`], a file that is not a PDF,
/// an encrypted PDF, and a PDF without pages. A damaged cross-reference table
/// is rejected even when lopdf could repair it by scanning, because the update
/// must point at the table as written. So is a first page without a usable
/// `/MediaBox` or too small for the stamp. Parsing runs under `catch_unwind`,
/// so a panic inside lopdf on a hostile file becomes [`StampError::Malformed`]
/// (with the default `panic = "unwind"`).
///
/// NOTE: a page whose old content leaves more `q` than `Q` operators still
/// has a saved graphics state around the stamp after the added `Q`. Readers
/// reset the state at the end of the page, but such content can still move
/// the stamp.
pub fn stamp_pdf(original: &[u8], stamp: &Stamp) -> Result<Vec<u8>, StampError> {
    check_stamp_text(stamp)?;
    if original.len() > MAX_PDF_BYTES {
        return Err(StampError::TooLarge {
            size: original.len(),
            max: MAX_PDF_BYTES,
        });
    }
    if !crate::looks_like_pdf(original) {
        return Err(StampError::NotPdf);
    }

    let stamped = catch_unwind(AssertUnwindSafe(|| stamp_checked(original, stamp)))
        .unwrap_or_else(|_| {
            Err(StampError::Malformed(
                "the PDF parser failed on this file".into(),
            ))
        })?;

    if !stamped.starts_with(original) {
        return Err(StampError::Write(
            "the update does not start with the original bytes".into(),
        ));
    }
    Ok(stamped)
}

fn check_stamp_text(stamp: &Stamp) -> Result<(), StampError> {
    if stamp.hub_id.trim().is_empty() {
        return Err(StampError::EmptyText { field: "hub_id" });
    }
    if stamp.url.is_empty() {
        return Err(StampError::EmptyText { field: "url" });
    }
    draw::check_text("hub_id", stamp.hub_id, MAX_HUB_ID_LEN)?;
    draw::check_text("url", stamp.url, MAX_URL_LEN)?;
    draw::check_text("caption", stamp.caption, MAX_LINE_LEN)?;
    Ok(())
}

fn stamp_checked(original: &[u8], stamp: &Stamp) -> Result<Vec<u8>, StampError> {
    let document = load(original)?;

    // 1. The first page and its geometry.
    let page_id = document.page_iter().next().ok_or(StampError::NoPages)?;
    let page = match document.get_object(page_id) {
        Ok(Object::Dictionary(page)) => page.clone(),
        _ => {
            return Err(StampError::InvalidPage(
                "the first page is not a dictionary".into(),
            ));
        }
    };
    let geometry = PageGeometry::read(&document, &page)?;

    // 2. The new objects: the font, and the streams around the old content.
    let mut update = IncrementalDocument::create_from(original.to_vec(), document);
    let font_id = add_object(
        &mut update.new_document,
        Object::Dictionary(draw::helvetica_font()),
    )?;

    let mut resources = copy_page_resources(update.get_prev_documents(), &page)?;
    let font_name = add_font_resource(update.get_prev_documents(), &mut resources, font_id)?;

    let stamp_content = stamp_operations(stamp, &geometry, &font_name)?;
    let mut stamp_stream = Stream::new(Dictionary::new(), encode(stamp_content)?);
    stamp_stream.compress().map_err(|error| {
        StampError::Write(format!("compressing the stamp content failed: {error}"))
    })?;
    let save_id = add_object(
        &mut update.new_document,
        Stream::new(Dictionary::new(), b"q\n".to_vec()).into(),
    )?;
    let stamp_id = add_object(&mut update.new_document, stamp_stream.into())?;

    // 3. The page, rewritten with the new contents and resources.
    let contents = wrapped_contents(update.get_prev_documents(), &page, save_id, stamp_id)?;
    let mut new_page = page;
    new_page.set("Contents", contents);
    new_page.set("Resources", Object::Dictionary(resources));
    update
        .new_document
        .set_object(page_id, Object::Dictionary(new_page));

    // A hybrid-reference file names its cross-reference stream in /XRefStm.
    // The trailer of the update lists only the new objects, so it drops it.
    update.new_document.trailer.remove(b"XRefStm");

    let mut output = Vec::with_capacity(original.len() + 16 * 1024);
    update
        .save_to(&mut output)
        .map_err(|error| StampError::Write(error.to_string()))?;
    Ok(output)
}

/// Adds `object` under the next free object number. A hostile trailer can
/// claim the highest possible number already, which lopdf's `add_object`
/// would turn into a panic.
fn add_object(document: &mut Document, object: Object) -> Result<ObjectId, StampError> {
    document
        .try_add_object(object)
        .map_err(|error| StampError::Malformed(error.to_string()))
}

/// Parses `bytes` and rejects files the update cannot extend safely.
fn load(bytes: &[u8]) -> Result<Document, StampError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_DECOMPRESSED_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let document =
        Document::load_mem_with_options(bytes, options).map_err(|error| match error {
            lopdf::Error::InvalidPassword
            | lopdf::Error::Decryption(_)
            | lopdf::Error::UnsupportedSecurityHandler(_) => StampError::Encrypted,
            lopdf::Error::Xref(_)
            | lopdf::Error::Parse(lopdf::ParseError::InvalidXref)
            | lopdf::Error::MissingXrefEntry => StampError::BrokenXref(error.to_string()),
            other => StampError::Malformed(other.to_string()),
        })?;

    // lopdf decrypts a file with an empty user password on load and removes
    // /Encrypt from the trailer, so only `encryption_state` shows it was
    // encrypted.
    if document.encryption_state.is_some() || document.trailer.has(b"Encrypt") {
        return Err(StampError::Encrypted);
    }
    if let Some(recovery) = document.xref_recovery {
        return Err(StampError::BrokenXref(format!(
            "lopdf had to repair it: {recovery:?}"
        )));
    }
    if document.xref_start == 0 {
        return Err(StampError::BrokenXref("startxref is missing".into()));
    }
    Ok(document)
}

/// Copies the resources the page uses into a direct dictionary.
///
/// The page's own `/Resources` wins over the nearest ancestor's (ISO 32000-1,
/// 7.7.3.4), and either may be a reference. A page without any gets an empty
/// dictionary.
fn copy_page_resources(document: &Document, page: &Dictionary) -> Result<Dictionary, StampError> {
    let Some(resources) = inherited_attribute(document, page, b"Resources")? else {
        return Ok(Dictionary::new());
    };
    match document.dereference(resources) {
        Ok((_, Object::Dictionary(resources))) => Ok(resources.clone()),
        Ok((_, Object::Null)) => Ok(Dictionary::new()),
        _ => Err(StampError::InvalidPage(
            "the page's /Resources is not a dictionary".into(),
        )),
    }
}

/// Adds `font_id` to the `/Font` dictionary of `resources` under a name it
/// does not use yet, and returns that name. A `/Font` given by reference is
/// copied into `resources`, so the shared object stays as it was.
fn add_font_resource(
    document: &Document,
    resources: &mut Dictionary,
    font_id: ObjectId,
) -> Result<Vec<u8>, StampError> {
    let mut fonts = match resources.get(b"Font") {
        Err(_) => Dictionary::new(),
        Ok(font) => match document.dereference(font) {
            Ok((_, Object::Dictionary(fonts))) => fonts.clone(),
            Ok((_, Object::Null)) => Dictionary::new(),
            _ => {
                return Err(StampError::InvalidPage(
                    "the page's /Resources /Font is not a dictionary".into(),
                ));
            }
        },
    };

    // The loop ends because a dictionary has fewer than u32::MAX keys.
    let name = (1..=u32::MAX)
        .map(|number| format!("{FONT_NAME_PREFIX}{number}").into_bytes())
        .find(|name| !fonts.has(name))
        .unwrap_or_else(|| FONT_NAME_PREFIX.as_bytes().to_vec());

    fonts.set(name.clone(), Object::Reference(font_id));
    resources.set("Font", Object::Dictionary(fonts));
    Ok(name)
}

/// Builds the page's new `/Contents`: the `q` stream, the old content streams
/// in their order, and the stamp stream. `/Contents` may be missing, a stream
/// reference, or an array (direct or by reference) of stream references.
fn wrapped_contents(
    document: &Document,
    page: &Dictionary,
    save_id: ObjectId,
    stamp_id: ObjectId,
) -> Result<Vec<Object>, StampError> {
    let mut contents = vec![Object::Reference(save_id)];

    match page.get(b"Contents") {
        Err(_) | Ok(Object::Null) => {}
        Ok(Object::Array(streams)) => contents.extend(streams.iter().cloned()),
        Ok(Object::Reference(id)) => match document.get_object(*id) {
            Ok(Object::Stream(_)) => contents.push(Object::Reference(*id)),
            Ok(Object::Array(streams)) => contents.extend(streams.iter().cloned()),
            // A reference to a missing object is null (ISO 32000-1, 7.3.10).
            Err(lopdf::Error::ObjectNotFound(_)) | Ok(Object::Null) => {}
            _ => {
                return Err(StampError::InvalidPage(
                    "the page's /Contents is neither a stream nor an array".into(),
                ));
            }
        },
        Ok(_) => {
            return Err(StampError::InvalidPage(
                "the page's /Contents is neither a stream nor an array".into(),
            ));
        }
    }

    contents.push(Object::Reference(stamp_id));
    Ok(contents)
}

/// Builds the operators of the stamp stream, which restore the state saved
/// before the old content and then draw in the coordinates of the page as
/// shown.
fn stamp_operations(
    stamp: &Stamp,
    geometry: &PageGeometry,
    font: &[u8],
) -> Result<Vec<Operation>, StampError> {
    let code = draw::encode_qr(stamp.url)?;

    let box_width = STAMP_WIDTH_MM * PT_PER_MM;
    let text_width = box_width - 2.0 * TEXT_PADDING_MM * PT_PER_MM;
    let hub_id_size = draw::fit_font_size(
        stamp.hub_id,
        HUB_ID_FONT_SIZES.0,
        HUB_ID_FONT_SIZES.1,
        text_width,
    );
    let hub_id_lines = draw::wrap_text(stamp.hub_id, hub_id_size, text_width);
    let caption_lines = draw::wrap_text(stamp.caption, CAPTION_FONT_SIZE, text_width);
    let text_height = LINE_SPACING
        * (hub_id_size * hub_id_lines.len() as f32
            + CAPTION_FONT_SIZE * caption_lines.len() as f32);
    let box_height = box_width + text_height + TEXT_PADDING_MM * PT_PER_MM;

    let margin = STAMP_MARGIN_MM * PT_PER_MM;
    let (page_width, page_height) = geometry.shown_size();
    if page_width < box_width + 2.0 * margin || page_height < box_height + 2.0 * margin {
        return Err(StampError::PageTooSmall {
            width_mm: page_width / PT_PER_MM,
            height_mm: page_height / PT_PER_MM,
            needed_width_mm: (box_width + 2.0 * margin) / PT_PER_MM,
            needed_height_mm: (box_height + 2.0 * margin) / PT_PER_MM,
        });
    }
    let box_x = page_width - margin - box_width;
    let box_y = page_height - margin - box_height;
    let qr_y = box_y + box_height - box_width;

    let mut ops = vec![
        Operation::new("Q", vec![]),
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            geometry.shown_to_user_matrix().map(Object::from).to_vec(),
        ),
    ];

    // The white box, the QR code on it, and a thin grey border drawn last so
    // that the QR code's white background does not cover it.
    draw::fill_rect(&mut ops, 1.0, box_x, box_y, box_width, box_height);
    draw::draw_qr(&mut ops, &code, box_x, qr_y, box_width);
    ops.push(Operation::new("G", vec![0.6.into()]));
    ops.push(Operation::new("w", vec![0.3.into()]));
    ops.push(Operation::new(
        "re",
        vec![
            box_x.into(),
            box_y.into(),
            box_width.into(),
            box_height.into(),
        ],
    ));
    ops.push(Operation::new("S", vec![]));

    // Each line is centred under the QR code.
    let mut baseline = qr_y;
    let lines = hub_id_lines
        .iter()
        .map(|line| (line, hub_id_size))
        .chain(caption_lines.iter().map(|line| (line, CAPTION_FONT_SIZE)));
    for (line, font_size) in lines {
        baseline -= font_size * LINE_SPACING;
        let x = box_x + (box_width - draw::text_width(line, font_size)) / 2.0;
        draw::show_text(
            &mut ops,
            font,
            font_size,
            x,
            baseline + 0.2 * font_size,
            line,
        );
    }

    ops.push(Operation::new("Q", vec![]));
    Ok(ops)
}

pub(crate) fn encode(operations: Vec<Operation>) -> Result<Vec<u8>, StampError> {
    let mut bytes = Content { operations }.encode().map_err(|error| {
        StampError::Write(format!("encoding the content stream failed: {error}"))
    })?;
    // The stream follows the old content directly, so it starts on a line of
    // its own in case the old content ends without whitespace.
    bytes.insert(0, b'\n');
    Ok(bytes)
}
