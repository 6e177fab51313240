//! `ecert-hub demo`: a fresh hub with the five pilot countries, their
//! national authorities, accredited CABs with keys, and signed and attested
//! documents in every status, then serves it.
//!
//! All names are invented; no real person's data is used. Tokens and the
//! demo CABs' private keys go to `demo-credentials.json` and `demo-keys/`
//! in the data directory.

mod pdf;

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context as _, bail};
use ecert_core::jose::b64url;
use ecert_core::keys::KeyPurpose;
use ecert_core::party::{Accreditation, AccreditationStandard, DataPolicy, OrgKind, Role, Track};
use ecert_core::{DocType, HubId, StatusAction};
use ecert_server::service::documents::FileInput;
use ecert_server::service::keys::NewKey;
use ecert_server::{Hub, Principal};
use ecert_store::{Country, Organisation};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::NodeArgs;

/// A demo signing key: Ed25519 or P-256, with its private JWK for the user.
enum DemoKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl DemoKey {
    fn generate(p256: bool) -> anyhow::Result<Self> {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Ok(if p256 {
            DemoKey::P256(p256::ecdsa::SigningKey::from_slice(&seed).context("P-256 key generation")?)
        } else {
            DemoKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
        })
    }

    fn public_jwk(&self) -> Value {
        match self {
            DemoKey::Ed25519(key) => json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(key.verifying_key().as_bytes())}),
            DemoKey::P256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                json!({"kty": "EC", "crv": "P-256", "x": b64url(&bytes[1..33]), "y": b64url(&bytes[33..65])})
            }
        }
    }

    fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        jwk["d"] = match self {
            DemoKey::Ed25519(key) => b64url(&key.to_bytes()),
            DemoKey::P256(key) => b64url(&key.to_bytes()),
        }
        .into();
        jwk
    }

    fn sign(&self, kid: &str, payload: &[u8]) -> String {
        let alg = match self {
            DemoKey::Ed25519(_) => "EdDSA",
            DemoKey::P256(_) => "ES256",
        };
        let header = json!({"alg": alg, "typ": "vc+jwt", "kid": kid});
        let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
        let signature = match self {
            DemoKey::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(input.as_bytes()).to_bytes().to_vec()
            }
            DemoKey::P256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64url(&signature))
    }
}

/// An organisation created by the demo, with its credentials.
struct DemoOrg {
    org: Organisation,
    roles: Vec<Role>,
    token: String,
    key: Option<(DemoKey, String)>,
}

struct Seeder<'a> {
    hub: &'a Hub,
    now: OffsetDateTime,
    orgs: Vec<DemoOrg>,
    documents: Vec<Value>,
    keys_dir: std::path::PathBuf,
}

const SYSTEM: Principal<'static> = Principal::System;

fn api(error: ecert_server::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{} ({}{})", error.detail.message, error.detail.code, error.detail.field.map(|f| format!(", field {f}")).unwrap_or_default())
}

impl Seeder<'_> {
    async fn org(&mut self, country: &str, kind: OrgKind, number: &str, name: &str, roles: &[Role]) -> anyhow::Result<usize> {
        let country = if kind == OrgKind::HubOperator { None } else { Some(country.parse()?) };
        let org = self.hub.create_organisation(SYSTEM, country, kind, number.into(), name.into()).await.map_err(api)?;
        let (_, token) = self.hub.create_token(SYSTEM, org.id, roles.to_vec(), "demo".into()).await.map_err(api)?;
        self.orgs.push(DemoOrg { org, roles: roles.to_vec(), token, key: None });
        Ok(self.orgs.len() - 1)
    }

    async fn accredit(&self, index: usize, standard: AccreditationStandard, hs: &[&str], designated: &[DocType]) -> anyhow::Result<()> {
        let accreditation = Accreditation {
            standard,
            body: match standard {
                AccreditationStandard::Designation => "Designated by the national law on conformity assessment".into(),
                _ => format!("National accreditation centre of {}", self.orgs[index].org.country.map(|c| c.to_string()).unwrap_or_default()),
            },
            ilac_iaf_signatory: standard != AccreditationStandard::Designation,
            designated_types: designated.to_vec(),
            hs_prefixes: hs.iter().map(|s| s.to_string()).collect(),
            standards: Vec::new(),
            valid_from: self.now - Duration::days(4 * 365),
            valid_until: Some(self.now + Duration::days(3 * 365)),
            status_history: Vec::new(),
        };
        self.hub.add_accreditation(SYSTEM, self.orgs[index].org.id, accreditation).await.map_err(api)?;
        Ok(())
    }

    async fn give_key(&mut self, index: usize, p256: bool) -> anyhow::Result<()> {
        let key = DemoKey::generate(p256)?;
        let new = NewKey {
            jwk: key.public_jwk(),
            algorithm: None,
            purpose: KeyPurpose::DocumentSigning,
            valid_from: Some(self.now - Duration::days(4 * 365)),
            valid_until: None,
        };
        let record = self.hub.register_key(SYSTEM, self.orgs[index].org.id, new).await.map_err(api)?;
        let path = self.keys_dir.join(format!("{}.jwk", self.orgs[index].org.registration_number));
        crate::node::write_private(&path, &serde_json::to_vec_pretty(&key.private_jwk())?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.orgs[index].key = Some((key, record.kid));
        Ok(())
    }

    /// Builds a credential issued by `issuer` `days_ago` days ago.
    #[allow(clippy::too_many_arguments)]
    fn credential(
        &self,
        issuer: usize,
        doc_type: DocType,
        number: &str,
        product: (&str, &str),
        hs: &str,
        days_ago: i64,
        valid_days: i64,
        reports: &[HubId],
    ) -> Value {
        let org = &self.orgs[issuer].org;
        let issued = self.now - Duration::days(days_ago);
        let until = issued + Duration::days(valid_days);
        let mut subject = json!({
            "type": ["ConformityAttestation"],
            "attestationType": doc_type.attestation_type(),
            "nationalNumber": number,
            "issuedToParty": {"name": format!("Demo Trading {} LLC", &number[number.len() - 3..]), "registeredId": format!("{}{}", org.country.map(|c| c.to_string()).unwrap_or_default(), &number[number.len() - 3..])},
            "manufacturer": {"name": "Demo Manufacturing JSC"},
            "product": {"name": {"en": product.0, "ru": product.1}, "model": format!("M-{}", &number[number.len() - 3..]), "hsCodes": [{"code": hs, "edition": "HS2022"}]},
            "referenceStandards": [],
            "conformance": true,
        });
        if doc_type == DocType::TestReport {
            subject["testResults"] = "All tested parameters within the limits of the referenced standards".into();
        }
        if !reports.is_empty() {
            subject["testReports"] = json!(reports.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
            "type": ["VerifiableCredential", "DigitalConformityCredential"],
            "issuer": {"id": org.urn(), "name": org.name},
            "validFrom": issued.replace_nanosecond(0).unwrap_or(issued).format(&Rfc3339).unwrap_or_default(),
            "validUntil": until.replace_nanosecond(0).unwrap_or(until).format(&Rfc3339).unwrap_or_default(),
            "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
            "credentialSubject": subject,
        })
    }

    /// Registers a credential: signed by the issuer's key, sealed by
    /// `sealer`'s key, or attested by the hub with a PDF when neither has a key.
    async fn register(&mut self, issuer: usize, sealer: Option<usize>, credential: Value, note: &str) -> anyhow::Result<HubId> {
        let signer = sealer.unwrap_or(issuer);
        let number = credential["credentialSubject"]["nationalNumber"].as_str().unwrap_or_default().to_owned();
        let pdf = pdf::render(&[
            &format!("Demo document {number}"),
            &format!("Issuer: {}", self.orgs[issuer].org.name),
            credential["credentialSubject"]["product"]["name"]["en"].as_str().unwrap_or_default(),
            "e-CERT Hub demonstration data - not a real document",
        ]);
        let registered = match &self.orgs[signer].key {
            Some((key, kid)) => {
                let jws = key.sign(kid, credential.to_string().as_bytes());
                self.hub.submit_signed(SYSTEM, &jws, Some(FileInput::Bytes(pdf))).await.map_err(api)?
            }
            None => self.hub.submit_unsigned(SYSTEM, &credential, Some(FileInput::Bytes(pdf))).await.map_err(api)?,
        };
        let record = registered.record;
        self.documents.push(json!({
            "hub_id": record.hub_id.to_string(),
            "type": record.doc_type,
            "country": record.country.to_string(),
            "national_number": number,
            "trust_basis": record.trust_basis,
            "note": note,
        }));
        Ok(record.hub_id)
    }

    fn set_status(&mut self, hub_id: HubId, status: &str) {
        for document in &mut self.documents {
            if document["hub_id"] == hub_id.to_string() {
                document["status"] = status.into();
            }
        }
    }
}

const PRODUCTS: &[(&str, (&str, &str))] = &[
    ("690721", ("Glazed ceramic floor tiles", "Плитка керамическая глазурованная для пола")),
    ("252329", ("Portland cement CEM I 42.5", "Портландцемент ЦЕМ I 42,5")),
    ("854449", ("PVC-insulated power cable 3x2.5", "Кабель силовой с ПВХ изоляцией 3x2,5")),
    ("851610", ("Electric storage water heater 80 l", "Водонагреватель электрический накопительный 80 л")),
    ("950300", ("Plastic construction toy set", "Набор игрушечный конструктор пластмассовый")),
];

fn product(hs: &str) -> (&'static str, &'static str) {
    PRODUCTS.iter().find(|(code, _)| *code == hs).map(|(_, p)| *p).unwrap_or(("Product", "Продукция"))
}

pub async fn run(listen: SocketAddr, node: &NodeArgs, reset: bool, no_serve: bool) -> anyhow::Result<()> {
    if node.database_url().is_some() {
        bail!("the demo always uses a fresh embedded SQLite database in --data-dir; unset ECERT_DATABASE_URL");
    }
    let dir = &node.data_dir;
    let database = dir.join(crate::node::DATABASE_FILE);
    if database.exists() {
        if !reset {
            bail!("{} already holds a hub; pass --reset to replace it with a fresh demo, or choose another --data-dir", dir.display());
        }
        clear(dir)?;
    }
    let hub = crate::node::open(node, Some(listen), crate::node::OpenMode::Serve).await?;
    let seeded = seed(&hub, dir).await;
    if no_serve || seeded.is_err() {
        // The demo data must be complete in hub.db alone after `--no-serve`.
        crate::node::finish(&*hub.store, Ok(())).await?;
    }
    let credentials = seeded?;
    let path = dir.join("demo-credentials.json");
    crate::node::write_private(&path, &serde_json::to_vec_pretty(&credentials)?)
        .with_context(|| format!("cannot write {}", path.display()))?;

    let sample = credentials["documents"][0]["hub_id"].as_str().unwrap_or_default().to_owned();
    let base = &hub.config.public_base_url;
    println!("e-CERT Hub demo: {} documents in 5 countries", credentials["documents"].as_array().map_or(0, Vec::len));
    println!("  public verification page: {base}/v/{sample}   (add ?lang=ru for Russian)");
    println!("  lookup form:              {base}/v");
    println!("  OpenAPI document:         {base}/api/v1/openapi.json");
    println!("  API tokens and keys:      {}", path.display());
    if no_serve {
        return Ok(());
    }
    crate::node::run(listen, hub).await
}

fn clear(dir: &Path) -> anyhow::Result<()> {
    for name in ["hub.db", "hub.db-wal", "hub.db-shm", "demo-credentials.json"] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    for name in ["blobs", "demo-keys", "hub-keys"] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Generates a random password of 20 characters for a demo portal user.
fn demo_password() -> String {
    let mut bytes = [0u8; 15];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    b64url(&bytes)
}

async fn seed(hub: &Hub, dir: &Path) -> anyhow::Result<Value> {
    let keys_dir = dir.join("demo-keys");
    crate::node::create_private_dir(&keys_dir)?;
    let mut s = Seeder { hub, now: OffsetDateTime::now_utc(), orgs: Vec::new(), documents: Vec::new(), keys_dir };

    // 1. Countries and the operator.
    let operator = s.org("", OrgKind::HubOperator, "HUB-OPERATOR", "e-CERT Hub operator (demo)", &[Role::HubOperator]).await?;
    let countries = [
        ("UZ", "Uzbekistan", Track::A),
        ("PK", "Pakistan", Track::A),
        ("AZ", "Azerbaijan", Track::B),
        ("KG", "Kyrgyzstan", Track::B),
        ("TJ", "Tajikistan", Track::B),
    ];
    for (code, name, track) in countries {
        let country = Country { code: code.parse()?, name: name.into(), track, data_policy: DataPolicy::Full };
        hub.upsert_country(SYSTEM, country).await.map_err(api)?;
    }

    // 2. National authorities and customs, CABs with scopes.
    let mut cabs = std::collections::BTreeMap::new();
    for (code, name, _) in countries {
        s.org(code, OrgKind::StandardsBody, &format!("NSB-{code}"), &format!("National standards body of {name} (demo)"), &[Role::NationalAdmin, Role::CabIssuer]).await?;
        s.org(code, OrgKind::Customs, &format!("CUSTOMS-{code}"), &format!("Customs service of {name} (demo)"), &[Role::CustomsOfficer]).await?;
        let (cb_scope, lab_scope): (&[&str], &[&str]) = match code {
            "UZ" => (&["6907", "2523", "8544"], &["6907", "2523", "8544", "8516"]),
            "PK" => (&["8516", "8544"], &["8516", "8544", "9503"]),
            "AZ" => (&["9503", "6907"], &["9503", "6907"]),
            "KG" => (&["2523", "6907"], &["2523", "6907"]),
            _ => (&["8544", "8516"], &["8544", "8516"]),
        };
        let cb = s.org(code, OrgKind::CertificationBody, &format!("{code}-CB-001"), &format!("Certification body No. 1 of {name} (demo)"), &[Role::CabIssuer]).await?;
        s.accredit(cb, AccreditationStandard::Iso17065, cb_scope, &[]).await?;
        let lab = s.org(code, OrgKind::TestingLaboratory, &format!("{code}-LAB-001"), &format!("Testing laboratory No. 1 of {name} (demo)"), &[Role::CabIssuer]).await?;
        s.accredit(lab, AccreditationStandard::Iso17025, lab_scope, &[]).await?;
        cabs.insert(code, (cb, lab, cb_scope[0], lab_scope[0]));
    }

    // 3. Keys. UZ CABs sign with Ed25519 and PK CABs with P-256; AZ CABs
    //    have no keys of their own and their authority seals for them; KG
    //    and TJ have no keys at all and register with hub attestations.
    for code in ["UZ", "PK"] {
        let (cb, lab, _, _) = cabs[code];
        s.give_key(cb, code == "PK").await?;
        s.give_key(lab, code == "PK").await?;
    }
    let az_authority = s.orgs.iter().position(|o| o.org.registration_number == "NSB-AZ").context("AZ authority")?;
    s.give_key(az_authority, false).await?;

    // 4. Two TRs and two CoCs relying on them per country.
    let mut per_country = std::collections::BTreeMap::new();
    for (code, _, _) in countries {
        let (cb, lab, cb_hs, _) = cabs[code];
        let sealer = (code == "AZ").then_some(az_authority);
        let hs_full = PRODUCTS.iter().find(|(c, _)| c.starts_with(cb_hs)).map(|(c, _)| *c).unwrap_or("690721");
        let mut ids = Vec::new();
        for i in 1..=2 {
            let number = format!("{code}.LAB.2026.00{i}");
            let tr = s.credential(lab, DocType::TestReport, &number, product(hs_full), hs_full, 40 + i, 3 * 365, &[]);
            let tr_id = s.register(lab, sealer, tr, "test report").await?;
            let number = format!("{code}.CB.2026.00{i}");
            let coc = s.credential(cb, DocType::Certificate, &number, product(hs_full), hs_full, 30 + i, 3 * 365, &[tr_id]);
            let coc_id = s.register(cb, sealer, coc, "CoC relying on the test report before it").await?;
            ids.push((tr_id, coc_id));
        }
        per_country.insert(code, ids);
    }

    // 5. One document in each other state: expired, suspended, withdrawn, superseded.
    let (uz_cb, _, _, _) = cabs["UZ"];
    let expired = s.credential(uz_cb, DocType::Certificate, "UZ.CB.2023.017", product("690721"), "690721", 3 * 365, 2 * 365, &[]);
    let expired_id = s.register(uz_cb, None, expired, "expired: valid for two years from 2023").await?;
    s.set_status(expired_id, "expired");

    let suspended = per_country["PK"][0].1;
    hub.change_status(SYSTEM, suspended, StatusAction::Suspend, "Surveillance audit found nonconforming samples".into(), None).await.map_err(api)?;
    s.set_status(suspended, "suspended");

    let withdrawn = per_country["AZ"][1].1;
    hub.change_status(SYSTEM, withdrawn, StatusAction::Withdraw, "Certificate holder requested withdrawal".into(), None).await.map_err(api)?;
    s.set_status(withdrawn, "withdrawn");

    let superseded = per_country["UZ"][1].1;
    let (_, uz_tr) = (per_country["UZ"][1].0, per_country["UZ"][1].0);
    let mut reissue = s.credential(uz_cb, DocType::Certificate, "UZ.CB.2026.002", product("690721"), "690721", 5, 3 * 365, &[uz_tr]);
    reissue["credentialSubject"]["supersedes"] = superseded.to_string().into();
    reissue["credentialSubject"]["product"]["model"] = "M-002 (corrected)".into();
    let reissue_id = s.register(uz_cb, None, reissue, "corrected re-issue of a superseded CoC").await?;
    s.set_status(superseded, "superseded");
    s.set_status(reissue_id, "valid");
    for document in &mut s.documents {
        if document.get("status").is_none() {
            document["status"] = "valid".into();
        }
    }

    // 6. Portal users: the operator and one user per role and country.
    let mut portal_users = Vec::new();
    let by_number = |number: &str| s.orgs.iter().find(|o| o.org.registration_number == number).map(|o| o.org.id);
    let mut accounts = vec![("operator".to_owned(), "Hub operator (demo)".to_owned(), by_number("HUB-OPERATOR"), Role::HubOperator)];
    for (code, name, _) in countries {
        let lower = code.to_lowercase();
        accounts.push((format!("{lower}.admin"), format!("National admin of {name} (demo)"), by_number(&format!("NSB-{code}")), Role::NationalAdmin));
        accounts.push((format!("{lower}.cab"), format!("Issuer at certification body No. 1 of {name} (demo)"), by_number(&format!("{code}-CB-001")), Role::CabIssuer));
        accounts.push((format!("{lower}.customs"), format!("Customs officer of {name} (demo)"), by_number(&format!("CUSTOMS-{code}")), Role::CustomsOfficer));
        accounts.push((format!("{lower}.viewer"), format!("Viewer at the standards body of {name} (demo)"), by_number(&format!("NSB-{code}")), Role::Viewer));
    }
    for (username, display_name, org_id, role) in accounts {
        let org_id = org_id.context("demo organisation of a portal user")?;
        let password = demo_password();
        let user = hub.create_user(SYSTEM, org_id, username.clone(), display_name.clone(), password.clone(), vec![role]).await.map_err(api)?;
        let org = hub.organisation(org_id).await.map_err(api)?;
        portal_users.push(json!({
            "username": username,
            "password": password,
            "display_name": display_name,
            "role": role,
            "org_id": org_id,
            "country": org.country,
            "user_id": user.id,
        }));
    }

    let organisations: Vec<Value> = s
        .orgs
        .iter()
        .map(|o| {
            json!({
                "org_id": o.org.id,
                "country": o.org.country,
                "kind": o.org.kind,
                "name": o.org.name,
                "registration_number": o.org.registration_number,
                "issuer_id": o.org.urn(),
                "roles": o.roles,
                "token": o.token,
                "kid": o.key.as_ref().map(|(_, kid)| kid.clone()),
                "private_key_file": o.key.as_ref().map(|_| format!("demo-keys/{}.jwk", o.org.registration_number)),
            })
        })
        .collect();
    Ok(json!({
        "note": "Demo credentials of an e-CERT Hub demo. Every name is invented. Send a token as 'Authorization: Bearer <token>'.",
        "hub_url": hub.config.public_base_url,
        "hub_operator_token": s.orgs[operator].token,
        "organisations": organisations,
        "portal_url": format!("{}/portal", hub.config.public_base_url),
        "portal_users": portal_users,
        "documents": s.documents,
    }))
}
