//! QR modules and Helvetica text as PDF content stream operators, shared by
//! the stamp and the label.
//!
//! Coordinates are PDF points (1/72 inch) with the origin at the bottom left.

use lopdf::content::Operation;
use lopdf::{Dictionary, Object};
use qrcode::{Color, EcLevel, QrCode};

use crate::StampError;

/// Points per millimetre.
pub(crate) const PT_PER_MM: f32 = 72.0 / 25.4;

/// Width of the quiet zone around a QR code, in modules (ISO/IEC 18004
/// requires four).
pub(crate) const QUIET_ZONE_MODULES: usize = 4;

/// Helvetica advance widths of the characters 0x20 to 0x7E, in 1/1000 of the
/// font size, from Adobe's Helvetica AFM (one of the 14 standard fonts every
/// PDF reader provides). Under WinAnsiEncoding these codes are ASCII.
#[rustfmt::skip]
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
];

/// Checks that `text` is printable ASCII (0x20 to 0x7E) of at most `max_len`
/// bytes.
///
/// Non-ASCII text is rejected rather than transliterated: Helvetica under
/// WinAnsiEncoding cannot show Cyrillic, and a silently changed name on a
/// certificate stamp would mislead more than an error.
pub(crate) fn check_text(
    field: &'static str,
    text: &str,
    max_len: usize,
) -> Result<(), StampError> {
    if let Some(position) = text.find(|c: char| !c.is_ascii()) {
        return Err(StampError::NonAsciiText { field, position });
    }
    if let Some(position) = text.find(|c: char| c.is_ascii_control()) {
        return Err(StampError::ControlCharacter { field, position });
    }
    if text.len() > max_len {
        return Err(StampError::TextTooLong {
            field,
            len: text.len(),
            max: max_len,
        });
    }
    Ok(())
}

/// Width of `text` set in Helvetica at `font_size`, in points. Only printable
/// ASCII is expected; anything else counts as a space.
pub(crate) fn text_width(text: &str, font_size: f32) -> f32 {
    let units: u32 = text
        .bytes()
        .map(|byte| {
            let index = usize::from(byte.saturating_sub(0x20));
            u32::from(HELVETICA_WIDTHS.get(index).copied().unwrap_or(278))
        })
        .sum();
    units as f32 * font_size / 1000.0
}

/// Returns the largest font size between `min_size` and `max_size` at which
/// `text` fits on one line of `max_width` points. For text too wide even at
/// `min_size` it returns `min_size`, and the caller wraps the text.
pub(crate) fn fit_font_size(text: &str, min_size: f32, max_size: f32, max_width: f32) -> f32 {
    let width_at_one_point = text_width(text, 1.0);
    if width_at_one_point <= 0.0 {
        return max_size;
    }
    (max_width / width_at_one_point).clamp(min_size, max_size)
}

/// Breaks `text` into lines no wider than `max_width` points at `font_size`,
/// at spaces where possible and inside a word only when the word alone is
/// too wide.
pub(crate) fn wrap_text(text: &str, font_size: f32, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();

    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, font_size) <= max_width {
            current = candidate;
            continue;
        }

        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The word does not fit after the previous line: break it by
        // characters when it does not fit on a line of its own either.
        for character in word.chars() {
            current.push(character);
            if text_width(&current, font_size) > max_width && current.len() > 1 {
                current.pop();
                lines.push(std::mem::take(&mut current));
                current.push(character);
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Encodes `url` as a QR code at error correction level M.
pub(crate) fn encode_qr(url: &str) -> Result<QrCode, StampError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|error| StampError::QrEncoding(error.to_string()))
}

/// Builds a Type1 font dictionary for standard Helvetica.
pub(crate) fn helvetica_font() -> Dictionary {
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    font
}

/// Fills a rectangle with a grey level (0 black, 1 white).
pub(crate) fn fill_rect(
    ops: &mut Vec<Operation>,
    gray: f32,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
) {
    ops.push(Operation::new("g", vec![gray.into()]));
    ops.push(Operation::new(
        "re",
        vec![x.into(), y.into(), width.into(), height.into()],
    ));
    ops.push(Operation::new("f", vec![]));
}

/// Draws `code` with its quiet zone as a square of side `size` points whose
/// bottom-left corner is (`x`, `y`), on a white background. Dark modules of a
/// row are merged into one rectangle per run.
pub(crate) fn draw_qr(ops: &mut Vec<Operation>, code: &QrCode, x: f32, y: f32, size: f32) {
    let width = code.width();
    let colors = code.to_colors();
    let module = size / (width + 2 * QUIET_ZONE_MODULES) as f32;
    let origin_x = x + QUIET_ZONE_MODULES as f32 * module;
    let top = y + size - QUIET_ZONE_MODULES as f32 * module;

    fill_rect(ops, 1.0, x, y, size, size);
    ops.push(Operation::new("g", vec![0.0.into()]));

    for (row, cells) in colors.chunks(width).enumerate() {
        let row_y = top - (row + 1) as f32 * module;
        let mut column = 0;
        while column < width {
            if cells[column] != Color::Dark {
                column += 1;
                continue;
            }
            let start = column;
            while column < width && cells[column] == Color::Dark {
                column += 1;
            }
            // A hair of overlap closes the seams some renderers leave between
            // adjacent rectangles when anti-aliasing.
            let run_x = origin_x + start as f32 * module;
            let run_width = (column - start) as f32 * module;
            ops.push(Operation::new(
                "re",
                vec![
                    run_x.into(),
                    (row_y - 0.01).into(),
                    run_width.into(),
                    (module + 0.02).into(),
                ],
            ));
        }
    }
    ops.push(Operation::new("f", vec![]));
}

/// Shows one line of text in black with its baseline starting at (`x`, `y`).
/// `font` is the resource name of a Helvetica font on the page.
pub(crate) fn show_text(
    ops: &mut Vec<Operation>,
    font: &[u8],
    font_size: f32,
    x: f32,
    y: f32,
    text: &str,
) {
    ops.push(Operation::new("g", vec![0.0.into()]));
    ops.push(Operation::new("BT", vec![]));
    ops.push(Operation::new(
        "Tf",
        vec![Object::Name(font.to_vec()), font_size.into()],
    ));
    ops.push(Operation::new("Td", vec![x.into(), y.into()]));
    ops.push(Operation::new(
        "Tj",
        vec![Object::string_literal(text.as_bytes())],
    ));
    ops.push(Operation::new("ET", vec![]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_width_uses_helvetica_metrics() {
        // "Hub" = 722 + 556 + 556 units.
        assert!((text_width("Hub", 10.0) - 18.34).abs() < 0.001);
        assert_eq!(text_width("", 10.0), 0.0);
    }

    #[test]
    fn fit_font_size_shrinks_to_width() {
        let width = text_width("UZ-CC-7Q3K-9XMP-H", 6.0);
        assert!((fit_font_size("UZ-CC-7Q3K-9XMP-H", 5.0, 7.0, width) - 6.0).abs() < 0.001);
        assert_eq!(fit_font_size("UZ-CC-7Q3K-9XMP-H", 5.0, 7.0, 1000.0), 7.0);
        assert_eq!(fit_font_size("UZ-CC-7Q3K-9XMP-H", 5.0, 7.0, 1.0), 5.0);
    }

    #[test]
    fn wrap_text_breaks_at_spaces() {
        let lines = wrap_text("aaa bbb ccc", 10.0, text_width("aaa bbb", 10.0));
        assert_eq!(lines, vec!["aaa bbb".to_owned(), "ccc".to_owned()]);
    }

    #[test]
    fn wrap_text_breaks_long_words() {
        let lines = wrap_text("abcdefghij", 10.0, text_width("abcd", 10.0));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.concat(), "abcdefghij");
        for line in &lines {
            assert!(
                text_width(line, 10.0) <= text_width("abcd", 10.0),
                "line {line:?} too wide"
            );
        }
    }

    #[test]
    fn check_text_rejects_non_ascii() {
        let error = check_text("caption", "Сертификат", 100).unwrap_err();
        assert!(matches!(
            error,
            StampError::NonAsciiText {
                field: "caption",
                position: 0
            }
        ));
    }

    #[test]
    fn check_text_rejects_control_characters() {
        let error = check_text("hub_id", "EC\nX", 100).unwrap_err();
        assert!(matches!(
            error,
            StampError::ControlCharacter {
                field: "hub_id",
                position: 2
            }
        ));
    }

    #[test]
    fn check_text_rejects_long_text() {
        let error = check_text("url", "abcd", 3).unwrap_err();
        assert!(matches!(
            error,
            StampError::TextTooLong {
                field: "url",
                len: 4,
                max: 3
            }
        ));
    }
}
