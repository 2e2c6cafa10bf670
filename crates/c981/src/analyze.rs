//! `c981 analyze …`: the IEC 62443 analysis from the command line (findings, cross-domain
//! paths, security levels, the zone diagram) and its benchmark.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use c981_analysis::findings::{Rule, Severity};
use c981_analysis::paths::{EntryKind, Options, Rank, TargetKind};
use c981_app::analysis::FindingQuery;
use c981_app::{App, Ctx};
use c981_domain::{ConduitId, SiteId, ZoneId};
use c981_store::SiteScope;
use clap::{Subcommand, ValueEnum};

use crate::config::Config;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum AnalyzeCommand {
    /// Conformance findings (zones, conduits, flows, separations, SL gaps), most severe first.
    Findings {
        /// Only this site (its code); all sites you may read otherwise.
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Only findings of this severity or above (info, low, medium, high, critical).
        #[arg(long, value_name = "SEVERITY", value_parser = Severity::parse)]
        min_severity: Option<Severity>,
        /// Only this rule (e.g. flow_without_conduit).
        #[arg(long, value_name = "RULE", value_parser = Rule::parse)]
        rule: Option<Rule>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Cross-domain paths from entry zones into control and safety zones.
    Paths {
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Entry kinds to start from (enterprise, remote_access, cloud, external, wireless,
        /// temporary); repeat or separate with commas. All by default.
        #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = EntryKind::parse)]
        from: Vec<EntryKind>,
        /// Critical kinds to end at (control, safety). Both by default.
        #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = TargetKind::parse)]
        to: Vec<TargetKind>,
        /// Ranking: exposure (default), hops, weakest, unencrypted, undocumented.
        #[arg(long, value_parser = Rank::parse, default_value = "exposure")]
        rank: Rank,
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=16))]
        max_hops: u8,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Target and achieved security level, gap and requirement coverage of a zone or conduit.
    Levels {
        #[arg(long, value_name = "ID", conflicts_with = "conduit", required_unless_present = "conduit")]
        zone: Option<i64>,
        #[arg(long, value_name = "ID")]
        conduit: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The zone-and-conduit diagram of a site as SVG.
    Diagram {
        #[arg(long, value_name = "CODE")]
        site: String,
        /// Write to this file (standard output otherwise).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The IEC 62443-3-3 catalogue (ids, short titles, levels), or import licensed
    /// description text into it (CSV `id,description`, see docs/iec62443.md).
    Catalogue {
        #[arg(long, value_name = "FILE")]
        import: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Measure the analysis on this database: every site cold, then warm, then one site and
    /// its diagram (see docs/performance.md).
    Bench {
        /// The site measured alone (the largest one by default).
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
}

async fn site_id(app: &App, ctx: &Ctx, code: Option<&str>) -> anyhow::Result<Option<SiteId>> {
    let Some(code) = code else { return Ok(None) };
    let site = app.store().site_by_code(&ctx.actor.scope, code).await?;
    match site {
        Some(s) => Ok(Some(s.id)),
        None => bail!("there is no site {code:?} (or you may not read it)"),
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

pub async fn run(config: &Config, ctx: &Ctx, command: AnalyzeCommand) -> anyhow::Result<std::process::ExitCode> {
    let app = crate::open_app(config, false).await?;
    match command {
        AnalyzeCommand::Findings { site, min_severity, rule, format } => {
            let site_id = site_id(&app, ctx, site.as_deref()).await?;
            let found = app.findings(ctx, &FindingQuery { site_id, min_severity, rule }).await?;
            match format {
                Format::Json => print_json(&found)?,
                Format::Table => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{:<9} {:<6} {:<34} {:<16} message", "severity", "site", "rule", "subject")?;
                    for f in &found {
                        writeln!(
                            out,
                            "{:<9} {:<6} {:<34} {:<16} {}",
                            f.severity.as_str(),
                            f.site_id,
                            f.rule.code(),
                            f.subject.to_string(),
                            f.message
                        )?;
                    }
                    writeln!(out, "{} findings", found.len())?;
                }
            }
        }
        AnalyzeCommand::Paths { site, from, to, rank, max_hops, format } => {
            let site_id = site_id(&app, ctx, site.as_deref()).await?;
            let opts = Options { from, to, rank, max_hops: max_hops.into(), ..Options::default() };
            let found = app.paths(ctx, site_id, &opts).await?;
            match format {
                Format::Json => print_json(&found)?,
                Format::Table => {
                    let mut out = std::io::stdout().lock();
                    writeln!(
                        out,
                        "{:>4} {:<13} {:<8} {:>4} {:>7} {:>6} {:>7}  path",
                        "#", "from", "to", "hops", "undoc", "unenc", "weakest"
                    )?;
                    for (i, p) in found.paths.iter().enumerate() {
                        let route = p.nodes.iter().map(|n| n.label()).collect::<Vec<_>>().join(" → ");
                        writeln!(
                            out,
                            "{:>4} {:<13} {:<8} {:>4} {:>7} {:>6} {:>7}  {route}",
                            i + 1,
                            p.entry.as_str(),
                            p.target.as_str(),
                            p.hops.len(),
                            p.undocumented_hops,
                            p.unencrypted_hops,
                            p.weakest_sl
                        )?;
                    }
                    writeln!(
                        out,
                        "{} paths{}",
                        found.paths.len(),
                        if found.truncated { " (truncated: more exist)" } else { "" }
                    )?;
                }
            }
        }
        AnalyzeCommand::Levels { zone, conduit, format } => {
            let levels = match (zone, conduit) {
                (Some(z), _) => app.zone_levels(ctx, ZoneId::new(z)).await?,
                (None, Some(c)) => app.conduit_levels(ctx, ConduitId::new(c)).await?,
                (None, None) => bail!("give --zone ID or --conduit ID"),
            };
            match format {
                Format::Json => print_json(&levels)?,
                Format::Table => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "SL-T {}   SL-A {}   gap {:?}", levels.target, levels.achieved, levels.gap)?;
                    for r in &levels.coverage {
                        let status = r.status.as_ref().map_or("(not recorded)", |s| s.kind());
                        writeln!(out, "{:<14} SL{} {:<16} {}", r.requirement.to_string(), r.level, status, r.title)?;
                    }
                }
            }
        }
        AnalyzeCommand::Diagram { site, out } => {
            let id = site_id(&app, ctx, Some(&site)).await?.expect("a code was given");
            let record = app.get::<c981_domain::Site>(ctx, id.get()).await?;
            let svg =
                app.zone_diagram(ctx, id, &format!("{} ({}): zones and conduits", record.data.name, site)).await?;
            match out {
                Some(path) => std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().lock().write_all(svg.as_bytes())?,
            }
        }
        AnalyzeCommand::Catalogue { import: Some(path), .. } => {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let name =
                path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
            match app.import_requirement_texts(ctx, &name, &bytes).await {
                Ok(n) => println!("imported the description of {n} requirements from {}", path.display()),
                Err(c981_app::AppError::Invalid(v)) => {
                    for e in &v.errors {
                        eprintln!("{}", e.message);
                    }
                    bail!("{} was not imported: {} errors", path.display(), v.errors.len());
                }
                Err(e) => return Err(e.into()),
            }
        }
        AnalyzeCommand::Catalogue { import: None, format } => {
            let texts = app.requirement_texts().await?;
            match format {
                Format::Json => {
                    let v: Vec<_> = c981_analysis::catalogue::requirements()
                        .iter()
                        .map(|r| serde_json::json!({ "id": r.id, "title": r.title, "level": r.level, "description": texts.get(&r.id) }))
                        .collect();
                    print_json(&v)?;
                }
                Format::Table => {
                    let mut out = std::io::stdout().lock();
                    for r in c981_analysis::catalogue::requirements() {
                        let mark = if texts.contains_key(&r.id) { " [text imported]" } else { "" };
                        writeln!(out, "{:<14} SL{}  {}{mark}", r.id.to_string(), r.level, r.title)?;
                    }
                }
            }
        }
        AnalyzeCommand::Bench { site, rounds } => bench(&app, ctx, site.as_deref(), rounds.max(1)).await?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

async fn bench(app: &App, ctx: &Ctx, site: Option<&str>, rounds: usize) -> anyhow::Result<()> {
    let sites = app.store().site_ids(&SiteScope::All).await?;
    if sites.is_empty() {
        bail!(
            "the database holds no site: load one with `c981 demo --sites N --assets-per-site M --flows-per-10-assets F`"
        );
    }
    // Estate-wide, cold: every site loaded and analysed, then every path searched.
    let t = Instant::now();
    let analyses = app.site_analyses(ctx, &sites).await?;
    let load = t.elapsed();
    let t = Instant::now();
    let findings = app.findings(ctx, &FindingQuery::default()).await?;
    let paths = app.paths(ctx, None, &Options::default()).await?;
    let search = t.elapsed();
    let assets: u64 = analyses.iter().map(|a| a.asset_count).sum();
    let flows: u64 = analyses.iter().map(|a| a.flow_count).sum();
    println!(
        "estate: {} sites, {assets} assets, {flows} flows: loaded and analysed cold in {:.2} s; then {} findings and {} paths{} in {:.2} s; total {:.2} s; peak memory {:.0} MiB",
        sites.len(),
        load.as_secs_f64(),
        findings.len(),
        paths.paths.len(),
        if paths.truncated { " (truncated)" } else { "" },
        search.as_secs_f64(),
        (load + search).as_secs_f64(),
        peak_rss_mib()
    );
    // Warm: nothing changed, everything from the cache (a version check per site).
    let t = Instant::now();
    let f2 = app.findings(ctx, &FindingQuery::default()).await?;
    let p2 = app.paths(ctx, None, &Options::default()).await?;
    println!(
        "estate, unchanged (from cache): {} findings and {} paths in {:.1} ms",
        f2.len(),
        p2.paths.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    // One site: cold (a fresh application, so no cache), warm, and its diagram.
    let one = match site {
        Some(code) => site_id(app, ctx, Some(code)).await?.expect("a code was given"),
        None => analyses.iter().max_by_key(|a| (a.asset_count, a.flow_count)).map(|a| a.site_id).expect("sites"),
    };
    let (mut cold, mut warm, mut draw) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_assets, mut n_flows) = (0, 0);
    for _ in 0..rounds {
        let fresh =
            App::new(app.store().clone(), std::sync::Arc::new(c981_app::SystemClock::default()), PathBuf::new());
        let t = Instant::now();
        let a = fresh.site_analysis(ctx, one).await?;
        let _ = fresh.paths(ctx, Some(one), &Options::default()).await?;
        cold.push(t.elapsed().as_secs_f64() * 1000.0);
        (n_assets, n_flows) = (a.asset_count, a.flow_count);
        let t = Instant::now();
        let _ = fresh.findings(ctx, &FindingQuery { site_id: Some(one), ..Default::default() }).await?;
        let _ = fresh.paths(ctx, Some(one), &Options::default()).await?;
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
        let d = c981_app::analysis::diagram_of(&a, "bench");
        let t = Instant::now();
        let svg = c981_analysis::svg::zone_diagram(&d);
        draw.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(svg);
    }
    println!(
        "one site ({n_assets} assets, {n_flows} flows), {rounds} rounds: cold p50 {:.1} ms (max {:.1}); unchanged p50 {:.2} ms; zone diagram p50 {:.2} ms",
        percentile(&mut cold, 0.5),
        percentile(&mut cold, 1.0),
        percentile(&mut warm, 0.5),
        percentile(&mut draw, 0.5),
    );
    Ok(())
}
