//! The Statement of Applicability over the HTTP API, on SQLite and PostgreSQL: the statement
//! of a scope, deciding a control with If-Match, the refusal to freeze an incomplete statement,
//! exports as downloads (XLSX, CSV, PDF, OSCAL), evidence files (upload, server-side hash,
//! download as an attachment), the evidence bundle with its manifest hash, the crosswalk, the
//! catalogues and the dashboard, each within the caller's sites and roles.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::identity::AuthSettings;
use c981_app::{Actor, App, Ctx, FixedClock, ListParams, Role};
use c981_domain::audit::Channel;
use c981_domain::{IsmsScope, SiteId, Timestamp};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct World {
    app: App,
    router: Router,
    lyo_scope: i64,
    ict_scope: i64,
    vlc_scope: i64,
    _dir: tempfile::TempDir,
}

async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2027-01-15T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let site = |c: &str| {
        let app = app.clone();
        let c = c.to_owned();
        async move { app.store().site_by_code(&c981_store::SiteScope::All, &c).await.unwrap().unwrap().id }
    };
    let scope = |s: SiteId| {
        let app = app.clone();
        let sys = sys.clone();
        async move {
            app.list::<IsmsScope>(&sys, &ListParams { site_id: Some(s), ..Default::default() }).await.unwrap().items[0]
                .id
                .get()
        }
    };
    let (lyo, ict, vlc) = (site("LYO").await, site("ICT").await, site("VLC").await);
    common::account(&app, "mia", "Mia Manager", common::on(Role::IsmsManager, vlc.get())).await;
    common::account(&app, "vic", "Vic Viewer", common::on(Role::Viewer, vlc.get())).await;
    common::account(&app, "ada", "Ada Auditor", common::on(Role::Auditor, lyo.get())).await;
    common::account(&app, "root", "Root", common::all(Role::Administrator)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World {
        lyo_scope: scope(lyo).await,
        ict_scope: scope(ict).await,
        vlc_scope: scope(vlc).await,
        app,
        router,
        _dir: dir,
    }
}

struct Res {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn call(w: &World, token: &str, method: &str, uri: &str, body: Vec<u8>, extra: &[(&str, &str)]) -> Res {
    let mut req = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = w.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Res { status, headers, body }
}

async fn the_statement_is_decided_and_frozen_over_the_api(db: TestDb) {
    let w = world(&db).await;
    let mia = common::token(&w.app, "mia", false, &[]).await;
    let vic = common::token(&w.app, "vic", false, &[]).await;
    let s = w.vlc_scope;
    let r = call(&w, &mia, "GET", &format!("/api/v1/scopes/{s}/soa"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["doc"]["lines"].as_array().unwrap().len(), 93);
    assert_eq!(v["completeness"]["complete"], false);
    // An exclusion without a reason: 422 naming the field.
    let r = call(
        &w,
        &mia,
        "PUT",
        &format!("/api/v1/scopes/{s}/soa/A.8.11"),
        br#"{"applicability":"not_applicable"}"#.to_vec(),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json());
    assert_eq!(r.json()["error"]["fields"][0]["field"], "justification");
    let body = br#"{"applicability":"not_applicable","justification":"No personal data in the systems in scope"}"#;
    let r = call(&w, &mia, "PUT", &format!("/api/v1/scopes/{s}/soa/A.8.11"), body.to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    let r =
        call(&w, &mia, "PUT", &format!("/api/v1/scopes/{s}/soa/8.11"), body.to_vec(), &[("if-match", "\"7\"")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Unknown fields are refused, not ignored.
    let r = call(&w, &mia, "PUT", &format!("/api/v1/scopes/{s}/soa/8.12"), br#"{"approved":true}"#.to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A viewer reads but does not decide.
    let r = call(&w, &vic, "PUT", &format!("/api/v1/scopes/{s}/soa/8.12"), body.to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Freezing an incomplete statement: 409 with the controls named.
    let r = call(&w, &mia, "POST", &format!("/api/v1/scopes/{s}/soa-versions"), br#"{"note":"x"}"#.to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("92 controls without a decision"), "{}", r.json());
    // Another site's scope is not found.
    let r = call(&w, &mia, "GET", &format!("/api/v1/scopes/{}/soa", w.lyo_scope), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        call(&w, &mia, "GET", &format!("/api/v1/scopes/{}/soa-export?format=xlsx", w.ict_scope), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The dashboard holds the caller's scope only.
    let r = call(&w, &vic, "GET", "/api/v1/soa-dashboard", Vec::new(), &[]).await;
    let scopes = r.json()["scopes"].as_array().unwrap().clone();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0]["scope"]["id"], s);
    assert_eq!(scopes[0]["coverage"]["not_applicable"], 1);
}

async fn exports_are_downloads_in_every_format(db: TestDb) {
    let w = world(&db).await;
    let ada = common::token(&w.app, "ada", false, &[]).await;
    let s = w.lyo_scope;
    for (format, ctype, magic) in [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &b"PK"[..]),
        ("csv", "text/csv; charset=utf-8", &b"\xEF\xBB\xBF"[..]),
        ("pdf", "application/pdf", &b"%PDF"[..]),
        ("oscal-ssp", "application/json", &b"{"[..]),
        ("oscal-catalog", "application/json", &b"{"[..]),
        ("oscal-profile", "application/json", &b"{"[..]),
    ] {
        let r = call(
            &w,
            &ada,
            "GET",
            &format!("/api/v1/scopes/{s}/soa-export?format={format}&version=latest"),
            Vec::new(),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{format}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.headers[header::CONTENT_TYPE], ctype, "{format}");
        let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
        assert!(r.body.starts_with(magic), "{format}");
    }
    let r = call(&w, &ada, "GET", &format!("/api/v1/scopes/{s}/soa-export?format=docx"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&w, &ada, "GET", &format!("/api/v1/scopes/{s}/soa-export?version=v9"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The bundle: the manifest hash in a header, and the zip verifies.
    let r = call(
        &w,
        &ada,
        "GET",
        &format!("/api/v1/scopes/{s}/evidence-bundle?from=2026-01-01&to=2027-01-15"),
        Vec::new(),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let sha = r.headers["x-manifest-sha256"].to_str().unwrap().to_owned();
    let report = c981_report::bundle::verify(&r.body).unwrap();
    assert!(report.is_intact() && report.manifest_matches(&sha));
    let r =
        call(&w, &ada, "GET", &format!("/api/v1/scopes/{s}/evidence-bundle?from=2026-01-01"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn evidence_files_go_up_hashed_and_come_down_as_attachments(db: TestDb) {
    let w = world(&db).await;
    let mia = common::token(&w.app, "mia", false, &[]).await;
    let vic = common::token(&w.app, "vic", false, &[]).await;
    let vlc = w.app.get::<IsmsScope>(&common::operator(), w.vlc_scope).await.unwrap().data.site_id;
    let body = format!(r#"{{"site_id":{vlc},"title":"Network diagram","kind":"file","evidence_date":"2027-01-10"}}"#);
    let r = call(
        &w,
        &mia,
        "POST",
        "/api/v1/evidence",
        body.into_bytes(),
        &[(header::CONTENT_TYPE.as_str(), "application/json")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let id = r.json()["id"].as_i64().unwrap();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let r =
        call(&w, &vic, "PUT", &format!("/api/v1/evidence/{id}/file"), html.clone(), &[("x-file-name", "diagram.html")])
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &w,
        &mia,
        "PUT",
        &format!("/api/v1/evidence/{id}/file"),
        html.clone(),
        &[("x-file-name", "../../diagram.html")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let v = r.json();
    assert_eq!(v["file_name"], "diagram.html", "the path is dropped");
    assert_eq!(v["sha256"].as_str().unwrap(), hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&html)));
    let r = call(&w, &vic, "GET", &format!("/api/v1/evidence/{id}/file"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, html);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream", "never rendered in our origin");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let r = call(&w, &mia, "PUT", &format!("/api/v1/evidence/{id}/file"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn the_crosswalk_and_catalogues_over_the_api(db: TestDb) {
    let w = world(&db).await;
    let mia = common::token(&w.app, "mia", false, &[]).await;
    let root = common::token(&w.app, "root", false, &[]).await;
    let r = call(&w, &mia, "GET", "/api/v1/crosswalk?control=8.22", Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert!(v["note"].as_str().unwrap().contains("informative"));
    assert_eq!(v["items"][0]["target"], "SR 5.1");
    assert_eq!(v["items"][0]["informative"], true);
    let link = br#"{"control":"8.9","target":"SR 7.6","relationship":"intersects","basis":"Configuration baselines"}"#;
    let r = call(&w, &mia, "POST", "/api/v1/crosswalk", link.to_vec(), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "an ISMS manager of one site does not edit the organisation's crosswalk"
    );
    let r = call(&w, &root, "POST", "/api/v1/crosswalk", link.to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let id = r.json()["id"].as_i64().unwrap();
    let r = call(&w, &root, "DELETE", &format!("/api/v1/crosswalk/{id}"), Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&w, &mia, "GET", "/api/v1/catalogs", Vec::new(), &[]).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 3);
    let r = call(&w, &mia, "GET", "/api/v1/catalogs/iso27001-2022-clauses", Vec::new(), &[]).await;
    assert_eq!(r.json()["items"][0]["title"], "Context of the organization");
    let csv = b"id,title\nPOL-01,Acceptable use\nPOL-01,Twice\n".to_vec();
    let r = call(
        &w,
        &root,
        "POST",
        "/api/v1/catalogs/acme-policies?version=2027&title=ACME%20policies",
        csv,
        &[("x-file-name", "policies.csv")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"][0]["message"].as_str().unwrap().starts_with("policies.csv:3"), "{}", r.json());
    let csv = b"id,title\nPOL-01,Acceptable use\nPOL-02,Remote access\n".to_vec();
    let r = call(
        &w,
        &root,
        "POST",
        "/api/v1/catalogs/acme-policies?version=2027&title=ACME%20policies",
        csv,
        &[("x-file-name", "policies.csv")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["items"], 2);
    let r = call(&w, &mia, "GET", "/api/v1/catalogs/acme-policies", Vec::new(), &[]).await;
    assert_eq!(r.json()["items"][1]["title"], "Remote access");
}

backend_tests!(
    the_statement_is_decided_and_frozen_over_the_api,
    exports_are_downloads_in_every_format,
    evidence_files_go_up_hashed_and_come_down_as_attachments,
    the_crosswalk_and_catalogues_over_the_api,
);
