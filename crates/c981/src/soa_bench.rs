//! `c981 soa bench`: the figures of the Statement of Applicability, on the configured database.
//!
//! When the database holds no scope, it is filled first: `--sites` sites (created when fewer
//! exist), each with `--risks-per-site` synthetic risks, four pieces of evidence and a scope
//! whose 93 controls are all decided (risks linked where they name the control), one in three
//! frozen. Then, through the same use cases the API calls (in process: the application's and
//! the database's figures, without HTTP), over `--rounds` runs each, p50 and p99 of:
//! - the statement of one scope as XLSX, as PDF, and as OSCAL (catalog, profile and SSP);
//! - the group dashboard over every site.

use std::time::Instant;

use anyhow::bail;
use c981_app::risk_export::ExportFormat;
use c981_app::soa_export::{Which, render_soa};
use c981_app::{App, Ctx, ListParams};
use c981_domain::{IsmsScope, Site, SiteInput};
use c981_store::SiteScope;

#[derive(Debug, clap::Args)]
pub struct SoaBenchArgs {
    /// Sites created when the database holds no scope.
    #[arg(long, default_value_t = 100)]
    pub sites: usize,
    /// Synthetic risks per site (the statement links those that name a control).
    #[arg(long, default_value_t = 200)]
    pub risks_per_site: usize,
    /// Runs per measured operation.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
}

async fn fill(app: &App, ctx: &Ctx, args: &SoaBenchArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let mut sites = app.store().site_ids(&SiteScope::All).await?;
    for n in sites.len()..args.sites {
        let input = SiteInput {
            code: Some(format!("S{n:03}")),
            name: Some(format!("Plant {n}")),
            country: Some("DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            industry: Some("automotive".into()),
            ..Default::default()
        };
        sites.push(app.create::<Site>(ctx, &input).await?.id);
    }
    sites.truncate(args.sites);
    for (i, site) in sites.iter().enumerate() {
        let risks = c981_app::demo::synthetic_risks(*site, i * args.risks_per_site, args.risks_per_site)?;
        app.bulk_create(ctx, &risks).await?;
    }
    c981_app::demo_isms::load_synthetic_isms(app, ctx).await?;
    app.store().optimize().await?;
    println!(
        "filled {} sites with {} risks each and a complete statement ({:.1} s)",
        sites.len(),
        args.risks_per_site,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn timed<F, Fut, T>(rounds: usize, mut f: F) -> anyhow::Result<(f64, f64, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let v = f().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(v);
    }
    let (p50, p99) = crate::risk_bench::p50_p99(&mut times);
    Ok((p50, p99, last.expect("at least one round")))
}

pub async fn run(app: &App, ctx: &Ctx, args: &SoaBenchArgs) -> anyhow::Result<()> {
    if app.count::<IsmsScope>(ctx, &ListParams::default()).await? == 0 {
        if args.sites == 0 {
            bail!("--sites must be at least 1");
        }
        fill(app, ctx, args).await?;
    }
    let scopes = app.list::<IsmsScope>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?.items;
    let sites = app.store().site_ids(&SiteScope::All).await?.len();
    println!("{} scopes over {sites} sites ({})", scopes.len(), app.store().backend().name());
    let scope = scopes[scopes.len() / 2].id.get();
    let linked: usize = app.soa_doc(ctx, scope).await?.lines.iter().map(|l| l.risks.len()).sum();
    println!("measured scope {scope}: 93 controls, {linked} risk links");
    let (p50, p99, bytes) = timed(args.rounds, || async {
        let e = app.soa_export(ctx, scope, Which::Current).await?;
        Ok(render_soa(&e, ExportFormat::Xlsx, app.now(), "bench")?)
    })
    .await?;
    println!("SoA XLSX, one scope: p50 {p50:.1} ms, p99 {p99:.1} ms ({} bytes)", bytes.len());
    let (p50, p99, bytes) = timed(args.rounds, || async {
        let e = app.soa_export(ctx, scope, Which::Current).await?;
        Ok(render_soa(&e, ExportFormat::Pdf, app.now(), "bench")?)
    })
    .await?;
    println!("SoA PDF, one scope: p50 {p50:.1} ms, p99 {p99:.1} ms ({} bytes)", bytes.len());
    let (p50, p99, o) = timed(args.rounds, || async { Ok(app.soa_oscal(ctx, scope, Which::Current).await?) }).await?;
    println!(
        "SoA OSCAL (catalog, profile, SSP), one scope: p50 {p50:.1} ms, p99 {p99:.1} ms ({} bytes)",
        o.catalog.len() + o.profile.len() + o.ssp.len()
    );
    let (p50, p99, d) = timed(args.rounds.max(20), || async { Ok(app.soa_dashboard(ctx, None).await?) }).await?;
    println!("group dashboard over {} scopes: p50 {p50:.1} ms, p99 {p99:.1} ms", d.scopes.len());
    Ok(())
}
