//! Times the document-file operations the portal runs per request:
//! stamping a PDF, making a label, and decoding a QR code from a photo.
//! Run with `cargo bench -p ecert-pdf --bench files`; each line prints the
//! median and the slowest of the runs.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{PdfSpec, build_pdf};
use ecert_pdf::{Label, Stamp, decode_qr_photo, qr_label_pdf, stamp_pdf};

const URL: &str = "https://verify.example.org/v/KG-CC-384T-ST4E-T";

fn measure(name: &str, runs: usize, mut operation: impl FnMut()) {
    operation();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            operation();
            started.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let slowest = times[times.len() - 1];
    println!("{name:<44} median {:>8.2} ms   slowest {:>8.2} ms   ({runs} runs)", ms(median), ms(slowest));
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Draws the QR code of `URL` three pixels a module into a 1600 x 1200 grey
/// picture with a fine texture, the size of a phone photo scaled down.
fn photo() -> Vec<u8> {
    let code = qrcode::QrCode::new(URL.as_bytes()).expect("QR code");
    let modules = code.to_colors();
    let width = code.width() as u32;
    let scale = 6;
    let mut picture = image::GrayImage::from_fn(1600, 1200, |x, y| image::Luma([150 + ((x * 7 + y * 13) % 31) as u8]));
    for (index, colour) in modules.iter().enumerate() {
        let (mx, my) = (index as u32 % width, index as u32 / width);
        let value = if *colour == qrcode::Color::Dark { 25 } else { 235 };
        for dy in 0..scale {
            for dx in 0..scale {
                picture.put_pixel(500 + mx * scale + dx, 300 + my * scale + dy, image::Luma([value]));
            }
        }
    }
    // The quiet zone around the code is light, as on paper.
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).expect("PNG");
    out.into_inner()
}

fn main() {
    let stamp = Stamp { hub_id: "KG-CC-384T-ST4E-T", url: URL, caption: "Scan to verify at e-CERT Hub" };
    for pages in [1, 50] {
        let pdf = build_pdf(&PdfSpec { pages, ..PdfSpec::default() });
        let name = format!("stamp_pdf, {pages} page(s), {} KB", pdf.len() / 1024);
        measure(&name, 30, || {
            stamp_pdf(&pdf, &stamp).expect("stamp");
        });
    }
    let label = Label { hub_id: "KG-CC-384T-ST4E-T".into(), url: URL.into(), lines: vec!["KG.CB.2026.0101".into()] };
    measure("qr_label_pdf", 30, || {
        qr_label_pdf(&label).expect("label");
    });
    let photo = photo();
    let decoded = decode_qr_photo(&photo).expect("decode");
    assert_eq!(decoded, [URL], "the benchmark photo must decode");
    let name = format!("decode_qr_photo, 1600 x 1200 PNG, {} KB", photo.len() / 1024);
    measure(&name, 10, || {
        decode_qr_photo(&photo).expect("decode");
    });
}
