//! The JSON API, in-process, on both databases.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Api {
    router: Router,
    token: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Api {
    async fn new(db: &TestDb) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let app = common::app(db.store().await, dir.path());
        common::account(&app, "ada", "Ada Admin", common::all(c981_app::Role::Administrator)).await;
        let token = common::token(&app, "ada", false, &[]).await;
        Self { router: c981_web::router(c981_web::AppState::new(app)), token, _dir: dir }
    }

    async fn call(&self, method: &str, uri: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.call("POST", uri, Some(&body.to_string()), &[]).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, None, &[]).await
    }
}

async fn seed(api: &Api) -> (i64, i64) {
    let site = api
        .post(
            "/api/v1/sites",
            json!({ "code": "lyon", "name": "Lyon fill-finish", "country": "FR", "time_zone": "Europe/Paris", "industry": "pharma", "regulations": ["gxp", "eu_gmp_annex11"] }),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{:?}", site.body);
    assert_eq!(site.body["code"], "LYON");
    let site_id = site.body["id"].as_i64().unwrap();
    let zone = api
        .post(
            "/api/v1/zones",
            json!({ "site_id": site_id, "name": "Filling line 1", "kind": "control", "purdue_level": "1", "subnets": ["10.10.1.0/24", "fd00:10:1::/64"], "sl_target": "2,2,3,1,3,1,2" }),
        )
        .await;
    assert_eq!(zone.status, StatusCode::CREATED, "{:?}", zone.body);
    (site_id, zone.body["id"].as_i64().unwrap())
}

async fn records_are_created_read_and_listed(db: TestDb) {
    let api = Api::new(&db).await;
    let (site, zone) = seed(&api).await;
    for i in 0..12 {
        let r = api
            .post(
                "/api/v1/assets",
                json!({ "site_id": site, "zone_id": zone, "name": format!("PLC-{i:02}"), "kind": if i % 3 == 0 { "hmi" } else { "plc" }, "ip_addresses": format!("10.10.1.{}", 10 + i), "mac_addresses": [format!("00-1B-1B-00-00-{i:02X}")] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert!(r.headers.get(header::LOCATION).unwrap().to_str().unwrap().starts_with("/api/v1/assets/"));
        assert_eq!(r.headers.get(header::ETAG).unwrap(), "\"1\"");
        assert_eq!(r.body["mac_addresses"], json!([format!("00:1b:1b:00:00:{i:02x}")]));
    }
    let page = api.get(&format!("/api/v1/assets?site_id={site}&kind=plc&limit=5")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 5);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let page2 = api.get(&format!("/api/v1/assets?site=LYON&kind=plc&limit=5&cursor={cursor}")).await;
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 3);
    assert!(page2.body["next_cursor"].is_null());
    let found = api.get("/api/v1/assets?q=10.10.1.15").await;
    assert_eq!(found.body["items"][0]["name"], "PLC-05");
    let one = api.get(&format!("/api/v1/zones/{zone}")).await;
    assert_eq!(one.body["subnets"], json!(["10.10.1.0/24", "fd00:10:1::/64"]));
    assert_eq!(one.body["sl_target"], "2,2,3,1,3,1,2");
}

async fn bad_input_gets_field_level_errors_and_stores_nothing(db: TestDb) {
    let api = Api::new(&db).await;
    let (site, _) = seed(&api).await;
    let r = api
        .post(
            "/api/v1/zones",
            json!({ "site_id": site, "name": "DMZ", "kind": "dmz", "subnets": ["10.20.0.0/16", "10.30.0.7/24"], "sl_target": "2,2,9,1,1,1,1" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["code"], "validation_failed");
    let fields: Vec<&str> =
        r.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["subnets[1]", "sl_target"]);
    let r = api
        .post(
            "/api/v1/assets",
            json!({ "site_id": site, "name": "X", "ip_addresses": ["10.0.0.300"], "mac_addresses": ["zz:00"] }),
        )
        .await;
    let fields: Vec<&str> =
        r.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["ip_addresses[0]", "mac_addresses[0]"]);
    let r = api.post("/api/v1/assets", json!({ "site_id": site, "name": "X", "colour": "red" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["fields"][0]["field"], "colour");
    let r = api.post("/api/v1/assets", json!({ "site_id": 999, "name": "X" })).await;
    assert_eq!(r.body["error"]["fields"][0]["field"], "site_id");
    let r = api.call("POST", "/api/v1/assets", Some("{\"name\": \n oops}"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("line 2"), "{:?}", r.body);
    let r = api.post("/api/v1/zones", json!({ "site_id": site, "name": "Filling line 1", "kind": "control" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["fields"][0]["field"], "name");
    let listed = api.get("/api/v1/zones").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "nothing partial was stored");
    assert_eq!(api.get("/api/v1/assets/999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/assets/abc").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.get("/api/v1/assets?colour=red").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn updates_are_versioned_and_their_history_names_the_fields(db: TestDb) {
    let api = Api::new(&db).await;
    let (site, zone) = seed(&api).await;
    let a = api
        .post(
            "/api/v1/assets",
            json!({ "site_id": site, "zone_id": zone, "name": "PLC-1", "kind": "plc", "firmware": "V2.9.4" }),
        )
        .await;
    let id = a.body["id"].as_i64().unwrap();
    let uri = format!("/api/v1/assets/{id}");
    let stale = api.call("PATCH", &uri, Some(r#"{"firmware":"V3.0"}"#), &[("if-match", "\"7\"")]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let ok = api
        .call(
            "PATCH",
            &uri,
            Some(r#"{"firmware":"V3.0","tags":["line-1"]}"#),
            &[("if-match", "\"1\""), ("x-change-reason", "CR-2026-041 firmware upgrade")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["version"], 2);
    assert_eq!(ok.body["firmware"], "V3.0");
    assert_eq!(ok.body["kind"], "plc", "a patch leaves other fields alone");
    let clear = api.call("PATCH", &uri, Some(r#"{"zone_id":null}"#), &[]).await;
    assert!(clear.body["zone_id"].is_null());
    let h = api.get(&format!("{uri}/history")).await;
    let items = h.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["action"], "update");
    assert_eq!(items[1]["reason"], "CR-2026-041 firmware upgrade");
    assert_eq!(items[1]["changes"]["firmware"], json!({ "old": "V2.9.4", "new": "V3.0" }));
    assert_eq!(items[1]["channel"], "api");
    assert_eq!(items[2]["action"], "create");
    let put =
        api.call("PUT", &uri, Some(&json!({ "site_id": site, "name": "PLC-1", "kind": "rtu" }).to_string()), &[]).await;
    assert_eq!(put.body["kind"], "rtu");
    assert_eq!(put.body["firmware"], "", "PUT replaces the whole record");
    let moved = api.call("PATCH", &uri, Some(r#"{"site_id": 2}"#), &[]).await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_zone_in_use_is_deleted_only_with_explicit_reassignment(db: TestDb) {
    let api = Api::new(&db).await;
    let (site, zone) = seed(&api).await;
    let other = api
        .post("/api/v1/zones", json!({ "site_id": site, "name": "Filling line 2", "kind": "control" }))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let a = api.post("/api/v1/assets", json!({ "site_id": site, "zone_id": zone, "name": "PLC-1" })).await.body["id"]
        .as_i64()
        .unwrap();
    let r = api.call("DELETE", &format!("/api/v1/zones/{zone}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("1 asset"));
    let r = api.call("DELETE", &format!("/api/v1/zones/{zone}?reassign_to={other}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/api/v1/assets/{a}")).await.body["zone_id"], other);
    assert_eq!(api.get(&format!("/api/v1/zones/{zone}")).await.status, StatusCode::NOT_FOUND);
    let h = api.get(&format!("/api/v1/zones/{zone}/history")).await;
    assert_eq!(h.body["items"][0]["action"], "delete", "a deleted record's history stays readable");
}

async fn cross_site_browser_writes_are_refused(db: TestDb) {
    let api = Api::new(&db).await;
    let body =
        json!({ "code": "EVIL", "name": "x", "country": "FR", "time_zone": "UTC", "industry": "other" }).to_string();
    let r = api
        .call("POST", "/api/v1/sites", Some(&body), &[("origin", "https://evil.example"), ("host", "127.0.0.1:8981")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.call("POST", "/api/v1/sites", Some(&body), &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(api.get("/api/v1/sites").await.body["items"].as_array().unwrap().len(), 0);
}

async fn the_audit_trail_is_readable_and_verifiable_over_the_api(db: TestDb) {
    let api = Api::new(&db).await;
    seed(&api).await;
    let v = api.get("/api/v1/audit/verify").await;
    // The administrator's account, its password, its API token, then the site and the zone.
    assert_eq!(v.body["entries"], 5);
    assert!(v.body["problem"].is_null());
    let e = api.get("/api/v1/audit/entries?entity_type=zone").await;
    assert_eq!(e.body["items"][0]["changes"]["name"]["new"], "Filling line 1");
    let h = api.get("/healthz").await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(h.headers.get("x-request-id").is_some());
    assert!(h.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
}

async fn the_openapi_document_describes_every_route(db: TestDb) {
    let api = Api::new(&db).await;
    let doc = api.get("/api/v1/openapi.json").await.body;
    assert_eq!(doc["openapi"], "3.1.0");
    for plural in ["sites", "zones", "conduits", "assets", "flows", "interfaces"] {
        for path in [
            format!("/api/v1/{plural}"),
            format!("/api/v1/{plural}/{{id}}"),
            format!("/api/v1/{plural}/{{id}}/history"),
        ] {
            assert!(doc["paths"][&path].is_object(), "{path} is missing");
        }
    }
    let asset = &doc["components"]["schemas"]["AssetInput"]["properties"];
    assert_eq!(asset["kind"]["enum"].as_array().unwrap().len(), 18, "17 kinds and null");
}

backend_tests!(
    records_are_created_read_and_listed,
    bad_input_gets_field_level_errors_and_stores_nothing,
    updates_are_versioned_and_their_history_names_the_fields,
    a_zone_in_use_is_deleted_only_with_explicit_reassignment,
    cross_site_browser_writes_are_refused,
    the_audit_trail_is_readable_and_verifiable_over_the_api,
    the_openapi_document_describes_every_route,
);
