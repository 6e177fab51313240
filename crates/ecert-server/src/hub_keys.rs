//! The hub's own signing keys, used for hub attestations of unsigned
//! documents. Kept as private JWK files (mode 0600) in `{data dir}/hub-keys/`
//! and loaded by every node; the newest is used for signing, and older ones
//! stay published so earlier attestations still verify.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ecert_core::jose::{Algorithm, CompactJws, JoseError, PublicJwk, b64url};
use ed25519_dalek::{Signer as _, SigningKey};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum HubKeyError {
    #[error("cannot read or write hub keys in {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("hub key file {path} is invalid: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Serialize, Deserialize)]
struct PrivateJwkFile {
    kty: String,
    crv: String,
    x: String,
    d: String,
    created_at: String,
}

pub struct HubKey {
    pub kid: String,
    pub public: PublicJwk,
    signing: SigningKey,
}

/// The hub's keys, newest last.
pub struct HubKeys {
    keys: Vec<HubKey>,
}

impl HubKeys {
    /// Loads every key in `dir`, creating the directory (mode 0700) and a
    /// first key when there is none. Only the commands that attest documents
    /// (`serve`, `demo`) call it, so that a bootstrap command run before the
    /// keys are copied to a node does not leave a key of its own there.
    pub fn load_or_create(dir: &Path) -> Result<Self, HubKeyError> {
        create_private_dir(dir).map_err(|source| HubKeyError::Io { path: dir.to_path_buf(), source })?;
        let mut keys = Self::read_dir(dir)?;
        if keys.is_empty() {
            let key = Self::create(dir)?;
            tracing::info!(
                kid = %key.kid,
                dir = %dir.display(),
                "no hub key found; created a new one. Copy this directory to every other node before it starts"
            );
            keys.push(key);
        }
        log_loaded(dir, &keys);
        Ok(HubKeys { keys })
    }

    /// Loads every key in `dir` without creating a directory or key, for
    /// commands that never attest a document. A missing directory gives an
    /// empty set, which [`HubKeys::sign`] cannot use.
    pub fn load_existing(dir: &Path) -> Result<Self, HubKeyError> {
        let keys = if dir.exists() { Self::read_dir(dir)? } else { Vec::new() };
        log_loaded(dir, &keys);
        Ok(HubKeys { keys })
    }

    fn read_dir(dir: &Path) -> Result<Vec<HubKey>, HubKeyError> {
        let io = |source| HubKeyError::Io { path: dir.to_path_buf(), source };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jwk"))
            .collect();
        files.sort();
        files.iter().map(|path| Self::read(path)).collect()
    }

    /// Adds a new signing key; older keys keep verifying.
    pub fn rotate(dir: &Path) -> Result<String, HubKeyError> {
        create_private_dir(dir).map_err(|source| HubKeyError::Io { path: dir.to_path_buf(), source })?;
        let key = Self::create(dir)?;
        tracing::info!(kid = %key.kid, dir = %dir.display(), "created a new hub key");
        Ok(key.kid)
    }

    fn read(path: &Path) -> Result<HubKey, HubKeyError> {
        let invalid = |message: String| HubKeyError::Invalid { path: path.to_path_buf(), message };
        let text = std::fs::read_to_string(path).map_err(|source| HubKeyError::Io { path: path.to_path_buf(), source })?;
        let file: PrivateJwkFile = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let d: [u8; 32] = URL_SAFE_NO_PAD
            .decode(&file.d)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| invalid("d is not 32 bytes of base64url".into()))?;
        let signing = SigningKey::from_bytes(&d);
        let public = public_jwk(&signing);
        if public.x.as_deref() != Some(file.x.as_str()) {
            return Err(invalid("x does not match d".into()));
        }
        let kid = public.thumbprint().map_err(|e| invalid(e.to_string()))?;
        Ok(HubKey { kid, public, signing })
    }

    fn create(dir: &Path) -> Result<HubKey, HubKeyError> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let signing = SigningKey::from_bytes(&seed);
        let public = public_jwk(&signing);
        let kid = public.thumbprint().map_err(|e| HubKeyError::Invalid { path: dir.to_path_buf(), message: e.to_string() })?;
        let created_at = time::OffsetDateTime::now_utc();
        let file = PrivateJwkFile {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: public.x.clone().unwrap_or_default(),
            d: b64url(&seed),
            created_at: created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        };
        // File names sort by creation time, so the newest key loads last.
        let path = dir.join(format!("{}-{kid}.jwk", created_at.unix_timestamp_nanos()));
        write_private(&path, &serde_json::to_vec_pretty(&file).unwrap_or_default())
            .map_err(|source| HubKeyError::Io { path: path.clone(), source })?;
        Ok(HubKey { kid, public, signing })
    }

    /// Returns the newest key.
    ///
    /// NOTE: panics on a set from [`HubKeys::load_existing`] of an empty
    /// directory. Only `admin` commands load keys that way, and none of
    /// them attests a document.
    pub fn current(&self) -> &HubKey {
        self.keys.last().expect("no hub key is loaded: the hub was opened without creating one")
    }

    pub fn get(&self, kid: &str) -> Option<&HubKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub fn all(&self) -> &[HubKey] {
        &self.keys
    }

    /// Signs `payload` as a compact JWS with the current key.
    pub fn sign(&self, payload: &[u8], typ: &str) -> String {
        let key = self.current();
        let header = serde_json::json!({"alg": "EdDSA", "typ": typ, "kid": key.kid});
        let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
        let signature = key.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64url(&signature.to_bytes()))
    }

    /// Verifies a JWS made by [`HubKeys::sign`] with any hub key.
    pub fn verify(&self, jws: &str) -> Result<CompactJws, HubAttestationError> {
        let parsed = CompactJws::parse(jws).map_err(HubAttestationError::Jose)?;
        let kid = parsed.header.kid.clone().unwrap_or_default();
        let key = self.get(&kid).ok_or(HubAttestationError::UnknownKey(kid))?;
        if parsed.algorithm().map_err(HubAttestationError::Jose)? != Algorithm::EdDSA {
            return Err(HubAttestationError::Jose(JoseError::BadSignature));
        }
        parsed.verify(&key.public).map_err(HubAttestationError::Jose)?;
        Ok(parsed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubAttestationError {
    #[error("the attestation names hub key {0:?}, which this hub does not have")]
    UnknownKey(String),
    #[error(transparent)]
    Jose(JoseError),
}

/// Logs the ids of the loaded keys, so that nodes with different key sets
/// show it in their start logs.
fn log_loaded(dir: &Path, keys: &[HubKey]) {
    let kids: Vec<&str> = keys.iter().map(|key| key.kid.as_str()).collect();
    tracing::info!(dir = %dir.display(), count = kids.len(), kids = ?kids, "loaded hub keys");
}

/// Creates `dir` with mode 0700 on Unix, because it contains private keys. An
/// existing directory keeps its mode.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

fn public_jwk(signing: &SigningKey) -> PublicJwk {
    PublicJwk {
        kty: "OKP".into(),
        crv: Some("Ed25519".into()),
        x: Some(b64url(signing.verifying_key().as_bytes())),
        y: None,
        n: None,
        e: None,
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
