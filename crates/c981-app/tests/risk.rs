//! Risk assessment and treatment through the use cases, on both databases: the versioned risk
//! model and who may change it, ratings checked against the model with their levels computed,
//! treatment plans, acceptance by the risk owner's signature within the role's limit,
//! re-rating after a model change, the overdue list, and site scoping.

use std::sync::Arc;

use c981_app::identity::{AuthSettings, NewUser, Origin};
use c981_app::signature::{Meaning, Reauth, SignatureStatus};
use c981_app::{Actor, App, AppError, Ctx, FixedClock, Grant, ListParams, Role};
use c981_domain::audit::{Action, Channel};
use c981_domain::{
    Asset, AssetInput, Risk, RiskInput, RiskModel, RiskState, Site, SiteId, SiteInput, Timestamp, Zone, ZoneInput,
};
use c981_store::{AuditQuery, SiteScope, Store};
use c981_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

const PW: &str = "Pump-station 7 valve cadence!";

struct Fx {
    app: App,
    op: Ctx,
    lyon: SiteId,
    wichita: SiteId,
    zone: i64,
    asset: i64,
    foreign_asset: i64,
    _dir: tempfile::TempDir,
}

async fn site(app: &App, ctx: &Ctx, code: &str, name: &str) -> SiteId {
    let input = SiteInput {
        code: Some(code.into()),
        name: Some(name.into()),
        country: Some("FR".into()),
        time_zone: Some("Europe/Paris".into()),
        industry: Some("pharma".into()),
        ..Default::default()
    };
    app.create::<Site>(ctx, &input).await.unwrap().id
}

async fn asset(app: &App, ctx: &Ctx, site: SiteId, name: &str) -> i64 {
    let input = AssetInput { site_id: Some(site.to_string()), name: Some(name.into()), ..Default::default() };
    app.create::<Asset>(ctx, &input).await.unwrap().id.get()
}

/// A fixture whose clock stands at 2027-03-01 (for due dates).
async fn fx(db: &TestDb) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2027-03-01T09:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let op = Ctx::new(Actor::local_operator("engineer"), Channel::Cli, "req");
    let lyon = site(&app, &op, "LYO", "Lyon").await;
    let wichita = site(&app, &op, "ICT", "Wichita").await;
    let zone = app
        .create::<Zone>(
            &op,
            &ZoneInput {
                site_id: Some(lyon.to_string()),
                name: Some("Filling".into()),
                kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    let asset_id = asset(&app, &op, lyon, "LYO-HIST-01").await;
    let foreign_asset = asset(&app, &op, wichita, "ICT-HIST-01").await;
    Fx { app, op, lyon, wichita, zone, asset: asset_id, foreign_asset, _dir: dir }
}

/// An account with a password and a role on one site (or all), as a context.
async fn account(f: &Fx, username: &str, name: &str, role: Role, site: Option<SiteId>) -> Ctx {
    let (_, link) = f
        .app
        .create_user(
            &f.op,
            &NewUser {
                username: username.into(),
                display_name: name.into(),
                email: None,
                grants: vec![Grant { role, site }],
            },
        )
        .await
        .unwrap();
    let origin = Origin { source: "test".into(), user_agent: "test".into(), request_id: "r".into(), channel: None };
    f.app.set_password_with_link(&link, PW, &origin).await.unwrap();
    Ctx::new(f.app.actor_of_user(username).await.unwrap(), Channel::Ui, "r")
}

/// An actor without an account (for reads and writes that need no signature).
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

fn risk_input(site: SiteId, v: Value) -> RiskInput {
    let mut base = json!({
        "site_id": site.get(),
        "title": "Ransomware reaches the historian",
        "threat_source": "Criminal group",
        "threat_event": "Phishing on an engineer's laptop, then the IT/OT file share",
        "vulnerability": "Shared SMB share between enterprise and site operations",
        "consequence": "Batch records unavailable; line stopped",
    });
    c981_app::merge_patch(&mut base, &v);
    serde_json::from_value(base).unwrap()
}

async fn count(f: &Fx, ctx: &Ctx) -> i64 {
    f.app.count::<Risk>(ctx, &ListParams::default()).await.unwrap()
}

async fn the_risk_model_is_versioned_and_only_managers_of_every_site_change_it(db: TestDb) {
    let f = fx(&db).await;
    let v1 = f.app.risk_model(&f.op).await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(*v1.model, RiskModel::default(), "version 1 is the built-in model");

    let mut changed = v1.model.to_json();
    changed["matrix"][0][4] = json!(2);
    changed["dimensions"][0]["name"] = json!("Safety (people, environment)");
    for ctx in [
        actor(Role::SiteEngineer, None),
        actor(Role::IsmsManager, Some(f.lyon)),
        actor(Role::Administrator, Some(f.lyon)),
        actor(Role::Approver, None),
    ] {
        let e = f.app.set_risk_model(&ctx, &changed, None).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    }
    let isms = actor(Role::IsmsManager, None).with_reason(Some("Rare but severe safety events are medium".into()));
    let v2 = f.app.set_risk_model(&isms, &changed, Some(1)).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.model.matrix[0][4], 2);
    assert_eq!(v2.reason.as_deref(), Some("Rare but severe safety events are medium"));
    // The same model again makes no version; a change based on an old version is a conflict.
    assert_eq!(f.app.set_risk_model(&isms, &changed, None).await.unwrap().version, 2);
    let e = f.app.set_risk_model(&isms, &v1.model.to_json(), Some(1)).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    // A bad model names the fields and stores nothing.
    let mut bad = changed.clone();
    bad["matrix"][1][0] = json!(3);
    bad["likelihood"][0]["name"] = json!("");
    let e = f.app.set_risk_model(&isms, &bad, None).await.unwrap_err();
    assert_eq!(fields_of(&e), ["likelihood[0].name", "matrix[1][1]", "matrix[2][0]"], "{e:?}");
    let versions = f.app.risk_model_versions(&f.op).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(f.app.risk_model_version(&f.op, 1).await.unwrap().model.matrix[0][4], 3, "old versions stay readable");
    assert!(matches!(f.app.risk_model_version(&f.op, 9).await, Err(AppError::NotFound { .. })));

    // Both the change and the refusals are in the audit trail.
    let q = AuditQuery { entity_type: Some(c981_domain::EntityKind::RiskModel), ..Default::default() };
    let entries = f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap();
    let updates: Vec<_> = entries.iter().filter(|e| e.draft.action == Action::Update).collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].draft.entity_id, Some(2));
    let changes: Value = serde_json::from_str(&updates[0].draft.changes).unwrap();
    assert!(changes.get("matrix").is_some() && changes.get("dimensions").is_some(), "{changes}");
    assert_eq!(changes["matrix"]["old"][0][4], 3);
    assert_eq!(entries.iter().filter(|e| e.draft.action == Action::Denied).count(), 4);
}

async fn ratings_outside_the_model_are_refused_and_levels_are_computed(db: TestDb) {
    let f = fx(&db).await;
    // Likelihood 7 on a 5-level scale, an unknown dimension: refused, naming the fields.
    let bad = risk_input(
        f.lyon,
        json!({ "inherent_likelihood": 7, "inherent_impacts": { "production_continuity": 4, "weather": 2 } }),
    );
    let e = f.app.create::<Risk>(&f.op, &bad).await.unwrap_err();
    assert_eq!(fields_of(&e), ["inherent_likelihood", "inherent_impacts.weather"], "{e:?}");
    let bad = risk_input(f.lyon, json!({ "inherent_likelihood": 3, "inherent_impacts": { "safety": 6 } }));
    let e = f.app.create::<Risk>(&f.op, &bad).await.unwrap_err();
    assert_eq!(fields_of(&e), ["inherent_impacts.safety"], "{e:?}");
    assert_eq!(count(&f, &f.op).await, 0, "nothing stored");

    // A record of another site is refused, naming the field.
    let foreign = risk_input(f.lyon, json!({ "asset_ids": [f.foreign_asset] }));
    let e = f.app.create::<Risk>(&f.op, &foreign).await.unwrap_err();
    assert_eq!(fields_of(&e), ["asset_ids"], "{e:?}");

    // A good rating: levels computed by the model; what a client says about them is ignored.
    let good = risk_input(
        f.lyon,
        json!({
            "asset_ids": [f.asset], "zone_ids": [f.zone],
            "inherent_likelihood": 4, "inherent_impacts": { "production_continuity": 4, "integrity": 3 },
            "inherent_level": 1, "model_version": 77, "needs_rerating": true,
            "existing_controls": ["Daily offline backup of the historian"], "control_ids": ["8.13", "A.8.20"],
            "risk_owner": "Olga Owner", "state": "assessed", "review_date": "2027-12-31",
        }),
    );
    let r = f.app.create::<Risk>(&f.op, &good).await.unwrap();
    assert_eq!((r.data.model_version, r.data.inherent_level, r.data.needs_rerating), (1, Some(3), false));
    assert_eq!(r.data.control_ids, ["8.13", "8.20"]);
    let id = r.id.get();
    let doc: Value = serde_json::from_slice(&f.app.get_json::<Risk>(&f.op, id).await.unwrap()).unwrap();
    assert_eq!(doc["inherent_level"], 3);
    assert_eq!(doc["inherent_impacts"], json!({ "integrity": 3, "production_continuity": 4 }));
    assert_eq!(doc["residual_level"], Value::Null);
    assert_eq!(doc["asset_ids"], json!([f.asset]));
    // The stored document is what the typed record renders.
    assert_eq!(
        doc,
        serde_json::from_slice::<Value>(&Store::record_json(&f.app.get::<Risk>(&f.op, id).await.unwrap()).unwrap())
            .unwrap()
    );

    // A residual rating by PATCH; filters find the risk by its computed level and state.
    let r = f
        .app
        .patch::<Risk>(
            &f.op,
            id,
            None,
            &json!({ "residual_likelihood": 2, "residual_impacts": { "production_continuity": 2 } }),
        )
        .await
        .unwrap();
    assert_eq!(r.data.residual_level, Some(1));
    let by = |k: &str, v: &str| ListParams { filters: vec![(k.into(), v.into())], ..Default::default() };
    assert_eq!(f.app.count::<Risk>(&f.op, &by("residual_level", "1")).await.unwrap(), 1);
    assert_eq!(f.app.count::<Risk>(&f.op, &by("inherent_level", "3")).await.unwrap(), 1);
    assert_eq!(f.app.count::<Risk>(&f.op, &by("state", "assessed")).await.unwrap(), 1);
    assert_eq!(f.app.count::<Risk>(&f.op, &by("state", "treated")).await.unwrap(), 0);
    assert_eq!(f.app.count::<Risk>(&f.op, &by("risk_owner", "Olga Owner")).await.unwrap(), 1);

    // A zone or asset named by a risk cannot disappear from under it.
    let e = f.app.delete::<Zone>(&f.op, f.zone, None).await.unwrap_err();
    assert!(e.to_string().contains("1 risk"), "{e}");
    let e = f.app.delete::<Asset>(&f.op, f.asset, None).await.unwrap_err();
    assert!(e.to_string().contains("1 risk"), "{e}");
    // A refused PATCH leaves the record as it was.
    let e = f.app.patch::<Risk>(&f.op, id, None, &json!({ "residual_likelihood": 9 })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["residual_likelihood"], "{e:?}");
    assert_eq!(f.app.get::<Risk>(&f.op, id).await.unwrap().version, 2);
}

async fn a_treatment_plan_item_needs_an_owner_and_a_due_date(db: TestDb) {
    let f = fx(&db).await;
    let input = risk_input(
        f.lyon,
        json!({
            "inherent_likelihood": 3, "inherent_impacts": { "safety": 4 }, "risk_owner": "Olga Owner",
            "state": "treatment_planned", "treatment": "modify",
            "plan": [
                { "action": "Separate the historian share into the DMZ", "owner": "OT lead", "due_date": "2027-06-30", "control_id": "8.22" },
                { "action": "Application allow-listing on the historian" },
            ],
        }),
    );
    let e = f.app.create::<Risk>(&f.op, &input).await.unwrap_err();
    assert_eq!(fields_of(&e), ["plan[1].owner", "plan[1].due_date"], "{e:?}");
    assert_eq!(count(&f, &f.op).await, 0, "nothing partial stored");

    let mut input = input;
    input.plan.truncate(1);
    let r = f.app.create::<Risk>(&f.op, &input).await.unwrap();
    assert_eq!(r.data.plan[0].control_id.as_deref(), Some("8.22"));
    let plan = json!({ "plan": [
        { "action": "Separate the historian share into the DMZ", "owner": "OT lead", "due_date": "2027-06-30", "status": "in_progress" },
        { "action": "Allow-listing", "owner": "", "due_date": "2027-07-31" },
    ] });
    let e = f.app.patch::<Risk>(&f.op, r.id.get(), Some(1), &plan).await.unwrap_err();
    assert_eq!(fields_of(&e), ["plan[1].owner"], "{e:?}");
    let stored = f.app.get::<Risk>(&f.op, r.id.get()).await.unwrap();
    assert_eq!((stored.version, stored.data.plan.len()), (1, 1), "nothing partial stored");
    // Treated needs every action settled and a residual rating.
    let e = f.app.patch::<Risk>(&f.op, r.id.get(), None, &json!({ "state": "treated" })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["residual_likelihood", "plan[0].status"], "{e:?}");
}

async fn acceptance_needs_the_owners_signature_within_the_role_limit(db: TestDb) {
    let f = fx(&db).await;
    let olga = account(&f, "olga", "Olga Owner", Role::Approver, Some(f.lyon)).await;
    let paul = account(&f, "paul", "Paul Approver", Role::Approver, Some(f.lyon)).await;
    let pw = || Reauth::Password { password: PW.into(), code: None };
    // Residual High (likelihood 4, impact 3 → 3).
    let input = risk_input(
        f.lyon,
        json!({
            "inherent_likelihood": 5, "inherent_impacts": { "production_continuity": 5 },
            "residual_likelihood": 4, "residual_impacts": { "production_continuity": 3 },
            "treatment": "modify", "risk_owner": "olga", "state": "treated",
            "plan": [{ "action": "Offline backups", "owner": "OT lead", "due_date": "2027-01-31", "status": "done" }],
        }),
    );
    let id = f.app.create::<Risk>(&f.op, &input).await.unwrap().id.get();
    // Nobody moves it to accepted by editing it.
    let e = f.app.patch::<Risk>(&f.op, id, None, &json!({ "state": "accepted" })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["state"], "{e:?}");
    let mut accepted = input.clone();
    accepted.state = Some("accepted".into());
    assert_eq!(fields_of(&f.app.create::<Risk>(&f.op, &accepted).await.unwrap_err()), ["state"]);

    // The owner, an approver, may accept up to Medium: High is refused, naming the level.
    let e = f.app.sign::<Risk>(&olga, id, Meaning::RiskAccepted, None, pw()).await.unwrap_err();
    assert_eq!(fields_of(&e), ["residual_level"], "{e:?}");
    assert!(e.to_string().contains("3 High") && e.to_string().contains("ISMS manager"), "{e}");
    // Someone else may not accept it at all.
    let e = f.app.sign::<Risk>(&paul, id, Meaning::RiskAccepted, None, pw()).await.unwrap_err();
    assert!(fields_of(&e).contains(&"risk_owner".to_owned()), "{e:?}");
    let r = f.app.get::<Risk>(&f.op, id).await.unwrap();
    assert_eq!((r.data.state, r.version), (RiskState::Treated, 1), "nothing changed");
    assert!(f.app.signatures::<Risk>(&olga, id).await.unwrap().is_empty());
    let q = AuditQuery { entity_type: Some(c981_domain::EntityKind::Risk), entity_id: Some(id), ..Default::default() };
    let failed = f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap();
    assert_eq!(failed.iter().filter(|e| e.draft.action == Action::SignFailed).count(), 2, "refusals are audited");

    // With the residual lowered to Medium, the owner accepts by signature; the signature binds
    // the accepted version.
    f.app
        .patch::<Risk>(
            &f.op,
            id,
            None,
            &json!({ "residual_likelihood": 3, "residual_impacts": { "production_continuity": 2 } }),
        )
        .await
        .unwrap();
    let sig = f
        .app
        .sign::<Risk>(&olga, id, Meaning::RiskAccepted, Some("Within appetite after backups".into()), pw())
        .await
        .unwrap();
    assert_eq!(
        (sig.printed_name.as_str(), sig.meaning, sig.status),
        ("Olga Owner", Meaning::RiskAccepted, SignatureStatus::Valid)
    );
    let r = f.app.get::<Risk>(&f.op, id).await.unwrap();
    assert_eq!((r.data.state, r.data.residual_level, r.version), (RiskState::Accepted, Some(2), 3));
    assert_eq!(sig.record_version, 3);
    let sigs = f.app.signatures::<Risk>(&paul, id).await.unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].status, SignatureStatus::Valid);
    assert!(f.app.audit_verify(&f.op).await.unwrap().ok());

    // An accepted risk keeps its basis: changing the rating needs leaving "accepted".
    let e = f.app.patch::<Risk>(&f.op, id, None, &json!({ "residual_likelihood": 2 })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["state"], "{e:?}");
    f.app.patch::<Risk>(&f.op, id, None, &json!({ "review_date": "2028-03-01" })).await.unwrap();
    f.app.patch::<Risk>(&f.op, id, None, &json!({ "residual_likelihood": 2, "state": "treated" })).await.unwrap();
    let sigs = f.app.signatures::<Risk>(&paul, id).await.unwrap();
    assert_eq!(sigs[0].status, SignatureStatus::RecordChanged);

    // An ISMS manager who owns a risk accepts High; Very high nobody may.
    let isms = account(&f, "irene", "Irene ISMS", Role::IsmsManager, None).await;
    let high = risk_input(
        f.lyon,
        json!({
            "title": "Vendor remote access to the filling line",
            "inherent_likelihood": 4, "inherent_impacts": { "safety": 3 },
            "residual_likelihood": 4, "residual_impacts": { "safety": 3 },
            "treatment": "retain", "risk_owner": "Irene ISMS", "state": "treated",
        }),
    );
    let hid = f.app.create::<Risk>(&f.op, &high).await.unwrap().id.get();
    f.app.sign::<Risk>(&isms, hid, Meaning::RiskAccepted, None, pw()).await.unwrap();
    assert_eq!(f.app.get::<Risk>(&f.op, hid).await.unwrap().data.state, RiskState::Accepted);
    let mut very = high.clone();
    very.title = Some("Unauthenticated Modbus writes from the cell network".into());
    very.residual_likelihood = Some("5".into());
    very.residual_impacts = [("safety".to_owned(), json!(5))].into();
    let vid = f.app.create::<Risk>(&f.op, &very).await.unwrap().id.get();
    let e = f.app.sign::<Risk>(&isms, vid, Meaning::RiskAccepted, None, pw()).await.unwrap_err();
    assert!(e.to_string().contains("no role may accept 4 Very high"), "{e}");
}

async fn rerating_maps_levels_by_number_and_flags_what_no_longer_fits(db: TestDb) {
    let f = fx(&db).await;
    let make = |title: &str, v: Value| {
        let mut v = v;
        v["title"] = json!(title);
        risk_input(f.lyon, v)
    };
    let fits = f
        .app
        .create::<Risk>(
            &f.op,
            &make("fits", json!({ "inherent_likelihood": 2, "inherent_impacts": { "production_continuity": 5 } })),
        )
        .await
        .unwrap();
    let likelihood_gone = f
        .app
        .create::<Risk>(
            &f.op,
            &make("likelihood 5", json!({ "inherent_likelihood": 5, "inherent_impacts": { "safety": 2 } })),
        )
        .await
        .unwrap();
    let dimension_gone = f
        .app
        .create::<Risk>(
            &f.op,
            &make(
                "financial",
                json!({ "inherent_likelihood": 1, "inherent_impacts": { "financial": 4 },
                        "residual_likelihood": 1, "residual_impacts": { "safety": 1 } }),
            ),
        )
        .await
        .unwrap();
    let unrated = f.app.create::<Risk>(&f.op, &make("unrated", json!({}))).await.unwrap();
    assert_eq!(fits.data.inherent_level, Some(3));
    assert_eq!(likelihood_gone.data.inherent_level, Some(3));

    // Version 2: four likelihood levels, no financial dimension, a stricter last column.
    let mut m = RiskModel::default().to_json();
    m["likelihood"].as_array_mut().unwrap().pop();
    m["matrix"].as_array_mut().unwrap().pop();
    m["matrix"] = json!([[1, 1, 1, 2, 4], [1, 1, 2, 2, 4], [1, 2, 2, 3, 4], [2, 2, 3, 3, 4]]);
    m["dimensions"].as_array_mut().unwrap().retain(|d| d["key"] != "financial");
    let admin = actor(Role::Administrator, None);
    assert_eq!(f.app.set_risk_model(&admin, &m, None).await.unwrap().version, 2);
    // Ratings keep their version until the register is re-rated.
    assert_eq!(f.app.get::<Risk>(&f.op, fits.id.get()).await.unwrap().data.model_version, 1);
    let e = f.app.rerate_risks(&actor(Role::IsmsManager, Some(f.lyon))).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");

    let counts = f.app.rerate_risks(&admin).await.unwrap();
    assert_eq!(
        (counts.model_version, counts.rerated, counts.flagged, counts.still_flagged),
        (2, 2, 2, 0),
        "{counts:?}"
    );
    let get = |id: i64| {
        let app = f.app.clone();
        let op = f.op.clone();
        async move { app.get::<Risk>(&op, id).await.unwrap() }
    };
    let r = get(fits.id.get()).await;
    assert_eq!((r.data.model_version, r.data.inherent_level, r.data.needs_rerating, r.version), (2, Some(4), false, 2));
    let r = get(unrated.id.get()).await;
    assert_eq!((r.data.model_version, r.data.inherent_level), (2, None));
    for flagged in [likelihood_gone.id.get(), dimension_gone.id.get()] {
        let r = get(flagged).await;
        assert!(r.data.needs_rerating, "{flagged}");
        assert_eq!(r.data.model_version, 1, "its ratings stay under the version they were made with");
    }
    assert_eq!(get(dimension_gone.id.get()).await.data.residual_level, Some(1), "old levels stay readable");
    // Every stored document matches its typed record after the SQL rewrite.
    for id in [fits.id.get(), likelihood_gone.id.get(), dimension_gone.id.get(), unrated.id.get()] {
        let doc: Value = serde_json::from_slice(&f.app.get_json::<Risk>(&f.op, id).await.unwrap()).unwrap();
        let typed: Value = serde_json::from_slice(&Store::record_json(&get(id).await).unwrap()).unwrap();
        assert_eq!(doc, typed, "risk {id}");
    }
    // One audit entry per risk changed, in the risk's own history; the trail verifies.
    let h = f.app.history(&f.op, c981_domain::EntityKind::Risk, fits.id.get(), None, 10).await.unwrap();
    let changes: Value = serde_json::from_str(&h[0].draft.changes).unwrap();
    assert_eq!(changes["model_version"], json!({ "old": 1, "new": 2 }));
    assert_eq!(changes["inherent_level"], json!({ "old": 3, "new": 4 }));
    assert!(h[0].draft.reason.as_deref().unwrap().contains("version 2"));
    let flagged =
        f.app.history(&f.op, c981_domain::EntityKind::Risk, likelihood_gone.id.get(), None, 10).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&flagged[0].draft.changes).unwrap()["needs_rerating"],
        json!({ "old": false, "new": true })
    );
    assert!(f.app.audit_verify(&f.op).await.unwrap().ok());
    let flagged_filter = ListParams { filters: vec![("needs_rerating".into(), "true".into())], ..Default::default() };
    assert_eq!(f.app.count::<Risk>(&f.op, &flagged_filter).await.unwrap(), 2);

    // Again: nothing to do, nothing written.
    let entries = f.app.audit_verify(&f.op).await.unwrap().entries;
    let again = f.app.rerate_risks(&admin).await.unwrap();
    assert_eq!((again.rerated, again.flagged, again.still_flagged), (0, 0, 2));
    assert_eq!(f.app.audit_verify(&f.op).await.unwrap().entries, entries);
    // Rating a flagged risk again under the current model clears the flag.
    let r =
        f.app.patch::<Risk>(&f.op, likelihood_gone.id.get(), None, &json!({ "inherent_likelihood": 4 })).await.unwrap();
    assert_eq!((r.data.model_version, r.data.needs_rerating, r.data.inherent_level), (2, false, Some(2)));
    // A flagged risk whose old rating is sent again is refused, naming the field.
    let e =
        f.app.patch::<Risk>(&f.op, dimension_gone.id.get(), None, &json!({ "title": "renamed" })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["inherent_impacts.financial"], "{e:?}");
}

async fn overdue_reviews_and_actions_are_listed_per_site_and_over_all_sites(db: TestDb) {
    let f = fx(&db).await;
    let plan = |due: &str, status: &str| json!([{ "action": "Harden", "owner": "OT lead", "due_date": due, "status": status }]);
    let mk = |site: SiteId, title: &str, v: Value| {
        let mut v = v;
        v["title"] = json!(title);
        risk_input(site, v)
    };
    let rated = json!({ "inherent_likelihood": 3, "inherent_impacts": { "safety": 3 }, "risk_owner": "Olga Owner" });
    let with = |extra: Value| {
        let mut v = rated.clone();
        c981_app::merge_patch(&mut v, &extra);
        v
    };
    let review = f
        .app
        .create::<Risk>(
            &f.op,
            &mk(f.lyon, "review passed", with(json!({ "review_date": "2027-01-15", "state": "assessed" }))),
        )
        .await
        .unwrap();
    let action = f
        .app
        .create::<Risk>(
            &f.op,
            &mk(f.lyon, "action late", with(json!({ "review_date": "2027-12-31", "state": "treatment_planned", "treatment": "modify", "plan": plan("2027-02-01", "in_progress") }))),
        )
        .await
        .unwrap();
    f.app
        .create::<Risk>(
            &f.op,
            &mk(
                f.lyon,
                "action done",
                with(json!({ "treatment": "modify", "plan": plan("2027-02-01", "done"), "review_date": "2027-09-01" })),
            ),
        )
        .await
        .unwrap();
    f.app
        .create::<Risk>(&f.op, &mk(f.lyon, "closed", with(json!({ "review_date": "2026-01-01", "state": "closed" }))))
        .await
        .unwrap();
    f.app.create::<Risk>(&f.op, &mk(f.lyon, "due today", with(json!({ "review_date": "2027-03-01" })))).await.unwrap();
    let foreign = f
        .app
        .create::<Risk>(&f.op, &mk(f.wichita, "Wichita review passed", with(json!({ "review_date": "2026-12-01" }))))
        .await
        .unwrap();

    let all = f.app.overdue_risks(&f.op, None, None, None).await.unwrap();
    assert_eq!(all.today, "2027-03-01");
    let ids: Vec<i64> = all.items.iter().map(|r| r.id).collect();
    assert_eq!(ids, [foreign.id.get(), review.id.get(), action.id.get()], "the earliest due first");
    let late = all.items.iter().find(|r| r.id == action.id.get()).unwrap();
    assert!(!late.review_overdue);
    assert_eq!(late.overdue_actions.len(), 1);
    assert_eq!(late.overdue_actions[0].due_date, "2027-02-01");
    assert!(all.items.iter().find(|r| r.id == review.id.get()).unwrap().review_overdue);

    // Per site, and for a viewer of one site only its own.
    let lyon = f.app.overdue_risks(&f.op, Some(f.lyon), None, None).await.unwrap();
    assert_eq!(lyon.items.len(), 2);
    let viewer = actor(Role::Viewer, Some(f.lyon));
    let seen = f.app.overdue_risks(&viewer, None, None, None).await.unwrap();
    assert!(seen.items.iter().all(|r| r.site_id == f.lyon.get()), "{seen:?}");
    assert_eq!(seen.items.len(), 2);
    assert!(f.app.overdue_risks(&viewer, Some(f.wichita), None, None).await.unwrap().items.is_empty());
    // Pages follow each other without gaps.
    let first = f.app.overdue_risks(&f.op, None, None, Some(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = f.app.overdue_risks(&f.op, None, first.next_cursor.as_deref(), Some(2)).await.unwrap();
    assert_eq!(rest.items.iter().map(|r| r.id).collect::<Vec<_>>(), [action.id.get()]);
    assert!(rest.next_cursor.is_none());
}

async fn a_viewer_of_one_site_never_sees_another_sites_risks(db: TestDb) {
    let f = fx(&db).await;
    let mine = f.app.create::<Risk>(&f.op, &risk_input(f.lyon, json!({ "title": "Lyon risk" }))).await.unwrap();
    let theirs = f.app.create::<Risk>(&f.op, &risk_input(f.wichita, json!({ "title": "Wichita risk" }))).await.unwrap();
    let viewer = actor(Role::Viewer, Some(f.lyon));
    let page = f.app.list::<Risk>(&viewer, &ListParams::default()).await.unwrap();
    assert_eq!(page.items.iter().map(|r| r.id.get()).collect::<Vec<_>>(), [mine.id.get()]);
    let json = String::from_utf8(f.app.list_json::<Risk>(&viewer, &ListParams::default()).await.unwrap()).unwrap();
    assert!(!json.contains("Wichita"), "{json}");
    let asked = ListParams { site_id: Some(f.wichita), ..Default::default() };
    assert_eq!(f.app.count::<Risk>(&viewer, &asked).await.unwrap(), 0);
    let search = ListParams { q: Some("risk".into()), ..Default::default() };
    assert_eq!(f.app.count::<Risk>(&viewer, &search).await.unwrap(), 1);
    for e in [
        f.app.get::<Risk>(&viewer, theirs.id.get()).await.map(|_| ()),
        f.app.get_json::<Risk>(&viewer, theirs.id.get()).await.map(|_| ()),
        f.app.history(&viewer, c981_domain::EntityKind::Risk, theirs.id.get(), None, 10).await.map(|_| ()),
    ] {
        assert!(matches!(e, Err(AppError::NotFound { .. })), "{e:?}");
    }
    // Nor can it write its own site's risks.
    let e = f.app.patch::<Risk>(&viewer, mine.id.get(), None, &json!({ "title": "x" })).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    // A site engineer of Lyon cannot move a risk to Wichita.
    let eng = actor(Role::SiteEngineer, Some(f.lyon));
    let e = f.app.patch::<Risk>(&eng, mine.id.get(), None, &json!({ "site_id": f.wichita.get() })).await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(_) | AppError::Forbidden(_)), "{e:?}");
    assert_eq!(f.app.get::<Risk>(&f.op, mine.id.get()).await.unwrap().data.site_id, f.lyon);
}

backend_tests!(
    the_risk_model_is_versioned_and_only_managers_of_every_site_change_it,
    ratings_outside_the_model_are_refused_and_levels_are_computed,
    a_treatment_plan_item_needs_an_owner_and_a_due_date,
    acceptance_needs_the_owners_signature_within_the_role_limit,
    rerating_maps_levels_by_number_and_flags_what_no_longer_fits,
    overdue_reviews_and_actions_are_listed_per_site_and_over_all_sites,
    a_viewer_of_one_site_never_sees_another_sites_risks,
);
