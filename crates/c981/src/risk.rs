//! `c981 risk …`: the risk model (show, set from a file, versions), re-rating the register,
//! the register's lists (filtered, or what is overdue), the threat library, suggestions from
//! the facts, heatmaps and assessment periods, from the command line.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use c981_app::risk::ModelVersion;
use c981_app::{App, Ctx, ListParams};
use c981_domain::{Risk, SiteId};
use clap::Subcommand;

use crate::analyze::Format;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// The organisation's risk model.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Risks of the register (of the sites you may read), filtered; or those with a review or
    /// an action overdue.
    List {
        /// Only this site (its code).
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Only risks with a review date passed or an open action past due.
        #[arg(long)]
        overdue: bool,
        /// Only this state (identified, assessed, treatment_planned, treated, accepted, closed).
        #[arg(long, conflicts_with = "overdue")]
        state: Option<String>,
        /// Only this residual risk level (a number of the model's levels).
        #[arg(long, value_name = "N", conflicts_with = "overdue")]
        level: Option<u8>,
        /// Only risks of this owner.
        #[arg(long, conflicts_with = "overdue")]
        owner: Option<String>,
        /// Only risks flagged "needs re-rating".
        #[arg(long, conflicts_with = "overdue")]
        needs_rerating: bool,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Re-rate every risk under the current model (levels by number, dimensions by key);
    /// ratings that no longer fit are flagged "needs re-rating", never changed.
    Rerate {
        /// Why, for the audit trail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// The IIoT threat library: list the templates, or import the organisation's own.
    Threats {
        #[command(subcommand)]
        command: Option<ThreatCommand>,
        /// Only templates that fit this asset kind.
        #[arg(long, value_name = "KIND")]
        asset_kind: Option<String>,
        /// Only templates that fit this zone kind.
        #[arg(long, value_name = "KIND")]
        zone_kind: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Risks suggested by the facts of a site (or of every site you may read): paths into
    /// control and safety zones, flows without conduits, unencrypted flows across trust
    /// boundaries, end-of-support and unconfirmed devices. Nothing is entered by itself.
    Suggestions {
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Include dismissed suggestions.
        #[arg(long)]
        dismissed: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Dismiss a suggestion of a site with a reason (audited).
    Dismiss {
        #[arg(long, value_name = "CODE")]
        site: String,
        /// The suggestion's key (as `suggestions` prints it).
        key: String,
        #[arg(long)]
        reason: String,
    },
    /// The heatmap of inherent or residual risk, of a site or of every site you may read.
    Heatmap {
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        #[arg(long, value_enum, default_value_t = Rating::Inherent)]
        rating: Rating,
        /// Write the heatmap as SVG to FILE instead of printing the counts.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The register as a file for auditors: XLSX, CSV (formula-injection safe) or PDF.
    Export {
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Only this state.
        #[arg(long)]
        state: Option<String>,
        /// xlsx, csv or pdf (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Figures of the register at scale (docs/performance.md): fills an empty database with
    /// synthetic risks, then times filtered lists, heatmaps, exports and re-rating.
    Bench(crate::risk_bench::RiskBenchArgs),
    /// Assessment periods: close one (the register frozen), list them, compare two.
    Period {
        #[command(subcommand)]
        command: PeriodCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rating {
    Inherent,
    Residual,
}

#[derive(Debug, Subcommand)]
pub enum ThreatCommand {
    /// Import the organisation's templates from a JSON file: all or none.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum PeriodCommand {
    /// Close the current assessment: the register of every site frozen under NAME.
    Close {
        name: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The closed periods.
    List,
    /// What changed from period FROM (an id) to period TO (an id; default: today's register).
    Compare {
        from: i64,
        to: Option<i64>,
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print the current model (or a version of it).
    Show {
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Store the model in FILE (JSON, the shape `show --format json` prints under "model", or
    /// that whole document) as a new version.
    Set {
        file: PathBuf,
        /// Why, kept with the version and in the audit trail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// The versions of the model, newest first.
    Versions,
}

fn version_json(v: &ModelVersion) -> serde_json::Value {
    serde_json::json!({
        "version": v.version,
        "created_at": v.created_at.map(|t| t.to_string()),
        "created_by": v.created_by,
        "reason": v.reason,
        "model": v.model.to_json(),
    })
}

fn print_model(out: &mut impl std::io::Write, v: &ModelVersion) -> anyhow::Result<()> {
    let m = &v.model;
    writeln!(
        out,
        "Risk model version {} ({})",
        v.version,
        match v.created_at {
            Some(t) => format!("saved {t} by {}", v.created_by),
            None => "built in".into(),
        }
    )?;
    writeln!(out, "\nLikelihood")?;
    for (i, l) in m.likelihood.iter().enumerate() {
        writeln!(out, "  {} {:<16} {}", i + 1, l.name.as_str(), l.description.as_str())?;
    }
    writeln!(out, "\nImpact levels")?;
    for (i, l) in m.impact_levels.iter().enumerate() {
        writeln!(out, "  {} {:<16} {}", i + 1, l.name.as_str(), l.description.as_str())?;
    }
    writeln!(out, "\nImpact dimensions (aggregated by {})", m.aggregation.as_str())?;
    for d in &m.dimensions {
        writeln!(out, "  {:<24} {}", d.key, d.name)?;
    }
    writeln!(out, "\nRisk levels")?;
    for (i, l) in m.risk_levels.iter().enumerate() {
        writeln!(out, "  {} {:<12} {:<7} {}", i + 1, l.name.as_str(), l.colour.as_str(), l.description.as_str())?;
    }
    writeln!(out, "\nMatrix (rows: likelihood, highest first; columns: impact 1..{})", m.impact_count())?;
    for li in (0..m.matrix.len()).rev() {
        let row: Vec<String> = m.matrix[li].iter().map(|l| l.to_string()).collect();
        writeln!(out, "  {} | {}", li + 1, row.join(" "))?;
    }
    writeln!(out, "\nTolerable up to {}", m.level_label(m.tolerable_level))?;
    for (role, limit) in &m.acceptance {
        writeln!(out, "  {role} may accept up to {}", m.level_label(*limit))?;
    }
    Ok(())
}

/// The codes of the sites the actor may read, by id.
async fn site_codes(app: &App, ctx: &Ctx) -> anyhow::Result<std::collections::HashMap<i64, String>> {
    let sites = app.list::<c981_domain::Site>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?;
    Ok(sites.items.iter().map(|s| (s.id.get(), s.data.code.to_string())).collect())
}

async fn site_id(app: &App, ctx: &Ctx, code: Option<&str>) -> anyhow::Result<Option<SiteId>> {
    let Some(code) = code else { return Ok(None) };
    match app.store().site_by_code(&ctx.actor.scope, code).await? {
        Some(s) => Ok(Some(s.id)),
        None => bail!("--site {code}: there is no such site (or you may not read it)"),
    }
}

pub async fn run(config: &Config, ctx: &Ctx, command: RiskCommand) -> anyhow::Result<std::process::ExitCode> {
    // The bench fills an empty database: it may create and migrate it.
    let app = crate::open_app(config, matches!(command, RiskCommand::Bench(_))).await?;
    let mut out = std::io::stdout().lock();
    match command {
        RiskCommand::Model { command: ModelCommand::Show { version, format } } => {
            let v = match version {
                Some(n) => app.risk_model_version(ctx, n).await?,
                None => app.risk_model(ctx).await?,
            };
            match format {
                Format::Json => writeln!(out, "{:#}", version_json(&v))?,
                Format::Table => print_model(&mut out, &v)?,
            }
        }
        RiskCommand::Model { command: ModelCommand::Set { file, reason } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut v: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))?;
            // The whole document `show --format json` prints is accepted too.
            if let Some(m) = v.get("model").filter(|_| v.get("version").is_some()) {
                v = m.clone();
            }
            let ctx = ctx.clone().with_reason(reason);
            let before = app.risk_model(&ctx).await?.version;
            let saved = app.set_risk_model(&ctx, &v, None).await?;
            if saved.version == before {
                writeln!(out, "the model is unchanged: still version {}", saved.version)?;
            } else {
                writeln!(
                    out,
                    "saved risk model version {}; existing ratings keep their version until `c981 risk rerate`",
                    saved.version
                )?;
            }
        }
        RiskCommand::Model { command: ModelCommand::Versions } => {
            for v in app.risk_model_versions(ctx).await? {
                writeln!(
                    out,
                    "{:>4}  {:<27}  {:<24}  {}",
                    v.version,
                    v.created_at.map_or_else(|| "built in".to_owned(), |t| t.to_string()),
                    v.created_by,
                    v.reason.unwrap_or_default()
                )?;
            }
        }
        RiskCommand::Rerate { reason } => {
            let ctx = ctx.clone().with_reason(reason);
            let c = app.rerate_risks(&ctx).await?;
            writeln!(
                out,
                "re-rated {} risks under model version {}; {} newly flagged \"needs re-rating\", {} still flagged",
                c.rerated, c.model_version, c.flagged, c.still_flagged
            )?;
        }
        RiskCommand::Threats { command: Some(ThreatCommand::Import { file }), .. } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name =
                file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let sum = app.import_threat_templates(ctx, &name, &bytes).await?;
            writeln!(
                out,
                "{name}: {} created, {} updated, {} unchanged (SHA-256 {})",
                sum.created, sum.updated, sum.unchanged, sum.sha256
            )?;
        }
        RiskCommand::Threats { command: None, asset_kind, zone_kind, format } => {
            let asset = asset_kind
                .as_deref()
                .map(c981_domain::AssetKind::parse)
                .transpose()
                .map_err(|m| anyhow::anyhow!("--asset-kind: {m}"))?;
            let zone = zone_kind
                .as_deref()
                .map(c981_domain::ZoneKind::parse)
                .transpose()
                .map_err(|m| anyhow::anyhow!("--zone-kind: {m}"))?;
            let items: Vec<_> = app
                .threat_templates(ctx)
                .await?
                .into_iter()
                .filter(|t| {
                    asset.is_none_or(|k| t.template.fits_asset(k)) && zone.is_none_or(|k| t.template.fits_zone(k))
                })
                .collect();
            match format {
                Format::Json => writeln!(out, "{:#}", serde_json::to_value(&items)?)?,
                Format::Table => {
                    writeln!(out, "{:<22} {:<8} {:<24} title", "id", "origin", "annex a")?;
                    for t in &items {
                        let controls: Vec<String> = t.template.controls.iter().map(ToString::to_string).collect();
                        writeln!(
                            out,
                            "{:<22} {:<8} {:<24} {}",
                            t.template.id,
                            if t.builtin { "shipped" } else { "ours" },
                            controls.join(","),
                            t.template.title
                        )?;
                    }
                    writeln!(out, "{} templates", items.len())?;
                }
            }
        }
        RiskCommand::Suggestions { site, dismissed, format } => {
            let site = site_id(&app, ctx, site.as_deref()).await?;
            let items = app.risk_suggestions(ctx, site, dismissed).await?;
            match format {
                Format::Json => writeln!(out, "{:#}", serde_json::to_value(&items)?)?,
                Format::Table => {
                    let codes = site_codes(&app, ctx).await?;
                    for x in &items {
                        writeln!(
                            out,
                            "{:<6} {:<26} {}{}",
                            codes.get(&x.site_id.get()).cloned().unwrap_or_default(),
                            x.key,
                            x.title,
                            if x.dismissed.is_some() { " [dismissed]" } else { "" }
                        )?;
                        for f in &x.facts {
                            writeln!(out, "{:<6} {:<26}   {f} (template {})", "", "", x.template_id)?;
                        }
                    }
                    writeln!(out, "{} suggestions", items.len())?;
                }
            }
        }
        RiskCommand::Dismiss { site, key, reason } => {
            let Some(id) = site_id(&app, ctx, Some(&site)).await? else { bail!("--site is required") };
            app.dismiss_risk_suggestion(ctx, id, &key, &reason).await?;
            writeln!(out, "dismissed {key}")?;
        }
        RiskCommand::Heatmap { site, rating, out: file, format } => {
            let site_id = site_id(&app, ctx, site.as_deref()).await?;
            let h = app.risk_heatmap(ctx, site_id).await?;
            let model = app.risk_model(ctx).await?;
            let residual = rating == Rating::Residual;
            let grid = if residual { &h.residual } else { &h.inherent };
            if let Some(path) = file {
                let title = format!(
                    "{} risk, {}: {} risks (model version {})",
                    if residual { "Residual" } else { "Inherent" },
                    site.as_deref().unwrap_or("all sites"),
                    h.total,
                    h.model_version
                );
                let svg = c981_web::heatmap::render(&model.model, grid, &title, &|_| None);
                std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
                writeln!(out, "wrote {}", path.display())?;
            } else {
                match format {
                    Format::Json => writeln!(out, "{:#}", serde_json::to_value(&h)?)?,
                    Format::Table => {
                        let m = &model.model;
                        writeln!(
                            out,
                            "{} risk (rows: likelihood, highest first; columns: impact 1..{})",
                            if residual { "Residual" } else { "Inherent" },
                            m.impact_count()
                        )?;
                        for l in (0..grid.cells.len()).rev() {
                            let row: Vec<String> = grid.cells[l].iter().map(|n| format!("{n:>5}")).collect();
                            writeln!(out, "  {} {:<16}|{}", l + 1, m.likelihood[l].name.as_str(), row.join(""))?;
                        }
                        writeln!(
                            out,
                            "{} risks; not rated {}; off the current model (re-rate) {}",
                            h.total, grid.unrated, grid.off_model
                        )?;
                    }
                }
            }
        }
        RiskCommand::Bench(args) => crate::risk_bench::run(&app, ctx, &args).await?,
        RiskCommand::Export { site, state, format, out: path } => {
            use c981_app::risk_export::{ExportFormat, ExportQuery, render};
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_owned();
            let format = ExportFormat::parse(format.as_deref().unwrap_or(&ext))
                .map_err(|m| anyhow::anyhow!("--format: {m} (or give --out a .xlsx, .csv or .pdf name)"))?;
            let q = ExportQuery {
                site_id: site_id(&app, ctx, site.as_deref()).await?,
                filters: state.map(|s| vec![("state".to_owned(), s)]).unwrap_or_default(),
                q: None,
            };
            let report = app.risk_register_report(ctx, &q).await?;
            let rows = report.sheets.first().map_or(0, |s| s.rows.len());
            let bytes = render(&report, format, app.now(), &ctx.actor.name)?;
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            writeln!(out, "wrote {} risks to {}", rows, path.display())?;
        }
        RiskCommand::Period { command: PeriodCommand::Close { name, note } } => {
            let p = app.close_risk_period(ctx, &name, &note).await?;
            writeln!(
                out,
                "closed period {} ({:?}): {} risks frozen under model version {}",
                p.id, p.name, p.risk_count, p.model_version
            )?;
        }
        RiskCommand::Period { command: PeriodCommand::List } => {
            for p in app.risk_periods(ctx).await? {
                writeln!(
                    out,
                    "{:>4}  {:<24}  {}  {:>7} risks  {}",
                    p.id, p.name, p.closed_at, p.risk_count, p.closed_by
                )?;
            }
        }
        RiskCommand::Period { command: PeriodCommand::Compare { from, to, site, format } } => {
            let site = site_id(&app, ctx, site.as_deref()).await?;
            let c = app.compare_risk_periods(ctx, from, to, site).await?;
            match format {
                Format::Json => writeln!(out, "{:#}", serde_json::to_value(&c)?)?,
                Format::Table => {
                    writeln!(
                        out,
                        "from {} to {}: {} added, {} removed, {} changed, {} unchanged",
                        c.from, c.to, c.added, c.removed, c.changed, c.unchanged
                    )?;
                    for r in &c.risks {
                        writeln!(out, "{:>6} {:<8} {}", r.risk_id, r.change, r.title)?;
                        for f in &r.fields {
                            writeln!(out, "{:>6} {:<8}   {}: {} -> {}", "", "", f.field, f.old, f.new)?;
                        }
                    }
                }
            }
        }
        RiskCommand::List { site, overdue: true, limit, format, .. } => {
            let site = site_id(&app, ctx, site.as_deref()).await?;
            let list = app.overdue_risks(ctx, site, None, Some(limit)).await?;
            match format {
                Format::Json => writeln!(out, "{:#}", serde_json::to_value(&list)?)?,
                Format::Table => {
                    let codes = site_codes(&app, ctx).await?;
                    let code = |id: i64| codes.get(&id).cloned().unwrap_or_else(|| id.to_string());
                    writeln!(out, "{:>6} {:<6} {:<18} {:<12} {:<24} title", "id", "site", "state", "review", "owner")?;
                    for r in &list.items {
                        let review = match (&r.review_date, r.review_overdue) {
                            (Some(d), true) => format!("{d}!"),
                            (Some(d), false) => d.clone(),
                            (None, _) => "-".into(),
                        };
                        writeln!(
                            out,
                            "{:>6} {:<6} {:<18} {:<12} {:<24} {}",
                            r.id,
                            code(r.site_id),
                            r.state.as_str(),
                            review,
                            r.risk_owner,
                            r.title
                        )?;
                        for a in &r.overdue_actions {
                            writeln!(
                                out,
                                "{:>6} {:<6}   action due {} ({}): {} — {}",
                                "", "", a.due_date, a.status, a.action, a.owner
                            )?;
                        }
                    }
                    writeln!(out, "{} risks with something overdue on {} (UTC)", list.items.len(), list.today)?;
                }
            }
        }
        RiskCommand::List { site, state, level, owner, needs_rerating, limit, format, .. } => {
            let mut p = ListParams {
                site_id: site_id(&app, ctx, site.as_deref()).await?,
                limit: Some(limit),
                ..Default::default()
            };
            if let Some(s) = state {
                p.filters.push(("state".into(), s));
            }
            if let Some(l) = level {
                p.filters.push(("residual_level".into(), l.to_string()));
            }
            if let Some(o) = owner {
                p.filters.push(("risk_owner".into(), o));
            }
            if needs_rerating {
                p.filters.push(("needs_rerating".into(), "true".into()));
            }
            match format {
                Format::Json => {
                    let json = app.list_json::<Risk>(ctx, &p).await?;
                    let v: serde_json::Value = serde_json::from_slice(&json)?;
                    writeln!(out, "{v:#}")?;
                }
                Format::Table => {
                    let page = app.list::<Risk>(ctx, &p).await?;
                    let model = app.risk_model(ctx).await?;
                    let codes = site_codes(&app, ctx).await?;
                    writeln!(
                        out,
                        "{:>6} {:<6} {:<18} {:<14} {:<14} {:<24} title",
                        "id", "site", "state", "inherent", "residual", "owner"
                    )?;
                    for r in &page.items {
                        let d = &r.data;
                        let level = |l: Option<u8>| match l {
                            None => "-".to_owned(),
                            Some(l) if d.model_version == model.version => model.model.level_label(l),
                            Some(l) => format!("{l} (v{})", d.model_version),
                        };
                        writeln!(
                            out,
                            "{:>6} {:<6} {:<18} {:<14} {:<14} {:<24} {}{}",
                            r.id,
                            codes.get(&d.site_id.get()).cloned().unwrap_or_else(|| d.site_id.to_string()),
                            d.state.as_str(),
                            level(d.inherent_level),
                            level(d.residual_level),
                            d.risk_owner.as_str(),
                            d.title,
                            if d.needs_rerating { " [needs re-rating]" } else { "" }
                        )?;
                    }
                    writeln!(
                        out,
                        "{} risks{}",
                        page.items.len(),
                        if page.next_after.is_some() { " (more: raise --limit or filter)" } else { "" }
                    )?;
                }
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
