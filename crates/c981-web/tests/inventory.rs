//! Imports and the review queue over HTTP, on SQLite and PostgreSQL: the API (raw file body,
//! the report as JSON, 422 when refused, files above the general 2 MiB body limit, history,
//! review decisions, roles and sites) and the pages (the upload form as multipart with the
//! CSRF token first, the report, the review queue and its forms).

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::identity::AuthSettings;
use c981_app::{Actor, App, Ctx, FixedClock, Role};
use c981_domain::Timestamp;
use c981_domain::audit::Channel;
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct World {
    app: App,
    router: Router,
    lyo: i64,
    ict: i64,
    _dir: tempfile::TempDir,
}

async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2026-12-01T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let id = |c: &str| {
        let app = app.clone();
        let c = c.to_owned();
        async move { app.store().site_by_code(&c981_store::SiteScope::All, &c).await.unwrap().unwrap().id.get() }
    };
    let (lyo, ict) = (id("LYO").await, id("ICT").await);
    common::account(&app, "eli", "Eli Engineer", common::on(Role::SiteEngineer, lyo)).await;
    common::account(&app, "lena", "Lena of Lyon", common::on(Role::Viewer, lyo)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, lyo, ict, _dir: dir }
}

async fn send(w: &World, req: Request<Body>) -> (StatusCode, String, String) {
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, location, String::from_utf8(body).unwrap_or_default())
}

async fn api(
    w: &World,
    token: &str,
    method: &str,
    uri: &str,
    body: Vec<u8>,
    file: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(f) = file {
        req = req.header("x-file-name", f).header(header::CONTENT_TYPE, "application/octet-stream");
    } else {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let (s, _, text) = send(w, req.body(Body::from(body)).unwrap()).await;
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

const ASSETS: &str = "Asset Tag;IP Address;MAC Address;Manufacturer;Firmware Version;Type\n\
NEW-PLC-7;10.10.131.77;00:1B:1B:77:77:77;Siemens;V3.1;plc\n\
NEW-IO-8;10.10.131.78;;Phoenix Contact;2.0;other\n";

async fn imports_over_the_api(db: TestDb) {
    let w = world(&db).await;
    let eli = common::token(&w.app, "eli", false, &[]).await;
    let lena = common::token(&w.app, "lena", false, &[]).await;
    // A dry run, then the import; the report says what happened.
    let (s, v) =
        api(&w, &eli, "POST", "/api/v1/imports/assets?site=LYO&dry_run=true", ASSETS.into(), Some("new.csv")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["created"].as_u64(), v["stored"].as_bool()), (Some(2), Some(false)), "{v}");
    let (s, v) = api(&w, &eli, "POST", "/api/v1/imports/assets?site=LYO", ASSETS.into(), Some("new.csv")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["stored"], true, "{v}");
    let id = v["import_id"].as_i64().unwrap();
    let (s, h) = api(&w, &eli, "GET", &format!("/api/v1/imports/{id}"), Vec::new(), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (h["source"].as_str(), h["channel"].as_str(), h["created"].as_i64()),
        (Some("new.csv"), Some("api"), Some(2))
    );
    assert_eq!(h["sha256"].as_str().unwrap(), c981_app::import::sha256_hex(ASSETS.as_bytes()));
    // A bad value: 422, the report names line and column, nothing stored.
    let bad = "Name,IP Address\nX-1,10.10.131.300\n";
    let (s, v) = api(&w, &eli, "POST", "/api/v1/imports/assets?site=LYO", bad.into(), Some("bad.csv")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["rejected"][0]["line"], 2);
    assert_eq!(v["rejected"][0]["column"], "column 2 (\"IP Address\")");
    // A mapping given as a query parameter.
    let mapped = "Tag;Addr\nMAPPED-1;10.10.131.91\n";
    let (s, v) = api(
        &w,
        &eli,
        "POST",
        "/api/v1/imports/assets?site=LYO&map=Tag%3Dname&map=Addr%3Dip_addresses&dry_run=1",
        mapped.into(),
        Some("m.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["created"], 1, "{v}");
    // A file above the general 2 MiB body limit is accepted by the import route.
    let mut big = String::from("Name,IP Address\n");
    let mut n = 0;
    while big.len() < 3 * 1024 * 1024 {
        n += 1;
        big.push_str(&format!("BULK-{n:07},10.{}.{}.{}\n", 100 + n / 65536 % 100, n / 256 % 256, n % 256));
    }
    let (s, v) =
        api(&w, &eli, "POST", "/api/v1/imports/assets?site=LYO&dry_run=true", big.into_bytes(), Some("big.csv")).await;
    assert_eq!(s, StatusCode::OK, "{}", v.to_string().chars().take(400).collect::<String>());
    assert_eq!(v["created"].as_u64(), Some(n as u64));
    // A viewer may not import; nobody imports into a site outside their scope.
    let (s, _) = api(&w, &lena, "POST", "/api/v1/imports/assets?site=LYO", ASSETS.into(), Some("new.csv")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        api(&w, &eli, "POST", &format!("/api/v1/imports/assets?site_id={}", w.ict), ASSETS.into(), Some("new.csv"))
            .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api(&w, &eli, "POST", "/api/v1/imports/spreadsheets?site=LYO", ASSETS.into(), Some("new.csv")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The history holds only the caller's sites.
    let (s, v) = api(&w, &lena, "GET", "/api/v1/imports", Vec::new(), None).await;
    assert_eq!(s, StatusCode::OK);
    for i in v["items"].as_array().unwrap() {
        assert_eq!(i["site_id"].as_i64(), Some(w.lyo));
    }
}

async fn the_review_queue_over_the_api(db: TestDb) {
    let w = world(&db).await;
    let eli = common::token(&w.app, "eli", false, &[]).await;
    let lena = common::token(&w.app, "lena", false, &[]).await;
    let (s, q) = api(&w, &lena, "GET", "/api/v1/review?site=LYO", Vec::new(), None).await;
    assert_eq!(s, StatusCode::OK);
    // The demo has devices seen by the plant's network monitor and never confirmed.
    let staged = q["assets"].as_array().unwrap();
    assert!(!staged.is_empty(), "{q}");
    let id = staged[0]["id"].as_i64().unwrap();
    let (s, _) = api(
        &w,
        &lena,
        "POST",
        &format!("/api/v1/review/assets/{id}"),
        br#"{"action":"confirm","reason":"ours"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = api(
        &w,
        &eli,
        "POST",
        &format!("/api/v1/review/assets/{id}"),
        br#"{"action":"confirm","reason":""}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api(
        &w,
        &eli,
        "POST",
        &format!("/api/v1/review/assets/{id}"),
        br#"{"action":"adopt","reason":"x"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = api(
        &w,
        &eli,
        "POST",
        &format!("/api/v1/review/assets/{id}"),
        br#"{"action":"confirm","reason":"vendor gateway, on the contract"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, q2) = api(&w, &eli, "GET", "/api/v1/review?site=LYO", Vec::new(), None).await;
    assert!(q2["assets"].as_array().unwrap().iter().all(|a| a["id"].as_i64() != Some(id)));
    let flow = q2["flows"][0]["id"].as_i64().unwrap();
    let (s, _) = api(
        &w,
        &eli,
        "POST",
        &format!("/api/v1/review/flows/{flow}"),
        br#"{"verdict":"reject","reason":"not intended"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api(&w, &eli, "GET", &format!("/api/v1/review?site_id={}", w.ict), Vec::new(), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn the_import_and_review_pages(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let lena = common::login(&w.app, "lena").await;
    let get = |b: &common::Browser, path: &str| {
        Request::get(path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap()
    };
    let (s, _, page) = send(&w, get(&eli, "/imports")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Import a file") && page.contains("Dry run"), "{page}");
    let (_, _, page) = send(&w, get(&lena, "/imports")).await;
    assert!(!page.contains("Import a file"), "a viewer sees no upload form");
    // The upload: CSRF token first, then the fields and the file.
    let boundary = "----c981test0b5d";
    let part =
        |name: &str, v: &str| format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n");
    let body = format!(
        "{}{}{}--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\exports\\\\plant.csv\"\r\nContent-Type: text/csv\r\n\r\n{ASSETS}\r\n--{boundary}--\r\n",
        part("_csrf", &eli.csrf),
        part("site_id", &w.lyo.to_string()),
        part("kind", "assets"),
    );
    let req = Request::post("/imports")
        .header(header::COOKIE, &eli.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body.clone()))
        .unwrap();
    let (s, _, page) = send(&w, req).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Imported plant.csv"), "the file name loses its path: {page}");
    assert!(page.contains("2 created"), "{page}");
    // Without the CSRF token first: refused.
    let no_csrf = body.replacen(&part("_csrf", &eli.csrf), "", 1);
    let req = Request::post("/imports")
        .header(header::COOKIE, &eli.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(no_csrf))
        .unwrap();
    let (s, _, _) = send(&w, req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A refused file shows its rows.
    let bad = body
        .replace("10.10.131.78", "10.10.131.278")
        .replace("NEW-PLC-7", "NEW-PLC-9")
        .replace("00:1B:1B:77:77:77", "00:1B:1B:77:77:99");
    let req = Request::post("/imports")
        .header(header::COOKIE, &eli.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(bad))
        .unwrap();
    let (s, _, page) = send(&w, req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Rejected rows") && page.contains("10.10.131.278"), "{page}");
    let (_, _, page) = send(&w, get(&eli, "/imports")).await;
    assert!(page.contains("plant.csv") && page.contains("Eli Engineer"), "the history lists the import: {page}");
    // The review queue and a decision through its form.
    let (s, _, page) = send(&w, get(&eli, &format!("/review?site_id={}", w.lyo))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Observed assets") && page.contains("Record"), "{page}");
    let q = w
        .app
        .review_queue(&Ctx::new(Actor::local_operator("t"), Channel::Cli, "t"), c981_domain::SiteId::new(w.lyo))
        .await
        .unwrap();
    let id = q.assets[0].id.get();
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("_csrf", &eli.csrf).append_pair("id", &id.to_string()).append_pair("site_id", &w.lyo.to_string());
    ser.append_pair("action", "reject").append_pair("reason", "a visitor's phone");
    let req = Request::post("/review/asset")
        .header(header::COOKIE, &eli.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(ser.finish()))
        .unwrap();
    let (s, loc, _) = send(&w, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.starts_with("/review?site_id="), "{loc}");
    let (_, _, page) = send(&w, get(&lena, &format!("/review?site_id={}", w.lyo))).await;
    assert!(!page.contains("action=\"/review/asset\""), "a viewer gets no decision forms");
}

backend_tests!(imports_over_the_api, the_review_queue_over_the_api, the_import_and_review_pages);
