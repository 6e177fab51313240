//! `ecert-hub hs import` and `hs search`: load the HS nomenclature into the
//! hub's database from a CSV file, and search it the way the portal does.
//! Both act on the database directly, like `admin`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use ecert_core::hs::{HsEdition, parse_nomenclature_csv};
use ecert_store::{Actor, HsCatalog, HsEntry, Store};

use crate::NodeArgs;
use crate::node::{self, OpenMode};

#[derive(Args, Debug)]
pub struct HsArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(subcommand)]
    command: HsCommand,
}

#[derive(Subcommand, Debug)]
enum HsCommand {
    /// Replace the HS catalog with the nomenclature in a CSV file and print
    /// the number of entries imported. The file has the columns
    /// section,hscode,description,parent,level (the layout of the
    /// datasets/harmonized-system package).
    Import {
        /// The CSV file, UTF-8 with or without a byte order mark.
        file: PathBuf,
        /// HS edition of the file: HS2017, HS2022 or HS2027.
        #[arg(long, default_value = "HS2022")]
        edition: HsEdition,
    },
    /// Search the HS catalog and print one entry per line: by code prefix
    /// when the query is digits (dots and spaces are ignored), otherwise by
    /// words that must all occur in the description, in any letter case.
    Search {
        query: String,
        /// Largest number of entries to print, from 1 to 100.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

pub async fn run(args: HsArgs) -> anyhow::Result<()> {
    match args.command {
        HsCommand::Import { file, edition } => import(&args.node, &file, edition).await,
        HsCommand::Search { query, limit } => search(&args.node, &query, limit).await,
    }
}

async fn import(node: &NodeArgs, file: &PathBuf, edition: HsEdition) -> anyhow::Result<()> {
    // The file is read and checked before the database is opened, so an
    // invalid file leaves the current catalog and creates nothing.
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
    let entries = parse_nomenclature_csv(&text).with_context(|| format!("{} is not a valid HS nomenclature", file.display()))?;
    let catalog = HsCatalog { edition, entries: entries.into_iter().map(HsEntry::from).collect() };

    if node.database_url().is_none() {
        node::create_private_dir(&node.data_dir)
            .with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", node.data_dir.display()))?;
    }
    let store = node::open_store(node, OpenMode::CreateDatabase).await?;
    let stored = store.replace_hs_catalog(&catalog, Actor::SYSTEM).await.context("cannot store the HS catalog");
    node::finish(&*store, stored).await?;
    tracing::info!(file = %file.display(), edition = edition.as_str(), entries = catalog.entries.len(), "imported the HS catalog");
    println!("{}", catalog.entries.len());
    Ok(())
}

async fn search(node: &NodeArgs, query: &str, limit: u32) -> anyhow::Result<()> {
    let store = node::open_store(node, OpenMode::Existing).await?;
    let found = search_catalog(&*store, query, limit).await;
    let entries = node::finish(&*store, found).await?;
    if entries.is_empty() {
        eprintln!("no HS entry matches {query:?}");
    }
    for entry in entries {
        println!("{:<6}  {}", entry.code, entry.description);
    }
    Ok(())
}

async fn search_catalog(store: &dyn Store, query: &str, limit: u32) -> anyhow::Result<Vec<HsEntry>> {
    if store.hs_catalog_info().await.context("cannot read the HS catalog")?.is_none() {
        bail!("the hub has no HS catalog yet; load one with `ecert-hub hs import FILE`");
    }
    store.search_hs(query, limit).await.context("cannot search the HS catalog")
}
