//! Key generation and signing for tests and integration work. A national
//! system signs with its own tooling; these commands let an integrator try
//! the API before that exists.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, ValueEnum};
use ecert_core::jose::{PublicJwk, b64url};
use rand::RngCore as _;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeyAlgorithm {
    /// Ed25519 (JWS alg EdDSA).
    Ed25519,
    /// P-256 (JWS alg ES256).
    Es256,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    #[arg(long, value_enum, default_value = "ed25519")]
    algorithm: KeyAlgorithm,
    /// Path of the private JWK to write (mode 0600). The public JWK goes to
    /// the same name with `.pub.jwk`, and its kid is printed.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Private JWK written by `keygen`.
    #[arg(long)]
    key: PathBuf,
    /// Credential JSON to sign; the JWS is printed on stdout.
    credential: PathBuf,
    /// Sign even when the credential fails the hub's validation (to test rejections).
    #[arg(long)]
    force: bool,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let (private, public) = match args.algorithm {
        KeyAlgorithm::Ed25519 => {
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let x = b64url(key.verifying_key().as_bytes());
            (
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "d": b64url(&seed)}),
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
            )
        }
        KeyAlgorithm::Es256 => {
            let key = p256::ecdsa::SigningKey::from_slice(&seed).context("random scalar out of range; run keygen again")?;
            let point = key.verifying_key().to_sec1_point(false);
            let bytes = point.as_bytes();
            let (x, y) = (b64url(&bytes[1..33]), b64url(&bytes[33..65]));
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "d": b64url(&seed)}),
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
            )
        }
    };
    let kid = PublicJwk::from_json(&public)?.thumbprint()?;
    write_private(&args.out, &serde_json::to_vec_pretty(&private)?)?;
    let public_path = args.out.with_extension("pub.jwk");
    std::fs::write(&public_path, serde_json::to_vec_pretty(&public)?)
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    println!("{kid}");
    eprintln!("private key: {}\npublic key:  {}", args.out.display(), public_path.display());
    Ok(())
}

pub fn sign(args: SignArgs) -> anyhow::Result<()> {
    let jwk: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&args.key).with_context(|| format!("cannot read key {}", args.key.display()))?,
    )
    .context("the key file is not JSON")?;
    let payload = std::fs::read(&args.credential).with_context(|| format!("cannot read {}", args.credential.display()))?;
    let credential: serde_json::Value = serde_json::from_slice(&payload).context("the credential is not JSON")?;
    if let Err(errors) = ecert_core::document::parse_credential(&credential) {
        for e in &errors {
            eprintln!("{}: {} {}", if args.force { "warning" } else { "error" }, e.field, e.message);
        }
        if !args.force {
            bail!("the credential is invalid and the hub would reject it; fix the fields above, or pass --force to sign it anyway");
        }
    }
    let d = jwk["d"].as_str().context("the key has no private member d")?;
    let d = URL_SAFE_NO_PAD.decode(d).context("d is not base64url")?;
    let mut public = jwk.clone();
    if let Some(object) = public.as_object_mut() {
        object.remove("d");
    }
    let kid = PublicJwk::from_json(&public)?.thumbprint()?;

    let alg = match (jwk["kty"].as_str(), jwk["crv"].as_str()) {
        (Some("OKP"), Some("Ed25519")) => "EdDSA",
        (Some("EC"), Some("P-256")) => "ES256",
        _ => bail!("only Ed25519 and P-256 keys can sign here"),
    };
    let header = serde_json::json!({"alg": alg, "typ": "vc+jwt", "kid": kid});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(&payload));
    let signature = match alg {
        "EdDSA" => {
            use ed25519_dalek::Signer as _;
            let seed: [u8; 32] = d.try_into().map_err(|_| anyhow::anyhow!("an Ed25519 d is 32 bytes"))?;
            ed25519_dalek::SigningKey::from_bytes(&seed).sign(input.as_bytes()).to_bytes().to_vec()
        }
        _ => {
            use p256::ecdsa::signature::Signer as _;
            let key = p256::ecdsa::SigningKey::from_slice(&d).context("invalid P-256 private key")?;
            let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
            signature.to_bytes().to_vec()
        }
    };
    println!("{input}.{}", b64url(&signature));
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot create {}", path.display()))
}
