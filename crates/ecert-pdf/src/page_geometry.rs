//! The visible area and orientation of a page, read from its dictionary and
//! the attributes it inherits from the page tree.

use lopdf::{Dictionary, Document, Object};

use crate::StampError;

/// Maximum number of `/Parent` links followed when looking up an inherited
/// page attribute. Real page trees are a few levels deep.
const MAX_TREE_DEPTH: usize = 64;

/// Geometry of a page as a reader shows it: the visible box in user space,
/// the clockwise rotation a reader applies, and the size of a user space
/// unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PageGeometry {
    /// Left, bottom, right and top of the CropBox clipped to the MediaBox, in
    /// user space units.
    pub(crate) visible: [f32; 4],
    /// `/Rotate` normalised to 0, 90, 180 or 270 degrees clockwise.
    pub(crate) rotation: u16,
    /// `/UserUnit`: points per user space unit (1 by default).
    pub(crate) user_unit: f32,
}

impl PageGeometry {
    /// Reads the geometry of the page `page`, resolving `/MediaBox`,
    /// `/CropBox` and `/Rotate` through the page tree where the page does not
    /// set them (ISO 32000-1, 7.7.3.4).
    pub(crate) fn read(document: &Document, page: &Dictionary) -> Result<Self, StampError> {
        let media_box = match inherited_attribute(document, page, b"MediaBox")? {
            Some(object) => read_rectangle(document, object, "MediaBox")?,
            None => return Err(StampError::InvalidPage("the page has no /MediaBox".into())),
        };
        let crop_box = match inherited_attribute(document, page, b"CropBox")? {
            Some(object) => Some(read_rectangle(document, object, "CropBox")?),
            None => None,
        };

        // A CropBox reaching outside the MediaBox is clipped to it, as readers do.
        let visible = match crop_box {
            Some(crop) => [
                crop[0].max(media_box[0]),
                crop[1].max(media_box[1]),
                crop[2].min(media_box[2]),
                crop[3].min(media_box[3]),
            ],
            None => media_box,
        };
        if visible[2] - visible[0] <= 0.0 || visible[3] - visible[1] <= 0.0 {
            return Err(StampError::InvalidPage(
                "the page's /CropBox does not overlap its /MediaBox".into(),
            ));
        }

        let rotation = match inherited_attribute(document, page, b"Rotate")? {
            Some(object) => read_rotation(document, object)?,
            None => 0,
        };

        // /UserUnit is not inherited (ISO 32000-1, table 30).
        let user_unit = match page.get(b"UserUnit") {
            Ok(object) => read_number(document, object)
                .filter(|unit| unit.is_finite() && *unit > 0.0 && *unit <= 75_000.0)
                .ok_or_else(|| {
                    StampError::InvalidPage("the page's /UserUnit is not a positive number".into())
                })?,
            Err(_) => 1.0,
        };

        Ok(Self {
            visible,
            rotation,
            user_unit,
        })
    }

    /// Width and height of the page as a reader shows it, after rotation, in
    /// points.
    pub(crate) fn shown_size(&self) -> (f32, f32) {
        let width = (self.visible[2] - self.visible[0]) * self.user_unit;
        let height = (self.visible[3] - self.visible[1]) * self.user_unit;
        if self.rotation % 180 == 90 {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Returns the `cm` matrix that maps points on the page as shown (origin
    /// at the bottom left of the rotated, cropped page) to user space.
    ///
    /// A reader turns the page clockwise by `/Rotate`. For 90 degrees the
    /// user space corner (left, bottom) ends up at the top left, so a shown
    /// point (u, v) is the user space point (right - v, bottom + u), and so
    /// on for the other angles.
    pub(crate) fn shown_to_user_matrix(&self) -> [f32; 6] {
        let [left, bottom, right, top] = self.visible;
        let scale = 1.0 / self.user_unit;
        let (a, b, c, d, e, f) = match self.rotation {
            90 => (0.0, 1.0, -1.0, 0.0, right, bottom),
            180 => (-1.0, 0.0, 0.0, -1.0, right, top),
            270 => (0.0, -1.0, 1.0, 0.0, left, top),
            _ => (1.0, 0.0, 0.0, 1.0, left, bottom),
        };
        [a * scale, b * scale, c * scale, d * scale, e, f]
    }
}

/// Looks up `key` on the page, then on its ancestors in the page tree.
pub(crate) fn inherited_attribute<'a>(
    document: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
) -> Result<Option<&'a Object>, StampError> {
    let mut node = page;
    for _ in 0..MAX_TREE_DEPTH {
        if let Ok(value) = node.get(key) {
            return Ok(Some(value));
        }
        let Ok(parent) = node.get(b"Parent") else {
            return Ok(None);
        };
        node = match document.dereference(parent) {
            Ok((_, Object::Dictionary(dictionary))) => dictionary,
            _ => {
                return Err(StampError::InvalidPage(
                    "a /Parent of the page is not a dictionary".into(),
                ));
            }
        };
    }
    Err(StampError::InvalidPage(format!(
        "the page tree above the page is deeper than {MAX_TREE_DEPTH} levels or has a cycle"
    )))
}

fn read_number(document: &Document, object: &Object) -> Option<f32> {
    let (_, object) = document.dereference(object).ok()?;
    object.as_float().ok().filter(|value| value.is_finite())
}

/// Reads a rectangle `[x1 y1 x2 y2]` with its corners in any order and
/// returns it as left, bottom, right, top.
fn read_rectangle(
    document: &Document,
    object: &Object,
    name: &str,
) -> Result<[f32; 4], StampError> {
    let invalid = || {
        StampError::InvalidPage(format!(
            "the page's /{name} is not an array of four numbers"
        ))
    };

    let array = match document.dereference(object) {
        Ok((_, Object::Array(array))) if array.len() == 4 => array,
        _ => return Err(invalid()),
    };
    let mut numbers = [0.0_f32; 4];
    for (slot, item) in numbers.iter_mut().zip(array) {
        *slot = read_number(document, item).ok_or_else(invalid)?;
    }

    let [x1, y1, x2, y2] = numbers;
    Ok([x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)])
}

fn read_rotation(document: &Document, object: &Object) -> Result<u16, StampError> {
    let value = match document.dereference(object) {
        Ok((_, Object::Integer(value))) => *value,
        _ => {
            return Err(StampError::InvalidPage(
                "the page's /Rotate is not an integer".into(),
            ));
        }
    };
    // ISO 32000-1 requires a multiple of 90, negative values included.
    if value % 90 != 0 {
        return Err(StampError::InvalidPage(format!(
            "the page's /Rotate is {value}, not a multiple of 90"
        )));
    }
    let degrees = value.rem_euclid(360);
    Ok(u16::try_from(degrees).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(rotation: u16) -> PageGeometry {
        PageGeometry {
            visible: [10.0, 20.0, 110.0, 220.0],
            rotation,
            user_unit: 1.0,
        }
    }

    fn apply(matrix: [f32; 6], u: f32, v: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = matrix;
        (a * u + c * v + e, b * u + d * v + f)
    }

    #[test]
    fn shown_size_swaps_for_quarter_turns() {
        assert_eq!(geometry(0).shown_size(), (100.0, 200.0));
        assert_eq!(geometry(90).shown_size(), (200.0, 100.0));
        assert_eq!(geometry(180).shown_size(), (100.0, 200.0));
        assert_eq!(geometry(270).shown_size(), (200.0, 100.0));
    }

    #[test]
    fn shown_top_right_maps_to_expected_corner() {
        // Turning a page clockwise by 90 degrees moves its user space top-left
        // corner to the top right, by 180 the bottom-left, by 270 the
        // bottom-right.
        let cases = [
            (0, (110.0, 220.0)),
            (90, (10.0, 220.0)),
            (180, (10.0, 20.0)),
            (270, (110.0, 20.0)),
        ];
        for (rotation, expected) in cases {
            let page = geometry(rotation);
            let (width, height) = page.shown_size();
            let corner = apply(page.shown_to_user_matrix(), width, height);
            assert_eq!(corner, expected, "rotation {rotation}");
        }
    }

    #[test]
    fn shown_origin_maps_to_expected_corner() {
        let cases = [
            (0, (10.0, 20.0)),
            (90, (110.0, 20.0)),
            (180, (110.0, 220.0)),
            (270, (10.0, 220.0)),
        ];
        for (rotation, expected) in cases {
            let corner = apply(geometry(rotation).shown_to_user_matrix(), 0.0, 0.0);
            assert_eq!(corner, expected, "rotation {rotation}");
        }
    }
}
