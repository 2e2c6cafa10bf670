//! `c981 soa …`, `c981 catalog …`, `c981 crosswalk …`, `c981 export …` and `c981 bundle
//! verify`: the ISMS scope's Statement of Applicability from the command line: show it, decide
//! a control, check completeness, freeze a version for approval, list and compare versions,
//! the dashboard; the catalogues and the crosswalk; exports for auditors and the evidence
//! bundle, and its verification.
//!
//! Approval is an electronic signature with re-authentication: it is given on the web page of
//! the frozen version, or through `POST /api/v1/soa-versions/{id}/signatures`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use c981_app::risk_export::ExportFormat;
use c981_app::soa_export::{Which, render_soa};
use c981_app::{App, Ctx, ListParams};
use c981_domain::{IsmsScope, SoaEntryInput};
use clap::Subcommand;

use crate::analyze::Format;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum SoaCommand {
    /// The scopes of the sites you may read, with coverage and approval state (the dashboard).
    List {
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The statement of a scope (its id, or the code of a site with one scope): the 93
    /// controls; or a frozen version.
    Show {
        scope: String,
        /// A frozen version (a number or `latest`); default: the working statement.
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Decide one control: applicable or not, with the justification (required either way).
    Set(SetArgs),
    /// Whether every control is decided and justified (exit code 1 if not).
    Check { scope: String },
    /// Freeze the working statement as the next version, for approval by signature (refused
    /// while incomplete).
    Freeze {
        scope: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The frozen versions of a scope, with their approvers.
    Versions { scope: String },
    /// What differs between two statements of a scope (version numbers or `current`).
    Diff {
        scope: String,
        #[arg(long)]
        from: String,
        #[arg(long, default_value = "current")]
        to: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Figures (docs/performance.md): fills an empty database with sites, risks and complete
    /// statements, then times the exports of one scope and the group dashboard.
    Bench(crate::soa_bench::SoaBenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    pub scope: String,
    /// The Annex A control, `8.20` or `A.8.20`.
    pub control: String,
    /// The control applies.
    #[arg(long, conflicts_with = "not_applicable")]
    pub applicable: bool,
    /// The control does not apply (the justification says why).
    #[arg(long)]
    pub not_applicable: bool,
    #[arg(long)]
    pub justification: Option<String>,
    /// not_started, planned, partial, implemented.
    #[arg(long)]
    pub status: Option<String>,
    /// How the control is implemented.
    #[arg(long)]
    pub implementation: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// A risk the control treats (its id; repeatable).
    #[arg(long = "risk", value_name = "ID")]
    pub risks: Vec<String>,
    /// Evidence that it works (its id; repeatable).
    #[arg(long = "evidence", value_name = "ID")]
    pub evidence: Vec<String>,
    /// An IEC 62443-3-3 requirement it is met through (`SR 5.1`; repeatable).
    #[arg(long = "requirement", value_name = "SR")]
    pub requirements: Vec<String>,
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub next_review: Option<String>,
    /// Why, for the audit trail.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The catalogues: built-in (Annex A, clauses 4 to 10, IEC 62443-3-3) and imported.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The items of a catalogue, with imported descriptions.
    Show {
        key: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Import a catalogue CSV (docs/catalogues.md): licensed texts for a built-in catalogue,
    /// or a catalogue of your own (NIST CSF 2.0, company policies) with `--version` and
    /// `--title`.
    Import {
        file: PathBuf,
        #[arg(long, value_name = "KEY")]
        catalog: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        title: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CrosswalkCommand {
    /// The links between Annex A and IEC 62443-3-3 (and imported catalogues).
    List {
        #[arg(long)]
        control: Option<String>,
        #[arg(long)]
        catalog: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Create or change a link.
    Set {
        control: String,
        target: String,
        /// equal, subset, superset, intersects.
        #[arg(long)]
        relationship: String,
        /// On what the link rests.
        #[arg(long)]
        basis: String,
        #[arg(long, default_value = c981_app::soa::IEC_62443_3_3)]
        catalog: String,
    },
    /// Remove a link (its id, as `list` prints it).
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A scope's statement: xlsx, csv, pdf, oscal-catalog, oscal-profile or oscal-ssp
    /// (default: from the file's extension).
    Soa {
        scope: String,
        #[arg(long)]
        format: Option<String>,
        /// A frozen version (a number or `latest`); default: the working statement.
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The audit evidence bundle of a scope for a period: the statement (XLSX, PDF, CSV,
    /// OSCAL), the risk register, the scope, the audit-trail extract, uploaded evidence, and
    /// the manifest of SHA-256 hashes.
    Bundle {
        scope: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
        /// The statement's version (a number, `latest` or `current`; default latest).
        #[arg(long, default_value = "latest")]
        version: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Check a bundle: every file against the manifest (missing, extra, altered), the
    /// manifest against the hash noted when it was built (`--manifest-sha256`, or this
    /// server's audit trail).
    Verify {
        file: PathBuf,
        /// The manifest's SHA-256 as noted at build time.
        #[arg(long, value_name = "HEX")]
        manifest_sha256: Option<String>,
        /// Do not look the manifest up in this server's audit trail.
        #[arg(long)]
        offline: bool,
    },
}

/// A scope named by its id or by the code of a site with one scope.
async fn scope_id(app: &App, ctx: &Ctx, raw: &str) -> anyhow::Result<i64> {
    if let Ok(id) = raw.trim().parse::<i64>() {
        return Ok(id);
    }
    let Some(site) = app.store().site_by_code(&ctx.actor.scope, raw.trim()).await? else {
        bail!("{raw:?} is neither a scope id nor the code of a site you may read");
    };
    let p = ListParams { site_id: Some(site.id), limit: Some(10), ..Default::default() };
    let scopes = app.list::<IsmsScope>(ctx, &p).await?.items;
    match scopes.as_slice() {
        [one] => Ok(one.id.get()),
        [] => bail!("site {raw} has no ISMS scope yet: create one (web UI or POST /api/v1/scopes)"),
        many => bail!(
            "site {raw} has {} scopes: name one by its id ({})",
            many.len(),
            many.iter().map(|s| format!("{} {}", s.id, s.data.name.as_str())).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn cut(s: &str, n: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= n { one } else { format!("{}…", one.chars().take(n - 1).collect::<String>()) }
}

pub async fn run(config: &Config, ctx: &Ctx, command: SoaCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, matches!(command, SoaCommand::Bench(_))).await?;
    let mut out = std::io::stdout().lock();
    match command {
        SoaCommand::List { site, format } => {
            let site = match site {
                Some(code) => Some(crate::inventory::site_of(&app, ctx, &code).await?),
                None => None,
            };
            let d = app.soa_dashboard(ctx, site).await?;
            if format == Format::Json {
                print_json(&d)?;
            } else {
                writeln!(
                    out,
                    "{:>5}  {:<6} {:<32} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7}  approval",
                    "scope", "site", "name", "appl", "impl", "part", "plan", "n/a", "undec", "no-ev", "overdue"
                )?;
                for s in &d.scopes {
                    let c = &s.coverage;
                    writeln!(
                        out,
                        "{:>5}  {:<6} {:<32} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7}  {}{}",
                        s.scope.id,
                        s.site_code,
                        cut(&s.scope.name, 32),
                        c.applicable,
                        c.implemented,
                        c.partial,
                        c.planned,
                        c.not_applicable,
                        c.undecided,
                        c.without_evidence,
                        c.overdue,
                        s.approval.label(),
                        s.latest_version.map(|v| format!(" (v{v})")).unwrap_or_default()
                    )?;
                }
                let t = &d.total;
                writeln!(
                    out,
                    "group: {} scopes, {} of {} controls applicable, {} implemented, {} partial, {} planned; {} applicable without evidence; {} reviews overdue",
                    d.scopes.len(),
                    t.applicable,
                    t.controls,
                    t.implemented,
                    t.partial,
                    t.planned,
                    t.without_evidence,
                    t.overdue
                )?;
                if !d.sites_without_scope.is_empty() {
                    let codes: Vec<&str> = d.sites_without_scope.iter().map(|s| s.name.as_str()).collect();
                    writeln!(out, "sites without a scope: {}", codes.join(", "))?;
                }
            }
        }
        SoaCommand::Show { scope, version, format } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let which = Which::parse(version.as_deref()).map_err(anyhow::Error::msg)?;
            let e = app.soa_export(ctx, id, which).await?;
            if format == Format::Json {
                print_json(&e.doc)?;
            } else {
                let d = &e.doc;
                writeln!(
                    out,
                    "{} — {} ({}) — {}",
                    d.scope.name,
                    d.site.name,
                    d.site_code,
                    match e.version {
                        Some(n) => format!("version {n}"),
                        None => "working statement".into(),
                    }
                )?;
                for l in &d.lines {
                    writeln!(
                        out,
                        "{:<5} {:<14} {:<11} {:<44} {}",
                        l.control,
                        match l.applicability.as_str() {
                            "applicable" => "applicable",
                            "not_applicable" => "not applic.",
                            _ => "UNDECIDED",
                        },
                        if l.applicability == "applicable" { l.status.as_str() } else { "" },
                        cut(&l.title, 44),
                        cut(&l.justification, 60)
                    )?;
                }
                let c = c981_app::soa::completeness(d);
                if c.complete {
                    writeln!(out, "complete: every control decided and justified")?;
                } else {
                    writeln!(out, "{}", c.refusal())?;
                }
            }
        }
        SoaCommand::Set(a) => {
            let id = scope_id(&app, ctx, &a.scope).await?;
            let ctx = ctx.clone().with_reason(a.reason.clone());
            let view = app.soa_view(&ctx, id).await?;
            let control = c981_domain::annex_a::ControlId::parse(&a.control).map_err(anyhow::Error::msg)?.to_string();
            let line = view.doc.lines.iter().find(|l| l.control == control);
            // Fields not given keep their current value.
            let keep = |given: Option<String>, current: Option<&str>| given.or(current.map(str::to_owned));
            let applicability = if a.applicable {
                Some("applicable".to_owned())
            } else if a.not_applicable {
                Some("not_applicable".to_owned())
            } else {
                line.map(|l| l.applicability.clone())
            };
            let input = SoaEntryInput {
                applicability,
                justification: keep(a.justification, line.map(|l| l.justification.as_str())),
                status: keep(a.status, line.map(|l| l.status.as_str())),
                implementation: keep(a.implementation, line.map(|l| l.implementation.as_str())),
                owner: keep(a.owner, line.map(|l| l.owner.as_str())),
                risk_ids: if a.risks.is_empty() {
                    line.map(|l| l.risks.iter().map(|r| r.id.to_string()).collect()).unwrap_or_default()
                } else {
                    a.risks
                },
                evidence_ids: if a.evidence.is_empty() {
                    line.map(|l| l.evidence.iter().map(|r| r.id.to_string()).collect()).unwrap_or_default()
                } else {
                    a.evidence
                },
                requirements: if a.requirements.is_empty() {
                    line.map(|l| l.requirements.clone()).unwrap_or_default()
                } else {
                    a.requirements
                },
                next_review: keep(a.next_review, line.and_then(|l| l.next_review.as_deref())),
                ..Default::default()
            };
            let r = app.set_soa_entry(&ctx, id, &control, line.and_then(|l| l.entry_version), input).await?;
            writeln!(
                out,
                "{} {}: {} ({}), entry version {}",
                r.data.control,
                c981_domain::annex_a::control(r.data.control).map_or("", |c| c.title),
                r.data.applicability.label(),
                r.data.status.label(),
                r.version
            )?;
        }
        SoaCommand::Check { scope } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let doc = app.soa_doc(ctx, id).await?;
            let c = c981_app::soa::completeness(&doc);
            if c.complete {
                writeln!(out, "complete: all 93 controls decided and justified")?;
            } else {
                writeln!(out, "{}", c.refusal())?;
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        SoaCommand::Freeze { scope, note } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let v = app.freeze_soa(ctx, id, &note).await?;
            writeln!(
                out,
                "froze version {} (record soa-versions/{}); an approver signs it on its page or with POST /api/v1/soa-versions/{}/signatures",
                v.data.number,
                v.id.get(),
                v.id.get()
            )?;
        }
        SoaCommand::Versions { scope } => {
            let id = scope_id(&app, ctx, &scope).await?;
            for v in app.soa_versions(ctx, id).await? {
                writeln!(
                    out,
                    "v{:<3} {}  {:<20} {}{}",
                    v.number,
                    v.frozen_at,
                    cut(&v.frozen_by, 20),
                    if v.approved_by.is_empty() {
                        "awaiting approval".to_owned()
                    } else {
                        format!("approved by {}", v.approved_by.join(", "))
                    },
                    if v.note.is_empty() { String::new() } else { format!(" — {}", cut(&v.note, 60)) }
                )?;
            }
        }
        SoaCommand::Diff { scope, from, to, format } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let c = app.compare_soa(ctx, id, &from, &to).await?;
            if format == Format::Json {
                print_json(&c)?;
            } else if c.diffs.is_empty() {
                writeln!(out, "{from} and {to} are the same")?;
            } else {
                for d in &c.diffs {
                    writeln!(out, "{} {}", d.control, d.title)?;
                    for ch in &d.changes {
                        writeln!(
                            out,
                            "  {}: {} → {}",
                            ch.field,
                            cut(&ch.old.to_string(), 70),
                            cut(&ch.new.to_string(), 70)
                        )?;
                    }
                }
            }
        }
        SoaCommand::Bench(args) => crate::soa_bench::run(&app, ctx, &args).await?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn catalog(config: &Config, ctx: &Ctx, command: CatalogCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    let mut out = std::io::stdout().lock();
    match command {
        CatalogCommand::List { format } => {
            let c = app.catalogs(ctx).await?;
            if format == Format::Json {
                print_json(&c)?;
            } else {
                for x in &c {
                    writeln!(
                        out,
                        "{:<24} {:<8} {:>5} items {:>5} described  {}{}",
                        x.key,
                        x.version,
                        x.items,
                        x.described,
                        x.title,
                        if x.builtin { " (built in)" } else { "" }
                    )?;
                }
            }
        }
        CatalogCommand::Show { key, version, format } => {
            let items = app.catalog_items(ctx, &key, version.as_deref()).await?;
            if format == Format::Json {
                print_json(&items)?;
            } else {
                for i in &items {
                    writeln!(out, "{:<12} {:<28} {}", i.id, cut(&i.group, 28), i.title)?;
                }
            }
        }
        CatalogCommand::Import { file, catalog, version, title } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name =
                file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            match app.import_catalog(ctx, &catalog, version.as_deref(), title.as_deref(), &name, &bytes).await {
                Ok(c) => writeln!(
                    out,
                    "imported {} items into {} {} ({} with a description); {}",
                    c.items,
                    c.key,
                    c.version,
                    c.described,
                    c.source.unwrap_or_default()
                )?,
                Err(c981_app::AppError::Invalid(v)) => {
                    for e in &v.errors {
                        eprintln!("{}", e.message);
                    }
                    eprintln!("nothing imported");
                    return Ok(std::process::ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn crosswalk(
    config: &Config,
    ctx: &Ctx,
    command: CrosswalkCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    let mut out = std::io::stdout().lock();
    match command {
        CrosswalkCommand::List { control, catalog, format } => {
            let links = app.crosswalk(ctx, control.as_deref(), catalog.as_deref()).await?;
            if format == Format::Json {
                print_json(&links)?;
            } else {
                for l in &links {
                    writeln!(
                        out,
                        "{:>4}  {:<5} {:<11} {:<13} {:<12} {}{}",
                        l.link.id,
                        l.link.control,
                        l.link.relationship,
                        l.link.catalog,
                        l.link.target,
                        cut(&l.link.basis, 60),
                        if l.informative { "  [informative default]" } else { "" }
                    )?;
                }
                writeln!(
                    out,
                    "{} links; the defaults are informative: no authoritative public mapping between Annex A and IEC 62443-3-3 exists",
                    links.len()
                )?;
            }
        }
        CrosswalkCommand::Set { control, target, relationship, basis, catalog } => {
            let l = app.put_crosswalk_link(ctx, &control, &catalog, &target, &relationship, &basis).await?;
            writeln!(
                out,
                "{} {} {} {} {} (link {})",
                l.link.control, l.link.relationship, l.link.catalog, l.link.target, l.target_title, l.link.id
            )?;
        }
        CrosswalkCommand::Remove { id } => {
            let r = app.delete_crosswalk_link(ctx, id).await?;
            writeln!(out, "removed link {id}: {} {} {}", r.control, r.relationship, r.target)?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn export(config: &Config, ctx: &Ctx, command: ExportCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    match command {
        ExportCommand::Soa { scope, format, version, out } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let which = Which::parse(version.as_deref()).map_err(anyhow::Error::msg)?;
            let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_owned();
            let format = format.unwrap_or(ext);
            let bytes = if let Some(kind) = format.strip_prefix("oscal-") {
                let o = app.soa_oscal(ctx, id, which).await?;
                match kind {
                    "catalog" => o.catalog,
                    "profile" => o.profile,
                    "ssp" => o.ssp,
                    other => {
                        bail!("--format oscal-{other}: the OSCAL documents are oscal-catalog, oscal-profile, oscal-ssp")
                    }
                }
                .into_bytes()
            } else {
                let f = ExportFormat::parse(&format)
                    .map_err(|m| anyhow::anyhow!("--format: {m}; or oscal-catalog, oscal-profile, oscal-ssp"))?;
                let e = app.soa_export(ctx, id, which).await?;
                render_soa(&e, f, app.now(), &ctx.actor.name)?
            };
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), bytes.len());
        }
        ExportCommand::Bundle { scope, from, to, version, out } => {
            let id = scope_id(&app, ctx, &scope).await?;
            let which = Which::parse(Some(&version)).map_err(anyhow::Error::msg)?;
            let b = app.soa_bundle(ctx, id, which, &from, &to).await?;
            std::fs::write(&out, &b.bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes, {} files)", out.display(), b.bytes.len(), b.files.len());
            println!("manifest SHA-256 {} (recorded in the audit trail)", b.manifest_sha256);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub async fn bundle(config: &Config, ctx: &Ctx, command: BundleCommand) -> anyhow::Result<std::process::ExitCode> {
    let BundleCommand::Verify { file, manifest_sha256, offline } = command;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let report = match c981_report::bundle::verify(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: not a readable evidence bundle: {e}", file.display());
            return Ok(std::process::ExitCode::FAILURE);
        }
    };
    let mut out = std::io::stdout().lock();
    let m = &report.manifest;
    writeln!(out, "{}: {}", file.display(), m.title)?;
    writeln!(out, "period {} to {}, generated {}", m.period_from, m.period_to, m.generated_at)?;
    writeln!(out, "manifest SHA-256 {}", report.manifest_sha256)?;
    let mut ok = report.is_intact();
    writeln!(out, "{} files intact", report.intact.len())?;
    for p in &report.missing {
        writeln!(out, "MISSING  {p}")?;
    }
    for p in &report.extra {
        writeln!(out, "EXTRA    {p} (not in the manifest)")?;
    }
    for a in &report.altered {
        writeln!(
            out,
            "ALTERED  {} (manifest: {} bytes, SHA-256 {}; found: {} bytes, SHA-256 {})",
            a.path, a.expected_size, a.expected_sha256, a.actual_size, a.actual_sha256
        )?;
    }
    if let Some(noted) = &manifest_sha256 {
        if report.manifest_matches(noted) {
            writeln!(out, "the manifest is the one noted at build time")?;
        } else {
            writeln!(out, "MANIFEST REPLACED: its SHA-256 is not the one noted ({})", noted.trim())?;
            ok = false;
        }
    } else if !offline {
        match crate::open_app(config, false).await {
            Ok(app) => match app.bundle_recorded(ctx, &report.manifest_sha256).await? {
                Some(e) => writeln!(
                    out,
                    "the manifest is recorded in this server's audit trail: entry {} by {} at {}",
                    e.seq, e.draft.actor_name, e.draft.at
                )?,
                None => {
                    writeln!(out, "NOT RECORDED: this server's audit trail has no bundle with this manifest")?;
                    ok = false;
                }
            },
            Err(e) => {
                writeln!(out, "(the audit trail could not be read: {e}; checked the files against the manifest only)")?
            }
        }
    }
    writeln!(out, "{}", if ok { "VERIFIED" } else { "NOT VERIFIED" })?;
    Ok(if ok { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE })
}
