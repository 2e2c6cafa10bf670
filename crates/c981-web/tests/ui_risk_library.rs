//! The pages around the risk register over the demo estate, on SQLite and PostgreSQL: the
//! threat library (a template used for a new risk; the organisation's templates imported as
//! a file upload with the CSRF token as its first part, and edited), suggested risks
//! (reviewed as a risk, dismissed with a reason, restored), the heatmaps, the printable
//! register and its exports, and assessment periods (closed, read, compared).

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

/// The demo, an administrator of every site (`ada`), an engineer and a viewer of Lyon.
async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2026-12-01T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let lyo = app.store().site_by_code(&c981_store::SiteScope::All, "LYO").await.unwrap().unwrap().id.get();
    common::account(&app, "ada", "Ada Admin", common::all(Role::Administrator)).await;
    common::account(&app, "eli", "Eli Engineer", common::on(Role::SiteEngineer, lyo)).await;
    common::account(&app, "lena", "Lena of Lyon", common::on(Role::Viewer, lyo)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, lyo, _dir: dir }
}

async fn send(w: &World, req: Request<Body>) -> (StatusCode, String, Vec<u8>, String) {
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let ctype = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, location, body, ctype)
}

async fn get(w: &World, b: &common::Browser, path: &str) -> (StatusCode, String) {
    let req = Request::get(path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
    let (s, _, body, _) = send(w, req).await;
    (s, String::from_utf8(body).unwrap_or_default())
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
    let (s, loc, body, _) = send(w, req).await;
    (s, loc, String::from_utf8(body).unwrap_or_default())
}

/// A file upload as a browser sends it: the CSRF token first, then the file.
async fn upload(
    w: &World,
    b: &common::Browser,
    path: &str,
    csrf: &str,
    name: &str,
    file: &str,
) -> (StatusCode, String, String) {
    let boundary = "----c981test7MA4YWxkTrZu0gW";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let req = Request::post(path)
        .header(header::COOKIE, &b.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (s, loc, body, _) = send(w, req).await;
    (s, loc, String::from_utf8(body).unwrap_or_default())
}

fn template(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": "CIP skid valve forced open",
        "threat_source": "A contractor on the cleaning skid's HMI",
        "threat_event": "Forces the steam valve open during a CIP cycle",
        "vulnerability": "Shared operator account on the skid HMI",
        "consequence": "Scalding risk; product contaminated",
        "asset_kinds": ["hmi"],
        "zone_kinds": ["control"],
        "impacts": { "safety": 4, "production_continuity": 2, "product_quality": 4, "integrity": 3, "confidentiality": 1, "financial": 2 },
        "likelihood": 2,
        "controls": ["5.16"],
        "requirements": ["SR 1.1"]
    })
}

async fn the_threat_library_fills_a_new_risk_and_takes_the_organisations_templates(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let (s, html) = get(&w, &eli, "/threat-library?asset_kind=engineering_workstation").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("T-LAPTOP-LOST"), "{html}");
    assert!(!html.contains("T-CLOUD-OUTAGE"), "the filter applies");
    assert!(!html.contains("action=\"/threat-library/import\""), "only managers of every site import");
    let (s, html) = get(&w, &eli, "/threat-library/T-LAPTOP-LOST").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Lost or stolen engineering laptop") && html.contains("8.24"), "{html}");
    // "Use for a new risk": the form comes filled, the origin kept, nothing stored yet.
    let before =
        w.app.count::<Risk>(&Ctx::new(Actor::system("t"), Channel::System, "t"), &ListParams::default()).await.unwrap();
    let (s, html) = get(&w, &eli, &format!("/risks/new?template=T-LAPTOP-LOST&site_id={}", w.lyo)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("value=\"template:T-LAPTOP-LOST\""), "the origin travels with the form");
    assert!(html.contains("Lost or stolen engineering laptop"));
    assert!(html.contains("ratings are hints"));
    let after =
        w.app.count::<Risk>(&Ctx::new(Actor::system("t"), Channel::System, "t"), &ListParams::default()).await.unwrap();
    assert_eq!(before, after);

    // An administrator of every site imports a file: the CSRF token is the upload's first part.
    let ada = common::login(&w.app, "ada").await;
    let file = serde_json::json!([template("ACME-CIP-VALVE")]).to_string();
    let (s, _, _) = upload(&w, &ada, "/threat-library/import", "wrong-token", "ours.json", &file).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a wrong token is refused before the upload is read");
    let (s, loc, body) = upload(&w, &ada, "/threat-library/import", &ada.csrf, "ours.json", &file).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(loc.contains("imported="), "{loc}");
    let (_, html) = get(&w, &ada, "/threat-library/ACME-CIP-VALVE").await;
    assert!(html.contains("CIP skid valve forced open") && html.contains("ours"));
    // A bad file is refused whole, naming the position and field.
    let mut bad = template("ACME-SECOND");
    bad["likelihood"] = serde_json::json!(0);
    let file = serde_json::json!([template("ACME-FIRST"), bad]).to_string();
    let (s, _, html) = upload(&w, &ada, "/threat-library/import", &ada.csrf, "bad.json", &file).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("bad.json: [1].likelihood"), "{html}");
    let (s, _) = get(&w, &ada, "/threat-library/ACME-FIRST").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing of the bad file was stored");
    // The JSON editor: a change saved, an invalid one shown again with its errors.
    let (s, html) = get(&w, &ada, "/threat-library/ACME-CIP-VALVE/edit").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("CIP skid valve forced open"));
    let mut t = template("ACME-CIP-VALVE");
    t["likelihood"] = serde_json::json!(3);
    let (s, loc, _) =
        post(&w, &ada, "/threat-library/ACME-CIP-VALVE/edit", &[("doc", &t.to_string()), ("version", "1")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/threat-library/ACME-CIP-VALVE");
    let (s, _, html) =
        post(&w, &ada, "/threat-library/ACME-CIP-VALVE/edit", &[("doc", "{not json"), ("version", "2")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not valid JSON") && html.contains("{not json"), "the text is kept");
    // The engineer cannot edit.
    let (s, _) = get(&w, &eli, "/threat-library/ACME-CIP-VALVE/edit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn suggestions_are_reviewed_as_risks_or_dismissed_with_a_reason(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let (s, html) = get(&w, &eli, "/risks/suggestions").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Review as a risk") && html.contains("Dismiss"), "{html}");
    assert!(!html.contains("Wichita"));
    let sys = Ctx::new(Actor::system("t"), Channel::System, "t");
    let all = w.app.risk_suggestions(&sys, Some(SiteId::new(w.lyo)), false).await.unwrap();
    let first = &all[0];
    // Review: the form is filled from the suggestion.
    let href = format!("/risks/new?site_id={}&suggestion={}", w.lyo, urlencode(&first.key));
    let (s, html) = get(&w, &eli, &href).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Seen in the facts"), "the facts go into the vulnerability");
    // Dismiss without a reason: refused; with one: gone from the open list, shown as dismissed.
    let site = w.lyo.to_string();
    let (s, _, _) =
        post(&w, &eli, "/risks/suggestions/dismiss", &[("site_id", &site), ("key", &first.key), ("reason", " ")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = post(
        &w,
        &eli,
        "/risks/suggestions/dismiss",
        &[("site_id", &site), ("key", &first.key), ("reason", "Accepted by the plant's 2026 segmentation project")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get(&w, &eli, "/risks/suggestions").await;
    assert!(
        html.contains("Accepted by the plant&#39;s 2026 segmentation project")
            || html.contains("Accepted by the plant's 2026 segmentation project"),
        "{html}"
    );
    assert!(html.contains("Restore"));
    // A viewer sees suggestions but may not act on them.
    let lena = common::login(&w.app, "lena").await;
    let (s, html) = get(&w, &lena, "/risks/suggestions").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("Review as a risk"));
    let (s, _, _) = post(&w, &lena, "/risks/suggestions/restore", &[("site_id", &site), ("key", &first.key)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = post(&w, &eli, "/risks/suggestions/restore", &[("site_id", &site), ("key", &first.key)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn heatmaps_exports_and_periods(db: TestDb) {
    let w = world(&db).await;
    let lena = common::login(&w.app, "lena").await;
    let (s, html) = get(&w, &lena, "/risks/heatmap").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.matches("<svg").count() >= 2, "inherent and residual");
    assert!(html.contains("Inherent risk") && html.contains("Residual risk"));
    assert!(!html.contains("Wichita"));
    let (s, svg) = get(&w, &lena, &format!("/api/v1/risk-heatmap.svg?site_id={}&rating=residual", w.lyo)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(svg.starts_with("<svg"));

    // Exports: XLSX, CSV and PDF of the register, and the printable page.
    for (format, magic) in [("xlsx", &b"PK"[..]), ("pdf", &b"%PDF"[..]), ("csv", &b"\xef\xbb\xbf"[..])] {
        let req = Request::get(format!("/api/v1/risks/export?format={format}"))
            .header(header::COOKIE, &lena.cookie)
            .body(Body::empty())
            .unwrap();
        let (s, _, body, ctype) = send(&w, req).await;
        assert_eq!(s, StatusCode::OK, "{format}");
        assert!(body.starts_with(magic), "{format}: {ctype}");
        if format == "csv" {
            let text = String::from_utf8(body).unwrap();
            assert!(text.contains("Compromised vendor remote access"));
            assert!(!text.contains("Wichita"), "only the viewer's site");
            let rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes()).records().count();
            assert_eq!(rows, 5, "Lyon's five risks");
        }
    }
    let (s, html) = get(&w, &lena, "/risks/print?state=treated").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Unauthenticated writes to safety-related controllers"));
    assert!(!html.contains("Compromised vendor remote access"), "the filter applies");

    // Periods: only managers of every site close one; everyone compares.
    let (s, _, _) = post(&w, &lena, "/risks/periods", &[("name", "2026 review")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let ada = common::login(&w.app, "ada").await;
    let (s, loc, _) = post(&w, &ada, "/risks/periods", &[("name", "2026 review"), ("note", "Yearly")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, html) = get(&w, &lena, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("2026 review") && html.contains("Compromised vendor remote access"));
    assert!(!html.contains("Wichita"));
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let (s, html) = get(&w, &lena, &format!("/risks/periods/compare?from={id}&to=current")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Nothing changed"), "{html}");
    let (s, _, html) = post(&w, &ada, "/risks/periods", &[("name", "2026 review")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
}

backend_tests!(
    the_threat_library_fills_a_new_risk_and_takes_the_organisations_templates,
    suggestions_are_reviewed_as_risks_or_dismissed_with_a_reason,
    heatmaps_exports_and_periods,
);
