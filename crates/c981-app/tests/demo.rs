//! The demo and synthetic estates, loaded through the use cases on both databases, and the
//! synthetic estate written as CSV files.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use c981_app::demo::{DemoSummary, SyntheticOptions, load_demo, load_synthetic, write_synthetic_csv};
use c981_app::{Actor, App, AppError, Clock, Ctx, FixedClock, ListParams, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::{Asset, Conduit, DataFlow, Interface, InterfaceKind, Site, Timestamp, Zone, ZoneKind};
use c981_store::Backend;
use c981_testkit::{TestDb, backend_tests};

struct Fixture {
    app: App,
    ctx: Ctx,
    _dir: tempfile::TempDir,
}

async fn fixture_with(db: &TestDb, clock: Arc<dyn Clock>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"));
    let ctx = Ctx::new(Actor::system("demo"), Channel::System, "test");
    Fixture { app, ctx, _dir: dir }
}

async fn fixture(db: &TestDb) -> Fixture {
    fixture_with(db, Arc::new(SystemClock::default())).await
}

/// A second fresh database on the same backend.
async fn another(db: &TestDb) -> TestDb {
    match db.backend {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::Postgres => TestDb::postgres().await.expect("PostgreSQL answered a moment ago"),
    }
}

fn everything() -> ListParams {
    ListParams { limit: Some(1000), ..Default::default() }
}

/// What the database holds, counted the way a load summarises it.
async fn holdings(f: &Fixture) -> DemoSummary {
    let p = ListParams::default();
    let n = |r: Result<i64, AppError>| usize::try_from(r.unwrap()).unwrap();
    DemoSummary {
        sites: n(f.app.count::<Site>(&f.ctx, &p).await),
        zones: n(f.app.count::<Zone>(&f.ctx, &p).await),
        conduits: n(f.app.count::<Conduit>(&f.ctx, &p).await),
        assets: n(f.app.count::<Asset>(&f.ctx, &p).await),
        flows: n(f.app.count::<DataFlow>(&f.ctx, &p).await),
        interfaces: n(f.app.count::<Interface>(&f.ctx, &p).await),
        requirement_statuses: n(f.app.count::<c981_domain::RequirementStatus>(&f.ctx, &p).await),
        risks: n(f.app.count::<c981_domain::Risk>(&f.ctx, &p).await),
        suppliers: n(f.app.count::<c981_domain::Supplier>(&f.ctx, &p).await),
        scopes: n(f.app.count::<c981_domain::IsmsScope>(&f.ctx, &p).await),
        evidence: n(f.app.count::<c981_domain::Evidence>(&f.ctx, &p).await),
        soa_entries: n(f.app.count::<c981_domain::SoaEntry>(&f.ctx, &p).await),
        soa_versions: n(f.app.count::<c981_domain::SoaVersion>(&f.ctx, &p).await),
    }
}

fn total(s: &DemoSummary) -> u64 {
    (s.sites
        + s.zones
        + s.conduits
        + s.assets
        + s.flows
        + s.interfaces
        + s.requirement_statuses
        + s.risks
        + s.suppliers
        + s.scopes
        + s.evidence
        + s.soa_entries
        + s.soa_versions) as u64
}

async fn the_demo_estate_spans_three_industries_with_purdue_zones_and_outside_interfaces(db: TestDb) {
    let f = fixture(&db).await;
    let summary = load_demo(&f.app, &f.ctx).await.unwrap();
    assert!(summary.sites >= 3, "{summary:?}");
    assert!(summary.assets >= 300, "{summary:?}");
    assert_eq!(holdings(&f).await, summary);

    let sites = f.app.list::<Site>(&f.ctx, &everything()).await.unwrap().items;
    let industries: HashSet<_> = sites.iter().map(|s| s.data.industry).collect();
    assert!(industries.len() >= 3, "industries: {industries:?}");
    for site in &sites {
        let here = ListParams { site_id: Some(site.id), limit: Some(1000), ..Default::default() };
        let zones: HashSet<ZoneKind> =
            f.app.list::<Zone>(&f.ctx, &here).await.unwrap().items.iter().map(|z| z.data.kind).collect();
        for kind in [
            ZoneKind::Dmz,
            ZoneKind::Safety,
            ZoneKind::RemoteAccess,
            ZoneKind::Cloud,
            ZoneKind::Control,
            ZoneKind::Field,
        ] {
            assert!(zones.contains(&kind), "site {} has no {kind} zone", site.data.code);
        }
        let interfaces: HashSet<InterfaceKind> =
            f.app.list::<Interface>(&f.ctx, &here).await.unwrap().items.iter().map(|i| i.data.system_kind).collect();
        assert!(interfaces.contains(&InterfaceKind::Mes), "site {} has no MES interface", site.data.code);
        assert!(interfaces.contains(&InterfaceKind::Erp), "site {} has no ERP interface", site.data.code);
        let assets = f.app.count::<Asset>(&f.ctx, &here).await.unwrap();
        assert!(assets >= 120, "site {} has {assets} assets", site.data.code);
    }
}

async fn every_demo_record_is_audited_and_the_trail_verifies(db: TestDb) {
    let f = fixture(&db).await;
    let summary = load_demo(&f.app, &f.ctx).await.unwrap();
    let report = f.app.audit_verify(&f.ctx).await.unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.entries, total(&summary), "one audit entry per record created");
}

async fn loading_the_demo_twice_is_refused_and_changes_nothing(db: TestDb) {
    let f = fixture(&db).await;
    load_demo(&f.app, &f.ctx).await.unwrap();
    let before = holdings(&f).await;
    let entries = f.app.audit_verify(&f.ctx).await.unwrap().entries;

    match load_demo(&f.app, &f.ctx).await {
        Err(AppError::Conflict(message)) => assert_eq!(
            message,
            "the database already holds sites: the demo estate is loaded only into an empty database"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let opts = SyntheticOptions { sites: 1, assets_per_site: 10, seed: 1, flows_per_10_assets: 1 };
    assert!(matches!(load_synthetic(&f.app, &f.ctx, &opts).await, Err(AppError::Conflict(_))));

    assert_eq!(holdings(&f).await, before);
    let report = f.app.audit_verify(&f.ctx).await.unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.entries, entries);
}

async fn a_synthetic_estate_is_the_same_on_two_fresh_databases(db: TestDb) {
    let other = another(&db).await;
    let clock = || -> Arc<dyn Clock> { Arc::new(FixedClock(Timestamp::parse("2026-03-30T08:00:00Z").unwrap())) };
    let (a, b) = (fixture_with(&db, clock()).await, fixture_with(&other, clock()).await);
    let opts = SyntheticOptions { sites: 3, assets_per_site: 500, seed: 7, flows_per_10_assets: 1 };

    let summary = load_synthetic(&a.app, &a.ctx, &opts).await.unwrap();
    assert_eq!(load_synthetic(&b.app, &b.ctx, &opts).await.unwrap(), summary);
    assert_eq!(summary.sites, 3);
    assert_eq!(summary.assets, 1500);
    assert_eq!(summary.flows, 150);
    assert_eq!(holdings(&a).await, summary);
    assert_eq!(holdings(&b).await, summary);

    let page = everything();
    assert_eq!(
        a.app.list_json::<Asset>(&a.ctx, &page).await.unwrap(),
        b.app.list_json::<Asset>(&b.ctx, &page).await.unwrap()
    );
    assert_eq!(
        a.app.list_json::<Zone>(&a.ctx, &page).await.unwrap(),
        b.app.list_json::<Zone>(&b.ctx, &page).await.unwrap()
    );
    assert_eq!(
        a.app.list_json::<DataFlow>(&a.ctx, &page).await.unwrap(),
        b.app.list_json::<DataFlow>(&b.ctx, &page).await.unwrap()
    );

    let report = a.app.audit_verify(&a.ctx).await.unwrap();
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.entries, total(&summary));

    // The CSV files describe the very same estate (requirement statuses are not among them).
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        write_synthetic_csv(dir.path(), &opts).unwrap(),
        DemoSummary { requirement_statuses: 0, scopes: 0, evidence: 0, soa_entries: 0, soa_versions: 0, ..summary }
    );

    assert!(matches!(load_synthetic(&a.app, &a.ctx, &opts).await, Err(AppError::Conflict(_))));
}

async fn synthetic_options_out_of_range_are_refused_by_field(db: TestDb) {
    let f = fixture(&db).await;
    let opts = SyntheticOptions { sites: 0, assets_per_site: 10, seed: 1, flows_per_10_assets: 1 };
    match load_synthetic(&f.app, &f.ctx, &opts).await {
        Err(AppError::Invalid(v)) => assert_eq!(v.errors[0].field, "sites"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(holdings(&f).await, DemoSummary::default());
}

backend_tests!(
    the_demo_estate_spans_three_industries_with_purdue_zones_and_outside_interfaces,
    every_demo_record_is_audited_and_the_trail_verifies,
    loading_the_demo_twice_is_refused_and_changes_nothing,
    a_synthetic_estate_is_the_same_on_two_fresh_databases,
    synthetic_options_out_of_range_are_refused_by_field,
);

fn read(path: &std::path::Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows =
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect()).collect();
    (header, rows)
}

#[test]
fn the_synthetic_csv_files_hold_one_row_per_record_with_references_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate");
    let opts = SyntheticOptions { sites: 3, assets_per_site: 500, seed: 7, flows_per_10_assets: 1 };
    let summary = write_synthetic_csv(&out, &opts).unwrap();
    assert_eq!(summary.assets, 1500);

    let (_, sites) = read(&out.join("sites.csv"));
    let (_, zones) = read(&out.join("zones.csv"));
    let (_, conduits) = read(&out.join("conduits.csv"));
    let (header, assets) = read(&out.join("assets.csv"));
    let (_, flows) = read(&out.join("flows.csv"));
    let (_, interfaces) = read(&out.join("interfaces.csv"));
    assert_eq!(
        [sites.len(), zones.len(), conduits.len(), assets.len(), flows.len(), interfaces.len()],
        [summary.sites, summary.zones, summary.conduits, summary.assets, summary.flows, summary.interfaces]
    );
    assert_eq!(&header[..4], ["site", "zone", "name", "kind"]);

    let codes: HashSet<&str> = sites.iter().map(|s| s["code"].as_str()).collect();
    assert_eq!(codes, HashSet::from(["S001", "S002", "S003"]));
    let zone_names: HashSet<(&str, &str)> = zones.iter().map(|z| (z["site"].as_str(), z["name"].as_str())).collect();
    let asset_names: HashSet<(&str, &str)> = assets.iter().map(|a| (a["site"].as_str(), a["name"].as_str())).collect();
    assert_eq!(asset_names.len(), assets.len(), "asset names are unique per site");
    for a in &assets {
        assert!(zone_names.contains(&(a["site"].as_str(), a["zone"].as_str())), "{a:?}");
        assert!(!a["ip_addresses"].is_empty());
    }
    for c in &conduits {
        for z in c["zones"].split(';') {
            assert!(zone_names.contains(&(c["site"].as_str(), z)), "{c:?}");
        }
    }
    for f in &flows {
        for side in ["source", "destination"] {
            let (asset, external) = (&f[side], &f[&format!("{side}_external")]);
            assert!(asset.is_empty() != external.is_empty(), "exactly one of {side} and {side}_external: {f:?}");
            assert!(asset.is_empty() || asset_names.contains(&(f["site"].as_str(), asset.as_str())), "{f:?}");
        }
    }

    // Written twice, the files are the same bytes.
    let again = dir.path().join("again");
    write_synthetic_csv(&again, &opts).unwrap();
    for file in ["sites.csv", "zones.csv", "conduits.csv", "assets.csv", "flows.csv", "interfaces.csv"] {
        assert_eq!(std::fs::read(out.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file}");
    }
}
