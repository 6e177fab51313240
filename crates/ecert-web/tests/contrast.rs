//! Contrast of the stylesheet's colour pairs, by the WCAG 2.2 formula: text
//! needs 4.5:1 against its background (level AA), and borders of form
//! controls and the focus outline need 3:1 (non-text contrast).

use std::collections::BTreeMap;

/// Reads the `--name: #rrggbb;` custom properties of the stylesheet.
fn palette() -> BTreeMap<String, [u8; 3]> {
    let mut colours = BTreeMap::new();
    for line in ecert_web::STYLESHEET.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("--") else { continue };
        let Some((name, value)) = rest.split_once(':') else { continue };
        let hex = value.trim().trim_end_matches(';').trim_start_matches('#');
        if hex.len() == 6
            && let Ok(rgb) = u32::from_str_radix(hex, 16)
        {
            colours.insert(name.trim().to_owned(), [(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]);
        }
    }
    colours
}

/// Computes the relative luminance of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

fn ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn formula_matches_known_values() {
    assert!((ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    assert!((ratio([118, 118, 118], [255, 255, 255]) - 4.54).abs() < 0.01);
}

#[test]
fn stylesheet_pairs_are_readable() {
    let colours = palette();
    assert!(colours.len() >= 14, "only {} colours read from the stylesheet", colours.len());
    let white = [255, 255, 255];
    let colour = |name: &str| *colours.get(name).unwrap_or_else(|| panic!("--{name} is not in the stylesheet"));
    let text_pairs = [
        ("text", "background"),
        ("text", "panel"),
        ("muted", "background"),
        ("muted", "panel"),
        ("link", "background"),
        ("link", "panel"),
        ("valid-text", "valid-background"),
        ("valid-text", "background"),
        ("invalid-text", "invalid-background"),
        ("invalid-text", "background"),
        ("invalid-text", "panel"),
        ("indeterminate-text", "indeterminate-background"),
        ("indeterminate-text", "panel"),
        ("neutral-text", "panel"),
    ];
    for (foreground, background) in text_pairs {
        let contrast = ratio(colour(foreground), colour(background));
        assert!(contrast >= 4.5, "--{foreground} on --{background}: {contrast:.2}:1, below 4.5:1");
    }
    // Button labels are white on the link colour.
    let buttons = ratio(white, colour("link"));
    assert!(buttons >= 4.5, "white on --link: {buttons:.2}:1");
    for (part, background) in [("border", "background"), ("focus", "background"), ("focus", "panel")] {
        let contrast = ratio(colour(part), colour(background));
        assert!(contrast >= 3.0, "--{part} on --{background}: {contrast:.2}:1, below 3:1");
    }
}
