//! The identity pages of the web UI, in process, on SQLite and on PostgreSQL: login (with
//! login CSRF and the second factor), logout, first set-up, password links, the account
//! pages, API tokens, account administration and electronic signatures.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use c981_app::identity::AuthSettings;
use c981_app::{Actor, App, Ctx, Role};
use c981_domain::audit::Channel;
use c981_domain::{Site, SiteInput, Zone, ZoneInput};
use c981_testkit::{TestDb, backend_tests};
use common::Browser;
use http_body_util::BodyExt;
use tower::ServiceExt;

const HOST: &str = "c981.test";

struct H {
    app: App,
    router: Router,
    site: i64,
    zone: i64,
    admin: Browser,
    _dir: tempfile::TempDir,
}

async fn harness_with(db: &TestDb, auth: Option<AuthSettings>) -> H {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(db.store().await, dir.path());
    if let Some(a) = auth {
        app = app.with_auth(a);
    }
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
                regulations: vec!["gxp".into()],
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
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    common::account(&app, "ada", "Ada Admin", common::all(Role::Administrator)).await;
    let admin = common::login(&app, "ada").await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    H { app, router, site, zone, admin, _dir: dir }
}

async fn harness(db: &TestDb) -> H {
    harness_with(db, None).await
}

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn get(router: &Router, path: &str, cookie: &str) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::get(path).header(header::ACCEPT, "text/html").header(header::HOST, HOST);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    send(router, req.body(Body::empty()).unwrap()).await
}

/// A form post as a browser sends it from one of our pages.
async fn post(router: &Router, path: &str, cookie: &str, pairs: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let mut req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    send(router, req.body(Body::from(body)).unwrap()).await
}

/// A post with the browser's session and CSRF token.
async fn post_as(h: &H, b: &Browser, path: &str, pairs: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut all: Vec<(&str, &str)> = pairs.to_vec();
    all.push(("_csrf", &b.csrf));
    post(&h.router, path, &b.cookie, &all).await
}

fn location(headers: &HeaderMap) -> String {
    headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The value a response sets for a cookie.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let first = c.split(';').next()?;
        let (k, v) = first.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The `value` of the input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

/// Logs in through the pages: the login form, then its post.
async fn login_via_pages(h: &H, username: &str, password: &str, next: &str) -> (StatusCode, HeaderMap, String) {
    let (status, headers, html) = get(&h.router, &format!("/login?next={next}"), "").await;
    assert_eq!(status, StatusCode::OK);
    let pre = set_cookie(&headers, "c981_pre").expect("the login page sets the pre-session cookie");
    assert_eq!(input_value(&html, "_pre"), pre);
    let cookie = format!("c981_pre={pre}");
    post(
        &h.router,
        "/login",
        &cookie,
        &[("_pre", &pre), ("username", username), ("password", password), ("next", next)],
    )
    .await
}

async fn logging_in_through_the_pages(db: TestDb) {
    let h = harness(&db).await;
    let (status, headers, _) = login_via_pages(&h, "ada", common::PASSWORD, "/zones").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/zones");
    let session = set_cookie(&headers, "c981_session").expect("a session cookie");
    let (status, _, html) = get(&h.router, "/zones", &format!("c981_session={session}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ada Admin"), "the top bar names the user");
    assert!(html.contains("action=\"/logout\""), "and offers to log out");
    assert!(html.contains("href=\"/admin/users\""), "administrators see the Users page");
    assert!(html.contains("name=\"csrf-token\""));

    // Another host in `next` is ignored.
    let (status, headers, _) = login_via_pages(&h, "ada", common::PASSWORD, "//evil.example/x").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/");

    // A wrong password: the same message as an unknown user.
    let (status, _, html) = login_via_pages(&h, "ada", "not the password", "/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Wrong user name or password"));
    let (status, _, html) = login_via_pages(&h, "nobody", "not the password", "/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Wrong user name or password"));

    // Login CSRF: a post without the pre-session cookie of the form is refused.
    let (status, headers, _) =
        post(&h.router, "/login", "", &[("_pre", "forged"), ("username", "ada"), ("password", common::PASSWORD)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&headers, "c981_session").is_none());
    let (status, _, _) = post(
        &h.router,
        "/login",
        "c981_pre=one",
        &[("_pre", "another"), ("username", "ada"), ("password", common::PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn throttled_logins_get_a_429_page(db: TestDb) {
    let h = harness(&db).await;
    for _ in 0..5 {
        let (status, _, _) = login_via_pages(&h, "ada", "wrong password", "/").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, html) = login_via_pages(&h, "ada", common::PASSWORD, "/").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many failed attempts"));
}

async fn the_second_factor_at_login(db: TestDb) {
    let h = harness(&db).await;
    // Enrol through the pages.
    let (status, _, html) = get(&h.router, "/account/mfa", &h.admin.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"), "the QR code is inline");
    let secret = input_value(&html, "secret");
    let (status, _, html) =
        post_as(&h, &h.admin, "/account/mfa/confirm", &[("code", "000000"), ("secret", &secret)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Code from the app"), "the error names the field");
    assert_eq!(input_value(&html, "secret"), secret, "the same key is shown again");
    let s = c981_auth::totp::TotpSecret::from_base32(&secret).unwrap();
    let code = c981_auth::totp::code_at(&s, h.app.now().micros().div_euclid(1_000_000));
    let (status, _, html) =
        post_as(&h, &h.admin, "/account/mfa/confirm", &[("code", &code), ("secret", &secret)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Store these recovery codes now"));
    let recovery: Vec<String> =
        html.split("<code class=\"secret\">").skip(1).map(|s| s[..s.find('<').unwrap()].to_owned()).collect();
    assert_eq!(recovery.len(), 10);

    // Log in: the password opens a half session, the second factor a new one.
    let (status, headers, _) = login_via_pages(&h, "ada", common::PASSWORD, "/zones").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/login/totp?next=%2Fzones");
    let half = format!("c981_session={}", set_cookie(&headers, "c981_session").unwrap());
    let (status, headers, _) = get(&h.router, "/zones", &half).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a half session opens nothing");
    assert!(location(&headers).starts_with("/login/totp"));
    let (status, _, html) = get(&h.router, "/login/totp?next=%2Fzones", &half).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"code\""));
    let (status, _, html) = post(&h.router, "/login/totp", &half, &[("code", "123456"), ("next", "/zones")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Code is not valid"));
    let (status, headers, _) =
        post(&h.router, "/login/totp", &half, &[("code", &recovery[0]), ("next", "/zones")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/zones");
    let full = format!("c981_session={}", set_cookie(&headers, "c981_session").unwrap());
    assert_ne!(full, half, "the session id changes at the second factor");
    let (status, _, _) = get(&h.router, "/zones", &full).await;
    assert_eq!(status, StatusCode::OK);

    // Without a session, the second step sends back to the login.
    let (status, headers, _) = get(&h.router, "/login/totp", "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/login"));
}

async fn logging_out_needs_the_csrf_token(db: TestDb) {
    let h = harness(&db).await;
    let (status, _, _) = post(&h.router, "/logout", &h.admin.cookie, &[("_csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(h.app.authenticate_session(&h.admin.session).await.is_ok(), "still logged in");
    let (status, headers, _) = post_as(&h, &h.admin, "/logout", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/login?notice=logged_out"));
    assert_eq!(set_cookie(&headers, "c981_session").as_deref(), Some(""), "the cookie is cleared");
    assert!(h.app.authenticate_session(&h.admin.session).await.is_err(), "the session ended");
    let (_, _, html) = get(&h.router, "/login?notice=logged_out", "").await;
    assert!(html.contains("You are logged out."));
}

/// Every form that posts, on every page a user reaches, carries the CSRF token.
async fn every_post_form_carries_the_csrf_token(db: TestDb) {
    let h = harness(&db).await;
    let zone = h.zone;
    let ada = h.app.actor_of_user("ada").await.unwrap().user_id.unwrap();
    let pages = [
        "/".to_owned(),
        format!("/zones/{zone}"),
        format!("/zones/{zone}/edit"),
        format!("/zones/{zone}/sign"),
        format!("/zones/new?site_id={}", h.site),
        format!("/sites/{}", h.site),
        "/account".to_owned(),
        "/account/tokens".to_owned(),
        "/account/mfa".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/users/{ada}"),
    ];
    for path in &pages {
        let (status, _, html) = get(&h.router, path, &h.admin.cookie).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let forms: Vec<&str> = html.split("<form").skip(1).map(|f| &f[..f.find("</form>").unwrap()]).collect();
        let posting: Vec<&&str> = forms.iter().filter(|f| f.contains("method=\"post\"")).collect();
        assert!(!posting.is_empty(), "{path} has a form that posts (at least logout)");
        for f in posting {
            assert!(
                f.contains(&format!("name=\"_csrf\" value=\"{}\"", h.admin.csrf)),
                "a form of {path} lacks the CSRF token: <form{}",
                &f[..f.len().min(200)]
            );
        }
    }
}

async fn the_first_administrator_is_created_with_the_setup_link(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let app = common::app(db.store().await, dir.path());
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    let (_, _, html) = get(&router, "/login", "").await;
    assert!(html.contains("No account exists yet"));
    assert!(html.contains("c981 admin create-user --role administrator"));
    let token = app.bootstrap_token().await.unwrap();
    let path = format!("/setup/{token}");
    let (status, _, html) = get(&router, &path, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Create the first administrator"));
    let (status, _, html) = post(
        &router,
        &path,
        "",
        &[("username", "root"), ("display_name", "Rosa Root"), ("password", "short"), ("confirm", "short")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Password must be at least"), "the policy message names the field");
    let (status, _, html) = post(
        &router,
        &path,
        "",
        &[("username", "root"), ("display_name", "Rosa Root"), ("password", common::PASSWORD), ("confirm", "other")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("the two passwords differ"));
    let (status, _, html) = post(
        &router,
        &path,
        "",
        &[
            ("username", "root"),
            ("display_name", "Rosa Root"),
            ("password", common::PASSWORD),
            ("confirm", common::PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Account created"));
    let (status, _, _) = get(&router, &path, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the link is spent");
    let (status, _, _) = get(&router, "/setup/c981_setup_forged", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(app.login_password("root", common::PASSWORD, &common::origin("x")).await.is_ok());
}

async fn administrators_create_accounts_and_set_roles(db: TestDb) {
    let h = harness(&db).await;
    let site = h.site.to_string();
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        "/admin/users",
        &[("username", "Bad Name!"), ("display_name", "Bob"), ("role", "viewer"), ("site", "all")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("User name may hold only"), "{html}");
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        "/admin/users",
        &[
            ("username", "bob"),
            ("display_name", "Bob Builder"),
            ("email", "bob@plant.example"),
            ("role", "site_engineer"),
            ("site", &site),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let prefix = format!("http://{HOST}/password/");
    let at = html.find(&prefix).expect("the one-time link is shown");
    let rest = &html[at + prefix.len()..];
    let token = &rest[..rest.find('<').unwrap()];

    // The user chooses the password with the link.
    let (status, _, html) = get(&h.router, &format!("/password/{token}"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bob"));
    let (status, _, html) = post(
        &h.router,
        &format!("/password/{token}"),
        "",
        &[("password", common::PASSWORD), ("confirm", common::PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Password set"));
    let bob = common::login(&h.app, "bob").await;

    // Not an administrator: no Users link, and the page is refused.
    let (_, _, html) = get(&h.router, "/", &bob.cookie).await;
    assert!(!html.contains("href=\"/admin/users\""));
    let (status, _, html) = get(&h.router, "/admin/users", &bob.cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Not allowed"));

    // Roles: the grants editor.
    let bob_id = h.app.actor_of_user("bob").await.unwrap().user_id.unwrap();
    let (status, _, html) = get(&h.router, &format!("/admin/users/{bob_id}"), &h.admin.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("value=\"site_engineer@{site}\" checked")));
    let approver = format!("approver@{site}");
    let (status, headers, _) = post_as(
        &h,
        &h.admin,
        &format!("/admin/users/{bob_id}/grants"),
        &[("grant", "viewer@all"), ("grant", &approver)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/admin/users/{bob_id}?done=grants"));
    let actor = h.app.actor_of_user("bob").await.unwrap();
    assert_eq!(actor.grants.len(), 2);

    // Refusing to remove one's own administrator role.
    let ada_id = h.app.actor_of_user("ada").await.unwrap().user_id.unwrap();
    let (status, _, html) =
        post_as(&h, &h.admin, &format!("/admin/users/{ada_id}/grants"), &[("grant", "viewer@all")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("cannot remove your own administrator role"));

    // Disable: bob's session ends at once.
    let (status, _, _) = post_as(&h, &h.admin, &format!("/admin/users/{bob_id}/disable"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(h.app.authenticate_session(&bob.session).await.is_err());
    let (status, _, html) = post_as(&h, &h.admin, &format!("/admin/users/{bob_id}/password-link"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&prefix));
}

async fn tokens_are_shown_once_and_can_be_revoked(db: TestDb) {
    let h = harness(&db).await;
    let site = h.site.to_string();
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        "/account/tokens",
        &[("name", "Export"), ("read_only", "true"), ("expires_in_days", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Expires in (days) must be between"));
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        "/account/tokens",
        &[("name", "Export"), ("read_only", "true"), ("sites", &site), ("expires_in_days", "30")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("shown only once"));
    let at = html.find("c981_pat_").unwrap();
    let token = &html[at..at + html[at..].find('<').unwrap()];
    let actor = h.app.authenticate_token(token).await.unwrap();
    assert!(actor.read_only);
    let (_, _, html) = get(&h.router, "/account/tokens", &h.admin.cookie).await;
    assert!(!html.contains(token), "the token is never shown again");
    assert!(html.contains("LYON-1"));
    let id = h.app.tokens(&Ctx::new(h.app.actor_of_user("ada").await.unwrap(), Channel::Ui, "t")).await.unwrap()[0].id;
    let (status, headers, _) = post_as(&h, &h.admin, &format!("/account/tokens/{id}/revoke"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/account/tokens?notice=revoked");
    assert!(h.app.authenticate_token(token).await.is_err());
}

async fn changing_the_password_ends_the_sessions(db: TestDb) {
    let h = harness(&db).await;
    // Log out everywhere: every session ends.
    let b = common::login(&h.app, "ada").await;
    let (status, headers, _) = post_as(&h, &b, "/account/logout-everywhere", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/login?notice=everywhere"));
    assert!(h.app.authenticate_session(&b.session).await.is_err());
    assert!(h.app.authenticate_session(&h.admin.session).await.is_err());

    let b = common::login(&h.app, "ada").await;
    let (status, _, html) = get(&h.router, "/account", &b.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Administrator") && html.contains("all sites"));
    let new = "Seven quiet turbines hum at dawn";
    let (status, _, html) = post_as(
        &h,
        &b,
        "/account/password",
        &[("current_password", "wrong"), ("new_password", new), ("confirm_password", new)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Current password is not your current password"));
    let (status, headers, _) = post_as(
        &h,
        &b,
        "/account/password",
        &[("current_password", common::PASSWORD), ("new_password", new), ("confirm_password", new)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/login?notice=password_changed"));
    assert!(h.app.authenticate_session(&b.session).await.is_err());
    assert!(h.app.login_password("ada", new, &common::origin("x")).await.is_ok());
}

async fn a_role_that_needs_a_second_factor_enrols_first(db: TestDb) {
    let auth = AuthSettings { mfa_roles: vec![Role::Administrator], ..Default::default() };
    let h = harness_with(&db, Some(auth)).await;
    let (status, headers, _) = get(&h.router, "/zones", &h.admin.cookie).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/account/mfa");
    let (status, _, html) = get(&h.router, "/account/mfa", &h.admin.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your role requires a second factor"));
    assert!(html.contains("<svg"));
}

async fn signing_a_record(db: TestDb) {
    let h = harness(&db).await;
    let zone = h.zone;
    let ctx = Ctx::new(h.app.actor_of_user("ada").await.unwrap(), Channel::Ui, "t");
    let json: serde_json::Value = serde_json::from_slice(&h.app.get_json::<Zone>(&ctx, zone).await.unwrap()).unwrap();
    let sha = c981_app::signature::record_sha256(&json);

    let (status, _, html) = get(&h.router, &format!("/zones/{zone}"), &h.admin.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"signatures\""));
    assert!(html.contains(&format!("href=\"/zones/{zone}/sign\"")));

    let (status, _, html) = get(&h.router, &format!("/zones/{zone}/sign"), &h.admin.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&sha), "the page shows the SHA-256 of what is signed");
    assert!(html.contains("legally binding equivalent of your handwritten signature"));
    assert!(html.contains("Ada Admin"));

    let path = format!("/zones/{zone}/sign");
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        &path,
        &[("meaning", "approved"), ("reason", "Zone review"), ("password", "wrong"), ("record_sha256", &sha)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Password is wrong"));
    let (status, _, html) = post_as(&h, &h.admin, &path, &[("password", common::PASSWORD)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Meaning is required"));
    let (status, headers, _) = post_as(
        &h,
        &h.admin,
        &path,
        &[("meaning", "approved"), ("reason", "Zone review"), ("password", common::PASSWORD), ("record_sha256", &sha)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/zones/{zone}#signatures"));
    let (_, _, html) = get(&h.router, &format!("/zones/{zone}"), &h.admin.cookie).await;
    assert!(html.contains("Approved") && html.contains("Zone review"));
    assert!(html.contains(&sha[..12]));
    assert!(html.contains(" UTC"));
    assert!(!html.contains("sig-stale"));

    // A change: the signature stands out, and a stale page refuses to sign.
    let (status, _, _) = post_as(
        &h,
        &h.admin,
        &format!("/zones/{zone}/edit"),
        &[("site_id", &h.site.to_string()), ("name", "Cell 4 control (new)"), ("kind", "control")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = get(&h.router, &format!("/zones/{zone}"), &h.admin.cookie).await;
    assert!(html.contains("sig-stale"));
    assert!(html.contains("Record changed since signing"));
    let (status, _, html) = post_as(
        &h,
        &h.admin,
        &path,
        &[("meaning", "reviewed"), ("password", common::PASSWORD), ("record_sha256", &sha)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The record changed while the signature page was open"));

    // Four-eyes: the author of the current version may not approve it.
    let (status, _, html) =
        post_as(&h, &h.admin, &path, &[("meaning", "approved"), ("password", common::PASSWORD)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("four-eyes"));
}

backend_tests!(
    logging_in_through_the_pages,
    throttled_logins_get_a_429_page,
    the_second_factor_at_login,
    logging_out_needs_the_csrf_token,
    every_post_form_carries_the_csrf_token,
    the_first_administrator_is_created_with_the_setup_link,
    administrators_create_accounts_and_set_roles,
    tokens_are_shown_once_and_can_be_revoked,
    changing_the_password_ends_the_sessions,
    a_role_that_needs_a_second_factor_enrols_first,
    signing_a_record,
);
