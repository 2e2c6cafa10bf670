//! `c981 risk bench`: the figures of the risk register at scale, on the configured database.
//!
//! When the database holds no risk, it is filled first: `--sites` sites (created when fewer
//! exist) with `--risks-per-site` synthetic risks each, in bulk (each still audited). Then,
//! through the same use cases the API and the pages call (in process, so the figures are the
//! application's and the database's, without HTTP):
//! - filtered lists of 100 risks (state, level, owner, two filters; one site and all sites):
//!   p50 and p99 over `--rounds` requests each; and the overdue list;
//! - the heatmap of one site and of the whole group (inherent and residual counts);
//! - the register exported to XLSX and CSV;
//! - re-rating every risk after a model change, and back (only on a register this bench
//!   filled: it adds model versions);
//! - the peak memory of the process.

use std::time::Instant;

use anyhow::bail;
use c981_app::{App, Ctx, ListParams};
use c981_domain::{Risk, RiskModel, Site, SiteId, SiteInput};
use c981_store::SiteScope;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct RiskBenchArgs {
    /// Sites of the register created when the database holds no risk.
    #[arg(long, default_value_t = 100)]
    pub sites: usize,
    /// Risks per site of that register.
    #[arg(long, default_value_t = 500)]
    pub risks_per_site: usize,
    /// Requests per measured list or heatmap.
    #[arg(long, default_value_t = 200)]
    pub rounds: usize,
}

/// The meta key that marks a register this bench filled (so re-rating it is harmless).
const FILLED: &str = "risk_bench_filled";

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// p50 and p99 of `times` (milliseconds).
pub(crate) fn p50_p99(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

async fn timed<F, Fut, T>(rounds: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        std::hint::black_box(f().await?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(p50_p99(&mut times))
}

async fn fill(app: &App, ctx: &Ctx, args: &RiskBenchArgs) -> anyhow::Result<Vec<SiteId>> {
    let mut sites = app.store().site_ids(&SiteScope::All).await?;
    for n in sites.len()..args.sites {
        let input = SiteInput {
            code: Some(format!("R{n:03}")),
            name: Some(format!("Plant {n}")),
            country: Some("DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            industry: Some("automotive".into()),
            ..Default::default()
        };
        sites.push(app.create::<Site>(ctx, &input).await?.id);
    }
    sites.truncate(args.sites);
    let t = Instant::now();
    for (i, site) in sites.iter().enumerate() {
        let items = c981_app::demo::synthetic_risks(*site, i * args.risks_per_site, args.risks_per_site)?;
        app.bulk_create(ctx, &items).await?;
    }
    app.store().set_meta(FILLED, "1").await?;
    app.store().optimize().await?;
    println!(
        "filled {} risks over {} sites in {:.1} s (bulk, one audit entry per risk)",
        sites.len() * args.risks_per_site,
        sites.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(sites)
}

pub async fn run(app: &App, ctx: &Ctx, args: &RiskBenchArgs) -> anyhow::Result<()> {
    let total = app.count::<Risk>(ctx, &ListParams::default()).await?;
    let mut sites = app.store().site_ids(&SiteScope::All).await?;
    if total == 0 {
        if args.sites == 0 || args.risks_per_site == 0 {
            bail!("--sites and --risks-per-site must be at least 1");
        }
        sites = fill(app, ctx, args).await?;
    }
    let total = app.count::<Risk>(ctx, &ListParams::default()).await?;
    println!("register: {total} risks over {} sites ({})", sites.len(), app.store().backend().name());
    let one = sites[sites.len() / 2];

    // Filtered lists, as the API serves them (JSON of a page of 100).
    let filters: [&[(&str, &str)]; 4] = [
        &[("state", "assessed")],
        &[("residual_level", "1")],
        &[("risk_owner", "Owner 7")],
        &[("inherent_level", "4"), ("state", "identified")],
    ];
    let mut worst = 0.0_f64;
    for f in filters {
        for site in [Some(one), None] {
            let p = ListParams {
                site_id: site,
                filters: f.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                limit: Some(100),
                ..Default::default()
            };
            let (p50, p99) = timed(args.rounds, || async { Ok(app.list_json::<Risk>(ctx, &p).await?) }).await?;
            worst = worst.max(p99);
            println!(
                "list {f:?} {}: p50 {p50:.2} ms, p99 {p99:.2} ms",
                if site.is_some() { "one site" } else { "all sites" }
            );
        }
    }
    let (p50, p99) = timed(args.rounds, || async { Ok(app.overdue_risks(ctx, None, None, Some(100)).await?) }).await?;
    worst = worst.max(p99);
    println!("overdue list, all sites: p50 {p50:.2} ms, p99 {p99:.2} ms");
    println!("filtered lists: worst p99 {worst:.2} ms");

    // Heatmaps.
    let (p50, p99) = timed(args.rounds, || async { Ok(app.risk_heatmap(ctx, Some(one)).await?) }).await?;
    println!("heatmap, one site: p50 {p50:.2} ms, p99 {p99:.2} ms");
    let (p50, p99) = timed(args.rounds, || async { Ok(app.risk_heatmap(ctx, None).await?) }).await?;
    println!("heatmap, the group ({} sites): p50 {p50:.2} ms, p99 {p99:.2} ms", sites.len());

    // Exports of the whole register.
    use c981_app::risk_export::{ExportFormat, ExportQuery, render};
    let t = Instant::now();
    let report = app.risk_register_report(ctx, &ExportQuery::default()).await?;
    let read = t.elapsed().as_secs_f64();
    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        let t = Instant::now();
        let bytes = render(&report, format, app.now(), "bench")?;
        println!(
            "export of {total} risks to {}: {:.2} s ({:.2} s reading the register), {:.1} MB",
            format.extension(),
            read + t.elapsed().as_secs_f64(),
            read,
            bytes.len() as f64 / 1e6
        );
    }

    // Re-rating after a model change, and back.
    if app.store().meta(FILLED).await?.is_some() {
        let mut m = RiskModel::default().to_json();
        m["matrix"] = json!([[1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 3, 3, 4], [2, 3, 3, 4, 4], [3, 3, 4, 4, 4]]);
        if let Some(d) = m["dimensions"].as_array_mut() {
            d.retain(|x| x["key"] != "financial");
        }
        for (what, model) in [("a model change", m), ("the default model again", RiskModel::default().to_json())] {
            app.set_risk_model(ctx, &model, None).await?;
            let t = Instant::now();
            let c = app.rerate_risks(ctx).await?;
            println!(
                "re-rating after {what}: {} moved, {} flagged, {} still flagged in {:.2} s",
                c.rerated,
                c.flagged,
                c.still_flagged,
                t.elapsed().as_secs_f64()
            );
        }
    } else {
        println!("re-rating: skipped (this register was not filled by the bench; re-rating would add model versions)");
    }
    println!("peak memory: {:.0} MiB", peak_rss_mib());
    Ok(())
}
