//! The `c981` binary: command-line parsing, configuration, wiring and the server's life cycle.
//! `main` only dispatches; [`serve`] and the other verbs are library functions that tests
//! start directly (on port 0, with their own shutdown signal).

pub mod analyze;
pub mod bench;
pub mod config;
pub mod inventory;
mod inventory_bench;
pub mod risk;
mod risk_bench;
pub mod soa;
mod soa_bench;
pub mod tls;

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use c981_app::{Actor, App, Ctx, SystemClock};
use c981_domain::audit::Channel;
use c981_store::{OpenOptions, Store};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, Overrides, redact};

/// Connect 981: the ISMS workbench for industrial IoT (ISO/IEC 27001 with IEC 62443).
#[derive(Debug, Parser)]
#[command(name = "c981", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (SQLite database, audit signing key).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (default: SQLite in the data directory; postgres://… for PostgreSQL).
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Log level filter (e.g. info, debug, c981=debug).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Who you are, for the audit trail of commands that change data (default: $USER). The
    /// local operator holds the database itself, so acts as administrator.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub operator: Option<String>,
    /// Act locally as this account instead: its roles and sites apply, refusals included.
    #[arg(long = "user", global = true, value_name = "USERNAME", conflicts_with = "operator")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8981).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Load the demo estate first if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load the demo estate into an empty database, or generate a synthetic one at scale.
    Demo {
        /// Generate a synthetic estate of this many sites instead of the demo estate.
        #[arg(long, value_name = "N")]
        sites: Option<usize>,
        /// Assets per synthetic site.
        #[arg(long, value_name = "M", default_value_t = 1000)]
        assets_per_site: usize,
        /// Seed of the synthetic estate (same seed, same estate).
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Data flows per ten assets of a synthetic site (1: a tenth as many flows as assets;
        /// 30: three per asset).
        #[arg(long, value_name = "F", default_value_t = 1)]
        flows_per_10_assets: usize,
        /// Write the synthetic estate as CSV files into DIR instead of the database.
        #[arg(long, value_name = "DIR")]
        csv: Option<PathBuf>,
    },
    /// Verify, checkpoint and export the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// IEC 62443 analysis: findings, cross-domain paths, security levels, zone diagrams.
    Analyze {
        #[command(subcommand)]
        command: analyze::AnalyzeCommand,
    },
    /// Risk assessment and treatment: the risk model, re-rating, the register's lists.
    Risk {
        #[command(subcommand)]
        command: risk::RiskCommand,
    },
    /// The Statement of Applicability of an ISMS scope: show, decide a control, check, freeze
    /// for approval, versions and their differences, the dashboard.
    Soa {
        #[command(subcommand)]
        command: soa::SoaCommand,
    },
    /// Control catalogues: list, show, import licensed texts or your own catalogues.
    Catalog {
        #[command(subcommand)]
        command: soa::CatalogCommand,
    },
    /// The crosswalk between Annex A and IEC 62443-3-3 (and imported catalogues).
    Crosswalk {
        #[command(subcommand)]
        command: soa::CrosswalkCommand,
    },
    /// Documents for auditors: the Statement of Applicability, the audit evidence bundle.
    Export {
        #[command(subcommand)]
        command: soa::ExportCommand,
    },
    /// Audit evidence bundles.
    Bundle {
        #[command(subcommand)]
        command: soa::BundleCommand,
    },
    /// Import a spreadsheet (assets, flows, zones, conduits, interfaces), a Zeek conn.log or
    /// Nmap XML into a site (see docs/import-formats.md).
    Import(inventory::ImportArgs),
    /// The import history: who imported which file (SHA-256) when, and what it did.
    Imports {
        /// Only this site (its code).
        #[arg(long)]
        site: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: inventory::Format,
    },
    /// Inventory figures: imports and discovery at scale (see docs/performance.md).
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Passive discovery: listen to Sparkplug B births and deaths on the broker of
    /// `[sparkplug]` until stopped (Ctrl-C), printing the status every few seconds.
    Discover {
        #[command(subcommand)]
        command: DiscoverCommand,
    },
    /// The review queue: observed assets, undocumented observed flows, observed values.
    Review {
        #[command(subcommand)]
        command: inventory::ReviewCommand,
    },
    /// Measure the API's performance (see docs/performance.md).
    Bench(bench::BenchArgs),
    /// Print the OpenAPI 3.1 document of the HTTP API.
    Openapi,
    /// Accounts and roles, locally on the database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Call the API of a (remote) Connect 981 server with an API token.
    Api(ApiArgs),
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Measure a 1M-row spreadsheet import and re-import, a 1M-line Zeek log, and Sparkplug
    /// discovery through the broker, on this database; prints figures, asserts nothing.
    Bench(inventory_bench::InventoryBenchArgs),
}

#[derive(Debug, Subcommand)]
pub enum DiscoverCommand {
    /// Sparkplug B on MQTT (configured in `[sparkplug]`; flags override it).
    Sparkplug {
        /// Broker host (overrides sparkplug.host).
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        /// The site code of discovered assets (overrides sparkplug.site).
        #[arg(long)]
        site: Option<String>,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; prints a one-time link with which the person chooses a password.
    CreateUser {
        username: String,
        /// The printed name (shown on electronic signatures).
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// administrator, isms_manager, site_engineer, approver, auditor or viewer.
        #[arg(long)]
        role: String,
        /// Site codes the role holds on (repeatable); none: every site.
        #[arg(long = "site", value_name = "CODE")]
        sites: Vec<String>,
    },
    /// List accounts with their roles.
    ListUsers,
    /// Add a role on sites (or every site) to an account.
    Grant {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long = "site", value_name = "CODE")]
        sites: Vec<String>,
    },
    /// Remove a role (on the given sites, or everywhere) from an account.
    Revoke {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long = "site", value_name = "CODE")]
        sites: Vec<String>,
    },
    /// Disable an account: its sessions and tokens stop working at once.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Issue a one-time link to choose a new password (the old one works until then).
    PasswordLink { username: String },
    /// Remove an account's second factor (a lost device); they enrol again.
    ResetMfa { username: String },
    /// Print a one-time link to create the first administrator (only while no account exists).
    SetupLink,
}

#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// HTTP method.
    pub method: String,
    /// Path under the server, e.g. /api/v1/assets?site_id=1.
    pub path: String,
    /// JSON body, or @FILE to read it from a file.
    #[arg(long)]
    pub data: Option<String>,
    /// The server's address.
    #[arg(long, env = "C981_SERVER", default_value = "http://127.0.0.1:8981")]
    pub server: String,
    /// An API token (created under Account → API tokens).
    #[arg(long, env = "C981_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A CA certificate (PEM) to trust for the server, e.g. a self-signed one.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain (and a signed checkpoint); exits non-zero naming the first bad entry.
    Verify {
        /// A checkpoint written by `audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The trusted public key (64 hex digits, or a file holding them); default: this
        /// installation's key.
        #[arg(long, value_name = "KEY")]
        public_key: Option<String>,
    },
    /// Write a signed checkpoint of the current chain head to a file kept outside the database.
    Checkpoint {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Export the trail (or a period of it).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// From this time (RFC 3339 or a date), inclusive.
        #[arg(long)]
        from: Option<String>,
        /// Until this time, exclusive.
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print an example configuration file.
    Example,
    /// Print the effective configuration (secrets redacted).
    Show,
}

/// Parses the command line, runs the command, and maps its outcome to an exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_format == "json" {
        let _ = builder.json().flatten_event(true).try_init();
    } else {
        let _ = builder.try_init();
    }
}

fn operator_name(cli: &Cli) -> String {
    #[allow(clippy::disallowed_methods)]
    let user = std::env::var("USER").ok();
    cli.operator.clone().or(user).filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "operator".into())
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let loaded = Config::load(
        cli.config.as_deref(),
        Overrides {
            data_dir: cli.data_dir.clone(),
            database: cli.database.clone(),
            listen,
            log_format: cli.log_format.clone(),
            log_level: cli.log_level.clone(),
        },
    )?;
    let config = loaded.config;
    init_logging(&config);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    if let Command::Openapi = &cli.command {
        println!("{:#}", c981_web::openapi::document());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Command::Config { command } = &cli.command {
        match command {
            ConfigCommand::Example => print!("{}", config::EXAMPLE),
            ConfigCommand::Show => print!("{}", config.redacted_toml()),
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Command::Api(args) = &cli.command {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        return rt.block_on(api_call(args));
    }
    rt.block_on(async move {
        let mut ctx =
            Ctx::new(Actor::local_operator(&operator_name(&cli)), Channel::Cli, c981_app::actor::new_request_id());
        if let Some(user) = &cli.user {
            let app = open_app(&config, false).await?;
            ctx.actor = app.actor_of_user(user).await?;
        }
        match cli.command {
            Command::Serve { demo, .. } => {
                let addr = config.listen_addr()?;
                let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
                serve(&config, listener, demo, shutdown_signal()).await?;
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Migrate => {
                // Opening with `migrate` applies what is pending; opening without it would
                // refuse the very database this command exists to bring up to date.
                let store = open_store(&config, true).await?;
                let v = store.migrate().await?;
                println!("database {} is at schema version {v}", redact(&config.database_url()));
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Demo { sites, assets_per_site, seed, flows_per_10_assets, csv } => {
                let opts = c981_app::demo::SyntheticOptions {
                    sites: sites.unwrap_or(0),
                    assets_per_site,
                    seed,
                    flows_per_10_assets,
                };
                if let Some(dir) = csv {
                    if sites.is_none() {
                        bail!("--csv writes a synthetic estate: give --sites too");
                    }
                    let s = c981_app::demo::write_synthetic_csv(&dir, &opts)
                        .with_context(|| format!("writing CSV files to {}", dir.display()))?;
                    println!(
                        "wrote {} sites, {} zones, {} conduits, {} assets, {} flows, {} interfaces to {}",
                        s.sites,
                        s.zones,
                        s.conduits,
                        s.assets,
                        s.flows,
                        s.interfaces,
                        dir.display()
                    );
                    return Ok(std::process::ExitCode::SUCCESS);
                }
                let app = open_app(&config, true).await?;
                let started = Instant::now();
                let s = match sites {
                    Some(_) => c981_app::demo::load_synthetic(&app, &ctx, &opts).await?,
                    None => c981_app::demo::load_demo(&app, &ctx).await?,
                };
                println!(
                    "loaded {} sites, {} zones, {} conduits, {} assets, {} flows, {} interfaces, {} risks, {} suppliers in {:.1} s",
                    s.sites,
                    s.zones,
                    s.conduits,
                    s.assets,
                    s.flows,
                    s.interfaces,
                    s.risks,
                    s.suppliers,
                    started.elapsed().as_secs_f64()
                );
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Audit { command } => audit(&config, &ctx, command).await,
            Command::Analyze { command } => analyze::run(&config, &ctx, command).await,
            Command::Risk { command } => risk::run(&config, &ctx, command).await,
            Command::Soa { command } => soa::run(&config, &ctx, command).await,
            Command::Catalog { command } => soa::catalog(&config, &ctx, command).await,
            Command::Crosswalk { command } => soa::crosswalk(&config, &ctx, command).await,
            Command::Export { command } => soa::export(&config, &ctx, command).await,
            Command::Bundle { command } => soa::bundle(&config, &ctx, command).await,
            Command::Import(args) => inventory::import(&config, &ctx, args).await,
            Command::Imports { site, format } => inventory::history(&config, &ctx, site, format).await,
            Command::Review { command } => inventory::review(&config, &ctx, command).await,
            Command::Inventory { command: InventoryCommand::Bench(args) } => {
                // The bench fills a fresh database: it may create and migrate it.
                let app = open_app(&config, true).await?;
                inventory_bench::run(&app, &ctx, &args).await?;
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Discover { command: DiscoverCommand::Sparkplug { host, port, site, seconds } } => {
                let mut config = config.clone();
                if let Some(h) = host {
                    config.sparkplug.host = h;
                }
                if let Some(p) = port {
                    config.sparkplug.port = p;
                }
                if let Some(s) = site {
                    config.sparkplug.site = s;
                }
                discover(&config, seconds).await
            }
            Command::Bench(args) => bench::run(&config, args).await.map(|_| std::process::ExitCode::SUCCESS),
            Command::Admin { command } => admin(&config, &ctx, command).await,
            Command::Config { .. } | Command::Openapi | Command::Api(_) => {
                unreachable!("handled before the runtime starts")
            }
        }
    })
}

/// Opens the store for a command (`migrate`: run pending migrations).
pub async fn open_store(config: &Config, migrate: bool) -> anyhow::Result<Store> {
    if config.database.is_empty() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    }
    let url = config.database_url();
    Store::open(&url, OpenOptions { migrate, max_connections: config.max_connections })
        .await
        .with_context(|| format!("opening the database {}", redact(&url)))
}

/// Opens the application.
pub async fn open_app(config: &Config, migrate: bool) -> anyhow::Result<App> {
    let store = open_store(config, migrate).await?;
    Ok(App::new(store, Arc::new(SystemClock::default()), config.audit_key_path()).with_auth(config.auth_settings()?))
}

/// The address to print in one-time links.
fn public_base(config: &Config) -> String {
    if !config.public_url.is_empty() {
        return config.public_url.trim_end_matches('/').to_owned();
    }
    let scheme = if config.tls.cert.is_empty() { "http" } else { "https" };
    format!("{scheme}://{}", config.listen)
}

/// Serves the web UI and API on `listener` until `shutdown` completes, then drains
/// in-flight requests and closes the database.
pub async fn serve(
    config: &Config,
    listener: tokio::net::TcpListener,
    demo: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let app = open_app(config, true).await?;
    if app.store().backend() == c981_store::Backend::Sqlite {
        // Planner statistics for tables that lack them (a bounded sample: milliseconds).
        app.store().optimize().await?;
    }
    if demo {
        let ctx = Ctx::new(Actor::system("demo"), Channel::System, c981_app::actor::new_request_id());
        let sites = app.count::<c981_domain::Site>(&ctx, &Default::default()).await?;
        if sites == 0 {
            let s = c981_app::demo::load_demo(&app, &ctx).await?;
            tracing::info!(sites = s.sites, assets = s.assets, "loaded the demo estate");
        } else {
            tracing::info!("the database already holds sites; --demo left it as it is");
        }
    }
    if app.needs_bootstrap().await? {
        let token = app.bootstrap_token().await?;
        // Printed, never logged: whoever holds it creates the first administrator.
        eprintln!(
            "\nNo account exists yet. Create the first administrator at\n  {}/setup/{token}\n(one-time link, valid {} hours), or run `c981 admin create-user USERNAME --name \"Printed Name\" --role administrator`.\n",
            public_base(config),
            config.auth.link_hours
        );
    }
    let mut state = c981_web::AppState::new(app.clone());
    state.tls = !config.tls.cert.is_empty();
    state.trusted_proxies = Arc::new(config.trusted_proxies());
    if !config.oidc.issuer.is_empty() {
        match oidc_state(config).await {
            Ok(o) => state.oidc = Some(Arc::new(o)),
            Err(e) => tracing::error!(
                error = %format!("{e:#}"),
                "single sign-on is OFF: the OpenID provider could not be reached or refused; local accounts work; restart to retry"
            ),
        }
    }
    // Sparkplug B discovery, when configured, runs beside the server.
    let discovery = match discovery_settings(&app, config).await {
        Ok(Some(settings)) => {
            let app = app.clone();
            tracing::info!(broker = %format!("{}:{}", settings.client.host, settings.client.port), "Sparkplug B discovery starts");
            Some(tokio::spawn(async move {
                if let Err(e) = app.run_sparkplug(settings, std::future::pending()).await {
                    tracing::error!(error = %e, "Sparkplug B discovery stopped");
                }
            }))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "Sparkplug B discovery is OFF: its configuration is wrong");
            None
        }
    };
    let store = app.store().clone();
    let router = c981_web::router(state);
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() && config.tls.cert.is_empty() && config.auth.trusted_proxies.is_empty() {
        tracing::warn!(
            "serving beyond loopback without TLS: passwords and session cookies cross the network in clear; configure [tls] or a TLS reverse proxy"
        );
    }
    // Ended sessions and stale pending logins are removed every ten minutes.
    let purger = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) = app.purge_expired().await {
                    tracing::warn!(error = %e, "purging ended sessions failed");
                }
            }
        })
    };
    let scheme = if config.tls.cert.is_empty() { "http" } else { "https" };
    tracing::info!(
        address = %format!("{scheme}://{addr}/"),
        database = %redact(&config.database_url()),
        backend = store.backend().name(),
        ready_ms = started.elapsed().as_millis() as u64,
        "Connect 981 is serving"
    );
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if config.tls.cert.is_empty() {
        use axum::serve::ListenerExt;
        // Small request/response exchanges: no Nagle delay.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    } else {
        let files = tls::TlsFiles { cert: config.tls.cert.clone().into(), key: config.tls.key.clone().into() };
        let (listener, reloader) = tls::TlsListener::new(listener, files)?;
        reloader.watch();
        // Through `tap_io`, the listener reports each client's address to the router.
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|_| {});
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    }
    purger.abort();
    if let Some(d) = discovery {
        d.abort();
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `c981 discover sparkplug`: discovery alone, with its status on stderr.
async fn discover(config: &Config, seconds: Option<u64>) -> anyhow::Result<std::process::ExitCode> {
    let app = open_app(config, false).await?;
    let Some(settings) = discovery_settings(&app, config).await? else {
        anyhow::bail!(
            "Sparkplug discovery is not configured: set [sparkplug] host and site, or give --host and --site"
        );
    };
    let stop = async move {
        match seconds {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => shutdown_signal().await,
        }
    };
    let reporter = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                if let Some(s) = app.discovery_status() {
                    eprintln!(
                        "{} {}: {:.0} msg/s, {} messages, {} nodes ({} online), {} devices ({} online), {} assets created, {} updated, {} drift{}",
                        if s.connected { "connected to" } else { "not connected to" },
                        s.broker,
                        s.messages_per_second,
                        s.messages_total,
                        s.nodes,
                        s.nodes_online,
                        s.devices,
                        s.devices_online,
                        s.assets_created,
                        s.assets_updated,
                        s.drift_proposals,
                        s.last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default()
                    );
                }
            }
        })
    };
    let stats = app.run_sparkplug(settings, stop).await?;
    reporter.abort();
    println!(
        "stopped: {} messages ({} decode errors), {} nodes, {} devices",
        stats.messages.total(),
        stats.decode_errors,
        stats.nodes,
        stats.devices
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// The discovery settings of `[sparkplug]`, with its site codes resolved.
pub async fn discovery_settings(
    app: &App,
    config: &Config,
) -> anyhow::Result<Option<c981_app::discovery::DiscoverySettings>> {
    let Some(client) = config.sparkplug_client()? else { return Ok(None) };
    let scope = c981_store::SiteScope::All;
    let code = &config.sparkplug.site;
    let site = app
        .store()
        .site_by_code(&scope, code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("sparkplug.site: there is no site {code:?}"))?
        .id;
    let mut group_sites = std::collections::HashMap::new();
    for (group, code) in &config.sparkplug.group_sites {
        let s = app
            .store()
            .site_by_code(&scope, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("sparkplug.group_sites.{group:?}: there is no site {code:?}"))?;
        group_sites.insert(group.clone(), s.id);
    }
    Ok(Some(c981_app::discovery::DiscoverySettings { client, site, group_sites }))
}

async fn oidc_state(config: &Config) -> anyhow::Result<c981_web::oidc::OidcState> {
    let o = &config.oidc;
    let mut settings =
        c981_oidc::OidcSettings::new(&o.issuer, &o.client_id, config.oidc_client_secret()?, &o.redirect_url);
    settings.scopes = o.scopes.clone();
    settings.groups_claim = o.groups_claim.clone();
    let client = c981_oidc::OidcClient::discover(settings).await?;
    let mappings = o
        .role_mapping
        .iter()
        .filter_map(|m| {
            let role = c981_app::Role::parse(&m.role).ok()?;
            Some(c981_app::identity::GroupMapping {
                group: m.group.clone(),
                role,
                sites: (!m.sites.is_empty()).then(|| m.sites.clone()),
            })
        })
        .collect();
    Ok(c981_web::oidc::OidcState {
        client,
        sso: c981_app::identity::SsoSettings { auto_provision: o.auto_provision, mappings },
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn audit(config: &Config, ctx: &Ctx, command: AuditCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = open_app(config, false).await?;
    match command {
        AuditCommand::Verify { checkpoint, public_key } => {
            let report = match checkpoint {
                None => app.audit_verify(ctx).await?,
                Some(path) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    let cp: c981_app::audit::Checkpoint = serde_json::from_str(&text)
                        .with_context(|| format!("{}: not a Connect 981 checkpoint", path.display()))?;
                    let trusted = match public_key {
                        None => None,
                        Some(k) => {
                            let text = if Path::new(&k).exists() { std::fs::read_to_string(&k)? } else { k };
                            Some(c981_app::audit::parse_public_key(&text)?)
                        }
                    };
                    app.audit_verify_checkpoint(ctx, &cp, trusted)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
            };
            if report.ok() {
                println!(
                    "audit trail intact: {} entries, last entry {} with hash {}",
                    report.entries, report.last_seq, report.last_hash
                );
                Ok(std::process::ExitCode::SUCCESS)
            } else {
                println!(
                    "AUDIT TRAIL BROKEN at entry {}: {}",
                    report.first_bad_seq.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    report.problem.as_deref().unwrap_or("")
                );
                println!("{} entries verified before it", report.entries);
                Ok(std::process::ExitCode::from(2))
            }
        }
        AuditCommand::Checkpoint { out } => {
            let cp = app.audit_checkpoint(ctx).await?;
            let text = serde_json::to_string_pretty(&cp)?;
            std::fs::write(&out, format!("{text}\n")).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "checkpoint of entry {} (hash {}) signed with key {} written to {}",
                cp.seq,
                cp.hash,
                cp.public_key,
                out.display()
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        AuditCommand::Export { format, out, from, to } => {
            let parse = |s: Option<String>, name: &str| -> anyhow::Result<Option<c981_domain::Timestamp>> {
                s.map(|v| c981_domain::Timestamp::parse(&v).map_err(|e| anyhow::anyhow!("--{name}: {e}"))).transpose()
            };
            let q = c981_store::AuditQuery { from: parse(from, "from")?, to: parse(to, "to")?, ..Default::default() };
            let entries = app.audit_entries(ctx, &q).await?;
            let mut sink: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            match format {
                ExportFormat::Csv => c981_app::audit::write_csv(&entries, &mut sink)?,
                ExportFormat::Json => c981_app::audit::write_json(&entries, &mut sink)?,
            }
            sink.flush()?;
            if let Some(p) = out {
                eprintln!("exported {} entries to {}", entries.len(), p.display());
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

async fn site_ids(app: &App, codes: &[String]) -> anyhow::Result<Vec<Option<c981_domain::SiteId>>> {
    if codes.is_empty() {
        return Ok(vec![None]);
    }
    let mut out = Vec::new();
    for code in codes {
        let site = app
            .store()
            .site_by_code(&c981_store::SiteScope::All, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("--site {code}: there is no site with this code"))?;
        out.push(Some(site.id));
    }
    Ok(out)
}

async fn user_id(app: &App, username: &str) -> anyhow::Result<i64> {
    Ok(app
        .store()
        .user_by_name(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no account {username:?} (see `c981 admin list-users`)"))?
        .id)
}

fn role_arg(role: &str) -> anyhow::Result<c981_app::Role> {
    c981_app::Role::parse(role).map_err(|e| anyhow::anyhow!("--role: {e}"))
}

async fn admin(config: &Config, ctx: &Ctx, command: AdminCommand) -> anyhow::Result<std::process::ExitCode> {
    use c981_app::Grant;
    let app = open_app(config, true).await?;
    let base = public_base(config);
    match command {
        AdminCommand::CreateUser { username, name, email, role, sites } => {
            let role = role_arg(&role)?;
            let grants = site_ids(&app, &sites).await?.into_iter().map(|site| Grant { role, site }).collect();
            let new = c981_app::identity::NewUser { username: username.clone(), display_name: name, email, grants };
            let (id, token) = app.create_user(ctx, &new).await?;
            println!("created account {username} (id {id}).");
            println!("Give this one-time link to its owner by a trusted channel; it lets them choose a password");
            println!("and expires in {} hours:", config.auth.link_hours);
            println!("  {base}/password/{token}");
        }
        AdminCommand::ListUsers => {
            let sites = app
                .list::<c981_domain::Site>(ctx, &c981_app::ListParams { limit: Some(1000), ..Default::default() })
                .await?;
            let code = |id: Option<i64>| match id {
                None => "all sites".to_owned(),
                Some(i) => sites
                    .items
                    .iter()
                    .find(|s| s.id.get() == i)
                    .map(|s| s.data.code.to_string())
                    .unwrap_or_else(|| format!("site {i}")),
            };
            println!("{:<5} {:<24} {:<28} {:<8} {:<5} roles", "id", "username", "printed name", "status", "mfa");
            for u in app.users(ctx).await? {
                let roles: Vec<String> =
                    u.grants.iter().map(|g| format!("{}@{}", g.role.as_str(), code(g.site_id))).collect();
                println!(
                    "{:<5} {:<24} {:<28} {:<8} {:<5} {}",
                    u.id,
                    u.username,
                    u.display_name,
                    if u.disabled { "disabled" } else { "active" },
                    if u.totp_enrolled { "totp" } else { "-" },
                    roles.join(", ")
                );
            }
        }
        AdminCommand::Grant { username, role, sites } => {
            let id = user_id(&app, &username).await?;
            let role = role_arg(&role)?;
            let mut grants: Vec<Grant> = app
                .user(ctx, id)
                .await?
                .grants
                .iter()
                .map(|g| Grant { role: g.role, site: g.site_id.map(c981_domain::SiteId::new) })
                .collect();
            for site in site_ids(&app, &sites).await? {
                grants.push(Grant { role, site });
            }
            app.set_grants(ctx, id, &grants).await?;
            println!(
                "{username} now holds {} on {}",
                role.as_str(),
                if sites.is_empty() { "every site".into() } else { sites.join(", ") }
            );
        }
        AdminCommand::Revoke { username, role, sites } => {
            let id = user_id(&app, &username).await?;
            let role = role_arg(&role)?;
            let drop = site_ids(&app, &sites).await?;
            let grants: Vec<Grant> = app
                .user(ctx, id)
                .await?
                .grants
                .iter()
                .map(|g| Grant { role: g.role, site: g.site_id.map(c981_domain::SiteId::new) })
                .filter(|g| !(g.role == role && (sites.is_empty() || drop.contains(&g.site))))
                .collect();
            app.set_grants(ctx, id, &grants).await?;
            println!("removed {} from {username}", role.as_str());
        }
        AdminCommand::Disable { username } => {
            let id = user_id(&app, &username).await?;
            app.set_disabled(ctx, id, true).await?;
            println!("{username} is disabled; their sessions and API tokens no longer work");
        }
        AdminCommand::Enable { username } => {
            let id = user_id(&app, &username).await?;
            app.set_disabled(ctx, id, false).await?;
            println!("{username} is enabled");
        }
        AdminCommand::PasswordLink { username } => {
            let id = user_id(&app, &username).await?;
            let token = app.password_reset_link(ctx, id).await?;
            println!("one-time password link for {username} (expires in {} hours):", config.auth.link_hours);
            println!("  {base}/password/{token}");
        }
        AdminCommand::ResetMfa { username } => {
            let id = user_id(&app, &username).await?;
            app.reset_mfa(ctx, id).await?;
            println!("{username}'s second factor is removed; they enrol a new one at their next login");
        }
        AdminCommand::SetupLink => {
            let token = app.bootstrap_token().await?;
            println!("create the first administrator at (expires in {} hours):", config.auth.link_hours);
            println!("  {base}/setup/{token}");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `c981 api`: one call to a server's API with a token; prints the JSON answer and exits
/// non-zero on an error status.
async fn api_call(args: &ApiArgs) -> anyhow::Result<std::process::ExitCode> {
    let method = reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| anyhow::anyhow!("{:?} is not an HTTP method", args.method))?;
    if !args.path.starts_with('/') {
        bail!("the path must start with /, e.g. /api/v1/sites");
    }
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60));
    if let Some(ca) = &args.ca_cert {
        let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
        let cert =
            reqwest::Certificate::from_pem(&pem).with_context(|| format!("{}: not a PEM certificate", ca.display()))?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder.build()?;
    let url = format!("{}{}", args.server.trim_end_matches('/'), args.path);
    let mut req = client.request(method, &url).bearer_auth(args.token.trim());
    if let Some(data) = &args.data {
        let body = match data.strip_prefix('@') {
            Some(file) => std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?,
            None => data.clone(),
        };
        serde_json::from_str::<serde_json::Value>(&body).context("--data: not valid JSON")?;
        req = req.header("content-type", "application/json").body(body);
    }
    let res = req.send().await.with_context(|| format!("calling {}", args.server))?;
    let status = res.status();
    let text = res.text().await?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => println!("{v:#}"),
        Err(_) if text.is_empty() => println!("{status}"),
        Err(_) => println!("{text}"),
    }
    Ok(if status.is_success() { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(3) })
}
