//! Single sign-on end to end through the web routes, against a real OpenID provider
//! (`tests/oidc-provider`, oidc-provider on Node, on loopback): login with group-to-role
//! mapping per site, account provisioning, refusal of a replayed or foreign-browser callback
//! and of a disabled account, and an electronic signature re-authenticated at the provider
//! (`prompt=login`). On SQLite and PostgreSQL.
//!
//! Needs `node` and `npm ci --prefix tests/oidc-provider`; skipped locally without them,
//! required under CI (`CI` or `C981_REQUIRE_OIDC`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::identity::{AuthSettings, GroupMapping, SsoSettings};
use c981_app::{Actor, App, Ctx, Role, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::{SiteInput, Zone, ZoneInput};
use c981_testkit::{TestDb, backend_tests};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tower::ServiceExt;

const REDIRECT: &str = "http://127.0.0.1:8981/auth/oidc/callback";

#[allow(clippy::disallowed_methods, reason = "tests decide whether a missing provider is a skip or a failure")]
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var_os("C981_REQUIRE_OIDC").is_some_and(|v| !v.is_empty() && v != "0")
}

struct Provider {
    issuer: String,
    _child: Child,
}

async fn start_provider() -> Option<Provider> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc-provider");
    if !dir.join("node_modules/oidc-provider").is_dir()
        || std::process::Command::new("node").arg("--version").output().is_err()
    {
        let how = "install Node.js and run `npm ci --prefix tests/oidc-provider`";
        assert!(!required(), "the OpenID provider cannot start: {how}");
        eprintln!("SKIPPED (OpenID provider unavailable; {how})");
        return None;
    }
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg("0")
        .current_dir(&dir)
        .env("C981_REDIRECT_URIS", REDIRECT)
        .env("C981_OIDC_EXIT_ON_EOF", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the provider");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let issuer = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && let Some(i) = v["issuer"].as_str()
            {
                return i.to_owned();
            }
        }
        panic!("the provider exited before printing its issuer");
    })
    .await
    .expect("the provider did not start within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(Provider { issuer, _child: child })
}

/// The user's browser at the provider: cookies kept, redirects followed by hand.
struct IdpBrowser(reqwest::Client);

impl IdpBrowser {
    fn new() -> Self {
        Self(
            reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        )
    }

    async fn redirect(&self, req: reqwest::RequestBuilder) -> String {
        let res = req.send().await.unwrap();
        let status = res.status();
        match res.headers().get(reqwest::header::LOCATION) {
            Some(l) if status.is_redirection() => l.to_str().unwrap().to_owned(),
            _ => {
                panic!("expected a redirect from the provider, got {status}: {}", res.text().await.unwrap_or_default())
            }
        }
    }

    /// Logs in at the provider as `login`; returns the path and query of our callback.
    async fn authorize(&self, auth_url: &str, login: &str) -> (String, Vec<String>) {
        let mut url = reqwest::Url::parse(auth_url).unwrap();
        let mut prompts = Vec::new();
        for _ in 0..12 {
            let next = url.join(&self.redirect(self.0.get(url.clone())).await).unwrap();
            if next.as_str().starts_with(REDIRECT) {
                return (format!("{}?{}", next.path(), next.query().unwrap_or("")), prompts);
            }
            if next.path().starts_with("/interaction/") {
                let details: Value = self.0.get(next.clone()).send().await.unwrap().json().await.unwrap();
                let prompt = details["prompt"].as_str().unwrap().to_owned();
                let action = next.join(&format!("{}/{prompt}", next.path())).unwrap();
                let req = match prompt.as_str() {
                    "login" => self.0.post(action).form(&[("login", login)]),
                    _ => self.0.post(action),
                };
                prompts.push(prompt);
                url = next.join(&self.redirect(req).await).unwrap();
            } else {
                url = next;
            }
        }
        panic!("too many redirects at the provider");
    }
}

struct Reply {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn call(router: &Router, method: &str, uri: &str, cookie: &str, form: Option<String>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri).header(header::COOKIE, cookie);
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let res = router.clone().oneshot(req.body(Body::from(form.unwrap_or_default())).unwrap()).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let cookies = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    use http_body_util::BodyExt;
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Reply { status, location, cookies, body }
}

fn cookie_named(r: &Reply, name: &str) -> String {
    r.cookies.iter().find(|c| c.starts_with(&format!("{name}="))).cloned().unwrap_or_else(|| panic!("no {name} cookie"))
}

async fn setup(db: &TestDb, p: &Provider, dir: &std::path::Path) -> (App, Router, i64) {
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.join("k"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let op = Ctx::new(Actor::local_operator("setup"), Channel::Cli, "s");
    let site = app
        .create::<c981_domain::Site>(
            &op,
            &SiteInput {
                code: Some("LYO".into()),
                name: Some("Lyon".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("pharma".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let zone = app
        .create::<Zone>(
            &op,
            &ZoneInput {
                site_id: Some(site.id.to_string()),
                name: Some("Filling".into()),
                kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    let settings = c981_oidc::OidcSettings::new(&p.issuer, "c981", Some("c981-test-secret".into()), REDIRECT);
    let client = c981_oidc::OidcClient::discover(settings).await.expect("discovery");
    let sso = SsoSettings {
        auto_provision: true,
        mappings: vec![
            GroupMapping {
                group: "c981-engineers-LYO".into(),
                role: Role::SiteEngineer,
                sites: Some(vec!["LYO".into()]),
            },
            GroupMapping { group: "c981-admins".into(), role: Role::Administrator, sites: None },
        ],
    };
    let mut state = c981_web::AppState::new(app.clone());
    state.oidc = Some(Arc::new(c981_web::oidc::OidcState { client, sso }));
    (app, c981_web::router(state), zone)
}

/// The whole login: our /auth/oidc/login, the provider, our callback. Returns the session cookie.
async fn sso_login(router: &Router, idp: &IdpBrowser, login: &str) -> Result<String, Reply> {
    let start = call(router, "GET", "/auth/oidc/login?next=/assets", "", None).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let binding = cookie_named(&start, "c981_oidc");
    let (callback, _) = idp.authorize(&start.location, login).await;
    let done = call(router, "GET", &callback, &binding, None).await;
    if done.status != StatusCode::SEE_OTHER {
        return Err(done);
    }
    assert_eq!(done.location, "/assets");
    Ok(cookie_named(&done, "c981_session"))
}

async fn single_sign_on_maps_groups_to_roles_per_site_and_signs_after_a_fresh_login(db: TestDb) {
    let Some(p) = start_provider().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (app, router, zone) = setup(&db, &p, dir.path()).await;
    let idp = IdpBrowser::new();

    // Alice, in the Lyon engineers' group, gets an account with site engineer on LYO.
    let session = sso_login(&router, &idp, "alice").await.unwrap_or_else(|r| panic!("{}: {}", r.status, r.body));
    let me = call(&router, "GET", "/api/v1/me", &session, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me: Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["name"], "Alice Test");
    assert_eq!(me["effective_grants"][0]["role"], "site_engineer");
    assert!(me["effective_grants"][0]["site_id"].is_i64());
    assert_eq!(me["account"]["sso"].as_str(), Some(p.issuer.as_str()));
    // Local logins keep working beside SSO: the same router, another account, a password.
    let op = Ctx::new(Actor::local_operator("setup"), Channel::Cli, "s");
    let (_, link) = app
        .create_user(
            &op,
            &c981_app::identity::NewUser {
                username: "local".into(),
                display_name: "Local User".into(),
                email: None,
                grants: vec![],
            },
        )
        .await
        .unwrap();
    app.set_password_with_link(&link, "Pump-station 7 valve cadence!", &Default::default()).await.unwrap();
    assert!(app.login_password("local", "Pump-station 7 valve cadence!", &Default::default()).await.is_ok());

    // A callback cannot be replayed, nor completed in another browser.
    let start = call(&router, "GET", "/auth/oidc/login", "", None).await;
    let binding = cookie_named(&start, "c981_oidc");
    let (callback, _) = idp.authorize(&start.location, "alice").await;
    let foreign = call(&router, "GET", &callback, "c981_oidc=someone-elses-browser", None).await;
    assert_eq!(foreign.status, StatusCode::UNAUTHORIZED, "{}", foreign.body);
    let replay = call(&router, "GET", &callback, &binding, None).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "a used state is gone: {}", replay.body);

    // Signing re-authenticates at the provider with prompt=login, even with a provider session.
    let csrf = app.authenticate_session(session.trim_start_matches("c981_session=")).await.unwrap().csrf;
    let form = format!("meaning=reviewed&reason=Zone+boundaries+checked&_csrf={csrf}");
    let start = call(&router, "POST", &format!("/zones/{zone}/sign/sso"), &session, Some(form)).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    assert!(start.location.contains("prompt=login") && start.location.contains("max_age=0"), "{}", start.location);
    let binding = cookie_named(&start, "c981_oidc");
    let (callback, prompts) = idp.authorize(&start.location, "alice").await;
    assert!(prompts.contains(&"login".to_owned()), "the provider asked for a fresh login: {prompts:?}");
    let done = call(&router, "GET", &callback, &format!("{session}; {binding}"), None).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location, format!("/zones/{zone}"));
    let sigs = call(&router, "GET", &format!("/api/v1/zones/{zone}/signatures"), &session, None).await;
    let sigs: Value = serde_json::from_str(&sigs.body).unwrap();
    let s = &sigs["items"][0];
    assert_eq!(s["printed_name"], "Alice Test");
    assert_eq!(s["meaning"], "reviewed");
    assert_eq!(s["status"], "valid");
    assert!(s["method"].as_str().unwrap().starts_with("oidc"));
    // Bob's token from the same provider cannot complete Alice's signature: the identity must be
    // the one linked to the session's account.
    let start = call(
        &router,
        "POST",
        &format!("/zones/{zone}/sign/sso"),
        &session,
        Some(format!("meaning=reviewed&_csrf={csrf}")),
    )
    .await;
    let binding = cookie_named(&start, "c981_oidc");
    let (callback, _) = IdpBrowser::new().authorize(&start.location, "bob").await;
    let done = call(&router, "GET", &callback, &format!("{session}; {binding}"), None).await;
    assert_eq!(done.status, StatusCode::UNAUTHORIZED, "{}", done.body);

    // Bob, in the admins' group, is an administrator of every site.
    let bob = sso_login(&router, &IdpBrowser::new(), "bob").await.unwrap_or_else(|r| panic!("{}", r.body));
    let me: Value = serde_json::from_str(&call(&router, "GET", "/api/v1/me", &bob, None).await.body).unwrap();
    assert_eq!(me["effective_grants"][0]["role"], "administrator");
    assert!(me["effective_grants"][0]["site_id"].is_null());

    // A disabled account cannot log in through SSO.
    let alice_id = me_id(&app, "alice").await;
    app.set_disabled(&op, alice_id, true).await.unwrap();
    let refused = sso_login(&router, &IdpBrowser::new(), "alice").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("disabled"), "{}", refused.body);
    let sessions_end = call(&router, "GET", "/api/v1/me", &session, None).await;
    assert_eq!(sessions_end.status, StatusCode::UNAUTHORIZED);
}

async fn me_id(app: &App, username: &str) -> i64 {
    app.store().user_by_name(username).await.unwrap().unwrap().id
}

backend_tests!(single_sign_on_maps_groups_to_roles_per_site_and_signs_after_a_fresh_login);
