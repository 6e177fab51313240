//! Bootstrap commands run by the operator on the server. They act on the
//! data directory directly, with the authority of the hub itself, and write
//! the same events as the API.

use std::io::BufRead as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use ecert_core::jose::Algorithm;
use ecert_core::keys::KeyPurpose;
use ecert_core::party::{Accreditation, AccreditationStandard, DataPolicy, OrgKind, Role, Track};
use ecert_core::{CountryCode, DocType};
use ecert_server::Principal;
use ecert_server::service::keys::NewKey;
use ecert_store::Country;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::NodeArgs;

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Add a participating country or change its track and data policy.
    AddCountry {
        #[arg(long)]
        code: CountryCode,
        #[arg(long)]
        name: String,
        /// A (API), B (API and portal) or C (portal only).
        #[arg(long)]
        track: Track,
        /// full (the hub keeps files) or metadata_only (hash and link only).
        #[arg(long, default_value = "full")]
        data_policy: DataPolicy,
    },
    /// Register an organisation; prints its id.
    AddOrg {
        /// Omit for the hub operator.
        #[arg(long)]
        country: Option<CountryCode>,
        /// hub_operator, standards_body, regulator, customs, single_window,
        /// accreditation_body, certification_body or testing_laboratory.
        #[arg(long)]
        kind: OrgKind,
        /// Registration number, used in the issuer id urn:ecert:org:{country}:{number}.
        #[arg(long)]
        number: String,
        #[arg(long)]
        name: String,
    },
    /// Record an accreditation or designation of a CAB.
    AddAccreditation {
        #[arg(long)]
        org: Uuid,
        /// "ISO/IEC 17065", "ISO/IEC 17025" or "designation".
        #[arg(long)]
        standard: AccreditationStandard,
        /// Accreditation body, or the legal act of a designation.
        #[arg(long)]
        body: String,
        /// The accreditation body signed the ILAC MRA or IAF MLA.
        #[arg(long)]
        ilac_iaf_signatory: bool,
        /// HS prefix in scope (2-10 digits); repeat for several.
        #[arg(long = "hs")]
        hs_prefixes: Vec<String>,
        /// Standard in scope; repeat for several.
        #[arg(long = "scope-standard")]
        standards: Vec<String>,
        /// Document type of a designation (CC or TR); repeat for both.
        #[arg(long = "designated-type")]
        designated_types: Vec<DocType>,
        /// RFC 3339 start of validity.
        #[arg(long)]
        valid_from: String,
        /// RFC 3339 end of validity.
        #[arg(long)]
        valid_until: Option<String>,
    },
    /// Register an organisation's public key from a JWK file; prints its kid.
    AddKey {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        jwk: PathBuf,
        /// Required for RSA keys: RS256 or PS256.
        #[arg(long)]
        algorithm: Option<Algorithm>,
        #[arg(long, default_value = "document_signing")]
        purpose: KeyPurpose,
    },
    /// Issue an API token; prints the secret once.
    CreateToken {
        #[arg(long)]
        org: Uuid,
        /// hub_operator, national_admin, cab_issuer, customs_officer or viewer; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Create a portal user; the password is read from the first line of stdin.
    AddUser {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
    },
    /// Add a new hub attestation key; earlier keys keep verifying.
    RotateHubKey,
}

fn parse_time(field: &str, text: &str) -> anyhow::Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).with_context(|| format!("--{field} {text:?} is not an RFC 3339 time such as 2026-01-01T00:00:00Z"))
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    if let AdminCommand::RotateHubKey = args.command {
        let kid = ecert_server::hub_keys::HubKeys::rotate(&args.node.data_dir.join(crate::node::HUB_KEYS_DIR))?;
        println!("{kid}");
        return Ok(());
    }
    let hub = crate::node::open(&args.node, None, crate::node::OpenMode::CreateDatabase).await?;
    let outcome = run_on_hub(&hub, args.command).await;
    crate::node::finish(&*hub.store, outcome).await
}

async fn run_on_hub(hub: &ecert_server::Hub, command: AdminCommand) -> anyhow::Result<()> {
    let system = Principal::System;
    let api = |e: ecert_server::error::ApiError| anyhow::anyhow!("{} ({})", e.detail.message, e.detail.code);

    match command {
        AdminCommand::AddCountry { code, name, track, data_policy } => {
            hub.upsert_country(system, Country { code, name, track, data_policy }).await.map_err(api)?;
            println!("{code}");
        }
        AdminCommand::AddOrg { country, kind, number, name } => {
            let org = hub.create_organisation(system, country, kind, number, name).await.map_err(api)?;
            println!("{}", org.id);
        }
        AdminCommand::AddAccreditation {
            org,
            standard,
            body,
            ilac_iaf_signatory,
            hs_prefixes,
            standards,
            designated_types,
            valid_from,
            valid_until,
        } => {
            let accreditation = Accreditation {
                standard,
                body,
                ilac_iaf_signatory,
                designated_types,
                hs_prefixes,
                standards,
                valid_from: parse_time("valid-from", &valid_from)?,
                valid_until: valid_until.map(|t| parse_time("valid-until", &t)).transpose()?,
                status_history: Vec::new(),
            };
            let record = hub.add_accreditation(system, org, accreditation).await.map_err(api)?;
            println!("{}", record.id);
        }
        AdminCommand::AddKey { org, jwk, algorithm, purpose } => {
            let text = std::fs::read(&jwk).with_context(|| format!("cannot read {}", jwk.display()))?;
            let jwk = serde_json::from_slice(&text).context("the JWK file is not JSON")?;
            let new = NewKey { jwk, algorithm, purpose, valid_from: None, valid_until: None };
            let key = hub.register_key(system, org, new).await.map_err(api)?;
            println!("{}", key.kid);
        }
        AdminCommand::CreateToken { org, roles, label } => {
            let (_, secret) = hub.create_token(system, org, roles, label).await.map_err(api)?;
            println!("{secret}");
        }
        AdminCommand::AddUser { org, username, display_name, roles } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let user = hub.create_user(system, org, username, display_name, password, roles).await.map_err(api)?;
            println!("{}", user.id);
        }
        AdminCommand::RotateHubKey => unreachable!("handled above"),
    }
    Ok(())
}
