//! `ecert-hub`: the e-CERT Hub server and its command-line tools.
//!
//! The binary parses arguments, builds one typed configuration and calls
//! into the library crates: `serve` and `demo` run the HTTP server,
//! `verify` queries a running hub, `admin` bootstraps a deployment on its
//! data directory, and `keygen`/`sign` help integrators produce test JWS.
//! `migrate`, `export` and `import` prepare a database and move a whole hub
//! between SQLite and PostgreSQL.

mod admin;
mod demo;
mod hs;
mod keytool;
mod node;
mod transfer;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ecert-hub", version, about = "e-CERT Hub: register, exchange and verify certificates of conformity and test reports")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub server.
    Serve(ServeArgs),
    /// Create a demo hub with five pilot countries and sample documents, then serve it.
    Demo(DemoArgs),
    /// Verify a document with a running hub, by hub ID, JWS file or PDF file.
    Verify(verify::VerifyArgs),
    /// Bootstrap commands that act directly on a hub's data directory.
    Admin(admin::AdminArgs),
    /// Generate a signing key pair as JWK files (for tests and integration work).
    Keygen(keytool::KeygenArgs),
    /// Sign a credential JSON file as a compact JWS with a private JWK.
    Sign(keytool::SignArgs),
    /// Create or upgrade the database schema, then print its version.
    Migrate(transfer::MigrateArgs),
    /// Write the whole hub (database, document files, hub keys) to one archive file and print its digest.
    Export(transfer::ExportArgs),
    /// Load an archive written by `export` into an empty database and print its digest.
    Import(transfer::ImportArgs),
    /// Import the HS nomenclature from a CSV file, or search it.
    Hs(hs::HsArgs),
}

/// Data location and public address of a hub node.
#[derive(Args, Clone, Debug)]
pub struct NodeArgs {
    /// Directory of the SQLite database, document files and hub keys.
    #[arg(long, env = "ECERT_DATA_DIR", default_value = "./ecert-data")]
    pub data_dir: PathBuf,
    /// Base of the public verification URLs printed in QR codes, e.g.
    /// https://verify.example.org. Defaults to http://{listen address}.
    #[arg(long, env = "ECERT_PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// Where document files are kept: a directory path or file:///dir, or
    /// s3://BUCKET/PREFIX?endpoint=…&region=… for S3-compatible storage
    /// (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    /// Defaults to {data dir}/blobs.
    #[arg(long, env = "ECERT_BLOB_URL", hide_env_values = true)]
    pub blob_url: Option<String>,
    /// Database: sqlite://PATH for an embedded file, or
    /// postgres://USER:PASSWORD@HOST:PORT/DB for PostgreSQL (several nodes
    /// may share it). Defaults to the SQLite file {data dir}/hub.db, also
    /// when the variable is set but empty.
    // The value is hidden from --help because it may contain a password.
    #[arg(long, env = "ECERT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Maximum number of database connections of this node, at least 1.
    #[arg(long, env = "ECERT_DB_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: u32,
    /// Seconds, at least 1, that a query waits for a free pooled connection
    /// (PostgreSQL) or for the database lock (SQLite busy timeout) before it
    /// fails.
    #[arg(long, env = "ECERT_DB_ACQUIRE_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_acquire_timeout: u64,
    /// Count portal login attempts by the last X-Forwarded-For address.
    /// Set it only behind a load balancer that sets this header.
    #[arg(long, env = "ECERT_TRUST_X_FORWARDED_FOR", default_value_t = false)]
    pub trust_x_forwarded_for: bool,
}

impl NodeArgs {
    /// Returns the database URL, or `None` when it is unset or empty.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref().filter(|url| !url.trim().is_empty())
    }
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ECERT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ECERT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    node: NodeArgs,
    /// Delete an existing demo database in the data directory first.
    #[arg(long)]
    reset: bool,
    /// Create the demo data and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

fn main() -> ExitCode {
    // Usage errors exit with 3 like every other error, because `verify`
    // reports an indeterminate verdict with 2 (clap's usage-error code).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { ExitCode::from(3) } else { ExitCode::SUCCESS };
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => node::serve(args.listen, &args.node).await.map(|()| ExitCode::SUCCESS),
            Command::Demo(args) => demo::run(args.listen, &args.node, args.reset, args.no_serve).await.map(|()| ExitCode::SUCCESS),
            Command::Verify(args) => Ok(verify::run(args).await.unwrap_or_else(|error| {
                eprintln!("error: {error:#}");
                ExitCode::from(3)
            })),
            Command::Admin(args) => admin::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Keygen(args) => keytool::keygen(args).map(|()| ExitCode::SUCCESS),
            Command::Sign(args) => keytool::sign(args).map(|()| ExitCode::SUCCESS),
            Command::Migrate(args) => transfer::migrate(args).await.map(|()| ExitCode::SUCCESS),
            Command::Export(args) => transfer::export(args).await.map(|()| ExitCode::SUCCESS),
            Command::Import(args) => transfer::import(args).await.map(|()| ExitCode::SUCCESS),
            Command::Hs(args) => hs::run(args).await.map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The log filter when `RUST_LOG` is unset or invalid.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,lopdf=off";

/// Logs to stderr. `RUST_LOG` sets the filter, and `ECERT_LOG_FORMAT=json`
/// switches to one JSON object per line (`text`, the default, to plain
/// lines). An invalid value of either falls back to the default and is
/// reported in the log's first line.
fn init_logging() {
    let mut problems = Vec::new();
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) => tracing_subscriber::EnvFilter::try_new(&value).unwrap_or_else(|error| {
            problems.push(format!("RUST_LOG={value:?} is invalid ({error}); using {DEFAULT_LOG_FILTER:?}"));
            tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER)
        }),
        Err(_) => tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER),
    };
    let json = match std::env::var("ECERT_LOG_FORMAT") {
        Ok(value) if value.eq_ignore_ascii_case("json") => true,
        Ok(value) if value.is_empty() || value.eq_ignore_ascii_case("text") => false,
        Ok(value) => {
            problems.push(format!("ECERT_LOG_FORMAT={value:?} is invalid; use json or text. Writing plain text"));
            false
        }
        Err(_) => false,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    for problem in problems {
        tracing::warn!("{problem}");
    }
}
