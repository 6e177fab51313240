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
    /// Loads every key in `dir`, creating a first key when there is none.
    pub fn load_or_create(dir: &Path) -> Result<Self, HubKeyError> {
        let io = |source| HubKeyError::Io { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jwk"))
            .collect();
        files.sort();

        let mut keys = Vec::new();
        for path in files {
            keys.push(Self::read(&path)?);
        }
        if keys.is_empty() {
            keys.push(Self::create(dir)?);
        }
        Ok(HubKeys { keys })
    }

    /// Adds a new signing key; older keys keep verifying.
    pub fn rotate(dir: &Path) -> Result<String, HubKeyError> {
        Ok(Self::create(dir)?.kid)
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

    pub fn current(&self) -> &HubKey {
        // `load_or_create` guarantees at least one key.
        self.keys.last().expect("hub keys are never empty")
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
