//! Site isolation and role enforcement, route by route: every operation of the published API
//! (taken from the OpenAPI document the server serves) is called by every role, holding that
//! role on one plant only, against a record of its own site, of another site, and one that does
//! not exist; and by nobody at all. Lists, searches and audit exports must hold zero rows of
//! another site. The same for the web pages. On SQLite and PostgreSQL.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::{Actor, App, Ctx, Role};
use c981_domain::audit::Channel;
use c981_domain::{Asset, Conduit, DataFlow, EntityKind, Interface, Zone};
use c981_store::Table;
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const ROLES: [Role; 6] =
    [Role::Administrator, Role::IsmsManager, Role::SiteEngineer, Role::Approver, Role::Auditor, Role::Viewer];

struct World {
    app: App,
    router: Router,
    own: i64,
    other: i64,
    /// Per entity kind: (a record of the own site, a record of the other site).
    records: Vec<(EntityKind, i64, i64)>,
    /// An empty scope of the own site, where copies of entries go (a control has one entry
    /// per scope).
    spare_scope: i64,
    _dir: tempfile::TempDir,
}

async fn first_of<T: Table>(app: &App, ctx: &Ctx, site: i64) -> i64 {
    let p =
        c981_app::ListParams { site_id: Some(c981_domain::SiteId::new(site)), limit: Some(1), ..Default::default() };
    let page = app.list::<T>(ctx, &p).await.unwrap();
    page.items.first().map(|r| r.id.into()).unwrap_or_else(|| panic!("no {} in site {site}", T::KIND))
}

async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = common::app(db.store().await, dir.path());
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let site = |code: &str| {
        let app = app.clone();
        let code = code.to_owned();
        async move { app.store().site_by_code(&c981_store::SiteScope::All, &code).await.unwrap().unwrap().id.get() }
    };
    let own = site("LYO").await;
    let other = site("ICT").await;
    let mut records = vec![(EntityKind::Site, own, other)];
    records.push((
        EntityKind::Zone,
        first_of::<Zone>(&app, &sys, own).await,
        first_of::<Zone>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Conduit,
        first_of::<Conduit>(&app, &sys, own).await,
        first_of::<Conduit>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Asset,
        first_of::<Asset>(&app, &sys, own).await,
        first_of::<Asset>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Flow,
        first_of::<DataFlow>(&app, &sys, own).await,
        first_of::<DataFlow>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Interface,
        first_of::<Interface>(&app, &sys, own).await,
        first_of::<Interface>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::RequirementStatus,
        first_of::<c981_domain::RequirementStatus>(&app, &sys, own).await,
        first_of::<c981_domain::RequirementStatus>(&app, &sys, other).await,
    ));
    // The demo has no system under consideration: one per site, with the site's first zone.
    let mut systems = Vec::new();
    for site in [own, other] {
        let zone = first_of::<Zone>(&app, &sys, site).await;
        let input = c981_domain::SystemUnderConsiderationInput {
            site_id: Some(site.to_string()),
            name: Some("Packaging line".into()),
            zone_ids: vec![zone.to_string()],
            owner: Some("Plant manager".into()),
            zcr1_status: Some("done".into()),
            ..Default::default()
        };
        systems.push(app.create::<c981_domain::SystemUnderConsideration>(&sys, &input).await.unwrap().id.get());
    }
    records.push((EntityKind::System, systems[0], systems[1]));
    // The demo's risks (none accepted, so a copy may be created).
    records.push((
        EntityKind::Risk,
        first_of::<c981_domain::Risk>(&app, &sys, own).await,
        first_of::<c981_domain::Risk>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Supplier,
        first_of::<c981_domain::Supplier>(&app, &sys, own).await,
        first_of::<c981_domain::Supplier>(&app, &sys, other).await,
    ));
    // The ISMS of the demo: a scope per site with its entries and evidence (Lyon's statement is
    // frozen as version 1).
    records.push((
        EntityKind::Scope,
        first_of::<c981_domain::IsmsScope>(&app, &sys, own).await,
        first_of::<c981_domain::IsmsScope>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::SoaEntry,
        first_of::<c981_domain::SoaEntry>(&app, &sys, own).await,
        first_of::<c981_domain::SoaEntry>(&app, &sys, other).await,
    ));
    records.push((
        EntityKind::Evidence,
        first_of::<c981_domain::Evidence>(&app, &sys, own).await,
        first_of::<c981_domain::Evidence>(&app, &sys, other).await,
    ));
    // A frozen statement on both sites: Lyon's is version 1; the other site's is completed and
    // frozen here. Both sites' first evidence gets a file.
    let other_scope = first_of::<c981_domain::IsmsScope>(&app, &sys, other).await;
    let view = app.soa_view(&sys, other_scope).await.unwrap();
    for l in view.doc.lines.iter().filter(|l| l.applicability == "undecided" || l.justification.trim().is_empty()) {
        let input = c981_domain::SoaEntryInput {
            applicability: Some("not_applicable".into()),
            justification: Some("Nothing at this plant it could apply to".into()),
            ..Default::default()
        };
        app.set_soa_entry(&sys, other_scope, &l.control, Some(l.entry_version.unwrap_or(0)), input).await.unwrap();
    }
    let other_version = app.freeze_soa(&sys, other_scope, "for the access matrix").await.unwrap().id.get();
    let own_scope = first_of::<c981_domain::IsmsScope>(&app, &sys, own).await;
    let own_version = app.soa_version_by_number(&sys, own_scope, 1).await.unwrap().id;
    records.push((EntityKind::SoaVersion, own_version, other_version));
    let (own_ev, other_ev) = records.iter().find(|r| r.0 == EntityKind::Evidence).map(|r| (r.1, r.2)).unwrap();
    for id in [own_ev, other_ev] {
        app.upload_evidence(&sys, id, "review.txt", "text/plain", b"reviewed").await.unwrap();
    }
    let spare = c981_domain::IsmsScopeInput {
        site_id: Some(own.to_string()),
        name: Some("Spare scope for copies".into()),
        statement: Some("Copies of entries made by the access matrix".into()),
        exclusions: Some("none".into()),
        ..Default::default()
    };
    let spare_scope = app.create::<c981_domain::IsmsScope>(&sys, &spare).await.unwrap().id.get();
    for role in ROLES {
        common::account(&app, role.as_str(), &format!("{} of Lyon", role.label()), common::on(role, own)).await;
    }
    common::account(&app, "root", "Global Admin", common::all(Role::Administrator)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, own, other, records, spare_scope, _dir: dir }
}

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header(header::ACCEPT, "application/json");
    if let Some(t) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b)),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Which site a JSON record belongs to.
fn site_of(kind: Option<EntityKind>, item: &Value) -> Option<i64> {
    match kind {
        Some(EntityKind::Site) => item["id"].as_i64(),
        _ => item["site_id"].as_i64(),
    }
}

fn kind_of(path: &str) -> Option<EntityKind> {
    let seg = path.trim_start_matches("/api/v1/").split('/').next()?;
    [
        EntityKind::Site,
        EntityKind::Zone,
        EntityKind::Conduit,
        EntityKind::Asset,
        EntityKind::Flow,
        EntityKind::Interface,
        EntityKind::RequirementStatus,
        EntityKind::System,
        EntityKind::Risk,
        EntityKind::Supplier,
        EntityKind::Scope,
        EntityKind::SoaEntry,
        EntityKind::Evidence,
        EntityKind::SoaVersion,
    ]
    .into_iter()
    .find(|k| k.plural() == seg)
}

/// A body for a write: a copy of the own-site record (so the site in the body is the caller's).
async fn body_for(w: &World, root: &str, kind: EntityKind, id: i64) -> String {
    let (_, v) = call(&w.router, "GET", &format!("/api/v1/{}/{id}", kind.plural()), Some(root), None).await;
    let mut v = v;
    let obj = v.as_object_mut().unwrap();
    for k in ["id", "version", "created_at", "updated_at"] {
        obj.remove(k);
    }
    if kind == EntityKind::Site {
        obj.insert("code".into(), Value::String("ZZ9".into()));
    }
    static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if kind == EntityKind::Site {
        obj.insert("code".into(), Value::String(format!("ZZ{n}")));
    }
    if kind == EntityKind::Flow {
        obj.insert("port".into(), Value::String((20_000 + n).to_string()));
    }
    if kind == EntityKind::RequirementStatus {
        // A copy is about one of the own site's conduits, for a requirement of its own.
        let conduit = w.records.iter().find(|r| r.0 == EntityKind::Conduit).unwrap().1;
        // Its own counter: every kind's copies share `n`, and more than 100 of them in one
        // run would bring a requirement round again.
        static REQS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let r = REQS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let req = c981_domain::iec62443::requirements()[r % 100].id;
        obj.insert("zone_id".into(), Value::Null);
        obj.insert("conduit_id".into(), Value::from(conduit));
        obj.insert("requirement".into(), Value::String(req.to_string()));
    }
    if kind == EntityKind::SoaEntry {
        // A control has one entry per scope: a copy is another control of the spare scope.
        static ENTRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let e = ENTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let control = c981_domain::annex_a::controls()[e % 93].id;
        obj.insert("scope_id".into(), Value::from(w.spare_scope));
        obj.insert("control".into(), Value::String(control.to_string()));
    }
    if let Some(name) = obj.get("name").and_then(Value::as_str).map(|m| format!("{m} (copy {n})")) {
        obj.insert("name".into(), Value::String(name));
    }
    v.to_string()
}

async fn every_api_route_for_every_role_and_site(db: TestDb) {
    let w = world(&db).await;
    let doc = c981_web::openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    let root = common::token(&w.app, "root", false, &[]).await;
    let mut checked = 0usize;
    for role in ROLES {
        let token = common::token(&w.app, role.as_str(), false, &[]).await;
        let writes = role.may_write();
        let reads_audit = role.may_read_audit();
        for (template, ops) in paths {
            if template == "/healthz" {
                continue;
            }
            let kind = kind_of(template);
            for method in ops.as_object().unwrap().keys() {
                let m = method.to_uppercase();
                let targets: Vec<(&str, i64)> = if template.contains("{id}") {
                    match kind.and_then(|k| w.records.iter().find(|r| r.0 == k)) {
                        Some((_, own, other)) => vec![("own", *own), ("other", *other), ("none", 999_999_999)],
                        None => vec![("none", 999_999_999)],
                    }
                } else {
                    vec![("collection", 0)]
                };
                for (target, id) in targets {
                    // Deletions take a fresh copy of the own record, so later calls still find it.
                    let id = match (&*m, kind, target) {
                        ("DELETE", Some(k), "own") if k != EntityKind::Site => {
                            let body = body_for(&w, &root, k, id).await;
                            let (s, v) =
                                call(&w.router, "POST", &format!("/api/v1/{}", k.plural()), Some(&root), Some(body))
                                    .await;
                            assert_eq!(s, StatusCode::CREATED, "copy of {k} {id}: {v}");
                            v["id"].as_i64().unwrap()
                        }
                        _ => id,
                    };
                    let uri = template
                        .replace("{id}", &id.to_string())
                        .replace("{control}", "8.20")
                        .replace("{number}", "1")
                        .replace("{key}", "iso27001-2022-annex-a");
                    // What the ISMS routes need in the query to get past their validation.
                    let uri = match template.as_str() {
                        "/api/v1/scopes/{id}/soa-compare" => format!("{uri}?from=current&to=current"),
                        "/api/v1/scopes/{id}/evidence-bundle" => {
                            format!("{uri}?from=2026-01-01&to=2026-12-31&version=current")
                        }
                        _ => uri,
                    };
                    // Unauthenticated: always refused.
                    let (anon, _) = call(&w.router, &m, &uri, None, Some("{}".into())).await;
                    assert_eq!(anon, StatusCode::UNAUTHORIZED, "{m} {uri} without credentials");
                    let body = match (&*m, kind, target) {
                        ("PUT", _, _) if template == "/api/v1/scopes/{id}/soa/{control}" => Some(
                            r#"{"applicability":"applicable","justification":"Selected for the access matrix"}"#
                                .to_owned(),
                        ),
                        ("POST", _, _) if template == "/api/v1/scopes/{id}/soa-versions" => {
                            Some(r#"{"note":"access matrix"}"#.to_owned())
                        }
                        ("POST", _, _) if template == "/api/v1/crosswalk" => Some(
                            r#"{"control":"8.20","target":"SR 5.2","relationship":"intersects","basis":"matrix"}"#
                                .to_owned(),
                        ),
                        ("POST" | "PUT" | "PATCH", Some(k), _) if !uri.ends_with("/signatures") => {
                            let own_id = w.records.iter().find(|r| r.0 == k).unwrap().1;
                            Some(body_for(&w, &root, k, own_id).await)
                        }
                        ("POST", _, _) if uri.ends_with("/signatures") => {
                            Some(r#"{"meaning":"reviewed","password":"whatever it is"}"#.to_owned())
                        }
                        ("POST" | "PUT" | "PATCH", None, _) => Some("{}".into()),
                        _ => None,
                    };
                    let (status, v) = call(&w.router, &m, &uri, Some(&token), body).await;
                    let ctx = format!("{} {m} {uri} ({target})", role.as_str());
                    checked += 1;
                    // Whatever the outcome, nothing of the other site is ever returned.
                    if let Some(items) = v["items"].as_array() {
                        for item in items {
                            if let Some(s) = site_of(kind, item).or_else(|| item["site_id"].as_i64()) {
                                assert_eq!(s, w.own, "{ctx}: a row of another site: {item}");
                            }
                        }
                    }
                    if v.is_object()
                        && kind.is_some()
                        && status.is_success()
                        && v.get("items").is_none()
                        && let Some(s) = site_of(kind, &v)
                    {
                        assert_eq!(s, w.own, "{ctx}: a record of another site");
                    }
                    let identity = template.starts_with("/api/v1/users") || template.starts_with("/api/v1/me");
                    let expected: &[StatusCode] = if template.starts_with("/api/v1/users") {
                        // Account administration: administrators of every site only.
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/me/tokens" && m == "POST" {
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/me/tokens/{id}" {
                        &[StatusCode::NOT_FOUND]
                    } else if identity {
                        &[StatusCode::OK]
                    } else if template.starts_with("/api/v1/risk-model") && m != "GET" {
                        // The organisation's risk model: administrators and ISMS managers of
                        // every site only (everyone here holds a role on one plant).
                        &[StatusCode::FORBIDDEN]
                    } else if (template.starts_with("/api/v1/threat-templates") || template == "/api/v1/risk-periods")
                        && m != "GET"
                    {
                        // The threat library and assessment periods belong to the whole
                        // organisation: administrators and ISMS managers of every site only.
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/risk-suggestions/proposal"
                        || template == "/api/v1/risk-periods/compare"
                        || template == "/api/v1/risk-suggestions/dismissals"
                        || template == "/api/v1/imports/{key}"
                        || template == "/api/v1/review"
                        || template.starts_with("/api/v1/review/")
                    {
                        // These name what they are about in the query or body; without it
                        // they are bad requests, for every role.
                        &[StatusCode::BAD_REQUEST]
                    } else if template == "/api/v1/catalogue/iec62443-3-3/descriptions" {
                        // Installation-wide reference data: administrators of every site only.
                        &[StatusCode::FORBIDDEN]
                    } else if (template.starts_with("/api/v1/crosswalk") || template.starts_with("/api/v1/catalogs"))
                        && m != "GET"
                    {
                        // The crosswalk and the catalogues serve every site: administrators and
                        // ISMS managers of every site only.
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/audit/verify" {
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/audit/entries" {
                        if reads_audit { &[StatusCode::OK] } else { &[StatusCode::FORBIDDEN] }
                    } else if template == "/api/v1/openapi.json" {
                        &[StatusCode::OK]
                    } else if target == "other" || target == "none" {
                        &[StatusCode::NOT_FOUND]
                    } else if uri.ends_with("/signatures") && m == "POST" {
                        // Signing needs an interactive session, never a token.
                        &[StatusCode::FORBIDDEN]
                    } else if template == "/api/v1/scopes/{id}/evidence-bundle" {
                        // The bundle holds an audit-trail extract: those who read the audit trail.
                        if reads_audit { &[StatusCode::OK] } else { &[StatusCode::FORBIDDEN] }
                    } else if m == "GET" {
                        &[StatusCode::OK]
                    } else if kind == Some(EntityKind::Site) && target == "collection" {
                        // Creating a site: administrators of every site only.
                        &[StatusCode::FORBIDDEN]
                    } else if writes {
                        &[
                            StatusCode::OK,
                            StatusCode::CREATED,
                            StatusCode::NO_CONTENT,
                            StatusCode::CONFLICT,
                            StatusCode::UNPROCESSABLE_ENTITY,
                        ]
                    } else {
                        &[StatusCode::FORBIDDEN]
                    };
                    assert!(expected.contains(&status), "{ctx}: got {status}, expected one of {expected:?}: {v}");
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} calls were made");

    // Searches and audit exports hold no foreign rows either.
    let auditor = common::token(&w.app, "auditor", false, &[]).await;
    for q in ["ICT", "Wichita", "PLC", "a"] {
        for kind in ["assets", "zones", "flows", "conduits", "interfaces", "sites"] {
            let (s, v) =
                call(&w.router, "GET", &format!("/api/v1/{kind}?q={q}&limit=1000"), Some(&auditor), None).await;
            assert_eq!(s, StatusCode::OK);
            for item in v["items"].as_array().unwrap() {
                assert_eq!(
                    site_of(kind_of(&format!("/api/v1/{kind}")), item),
                    Some(w.own),
                    "search {q} in {kind}: {item}"
                );
            }
        }
    }
    let (s, v) = call(&w.router, "GET", "/api/v1/audit/entries?limit=1000", Some(&auditor), None).await;
    assert_eq!(s, StatusCode::OK);
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for e in items {
        assert_eq!(e["site_id"].as_i64(), Some(w.own), "audit export row of another site or installation-wide: {e}");
    }
    // Explicitly asking for the other site is "not found", not an empty page.
    let (s, _) = call(&w.router, "GET", &format!("/api/v1/assets?site_id={}", w.other), Some(&auditor), None).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::OK, "{s}");
    if s == StatusCode::OK {
        let (_, v) = call(&w.router, "GET", &format!("/api/v1/assets?site_id={}", w.other), Some(&auditor), None).await;
        assert!(v["items"].as_array().unwrap().is_empty());
    }
}

async fn denied_writes_are_audited_and_tokens_are_narrowed(db: TestDb) {
    let w = world(&db).await;
    let root = common::token(&w.app, "root", false, &[]).await;
    // A read-only token of an engineer cannot write even its own site.
    let ro = common::token(&w.app, "site_engineer", true, &[]).await;
    let zone = w.records.iter().find(|r| r.0 == EntityKind::Zone).unwrap().1;
    let (s, v) =
        call(&w.router, "PATCH", &format!("/api/v1/zones/{zone}"), Some(&ro), Some(r#"{"description":"x"}"#.into()))
            .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("read-only"), "{v}");
    // A global administrator's token limited to the other site sees only that site.
    let narrowed = common::token(&w.app, "root", false, &[w.other]).await;
    let (s, v) = call(&w.router, "GET", "/api/v1/sites", Some(&narrowed), None).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = v["items"].as_array().unwrap().iter().filter_map(|s| s["id"].as_i64()).collect();
    assert_eq!(ids, vec![w.other]);
    let (s, _) = call(&w.router, "GET", &format!("/api/v1/zones/{zone}"), Some(&narrowed), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A token cannot be widened beyond its user's sites.
    let actor = w.app.actor_of_user("viewer").await.unwrap();
    let ctx = Ctx::new(actor, Channel::Ui, "t");
    let err = w.app.create_token(&ctx, "wide", false, &[c981_domain::SiteId::new(w.other)], 5).await.unwrap_err();
    assert!(err.to_string().contains("not one of your sites"), "{err}");
    // The refusals are in the audit trail.
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let (_, v) =
            call(&w.router, "GET", &format!("/api/v1/audit/entries?limit=1000&after={after}"), Some(&root), None).await;
        all.extend(v["items"].as_array().unwrap().iter().cloned());
        match v["next_after"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    let denied: Vec<&Value> = all.iter().filter(|e| e["action"] == "denied").collect();
    assert!(denied.iter().any(|e| e["actor_name"] == "Site engineer of Lyon"), "{denied:?}");
    // Revoking a token acts on the next request.
    let tokens =
        w.app.tokens(&Ctx::new(w.app.actor_of_user("site_engineer").await.unwrap(), Channel::Ui, "t")).await.unwrap();
    let ctx = Ctx::new(w.app.actor_of_user("site_engineer").await.unwrap(), Channel::Ui, "t");
    for t in tokens {
        w.app.revoke_token(&ctx, t.id).await.unwrap();
    }
    let (s, _) = call(&w.router, "GET", "/api/v1/sites", Some(&ro), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn every_page_for_every_role_and_site(db: TestDb) {
    let w = world(&db).await;
    for role in ROLES {
        let b = common::login(&w.app, role.as_str()).await;
        for (kind, own, other) in &w.records {
            if *kind == EntityKind::SoaVersion {
                // A version's pages are those of its scope's statement (walked below).
                continue;
            }
            let base = format!("/{}", kind.plural());
            for (path, want) in [
                (base.clone(), StatusCode::OK),
                (format!("{base}/{own}"), StatusCode::OK),
                (format!("{base}/{own}/history"), StatusCode::OK),
                (format!("{base}/{other}"), StatusCode::NOT_FOUND),
                (format!("{base}/{other}/edit"), StatusCode::NOT_FOUND),
                (format!("{base}/{other}/history"), StatusCode::NOT_FOUND),
                (format!("{base}?site_id={other}"), StatusCode::NOT_FOUND),
                (format!("{base}/999999999"), StatusCode::NOT_FOUND),
            ] {
                let req = Request::get(&path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
                let res = w.router.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), want, "{} GET {path}", role.as_str());
                let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
                assert!(!html.contains("Wichita"), "{} GET {path}: shows the other site", role.as_str());
                if *kind == EntityKind::Risk && path == format!("{base}/{own}") {
                    // Ratings are shown with the level names of the model, and acceptance is
                    // a signature from the risk's page.
                    assert!(html.contains("risk-level risk-"), "{path}: no coloured level");
                    assert!(html.contains(&format!("href=\"/risks/{own}/sign\"")), "{path}: no signing link");
                }
                if *kind == EntityKind::System && path == format!("{base}/{own}") {
                    // The asset owner's approval (ZCR 7) is signed from the system's page.
                    assert!(html.contains(&format!("href=\"/systems/{own}/sign\"")), "{path}: no signing link");
                    assert!(html.contains("ZCR 7 Asset owner approval"), "{path}: no ZCR 7");
                }
                // Without a session: the login page.
                let req = Request::get(&path).body(Body::empty()).unwrap();
                let res = w.router.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path} without a session");
                assert!(res.headers()[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
            }
        }
        // The ISMS pages: a scope's statement, a control's decision, versions, comparison, the
        // printable statement, the dashboard, the crosswalk, the catalogues, evidence files.
        let record = |k: EntityKind| w.records.iter().find(|r| r.0 == k).map(|r| (r.1, r.2)).unwrap();
        let (scope, other_scope) = record(EntityKind::Scope);
        let (evidence, other_evidence) = record(EntityKind::Evidence);
        let (version, other_version) = record(EntityKind::SoaVersion);
        let other = w.other;
        for (path, want) in [
            (format!("/scopes/{scope}/soa"), StatusCode::OK),
            (format!("/scopes/{scope}/soa?theme=technological&applicability=applicable"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/8.20"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/A.5.1"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/12.6.1"), StatusCode::NOT_FOUND),
            (format!("/scopes/{scope}/soa/versions/1"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/versions/99"), StatusCode::NOT_FOUND),
            (format!("/scopes/{scope}/soa/compare?from=1&to=current"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/print"), StatusCode::OK),
            (format!("/scopes/{scope}/soa/print?version=1"), StatusCode::OK),
            (format!("/scopes/{other_scope}/soa"), StatusCode::NOT_FOUND),
            (format!("/scopes/{other_scope}/soa/8.20"), StatusCode::NOT_FOUND),
            (format!("/scopes/{other_scope}/soa/versions/1"), StatusCode::NOT_FOUND),
            (format!("/scopes/{other_scope}/soa/compare?from=current&to=current"), StatusCode::NOT_FOUND),
            (format!("/scopes/{other_scope}/soa/print"), StatusCode::NOT_FOUND),
            (format!("/soa-versions/{version}"), StatusCode::SEE_OTHER),
            (format!("/soa-versions/{version}/history"), StatusCode::SEE_OTHER),
            (format!("/soa-versions/{version}/sign?meaning=approved"), StatusCode::OK),
            ("/soa-versions/999999999".to_owned(), StatusCode::NOT_FOUND),
            (format!("/soa-versions/{other_version}"), StatusCode::NOT_FOUND),
            (format!("/soa-versions/{other_version}/sign"), StatusCode::NOT_FOUND),
            (format!("/soa-versions?site_id={other}"), StatusCode::NOT_FOUND),
            ("/soa-versions".to_owned(), StatusCode::SEE_OTHER),
            (format!("/evidence/{evidence}/upload"), StatusCode::OK),
            (format!("/evidence/{other_evidence}/upload"), StatusCode::NOT_FOUND),
            ("/soa".to_owned(), StatusCode::OK),
            ("/soa?site=LYO".to_owned(), StatusCode::OK),
            ("/soa?site=ICT".to_owned(), StatusCode::NOT_FOUND),
            (format!("/soa?site_id={other}"), StatusCode::NOT_FOUND),
            ("/crosswalk".to_owned(), StatusCode::OK),
            ("/crosswalk?control=8.20".to_owned(), StatusCode::OK),
            ("/catalogs".to_owned(), StatusCode::OK),
            ("/catalogs/iso27001-2022-annex-a".to_owned(), StatusCode::OK),
            ("/catalogs/iec62443-3-3".to_owned(), StatusCode::OK),
            ("/catalogs/no-such-catalogue".to_owned(), StatusCode::NOT_FOUND),
        ] {
            let req = Request::get(&path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
            let res = w.router.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), want, "{} GET {path}", role.as_str());
            let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
            assert!(!html.contains("Wichita"), "{} GET {path}: shows the other site", role.as_str());
            if !role.may_write() {
                assert!(!html.contains("Freeze as version"), "{} GET {path}: offers freezing", role.as_str());
                assert!(!html.contains("Save the decision"), "{} GET {path}: offers deciding", role.as_str());
                assert!(
                    !html.contains("enctype=\"multipart/form-data\""),
                    "{} GET {path}: offers an upload",
                    role.as_str()
                );
            }
            // Nobody here holds a role on every site: the crosswalk and catalogues are read-only.
            assert!(!html.contains("Save the link"), "{} GET {path}: offers changing the crosswalk", role.as_str());
            assert!(!html.contains("Import a catalogue"), "{} GET {path}: offers an import", role.as_str());
            if path == format!("/scopes/{scope}/soa/versions/1") {
                assert!(
                    html.contains(&format!("href=\"/soa-versions/{version}/sign?meaning=approved\"")),
                    "{path}: no approval link"
                );
            }
            let req = Request::get(&path).body(Body::empty()).unwrap();
            let res = w.router.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path} without a session");
            assert!(res.headers()[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
        }
        let audit = role.may_read_audit();
        for (path, allowed) in [
            ("/", true),
            ("/audit", audit),
            ("/admin/users", false),
            ("/account", true),
            ("/account/tokens", true),
            ("/risk-model", true),
            ("/risk-model/versions/1", true),
            ("/risks/overdue", true),
            ("/threat-library", true),
            ("/threat-library/T-VENDOR-RA", true),
            ("/risks/suggestions", true),
            ("/risks/heatmap", true),
            ("/risks/periods", true),
            ("/imports", true),
            ("/review", true),
            ("/discovery", true),
        ] {
            let req = Request::get(path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
            let res = w.router.clone().oneshot(req).await.unwrap();
            let want = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(res.status(), want, "{} GET {path}", role.as_str());
            if matches!(path, "/imports" | "/review" | "/discovery") {
                let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
                assert!(!html.contains("Wichita"), "{} GET {path}: shows the other site", role.as_str());
                if !role.may_write() {
                    assert!(!html.contains("Import a file"), "{} GET {path}: offers an upload", role.as_str());
                }
                continue;
            }
            if path.starts_with("/risks/") || path == "/risk-model" || path.starts_with("/threat-library") {
                let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
                assert!(!html.contains("Wichita"), "{} GET {path}: shows the other site", role.as_str());
                // Only managers of every site get the editor; nobody here is one.
                assert!(
                    !html.contains("action=\"/risk-model/rerate\""),
                    "{} GET {path}: offers re-rating",
                    role.as_str()
                );
                assert!(
                    !html.contains("action=\"/threat-library/import\""),
                    "{} GET {path}: offers an import",
                    role.as_str()
                );
                assert!(!html.contains("Close the period"), "{} GET {path}: offers closing a period", role.as_str());
            }
        }
    }
}

/// A browser session's writes need its CSRF token; API tokens need none (no cookie is involved).
async fn session_writes_need_the_csrf_token(db: TestDb) {
    let w = world(&db).await;
    let b = common::login(&w.app, "site_engineer").await;
    let zone = w.records.iter().find(|r| r.0 == EntityKind::Zone).unwrap().1;
    let patch = |csrf: Option<&str>| {
        let mut req = Request::builder()
            .method("PATCH")
            .uri(format!("/api/v1/zones/{zone}"))
            .header(header::COOKIE, &b.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.body(Body::from(r#"{"description":"changed by a session"}"#)).unwrap()
    };
    for (csrf, want) in [
        (None, StatusCode::FORBIDDEN),
        (Some("not-the-token"), StatusCode::FORBIDDEN),
        (Some(b.csrf.as_str()), StatusCode::OK),
    ] {
        let res = w.router.clone().oneshot(patch(csrf)).await.unwrap();
        assert_eq!(res.status(), want, "csrf {csrf:?}");
    }
    // A form without the token, and one with another session's token.
    let other = common::login(&w.app, "isms_manager").await;
    for token in ["", other.csrf.as_str()] {
        let body = format!("name=Renamed&kind=control&site_id={}&_csrf={token}", w.own);
        let req = Request::post(format!("/zones/{zone}/edit"))
            .header(header::COOKIE, &b.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(w.router.clone().oneshot(req).await.unwrap().status(), StatusCode::FORBIDDEN, "form with {token:?}");
    }
    // GET stays open to the session (no token needed to read).
    let req =
        Request::get(format!("/api/v1/zones/{zone}")).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
    assert_eq!(w.router.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);
}

/// Failed logins are throttled per source address; a forged `X-Forwarded-For` does not make a
/// new source unless the peer is a configured proxy.
async fn a_forged_forwarded_for_does_not_escape_throttling(db: TestDb) {
    use axum::extract::ConnectInfo;
    let dir = tempfile::tempdir().unwrap();
    let app = common::app(db.store().await, dir.path()).with_auth(c981_app::identity::AuthSettings {
        mfa_roles: Vec::new(),
        source_failures: 3,
        account_failures: 100,
        ..Default::default()
    });
    let peer: std::net::SocketAddr = "203.0.113.9:40000".parse().unwrap();
    let attempt = |router: Router, n: usize| async move {
        let pre = "pre-token-value";
        let body = format!("_pre={pre}&username=user{n}&password=wrong+password+{n}&next=%2F");
        let mut req = Request::post("/login")
            .header(header::COOKIE, format!("c981_pre={pre}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        router.oneshot(req).await.unwrap().status()
    };
    let direct = c981_web::router(c981_web::AppState::new(app.clone()));
    for n in 0..3 {
        assert_eq!(attempt(direct.clone(), n).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt(direct.clone(), 3).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the peer is throttled whatever it forwards"
    );
    // Behind a trusted proxy, the forwarded address is the source.
    let mut state = c981_web::AppState::new(app);
    state.trusted_proxies = std::sync::Arc::new(vec!["203.0.113.0/24".parse().unwrap()]);
    let proxied = c981_web::router(state);
    for n in 10..16 {
        assert_eq!(
            attempt(proxied.clone(), n).await,
            StatusCode::UNAUTHORIZED,
            "each forwarded client is its own source"
        );
    }
}

backend_tests!(
    session_writes_need_the_csrf_token,
    a_forged_forwarded_for_does_not_escape_throttling,
    every_api_route_for_every_role_and_site,
    denied_writes_are_audited_and_tokens_are_narrowed,
    every_page_for_every_role_and_site,
);
