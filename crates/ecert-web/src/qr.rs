//! QR codes for verification links, as PNG or SVG.
//!
//! Both use error correction level M (about 15 % of the symbol can be
//! damaged) and a quiet zone of 4 modules, which ISO/IEC 18004 requires
//! around a standard QR symbol.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Maximum module size accepted by [`qr_png`], in pixels.
pub const MAX_MODULE_PX: u32 = 32;
/// Maximum width and height of a PNG from [`qr_png`], in pixels. It caps
/// memory use when a caller passes a long text with a large module size.
pub const MAX_IMAGE_SIDE_PX: u32 = 4096;
/// Module size of [`qr_svg`] output, in SVG user units. The SVG scales, so
/// this only sets the `width` and `height` a viewer starts with.
const SVG_MODULE_UNITS: u32 = 8;
/// Quiet zone width in modules that the `qrcode` crate (0.14) draws around
/// a standard symbol when the quiet zone is on.
const QUIET_ZONE_MODULES: u32 = 4;

/// A QR code that could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text cannot be encoded as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("module size {0} px is invalid: use 1 to {MAX_MODULE_PX} px")]
    ModuleSize(u32),
    #[error(
        "the QR image would be {side} px wide, over the maximum of {MAX_IMAGE_SIDE_PX} px: use a smaller module size or a shorter text"
    )]
    TooLarge { side: u64 },
    #[error("PNG encoding failed: {0}")]
    Png(#[from] image::ImageError),
}

/// Renders `text` as a black-on-white greyscale PNG with `module_px`
/// pixels per module.
pub fn qr_png(text: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(QrError::ModuleSize(module_px));
    }
    let code = encode(text)?;

    let modules = code.width() as u64 + 2 * u64::from(QUIET_ZONE_MODULES);
    let side = modules * u64::from(module_px);
    if side > u64::from(MAX_IMAGE_SIDE_PX) {
        return Err(QrError::TooLarge { side });
    }

    let image = code.render::<Luma<u8>>().quiet_zone(true).module_dimensions(module_px, module_px).build();
    let mut png = Vec::new();
    image.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}

/// Renders `text` as a standalone SVG document (it starts with an XML
/// declaration), black on white.
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let code = encode(text)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(SVG_MODULE_UNITS, SVG_MODULE_UNITS)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

fn encode(text: &str) -> Result<QrCode, QrError> {
    Ok(QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://verify.example.org/v/UZ-CC-7Q3K-9XMP-H";

    fn decode_png(png: &[u8]) -> (String, u32) {
        let image = image::load_from_memory_with_format(png, ImageFormat::Png).expect("output is a PNG").to_luma8();
        let width = image.width();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "expected exactly one QR symbol in the PNG");
        let (_, content) = grids[0].decode().expect("QR symbol decodes");
        (content, width)
    }

    #[test]
    fn png_round_trips_through_decoder() {
        let png = qr_png(URL, 4).unwrap();
        let (content, _) = decode_png(&png);
        assert_eq!(content, URL);
    }

    #[test]
    fn png_round_trips_cyrillic_text() {
        let text = "Сертификат соответствия UZ-CC-7Q3K-9XMP-H";
        let png = qr_png(text, 3).unwrap();
        let (content, _) = decode_png(&png);
        assert_eq!(content, text);
    }

    #[test]
    fn png_has_four_module_quiet_zone() {
        let module_px = 5;
        let png = qr_png(URL, module_px).unwrap();
        let (_, width) = decode_png(&png);
        let code = QrCode::with_error_correction_level(URL, EcLevel::M).unwrap();
        assert_eq!(width, (code.width() as u32 + 8) * module_px);

        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let border = 4 * module_px;
        for i in 0..image.width() {
            for j in 0..border {
                assert_eq!(image.get_pixel(i, j).0[0], 255, "top quiet zone pixel ({i}, {j}) is not white");
                assert_eq!(image.get_pixel(j, i).0[0], 255, "left quiet zone pixel ({j}, {i}) is not white");
            }
        }
        assert_eq!(image.get_pixel(border, border).0[0], 0, "finder pattern corner is not black");
    }

    #[test]
    fn symbol_uses_level_m() {
        let code = encode(URL).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
    }

    #[test]
    fn png_rejects_bad_module_size() {
        assert!(matches!(qr_png(URL, 0), Err(QrError::ModuleSize(0))));
        assert!(matches!(qr_png(URL, MAX_MODULE_PX + 1), Err(QrError::ModuleSize(_))));
    }

    #[test]
    fn png_rejects_oversized_image() {
        let long_text = "A".repeat(1500);
        assert!(matches!(qr_png(&long_text, MAX_MODULE_PX), Err(QrError::TooLarge { .. })));
    }

    #[test]
    fn encode_rejects_text_over_capacity() {
        let too_long = "x".repeat(5000);
        assert!(matches!(qr_svg(&too_long), Err(QrError::Encode(_))));
    }

    #[test]
    fn svg_has_quiet_zone_and_colours() {
        let svg = qr_svg(URL).unwrap();
        let code = encode(URL).unwrap();
        let side = (code.width() as u32 + 8) * SVG_MODULE_UNITS;
        assert!(svg.starts_with("<?xml"), "SVG starts with an XML declaration");
        assert!(
            svg.contains(&format!("width=\"{side}\" height=\"{side}\"")),
            "SVG size includes the quiet zone: {svg:.200}"
        );
        assert!(svg.contains("fill=\"#000000\""));
        assert!(svg.contains("fill=\"#ffffff\""));
        // The first dark module is the finder pattern corner, 4 modules in.
        let first_path = format!("M{offset} {offset}", offset = 4 * SVG_MODULE_UNITS);
        assert!(svg.contains(&first_path), "first dark module starts after the quiet zone");
    }
}
