//! The `c981` binary: command-line parsing, configuration, wiring and the server's life cycle.
//! `main` only dispatches; [`serve`] and the other verbs are library functions that tests
//! start directly (on port 0, with their own shutdown signal).

pub mod bench;
pub mod config;

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
    /// Who you are, for the audit trail of commands that change data (default: $USER).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on (loopback only until login exists).
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
    /// Measure the API's performance (see docs/performance.md).
    Bench(bench::BenchArgs),
    /// Print the OpenAPI 3.1 document of the HTTP API.
    Openapi,
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
    rt.block_on(async move {
        let ctx =
            Ctx::new(Actor::local_operator(&operator_name(&cli)), Channel::Cli, c981_app::actor::new_request_id());
        match cli.command {
            Command::Serve { demo, .. } => {
                let addr = config.listen_addr()?;
                let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
                serve(&config, listener, demo, shutdown_signal()).await?;
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Migrate => {
                let store = open_store(&config, false).await?;
                let v = store.migrate().await?;
                println!("database {} is at schema version {v}", redact(&config.database_url()));
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Demo { sites, assets_per_site, seed, csv } => {
                let opts = c981_app::demo::SyntheticOptions { sites: sites.unwrap_or(0), assets_per_site, seed };
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
                    "loaded {} sites, {} zones, {} conduits, {} assets, {} flows, {} interfaces in {:.1} s",
                    s.sites,
                    s.zones,
                    s.conduits,
                    s.assets,
                    s.flows,
                    s.interfaces,
                    started.elapsed().as_secs_f64()
                );
                Ok(std::process::ExitCode::SUCCESS)
            }
            Command::Audit { command } => audit(&config, &ctx, command).await,
            Command::Bench(args) => bench::run(&config, args).await.map(|_| std::process::ExitCode::SUCCESS),
            Command::Config { .. } | Command::Openapi => unreachable!("handled before the runtime starts"),
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
    Ok(App::new(store, Arc::new(SystemClock::default()), config.audit_key_path()))
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
    let store = app.store().clone();
    let router = c981_web::router(c981_web::AppState::new(app));
    let addr = listener.local_addr()?;
    tracing::info!(
        address = %format!("http://{addr}/"),
        database = %redact(&config.database_url()),
        backend = store.backend().name(),
        ready_ms = started.elapsed().as_millis() as u64,
        "Connect 981 is serving"
    );
    use axum::serve::ListenerExt;
    // Small request/response exchanges: no Nagle delay.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
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
