//! The risk pages over the demo estate, in process, on SQLite and on PostgreSQL: the register
//! with coloured levels and filters, a risk's page, the overdue list, the risk form (errors
//! named, values kept), and the model's editor (a new version, a refused matrix, re-rating),
//! which only administrators and ISMS managers of every site get. The clock stands at
//! 2026-12-01, so the demo's past due dates are overdue whatever day the test runs.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::identity::AuthSettings;
use c981_app::{Actor, App, Ctx, FixedClock, ListParams, Role};
use c981_domain::audit::Channel;
use c981_domain::{Risk, SiteId, Timestamp};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct World {
    app: App,
    router: Router,
    lyo: i64,
    _dir: tempfile::TempDir,
}

/// The demo, an administrator of every site (`ada`) and a viewer of Lyon (`lena`).
async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2026-12-01T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let lyo = app.store().site_by_code(&c981_store::SiteScope::All, "LYO").await.unwrap().unwrap().id.get();
    common::account(&app, "ada", "Ada Admin", common::all(Role::Administrator)).await;
    common::account(&app, "lena", "Lena of Lyon", common::on(Role::Viewer, lyo)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, lyo, _dir: dir }
}

async fn send(w: &World, req: Request<Body>) -> (StatusCode, String, String) {
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, location, String::from_utf8(body.to_vec()).unwrap())
}

async fn get(w: &World, b: &common::Browser, path: &str) -> (StatusCode, String) {
    let req = Request::get(path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
    let (s, _, body) = send(w, req).await;
    (s, body)
}

async fn post(w: &World, b: &common::Browser, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("_csrf", &b.csrf);
    for (k, v) in form {
        ser.append_pair(k, v);
    }
    let req = Request::post(path)
        .header(header::COOKIE, &b.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(ser.finish()))
        .unwrap();
    send(w, req).await
}

/// The text of a page without its tags (`<span>3</span> High` reads "3 High").
fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

async fn lyon_risks(w: &World) -> Vec<c981_domain::Record<Risk>> {
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    let p = ListParams { site_id: Some(SiteId::new(w.lyo)), ..Default::default() };
    w.app.list::<Risk>(&sys, &p).await.unwrap().items
}

async fn the_register_the_risk_page_and_the_overdue_list_show_levels_by_name(db: TestDb) {
    let w = world(&db).await;
    let lena = common::login(&w.app, "lena").await;
    let (s, html) = get(&w, &lena, "/risks").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Compromised vendor remote access reaches supervisory systems"), "{html}");
    assert!(html.contains("risk-level risk-orange") && html.contains("High"), "levels by name and colour");
    assert!(!html.contains("Wichita"), "another site's risks");
    let (_, html) = get(&w, &lena, "/risks?state=treated").await;
    assert!(html.contains("Unauthenticated writes to safety-related controllers"));
    assert!(!html.contains("Compromised vendor remote access"), "the filter applies");
    let (s, _) = get(&w, &lena, "/risks?residual_level=9x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a bad filter is named, not ignored");

    // The overdue list: an action past due, a review past due; nothing of Wichita.
    let (s, html) = get(&w, &lena, "/risks/overdue").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("as of 2026-12-01"), "{html}");
    assert!(html.contains("Compromised vendor remote access"), "an action due 2026-10-31 is overdue");
    assert!(
        html.contains("Unauthenticated writes to safety-related controllers"),
        "a review due 2026-09-30 is overdue"
    );
    assert!(!html.contains("Outage of the cloud IIoT platform"), "nothing of it is due");
    assert!(!html.contains("Wichita"));

    // A risk's page: ratings with level names, the plan with what is overdue.
    let vendor = lyon_risks(&w).await.into_iter().find(|r| r.data.title.as_str().starts_with("Compromised")).unwrap();
    let (s, html) = get(&w, &lena, &format!("/risks/{}", vendor.id.get())).await;
    assert_eq!(s, StatusCode::OK);
    let page = text(&html);
    for t in ["Ratings", "4 Likely", "4 Major", "3 High", "Treatment plan", "overdue", "Production continuity"] {
        assert!(page.contains(t), "the risk page shows {t:?}");
    }
    // The model's page, without its editor for a viewer.
    let (s, html) = get(&w, &lena, "/risk-model").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Almost certain") && html.contains("risk-matrix"), "scales and matrix");
    assert!(!html.contains("action=\"/risk-model/rerate\""), "no editor for a viewer");
    let (s, _, _) = post(&w, &lena, "/risk-model/rerate", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn the_risk_form_names_bad_fields_keeps_the_input_and_rates_with_the_model(db: TestDb) {
    let w = world(&db).await;
    let ada = common::login(&w.app, "ada").await;
    let lyo = w.lyo.to_string();
    let base = [
        ("site_id", lyo.as_str()),
        ("title", "Rogue device on the packaging cell network"),
        ("threat_event", "An unknown device appears on the cell switch and scans the PLCs"),
        ("inherent_likelihood", "4"),
        ("inherent_impact.production_continuity", "3"),
        ("inherent_impact.integrity", "4"),
        ("treatment", "modify"),
        ("state", "treatment_planned"),
        ("risk_owner", "Head of packaging"),
        ("plan_action", "Port security on the cell switches"),
        ("plan_owner", ""),
        ("plan_due", ""),
        ("plan_status", "planned"),
        ("plan_control", "8.20"),
    ];
    let (s, _, html) = post(&w, &ada, "/risks/new", &base).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("plan[0].owner") && html.contains("plan[0].due_date"), "{html}");
    assert!(html.contains("Port security on the cell switches"), "what was typed is kept");
    assert_eq!(lyon_risks(&w).await.len(), 5, "nothing stored");

    let mut good = base.to_vec();
    good.retain(|(k, _)| *k != "plan_owner" && *k != "plan_due");
    good.push(("plan_owner", "OT infrastructure lead"));
    good.push(("plan_due", "2027-03-31"));
    let (s, location, _) = post(&w, &ada, "/risks/new", &good).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/risks/"), "{location}");
    let (_, html) = get(&w, &ada, &location).await;
    assert!(text(&html).contains("Inherent 3 High"), "likelihood 4 × impact 4 is High in the default matrix");
    let id = location.trim_start_matches("/risks/");

    // The edit form shows the stored ratings; "accepted" cannot be posted.
    let (s, html) = get(&w, &ada, &format!("/risks/{id}/edit")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"inherent_impact.integrity\""), "one select per dimension");
    // A crafted post (the form does not offer "accepted"), complete but for the signature.
    let mut accepted = good.clone();
    accepted.retain(|(k, _)| *k != "state" && *k != "plan_status");
    accepted.extend([
        ("state", "accepted"),
        ("plan_status", "done"),
        ("residual_likelihood", "2"),
        ("residual_impact.integrity", "2"),
        ("version", "1"),
    ]);
    let (s, _, html) = post(&w, &ada, &format!("/risks/{id}/edit"), &accepted).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("electronic signature"), "{html}");
}

async fn the_model_editor_makes_a_new_version_refuses_a_bad_matrix_and_re_rates(db: TestDb) {
    let w = world(&db).await;
    let ada = common::login(&w.app, "ada").await;
    let (_, html) = get(&w, &ada, "/risk-model").await;
    assert!(html.contains("action=\"/risk-model/rerate\"") && html.contains("name=\"m-4-0\""), "the editor");

    // A cell lower than the one below it is refused, naming the cell; nothing is stored.
    let (s, _, html) = post(&w, &ada, "/risk-model", &[("based_on", "1"), ("m-4-0", "1")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("matrix[4][0]"), "{html}");
    let (s, _, html) = post(&w, &ada, "/risk-model/json", &[("based_on", "1"), ("model", "{ not json")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("not valid JSON"), "{html}");
    assert_eq!(w.app.risk_model(&common::operator()).await.unwrap().version, 1);

    // Rare but severe becomes Medium: version 2.
    let (s, location, _) = post(
        &w,
        &ada,
        "/risk-model",
        &[("based_on", "1"), ("m-0-4", "2"), ("m-1-4", "3"), ("reason", "Board decision 2026-12")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = get(&w, &ada, &location).await;
    assert!(html.contains("Saved as version 2") && html.contains("Board decision 2026-12"), "{html}");
    // Based on version 1 again: a conflict, shown on the page.
    let (s, _, _) = post(&w, &ada, "/risk-model", &[("based_on", "1"), ("m-0-4", "3")]).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Re-rating moves the register to version 2.
    let (s, location, _) = post(&w, &ada, "/risk-model/rerate", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(location.contains("rerated=15"), "{location}");
    for r in lyon_risks(&w).await {
        assert_eq!(r.data.model_version, 2, "{}", r.data.title);
    }
    let (s, html) = get(&w, &ada, "/risk-model/versions/1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Version 1") && html.contains("built in"), "old versions stay readable");
}

backend_tests!(
    the_register_the_risk_page_and_the_overdue_list_show_levels_by_name,
    the_risk_form_names_bad_fields_keeps_the_input_and_rates_with_the_model,
    the_model_editor_makes_a_new_version_refuses_a_bad_matrix_and_re_rates,
);
