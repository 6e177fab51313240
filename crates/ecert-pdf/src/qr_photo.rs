//! QR codes in photos: a phone picture of a stamped certificate or a label,
//! or a screenshot.
//!
//! The photo is decoded with `image`, converted to 8-bit grey, shrunk when
//! large, and searched with rxing (a port of ZXing) first and rqrr second:
//!
//! 1. rxing's two multi-code searches on a locally adaptive threshold
//!    (`HybridBinarizer`): the QR multi-detector, which looks for several
//!    sets of finder patterns, and the generic search, which decodes one code
//!    and searches the image parts beside it again;
//! 2. when that finds nothing, rxing's single-code reader with `TryHarder`
//!    and inverted colours, on the adaptive and then on a global threshold;
//! 3. when rxing finds nothing, rqrr, which reads clean renders that rxing's
//!    finder-pattern search sometimes misses.

use std::collections::HashSet;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{GrayImage, ImageFormat, ImageReader, Limits, imageops::FilterType};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::qrcode::QRCodeMultiReader;
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::qrcode::QRCodeReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8LuminanceSource, Reader};

/// Maximum size of an image file that [`decode_qr_photo`] accepts, in bytes
/// (20 MiB, by estimate twice the size of a full-resolution JPEG from a
/// current phone camera).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;

/// Maximum number of pixels of a photo (40 megapixels), checked from the
/// image header before any pixel is decoded. Decoding needs up to 8 bytes a
/// pixel (16-bit RGBA), so this bounds memory at about 320 MB.
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;

/// Longer side, in pixels, that a larger photo is shrunk to before the QR
/// search. The search time grows with the pixel count, and a code that fills
/// a tenth of a phone photo keeps modules of several pixels at this size.
const MAX_SEARCH_SIDE: u32 = 2048;

/// Error of [`decode_qr_photo`]: the photo could not be searched for QR codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrDecodeError {
    #[error("the image is {size} bytes, more than the maximum of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("the image is {width} x {height} pixels, more than the maximum of {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the image is not a PNG or JPEG file")]
    UnsupportedFormat,
    #[error("the image could not be decoded: {0}")]
    InvalidImage(String),
}

/// Finds and decodes the QR codes in a PNG or JPEG photo.
///
/// Returns the text of each code found, without duplicates, in the order the
/// decoders report them, and an empty list when the photo contains no readable
/// QR code. Byte-mode text without an ECI designator is read as UTF-8 where
/// it is valid UTF-8 (rxing guesses the character set, as ZXing does).
///
/// Photos larger than 2048 pixels on their longer side are shrunk to that
/// size first, so a tiny code in a huge photo may be lost. The decoders run
/// under `catch_unwind`, so a panic inside them counts as "no code found"
/// (with the default `panic = "unwind"`).
///
/// # Errors
///
/// A file over [`MAX_PHOTO_BYTES`], an image over [`MAX_PHOTO_PIXELS`], a
/// file that is neither PNG nor JPEG, and an image that fails to decode.
pub fn decode_qr_photo(image_bytes: &[u8]) -> Result<Vec<String>, QrDecodeError> {
    let luma = load_gray(image_bytes)?;
    let luma = shrink_to_search_size(luma);
    let (width, height) = luma.dimensions();
    if width == 0 || height == 0 {
        return Ok(Vec::new());
    }

    let pixels = luma.into_raw();
    let mut texts = decode_with_rxing(&pixels, width, height);
    if texts.is_empty() {
        texts = decode_with_rqrr(&pixels, width, height);
    }

    let mut seen = HashSet::new();
    texts.retain(|text| seen.insert(text.clone()));
    Ok(texts)
}

/// Decodes a PNG or JPEG file into 8-bit grey after checking its size and
/// pixel count.
fn load_gray(image_bytes: &[u8]) -> Result<GrayImage, QrDecodeError> {
    if image_bytes.len() > MAX_PHOTO_BYTES {
        return Err(QrDecodeError::TooLarge {
            size: image_bytes.len(),
            max: MAX_PHOTO_BYTES,
        });
    }
    let format = match image::guess_format(image_bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg)) => format,
        _ => return Err(QrDecodeError::UnsupportedFormat),
    };

    // The header alone gives the dimensions, so an image bomb (a small file
    // that claims a huge canvas) is rejected before its pixels are decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(image_bytes), format)
        .into_dimensions()
        .map_err(|error| QrDecodeError::InvalidImage(error.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PHOTO_PIXELS {
        return Err(QrDecodeError::TooManyPixels {
            width,
            height,
            max: MAX_PHOTO_PIXELS,
        });
    }

    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_PHOTO_PIXELS * 8);
    let mut reader = ImageReader::with_format(Cursor::new(image_bytes), format);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|error| QrDecodeError::InvalidImage(error.to_string()))?;
    Ok(image.to_luma8())
}

fn shrink_to_search_size(luma: GrayImage) -> GrayImage {
    let (width, height) = luma.dimensions();
    let longer = width.max(height);
    if longer <= MAX_SEARCH_SIDE {
        return luma;
    }
    let scale = MAX_SEARCH_SIDE as f64 / f64::from(longer);
    let new_width = ((f64::from(width) * scale).round() as u32).max(1);
    let new_height = ((f64::from(height) * scale).round() as u32).max(1);
    image::imageops::resize(&luma, new_width, new_height, FilterType::Triangle)
}

fn qr_hints() -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(true),
        AlsoInverted: Some(true),
        ..DecodeHints::default()
    }
}

/// Runs the rxing stages 1 and 2 of the module documentation.
fn decode_with_rxing(pixels: &[u8], width: u32, height: u32) -> Vec<String> {
    let hints = qr_hints();
    let source = || Luma8LuminanceSource::new(pixels.to_vec(), width, height).ok();

    let run = || -> Vec<String> {
        let Some(luma) = source() else {
            return Vec::new();
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(luma));
        let mut found = QRCodeMultiReader::default()
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .unwrap_or_default();
        found.extend(
            GenericMultipleBarcodeReader::new(QRCodeReader)
                .decode_multiple_with_hints(&mut bitmap, &hints)
                .unwrap_or_default(),
        );
        if !found.is_empty() {
            return found
                .iter()
                .map(|result| result.getText().to_owned())
                .collect();
        }

        if let Some(luma) = source()
            && let Some(text) = decode_single(BinaryBitmap::new(HybridBinarizer::new(luma)), &hints)
        {
            return vec![text];
        }
        if let Some(luma) = source()
            && let Some(text) = decode_single(
                BinaryBitmap::new(GlobalHistogramBinarizer::new(luma)),
                &hints,
            )
        {
            return vec![text];
        }
        Vec::new()
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_default()
}

fn decode_single<B: Binarizer>(mut bitmap: BinaryBitmap<B>, hints: &DecodeHints) -> Option<String> {
    QRCodeReader
        .decode_with_hints(&mut bitmap, hints)
        .ok()
        .map(|result| result.getText().to_owned())
}

/// Runs stage 3 of the module documentation: rqrr on the same grey pixels.
fn decode_with_rqrr(pixels: &[u8], width: u32, height: u32) -> Vec<String> {
    let run = || -> Vec<String> {
        let (width, height) = (width as usize, height as usize);
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels[y * width + x]
        });
        prepared
            .detect_grids()
            .iter()
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, text)| text)
            .collect()
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_format() {
        let error = decode_qr_photo(b"GIF89a\x01\x00\x01\x00").unwrap_err();
        assert!(matches!(error, QrDecodeError::UnsupportedFormat), "{error}");
    }

    #[test]
    fn rejects_oversized_file() {
        let bytes = vec![0_u8; MAX_PHOTO_BYTES + 1];
        let error = decode_qr_photo(&bytes).unwrap_err();
        assert!(matches!(error, QrDecodeError::TooLarge { .. }), "{error}");
    }

    #[test]
    fn shrink_keeps_aspect_ratio() {
        let shrunk = shrink_to_search_size(GrayImage::new(4096, 1024));
        assert_eq!(shrunk.dimensions(), (MAX_SEARCH_SIDE, 512));
    }
}
