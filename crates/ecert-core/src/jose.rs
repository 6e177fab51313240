//! Compact JWS (RFC 7515) parsing and verification, and public JWKs (RFC 7517)
//! with their RFC 7638 thumbprints.
//!
//! The hub accepts EdDSA (Ed25519), ES256, ES384, RS256 and PS256. Every other
//! `alg`, including `none` and the HMAC family, is rejected as unsupported
//! before any key is looked at. ECDSA signatures count in both high-S and low-S
//! form, because the payload and not the signature bytes identifies a document.
//!
//! NOTE: this module is written on the RustCrypto primitives rather than on a
//! JWT crate, because the hub needs the raw payload bytes, the exact failure
//! (malformed, unsupported algorithm, wrong key type, bad signature) and no JWT
//! claim processing.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The signature algorithms the hub verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Algorithm {
    EdDSA,
    ES256,
    ES384,
    RS256,
    PS256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] =
        [Algorithm::EdDSA, Algorithm::ES256, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = JoseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JoseError::UnsupportedAlgorithm(s.to_owned()))
    }
}

/// Failure to parse or verify a JWS or a JWK.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    #[error("malformed JWS: {0}")]
    Malformed(String),
    #[error("unsupported algorithm {0:?}: the hub accepts EdDSA, ES256, ES384, RS256 and PS256")]
    UnsupportedAlgorithm(String),
    #[error("unsupported critical header parameter {0:?}: the hub understands no JWS extensions")]
    UnsupportedCritical(String),
    #[error("invalid JWK: {0}")]
    InvalidKey(String),
    #[error("a key of type {key} cannot verify {alg} signatures")]
    KeyAlgorithmMismatch { key: String, alg: Algorithm },
    #[error("the signature does not verify with this key")]
    BadSignature,
}

/// The protected header members the hub reads. Others are kept in
/// [`CompactJws::header_json`] and ignored unless listed in `crit`.
#[derive(Debug, Clone, Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub cty: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub crit: Option<Vec<String>>,
    #[serde(default)]
    pub x5c: Option<Vec<String>>,
}

/// A parsed compact JWS whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct CompactJws {
    pub header: JwsHeader,
    pub header_json: serde_json::Value,
    /// The decoded payload bytes: the identity of a submitted document.
    pub payload: Vec<u8>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes that were signed.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl CompactJws {
    /// Parses the three dot-separated parts. Rejects the JSON serializations,
    /// detached payloads, RFC 7797 unencoded payloads and any `crit` member.
    pub fn parse(text: &str) -> Result<Self, JoseError> {
        let text = text.trim();
        if text.starts_with('{') {
            return Err(JoseError::Malformed(
                "JSON serialization is not accepted; send the compact form header.payload.signature".into(),
            ));
        }
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(JoseError::Malformed(format!(
                "expected 3 parts separated by '.', found {}",
                parts.len()
            )));
        }
        let [header_b64, payload_b64, signature_b64] = [parts[0], parts[1], parts[2]];
        if payload_b64.is_empty() {
            return Err(JoseError::Malformed("the payload part is empty (detached payloads are not accepted)".into()));
        }

        let header_bytes = decode_part("header", header_b64)?;
        let header_json: serde_json::Value = serde_json::from_slice(&header_bytes)
            .map_err(|e| JoseError::Malformed(format!("the header is not JSON: {e}")))?;
        if !header_json.is_object() {
            return Err(JoseError::Malformed("the header is not a JSON object".into()));
        }
        let header: JwsHeader = serde_json::from_value(header_json.clone())
            .map_err(|e| JoseError::Malformed(format!("invalid header: {e}")))?;

        if let Some(crit) = &header.crit {
            let first = crit.first().cloned().unwrap_or_else(|| "(empty list)".into());
            return Err(JoseError::UnsupportedCritical(first));
        }
        if header_json.get("b64").is_some() {
            return Err(JoseError::UnsupportedCritical("b64".into()));
        }

        Ok(CompactJws {
            payload: decode_part("payload", payload_b64)?,
            signature: decode_part("signature", signature_b64)?,
            signing_input: format!("{header_b64}.{payload_b64}"),
            header,
            header_json,
        })
    }

    /// Returns the `alg` of the header, if the hub supports it.
    pub fn algorithm(&self) -> Result<Algorithm, JoseError> {
        self.header.alg.parse()
    }

    /// Verifies the signature with `key`, using the header's algorithm.
    pub fn verify(&self, key: &PublicJwk) -> Result<(), JoseError> {
        let alg = self.algorithm()?;
        key.verifier()?.verify(alg, self.signing_input.as_bytes(), &self.signature)
    }
}

fn decode_part(name: &str, part: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| JoseError::Malformed(format!("the {name} is not unpadded base64url: {e}")))
}

/// A public JWK of one of the key types the hub verifies. Private members
/// (`d`, `p`, `q` …) are rejected when a key is registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicJwk {
    /// `OKP`, `EC` or `RSA`.
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// Smallest RSA modulus accepted, in bits (NIST SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;

impl PublicJwk {
    /// Parses a JWK from JSON, rejecting private key members so that a
    /// private key sent by mistake is never stored.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, JoseError> {
        let object = value
            .as_object()
            .ok_or_else(|| JoseError::InvalidKey("a JWK is a JSON object".into()))?;
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            if object.contains_key(private) {
                return Err(JoseError::InvalidKey(format!(
                    "the JWK contains the private member {private:?}; send only the public key"
                )));
            }
        }
        if let Some(key_use) = object.get("use")
            && key_use != "sig"
        {
            return Err(JoseError::InvalidKey(format!("the JWK has \"use\": {key_use}; a signing key needs \"sig\" or no use")));
        }
        if let Some(ops) = object.get("key_ops")
            && !ops.as_array().is_some_and(|ops| ops.iter().any(|op| op == "verify"))
        {
            return Err(JoseError::InvalidKey("the JWK's key_ops do not include \"verify\"".into()));
        }
        let jwk: PublicJwk = serde_json::from_value(value.clone())
            .map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        jwk.verifier()?;
        Ok(jwk)
    }

    /// Computes the RFC 7638 thumbprint: SHA-256 over the required members in
    /// lexicographic order without whitespace, base64url without padding.
    pub fn thumbprint(&self) -> Result<String, JoseError> {
        let missing = |m: &str| JoseError::InvalidKey(format!("missing member {m:?}"));
        let canonical = match self.kty.as_str() {
            "OKP" => serde_json::json!({
                "crv": self.crv.as_ref().ok_or_else(|| missing("crv"))?,
                "kty": "OKP",
                "x": self.x.as_ref().ok_or_else(|| missing("x"))?,
            }),
            "EC" => serde_json::json!({
                "crv": self.crv.as_ref().ok_or_else(|| missing("crv"))?,
                "kty": "EC",
                "x": self.x.as_ref().ok_or_else(|| missing("x"))?,
                "y": self.y.as_ref().ok_or_else(|| missing("y"))?,
            }),
            "RSA" => serde_json::json!({
                "e": self.e.as_ref().ok_or_else(|| missing("e"))?,
                "kty": "RSA",
                "n": self.n.as_ref().ok_or_else(|| missing("n"))?,
            }),
            other => return Err(JoseError::InvalidKey(format!("unsupported key type {other:?}"))),
        };
        // serde_json writes object members in insertion order (feature
        // `preserve_order`), and they were inserted sorted above.
        let text = serde_json::to_string(&canonical).map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes())))
    }

    /// Returns the algorithms this key can verify.
    pub fn algorithms(&self) -> &'static [Algorithm] {
        match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => &[Algorithm::EdDSA],
            ("EC", Some("P-256")) => &[Algorithm::ES256],
            ("EC", Some("P-384")) => &[Algorithm::ES384],
            ("RSA", _) => &[Algorithm::RS256, Algorithm::PS256],
            _ => &[],
        }
    }

    /// Builds the verifying key, checking that the members form a valid key.
    pub fn verifier(&self) -> Result<Verifier, JoseError> {
        let member = |name: &str, value: &Option<String>| -> Result<Vec<u8>, JoseError> {
            let text = value
                .as_deref()
                .ok_or_else(|| JoseError::InvalidKey(format!("missing member {name:?}")))?;
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| JoseError::InvalidKey(format!("member {name:?} is not unpadded base64url")))
        };
        let invalid = |what: &str| JoseError::InvalidKey(what.to_owned());

        match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => {
                let x: [u8; 32] = member("x", &self.x)?
                    .try_into()
                    .map_err(|_| invalid("an Ed25519 x is 32 bytes"))?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| invalid("x is not a valid Ed25519 public key"))?;
                if key.is_weak() {
                    return Err(invalid("x is a small-order Ed25519 point"));
                }
                Ok(Verifier::Ed25519(key))
            }
            ("EC", Some(curve @ ("P-256" | "P-384"))) => {
                let x = member("x", &self.x)?;
                let y = member("y", &self.y)?;
                let size = if curve == "P-256" { 32 } else { 48 };
                if x.len() != size || y.len() != size {
                    return Err(JoseError::InvalidKey(format!("{curve} coordinates are {size} bytes each")));
                }
                let mut sec1 = Vec::with_capacity(1 + 2 * size);
                sec1.push(0x04);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                if curve == "P-256" {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                        .map(Verifier::P256)
                        .map_err(|_| invalid("the point is not on curve P-256"))
                } else {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                        .map(Verifier::P384)
                        .map_err(|_| invalid("the point is not on curve P-384"))
                }
            }
            ("OKP" | "EC", crv) => Err(JoseError::InvalidKey(format!(
                "unsupported curve {}: the hub accepts Ed25519, P-256 and P-384",
                crv.unwrap_or("(none)")
            ))),
            ("RSA", _) => {
                let n = member("n", &self.n)?;
                let e = member("e", &self.e)?;
                let n = rsa::BoxedUint::from_be_slice_vartime(&n);
                let e = rsa::BoxedUint::from_be_slice_vartime(&e);
                let key = rsa::PublicKey::new(n, e).map_err(|err| JoseError::InvalidKey(format!("invalid RSA key: {err}")))?;
                // The bit length of the modulus itself. `n_bits_precision` is the
                // storage width, rounded up to whole limbs and counting leading
                // zero bytes of the encoding, so it overstates short moduli.
                let bits = rsa::traits::PublicKeyParts::n(&key).bit_width_vartime() as usize;
                if bits < MIN_RSA_BITS {
                    return Err(JoseError::InvalidKey(format!(
                        "the RSA modulus has {bits} bits; at least {MIN_RSA_BITS} are required"
                    )));
                }
                Ok(Verifier::Rsa(Box::new(key)))
            }
            (other, _) => Err(JoseError::InvalidKey(format!(
                "unsupported key type {other:?}: the hub accepts OKP (Ed25519), EC (P-256, P-384) and RSA"
            ))),
        }
    }
}

/// A public key ready to verify signatures.
#[derive(Debug, Clone)]
pub enum Verifier {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(Box<rsa::PublicKey>),
}

impl Verifier {
    fn key_type(&self) -> &'static str {
        match self {
            Verifier::Ed25519(_) => "Ed25519",
            Verifier::P256(_) => "P-256",
            Verifier::P384(_) => "P-384",
            Verifier::Rsa(_) => "RSA",
        }
    }

    /// Verifies `signature` over `message` with `alg`, which must suit the key.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        use ed25519_dalek::Verifier as _;

        let bad = |_| JoseError::BadSignature;
        match (self, alg) {
            (Verifier::Ed25519(key), Algorithm::EdDSA) => {
                let signature = ed25519_dalek::Signature::from_slice(signature).map_err(bad)?;
                key.verify_strict(message, &signature).map_err(bad)
            }
            (Verifier::P256(key), Algorithm::ES256) => {
                let signature = p256::ecdsa::Signature::from_slice(signature).map_err(bad)?;
                key.verify(message, &signature.normalize_s()).map_err(bad)
            }
            (Verifier::P384(key), Algorithm::ES384) => {
                let signature = p384::ecdsa::Signature::from_slice(signature).map_err(bad)?;
                key.verify(message, &signature.normalize_s()).map_err(bad)
            }
            (Verifier::Rsa(key), Algorithm::RS256) => {
                let signature = rsa::pkcs1v15::Signature::try_from(signature).map_err(bad)?;
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new((**key).clone())
                    .verify(message, &signature)
                    .map_err(bad)
            }
            (Verifier::Rsa(key), Algorithm::PS256) => {
                let signature = rsa::pss::Signature::try_from(signature).map_err(bad)?;
                rsa::pss::VerifyingKey::<sha2::Sha256>::new((**key).clone())
                    .verify(message, &signature)
                    .map_err(bad)
            }
            (verifier, alg) => Err(JoseError::KeyAlgorithmMismatch { key: verifier.key_type().into(), alg }),
        }
    }
}

/// Encodes bytes as unpadded base64url, the encoding of every JWS part.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 section 3.1 example key and its published thumbprint.
    #[test]
    fn thumbprint_matches_rfc7638_example() {
        let jwk = PublicJwk {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
        };
        assert_eq!(jwk.thumbprint().unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn rejects_private_members() {
        let value = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
        assert!(matches!(PublicJwk::from_json(&value), Err(JoseError::InvalidKey(_))));
    }

    #[test]
    fn rejects_unsupported_algorithms_by_name() {
        for alg in ["none", "HS256", "ES512", "RS384", "PS512", "ES256K", "eddsa"] {
            assert_eq!(alg.parse::<Algorithm>(), Err(JoseError::UnsupportedAlgorithm(alg.into())));
        }
    }

    /// The size rule counts the bits of the modulus, not the width of its
    /// encoding or of the integer storage, which rounds up to whole limbs.
    #[test]
    fn rejects_rsa_modulus_below_minimum_bits() {
        let rsa_jwk = |n: &[u8]| PublicJwk {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some(b64url(n)),
            e: Some("AQAB".into()),
        };
        let modulus_2040_bits = [0xff; 255];
        let mut modulus_1024_bits_zero_padded = vec![0x00; 128];
        modulus_1024_bits_zero_padded.extend([0xff; 128]);

        let too_small =
            [("2040-bit", &modulus_2040_bits[..]), ("zero-padded 1024-bit", &modulus_1024_bits_zero_padded)];
        for (name, n) in too_small {
            let result = rsa_jwk(n).verifier().map(|_| "accepted");
            assert!(matches!(result, Err(JoseError::InvalidKey(_))), "{name} modulus: got {result:?}");
        }
        assert!(rsa_jwk(&[0xff; 256]).verifier().is_ok(), "2048-bit modulus");
    }

    #[test]
    fn parse_rejects_wrong_part_count() {
        assert!(matches!(CompactJws::parse("a.b"), Err(JoseError::Malformed(_))));
        assert!(matches!(CompactJws::parse("a.b.c.d"), Err(JoseError::Malformed(_))));
    }
}
