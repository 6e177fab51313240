//! `ecert-hub migrate`, `export` and `import`: prepare a database, and move
//! a whole hub (every table, every document file, the hub's keys) between
//! SQLite and PostgreSQL through one archive file.
//!
//! The archive is JSON Lines: one JSON object per line, distinguished by
//! their `type` member.
//!
//! 1. `header`: the archive format and version, the snapshot digest, the
//!    source backend, the number of blob and hub key lines that follow, and
//!    the referenced files the source blob store did not have.
//! 2. `snapshot`: every row of every table ([`ecert_store::Snapshot`]).
//! 3. `blob` lines: `{sha256, base64}`, one per document file (original or
//!    stamped) that the source blob store holds.
//! 4. `hub_key` lines: `{file_name, jwk}`, the hub's private attestation
//!    keys. They are secrets, so the header says so and the file is created
//!    with mode 0600.
//!
//! The digest and the blob hashes detect a corrupted or edited archive, but
//! anyone who can write the file can also recompute them. Protect the
//! archive like the data directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clap::Args;
use ecert_store::{Snapshot, Store};
use ecert_store::blob::{BlobStore, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::NodeArgs;
use crate::node::{self, HUB_KEYS_DIR, OpenMode};

/// Value of the header's `format` member.
pub const ARCHIVE_FORMAT: &str = "ecert-hub-archive";
/// Version of the archive layout that this build writes and reads. Version
/// 2 carries snapshot format 2 (disabled users and the HS catalog).
pub const ARCHIVE_VERSION: u32 = 2;

#[derive(Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Archive file to create, with mode 0600 because it contains the hub's
    /// private keys. An existing file is not overwritten.
    #[arg(long = "out", value_name = "FILE")]
    out: PathBuf,
    /// Write the archive even when the blob store lacks files of documents
    /// whose country keeps files at the hub (data policy `full`). The
    /// archive lists them as missing, and the target hub will not have them.
    #[arg(long)]
    allow_missing_files: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Archive file written by `ecert-hub export`.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Import an archive that lists files of documents with data policy
    /// `full` as missing, which `export --allow-missing-files` writes. The
    /// target hub will not have those files.
    #[arg(long)]
    allow_missing_files: bool,
}

/// One line of the archive.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header(Header),
    Snapshot { snapshot: Box<Snapshot> },
    Blob { sha256: String, base64: String },
    HubKey { file_name: String, jwk: Value },
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    /// [`Snapshot::digest`] of the snapshot line.
    snapshot_digest: String,
    /// `sqlite` or `postgres`, with its schema version; for information only.
    source_backend: String,
    source_schema_version: i64,
    exported_at: String,
    /// Rows per table; for information only, the digest covers them.
    rows: BTreeMap<String, usize>,
    /// Number of `blob` lines.
    blob_count: usize,
    /// Files that documents refer to but the source blob store did not have,
    /// such as files of `metadata_only` countries, which stay in the
    /// national system.
    missing_blobs: Vec<String>,
    /// Number of `hub_key` lines.
    hub_key_count: usize,
    /// True when the archive contains private keys.
    contains_secrets: bool,
}

/// A private JWK file of `{data dir}/hub-keys`.
struct HubKeyFile {
    file_name: String,
    jwk: Value,
}

impl HubKeyFile {
    /// Returns the public and private key members `x` and `d`, which
    /// identify the key whatever its file name.
    fn key_pair(&self) -> (String, String) {
        let member = |name: &str| self.jwk[name].as_str().unwrap_or_default().to_owned();
        (member("x"), member("d"))
    }
}

/// Applies pending migrations and prints the schema version.
pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let node = &args.node;
    if node.database_url().is_none() {
        node::create_private_dir(&node.data_dir)
            .with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", node.data_dir.display()))?;
    }
    let store = node::open_store(node, OpenMode::CreateDatabase).await?;
    let version = store.schema_version().await.context("cannot read the schema version");
    let version = node::finish(&*store, version).await?;
    tracing::info!(backend = backend_name(node), schema_version = version, "database schema is up to date");
    println!("{version}");
    Ok(())
}

/// Writes the archive and prints the snapshot digest.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let store = node::open_store(&args.node, OpenMode::Existing).await?;
    let outcome = export_from(&args, &*store).await;
    node::finish(&*store, outcome).await
}

async fn export_from(args: &ExportArgs, store: &dyn Store) -> anyhow::Result<()> {
    let node = &args.node;
    let blobs = node::open_blobs(node)?;
    let hub_keys = read_hub_keys(&node.data_dir.join(HUB_KEYS_DIR))?;
    if hub_keys.is_empty() {
        tracing::warn!(
            dir = %node.data_dir.join(HUB_KEYS_DIR).display(),
            "no hub keys found; the hub attestations of the exported documents will not verify on the target"
        );
    }

    let snapshot = store.export_snapshot().await.context("cannot read the database")?;
    let digest = snapshot.digest();
    let mut present = Vec::new();
    let mut missing_blobs = Vec::new();
    for sha256 in snapshot.referenced_blobs() {
        let exists = blobs
            .exists(&sha256)
            .await
            .with_context(|| format!("cannot look up blob {sha256} in {}", node::describe_blobs(node)))?;
        if exists {
            present.push(sha256);
        } else {
            missing_blobs.push(sha256);
        }
    }
    check_missing_files(&snapshot, &missing_blobs, args.allow_missing_files, || {
        format!(
            "{}. Check that ECERT_BLOB_URL (--blob-url) names the blob store of the source hub, \
             or pass --allow-missing-files to export without these files",
            node::describe_blobs(node)
        )
    })?;

    let header = Header {
        format: ARCHIVE_FORMAT.into(),
        version: ARCHIVE_VERSION,
        snapshot_digest: digest.clone(),
        source_backend: backend_name(node).into(),
        source_schema_version: store.schema_version().await.context("cannot read the schema version")?,
        exported_at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
        rows: snapshot.row_counts().into_iter().map(|(table, rows)| (table.to_owned(), rows)).collect(),
        blob_count: present.len(),
        missing_blobs,
        hub_key_count: hub_keys.len(),
        contains_secrets: !hub_keys.is_empty(),
    };
    let blob_count = present.len();
    let key_count = hub_keys.len();
    let file = create_private_new(&args.out)?;
    let written = write_archive(file, header, snapshot, present, hub_keys, blobs.as_ref()).await;
    if let Err(error) = written {
        // A partial archive must not be mistaken for a complete one.
        if let Err(remove_error) = std::fs::remove_file(&args.out) {
            tracing::error!(file = %args.out.display(), error = %remove_error, "cannot remove the partial archive; delete it by hand");
        }
        return Err(error.context(format!("cannot write the archive {}", args.out.display())));
    }

    tracing::info!(file = %args.out.display(), blobs = blob_count, hub_keys = key_count, digest = %digest, "exported the hub");
    println!("{digest}");
    Ok(())
}

/// Checks the files that documents refer to but that are not available.
/// Files of documents whose country has data policy `metadata_only` are
/// expected to be missing, because they stay in the national system. Any
/// other missing file fails the command unless `allow` is set, with a
/// message that ends with `fix()`.
fn check_missing_files(snapshot: &Snapshot, missing: &[String], allow: bool, fix: impl FnOnce() -> String) -> anyhow::Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    let metadata_only: BTreeSet<&str> = snapshot
        .countries
        .iter()
        .filter(|country| country.data_policy == "metadata_only")
        .map(|country| country.code.as_str())
        .collect();
    let kept_at_hub: BTreeSet<&str> = snapshot
        .documents
        .iter()
        .filter(|document| !metadata_only.contains(document.country.as_str()))
        .flat_map(|document| [document.file_sha256.as_deref(), document.stamped_sha256.as_deref()])
        .flatten()
        .collect();
    let unexpected = missing.iter().filter(|sha256| kept_at_hub.contains(sha256.as_str())).count();
    let expected = missing.len() - unexpected;
    if expected > 0 {
        tracing::info!(count = expected, "files of documents of metadata_only countries are not at the hub and are listed as missing");
    }
    if unexpected == 0 {
        return Ok(());
    }
    if !allow {
        bail!("{unexpected} document file(s) of countries with data policy `full` are missing from {}", fix());
    }
    tracing::warn!(
        count = unexpected,
        "document files of countries with data policy `full` are missing; continuing because of --allow-missing-files"
    );
    Ok(())
}

async fn write_archive(
    file: std::fs::File,
    header: Header,
    snapshot: Snapshot,
    blob_ids: Vec<String>,
    hub_keys: Vec<HubKeyFile>,
    blobs: &dyn BlobStore,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(file);
    write_line(&mut out, &Line::Header(header))?;
    write_line(&mut out, &Line::Snapshot { snapshot: Box::new(snapshot) })?;
    for sha256 in blob_ids {
        let bytes = blobs.get(&sha256).await.with_context(|| format!("cannot read blob {sha256}"))?;
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            bail!("blob {sha256} in the blob store is corrupt: its bytes have SHA-256 {actual}");
        }
        write_line(&mut out, &Line::Blob { sha256, base64: STANDARD.encode(&bytes) })?;
    }
    for key in hub_keys {
        write_line(&mut out, &Line::HubKey { file_name: key.file_name, jwk: key.jwk })?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

fn write_line(out: &mut impl std::io::Write, line: &Line) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Creates `path` for writing with mode 0600 on Unix, failing if it exists.
fn create_private_new(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("{} already exists; choose another --out file or remove it first", path.display())
        } else {
            anyhow::Error::new(error).context(format!("cannot create {}", path.display()))
        }
    })
}

/// A fully read and checked archive, apart from the blob bytes, which are
/// read again when they are written.
struct CheckedArchive {
    header: Header,
    snapshot: Snapshot,
    hub_keys: Vec<HubKeyFile>,
}

/// Loads an archive into the node's empty database, blob store and hub key
/// directory, and prints the snapshot digest. Every check runs before the
/// first write.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let node = &args.node;

    // 1. Read and check the whole archive and the target's hub keys.
    let archive = read_archive(&args.input)?;
    let keys_dir = node.data_dir.join(HUB_KEYS_DIR);
    let existing_keys = read_hub_keys(&keys_dir)?;
    let write_keys = check_hub_keys(&keys_dir, &existing_keys, &archive.hub_keys)?;

    check_missing_files(&archive.snapshot, &archive.header.missing_blobs, args.allow_missing_files, || {
        format!(
            "the archive {}, because the blob store of the source hub did not have them when it was exported. \
             Export again with the source hub's ECERT_BLOB_URL, or pass --allow-missing-files to import without these files",
            args.input.display()
        )
    })?;

    // 2. Open the target and reject a database that has rows. Every write
    //    through the store appends an event, so an empty event log is a
    //    cheap first check. The import repeats the check on every table
    //    inside its transaction.
    node::create_private_dir(&node.data_dir)
        .with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", node.data_dir.display()))?;
    let store = node::open_store(node, OpenMode::CreateDatabase).await?;
    let outcome = import_into(&args, &*store, archive, &keys_dir, write_keys).await;
    node::finish(&*store, outcome).await
}

/// Steps 2 to 6 of [`import`], on the opened target database.
async fn import_into(
    args: &ImportArgs,
    store: &dyn Store,
    archive: CheckedArchive,
    keys_dir: &Path,
    write_keys: bool,
) -> anyhow::Result<()> {
    let node = &args.node;
    if !store.list_events(None, 0, 1).await.context("cannot read the target database")?.is_empty() {
        bail!(
            "the target database is not empty: its event log has entries; import into a new, empty database \
             (for SQLite a new --data-dir, for PostgreSQL a new database in --database-url)"
        );
    }

    // 3. Document files. They are stored under their SHA-256, so files
    //    left behind by a failed import are harmless and reused by the next.
    let blobs = node::open_blobs(node)?;
    let blob_count = write_blobs(&args.input, blobs).await?;

    // 4. Hub keys, removed again if the database import fails.
    let written_keys = if write_keys { write_hub_keys(keys_dir, &archive.hub_keys)? } else { Vec::new() };

    // 5. The database, in one transaction.
    if let Err(error) = store.import_snapshot(&archive.snapshot).await {
        for path in &written_keys {
            if let Err(remove_error) = std::fs::remove_file(path) {
                tracing::error!(file = %path.display(), error = %remove_error, "cannot remove an imported hub key after the failed import; delete it by hand");
            }
        }
        return Err(anyhow::Error::new(error).context("cannot import the snapshot into the target database"));
    }

    // 6. Read the target back, so that the printed digest describes what
    //    the target database holds, not what the archive promised.
    let digest = store.export_snapshot().await.context("cannot read the target database back after the import")?.digest();
    if digest != archive.header.snapshot_digest {
        bail!(
            "the target database contains content with digest {digest} after the import, but the archive's digest is {}; \
             do not start nodes on this target",
            archive.header.snapshot_digest
        );
    }
    tracing::info!(
        file = %args.input.display(),
        blobs = blob_count,
        missing_files = archive.header.missing_blobs.len(),
        hub_keys_written = written_keys.len(),
        digest = %digest,
        "imported the hub"
    );
    println!("{digest}");
    Ok(())
}

/// Reads every line of the archive and checks it: the header's format, the
/// snapshot's validity and digest, every blob's SHA-256, the hub keys, and
/// that no line is missing or repeated.
fn read_archive(path: &Path) -> anyhow::Result<CheckedArchive> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open the archive {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut text = String::new();
    let next_line = |reader: &mut BufReader<std::fs::File>, text: &mut String| -> anyhow::Result<bool> {
        text.clear();
        let read = reader.read_line(text).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(read > 0)
    };

    // The header is read as plain JSON first, so that a file of another
    // format or version gets a message about that rather than a parse error.
    if !next_line(&mut reader, &mut text)? {
        bail!("{} is empty; expected an archive written by `ecert-hub export`", path.display());
    }
    let first: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an ecert-hub archive: line 1 is not JSON", path.display()))?;
    if first["type"] != "header" || first["format"] != ARCHIVE_FORMAT {
        bail!("{} is not an ecert-hub archive: line 1 is not a header of format {ARCHIVE_FORMAT}", path.display());
    }
    if first["version"] != ARCHIVE_VERSION {
        bail!(
            "{} has archive version {}, but this ecert-hub reads version {ARCHIVE_VERSION}; import it with a matching release",
            path.display(),
            first["version"]
        );
    }
    let Line::Header(header) = serde_json::from_value(first).context("the archive header is invalid")? else {
        bail!("the archive header is invalid");
    };

    if !next_line(&mut reader, &mut text)? {
        bail!("the archive is truncated: it ends after the header");
    }
    let Line::Snapshot { snapshot } = serde_json::from_str(&text).context("line 2 of the archive is not a valid snapshot")? else {
        bail!("line 2 of the archive is not the snapshot");
    };
    snapshot.validate().context("the archive's snapshot is invalid")?;
    let digest = snapshot.digest();
    if digest != header.snapshot_digest {
        bail!(
            "the archive is corrupt: its snapshot has digest {digest}, but the header records {}",
            header.snapshot_digest
        );
    }

    let referenced: BTreeSet<String> = snapshot.referenced_blobs().into_iter().collect();
    let mut seen_blobs = BTreeSet::new();
    let mut hub_keys = Vec::new();
    let mut line_number = 2;
    while next_line(&mut reader, &mut text)? {
        line_number += 1;
        match serde_json::from_str(&text).with_context(|| format!("line {line_number} of the archive is invalid"))? {
            Line::Blob { sha256, base64 } => {
                check_blob(&sha256, &base64, &referenced).with_context(|| format!("line {line_number} of the archive"))?;
                if !seen_blobs.insert(sha256.clone()) {
                    bail!("line {line_number} of the archive repeats blob {sha256}");
                }
            }
            Line::HubKey { file_name, jwk } => {
                let key = HubKeyFile { file_name, jwk };
                check_hub_key(&key).with_context(|| format!("line {line_number} of the archive"))?;
                hub_keys.push(key);
            }
            Line::Header(_) | Line::Snapshot { .. } => {
                bail!("line {line_number} of the archive is a second header or snapshot");
            }
        }
    }

    if seen_blobs.len() != header.blob_count || hub_keys.len() != header.hub_key_count {
        bail!(
            "the archive is truncated or edited: it has {} blob and {} hub key lines, but the header announces {} and {}",
            seen_blobs.len(),
            hub_keys.len(),
            header.blob_count,
            header.hub_key_count
        );
    }
    let missing: BTreeSet<&String> = header.missing_blobs.iter().collect();
    if let Some(absent) = referenced.iter().find(|sha| !seen_blobs.contains(*sha) && !missing.contains(sha)) {
        bail!("the archive is incomplete: documents refer to blob {absent}, which it neither contains nor lists as missing");
    }
    Ok(CheckedArchive { header, snapshot: *snapshot, hub_keys })
}

fn check_blob(sha256: &str, base64: &str, referenced: &BTreeSet<String>) -> anyhow::Result<()> {
    if !referenced.contains(sha256) {
        bail!("blob {sha256:?} is not a file of any document in the snapshot");
    }
    let bytes = STANDARD.decode(base64).with_context(|| format!("blob {sha256} is not valid base64"))?;
    let actual = sha256_hex(&bytes);
    if actual != sha256 {
        bail!("the archive is corrupt: blob {sha256} has bytes with SHA-256 {actual}");
    }
    Ok(())
}

/// Writes every blob line of the archive to the blob store and returns how
/// many it wrote.
async fn write_blobs(path: &Path, blobs: Arc<dyn BlobStore>) -> anyhow::Result<usize> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open the archive {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut text = String::new();
    let mut count = 0;
    let mut line_number = 0;
    loop {
        text.clear();
        if reader.read_line(&mut text).with_context(|| format!("cannot read {}", path.display()))? == 0 {
            return Ok(count);
        }
        line_number += 1;
        // Lines 1 and 2 (header and snapshot) were checked already.
        if line_number <= 2 {
            continue;
        }
        if let Line::Blob { sha256, base64 } = serde_json::from_str(&text)? {
            let bytes = STANDARD.decode(base64)?;
            let stored = blobs.put(&bytes).await.with_context(|| format!("cannot store blob {sha256}"))?;
            if stored != sha256 {
                bail!("the archive changed while it was imported: blob {sha256} now has SHA-256 {stored}");
            }
            count += 1;
        }
    }
}

/// Reads the private JWK files of a hub key directory, sorted by file name.
/// A missing directory has no keys.
fn read_hub_keys(dir: &Path) -> anyhow::Result<Vec<HubKeyFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(anyhow::Error::new(error).context(format!("cannot read {}", dir.display()))),
    };
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot read {}", dir.display()))?.path();
        if path.extension().is_none_or(|extension| extension != "jwk") {
            continue;
        }
        let text = std::fs::read(&path).with_context(|| format!("cannot read hub key {}", path.display()))?;
        let jwk: Value = serde_json::from_slice(&text).with_context(|| format!("hub key {} is not JSON", path.display()))?;
        let file_name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
        keys.push(HubKeyFile { file_name, jwk });
    }
    keys.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(keys)
}

/// Checks that a hub key line names a plain `.jwk` file and contains an
/// Ed25519 private key whose public part `x` matches `d`.
fn check_hub_key(key: &HubKeyFile) -> anyhow::Result<()> {
    let name = &key.file_name;
    let plain = !name.starts_with('.')
        && name.ends_with(".jwk")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !plain {
        bail!("hub key file name {name:?} is invalid; expected letters, digits, '-', '_' or '.' ending in .jwk");
    }
    if key.jwk["kty"] != "OKP" || key.jwk["crv"] != "Ed25519" {
        bail!("hub key {name} is not an Ed25519 key (kty OKP, crv Ed25519)");
    }
    let (x, d) = key.key_pair();
    let seed: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&d)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .with_context(|| format!("hub key {name}: d is not 32 bytes of base64url"))?;
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    if ecert_core::jose::b64url(public.as_bytes()) != x {
        bail!("hub key {name}: x does not match d");
    }
    Ok(())
}

/// Decides whether the archive's hub keys must be written: yes when the
/// target has none, no when it has exactly the same keys, and an error when
/// it has other keys.
fn check_hub_keys(dir: &Path, existing: &[HubKeyFile], imported: &[HubKeyFile]) -> anyhow::Result<bool> {
    if existing.is_empty() {
        if imported.is_empty() {
            tracing::warn!("the archive has no hub keys; the node will create a new one, and hub attestations of the imported documents will not verify");
        }
        return Ok(!imported.is_empty());
    }
    let existing_pairs: BTreeSet<(String, String)> = existing.iter().map(HubKeyFile::key_pair).collect();
    let imported_pairs: BTreeSet<(String, String)> = imported.iter().map(HubKeyFile::key_pair).collect();
    if existing_pairs != imported_pairs {
        bail!(
            "{} already holds {} hub key(s) that differ from the {} in the archive; import into a data directory \
             without hub keys, or remove {} if a node created those keys before the import",
            dir.display(),
            existing.len(),
            imported.len(),
            dir.display()
        );
    }
    Ok(false)
}

/// Writes the hub key files with mode 0600 and returns their paths.
fn write_hub_keys(dir: &Path, keys: &[HubKeyFile]) -> anyhow::Result<Vec<PathBuf>> {
    node::create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for key in keys {
        let path = dir.join(&key.file_name);
        let bytes = serde_json::to_vec_pretty(&key.jwk)?;
        node::write_private(&path, &bytes).with_context(|| format!("cannot write hub key {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn backend_name(node: &NodeArgs) -> &'static str {
    match node.database_url().and_then(|url| url.split_once("://")).map(|(scheme, _)| scheme) {
        Some(scheme) if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") => "postgres",
        _ => "sqlite",
    }
}
