//! Document files of the e-CERT Hub: PDFs of certificates and photos of them.
//!
//! Every function here works on bytes in memory, with no network, database or
//! file access, and returns an error (never a panic) on hostile input.
//!
//! - [`stamp_pdf`] appends an incremental update to a PDF that draws a QR code
//!   and the hub ID in the top-right corner of its first page. The output
//!   starts with the unchanged original bytes, so a signature over them
//!   (PAdES) stays valid.
//! - [`qr_label_pdf`] renders a one-page A6 PDF with a QR code and text lines,
//!   for printing a sticker.
//! - [`decode_qr_photo`] finds and decodes the QR codes in a PNG or JPEG
//!   photo.
//!
//! Modules: `stamp` (the incremental update), `page_geometry` (the visible
//! box and rotation of a page), `label`
//! (the label page), `draw` (QR modules and Helvetica text as content stream
//! operators, shared by both) and `qr_photo` (decoding).

mod draw;
mod label;
mod page_geometry;
mod qr_photo;
mod stamp;

pub use label::{Label, qr_label_pdf};
pub use qr_photo::{MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, QrDecodeError, decode_qr_photo};
pub use stamp::{MAX_PDF_BYTES, Stamp, StampError, stamp_pdf};

/// The text limits shared by [`Stamp`] and [`Label`], in bytes of ASCII text.
pub mod limits {
    /// Maximum length of a hub ID.
    pub const MAX_HUB_ID_LEN: usize = 40;
    /// Maximum length of the URL in the QR code. At error correction level M
    /// it needs a QR code of version 13 (69 modules) at most, which keeps a
    /// module at about 0.33 mm in the 25 mm stamp.
    pub const MAX_URL_LEN: usize = 300;
    /// Maximum length of the stamp caption and of each label line.
    pub const MAX_LINE_LEN: usize = 120;
    /// Maximum number of text lines on a label.
    pub const MAX_LABEL_LINES: usize = 8;
}

/// Returns true when `bytes` start with the PDF header `%PDF-1.` or `%PDF-2.`.
///
/// Only the header is checked. Some readers accept up to 1024 bytes of junk
/// before the header, but [`stamp_pdf`] requires it at offset 0, because the
/// offsets of an appended update count from the first byte of the file.
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.")
}

#[cfg(test)]
mod tests {
    use super::looks_like_pdf;

    #[test]
    fn header_check_accepts_pdf_versions() {
        assert!(looks_like_pdf(b"%PDF-1.7\n"));
        assert!(looks_like_pdf(b"%PDF-2.0\n"));
    }

    #[test]
    fn header_check_rejects_other_bytes() {
        assert!(!looks_like_pdf(b""));
        assert!(!looks_like_pdf(b"%PDF"));
        assert!(!looks_like_pdf(b"\x89PNG\r\n"));
        assert!(!looks_like_pdf(b" %PDF-1.7"));
    }
}
