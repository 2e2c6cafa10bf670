//! The register at scale: 50,000 risks over 100 sites, re-rated after a model change and
//! listed with filters. Ignored by default (it takes a while to fill); run with
//! `cargo nextest run -p c981-app --test risk_scale --run-ignored only --no-capture` to print
//! the timings. It asserts what must hold at any speed (every risk moved or flagged, the
//! trail intact); the figures are printed, not asserted.

use std::sync::Arc;
use std::time::Instant;

use c981_app::{Actor, App, Ctx, ListParams, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::entity::Entity;
use c981_domain::{Risk, RiskModel, Site, SiteId, SiteInput};
use c981_testkit::TestDb;
use serde_json::json;

const SITES: usize = 100;
const PER_SITE: usize = 500;

async fn fifty_thousand_risks_are_re_rated_in_one_set_based_pass(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.path().join("k"));
    let op = Ctx::new(Actor::local_operator("scale"), Channel::Cli, "scale");
    let mut sites = Vec::new();
    for n in 0..SITES {
        let input = SiteInput {
            code: Some(format!("S{n:03}")),
            name: Some(format!("Plant {n}")),
            country: Some("DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            industry: Some("automotive".into()),
            ..Default::default()
        };
        sites.push(app.create::<Site>(&op, &input).await.unwrap().id);
    }
    let started = Instant::now();
    let dims = ["safety", "production_continuity", "product_quality", "integrity", "confidentiality", "financial"];
    for (s, site) in sites.iter().enumerate() {
        let items: Vec<Risk> = (0..PER_SITE)
            .map(|i| {
                let k = s * PER_SITE + i;
                let mut inherent = serde_json::Map::new();
                inherent.insert(dims[k % 6].into(), json!(1 + (k / 5) % 5));
                inherent.insert(dims[(k + 1) % 6].into(), json!(1 + (k / 7) % 5));
                let mut residual = serde_json::Map::new();
                residual.insert(dims[k % 6].into(), json!(1 + (k / 11) % 3));
                let v = json!({
                    "site_id": site.get(),
                    "title": format!("Risk {k}"),
                    "inherent_likelihood": 1 + k % 5,
                    "inherent_impacts": inherent,
                    "residual_likelihood": 1 + (k / 3) % 3,
                    "residual_impacts": residual,
                    "risk_owner": format!("Owner {}", k % 40),
                    "review_date": format!("2026-{:02}-15", 1 + k % 12),
                    "state": if k.is_multiple_of(2) { "identified" } else { "assessed" },
                });
                Risk::parse(&serde_json::from_value(v).unwrap()).unwrap()
            })
            .collect();
        app.bulk_create(&op, &items).await.unwrap();
    }
    println!("[{}] loaded {} risks in {:.1} s", db.backend.name(), SITES * PER_SITE, started.elapsed().as_secs_f64());

    // Filtered lists (one site, all sites), as the API serves them.
    let mut lists = Vec::new();
    for (n, filters) in [
        vec![("state", "assessed")],
        vec![("residual_level", "1")],
        vec![("risk_owner", "Owner 7")],
        vec![("inherent_level", "4"), ("state", "identified")],
    ]
    .into_iter()
    .enumerate()
    {
        for site in [Some(sites[n * 7]), None] {
            let p = ListParams {
                site_id: site,
                filters: filters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                limit: Some(100),
                ..Default::default()
            };
            let mut times = Vec::new();
            for _ in 0..20 {
                let t = Instant::now();
                app.list_json::<Risk>(&op, &p).await.unwrap();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            lists.push(format!(
                "{filters:?} site={:?}: p50 {:.2} ms, max {:.2} ms",
                site.map(SiteId::get),
                times[10],
                times[19]
            ));
        }
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        app.overdue_risks(&op, None, None, Some(100)).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    lists.push(format!("overdue, all sites: p50 {:.2} ms, max {:.2} ms", times[10], times[19]));
    for l in lists {
        println!("[{}] list {l}", db.backend.name());
    }

    // A model change that moves most ratings and strands those of the financial dimension.
    let mut m = RiskModel::default().to_json();
    m["matrix"] = json!([[1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 3, 3, 4], [2, 3, 3, 4, 4], [3, 3, 4, 4, 4]]);
    m["dimensions"].as_array_mut().unwrap().retain(|d| d["key"] != "financial");
    app.set_risk_model(&op, &m, None).await.unwrap();
    let t = Instant::now();
    let counts = app.rerate_risks(&op).await.unwrap();
    let took = t.elapsed().as_secs_f64();
    println!("[{}] re-rated {counts:?} in {took:.3} s", db.backend.name());
    assert_eq!((counts.rerated + counts.flagged) as usize, SITES * PER_SITE);
    assert!(counts.flagged > 0);
    let t = Instant::now();
    assert!(app.audit_verify(&op).await.unwrap().ok());
    println!("[{}] audit trail verified in {:.1} s", db.backend.name(), t.elapsed().as_secs_f64());
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "fills 50,000 risks: run on purpose"]
    async fn fifty_thousand_risks_are_re_rated_in_one_set_based_pass() {
        super::fifty_thousand_risks_are_re_rated_in_one_set_based_pass(c981_testkit::TestDb::sqlite().await).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "fills 50,000 risks: run on purpose"]
    async fn fifty_thousand_risks_are_re_rated_in_one_set_based_pass() {
        let Some(db) = c981_testkit::TestDb::postgres().await else { return };
        super::fifty_thousand_risks_are_re_rated_in_one_set_based_pass(db).await
    }
}
