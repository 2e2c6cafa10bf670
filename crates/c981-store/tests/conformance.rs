//! The store's conformance suite: every test runs on SQLite and on PostgreSQL
//! (`sqlite::…` and `postgres::…` in the output).

use c981_domain::audit::{ChainVerifier, Channel};
use c981_domain::entity::Entity;
use c981_domain::{
    Asset, AssetInput, DataFlow, FlowInput, Site, SiteId, SiteInput, Timestamp, Zone, ZoneId, ZoneInput,
};
use c981_store::{AuditMeta, ListQuery, SiteScope, Store, StoreError};
use c981_testkit::{TestDb, backend_tests};

fn meta() -> AuditMeta {
    AuditMeta {
        at: Timestamp::parse("2026-11-28T10:00:00Z").unwrap(),
        actor_id: "local:tester".into(),
        actor_name: "Test Engineer".into(),
        actor_role: "administrator".into(),
        channel: Channel::Cli,
        request_id: "req-1".into(),
        reason: None,
    }
}

fn site(code: &str) -> Site {
    Site::parse(&SiteInput {
        code: Some(code.into()),
        name: Some(format!("Plant {code}")),
        country: Some("FR".into()),
        time_zone: Some("Europe/Paris".into()),
        industry: Some("pharma".into()),
        regulations: vec!["gxp".into()],
        description: None,
    })
    .unwrap()
}

fn zone(site: SiteId, name: &str, subnet: &str) -> Zone {
    Zone::parse(&ZoneInput {
        site_id: Some(site.to_string()),
        name: Some(name.into()),
        kind: Some("control".into()),
        purdue_level: Some("1".into()),
        subnets: vec![subnet.into()],
        sl_target: Some("2,2,2,1,2,1,2".into()),
        ..Default::default()
    })
    .unwrap()
}

fn asset(site: SiteId, zone: Option<ZoneId>, name: &str, ip: &str) -> Asset {
    Asset::parse(&AssetInput {
        site_id: Some(site.to_string()),
        zone_id: zone.map(|z| z.to_string()),
        name: Some(name.into()),
        kind: Some("plc".into()),
        vendor: Some("Siemens".into()),
        model: Some("S7-1516".into()),
        firmware: Some("V2.9.4".into()),
        ip_addresses: vec![ip.into()],
        mac_addresses: vec!["00:1b:1b:00:00:01".into()],
        legacy: Some("no".into()),
        ..Default::default()
    })
    .unwrap()
}

async fn verify(store: &Store) -> Result<u64, String> {
    let mut v = ChainVerifier::default();
    let broken = store
        .for_each_audit_entry(|e| match v.check(&e) {
            Ok(()) => std::ops::ControlFlow::Continue(()),
            Err(b) => std::ops::ControlFlow::Break(b.to_string()),
        })
        .await
        .map_err(|e| e.to_string())?;
    if let Some(b) = broken {
        return Err(b);
    }
    let (seq, hash) = store.audit_head().await.map_err(|e| e.to_string())?;
    if (seq, hash) != v.last() {
        return Err(format!("the chain head says entry {seq}, the chain ends at {}", v.last().0));
    }
    Ok(v.checked)
}

async fn estate(store: &Store) -> (SiteId, ZoneId) {
    let s = store.create(&site("LYON"), &meta()).await.unwrap();
    let z = store.create(&zone(s.id, "Cell 1", "10.1.1.0/24"), &meta()).await.unwrap();
    (s.id, z.id)
}

async fn every_write_leaves_a_chained_audit_entry(db: TestDb) {
    let store = db.store().await;
    let (s, z) = estate(&store).await;
    let a = store.create(&asset(s, Some(z), "PLC-01", "10.1.1.10"), &meta()).await.unwrap();
    let got: c981_domain::Record<Asset> = store.get(&SiteScope::All, a.id.get()).await.unwrap();
    assert_eq!(got.data, a.data, "a record reads back as written");
    let mut m = meta();
    m.reason = Some("firmware upgrade CR-12".into());
    store
        .update::<Asset>(&SiteScope::All, a.id.get(), Some(1), &m, |old| {
            let mut i = old.data.to_input();
            i.firmware = Some("V3.0.1".into());
            Asset::parse(&i).map_err(StoreError::Invalid)
        })
        .await
        .unwrap();
    assert_eq!(verify(&store).await, Ok(4));
    let stored: serde_json::Value =
        serde_json::from_slice(&store.get_json::<Asset>(&SiteScope::All, a.id.get()).await.unwrap()).unwrap();
    assert_eq!(stored["firmware"], "V3.0.1", "the served document follows the update");
    assert_eq!(stored["version"], 2);
    let record: c981_domain::Record<Asset> = store.get(&SiteScope::All, a.id.get()).await.unwrap();
    let rendered: serde_json::Value = serde_json::from_slice(&Store::record_json(&record).unwrap()).unwrap();
    assert_eq!(rendered, stored, "a record renders in Rust exactly as the database serves it");
    let history = store
        .audit_entries(
            &SiteScope::All,
            &c981_store::AuditQuery {
                entity_type: Some(c981_domain::EntityKind::Asset),
                entity_id: Some(a.id.get()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    let upd = &history[1].draft;
    assert_eq!(upd.changes, r#"{"firmware":{"old":"V2.9.4","new":"V3.0.1"}}"#);
    assert_eq!(upd.reason.as_deref(), Some("firmware upgrade CR-12"));
    assert_eq!(upd.actor_name, "Test Engineer");
}

async fn a_stale_version_is_a_conflict_and_changes_nothing(db: TestDb) {
    let store = db.store().await;
    let (s, _) = estate(&store).await;
    let a = store.create(&asset(s, None, "HMI-1", "10.1.1.20"), &meta()).await.unwrap();
    let r = store.update::<Asset>(&SiteScope::All, a.id.get(), Some(7), &meta(), |old| Ok(old.data.clone())).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(verify(&store).await, Ok(3));
}

async fn references_must_exist_in_the_same_site(db: TestDb) {
    let store = db.store().await;
    let (s1, z1) = estate(&store).await;
    let s2 = store.create(&site("GRAZ"), &meta()).await.unwrap().id;
    let err = store.create(&asset(s2, Some(z1), "PLC-9", "10.9.9.9"), &meta()).await.unwrap_err();
    match err {
        StoreError::Invalid(v) => assert_eq!(v.errors[0].field, "zone_id", "{v:?}"),
        other => panic!("{other:?}"),
    }
    let err = store.create(&asset(SiteId::new(999), None, "PLC-9", "10.9.9.9"), &meta()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref v) if v.errors[0].field == "site_id"), "{err:?}");
    let _ = s1;
    assert_eq!(verify(&store).await, Ok(3), "refused writes leave no audit entry");
}

async fn duplicate_names_are_refused_with_the_field_named(db: TestDb) {
    let store = db.store().await;
    let (s, z) = estate(&store).await;
    store.create(&asset(s, Some(z), "PLC-01", "10.1.1.10"), &meta()).await.unwrap();
    let err = store.create(&asset(s, Some(z), "PLC-01", "10.1.1.11"), &meta()).await.unwrap_err();
    match err {
        StoreError::Invalid(v) => assert_eq!(v.errors[0].field, "name", "{v:?}"),
        other => panic!("{other:?}"),
    }
    let err = store.create(&site("LYON"), &meta()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref v) if v.errors[0].field == "code" || v.errors[0].field == "name"),
        "{err:?}"
    );
    assert_eq!(verify(&store).await, Ok(3));
}

async fn a_zone_in_use_is_not_deleted_unless_its_assets_are_reassigned(db: TestDb) {
    let store = db.store().await;
    let (s, z) = estate(&store).await;
    let z2 = store.create(&zone(s, "Cell 2", "10.1.2.0/24"), &meta()).await.unwrap().id;
    let a = store.create(&asset(s, Some(z), "PLC-01", "10.1.1.10"), &meta()).await.unwrap();
    let err = store.delete::<Zone>(&SiteScope::All, z.get(), None, &meta()).await.unwrap_err();
    match err {
        StoreError::Conflict(m) => assert!(m.contains("1 asset") && m.contains("reassign_to"), "{m}"),
        other => panic!("{other:?}"),
    }
    store.delete_zone_reassigning(&SiteScope::All, z, Some(z2), &meta()).await.unwrap();
    let moved: c981_domain::Record<Asset> = store.get(&SiteScope::All, a.id.get()).await.unwrap();
    assert_eq!(moved.data.zone_id, Some(z2));
    assert!(matches!(store.get::<Zone>(&SiteScope::All, z.get()).await, Err(StoreError::NotFound { .. })));
    assert_eq!(verify(&store).await, Ok(6));
}

async fn lists_are_scoped_filtered_searched_and_paginated(db: TestDb) {
    let store = db.store().await;
    let (s, z) = estate(&store).await;
    let s2 = store.create(&site("GRAZ"), &meta()).await.unwrap().id;
    let items: Vec<Asset> =
        (0..25).map(|i| asset(s, Some(z), &format!("PLC-{i:02}"), &format!("10.1.1.{}", i + 1))).collect();
    store.bulk_create(&items, &meta()).await.unwrap();
    store.create(&asset(s2, None, "PLC-GRAZ", "10.2.0.1"), &meta()).await.unwrap();

    let mut q = ListQuery { site_id: Some(s), limit: 10, ..Default::default() };
    let mut seen = 0;
    loop {
        let page = store.list::<Asset>(&q).await.unwrap();
        seen += page.items.len();
        match page.next_after {
            Some(a) => q.after = Some(a),
            None => break,
        }
    }
    assert_eq!(seen, 25);

    let only_graz = ListQuery { scope: SiteScope::Only(vec![s2]), ..Default::default() };
    let page = store.list::<Asset>(&only_graz).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].data.name.as_str(), "PLC-GRAZ");
    assert!(store.get::<Asset>(&SiteScope::Only(vec![s2]), 1).await.is_err(), "another site's record is not found");

    let by_ip = ListQuery { q: Some("10.1.1.7".into()), ..Default::default() };
    assert_eq!(store.list::<Asset>(&by_ip).await.unwrap().items.len(), 1);
    let moved_id = store.list::<Asset>(&by_ip).await.unwrap().items[0].id.get();
    store
        .update::<Asset>(&SiteScope::All, moved_id, None, &meta(), |old| {
            let mut i = old.data.to_input();
            i.ip_addresses = vec!["10.1.9.9".into()];
            Asset::parse(&i).map_err(StoreError::Invalid)
        })
        .await
        .unwrap();
    assert_eq!(store.count::<Asset>(&by_ip).await.unwrap(), 0, "the old address no longer finds it");
    let by_new_ip = ListQuery { q: Some("10.1.9.9".into()), ..Default::default() };
    assert_eq!(store.list::<Asset>(&by_new_ip).await.unwrap().items[0].id.get(), moved_id);
    let by_name = ListQuery { q: Some("plc-1".into()), ..Default::default() };
    assert_eq!(store.count::<Asset>(&by_name).await.unwrap(), 10);
    let filtered = ListQuery { filters: vec![("zone_id".into(), "none".into())], ..Default::default() };
    assert_eq!(store.count::<Asset>(&filtered).await.unwrap(), 1);
    let bad = ListQuery { filters: vec![("colour".into(), "red".into())], ..Default::default() };
    assert!(matches!(store.list::<Asset>(&bad).await, Err(StoreError::Invalid(_))));

    let json = store.list_json::<Asset>(&ListQuery { limit: 2, ..Default::default() }).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["items"][0]["ip_addresses"], serde_json::json!(["10.1.1.1"]));
    assert_eq!(v["items"][0]["legacy"], serde_json::json!(false));
    assert!(v["next_cursor"].is_string());
    assert_eq!(v["items"][0]["created_at"], "2026-11-28T10:00:00.000000Z", "timestamps render alike on both databases");
    let id = v["items"][0]["id"].as_i64().unwrap();
    let one: serde_json::Value =
        serde_json::from_slice(&store.get_json::<Asset>(&SiteScope::All, id).await.unwrap()).unwrap();
    assert_eq!(one, v["items"][0], "a record reads the same alone and in a list");
    let keys: Vec<&String> = one.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 33, "id, 29 fields, version and two timestamps: {keys:?}");
    assert_eq!(verify(&store).await, Ok(3 + 25 + 1 + 1));
}

async fn flows_join_assets_of_one_site_and_are_unique_per_endpoint_pair(db: TestDb) {
    let store = db.store().await;
    let (s, z) = estate(&store).await;
    let a = store.create(&asset(s, Some(z), "PLC-01", "10.1.1.10"), &meta()).await.unwrap().id;
    let flow = |port: &str| {
        DataFlow::parse(&FlowInput {
            site_id: Some(s.to_string()),
            source_asset_id: Some(a.to_string()),
            destination_external: Some("historian.corp.example".into()),
            protocol: Some("opcua".into()),
            port: Some(port.into()),
            ..Default::default()
        })
        .unwrap()
    };
    store.create(&flow("4840"), &meta()).await.unwrap();
    let err = store.create(&flow("4840"), &meta()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref v) if v.errors[0].field == "port"), "{err:?}");
    store.create(&flow("4843"), &meta()).await.unwrap();
    let err = store.delete::<Asset>(&SiteScope::All, a.get(), None, &meta()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("2 flows")), "{err:?}");
}

async fn a_database_from_a_newer_version_is_refused(db: TestDb) {
    let store = db.store().await;
    let blob = match store.backend() {
        c981_store::Backend::Sqlite => "x'00'",
        c981_store::Backend::Postgres => "'\\x00'::bytea",
    };
    let sql = format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99999, 'from the future', true, {blob}, 0)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.raw_pool()).await.unwrap();
    store.close().await;
    match Store::open(&db.url, Default::default()).await {
        Err(StoreError::SchemaTooNew { found: 99999, .. }) => {}
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a newer database was opened"),
    }
}

backend_tests!(
    every_write_leaves_a_chained_audit_entry,
    a_stale_version_is_a_conflict_and_changes_nothing,
    references_must_exist_in_the_same_site,
    duplicate_names_are_refused_with_the_field_named,
    a_zone_in_use_is_not_deleted_unless_its_assets_are_reassigned,
    lists_are_scoped_filtered_searched_and_paginated,
    flows_join_assets_of_one_site_and_are_unique_per_endpoint_pair,
    a_database_from_a_newer_version_is_refused,
);
