//! The web UI, in process, on SQLite and on PostgreSQL (`sqlite::…` and `postgres::…`).

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use c981_app::{Actor, App, AppError, Ctx};
use c981_domain::audit::Channel;
use c981_domain::entity::Entity;
use c981_domain::{Asset, AssetInput, Site, SiteInput, Zone, ZoneInput};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct Harness {
    app: App,
    router: Router,
    ctx: Ctx,
    site: i64,
    zone: i64,
    plc: i64,
    hmi: i64,
    browser: common::Browser,
    _dir: tempfile::TempDir,
}

async fn harness(db: &TestDb) -> Harness {
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let app = common::app(store, dir.path());
    common::account(&app, "ada", "Ada Admin", common::all(c981_app::Role::Administrator)).await;
    let browser = common::login(&app, "ada").await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    let ctx = Ctx::new(Actor::system("test"), Channel::System, "t");
    let site = app
        .create::<Site>(
            &ctx,
            &SiteInput {
                code: Some("LYON-1".into()),
                name: Some("Lyon plant".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("pharma".into()),
                regulations: vec!["gxp".into(), "eu_gmp_annex11".into()],
                description: None,
            },
        )
        .await
        .unwrap()
        .id
        .get();
    let zone = app
        .create::<Zone>(
            &ctx,
            &ZoneInput {
                site_id: Some(site.to_string()),
                name: Some("Cell 4 control".into()),
                kind: Some("control".into()),
                purdue_level: Some("1".into()),
                subnets: vec!["10.10.20.0/24".into()],
                sl_target: Some("2,2,3,1,3,1,2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    let asset = |name: &str, vendor: &str, zone: Option<i64>, ip: &str| AssetInput {
        site_id: Some(site.to_string()),
        zone_id: zone.map(|z| z.to_string()),
        name: Some(name.into()),
        kind: Some("plc".into()),
        vendor: Some(vendor.into()),
        firmware: Some("V2.9.4".into()),
        ip_addresses: vec![ip.into()],
        criticality: Some("high".into()),
        ..Default::default()
    };
    let plc = app.create::<Asset>(&ctx, &asset("PLC-01", "Siemens", Some(zone), "10.10.20.11")).await.unwrap().id.get();
    let hmi = app.create::<Asset>(&ctx, &asset("HMI-02", "Rockwell", None, "10.10.21.12")).await.unwrap().id.get();
    Harness { app, router, ctx, site, zone, plc, hmi, browser, _dir: dir }
}

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn get(h: &Harness, path: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &h.browser.cookie)
        .body(Body::empty());
    send(&h.router, req.unwrap()).await
}

async fn post(h: &Harness, path: &str, pairs: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .append_pair("_csrf", &h.browser.csrf)
        .finish();
    let req = Request::post(path)
        .header(header::COOKIE, &h.browser.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap();
    send(&h.router, req).await
}

fn location(headers: &HeaderMap) -> String {
    headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The Content-Security-Policy forbids inline styles and scripts: no page may need them.
fn assert_csp_clean(path: &str, html: &str) {
    assert!(!html.contains("style=\""), "{path}: inline style attribute");
    assert!(!html.contains("<style"), "{path}: inline style element");
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        assert!(tag.contains(" src=\""), "{path}: inline script {tag}");
    }
    for handler in [" onclick=", " onchange=", " onsubmit=", " onload="] {
        assert!(!html.contains(handler), "{path}: inline event handler {handler}");
    }
}

async fn dashboard_lists_the_sites(db: TestDb) {
    let h = harness(&db).await;
    let (status, headers, html) = get(&h, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("Connect 981"));
    assert!(html.contains("LYON-1") && html.contains("Lyon plant"), "{html}");
    assert!(html.contains("GxP (GMP, GLP, GDP)"), "regulations as badges");
    assert!(html.contains(&format!("/assets?site_id={}", h.site)), "counts link to the filtered lists");
    assert!(html.contains("/static/app.css?v="), "versioned stylesheet link");
    assert!(html.contains("/audit?verify=1"));
    assert_csp_clean("/", &html);
}

async fn the_asset_list_shows_filters_and_searches(db: TestDb) {
    let h = harness(&db).await;
    let base = format!("/assets?site_id={}", h.site);
    let (status, _, html) = get(&h, &base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("PLC-01") && html.contains("HMI-02"), "{html}");
    assert!(html.contains("Cell 4 control"), "the zone is shown by name");
    assert!(html.contains("badge tone-warn"), "criticality high as a badge");
    assert!(html.contains("10.10.20.11"));

    let (_, _, html) = get(&h, &format!("{base}&vendor=Siemens")).await;
    assert!(html.contains("PLC-01") && !html.contains("HMI-02"), "vendor filter");
    let (_, _, html) = get(&h, &format!("{base}&zone_id=none")).await;
    assert!(!html.contains("PLC-01") && html.contains("HMI-02"), "no-zone filter");
    let (_, _, html) = get(&h, &format!("{base}&q=hmi")).await;
    assert!(!html.contains("PLC-01") && html.contains("HMI-02"), "search by name");
    let (_, _, html) = get(&h, &format!("{base}&q=10.10.20.11")).await;
    assert!(html.contains("PLC-01") && !html.contains("HMI-02"), "search by exact IP");
    let (_, _, html) = get(&h, &format!("{base}&zone_id={}", h.zone)).await;
    assert!(html.contains("PLC-01") && !html.contains("HMI-02"), "zone filter");
    let (status, _, _) = get(&h, &format!("{base}&in_scope=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a bad filter value is reported");

    // 60 sensors: two pages of 50, linked by a keyset cursor that keeps the filters.
    let sensors: Vec<Asset> = (1..=60)
        .map(|n| {
            Asset::parse(&AssetInput {
                site_id: Some(h.site.to_string()),
                name: Some(format!("TT-{n:03}")),
                kind: Some("sensor".into()),
                ..Default::default()
            })
            .unwrap()
        })
        .collect();
    h.app.bulk_create::<Asset>(&h.ctx, &sensors).await.unwrap();
    let (_, _, html) = get(&h, &format!("{base}&kind=sensor")).await;
    assert!(html.contains("<strong>60</strong> matches"), "the count of matches");
    assert!(html.contains("TT-050") && !html.contains("TT-051") && !html.contains("PLC-01"));
    let start = html.find("rel=\"next\"").map(|i| html[..i].rfind("href=\"").unwrap() + 6).expect("a next page link");
    let next = html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&");
    assert!(next.contains("kind=sensor") && next.contains("cursor="), "{next}");
    let (_, _, html) = get(&h, &next).await;
    assert!(html.contains("TT-051") && html.contains("TT-060") && !html.contains("TT-050<"), "the second page");
    assert!(!html.contains("rel=\"next\""), "no third page");
}

async fn creating_a_zone_through_the_form_redirects_to_it(db: TestDb) {
    let h = harness(&db).await;
    let (status, _, form) = get(&h, &format!("/zones/new?site_id={}", h.site)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("for=\"f-name\"") && form.contains("name=\"subnets\""), "labelled fields");
    let site = h.site.to_string();
    let (status, headers, _) = post(
        &h,
        "/zones/new",
        &[
            ("site_id", &site),
            ("name", "Cell 5 supervisory"),
            ("kind", "supervisory"),
            ("purdue_level", "2"),
            ("subnets", "10.10.30.0/24, fd00:10::/64"),
            ("sl_target", "2,2,2,1,2,1,2"),
            ("criticality", "high"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let loc = location(&headers);
    let id: i64 = loc.strip_prefix("/zones/").expect("redirect to the zone").parse().unwrap();
    let zone = h.app.get::<Zone>(&h.ctx, id).await.unwrap();
    assert_eq!(zone.data.name.as_str(), "Cell 5 supervisory");
    assert_eq!(zone.data.subnets.len(), 2);
    let (status, _, html) = get(&h, &loc).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Cell 5 supervisory") && html.contains("FR7"), "SL-T cells");
    let entries = h.app.history(&h.ctx, c981_domain::EntityKind::Zone, id, None, 10).await.unwrap();
    assert_eq!(entries[0].draft.channel, Channel::Ui, "audited as a web UI change");

    // A conduit joins zones picked with checkboxes (repeated keys), in the order posted.
    let (zone_a, zone_b) = (id.to_string(), h.zone.to_string());
    let (status, headers, body) = post(
        &h,
        "/conduits/new",
        &[
            ("site_id", &site),
            ("name", "Supervisory to cell 4"),
            ("zone_ids", &zone_a),
            ("zone_ids", &zone_b),
            ("services", "opcua/4840, modbus/502"),
            ("direction", "unidirectional"),
            ("encryption_required", "false"),
            ("encryption_required", "true"),
            ("sl_target", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let cid: i64 = location(&headers).strip_prefix("/conduits/").unwrap().parse().unwrap();
    let conduit = h.app.get::<c981_domain::Conduit>(&h.ctx, cid).await.unwrap();
    assert_eq!(conduit.data.zone_ids.iter().map(|z| z.get()).collect::<Vec<_>>(), vec![id, h.zone]);
    assert!(conduit.data.encryption_required, "a checked box wins over its hidden \"false\"");
    let (_, _, html) = get(&h, &format!("/zones/{}", h.zone)).await;
    assert!(html.contains("Supervisory to cell 4"), "the zone page lists its conduits");

    // A flow between two assets, shown on the asset's page.
    let (plc, hmi) = (h.plc.to_string(), h.hmi.to_string());
    let (status, _, body) = post(
        &h,
        "/flows/new",
        &[
            ("site_id", &site),
            ("source_asset_id", &hmi),
            ("destination_asset_id", &plc),
            ("protocol", "s7comm"),
            ("port", "102"),
            ("documented", "false"),
            ("documented", "true"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, html) = get(&h, &format!("/assets/{}", h.plc)).await;
    assert!(html.contains("Flows to this asset") && html.contains("HMI-02") && html.contains("s7comm"), "{html}");
}

async fn a_bad_cidr_is_shown_next_to_its_field(db: TestDb) {
    let h = harness(&db).await;
    let site = h.site.to_string();
    let (status, _, html) = post(
        &h,
        "/zones/new",
        &[("site_id", &site), ("name", "Cell 6"), ("kind", "control"), ("subnets", "10.10.40.0/24, 10.10.20.7/24")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("has host bits set"), "{html}");
    assert!(html.contains("id=\"e-subnets\""), "the message sits under the subnets field");
    assert!(html.contains("10.10.40.0/24, 10.10.20.7/24"), "the user's values are kept");
    assert!(html.contains("value=\"Cell 6\""));
    assert_csp_clean("/zones/new (422)", &html);
    let zones = h.app.count::<Zone>(&h.ctx, &Default::default()).await.unwrap();
    assert_eq!(zones, 1, "nothing was created");
}

/// The form pairs of a stored asset, as a browser would post them.
fn asset_form(input: &AssetInput) -> Vec<(String, String)> {
    let Value::Object(map) = serde_json::to_value(input).unwrap() else { unreachable!() };
    let mut pairs = Vec::new();
    for (k, v) in map {
        match v {
            Value::Null => {}
            Value::String(s) => pairs.push((k, s)),
            Value::Array(a) => pairs.push((k, a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))),
            other => pairs.push((k, other.to_string())),
        }
    }
    pairs
}

async fn editing_an_asset_writes_history_with_the_reason(db: TestDb) {
    let h = harness(&db).await;
    let (status, _, form) = get(&h, &format!("/assets/{}/edit", h.plc)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"version\" value=\"1\""), "the version travels with the form");
    assert!(form.contains("Reason for the change"));
    assert_csp_clean("edit", &form);

    let record = h.app.get::<Asset>(&h.ctx, h.plc).await.unwrap();
    let mut pairs = asset_form(&record.data.to_input());
    for p in &mut pairs {
        if p.0 == "firmware" {
            p.1 = "V3.0.1".into();
        }
    }
    pairs.push(("version".into(), record.version.to_string()));
    pairs.push(("reason".into(), "Firmware upgrade CR-112".into()));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, headers, body) = post(&h, &format!("/assets/{}/edit", h.plc), &refs).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), format!("/assets/{}", h.plc));
    let after = h.app.get::<Asset>(&h.ctx, h.plc).await.unwrap();
    assert_eq!(after.data.firmware.as_str(), "V3.0.1");
    assert_eq!(after.data.zone_id, record.data.zone_id, "nothing else changed");
    assert_eq!(after.data.in_service, record.data.in_service);

    let (status, _, html) = get(&h, &format!("/assets/{}/history", h.plc)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Firmware upgrade CR-112"), "the reason");
    assert!(html.contains("V2.9.4") && html.contains("V3.0.1"), "old and new values");
    assert!(html.contains("Firmware / software version"), "the field's label");
    assert!(html.contains("Web UI"), "the channel");
    assert_csp_clean("history", &html);

    // Saving a stale version is a conflict that keeps the user's input.
    let (status, _, html) = post(&h, &format!("/assets/{}/edit", h.plc), &refs).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("changed by someone else") && html.contains("V3.0.1"), "{html}");
}

async fn deleting_a_zone_in_use_offers_reassignment(db: TestDb) {
    let h = harness(&db).await;
    let path = format!("/zones/{}/delete", h.zone);
    let (status, _, html) = post(&h, &path, &[("version", "1"), ("reason", "")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("still used by"), "{html}");
    assert!(html.contains("name=\"reassign_to\""), "the reassignment form");
    assert!(!html.contains("reassign_to set to"), "no API wording in the page");
    assert_csp_clean("conflict", &html);
    assert!(h.app.get::<Zone>(&h.ctx, h.zone).await.is_ok(), "not deleted");

    let (status, headers, _) = post(
        &h,
        &path,
        &[("reassign", "1"), ("reassign_to", "none"), ("version", "1"), ("reason", "Cell 4 decommissioned")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/zones?site_id={}", h.site));
    assert!(matches!(h.app.get::<Zone>(&h.ctx, h.zone).await, Err(AppError::NotFound { .. })));
    assert_eq!(h.app.get::<Asset>(&h.ctx, h.plc).await.unwrap().data.zone_id, None, "the asset moved to no zone");

    // The deleted zone's history stays readable, with the reason.
    let (status, _, html) = get(&h, &format!("/zones/{}/history", h.zone)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("(deleted)") && html.contains("Cell 4 decommissioned"), "{html}");

    // A plain delete of a record nobody uses.
    let (status, headers, _) = post(&h, &format!("/assets/{}/delete", h.hmi), &[("version", "1")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/assets?site_id={}", h.site));
}

async fn static_assets_are_served_with_their_types(db: TestDb) {
    let h = harness(&db).await;
    let (status, headers, css) = get(&h, "/static/app.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=31536000"));
    assert!(css.contains("@media print"));
    let (status, headers, js) = get(&h, "/static/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert!(js.lines().count() < 100);
}

async fn no_page_needs_inline_script_or_style(db: TestDb) {
    let h = harness(&db).await;
    let (s, z, a) = (h.site, h.zone, h.plc);
    let pages = [
        "/".to_owned(),
        format!("/?site_id={s}"),
        "/sites".into(),
        format!("/sites/{s}"),
        format!("/sites/{s}/history"),
        "/sites/new".into(),
        format!("/zones?site_id={s}"),
        format!("/zones/{z}"),
        format!("/zones/{z}/edit"),
        format!("/conduits?site_id={s}"),
        format!("/conduits/new?site_id={s}"),
        "/assets".into(),
        format!("/assets/{a}"),
        format!("/assets/new?site_id={s}&zone_id={z}"),
        format!("/flows?site_id={s}"),
        format!("/flows/new?site_id={s}&source_asset_id={a}"),
        format!("/interfaces?site_id={s}"),
        format!("/interfaces/new?site_id={s}"),
        "/audit".into(),
        "/audit?verify=1&entity_type=asset".into(),
    ];
    for p in &pages {
        let (status, _, html) = get(&h, p).await;
        assert_eq!(status, StatusCode::OK, "{p}: {html}");
        assert_csp_clean(p, &html);
    }
    let (_, _, html) = get(&h, "/audit?verify=1").await;
    assert!(html.contains("Chain intact"), "{html}");
    let (_, _, html) = get(&h, &format!("/flows/new?site_id={s}&source_asset_id={a}")).await;
    assert!(html.contains("PLC-01"), "a referenced asset is named next to its id");
    for (p, want) in [
        ("/no/such/page", StatusCode::NOT_FOUND),
        ("/assets/999999", StatusCode::NOT_FOUND),
        ("/zones/abc", StatusCode::NOT_FOUND),
    ] {
        let (status, headers, html) = get(&h, p).await;
        assert_eq!(status, want, "{p}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{p}");
        assert_csp_clean(p, &html);
    }
    let (status, headers, _) = get(&h, "/api/v1/no/such/thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
}

async fn pages_escape_user_text(db: TestDb) {
    let h = harness(&db).await;
    let evil = "<script>alert(1)</script> & \"quoted\"";
    let id = h
        .app
        .create::<Asset>(
            &h.ctx,
            &AssetInput {
                site_id: Some(h.site.to_string()),
                name: Some(evil.into()),
                description: Some(evil.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    for p in [
        format!("/assets?site_id={}", h.site),
        format!("/assets/{id}"),
        format!("/assets/{id}/edit"),
        format!("/assets/{id}/history"),
    ] {
        let (status, _, html) = get(&h, &p).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert!(!html.contains("<script>alert(1)"), "{p}: unescaped user text");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{p}: the name shows as text");
        assert_csp_clean(&p, &html);
    }
}

async fn a_viewer_is_refused_with_a_page(db: TestDb) {
    let h = harness(&db).await;
    common::account(&h.app, "vera", "Vera Viewer", common::all(c981_app::Role::Viewer)).await;
    let browser = common::login(&h.app, "vera").await;
    let v = Harness { browser, ..h };
    let (status, _, html) = get(&v, "/").await;
    assert_eq!(status, StatusCode::OK, "a viewer sees the dashboard");
    assert!(html.contains("Vera Viewer"));
    let site = v.site.to_string();
    let (status, _, html) = post(&v, "/zones/new", &[("site_id", &site), ("name", "Rogue"), ("kind", "control")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Vera Viewer may not change zone records"), "{html}");
    assert_csp_clean("403", &html);
    let (status, _, _) = get(&v, "/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer may not read the whole audit trail");
}

backend_tests!(
    a_viewer_is_refused_with_a_page,
    dashboard_lists_the_sites,
    the_asset_list_shows_filters_and_searches,
    creating_a_zone_through_the_form_redirects_to_it,
    a_bad_cidr_is_shown_next_to_its_field,
    editing_an_asset_writes_history_with_the_reason,
    deleting_a_zone_in_use_offers_reassignment,
    static_assets_are_served_with_their_types,
    no_page_needs_inline_script_or_style,
    pages_escape_user_text,
);
