//! `c981 import …`, `c981 imports` and `c981 review …`: the inventory formalised over time.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use c981_app::import::{ImportKind, ImportOptions, ImportReport, Upload};
use c981_app::review::{AssetDecision, Verdict};
use c981_app::{App, Ctx};
use c981_domain::SiteId;
use clap::{Subcommand, ValueEnum};

use crate::config::Config;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Assets,
    Flows,
    Zones,
    Conduits,
    Interfaces,
    /// A Zeek conn.log (TSV or JSON lines, plain or gzip).
    Zeek,
    /// Nmap XML output (`nmap -oX`).
    Nmap,
}

impl From<Kind> for ImportKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Assets => ImportKind::Assets,
            Kind::Flows => ImportKind::Flows,
            Kind::Zones => ImportKind::Zones,
            Kind::Conduits => ImportKind::Conduits,
            Kind::Interfaces => ImportKind::Interfaces,
            Kind::Zeek => ImportKind::Zeek,
            Kind::Nmap => ImportKind::Nmap,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    pub kind: Kind,
    /// The file (CSV or XLSX for spreadsheets; conn.log[.gz] for Zeek; XML for Nmap).
    pub file: PathBuf,
    /// The site to import into (its code).
    #[arg(long)]
    pub site: String,
    /// An explicit column mapping, `"Header=field"` (repeatable; `"Header=-"` ignores it).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// The XLSX worksheet to read (default: the first visible one).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Report what would be created, updated, unchanged and in conflict; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Store the good rows and write the others, with their reasons, to --rejects.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Where --skip-invalid writes the refused rows (default: FILE.rejects.csv).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// What waits for review in a site: observed assets, undocumented observed flows, observed
    /// values that differ from declared ones.
    List {
        #[arg(long)]
        site: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Decide on an observed asset: confirm, merge into another, or reject.
    Asset {
        id: i64,
        #[arg(value_enum)]
        decision: AssetVerb,
        /// The asset to merge into (with `merge`).
        #[arg(long)]
        into: Option<i64>,
        #[arg(long)]
        reason: String,
    },
    /// Decide on an observed flow with no documented counterpart.
    Flow {
        id: i64,
        #[arg(value_enum)]
        verdict: VerdictArg,
        #[arg(long)]
        reason: String,
    },
    /// Accept or reject an observed value (firmware drift, a vendor…).
    Proposal {
        id: i64,
        #[arg(value_enum)]
        verdict: VerdictArg,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AssetVerb {
    Confirm,
    Merge,
    Reject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerdictArg {
    Confirm,
    Reject,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Self {
        match v {
            VerdictArg::Confirm => Verdict::Confirm,
            VerdictArg::Reject => Verdict::Reject,
        }
    }
}

pub(crate) async fn site_of(app: &App, ctx: &Ctx, code: &str) -> anyhow::Result<SiteId> {
    match app.store().site_by_code(&ctx.actor.scope, code).await? {
        Some(s) => Ok(s.id),
        None => bail!("--site {code}: there is no such site (or you may not read it)"),
    }
}

/// Prints a report; the exit code says whether the file was refused.
fn print_report(out: &mut impl std::io::Write, r: &ImportReport, format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        writeln!(out, "{}", serde_json::to_string_pretty(r)?)?;
        return Ok(());
    }
    writeln!(out, "{} ({}, SHA-256 {})", r.file, r.format, r.sha256)?;
    for w in &r.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    for p in &r.rejected {
        writeln!(out, "  rejected: {}", p.display(&r.file))?;
    }
    if r.rejected_count > r.rejected.len() as u64 {
        writeln!(out, "  … and {} more rejected rows", r.rejected_count - r.rejected.len() as u64)?;
    }
    for p in &r.conflicts {
        writeln!(out, "  conflict: {}", p.display(&r.file))?;
    }
    if r.conflict_count > r.conflicts.len() as u64 {
        writeln!(out, "  … and {} more conflicts", r.conflict_count - r.conflicts.len() as u64)?;
    }
    writeln!(out, "{}", r.summary())?;
    if let Some(id) = r.import_id {
        writeln!(out, "stored as import #{id}")?;
    }
    Ok(())
}

pub async fn import(config: &Config, ctx: &Ctx, args: ImportArgs) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    let site = site_of(&app, ctx, &args.site).await?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let opts = ImportOptions {
        mapping: args.map.clone(),
        sheet: args.sheet.clone(),
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
    };
    // A progress bar on a terminal only; the total is the file's line count (rows of a CSV).
    let bar = if std::io::stderr().is_terminal() {
        let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        let bar = indicatif::ProgressBar::new(lines.max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("importing {name}"));
        Some(bar)
    } else {
        None
    };
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    };
    let report =
        app.import_file(ctx, args.kind.into(), site, Upload { name: &name, bytes: &bytes }, &opts, Some(&tick)).await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = report?;
    let mut out = std::io::stdout().lock();
    print_report(&mut out, &report, args.format)?;
    if args.skip_invalid && report.refused_rows() > 0 && !args.dry_run {
        let path = args.rejects.clone().unwrap_or_else(|| {
            let mut p = args.file.clone().into_os_string();
            p.push(".rejects.csv");
            PathBuf::from(p)
        });
        std::fs::write(&path, report.rejects_csv()).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "the refused rows and their reasons are in {}", path.display())?;
    }
    let refused = !report.dry_run && !report.stored;
    Ok(if refused || (report.dry_run && report.refused_rows() > 0 && !args.skip_invalid) {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// `c981 imports`: the import history.
pub async fn history(
    config: &Config,
    ctx: &Ctx,
    site: Option<String>,
    format: Format,
) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    let site = match site {
        Some(code) => Some(site_of(&app, ctx, &code).await?),
        None => None,
    };
    let rows = app.imports(ctx, site, None, 200).await?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Table => {
            writeln!(
                out,
                "{:>5}  {:<20}  {:<10}  {:<5}  {:<28}  {:>7} {:>7} {:>7} {:>7} {:>6}  who / file / SHA-256",
                "id", "when", "kind", "via", "file", "rows", "created", "updated", "same", "refused"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "{:>5}  {:<20}  {:<10}  {:<5}  {:<28}  {:>7} {:>7} {:>7} {:>7} {:>6}  {} / {}",
                    r.id,
                    r.finished_at.to_string().chars().take(19).collect::<String>(),
                    r.kind,
                    r.channel,
                    r.source.chars().take(28).collect::<String>(),
                    r.rows_read,
                    r.created,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    r.actor_name,
                    &r.sha256[..16.min(r.sha256.len())]
                )?;
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn review(config: &Config, ctx: &Ctx, command: ReviewCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    let mut out = std::io::stdout().lock();
    match command {
        ReviewCommand::List { site, format } => {
            let site = site_of(&app, ctx, &site).await?;
            let q = app.review_queue(ctx, site).await?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&q)?)?,
                Format::Table => {
                    writeln!(out, "observed assets to confirm, merge or reject: {}", q.assets.len())?;
                    for a in &q.assets {
                        let ips: Vec<String> = a.data.ip_addresses.iter().map(|i| i.to_string()).collect();
                        writeln!(
                            out,
                            "  asset {:>6}  {:<30}  {:<30}  seen by {}",
                            a.id.get(),
                            a.data.name.as_str(),
                            ips.join(", "),
                            a.data.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        )?;
                    }
                    writeln!(out, "observed flows with no documented counterpart: {}", q.flows.len())?;
                    for f in &q.flows {
                        writeln!(
                            out,
                            "  flow {:>7}  {} -> {}  {} {}  {} connections",
                            f.id.get(),
                            f.data.source.key(),
                            f.data.destination.key(),
                            serde_json::to_value(&f.data.protocol)?.as_str().unwrap_or_default(),
                            f.data.port.map(|p| p.to_string()).unwrap_or_default(),
                            f.data.connection_count.unwrap_or(0)
                        )?;
                    }
                    writeln!(out, "observed values that differ from declared ones: {}", q.proposals.len())?;
                    for p in &q.proposals {
                        writeln!(
                            out,
                            "  proposal {:>4}  asset {}  {}: {} -> {}  ({})",
                            p.id, p.asset_id, p.field, p.current_value, p.proposed_value, p.source
                        )?;
                    }
                    if q.truncated {
                        writeln!(out, "(lists cut at 500; decide some and list again)")?;
                    }
                }
            }
        }
        ReviewCommand::Asset { id, decision, into, reason } => {
            let d = match (decision, into) {
                (AssetVerb::Confirm, _) => AssetDecision::Confirm,
                (AssetVerb::Reject, _) => AssetDecision::Reject,
                (AssetVerb::Merge, Some(into)) => AssetDecision::Merge { into },
                (AssetVerb::Merge, None) => bail!("merge needs --into ASSET_ID"),
            };
            app.review_asset(ctx, id, &d, &reason).await?;
            writeln!(out, "asset {id}: {decision:?} recorded")?;
        }
        ReviewCommand::Flow { id, verdict, reason } => {
            app.review_flow(ctx, id, verdict.into(), &reason).await?;
            writeln!(out, "flow {id}: {verdict:?} recorded")?;
        }
        ReviewCommand::Proposal { id, verdict, reason } => {
            app.review_proposal(ctx, id, verdict.into(), &reason).await?;
            writeln!(out, "proposal {id}: {verdict:?} recorded")?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
