//! The IEC 62443-3-2 ZCR workflow through the use cases, on both databases: a system under
//! consideration with its zones (of its own site only), ZCR 7 held back until ZCR 1 to 6 are
//! settled, and the asset owner's approval as an electronic signature.

use std::sync::Arc;

use c981_app::identity::{AuthSettings, NewUser, Origin};
use c981_app::signature::{Meaning, Reauth, SignatureStatus};
use c981_app::{Actor, App, AppError, Ctx, Grant, Role, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::{
    Site, SiteId, SiteInput, SystemUnderConsideration, SystemUnderConsiderationInput, ZcrState, Zone, ZoneInput,
};
use c981_testkit::{TestDb, backend_tests};
use serde_json::json;

const PW: &str = "Pump-station 7 valve cadence!";

async fn site(app: &App, ctx: &Ctx, code: &str) -> SiteId {
    app.create::<Site>(
        ctx,
        &SiteInput {
            code: Some(code.into()),
            name: Some(format!("Plant {code}")),
            country: Some("FR".into()),
            time_zone: Some("Europe/Paris".into()),
            industry: Some("pharma".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn zone(app: &App, ctx: &Ctx, site: SiteId, name: &str) -> i64 {
    app.create::<Zone>(
        ctx,
        &ZoneInput {
            site_id: Some(site.to_string()),
            name: Some(name.into()),
            kind: Some("control".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
    .get()
}

fn fields_of(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(v) => v.errors.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn a_system_under_consideration_follows_zcr_1_to_7_up_to_the_owners_signature(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let op = Ctx::new(Actor::local_operator("engineer"), Channel::Cli, "req");
    let lyon = site(&app, &op, "LYO").await;
    let other = site(&app, &op, "ICT").await;
    let filling = zone(&app, &op, lyon, "Filling").await;
    let packing = zone(&app, &op, lyon, "Packing").await;
    let foreign = zone(&app, &op, other, "Elsewhere").await;

    // Two zones of its own site.
    let input = SystemUnderConsiderationInput {
        site_id: Some(lyon.to_string()),
        name: Some("Line 3".into()),
        description: Some("Filling and packing of line 3, up to the plant firewall".into()),
        zone_ids: vec![filling.to_string(), packing.to_string()],
        owner: Some("Head of production".into()),
        zcr1_status: Some("done".into()),
        zcr1_evidence: vec!["DOC-100 SUC description".into()],
        ..Default::default()
    };
    let rec = app.create::<SystemUnderConsideration>(&op, &input).await.unwrap();
    let id = rec.id.get();
    assert_eq!(rec.data.zone_ids.iter().map(|z| z.get()).collect::<Vec<_>>(), [filling, packing]);
    assert_eq!(rec.data.zcr2_status, ZcrState::NotStarted);
    let doc: serde_json::Value =
        serde_json::from_slice(&app.get_json::<SystemUnderConsideration>(&op, id).await.unwrap()).unwrap();
    assert_eq!(doc["zone_ids"], json!([filling, packing]));
    assert_eq!(doc["zcr1_evidence"], json!(["DOC-100 SUC description"]));
    assert_eq!(doc["zcr7_status"], "not_started");

    // A zone of another site is refused, naming zone_ids.
    let mut bad = input.clone();
    bad.name = Some("Line 4".into());
    bad.zone_ids = vec![filling.to_string(), foreign.to_string()];
    let e = app.create::<SystemUnderConsideration>(&op, &bad).await.unwrap_err();
    assert_eq!(fields_of(&e), ["zone_ids"], "{e:?}");
    let e = app.patch::<SystemUnderConsideration>(&op, id, None, &json!({ "zone_ids": [foreign] })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["zone_ids"], "{e:?}");
    // A zone of a system cannot disappear from under it.
    let e = app.delete::<Zone>(&op, packing, None).await.unwrap_err();
    assert!(e.to_string().contains("used by 1 system"), "{e}");
    // The name is unique in its site.
    let e = app.create::<SystemUnderConsideration>(&op, &input).await.unwrap_err();
    assert_eq!(fields_of(&e), ["name"], "{e:?}");

    // ZCR 7 may not be done while ZCR 5 is in progress.
    let steps = json!({
        "zcr2_status": "done", "zcr3_status": "done", "zcr4_status": "done",
        "zcr5_status": "in_progress", "zcr6_status": "not_applicable",
    });
    app.patch::<SystemUnderConsideration>(&op, id, None, &steps).await.unwrap();
    let e = app.patch::<SystemUnderConsideration>(&op, id, None, &json!({ "zcr7_status": "done" })).await.unwrap_err();
    assert_eq!(fields_of(&e), ["zcr7_status"], "{e:?}");
    assert!(e.to_string().contains("ZCR 5") || format!("{e:?}").contains("ZCR 5"), "{e:?}");
    let done =
        json!({ "zcr5_status": "done", "zcr7_status": "done", "zcr7_evidence": ["MIN-2026-11 approval meeting"] });
    let rec = app.patch::<SystemUnderConsideration>(&op, id, None, &done).await.unwrap();
    assert_eq!(rec.data.zcr7_status, ZcrState::Done);

    // The asset owner approves by electronic signature with the meaning "approved".
    let (_, link) = app
        .create_user(
            &op,
            &NewUser {
                username: "owner".into(),
                display_name: "Olga Owner".into(),
                email: None,
                grants: vec![Grant { role: Role::Approver, site: Some(lyon) }],
            },
        )
        .await
        .unwrap();
    let origin = Origin { source: "test".into(), user_agent: "test".into(), request_id: "r".into(), channel: None };
    app.set_password_with_link(&link, PW, &origin).await.unwrap();
    let owner = Ctx::new(app.actor_of_user("owner").await.unwrap(), Channel::Ui, "r");
    let pw = Reauth::Password { password: PW.into(), code: None };
    let sig = app
        .sign::<SystemUnderConsideration>(&owner, id, Meaning::Approved, Some("SUC accepted".into()), pw)
        .await
        .unwrap();
    assert_eq!(sig.printed_name, "Olga Owner");
    assert_eq!(sig.entity_type, "system");
    assert_eq!(sig.status, SignatureStatus::Valid);
    let sigs = app.signatures::<SystemUnderConsideration>(&owner, id).await.unwrap();
    assert_eq!(sigs.len(), 1);
    // A later change shows on the approval.
    app.patch::<SystemUnderConsideration>(&op, id, None, &json!({ "owner": "Plant manager" })).await.unwrap();
    let sigs = app.signatures::<SystemUnderConsideration>(&owner, id).await.unwrap();
    assert_eq!(sigs[0].status, SignatureStatus::RecordChanged);
}

backend_tests!(a_system_under_consideration_follows_zcr_1_to_7_up_to_the_owners_signature);
