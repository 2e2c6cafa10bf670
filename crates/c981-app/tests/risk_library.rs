//! The risk library through the use cases, on both databases: the threat library (shipped and
//! the organisation's templates, import all or nothing), suppliers named by risks, risks
//! suggested from the facts (accepted into the register or dismissed with a reason, never
//! entered by themselves), the heatmaps, and assessment periods with their comparison.

use std::sync::Arc;

use c981_app::risk_library::SuggestionSource;
use c981_app::{Actor, App, AppError, Ctx, FixedClock, Grant, ListParams, Role};
use c981_domain::audit::{Action, Channel};
use c981_domain::{EntityKind, Risk, RiskInput, SiteId, Supplier, SupplierInput, Timestamp};
use c981_store::{AuditQuery, SiteScope};
use c981_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

struct Fx {
    app: App,
    op: Ctx,
    lyon: SiteId,
    wichita: SiteId,
    _dir: tempfile::TempDir,
}

/// The demo estate, with the clock at 2027-03-01.
async fn fx(db: &TestDb) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2027-03-01T09:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"));
    let op = Ctx::new(Actor::local_operator("manager"), Channel::Cli, "req");
    c981_app::demo::load_demo(&app, &op).await.unwrap();
    let id = |code: &'static str| {
        let app = app.clone();
        async move { app.store().site_by_code(&SiteScope::All, code).await.unwrap().unwrap().id }
    };
    let (lyon, wichita) = (id("LYO").await, id("ICT").await);
    Fx { app, op, lyon, wichita, _dir: dir }
}

fn actor(role: Role, site: Option<SiteId>) -> Ctx {
    let actor = Actor::new(
        format!("test:{}", role.as_str()),
        None,
        role.label().into(),
        vec![Grant { role, site }],
        false,
        None,
    );
    Ctx::new(actor, Channel::Api, "r")
}

fn fields_of(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(v) => v.errors.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn template(id: &str) -> Value {
    json!({
        "id": id,
        "title": "Pasteuriser setpoint changed through the historian link",
        "threat_source": "An attacker on the enterprise network",
        "threat_event": "Writes a new holding temperature through the historian's OPC connection",
        "vulnerability": "The historian link allows writes",
        "consequence": "Under-pasteurised product released",
        "asset_kinds": ["plc", "historian"],
        "zone_kinds": ["control"],
        "impacts": { "safety": 4, "production_continuity": 2, "product_quality": 5, "integrity": 4, "confidentiality": 1, "financial": 3 },
        "likelihood": 2,
        "controls": ["8.20", "A.8.22"],
        "requirements": ["sr 5.2 re 1"]
    })
}

/// Takes a risk out of the statements of applicability that cite it (a risk they cite cannot
/// be deleted), as a person would before deleting it.
async fn unlink_from_soa(f: &Fx, risk: i64) {
    let p = ListParams { limit: Some(1000), ..Default::default() };
    for e in f.app.list::<c981_domain::SoaEntry>(&f.op, &p).await.unwrap().items {
        if e.data.risk_ids.iter().any(|r| r.get() == risk) {
            let keep: Vec<i64> = e.data.risk_ids.iter().map(|r| r.get()).filter(|r| *r != risk).collect();
            f.app.patch::<c981_domain::SoaEntry>(&f.op, e.id.get(), None, &json!({ "risk_ids": keep })).await.unwrap();
        }
    }
}

async fn audit_of(f: &Fx, kind: EntityKind) -> Vec<c981_domain::audit::AuditEntry> {
    let q = AuditQuery { entity_type: Some(kind), ..Default::default() };
    f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap()
}

async fn the_threat_library_holds_shipped_and_the_organisations_templates(db: TestDb) {
    let f = fx(&db).await;
    let shipped = f.app.threat_templates(&f.op).await.unwrap();
    assert!(shipped.len() >= 25 && shipped.iter().all(|t| t.builtin));

    // An organisation's template: ids are written back in their canonical spellings.
    let t = f.app.put_threat_template(&f.op, "ACME-PASTEURISER", &template("ACME-PASTEURISER"), None).await.unwrap();
    assert!(!t.builtin);
    assert_eq!(t.version, Some(1));
    assert_eq!(t.template.controls.iter().map(ToString::to_string).collect::<Vec<_>>(), ["8.20", "8.22"]);
    let all = f.app.threat_templates(&f.op).await.unwrap();
    assert_eq!(all.len(), shipped.len() + 1);
    assert_eq!(f.app.threat_template(&f.op, "acme-pasteuriser").await.unwrap().template.title, t.template.title);

    // The reserved prefix, a template that does not validate, an address that names another id.
    let e = f.app.put_threat_template(&f.op, "T-MINE", &template("T-MINE"), None).await.unwrap_err();
    assert!(fields_of(&e).contains(&"id".to_owned()), "{e}");
    let mut bad = template("ACME-BAD");
    bad["impacts"]["safety"] = json!(9);
    bad["controls"] = json!(["12.6"]);
    let e = f.app.put_threat_template(&f.op, "ACME-BAD", &bad, None).await.unwrap_err();
    let fields = fields_of(&e);
    assert!(fields.iter().any(|x| x.starts_with("impacts") || x.starts_with("controls")), "{fields:?}");
    let e = f.app.put_threat_template(&f.op, "ACME-OTHER", &template("ACME-PASTEURISER"), None).await.unwrap_err();
    assert_eq!(fields_of(&e), ["id"]);

    // A stale version is a conflict; a change makes version 2 with its audit entry.
    let mut changed = template("ACME-PASTEURISER");
    changed["likelihood"] = json!(3);
    let e = f.app.put_threat_template(&f.op, "ACME-PASTEURISER", &changed, Some(7)).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e}");
    let t2 = f.app.put_threat_template(&f.op, "ACME-PASTEURISER", &changed, Some(1)).await.unwrap();
    assert_eq!(t2.version, Some(2));
    let entries = audit_of(&f, EntityKind::ThreatTemplate).await;
    assert_eq!(entries.iter().filter(|e| e.draft.action != Action::Denied).count(), 2);
    assert!(entries.last().unwrap().draft.changes.contains("likelihood"));

    // A site engineer of one plant may read the library but not change it (audited).
    let eng = actor(Role::SiteEngineer, Some(f.lyon));
    assert!(!f.app.threat_templates(&eng).await.unwrap().is_empty());
    let e = f.app.put_threat_template(&eng, "ACME-X", &template("ACME-X"), None).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    assert!(audit_of(&f, EntityKind::ThreatTemplate).await.iter().any(|e| e.draft.action == Action::Denied));

    // Shipped templates cannot be deleted; the organisation's can.
    assert!(matches!(f.app.delete_threat_template(&f.op, "T-LAPTOP-LOST", None).await, Err(AppError::Conflict(_))));
    f.app.delete_threat_template(&f.op, "ACME-PASTEURISER", Some(2)).await.unwrap();
    assert!(f.app.threat_template(&f.op, "ACME-PASTEURISER").await.is_err());
}

async fn an_import_of_templates_is_all_or_nothing_with_every_problem_named(db: TestDb) {
    let f = fx(&db).await;
    let mut bad = template("ACME-TWO");
    bad["zone_kinds"] = json!(["spaceship"]);
    let file = json!([template("ACME-ONE"), bad, template("ACME-ONE")]).to_string();
    let e = f.app.import_threat_templates(&f.op, "library.json", file.as_bytes()).await.unwrap_err();
    let fields = fields_of(&e);
    assert!(fields.iter().any(|x| x.starts_with("library.json: [1]")), "{fields:?}");
    assert!(fields.iter().any(|x| x == "library.json: [2].id"), "the duplicate is named: {fields:?}");
    assert!(f.app.threat_template(&f.op, "ACME-ONE").await.is_err(), "nothing was stored");

    let e = f.app.import_threat_templates(&f.op, "broken.json", b"[{\"id\": ").await.unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");

    let file = json!({ "templates": [template("ACME-ONE"), template("ACME-TWO")] }).to_string();
    let sum = f.app.import_threat_templates(&f.op, "library.json", file.as_bytes()).await.unwrap();
    assert_eq!((sum.created, sum.updated, sum.unchanged), (2, 0, 0));
    assert_eq!(sum.sha256.len(), 64);
    let again = f.app.import_threat_templates(&f.op, "library.json", file.as_bytes()).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    let entries = audit_of(&f, EntityKind::ThreatTemplate).await;
    assert_eq!(entries.len(), 2, "re-importing the same file writes nothing");
    assert!(entries.iter().all(|e| e.draft.reason.as_deref().is_some_and(|r| r.contains(&sum.sha256))));
}

async fn risks_name_suppliers_of_their_site_and_sites_the_writer_sees(db: TestDb) {
    let f = fx(&db).await;
    let p = ListParams { site_id: Some(f.lyon), ..Default::default() };
    let suppliers = f.app.list::<Supplier>(&f.op, &p).await.unwrap().items;
    assert_eq!(suppliers.len(), 3, "the demo has three suppliers per plant");
    let foreign = f
        .app
        .list::<Supplier>(&f.op, &ListParams { site_id: Some(f.wichita), ..Default::default() })
        .await
        .unwrap()
        .items[0]
        .id
        .get();
    let base = |v: Value| -> RiskInput {
        let mut b = json!({ "site_id": f.lyon.get(), "title": "Integrator laptop infects a cell" });
        c981_app::merge_patch(&mut b, &v);
        serde_json::from_value(b).unwrap()
    };
    // A supplier of another site is refused by field.
    let e = f.app.create::<Risk>(&f.op, &base(json!({ "supplier_ids": [foreign] }))).await.unwrap_err();
    assert_eq!(fields_of(&e), ["supplier_ids"]);
    let r = f
        .app
        .create::<Risk>(
            &f.op,
            &base(json!({ "supplier_ids": [suppliers[2].id.get()], "other_site_ids": [f.wichita.get()] })),
        )
        .await
        .unwrap();
    assert_eq!(r.data.other_site_ids, vec![f.wichita]);
    // The risk's own site is not an "other" site; a site the writer cannot see is refused.
    let e = f.app.create::<Risk>(&f.op, &base(json!({ "other_site_ids": [f.lyon.get()] }))).await.unwrap_err();
    assert_eq!(fields_of(&e), ["other_site_ids"]);
    let eng = actor(Role::SiteEngineer, Some(f.lyon));
    let e = f.app.create::<Risk>(&eng, &base(json!({ "other_site_ids": [f.wichita.get()] }))).await.unwrap_err();
    assert_eq!(fields_of(&e), ["other_site_ids"]);
    // A supplier named by a risk cannot be deleted; a supplier with remote access needs a monitor.
    let e = f.app.delete::<Supplier>(&f.op, suppliers[2].id.get(), None).await.unwrap_err();
    assert!(matches!(&e, AppError::Conflict(m) if m.contains("risk")), "{e}");
    let input = SupplierInput {
        site_id: Some(f.lyon.to_string()),
        name: Some("Drive vendor".into()),
        services: Some("Drive commissioning".into()),
        remote_access: Some("true".into()),
        ..Default::default()
    };
    let e = f.app.create::<Supplier>(&f.op, &input).await.unwrap_err();
    assert_eq!(fields_of(&e), ["monitoring"]);
}

async fn suggestions_come_from_the_facts_and_a_person_accepts_or_dismisses_them(db: TestDb) {
    let f = fx(&db).await;
    let all = f.app.risk_suggestions(&f.op, Some(f.lyon), false).await.unwrap();
    assert!(!all.is_empty());
    assert!(all.iter().all(|s| s.site_id == f.lyon));
    let path = all.iter().find(|s| s.source == SuggestionSource::Path).expect("a path into a control or safety zone");
    assert!(path.key.starts_with("path:"), "{}", path.key);
    assert!(!path.zone_ids.is_empty());
    assert!(f.app.threat_template(&f.op, &path.template_id).await.is_ok());
    assert!(all.iter().any(|s| s.source == SuggestionSource::EndOfSupport), "the demo has end-of-support assets");
    let before = f.app.count::<Risk>(&f.op, &ListParams::default()).await.unwrap();

    // The proposal is an input, filled from the template; nothing is stored.
    let input = f.app.suggestion_input(&f.op, path).await.unwrap();
    assert_eq!(input.origin.as_deref(), Some(format!("suggestion:{}", path.key).as_str()));
    assert!(input.inherent_likelihood.is_some() && !input.inherent_impacts.is_empty());
    assert_eq!(f.app.count::<Risk>(&f.op, &ListParams::default()).await.unwrap(), before);

    // Accepting it (saving the risk) takes it off the list.
    let r = f.app.create::<Risk>(&f.op, &input).await.unwrap();
    assert_eq!(r.data.origin.as_str(), format!("suggestion:{}", path.key));
    let after = f.app.risk_suggestions(&f.op, Some(f.lyon), true).await.unwrap();
    assert!(after.iter().all(|s| s.key != path.key));

    // Dismissing needs a reason and a writing role on the site; it is audited and reversible.
    let other = &after[0];
    let e = f.app.dismiss_risk_suggestion(&f.op, f.lyon, &other.key, "  ").await.unwrap_err();
    assert_eq!(fields_of(&e), ["reason"]);
    let viewer = actor(Role::Viewer, Some(f.lyon));
    assert!(matches!(
        f.app.dismiss_risk_suggestion(&viewer, f.lyon, &other.key, "no").await,
        Err(AppError::Forbidden(_))
    ));
    f.app.dismiss_risk_suggestion(&f.op, f.lyon, &other.key, "Covered by the site's firewall project").await.unwrap();
    let open = f.app.risk_suggestions(&f.op, Some(f.lyon), false).await.unwrap();
    assert!(open.iter().all(|s| s.key != other.key));
    let with = f.app.risk_suggestions(&f.op, Some(f.lyon), true).await.unwrap();
    let d = with.iter().find(|s| s.key == other.key).unwrap().dismissed.clone().unwrap();
    assert_eq!(d.reason, "Covered by the site's firewall project");
    assert!(matches!(
        f.app.dismiss_risk_suggestion(&f.op, f.lyon, &other.key, "again").await,
        Err(AppError::Conflict(_))
    ));
    assert!(!audit_of(&f, EntityKind::RiskSuggestion).await.is_empty());
    f.app.restore_risk_suggestion(&f.op, f.lyon, &other.key).await.unwrap();
    assert!(f.app.risk_suggestions(&f.op, Some(f.lyon), false).await.unwrap().iter().any(|s| s.key == other.key));
    // A made-up key cannot be dismissed.
    assert!(f.app.dismiss_risk_suggestion(&f.op, f.lyon, "path:nothing", "x").await.is_err());

    // Sites apart: a viewer of Lyon sees Lyon's suggestions only, Wichita's are "not found".
    let mine = f.app.risk_suggestions(&viewer, None, true).await.unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|s| s.site_id == f.lyon));
    assert!(matches!(f.app.risk_suggestions(&viewer, Some(f.wichita), true).await, Err(AppError::NotFound { .. })));
    assert!(matches!(f.app.risk_suggestion(&viewer, f.wichita, "x").await, Err(AppError::NotFound { .. })));
}

async fn the_heatmap_counts_open_risks_by_cell_of_the_current_matrix(db: TestDb) {
    let f = fx(&db).await;
    let h = f.app.risk_heatmap(&f.op, Some(f.lyon)).await.unwrap();
    // The demo's five risks per plant: every one is rated inherently.
    assert_eq!(h.total, 5);
    let cells: u64 = h.inherent.cells.iter().flatten().sum();
    assert_eq!(cells, 5);
    assert_eq!(h.inherent.unrated, 0);
    // Vendor remote access: likelihood 4, impacts max 4 (maximum aggregation).
    assert!(h.inherent.cells[3][3] >= 1, "{:?}", h.inherent.cells);
    let residual: u64 = h.residual.cells.iter().flatten().sum();
    assert_eq!(residual + h.residual.unrated, 5);

    // A closed risk leaves the heatmap.
    let p = ListParams { site_id: Some(f.lyon), limit: Some(1), ..Default::default() };
    let r = f.app.list::<Risk>(&f.op, &p).await.unwrap().items.remove(0);
    f.app.patch::<Risk>(&f.op, r.id.get(), None, &json!({ "state": "closed" })).await.unwrap();
    assert_eq!(f.app.risk_heatmap(&f.op, Some(f.lyon)).await.unwrap().total, 4);

    // The group heatmap covers the caller's sites, with a roll-up per site.
    let all = f.app.risk_heatmap(&f.op, None).await.unwrap();
    assert_eq!(all.total, 14);
    assert_eq!(all.by_site.len(), 3);
    let viewer = actor(Role::Viewer, Some(f.wichita));
    let theirs = f.app.risk_heatmap(&viewer, None).await.unwrap();
    assert_eq!(theirs.total, 5);
    assert!(theirs.by_site.iter().all(|s| s.site_id == f.wichita));
    assert!(matches!(f.app.risk_heatmap(&viewer, Some(f.lyon)).await, Err(AppError::NotFound { .. })));

    // The counts follow every write: a model change puts the register off the matrix until
    // it is re-rated; deleting a risk takes it away.
    let mut m = c981_domain::RiskModel::default().to_json();
    m["likelihood"][0]["description"] = json!("Not expected in the plant's lifetime.");
    f.app.set_risk_model(&f.op, &m, None).await.unwrap();
    let h = f.app.risk_heatmap(&f.op, Some(f.wichita)).await.unwrap();
    assert_eq!((h.inherent.off_model, h.inherent.cells.iter().flatten().sum::<u64>()), (5, 0));
    f.app.rerate_risks(&f.op).await.unwrap();
    let h = f.app.risk_heatmap(&f.op, Some(f.wichita)).await.unwrap();
    assert_eq!((h.inherent.off_model, h.inherent.cells.iter().flatten().sum::<u64>()), (0, 5));
    let p = ListParams { site_id: Some(f.wichita), limit: Some(1), ..Default::default() };
    let r = f.app.list::<Risk>(&f.op, &p).await.unwrap().items.remove(0);
    unlink_from_soa(&f, r.id.get()).await;
    f.app.delete::<Risk>(&f.op, r.id.get(), None).await.unwrap();
    let h = f.app.risk_heatmap(&f.op, Some(f.wichita)).await.unwrap();
    assert_eq!((h.total, h.inherent.cells.iter().flatten().sum::<u64>()), (4, 4));
    let by_level: u64 = h.by_site.iter().flat_map(|s| s.inherent.iter()).sum();
    assert_eq!(by_level, 4);
}

async fn a_closed_period_keeps_the_register_and_compares_with_later_ones(db: TestDb) {
    let f = fx(&db).await;
    let eng = actor(Role::SiteEngineer, Some(f.lyon));
    assert!(matches!(f.app.close_risk_period(&eng, "2026", "").await, Err(AppError::Forbidden(_))));
    let e = f.app.close_risk_period(&f.op, "  ", "").await.unwrap_err();
    assert_eq!(fields_of(&e), ["name"]);
    let p = f.app.close_risk_period(&f.op, "2026 review", "Yearly review").await.unwrap();
    assert_eq!(p.risk_count, 15);
    assert!(matches!(f.app.close_risk_period(&f.op, "2026 review", "").await, Err(AppError::Invalid(_))));

    // Change the register: one risk re-rated, one added, one deleted.
    let lp = ListParams { site_id: Some(f.lyon), ..Default::default() };
    let risks = f.app.list::<Risk>(&f.op, &lp).await.unwrap().items;
    let changed = &risks[0];
    f.app.patch::<Risk>(&f.op, changed.id.get(), None, &json!({ "inherent_likelihood": 1 })).await.unwrap();
    let gone = &risks[3];
    unlink_from_soa(&f, gone.id.get()).await;
    f.app.delete::<Risk>(&f.op, gone.id.get(), None).await.unwrap();
    let added = f
        .app
        .create::<Risk>(
            &f.op,
            &serde_json::from_value::<RiskInput>(json!({ "site_id": f.lyon.get(), "title": "New this year" })).unwrap(),
        )
        .await
        .unwrap();

    let c = f.app.compare_risk_periods(&f.op, p.id, None, Some(f.lyon)).await.unwrap();
    assert_eq!((c.added, c.removed, c.changed), (1, 1, 1), "{c:?}");
    assert_eq!(c.unchanged, 3);
    let ch = c.risks.iter().find(|r| r.risk_id == changed.id.get()).unwrap();
    assert!(ch.fields.iter().any(|x| x.field == "inherent_likelihood"), "{ch:?}");
    assert!(c.risks.iter().any(|r| r.risk_id == added.id.get() && r.change == "added"));
    assert!(c.risks.iter().any(|r| r.risk_id == gone.id.get() && r.change == "removed"));

    // A second period, then the two periods compared; the frozen one is unchanged.
    let p2 = f.app.close_risk_period(&f.op, "2027 review", "").await.unwrap();
    let c2 = f.app.compare_risk_periods(&f.op, p.id, Some(p2.id), Some(f.lyon)).await.unwrap();
    assert_eq!((c2.added, c2.removed, c2.changed), (1, 1, 1));
    let (_, frozen) = f.app.risk_period_risks(&f.op, p.id, Some(f.lyon)).await.unwrap();
    assert_eq!(frozen.len(), 5);
    assert!(frozen.iter().any(|r| r["id"] == gone.id.get()));

    // A viewer of Wichita sees only Wichita's risks of a period.
    let viewer = actor(Role::Viewer, Some(f.wichita));
    let (_, theirs) = f.app.risk_period_risks(&viewer, p.id, None).await.unwrap();
    assert_eq!(theirs.len(), 5);
    assert!(theirs.iter().all(|r| r["site_id"] == f.wichita.get()));
    let cv = f.app.compare_risk_periods(&viewer, p.id, None, None).await.unwrap();
    assert_eq!(cv.changed + cv.added + cv.removed, 0, "nothing changed in Wichita");

    // Periods are immutable in the database.
    let pool = f.app.store().raw_pool();
    assert!(sqlx::query("UPDATE risk_periods SET name = 'x'").execute(pool).await.is_err());
    assert!(sqlx::query("DELETE FROM risk_period_items").execute(pool).await.is_err());
}

backend_tests!(
    the_threat_library_holds_shipped_and_the_organisations_templates,
    an_import_of_templates_is_all_or_nothing_with_every_problem_named,
    risks_name_suppliers_of_their_site_and_sites_the_writer_sees,
    suggestions_come_from_the_facts_and_a_person_accepts_or_dismisses_them,
    the_heatmap_counts_open_risks_by_cell_of_the_current_matrix,
    a_closed_period_keeps_the_register_and_compares_with_later_ones,
);
