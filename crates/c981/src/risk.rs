//! `c981 risk …`: the risk model (show, set from a file, versions), re-rating the register,
//! and the register's lists (filtered, or what is overdue) from the command line.

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
    let app = crate::open_app(config, false).await?;
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
