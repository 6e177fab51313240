//! PDFs built with lopdf for the tests, and the optional pdftoppm renderer.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

pub const REQUIRE_SERVICES_VAR: &str = "ECERT_REQUIRE_TEST_SERVICES";

/// Content of every generated page. The last operator scales the CTM without
/// a matching `q`/`Q`, so a stamp that did not save and restore the graphics
/// state around the old content would be drawn twice as large, off the page.
pub const PAGE_CONTENT: &[u8] =
    b"BT /F1 18 Tf 72 720 Td (Original page text) Tj ET\n2 0 0 2 0 0 cm\n";

fn name(value: &str) -> Object {
    Object::Name(value.as_bytes().to_vec())
}

fn helvetica() -> Dictionary {
    let mut font = Dictionary::new();
    font.set("Type", name("Font"));
    font.set("Subtype", name("Type1"));
    font.set("BaseFont", name("Helvetica"));
    font
}

fn a4_box() -> Object {
    Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()])
}

/// How the resources of the generated pages are attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourcesAt {
    /// A direct `/Resources` dictionary in each page.
    PageDirect,
    /// `/Resources` on the page is a reference, and its `/Font` is a reference too.
    PageIndirect,
    /// Pages have no `/Resources`; the page tree root has one by reference.
    InheritedIndirect,
}

/// Options of [`build_pdf`].
#[derive(Debug, Clone)]
pub struct PdfSpec {
    pub pages: usize,
    pub resources: ResourcesAt,
    /// `/Rotate` on the page tree root, inherited by every page.
    pub rotate: Option<i64>,
    /// Whether the first page's `/Contents` is an array of two streams.
    pub contents_array: bool,
    /// Whether the first page has no `/Contents` at all.
    pub no_contents: bool,
    /// Whether to save with a cross-reference stream and object streams
    /// (PDF 1.5) instead of a classic table.
    pub xref_stream: bool,
}

impl Default for PdfSpec {
    fn default() -> Self {
        Self {
            pages: 1,
            resources: ResourcesAt::PageDirect,
            rotate: None,
            contents_array: false,
            no_contents: false,
            xref_stream: false,
        }
    }
}

/// Builds a PDF whose pages show a line of Helvetica text through the font
/// resource `/F1`, and returns its bytes.
pub fn build_pdf(spec: &PdfSpec) -> Vec<u8> {
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(helvetica());

    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    let font_dictionary_id = document.add_object(fonts.clone());
    let mut resources = Dictionary::new();
    match spec.resources {
        ResourcesAt::PageIndirect => resources.set("Font", Object::Reference(font_dictionary_id)),
        _ => resources.set("Font", fonts),
    }
    let resources_id = document.add_object(resources.clone());

    let mut kids = Vec::new();
    for index in 0..spec.pages {
        let mut page = Dictionary::new();
        page.set("Type", name("Page"));
        page.set("Parent", Object::Reference(pages_id));
        match spec.resources {
            ResourcesAt::PageDirect => page.set("Resources", resources.clone()),
            ResourcesAt::PageIndirect => page.set("Resources", Object::Reference(resources_id)),
            ResourcesAt::InheritedIndirect => {}
        }

        let first = index == 0;
        if first && spec.no_contents {
            // No /Contents: an empty page.
        } else if first && spec.contents_array {
            let head = document.add_object(Stream::new(
                Dictionary::new(),
                b"0.9 g 0 0 100 100 re f\n".to_vec(),
            ));
            let body = document.add_object(Stream::new(Dictionary::new(), PAGE_CONTENT.to_vec()));
            page.set(
                "Contents",
                vec![Object::Reference(head), Object::Reference(body)],
            );
        } else {
            let content =
                document.add_object(Stream::new(Dictionary::new(), PAGE_CONTENT.to_vec()));
            page.set("Contents", Object::Reference(content));
        }
        kids.push(Object::Reference(document.add_object(page)));
    }

    let mut pages = Dictionary::new();
    pages.set("Type", name("Pages"));
    pages.set("Count", spec.pages as i64);
    pages.set("Kids", kids);
    pages.set("MediaBox", a4_box());
    if let Some(rotate) = spec.rotate {
        pages.set("Rotate", rotate);
    }
    if spec.resources == ResourcesAt::InheritedIndirect {
        pages.set("Resources", Object::Reference(resources_id));
    }
    document.objects.insert(pages_id, Object::Dictionary(pages));

    let mut catalog = Dictionary::new();
    catalog.set("Type", name("Catalog"));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = document.add_object(catalog);
    document.trailer.set("Root", Object::Reference(catalog_id));

    save(&mut document, spec.xref_stream)
}

pub fn save(document: &mut Document, xref_stream: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    if xref_stream {
        document
            .save_modern(&mut bytes)
            .expect("saving with an xref stream");
    } else {
        document.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        document
            .save_to(&mut bytes)
            .expect("saving with an xref table");
    }
    bytes
}

/// Returns the first page's id in a parsed document.
pub fn first_page(document: &Document) -> ObjectId {
    document
        .page_iter()
        .next()
        .expect("the document has a page")
}

/// Returns the content stream ids of `page`, from `/Contents` as a reference or an array.
pub fn content_ids(document: &Document, page: ObjectId) -> Vec<ObjectId> {
    document.get_page_contents(page)
}

/// Renders page 1 of `pdf` to PNG at `dpi` with pdftoppm, or returns `None`
/// after printing why the test is skipped when pdftoppm is not installed.
/// Panics instead when `ECERT_REQUIRE_TEST_SERVICES=1`.
pub fn render_first_page(pdf: &[u8], dpi: u32) -> Option<Vec<u8>> {
    let available = Command::new("pdftoppm").arg("-v").output().is_ok();
    if !available {
        let required = std::env::var(REQUIRE_SERVICES_VAR).is_ok_and(|value| value == "1");
        assert!(
            !required,
            "pdftoppm is not installed, and {REQUIRE_SERVICES_VAR}=1 requires it; install it with `apt-get install -y poppler-utils`"
        );
        eprintln!(
            "skipped: pdftoppm is not installed; install it with `apt-get install -y poppler-utils` to run this test, or set {REQUIRE_SERVICES_VAR}=1 to make its absence a failure"
        );
        return None;
    }

    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let input = dir.path().join("input.pdf");
    std::fs::write(&input, pdf).expect("writing the PDF");
    let prefix = dir.path().join("page");
    let output = Command::new("pdftoppm")
        .args([
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            &dpi.to_string(),
        ])
        .arg(&input)
        .arg(&prefix)
        .output()
        .expect("running pdftoppm");
    assert!(
        output.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        std::fs::read(Path::new(&format!("{}.png", prefix.display())))
            .expect("reading the rendered page"),
    )
}
