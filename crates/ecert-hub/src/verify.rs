//! `ecert-hub verify`: sends a document to a running hub to verify a document and prints
//! the verdict and every check. Exit status: 0 valid, 1 invalid,
//! 2 indeterminate, 3 error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use base64::Engine as _;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Exit status: 0 valid, 1 invalid, 2 indeterminate, 3 error (including usage errors).")]
pub struct VerifyArgs {
    /// Hub ID printed on the document, e.g. UZ-CC-7Q3K-9XMP-H.
    #[arg(required_unless_present_any = ["jws", "pdf"])]
    hub_id: Option<String>,
    /// File holding a compact JWS.
    #[arg(long, conflicts_with = "hub_id")]
    jws: Option<PathBuf>,
    /// PDF file: alone it identifies the document by hash; with a hub ID or
    /// JWS it is compared with the registered file.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Judge status and validity as of this RFC 3339 time (e.g. the import date).
    #[arg(long)]
    as_of: Option<String>,
    /// ISO 3166-1 alpha-2 code of the verifying country.
    #[arg(long)]
    verifying_country: Option<String>,
    /// Base URL of the hub.
    #[arg(long, env = "ECERT_HUB_URL", default_value = "http://127.0.0.1:8080")]
    hub: String,
    /// Print the hub's JSON response instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut body = serde_json::Map::new();
    if let Some(hub_id) = &args.hub_id {
        body.insert("hub_id".into(), hub_id.clone().into());
    }
    if let Some(path) = &args.jws {
        let jws = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        body.insert("jws".into(), jws.trim().into());
    }
    if let Some(path) = &args.pdf {
        let pdf = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        body.insert("pdf_base64".into(), base64::engine::general_purpose::STANDARD.encode(pdf).into());
    }
    if let Some(as_of) = &args.as_of {
        body.insert("as_of".into(), as_of.clone().into());
    }
    if let Some(country) = &args.verifying_country {
        body.insert("verifying_country".into(), country.clone().into());
    }

    let url = format!("{}/api/v1/verify", args.hub.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("cannot reach the hub at {url} (set --hub or ECERT_HUB_URL)"))?;
    let status = response.status();
    let value: serde_json::Value = response.json().await.context("the hub's response is not JSON")?;
    if !status.is_success() {
        let error = &value["error"];
        eprintln!("error: {} ({})", error["message"].as_str().unwrap_or("unknown error"), error["code"].as_str().unwrap_or("?"));
        if let Some(fix) = error["fix"].as_str() {
            eprintln!("fix: {fix}");
        }
        return Ok(ExitCode::from(3));
    }
    if !value["checks"].is_array() || !value["verdict"].is_string() {
        anyhow::bail!("the hub's response has no verdict and checks; is {url} an e-CERT Hub?");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_summary(&value);
    }
    Ok(match value["verdict"].as_str() {
        Some("valid") => ExitCode::SUCCESS,
        Some("invalid") => ExitCode::from(1),
        Some("indeterminate") => ExitCode::from(2),
        _ => ExitCode::from(3),
    })
}

fn print_summary(value: &serde_json::Value) {
    // Values come from the network: drop control characters so that no
    // document text can send escape sequences to the terminal.
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").chars().filter(|c| !c.is_control()).collect::<String>();
    println!("verdict:     {}", text(&value["verdict"]).to_uppercase());
    println!("hub ID:      {}", text(&value["hub_id"]));
    println!("trust basis: {}", text(&value["trust_basis"]));
    let document = &value["document"];
    if document.is_object() {
        println!("document:    {} {} by {}", text(&document["doc_type"]), text(&document["national_number"]), text(&document["issuer_name"]));
        println!("product:     {}", text(&document["product_name"]));
        println!("status:      {}", text(&document["status"]));
    }
    if let Some(suggestions) = value["did_you_mean"].as_array() {
        let ids: Vec<String> = suggestions.iter().map(text).collect();
        println!("did you mean: {}", ids.join(", "));
    }
    println!("checks:");
    for check in value["checks"].as_array().into_iter().flatten() {
        println!("  {:<18} {:<15} {}", text(&check["check"]), text(&check["outcome"]), text(&check["reason"]));
    }
}
