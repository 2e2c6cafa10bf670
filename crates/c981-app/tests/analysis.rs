//! The IEC 62443 analysis through the use cases, on both databases: a hand-built plant with
//! known findings, paths and achieved levels; caching per site version; site scoping.

use std::sync::Arc;

use c981_analysis::findings::{Rule, Subject};
use c981_analysis::paths::{EntryKind, Options, TargetKind};
use c981_app::analysis::{FindingQuery, Target};
use c981_app::{Actor, App, AppError, Ctx, Grant, Role, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::{
    AssetInput, Conduit, ConduitInput, DataFlow, FlowInput, RequirementStatus, RequirementStatusInput, Site, SiteId,
    SiteInput, Zone, ZoneInput,
};
use c981_testkit::{TestDb, backend_tests};

struct Plant {
    app: App,
    ctx: Ctx,
    site: SiteId,
    zones: Vec<i64>,
    conduits: Vec<i64>,
    assets: Vec<i64>,
    _dir: tempfile::TempDir,
}

async fn site(app: &App, ctx: &Ctx, code: &str) -> SiteId {
    app.create::<Site>(
        ctx,
        &SiteInput {
            code: Some(code.into()),
            name: Some(format!("Plant {code}")),
            country: Some("DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            industry: Some("pharma".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn zone(app: &App, ctx: &Ctx, site: SiteId, name: &str, kind: &str, level: &str, subnet: &str) -> i64 {
    app.create::<Zone>(
        ctx,
        &ZoneInput {
            site_id: Some(site.to_string()),
            name: Some(name.into()),
            kind: Some(kind.into()),
            purdue_level: Some(level.into()),
            subnets: vec![subnet.into()],
            sl_target: Some("2,2,2,1,2,1,2".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
    .get()
}

async fn asset(app: &App, ctx: &Ctx, site: SiteId, name: &str, kind: &str, ip: &str) -> i64 {
    app.create::<c981_domain::Asset>(
        ctx,
        &AssetInput {
            site_id: Some(site.to_string()),
            name: Some(name.into()),
            kind: Some(kind.into()),
            ip_addresses: vec![ip.into()],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
    .get()
}

fn flow(site: SiteId, src: i64, dst: i64, proto: &str, port: &str) -> FlowInput {
    FlowInput {
        site_id: Some(site.to_string()),
        source_asset_id: Some(src.to_string()),
        destination_asset_id: Some(dst.to_string()),
        protocol: Some(proto.into()),
        port: Some(port.into()),
        documented: Some("true".into()),
        ..Default::default()
    }
}

/// Enterprise (10.1/16) – DMZ (10.2/16) – control (10.3/16) – safety (10.4/16), conduits
/// enterprise–DMZ (https/443, encrypted) and DMZ–control (opcua/4840); no conduit into the
/// safety zone. One asset per zone by subnet, plus a stray one.
async fn plant(db: &TestDb) -> Plant {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.path().join("audit.key"));
    let ctx = Ctx::new(Actor::local_operator("engineer"), Channel::Cli, "req");
    let s = site(&app, &ctx, "BERLIN").await;
    let zones = vec![
        zone(&app, &ctx, s, "Enterprise", "enterprise", "4", "10.1.0.0/16").await,
        zone(&app, &ctx, s, "DMZ", "dmz", "3.5", "10.2.0.0/16").await,
        zone(&app, &ctx, s, "Filling line", "control", "1", "10.3.0.0/16").await,
        zone(&app, &ctx, s, "SIS", "safety", "1", "10.4.0.0/16").await,
    ];
    let mut conduits = Vec::new();
    for (name, a, b, svc, enc) in
        [("IT-DMZ", zones[0], zones[1], "https/443", "true"), ("DMZ-Line", zones[1], zones[2], "opcua/4840", "false")]
    {
        conduits.push(
            app.create::<Conduit>(
                &ctx,
                &ConduitInput {
                    site_id: Some(s.to_string()),
                    name: Some(name.into()),
                    zone_ids: vec![a.to_string(), b.to_string()],
                    services: vec![svc.into()],
                    encryption_required: Some(enc.into()),
                    sl_target: Some("2,2,2,2,2,2,2".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id
            .get(),
        );
    }
    let assets = vec![
        asset(&app, &ctx, s, "ERP client", "application", "10.1.0.5").await,
        asset(&app, &ctx, s, "Historian", "historian", "10.2.0.5").await,
        asset(&app, &ctx, s, "PLC-1", "plc", "10.3.0.5").await,
        asset(&app, &ctx, s, "SIS-1", "safety_controller", "10.4.0.5").await,
        asset(&app, &ctx, s, "Stray laptop", "engineering_workstation", "192.168.7.7").await,
    ];
    for f in [
        flow(s, assets[0], assets[1], "https", "443"),
        flow(s, assets[1], assets[2], "opcua", "4840"),
        flow(s, assets[1], assets[2], "s7comm", "102"),
        flow(s, assets[2], assets[3], "modbus", "502"),
    ] {
        app.create::<DataFlow>(&ctx, &f).await.unwrap();
    }
    Plant { app, ctx, site: s, zones, conduits, assets, _dir: dir }
}

async fn a_hand_built_plant_gives_its_known_findings_and_paths(db: TestDb) {
    let p = plant(&db).await;
    let found = p.app.findings(&p.ctx, &FindingQuery { site_id: Some(p.site), ..Default::default() }).await.unwrap();
    let rules: Vec<(Rule, Subject)> = found.iter().map(|f| (f.rule, f.subject)).collect();
    assert!(rules.contains(&(Rule::ServiceNotAllowed, Subject::Flow(c981_domain::FlowId::new(3)))), "{rules:?}");
    let into_sis = found.iter().find(|f| f.rule == Rule::FlowWithoutConduit).expect("the flow into the SIS");
    assert!(into_sis.message.contains("\"SIS\""), "{}", into_sis.message);
    assert!(found.iter().any(
        |f| f.rule == Rule::AssetWithoutZone && f.subject == Subject::Asset(c981_domain::AssetId::new(p.assets[4]))
    ));
    // Every zone and conduit is below its target until requirement statuses are recorded.
    assert_eq!(found.iter().filter(|f| f.rule == Rule::ZoneBelowTarget).count(), 4);
    assert_eq!(found.iter().filter(|f| f.rule == Rule::ConduitBelowTarget).count(), 2);

    let paths = p.app.paths(&p.ctx, Some(p.site), &Options::default()).await.unwrap();
    let keys: Vec<&str> = paths.paths.iter().map(|x| x.key.as_str()).collect();
    let (e, d, c, s) = (p.zones[0], p.zones[1], p.zones[2], p.zones[3]);
    let mut expected = vec![format!("z{e}>z{d}>z{c}"), format!("z{e}>z{d}>z{c}>z{s}")];
    expected.sort();
    let mut got: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    got.sort();
    assert_eq!(got, expected);
    let to_sis = paths.paths.iter().find(|x| x.target == TargetKind::Safety).unwrap();
    assert_eq!(to_sis.undocumented_hops, 1, "the hop into the SIS has no conduit");
    assert_eq!(to_sis.hops[2].flow_count, 1);
    let only_vendor =
        p.app.paths(&p.ctx, Some(p.site), &Options { from: vec![EntryKind::RemoteAccess], ..Options::default() }).await;
    assert!(only_vendor.unwrap().paths.is_empty());

    let svg = p.app.zone_diagram(&p.ctx, p.site, "Plant BERLIN").await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Filling line") && svg.contains(&format!("/zones/{c}")));
}

async fn requirement_statuses_raise_the_achieved_level_and_refresh_the_cached_analysis(db: TestDb) {
    let p = plant(&db).await;
    let zone = p.zones[1];
    let before = p.app.site_analysis(&p.ctx, p.site).await.unwrap();
    let again = p.app.site_analysis(&p.ctx, p.site).await.unwrap();
    assert!(Arc::ptr_eq(&before, &again), "an unchanged site answers from the cache");
    let levels = p.app.security_levels(&p.ctx, p.site, Target::Zone(c981_domain::ZoneId::new(zone))).await.unwrap();
    assert_eq!(levels.achieved.levels(), [0; 7]);
    // Mark every requirement of FR 5 up to SL 2 as implemented (or one compensated).
    let fr5: Vec<_> = levels.coverage.iter().filter(|r| r.requirement.fr == 5).map(|r| r.requirement).collect();
    assert!(!fr5.is_empty());
    for (i, req) in fr5.iter().enumerate() {
        let (status, why) = if i == 0 { ("compensated", "unidirectional gateway") } else { ("implemented", "") };
        p.app
            .create::<RequirementStatus>(
                &p.ctx,
                &RequirementStatusInput {
                    site_id: Some(p.site.to_string()),
                    zone_id: Some(zone.to_string()),
                    requirement: Some(req.to_string()),
                    status: Some(status.into()),
                    justification: Some(why.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let dup = p
        .app
        .create::<RequirementStatus>(
            &p.ctx,
            &RequirementStatusInput {
                site_id: Some(p.site.to_string()),
                zone_id: Some(zone.to_string()),
                requirement: Some(fr5[1].to_string()),
                status: Some("planned".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    match dup {
        AppError::Invalid(v) => assert_eq!(v.errors[0].field, "requirement"),
        other => panic!("a second status for one requirement must be refused, got {other:?}"),
    }
    let after = p.app.site_analysis(&p.ctx, p.site).await.unwrap();
    assert!(!Arc::ptr_eq(&before, &after), "a change recomputes the site");
    let levels = p.app.security_levels(&p.ctx, p.site, Target::Zone(c981_domain::ZoneId::new(zone))).await.unwrap();
    assert_eq!(levels.achieved.levels()[4], 2, "FR 5 reaches its target of 2");
    assert_eq!(levels.gap[4], 0);
    assert_eq!(levels.gap[0], 2);
}

async fn analysis_is_scoped_to_the_callers_sites(db: TestDb) {
    let p = plant(&db).await;
    let other = site(&p.app, &p.ctx, "MUNICH").await;
    let z = zone(&p.app, &p.ctx, other, "Munich line", "control", "1", "10.9.0.0/16").await;
    let a = asset(&p.app, &p.ctx, other, "Munich PLC", "plc", "10.9.0.1").await;
    // A shared outside endpoint joins the two sites.
    for (s, src) in [(p.site, p.assets[0]), (other, a)] {
        let mut f = flow(s, src, src, "https", "443");
        f.destination_asset_id = None;
        f.destination_external = Some("Corporate WAN".into());
        if s == other {
            f.source_external = f.destination_external.take();
            f.source_asset_id = None;
            f.destination_asset_id = Some(a.to_string());
        }
        p.app.create::<DataFlow>(&p.ctx, &f).await.unwrap();
    }
    let all = p.app.paths(&p.ctx, Some(p.site), &Options::default()).await.unwrap();
    let cross = all.paths.iter().find(|x| x.key.ends_with(&format!("z{z}"))).expect("a path into Munich");
    assert_eq!(cross.sites, vec![p.site, other]);

    let viewer = Ctx::new(
        Actor::new(
            "user:9".into(),
            Some(9),
            "Vera Viewer".into(),
            vec![Grant { role: Role::Viewer, site: Some(p.site) }],
            false,
            None,
        ),
        Channel::Api,
        "req",
    );
    let seen = p.app.findings(&viewer, &FindingQuery::default()).await.unwrap();
    assert!(!seen.is_empty() && seen.iter().all(|f| f.site_id == p.site));
    assert!(matches!(
        p.app.findings(&viewer, &FindingQuery { site_id: Some(other), ..Default::default() }).await,
        Err(AppError::NotFound { .. })
    ));
    assert!(p.app.site_analysis(&viewer, other).await.is_err());
    let mine = p.app.paths(&viewer, None, &Options::default()).await.unwrap();
    assert!(mine.paths.iter().all(|x| x.sites == vec![p.site]), "no path shows a site the viewer cannot read");
    let _ = p.conduits;
}

async fn licensed_requirement_text_is_imported_whole_or_not_at_all(db: TestDb) {
    let p = plant(&db).await;
    let bad = b"id,description\nSR 1.1,Text one\nSR 9.9,Unknown\nsr1.1,Duplicate\nSR 1.2,\n";
    let err = p.app.import_requirement_texts(&p.ctx, "licensed.csv", bad).await.unwrap_err();
    let AppError::Invalid(v) = err else { panic!("a bad file must be refused as invalid") };
    let messages: Vec<&str> = v.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.starts_with("licensed.csv:3:")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("licensed.csv:4:")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("licensed.csv:5:")), "{messages:?}");
    assert!(p.app.requirement_texts().await.unwrap().is_empty(), "nothing is stored from a bad file");

    let good = "id,description\nSR 1.1,\"Text of SR 1.1, from a licensed copy.\"\nSR 1.1 RE 1,Text of RE 1.\n";
    assert_eq!(p.app.import_requirement_texts(&p.ctx, "licensed.csv", good.as_bytes()).await.unwrap(), 2);
    let texts = p.app.requirement_texts().await.unwrap();
    assert_eq!(texts[&"SR 1.1".parse().unwrap()], "Text of SR 1.1, from a licensed copy.");
    let report = p.app.audit_verify(&p.ctx).await.unwrap();
    assert!(report.ok(), "{:?}", report.problem);

    let engineer = Ctx::new(
        Actor::new(
            "user:7".into(),
            Some(7),
            "Site Engineer".into(),
            vec![Grant { role: Role::SiteEngineer, site: Some(p.site) }],
            false,
            None,
        ),
        Channel::Api,
        "req",
    );
    assert!(matches!(
        p.app.import_requirement_texts(&engineer, "licensed.csv", good.as_bytes()).await,
        Err(AppError::Forbidden(_))
    ));
}

backend_tests!(
    a_hand_built_plant_gives_its_known_findings_and_paths,
    requirement_statuses_raise_the_achieved_level_and_refresh_the_cached_analysis,
    analysis_is_scoped_to_the_callers_sites,
    licensed_requirement_text_is_imported_whole_or_not_at_all,
);
